"""How long `chef prepare` takes as a whole process, against the managers' own exporters.

    .venv/bin/python bench/prepare.py [--runs 10] [--sizes 100,500,1500,5000] [--out FILE]

For every lock in ../shared/corpus/ (those chef can read) and for synthetic uv.lock and
poetry.lock files of 100 to 5000 packages (bench/synth.py), in the same run and on the same files:
`chef prepare` (interpreter start included), `uv export --frozen --no-emit-project` and
`poetry export` (when poetry with poetry-plugin-export is found: next to this interpreter, on PATH,
or --poetry). Prints Markdown tables: medians of the counted runs (± half the interquartile range),
peak memory, ratios, and how chef's time grows with the lock's size. Tables only, no verdicts.

`--against REV`: only a table of this tree's prepare against commit REV's, paired, with the
CPython floor of chef's stack (bench/compare.py, which it runs).

chef.pyz is timed next to the installed chef (its own table; `--pyz-only` prints only that one):
built by scripts/build_pyz.py from `--pyz-wheels DIR`, or with the pinned wheels downloaded by
pip (the package index, once), or taken as it is from `--pyz FILE`; `--no-pyz` leaves it out.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from timing import (  # noqa: E402
    Command,
    Runs,
    bare_python,
    build_pyz,
    chef_argv,
    clean_environ,
    fmt_ms,
    fmt_ratio,
    install_chef,
    machine,
    measure,
    run_once,
    table,
    unpack_pyz,
)

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
LOCK_NAMES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")


@dataclass
class Case:
    label: str
    kind: str  # uv, poetry, pdm, pipenv, pylock, requirements
    directory: Path  # project directory
    lock: Path
    packages: int
    chef_args: List[str]
    note: str = ""
    root: Optional[Path] = None  # the corpus entry (the repository) holding the project


def _toml(path: Path) -> Dict[str, object]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    return tomllib.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def corpus_cases(corpus: Path) -> List[Case]:
    manifest = _toml(corpus / "MANIFEST.toml")
    cases: List[Case] = []
    entries = manifest.get("entry", {})
    assert isinstance(entries, dict)
    for entry_name, entry in sorted(entries.items()):
        locked = entry.get("locked", {}) or {}
        for rel, count in sorted(locked.items()):
            path = corpus / entry_name / rel
            name = path.name
            label = f"{entry_name}/{rel}"
            if name in LOCK_NAMES:
                kind = {"uv.lock": "uv", "poetry.lock": "poetry", "pdm.lock": "pdm",
                        "Pipfile.lock": "pipenv"}[name]
                args = ["--project-dir", str(path.parent)]
                if name == "Pipfile.lock":
                    args += ["--manager", "pipenv"]
            elif name.startswith("pylock") and name.endswith(".toml"):
                kind, args = "pylock", ["--project-dir", str(path.parent), "--manager", "pylock"]
            elif name.endswith(".txt"):
                kind = "requirements"
                args = ["--project-dir", str(corpus / entry_name), "--requirements", rel]
            else:
                continue
            cases.append(Case(label, kind, path.parent, path, int(count), args,
                              root=corpus / entry_name))
    return cases


def synthetic_cases(workdir: Path, sizes: Sequence[int], poetry: Optional[List[str]]) -> List[Case]:
    cases: List[Case] = []
    for size in sizes:
        uv_dir = synth.write_uv_project(workdir / f"uv-{size}", size)
        cases.append(Case(f"synthetic uv.lock, {size}", "uv", uv_dir, uv_dir / "uv.lock", size,
                          ["--project-dir", str(uv_dir)]))
        poetry_dir = synth.write_poetry_project(workdir / f"poetry-{size}", size)
        if poetry is not None:
            content_hash = poetry_content_hash(poetry, poetry_dir)
            if content_hash:
                synth.write_poetry_project(poetry_dir, size, content_hash)
        cases.append(Case(f"synthetic poetry.lock, {size}", "poetry", poetry_dir,
                          poetry_dir / "poetry.lock", size, ["--project-dir", str(poetry_dir)]))
    return cases


# ---------------------------------------------------------------- the tools


def find_uv() -> Optional[str]:
    sys.path.insert(0, str(ROOT))
    try:
        from chef.cook.installers import find_uv as chef_find_uv
    except ImportError:
        return shutil.which("uv")
    return chef_find_uv()


def find_poetry(explicit: Optional[str], env: Dict[str, str]) -> Optional[List[str]]:
    candidates = [explicit] if explicit else [
        str(Path(sys.executable).parent / "poetry"),
        shutil.which("poetry") or "",
        "/tmp/bench-tools/bin/poetry",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            done = subprocess.run([candidate, "export", "--help"], capture_output=True,
                                  text=True, env=env, check=False)
            if done.returncode == 0:
                return [candidate]
    return None


def tool_env(workdir: Path) -> Dict[str, str]:
    """No user config, caches of our own, never the network (timing.clean_environ)."""
    env = clean_environ(("UV_", "POETRY_", "PIP_"))
    env.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(workdir / "uv-cache"),
        UV_OFFLINE="1",
        UV_PYTHON_DOWNLOADS="never",
        POETRY_CACHE_DIR=str(workdir / "poetry-cache"),
        POETRY_CONFIG_DIR=str(workdir / "poetry-config"),
        POETRY_NO_INTERACTION="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


def poetry_content_hash(poetry: List[str], directory: Path) -> Optional[str]:
    """Poetry's own content-hash for a generated pyproject.toml, so `poetry export` accepts it."""
    try:
        shebang = Path(poetry[0]).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    python = shebang[2:].strip() if shebang.startswith("#!") else sys.executable
    code = (
        "import sys; from pathlib import Path; from poetry.factory import Factory;"
        "print(Factory().create_poetry(Path(sys.argv[1])).locker._get_content_hash())"
    )
    done = subprocess.run([python, "-c", code, str(directory)], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def version_of(argv: List[str], env: Dict[str, str]) -> str:
    done = subprocess.run(argv + ["--version"], capture_output=True, text=True, env=env,
                          check=False)
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout else "?"


# ---------------------------------------------------------------- measuring


@dataclass
class Row:
    case: Case
    chef: Runs
    uv: Optional[Runs]
    poetry: Optional[Runs]


def chef_command(case: Case, workdir: Path, env: Dict[str, str], frozen: bool) -> Command:
    recipe = workdir / "recipes" / (case.label.replace("/", "_").replace(" ", "_") + ".json")
    recipe.parent.mkdir(parents=True, exist_ok=True)
    argv = chef_argv() + ["prepare", "--recipe-path", str(recipe)] + case.chef_args
    return Command("chef", argv + (["--frozen"] if frozen else []), env=env)


def bench_case(case: Case, workdir: Path, env: Dict[str, str], runs: int, uv: Optional[str],
               poetry: Optional[List[str]]) -> Row:
    chef = chef_command(case, workdir, env, frozen=False)
    _, _, _, code, tail = run_once(chef)
    if code != 0 and "outside the project directory" in tail and case.root is not None:
        # a path dependency beside the project: the build context is the repository
        rel = case.directory.relative_to(case.root).as_posix()
        case.chef_args = ["--project-dir", str(case.root), "--subdir", rel] + case.chef_args[2:]
        case.note = f"--subdir {rel}"
        chef = chef_command(case, workdir, env, frozen=False)
        _, _, _, code, tail = run_once(chef)
    if code == 5:  # a stale lock: time prepare --frozen and say so
        chef = chef_command(case, workdir, env, frozen=True)
        case.note = "; ".join(filter(None, [case.note, "stale lock, timed with --frozen"]))
    elif code != 0:
        last = tail.splitlines()[-1] if tail else f"exit {code}"
        return Row(case, Runs(failure=last), None, None)
    commands = [chef]
    if case.kind == "uv" and uv:
        commands.append(Command("uv", [uv, "export", "--frozen", "--no-emit-project", "--offline",
                                       "--quiet"], cwd=case.directory, env=env))
    if case.kind == "poetry" and poetry:
        commands.append(Command("poetry", poetry + ["export", "--format", "requirements.txt"],
                                cwd=case.directory, env=env))
    results = measure(commands, runs)
    return Row(case, results["chef"], results.get("uv"), results.get("poetry"))


# ---------------------------------------------------------------- reporting


def _kb(path: Path) -> str:
    return f"{path.stat().st_size / 1024:.0f}"


def startup_table(workdir: Path, env: Dict[str, str], runs: int, uv: Optional[str]) -> str:
    """`chef --help`, and prepare on a small hand-shaped uv project (17 locked packages, markers
    spelled differently in pyproject.toml and uv.lock, as in most projects)."""
    small = synth.write_small_uv_project(workdir / "small-app")
    recipe = workdir / "small-app.recipe.json"
    commands = [
        Command("help", chef_argv() + ["--help"], env=env),
        Command("chef", chef_argv() + ["prepare", "--project-dir", str(small), "--recipe-path",
                                       str(recipe)], env=env),
    ]
    if uv:
        commands.append(Command("uv", [uv, "export", "--frozen", "--no-emit-project",
                                       "--offline", "--quiet"], cwd=small, env=env))
    results = measure(commands, runs)
    rows = []
    for name, what in (("help", "chef --help"), ("chef", "chef prepare, small uv project"),
                       ("uv", "uv export, same project")):
        if name in results:
            r = results[name]
            rows.append([what, fmt_ms(r), f"{r.cpu_ms:.0f}" if r.ok else "—",
                         f"{r.peak_mib:.0f}" if r.ok else "—", r.failure or ""])
    return table(["command", "wall ms", "cpu ms", "peak MiB", "note"], rows)


def results_table(rows: List[Row]) -> str:
    body = []
    for row in rows:
        c = row.case
        if not row.chef.ok:
            body.append([c.label, c.kind, str(c.packages), _kb(c.lock), "—", "—", "—", "—", "—",
                         "—", "—", f"chef cannot read it yet: {row.chef.failure}"])
            continue
        uv = row.uv or Runs(failure="n/a")
        po = row.poetry or Runs(failure="n/a")
        notes = [c.note] if c.note else []
        for name, runs in (("uv export", row.uv), ("poetry export", row.poetry)):
            if runs is not None and runs.failure:
                notes.append(f"{name}: {runs.failure}")
        body.append([
            c.label, c.kind, str(c.packages), _kb(c.lock),
            fmt_ms(row.chef), f"{row.chef.cpu_ms:.0f}", f"{row.chef.peak_mib:.0f}",
            fmt_ms(uv), fmt_ratio(row.chef, uv), fmt_ms(po), fmt_ratio(row.chef, po),
            "; ".join(notes),
        ])
    return table(
        ["lock", "format", "packages", "KiB", "chef prepare ms", "cpu ms", "peak MiB",
         "uv export ms", "chef/uv", "poetry export ms", "chef/poetry", "note"],
        body,
    )


def growth_table(rows: List[Row], kind: str) -> str:
    points = [(r.case.packages, r.chef.median_ms) for r in rows
              if r.case.kind == kind and r.case.label.startswith("synthetic") and r.chef.ok]
    if len(points) < 2:
        return f"(not enough {kind} sizes chef could read)"
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    slope, intercept = _fit(xs, ys)
    mean = statistics.fmean(ys)
    ss_tot = sum((y - mean) ** 2 for y in ys)
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    body = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        body.append([f"{x0} → {x1}", f"{(y1 - y0) / (x1 - x0) * 1000:.0f}"])
    lines = [table(["packages", "chef ms per 1000 more packages"], body), ""]
    lines.append(
        f"Least-squares line over {len(points)} sizes: {intercept:.0f} ms + {slope * 1000:.0f} ms "
        f"per 1000 packages, R² = {r2:.4f} (1 is a straight line)."
    )
    return "\n".join(lines)


def _fit(xs: List[int], ys: List[float]) -> Tuple[float, float]:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope, my - slope * mx


def toml_table(files: List[Path], pythons: List[str]) -> str:
    """In-process parse time of each TOML reader each interpreter has, on the same files."""
    code = r"""
import sys, time, statistics, importlib
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    for name in ("toml_rs", "tomli", "tomllib", "rtoml"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        loads = mod.loads
        if name == "toml_rs":  # as chef runs it
            loads = lambda t, f=mod.loads: f(t, toml_version="1.0.0")  # noqa: E731
        times = []
        for _ in range(7):
            start = time.perf_counter(); loads(text); times.append(time.perf_counter() - start)
        if name == "tomli":
            name += " (pure Python)" if mod.__file__.endswith(".py") else " (compiled)"
        print(path, name, statistics.median(times) * 1000, sep="\t")
"""
    seen: Dict[Tuple[str, str], float] = {}
    for python in pythons:
        done = subprocess.run([python, "-c", code] + [str(f) for f in files],
                              capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            path, name, ms = line.split("\t")
            seen.setdefault((path, name), float(ms))
    names = sorted({n for _, n in seen})
    body = []
    for f in files:
        row = [f"{f.parent.name}/{f.name}", _kb(f)]
        row += [f"{seen[(str(f), n)]:.0f}" if (str(f), n) in seen else "—" for n in names]
        body.append(row)
    return table(["file", "KiB"] + [f"{n} ms" for n in names], body)


_IMPORT_STEPS = (
    ("the interpreter (`site` included)", "import os"),
    ("+ click", "import click, os"),
    ("+ packaging (markers, specifiers, requirements)",
     "import click, packaging.markers, packaging.specifiers, packaging.requirements, os"),
    ("+ chef's modules for a uv prepare, toml_rs",
     "import chef.cli, chef.prepare, chef.detect, chef.readers.uv_lock, chef.freshness, "
     "chef.freshness.uv, chef.recipe, chef.jsonout, chef.toml, packaging.markers, "
     "packaging.requirements, os"),
)

# What the CLI layer costs in context: most of what `import click` loads (inspect, enum, typing,
# re, ...) chef's own modules and packaging load anyway, so the "+ click" step above overstates it.
_LIBRARY_CALL = r"""
import gc, os, sys
gc.disable()
from pathlib import Path
from chef.prepare import prepare_to_file
prepare_to_file(Path(sys.argv[1]), Path(sys.argv[2]))
if "click" in sys.modules:
    sys.exit("click was imported")
sys.stdout.flush()
os._exit(0)
"""

_PHASES = r"""
import gc, statistics, sys, time
from pathlib import Path
gc.disable()
import chef.cli, chef.jsonout
from chef import toml
from chef.detect import read_project
from chef.recipe import dumps, from_project
from chef.select import Selection
from chef.freshness import ensure_fresh
root = Path(sys.argv[1])
times = {}
for _ in range(7):
    toml._CACHE.clear()
    t0 = time.perf_counter()
    toml.load_toml(root / "uv.lock", "uv.lock"); toml.load_toml(root / "pyproject.toml", "p")
    t1 = time.perf_counter()
    project, _ = read_project(root, None, ())
    t2 = time.perf_counter()
    ensure_fresh(root, project.manager, where=".")
    t3 = time.perf_counter()
    recipe = from_project(project, Selection(), "uv.lock")
    t4 = time.perf_counter()
    dumps(recipe)
    t5 = time.perf_counter()
    for name, a, b in (("parse", t0, t1), ("read", t1, t2), ("fresh", t2, t3),
                       ("recipe", t3, t4), ("json", t4, t5)):
        times.setdefault(name, []).append((b - a) * 1000)
for name, values in times.items():
    print(name, statistics.median(values), sep="	")
"""


def breakdown_table(lock_dir: Path, env: Dict[str, str], runs: int) -> str:
    """Where a prepare's time goes: start-up and imports as whole-process differences
    (`python -c "import ...; os._exit(0)"`, in turn), then chef's own work in-process (medians
    of 7, after the imports; the parse with chef's TOML reader, files read again each time)."""
    python = str(Path(chef_argv()[0]).parent / "python")  # chef's venv (install_chef)
    commands = [Command(what, [python, "-c", code + "; os._exit(0)"], env=env)
                for what, code in _IMPORT_STEPS]
    recipe = lock_dir.parent / (lock_dir.name + ".breakdown.json")
    commands.append(Command("chef prepare", chef_argv() + [
        "prepare", "--project-dir", str(lock_dir), "--recipe-path", str(recipe)], env=env))
    commands.append(Command("library call", [
        python, "-c", _LIBRARY_CALL, str(lock_dir), str(recipe) + ".lib"], env=env))
    results = measure(commands, runs)
    rows: List[List[str]] = []
    before = 0.0
    for what, _ in _IMPORT_STEPS:
        r = results[what]
        if not r.ok:
            rows.append([what, "—", r.failure or ""])
            continue
        rows.append([what, f"{r.median_ms - before:.0f}", f"whole process {r.median_ms:.0f}"])
        before = r.median_ms
    done = subprocess.run([python, "-c", _PHASES, str(lock_dir)], capture_output=True,
                          text=True, env=env, check=False)
    labels = {"parse": "parse uv.lock and pyproject.toml", "read": "read them into the model",
              "fresh": "freshness check", "recipe": "walk the graph into the recipe",
              "json": "write the JSON"}
    for line in done.stdout.splitlines():
        name, ms = line.split("\t")
        rows.append([labels.get(name, name), f"{float(ms):.1f}", "in-process"])
    whole = results["chef prepare"]
    rows.append(["whole `chef prepare`", fmt_ms(whole), "whole process"])
    library = results["library call"]
    how = library.failure or "whole process"
    if library.ok and recipe.read_bytes() != Path(str(recipe) + ".lib").read_bytes():
        how = "a different recipe from the CLI's: a bug"
    rows.append(["the same prepare as a library call, click never imported",
                 fmt_ms(library) if library.ok else "—", how])
    return table(["part", "ms", "how"], rows)


_PURE_TOMLI = r"""
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
sys.modules["toml_rs"] = None
import tomli
assert tomli.__file__.startswith(sys.argv[1]), tomli.__file__  # the pyz's pure-Python tomli
text = open(sys.argv[2], encoding="utf-8").read()
times = []
for _ in range(7):
    start = time.perf_counter(); tomli.loads(text); times.append(time.perf_counter() - start)
print(statistics.median(times) * 1000)
"""


_CHEF_PARSE = r"""
import statistics, sys, time
from chef import toml
text = open(sys.argv[1], encoding="utf-8").read()
times = []
for _ in range(7):
    start = time.perf_counter()
    toml._parse(text, "uv.lock")
    times.append(time.perf_counter() - start)
print(toml.READER_NAME, statistics.median(times) * 1000)
"""


def pyz_table(pyz: Path, workdir: Path, env: Dict[str, str], runs: int,
              cases: List[Case]) -> str:
    """The installed chef, chef.pyz unpacked with compiled bytecode (as Dockerfile.example runs
    it) and `python3 chef.pyz` (the single file, compiling every module it imports on every
    run), in turn, on the same projects; the pyz runs under a python3 with an empty
    site-packages, as in a base image."""
    python = bare_python(workdir)
    unpacked = unpack_pyz(pyz, python, workdir / "chef-pyz-unpacked")
    variants = (("installed", chef_argv()), ("unpacked", [python, str(unpacked)]),
                ("pyz", [python, str(pyz)]))
    rows: List[List[str]] = []
    help_runs = measure([Command(n, argv + ["--help"], env=env) for n, argv in variants], runs)
    rows.append(["`chef --help`"] + [fmt_ms(help_runs[n]) for n, _ in variants]
                + [fmt_ratio(help_runs["pyz"], help_runs["installed"]), ""])
    for case in cases:
        recipes = {n: workdir / "pyz-recipes" / f"{n}-{case.kind}-{case.packages}.json"
                   for n, _ in variants}
        recipes["installed"].parent.mkdir(parents=True, exist_ok=True)
        args = ["prepare"] + case.chef_args
        probe = workdir / "pyz-recipes" / "probe.json"
        if run_once(Command("probe", chef_argv() + args + ["--recipe-path", str(probe)],
                            env=env))[3] == 5:
            args.append("--frozen")  # a synthetic poetry.lock without poetry's content-hash
        commands = [Command(n, argv + args + ["--recipe-path", str(recipes[n])], env=env)
                    for n, argv in variants]
        results = measure(commands, runs)
        same = len({recipes[n].read_bytes() for n, _ in variants if recipes[n].exists()}) == 1
        rows.append([case.label] + [fmt_ms(results[n]) for n, _ in variants]
                    + [fmt_ratio(results["pyz"], results["installed"]),
                       "same recipe" if same else "**recipes differ: a bug**"])
    lines = [table(["case", "installed chef ms", "chef.pyz unpacked, bytecode compiled ms",
                    "python3 chef.pyz ms", "pyz / installed", "note"], rows), ""]
    uv = [c for c in cases if c.kind == "uv" and c.label.startswith("synthetic")]
    if uv:
        lock = max(uv, key=lambda c: c.packages).lock
        done = subprocess.run([python, "-c", _PURE_TOMLI, str(pyz), str(lock)],
                              capture_output=True, text=True, env=env, check=False)
        reader = subprocess.run([sys.executable, "-c", _CHEF_PARSE, str(lock)],
                                capture_output=True, text=True, env=env, check=False)
        if done.returncode == 0:
            installed = reader.stdout.split()
            installed_text = (f"; the installed chef's reader ({installed[0]}): "
                              f"{float(installed[1]):.0f} ms") if len(installed) == 2 else ""
            lines.append(f"Parsing the {max(c.packages for c in uv)}-package uv.lock "
                         f"({lock.stat().st_size // 1024} KiB) in-process, median of 7: the pyz's "
                         f"pure-Python tomli {float(done.stdout):.0f} ms{installed_text}.")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="counted runs per command (10)")
    parser.add_argument("--sizes", default="100,500,1500,5000")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--poetry", default=None, help="path of a poetry with the export plugin")
    parser.add_argument("--toml-python", action="append", default=[],
                        help="another interpreter to time TOML readers in (e.g. one with rtoml)")
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    pyz = parser.add_mutually_exclusive_group()
    pyz.add_argument("--pyz", type=Path, default=None, help="time this chef.pyz")
    pyz.add_argument("--pyz-wheels", type=Path, default=None, metavar="DIR",
                     help="build chef.pyz offline from the pinned wheels in DIR")
    pyz.add_argument("--no-pyz", action="store_true", help="leave chef.pyz out")
    parser.add_argument("--pyz-only", action="store_true",
                        help="only the chef.pyz table (small project, the sizes nearest 1500)")
    parser.add_argument("--against", default=None, metavar="REV",
                        help="only the table of this tree against commit REV (bench/compare.py)")
    args = parser.parse_args(argv)
    if args.against is not None:
        import compare

        print(compare.compare(args.against, args.runs, [int(s) for s in args.sizes.split(",")
                                                        if s]), flush=True)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]

    workdir = Path(tempfile.mkdtemp(prefix="chef-bench-prepare-"))
    try:
        install_chef(workdir)
        env = tool_env(workdir)
        uv = find_uv()
        poetry = find_poetry(args.poetry, env)
        out: List[str] = ["## chef prepare", "", f"Machine: {machine()}."]
        versions = [f"uv: {version_of([uv], env) if uv else 'not found'}",
                    f"poetry: {version_of(poetry, env) if poetry else 'not found'}"]
        reader = subprocess.run([sys.executable, "-c",
                                 "from chef import toml; print(toml.READER_NAME)"],
                                capture_output=True, text=True, check=False).stdout.strip()
        versions.append(f"chef TOML reader: {reader or '?'}")
        pyz_file: Optional[Path] = None
        if not args.no_pyz:
            pyz_file = args.pyz or build_pyz(workdir, args.pyz_wheels)
            versions.append(f"chef.pyz: {pyz_file.stat().st_size // 1024} KiB, pure-Python "
                            "tomli, run by a python3 with an empty site-packages")
        out += ["; ".join(versions) + ".", f"Median of {args.runs} runs after one warm-up, "
                "whole processes, the commands in turn; ± is half the interquartile range.", ""]
        print("\n".join(out), flush=True)

        if pyz_file is not None:
            small = synth.write_small_uv_project(workdir / "small-app-pyz")
            pyz_cases = [Case("small uv project (17 packages)", "uv", small, small / "uv.lock",
                              17, ["--project-dir", str(small)])]
            nearest = min(sizes, key=lambda n: abs(n - 1500))
            pyz_cases += synthetic_cases(workdir / "pyz", [nearest], poetry)
            pyz_section = ["### chef.pyz next to the installed chef", "",
                           pyz_table(pyz_file, workdir, env, args.runs, pyz_cases), ""]
            print("\n".join(pyz_section), flush=True)
            if args.pyz_only:
                if args.out:
                    args.out.write_text("\n".join(out + pyz_section), encoding="utf-8")
                return 0

        startup = startup_table(workdir, env, args.runs, uv)
        print(startup, flush=True)

        cases: List[Case] = []
        if not args.no_corpus and args.corpus.is_dir():
            cases += corpus_cases(args.corpus)
        cases += synthetic_cases(workdir, sizes, poetry)
        rows: List[Row] = []
        for case in cases:
            rows.append(bench_case(case, workdir, env, args.runs, uv, poetry))
            r = rows[-1]
            print(f"  {case.label}: chef {fmt_ms(r.chef)} ms"
                  + (f", uv export {fmt_ms(r.uv)} ms" if r.uv else "")
                  + (f", poetry export {fmt_ms(r.poetry)} ms" if r.poetry else ""),
                  file=sys.stderr, flush=True)

        corpus_rows = [r for r in rows if not r.case.label.startswith("synthetic")]
        synthetic_rows = [r for r in rows if r.case.label.startswith("synthetic")]
        sections = ["### Start-up: `chef --help` and a small project", "", startup, ""]
        if corpus_rows:
            sections += ["### Corpus locks", "", results_table(corpus_rows), ""]
        sections += ["### Synthetic locks", "", results_table(synthetic_rows), ""]
        for kind in ("uv", "poetry"):
            sections += [f"### Growth with lock size ({kind}.lock)", "",
                         growth_table(rows, kind), ""]
        biggest = sorted((r.case.lock for r in synthetic_rows if r.case.kind == "uv"),
                         key=lambda p: p.stat().st_size)
        toml_files = biggest[-2:] + sorted(
            (r.case.lock for r in corpus_rows if r.case.kind == "uv"),
            key=lambda p: p.stat().st_size)[-1:]
        sections += ["### TOML readers, parse only (in-process, median of 7)", "",
                     toml_table(toml_files, [sys.executable] + args.toml_python), ""]
        mid = [r.case for r in synthetic_rows if r.case.kind == "uv"]
        if mid:
            case = min(mid, key=lambda c: abs(c.packages - 1500))
            sections += [f"### Where the time goes: synthetic uv.lock, {case.packages} packages",
                         "", breakdown_table(case.directory, env, args.runs), ""]
        if pyz_file is not None:
            sections += pyz_section
        text = "\n".join(sections)
        print(text)
        if args.out:
            args.out.write_text("\n".join(out) + "\n" + text, encoding="utf-8")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
