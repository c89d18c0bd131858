"""The recipe is byte-identical across machines: two Python versions (the running one and the
nearest other one this machine has, see tests/pythons.py), different working
directories and absolute paths, locales, PYTHONHASHSEED, time zones, users, and directory
listings in any order; and "runner B", another user (nobody) running the system's Python on its
own checkout path with another HOME, locale and time zone. This is what lets a registry-backed
BuildKit cache hit across CI runners (tests/docker show the hit itself).

Every project is prepared once per variant through the command line (`chef prepare --stdout`);
the exit code and the bytes on stdout must be equal to the reference run's (an error must be
just as deterministic as a recipe).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from badinput_helpers import refresh_hashes
from conftest import CORPUS, needs_corpus, write
from pythons import Interpreter, others

from chef.errors import ChefError
from chef.prepare import prepare

REPO = Path(__file__).resolve().parents[2]
DEPENDENCIES = ("click", "packaging", "tomlkit", "tomli")

# Corpus projects (entry, project dir inside it, extra prepare arguments).
CORPUS_PROJECTS = [
    ("microsoft__autogen", "python", ["--all-groups"]),
    ("pydantic__pydantic", ".", ["--group", "dev"]),
    ("mozilla-services__socorro", ".", []),
    ("wemake-services__wemake-python-styleguide", ".", ["--all-extras"]),
    ("bentoml__BentoML", ".", ["--all-groups"]),
    ("bridgecrewio__checkov", ".", ["--frozen"]),  # stored Pipfile: see tests/stale
    ("nonebot__nonebot2", ".", ["--all-groups"]),
    ("openedx__credentials", ".", ["-r", "requirements/production.txt"]),
    ("pyinstaller__pyinstaller", ".", []),
    ("Qiskit__qiskit", ".", ["--all-groups"]),
]


# ---------------------------------------------------------------- projects


def _requirements_project(root: Path) -> Path:
    write(root / "requirements.txt", "-r requirements/base.txt\n-c requirements/c.txt\n"
                                     "--find-links wheels\ngamma[fast]; os_name != 'nt'\n")
    write(root / "requirements" / "base.txt", "alpha>=1\n-r more/extra.txt\nBeta~=1.0\n")
    write(root / "requirements" / "more" / "extra.txt", "epsilon\nzeta==1.0\n")
    write(root / "requirements" / "c.txt", "alpha<3\n")
    (root / "wheels").mkdir()
    return root


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, index) -> Dict[str, Tuple[Path, List[str]]]:  # type: ignore[no-untyped-def]
    from projects import make_locked_app
    from workspace import git_package, make_workspace

    base = tmp_path_factory.mktemp("determinism")
    out: Dict[str, Tuple[Path, List[str]]] = {
        "uv app": (make_locked_app(base / "app", index.url), ["--all-extras", "--all-groups"]),
        "uv workspace": (make_workspace(base / "ws", index.url, git_package(base / "gitpkg")),
                         []),
        "requirements": (_requirements_project(base / "req"), []),
    }
    import lockfixtures

    for name, writer in sorted(lockfixtures.WRITERS.items()):
        root = base / name
        writer(root, lockfixtures.Scenario())
        refresh_hashes(root)
        out[name] = (root, ["--all-extras", "--all-groups"] if name != "pylock" else [])
    if CORPUS.is_dir():  # without it, test_corpus_projects_take_part says so (skipped)
        for entry, rel, args in CORPUS_PROJECTS:
            assert (CORPUS / entry / rel).is_dir(), f"{entry}/{rel} is not in the corpus"
            out[f"corpus {entry}"] = (CORPUS / entry / rel, args)
    return out


@needs_corpus
def test_corpus_projects_take_part(projects: Dict[str, Tuple[Path, List[str]]]) -> None:
    """The real projects are among those compared (the fixture adds them only when the corpus
    is there: its absence is this skip, not a silently smaller test)."""
    assert {f"corpus {entry}" for entry, _, _ in CORPUS_PROJECTS} <= set(projects)


# ---------------------------------------------------------------- running chef


@pytest.fixture(scope="module")
def other_python(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Interpreter, str]:
    """(interpreter, PYTHONPATH) running this repo's chef on another Python version than the
    running one: the nearest one found that can import chef with the test venv's pure-Python
    dependencies. Skips only when this machine has none, naming what was searched."""
    deps = tmp_path_factory.mktemp("other-python-deps")
    for name in DEPENDENCIES:
        module = __import__(name)
        (deps / name).symlink_to(Path(module.__file__).parent)  # their pure-Python parts
    path = os.pathsep.join([str(REPO), str(deps)])
    candidates, search = others()
    rejected: List[str] = []
    for interpreter in candidates:
        done = subprocess.run(
            [interpreter.path, "-c", "import chef.cli, chef.prepare"],
            env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, check=False,
        )
        if done.returncode == 0:
            return interpreter, path
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        rejected.append(f"{interpreter} cannot import chef: {last}")
    pytest.skip(
        f"no Python other than {sys.version.split()[0]} that runs chef on this machine "
        f"({search.describe()}{'; ' if rejected else ''}{'; '.join(rejected)})"
    )


@pytest.fixture(scope="module")
def runner_b() -> Iterator[Tuple[List[str], Path, str]]:
    """(argv prefix, a world-readable scratch directory, PYTHONPATH) of "another CI runner": an
    unprivileged user (nobody) running the system's Python on a copy of the checkout's files.
    Needs root (to become nobody), setpriv, and a system python3 outside root's home (pyenv's
    live under /root, which nobody cannot enter)."""
    import tempfile

    system = shutil.which("python3", path="/usr/bin:/bin")
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv or not system:
        pytest.skip("runner B needs root, setpriv and /usr/bin/python3 "
                    f"(euid {os.geteuid()}, setpriv {setpriv}, python3 {system})")
    scratch = Path(tempfile.mkdtemp(prefix="chef-runner-b-"))
    try:
        scratch.chmod(0o755)
        deps = scratch / "site"
        deps.mkdir()
        for name in DEPENDENCIES:  # their pure-Python sources, readable by everyone
            shutil.copytree(Path(__import__(name).__file__).parent, deps / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        shutil.copytree(REPO / "chef", scratch / "checkout" / "chef",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for path in [scratch, *scratch.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", system]
        yield prefix, scratch, os.pathsep.join([str(scratch / "checkout"), str(deps)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(
    project: Path,
    args: List[str],
    *,
    python: str = sys.executable,
    prefix: Optional[List[str]] = None,
    cwd: Optional[Path] = None,
    env: Optional[Dict[str, str]] = None,
    relative: bool = False,
) -> Tuple[int, str, str]:
    cwd = cwd or REPO
    target = os.path.relpath(project, cwd) if relative else str(project)
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    full.update({"PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"})
    full.pop("CHEF_TOML_READER", None)
    full.update(env or {})
    done = subprocess.run(
        [*(prefix or [python]), "-m", "chef", "prepare", "--stdout", "--project-dir", target,
         *args],
        cwd=cwd, env=full, capture_output=True, text=True, encoding="utf-8", check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _same(reference: Tuple[int, str, str], other: Tuple[int, str, str], what: str) -> None:
    assert other[0] == reference[0], f"{what}: exit {other[0]} != {reference[0]}: {other[2]}"
    if reference[0] == 0:
        assert other[1] == reference[1], f"{what}: the recipe differs"
    else:  # the same error, wherever it was produced (paths in it are relative)
        assert other[2].splitlines()[-1:] == reference[2].splitlines()[-1:], what


def _relocated(project: Path, tmp: Path) -> Path:
    """The project at another absolute path (with spaces and non-ASCII), same relative layout."""
    target = tmp / "another place ü" / "x" / project.name
    shutil.copytree(project, target, symlinks=True)
    return target


def test_recipes_are_identical_across_machines(
    projects: Dict[str, Tuple[Path, List[str]]],
    other_python: Tuple[Interpreter, str],
    runner_b: Tuple[List[str], Path, str],
    tmp_path: Path,
) -> None:
    failures: List[str] = []
    recipes = 0
    interpreter, path = other_python
    other = f"Python {interpreter.full_version}"
    for name, (project, args) in sorted(projects.items()):
        reference = run(project, args)
        variants: List[Tuple[str, Tuple[int, str, str]]] = []
        variants.append((other, run(project, args, python=interpreter.path,
                                    env={"PYTHONPATH": path})))
        if interpreter.version >= (3, 11):  # tomllib is in the standard library from 3.11
            variants.append((f"{other}, tomllib", run(project, args, python=interpreter.path, env={
                "PYTHONPATH": path, "CHEF_TOML_READER": "tomllib"})))
        variants.append(("compiled tomli instead of toml_rs", run(project, args, env={
            "CHEF_TOML_READER": "tomli"})))
        moved = _relocated(project, tmp_path / name.replace(" ", "-"))
        variants.append(("another path, relative --project-dir", run(
            moved, args, cwd=moved.parent.parent, relative=True)))
        variants.append(("from inside the project, --project-dir .", run(
            moved, args, cwd=moved, relative=True)))
        variants.append(("locale tr_TR, hash seed 1, TZ, user", run(project, args, env={
            "LC_ALL": "tr_TR.UTF-8", "LANG": "tr_TR.UTF-8", "PYTHONHASHSEED": "1",
            "TZ": "Asia/Kathmandu", "USER": "someone-else", "HOME": str(tmp_path)})))
        variants.append(("C locale, random hash seed", run(project, args, env={
            "LC_ALL": "C", "PYTHONHASHSEED": "random", "PYTHONIOENCODING": ""})))
        # Runner B: its own checkout path, another user with another HOME, locale and time
        # zone, the system's Python build, chef's pure-Python TOML reader.
        prefix, scratch, path_b = runner_b
        checkout = scratch / "builds" / "runner-b" / name.replace(" ", "-") / project.name
        shutil.copytree(project, checkout, symlinks=True)
        for item in [checkout, *checkout.rglob("*")]:
            if not item.is_symlink():
                item.chmod(0o755 if item.is_dir() else 0o644)
        for parent in checkout.parents:
            if parent == scratch:
                break
            parent.chmod(0o755)
        variants.append(("runner B: nobody, /usr/bin/python3, another checkout, HOME, locale",
                         run(checkout, args, prefix=prefix, cwd=checkout.parent, relative=True,
                             env={"PYTHONPATH": path_b, "HOME": "/nonexistent", "USER": "nobody",
                                  "LOGNAME": "nobody", "LC_ALL": "C", "LANG": "de_DE.UTF-8",
                                  "TZ": "Pacific/Chatham", "CHEF_TOML_READER": "tomli"})))
        for what, result in variants:
            try:
                _same(reference, result, f"{name}: {what}")
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
        if reference[0] == 0:
            assert str(project) not in reference[1] and str(moved) not in reference[1]
            recipes += 1
    assert not failures, "\n".join(failures)
    assert recipes >= len(projects) - 2, "most projects must prepare (not only fail alike)"


# ---------------------------------------------------------------- listing order


@contextlib.contextmanager
def reversed_listings() -> Iterator[None]:
    """Every way chef could list a directory returns entries in reverse order."""
    real_listdir, real_scandir, real_glob = os.listdir, os.scandir, glob.glob
    real_iglob, real_iterdir = glob.iglob, Path.iterdir

    def listdir(path: Any = ".") -> List[str]:
        return sorted(real_listdir(path), reverse=True)

    class Scandir:
        def __init__(self, path: Any = ".") -> None:
            with real_scandir(path) as entries:
                self.entries = sorted(entries, key=lambda e: e.name, reverse=True)

        def __iter__(self) -> Iterator[Any]:
            return iter(self.entries)

        def __enter__(self) -> Scandir:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def close(self) -> None:
            pass

    def glob_(*a: Any, **k: Any) -> List[str]:
        return sorted(real_glob(*a, **k), reverse=True)

    def iglob(*a: Any, **k: Any) -> Iterator[str]:
        return iter(sorted(real_iglob(*a, **k), reverse=True))

    def iterdir(self: Path) -> Iterator[Path]:
        return iter(sorted(real_iterdir(self), reverse=True))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "listdir", listdir)
        patch.setattr(os, "scandir", Scandir)
        patch.setattr(glob, "glob", glob_)
        patch.setattr(glob, "iglob", iglob)
        patch.setattr(Path, "iterdir", iterdir)
        yield


def _in_process(project: Path, args: List[str]) -> str:
    from chef.select import Selection

    requirements: List[str] = []
    selection: Dict[str, object] = {}
    frozen = "--frozen" in args
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-r":
            requirements.append(args[i + 1])
            i += 1
        elif arg == "--group":
            selection.setdefault("groups", ())
            selection["groups"] = (*selection["groups"], args[i + 1])  # type: ignore[misc]
            i += 1
        elif arg in ("--all-groups", "--all-extras"):
            selection[arg[2:].replace("-", "_")] = True
        i += 1
    try:
        return prepare(project, requirements=requirements, frozen=frozen,
                       selection=Selection(**selection)).text  # type: ignore[arg-type]
    except ChefError as exc:  # the same error either way is fine; compare its text
        return f"error: {exc}"


def test_listing_order_does_not_matter(projects: Dict[str, Tuple[Path, List[str]]]) -> None:
    from chef import toml

    expected = {}
    for name, (project, args) in sorted(projects.items()):
        toml._CACHE.clear()
        expected[name] = _in_process(project, args)
    with reversed_listings():
        assert os.listdir(REPO) == sorted(os.listdir(REPO), reverse=True)  # patched
        for name, (project, args) in sorted(projects.items()):
            toml._CACHE.clear()
            assert _in_process(project, args) == expected[name], name
