"""What `chef cook` costs on top of the installer it runs.

    .venv/bin/python bench/cook.py [--packages 100] [--runs 20] [--out FILE]

Builds a wheelhouse of tiny real wheels (tests/wheelhouse.py), serves it as a PEP 503 index on
loopback (tests/index_server.py), locks a project over it with `uv lock` and prepares its recipe.
Then, into a fresh virtual environment each run (created before the clock starts) and with warm
installer caches: `chef cook` against the bare installer command it runs (the same argv, from
chef's own plan: `uv pip install --no-deps --require-hashes -r ...` and the pip equivalent), and
`chef cook --dry-run` (chef's own work: load and validate the recipe, ask the target interpreter
for its markers, plan). With `--against REV` (default HEAD), chef as committed at REV is timed
in the same rounds, so that a slip shows against the previous commit. CPU time (user + system,
the installer's included) is shown next to the wall time: on a shared machine it varies less.
Prints Markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from index_server import IndexServer  # noqa: E402
from timing import (  # noqa: E402
    Command,
    Runs,
    chef_argv,
    clean_environ,
    fmt_ms,
    install_chef,
    machine,
    measure,
    table,
)
from wheelhouse import make_wheel  # noqa: E402

from chef.cook import installers  # noqa: E402
from chef.cook.plan import Overrides, plan  # noqa: E402
from chef.cook.target import probe, venv_python  # noqa: E402
from chef.recipe import load  # noqa: E402


def build_project(workdir: Path, count: int, seed: int = 11) -> Path:
    """A wheelhouse of `count` packages that depend on each other, and an app requiring them."""
    rng = random.Random(seed)
    wheels = workdir / "wheels"
    names = [f"benchpkg-{i:03d}" for i in range(count)]
    for i, name in enumerate(names):
        later = names[i + 1:]
        requires = [f"{n}>=1" for n in rng.sample(later, min(len(later), rng.choice((0, 1, 2))))]
        make_wheel(wheels, name, "1.0", requires)
    app = workdir / "app"
    app.mkdir()
    deps = ",\n".join(f'    "{n}>=1"' for n in names)  # every package a direct requirement too
    (app / "pyproject.toml").write_text(
        f'[project]\nname = "benchapp"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [\n{deps},\n]\n\n[tool.uv]\npackage = false\n",
        encoding="utf-8",
    )
    return app


def bench_env(workdir: Path) -> Dict[str, str]:
    """The installers see no user config and keep their caches here (warm after the warm-up;
    timing.clean_environ)."""
    env = clean_environ(("UV_", "PIP_"))
    env.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(workdir / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        PIP_CONFIG_FILE=os.devnull,
        PIP_CACHE_DIR=str(workdir / "pip-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def fresh_venv(uv: str, path: Path, env: Dict[str, str]) -> Callable[[], None]:
    def make() -> None:
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(path)],
                       env=env, check=True)

    return make


def installer_argv(recipe: Path, venv: Path, backend: installers.Backend, wheels: Path,
                   files_dir: Path) -> List[str]:
    """The argv chef runs for the recipe's one batch, computed by chef's own plan."""
    python = str(venv_python(venv))
    target = probe(python)
    overrides = Overrides(no_index=True, find_links=(str(wheels),))
    install_plan = plan(load(recipe), target.env, overrides)
    (batch,) = install_plan.batches
    files_dir.mkdir(parents=True, exist_ok=True)
    files = installers.write_batch_files(batch, files_dir)
    return backend.install(python, files, batch, quiet=True)


def install_revision(workdir: Path, rev: str) -> Optional[List[str]]:
    """chef as committed at `rev`, installed as `install_chef` installs this checkout (None when
    git cannot give it: not a checkout, an unknown revision)."""
    import tarfile

    source = workdir / f"rev-{rev.replace('/', '_').replace('~', '-')}"
    done = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "chef"],
                          capture_output=True, check=False)
    if done.returncode != 0:
        print(f"bench: no chef at {rev}: {done.stderr.decode(errors='replace').strip()}",
              file=sys.stderr)
        return None
    source.mkdir(parents=True)
    archive = workdir / "rev.tar"
    archive.write_bytes(done.stdout)
    with tarfile.open(archive) as tar:
        # our own repository's archive; the "data" filter where tarfile has it (3.12+)
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(source, **extra)  # type: ignore[arg-type,unused-ignore]
    return install_chef(workdir, source / "chef")


def _cook_argv(chef: List[str], recipe: Path, venv: Path, installer: str,
               links: List[str], *extra: str) -> List[str]:
    return chef + ["cook", "--recipe-path", str(recipe), "--venv", str(venv),
                   "--installer", installer, *links, *extra]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20,
                        help="counted runs per command (20: pip alone varies by ±100 ms here)")
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    parser.add_argument("--against", default="HEAD", metavar="REV",
                        help="also time chef as committed at REV, in the same rounds (default "
                        "HEAD; 'none': do not)")
    args = parser.parse_args(argv)

    uv = installers.find_uv()
    if not uv:
        print("uv is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="chef-bench-cook-"))
    try:
        install_chef(workdir)  # chef as installed, as bench/prepare.py times it
        earlier = None if args.against == "none" else install_revision(workdir, args.against)
        env = bench_env(workdir)
        app = build_project(workdir, args.packages)
        wheels = workdir / "wheels"
        with IndexServer(wheels) as server:  # the lock records a real index and real hashes
            subprocess.run([uv, "lock", "--quiet", "--index-url", server.url, "--python",
                            sys.executable], cwd=app, env=env, check=True)
        recipe = app / "recipe.json"
        subprocess.run(chef_argv() + ["prepare", "--project-dir", str(app),
                                      "--recipe-path", str(recipe)],
                       env=env, check=True, capture_output=True)
        # Installs read the wheelhouse directly (--no-index --find-links), as a build with a
        # local mirror does: no HTTP server in the measurement.
        links = ["--no-index", "--find-links", str(wheels)]
        venv = workdir / "venv"
        fresh_venv(uv, venv, env)()
        commands: List[Command] = []
        backends: List[installers.Backend] = [installers.UvBackend(uv), installers.PipBackend()]
        for backend in backends:
            name = backend.name
            bare = installer_argv(recipe, venv, backend, wheels, workdir / f"req-{name}")
            make = fresh_venv(uv, venv, env)
            commands += [
                Command(f"{name} bare", bare, env=env, before=make),
                Command(f"{name} chef", _cook_argv(chef_argv(), recipe, venv, name, links,
                                                   "--quiet"), env=env, before=make),
            ]
            if earlier is not None:
                commands.append(Command(f"{name} chef@", _cook_argv(
                    earlier, recipe, venv, name, links, "--quiet"), env=env, before=make))
        commands.append(Command("dry", _cook_argv(chef_argv(), recipe, venv, "uv", links,
                                                  "--dry-run"), env=env))
        if earlier is not None:
            commands.append(Command("dry@", _cook_argv(earlier, recipe, venv, "uv", links,
                                                       "--dry-run"), env=env))
        results = measure(commands, args.runs)

        out = [
            "## chef cook",
            "",
            f"Machine: {machine()}. uv: {_version([uv, '--version'])}; "
            f"pip: {_version([sys.executable, '-m', 'pip', '--version'])}.",
            f"A recipe of {args.packages} locked packages (tiny wheels with hashes, locked by uv "
            "over a loopback index, installed from the wheel directory with --no-index "
            "--find-links); a fresh venv before every run, made before the clock starts; warm "
            "caches. "
            f"Median of {args.runs} runs after one warm-up, whole processes, the commands in "
            "turn; ± is half the interquartile range.",
            "",
        ]
        body = []
        for name in ("uv", "pip"):
            bare_runs = results[f"{name} bare"]
            for key, label in ((f"{name} chef", name), (f"{name} chef@", f"{name}, chef at "
                                                        f"{args.against}")):
                if key in results:
                    body.append(_overhead_row(label, bare_runs, results[key]))
        headers = ["installer", "bare installer ms", "chef cook ms",
                   "chef overhead ms (paired median)", "overhead", "allowed ms (max of 5%, 150 ms)",
                   "CPU ms: bare, chef cook", "chef CPU overhead ms (paired median)", "note"]
        out += [table(headers, body), ""]
        uvb, pipb, uvc, pipc = (results[k] for k in ("uv bare", "pip bare", "uv chef", "pip chef"))
        out += [table(["same recipe", "uv ms", "pip ms", "pip / uv"], [
            ["bare installer", fmt_ms(uvb), fmt_ms(pipb), _ratio(pipb, uvb)],
            ["chef cook", fmt_ms(uvc), fmt_ms(pipc), _ratio(pipc, uvc)],
        ]), ""]
        dry = results["dry"]
        out += [
            f"`chef cook --dry-run` (load and validate the recipe, probe the target interpreter, "
            f"plan; nothing installed): {fmt_ms(dry)} ms, CPU {_cpu(dry)} ms, peak "
            f"{dry.peak_mib if dry.ok else 0:.0f} MiB"
            + (f"; chef at {args.against}: {fmt_ms(results['dry@'])} ms, CPU "
               f"{_cpu(results['dry@'])} ms." if "dry@" in results else "."),
            "",
        ]
        text = "\n".join(out)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _overhead_row(label: str, bare: Runs, cook: Runs) -> List[str]:
    if not (bare.ok and cook.ok):
        return [label, fmt_ms(bare), fmt_ms(cook), "—", "—", "—", "—", "—",
                bare.failure or cook.failure or ""]
    # paired: each chef run against the bare run next to it (robust to drift)
    over = statistics.median(c - b for c, b in zip(cook.walls, bare.walls)) * 1000
    cpu_over = statistics.median(c - b for c, b in zip(cook.cpus, bare.cpus)) * 1000
    allowed = max(0.05 * bare.median_ms, 150.0)
    return [
        label, fmt_ms(bare), fmt_ms(cook), f"{over:+.0f}",
        f"{over / bare.median_ms * 100:+.1f}%", f"{allowed:.0f}",
        f"{bare.cpu_ms:.0f}, {cook.cpu_ms:.0f}", f"{cpu_over:+.0f}", "",
    ]


def _cpu(runs: Runs) -> str:
    return f"{runs.cpu_ms:.0f}" if runs.ok else "—"


def _ratio(a: Runs, b: Runs) -> str:
    return f"{a.median_ms / b.median_ms:.2f}×" if a.ok and b.ok else "—"


def _version(argv: List[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.stdout.strip().split(" from ")[0] if done.returncode == 0 else "?"


if __name__ == "__main__":
    sys.exit(main())
