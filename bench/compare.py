"""`chef prepare` of the working tree against another commit, paired, so that a slip shows.

    .venv/bin/python bench/compare.py [--against REV] [--runs 15] [--sizes 1500]
    .venv/bin/python bench/prepare.py --against REV [--runs 15] [--sizes 1500]   (the same)

REV (default HEAD~1, the previous commit) is exported with `git archive` (no worktree, nothing
written in the repository) and installed next to the working tree's chef the way
bench/prepare.py installs it (bench/timing.py `install_chef`: a venv holding a compiled copy of
the `chef` package, its dependencies from this interpreter). Then, on the same files, in turn
(floor, REV's stack, REV, the tree's stack, tree, floor, ...):

- floor: the interpreter importing chef's dependencies (click, packaging's markers, specifiers
  and requirements, toml_rs), nothing of chef's;
- stack: the CPython floor of chef's stack, issue 21's "interpreter start and imports": the
  interpreter importing the same and every `chef` module that chef's own prepare of that case
  loads (found by running it once), then exiting; nothing is run. chef's prepare against it is
  what chef's work costs beyond starting and loading (issue 21.7: at most 2.0x). Reproduces the
  issue's figure: 07bd209 measures 2.10x here, the issue said 2.16x;
- REV's `chef prepare` and the tree's.

Cases: a small uv project, and synthetic uv.lock and poetry.lock files of each size
(bench/synth.py).

Prints one Markdown table: medians of wall time (± half the interquartile range), the ratio
tree/REV taken run by run (pairs of one round) by wall and by CPU time (user + system), each
chef's median against its stack's and against the floor's (by wall and by CPU time). "same
recipe" says whether both wrote the same bytes. Tables only, no verdicts: a machine shared with
other work moves absolute times, the paired ratios move much less.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from prepare import tool_env  # noqa: E402
from timing import Command, Runs, fmt_ms, install_chef, machine, measure, table  # noqa: E402

FLOOR_IMPORTS = ("click", "packaging.markers", "packaging.specifiers", "packaging.requirements",
                 "toml_rs")


def export_rev(rev: str, directory: Path) -> Tuple[Path, str]:
    """REV's `chef` package under `directory` (git archive), and REV as a short hash with its
    subject."""
    described = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev, "--"],
        capture_output=True, text=True, check=False)
    if described.returncode != 0 or not described.stdout.strip():
        raise SystemExit(f"bench/compare.py: not a commit: {rev!r} "
                         f"({described.stderr.strip() or 'git log found nothing'})")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "chef"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit("bench/compare.py: git archive failed: "
                         + archive.stderr.decode("utf-8", "replace").strip())
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(directory)  # noqa: S202 (our own repository's tree)
    return directory / "chef", described.stdout.strip()


def _paired(a: Runs, b: Runs, cpu: bool) -> str:
    """Median (min-max) of a/b taken round by round."""
    xs, ys = (a.cpus, b.cpus) if cpu else (a.walls, b.walls)
    if not (a.ok and b.ok) or len(xs) != len(ys):
        return "—"
    ratios = [x / y for x, y in zip(xs, ys) if y > 0]
    if not ratios:
        return "—"
    return f"{statistics.median(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f})"


def _over(a: Runs, floor: Runs) -> str:
    """a's median against the floor's, by wall time and by CPU time."""
    if not (a.ok and floor.ok):
        return "—"
    return f"{a.median_ms / floor.median_ms:.2f}× ({a.cpu_ms / floor.cpu_ms:.2f}× cpu)"


# Run in the chef's own interpreter: the `chef` modules its prepare of a case has loaded.
_MODULES = """import sys
from chef.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m == "chef" or m.startswith("chef."))))
"""


def stack_code(python: str, argv: List[str], env: Dict[str, str]) -> str:
    """`python -c` code that imports the floor's modules and every `chef` module chef's
    `prepare argv` loads, and exits (os._exit, as chef.cli.run does)."""
    done = subprocess.run([python, "-c", _MODULES] + argv, capture_output=True, text=True,
                          env=env, check=False)
    modules = done.stdout.split()
    if done.returncode != 0 or "chef.cli" not in modules:
        raise SystemExit(f"bench/compare.py: cannot list the modules of {python}'s prepare: "
                         f"{done.stderr.strip()[-300:]}")
    return f"import {', '.join(FLOOR_IMPORTS + tuple(modules))}, os; os._exit(0)"


def cases(workdir: Path, sizes: Sequence[int]) -> List[Tuple[str, Path, List[str]]]:
    out: List[Tuple[str, Path, List[str]]] = []
    small = synth.write_small_uv_project(workdir / "small")
    out.append(("small uv project (17 packages)", small, []))
    for size in sizes:
        uv = synth.write_uv_project(workdir / f"uv-{size}", size)
        out.append((f"synthetic uv.lock, {size}", uv, []))
        poetry = synth.write_poetry_project(workdir / f"poetry-{size}", size)
        out.append((f"synthetic poetry.lock, {size}", poetry, ["--frozen"]))  # content-hash 0s
    return out


def _recipe(argv: List[str], directory: Path, extra: List[str], env: Dict[str, str]) -> str:
    done = subprocess.run(argv + ["prepare", "--stdout", "--project-dir", str(directory)] + extra,
                          capture_output=True, text=True, env=env, check=False)
    return done.stdout if done.returncode == 0 else f"exit {done.returncode}: {done.stderr}"


def compare(rev: str, runs: int, sizes: Sequence[int]) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="chef-bench-compare-"))
    try:
        package, described = export_rev(rev, workdir / "rev-src")
        rev_chef = install_chef(workdir / "rev", source=package)
        tree_chef = install_chef(workdir / "tree")
        env = tool_env(workdir)
        python = str(Path(tree_chef[0]).parent / "python")
        rev_python = str(Path(rev_chef[0]).parent / "python")
        floor_code = f"import {', '.join(FLOOR_IMPORTS)}, os; os._exit(0)"
        rows = []
        for label, directory, extra in cases(workdir, sizes):
            recipe = workdir / "recipe.json"
            argv = ["prepare", "--recipe-path", str(recipe), "--project-dir", str(directory)]
            stacks = [stack_code(py, argv + extra, env) for py in (rev_python, python)]
            commands = [Command("floor", [python, "-c", floor_code], env=env),
                        Command("rev stack", [rev_python, "-c", stacks[0]], env=env),
                        Command("rev", rev_chef + argv + extra, env=env),
                        Command("tree stack", [python, "-c", stacks[1]], env=env),
                        Command("tree", tree_chef + argv + extra, env=env)]
            got = measure(commands, runs)
            floor, old, new = got["floor"], got["rev"], got["tree"]
            same = _recipe(rev_chef, directory, extra, env) == _recipe(tree_chef, directory,
                                                                        extra, env)
            rows.append([label, fmt_ms(floor), fmt_ms(got["tree stack"]), fmt_ms(old),
                         fmt_ms(new), _paired(new, old, False), _paired(new, old, True),
                         _over(old, got["rev stack"]), _over(new, got["tree stack"]),
                         _over(old, floor), _over(new, floor),
                         "same recipe" if same else "**different recipe**"])
            for name, result in got.items():
                if result.failure:
                    rows[-1][-1] += f"; {name}: {result.failure}"
        head = [f"### chef prepare: working tree against {described}", "",
                f"Machine: {machine()}. Median of {runs} runs after one warm-up, whole "
                "processes, floor / REV's stack / REV / the tree's stack / tree in turn; ± is half "
                "the interquartile range; tree/REV is the median (min-max) of the ratios of one "
                f"round. Floor: python -c \"import {', '.join(FLOOR_IMPORTS)}\". Stack: the same "
                "and every chef module that chef's prepare of the case loads (REV's own for REV); "
                "issue 21.7's goal is tree/stack <= 2.0x.", ""]
        headers = ["case", "floor ms", "tree's stack ms", "REV ms", "tree ms", "tree/REV wall",
                   "tree/REV cpu", "REV/stack", "tree/stack", "REV/floor", "tree/floor",
                   "recipes"]
        return "\n".join(head + [table(headers, rows), ""])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="HEAD~1", metavar="REV",
                        help="the commit to compare with (HEAD~1: the previous commit)")
    parser.add_argument("--runs", type=int, default=15, help="counted runs per command (15)")
    parser.add_argument("--sizes", default="1500", help="synthetic lock sizes (1500)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(compare(args.against, args.runs, sizes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
