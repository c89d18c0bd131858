"""Oracles: what chef would install equals what each manager's own exporter says it installs.

For every lock in the corpus (../shared/corpus) and in fixtures written here, for the main-only
and the all-groups/all-extras selections, for the running interpreter's marker environment (or
the lowest Python the project accepts, when it excludes the running one): chef's plan and the
exporter's requirements must name the same packages, versions (or URLs) and hashes.

- uv.lock: `uv export --frozen --offline --no-emit-project --no-emit-workspace`
- poetry.lock: `poetry export` (poetry-plugin-export)
- pdm.lock: `pdm export` (pdm refuses to export hashes when one package has none, a VCS or a
  local path package: then `--no-hashes`, and the hashes are read from pdm.lock, see
  pdm_lock_hashes)
- Pipfile.lock: `pipenv requirements --hash`
- pylock.toml: PEP 751's reference selection, `packaging.pylock.Pylock.select`

An exporter that fails is a test failure, except where KNOWN below records why it fails on that
lock (its expected message, checked: a different failure, or none, fails the test) and how the
test compares with the manager instead; a lock the manager refuses as stale must be refused by
chef too (StaleLockError, exit 5). A summary table is printed at the end of the session.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

import pytest
from conftest import CORPUS, corpus_params, needs_corpus
from lockfixtures import WRITERS, Scenario, poetry_project
from oracle import (
    ALL,
    DEFAULT,
    ExporterFailed,
    Packages,
    chef_packages,
    diff,
    environment_for,
    parse_export,
    pylock_packages,
    run_exporter,
    tool,
    within,
)
from pythons import accepting, marker_environment

from chef.detect import read_project
from chef.errors import EXIT_STALE, ChefError, StaleLockError
from chef.model import Project
from chef.select import Selection

LOCK_NAMES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
MANAGER_OF = {"uv.lock": "uv", "poetry.lock": "poetry", "pdm.lock": "pdm", "Pipfile.lock": "pipenv"}
SELECTIONS = {"default": DEFAULT, "all": ALL}

pytestmark = pytest.mark.slow


def _manager(lock: str) -> str:
    name = lock.rsplit("/", 1)[-1]
    return MANAGER_OF.get(name, "pylock")


def corpus_locks() -> List[Tuple[str, str]]:
    """(entry, lock path) for every lock file in the corpus, from its MANIFEST."""
    manifest = CORPUS / "MANIFEST.toml"
    if not manifest.is_file():
        return []
    from chef.toml import load_toml

    out = []
    for entry, info in sorted(load_toml(manifest, "MANIFEST.toml")["entry"].items()):
        for path in info.get("files", []):
            name = path.rsplit("/", 1)[-1]
            if name in LOCK_NAMES or (name.startswith("pylock.") and name.endswith(".toml")):
                out.append((entry, path))
    return out


# ---------------------------------------------------------------- exporters that cannot run


# How the test compares with the manager when its exporter cannot run on a lock.
STALE = "stale"  # the manager refuses the lock: chef must refuse it too (StaleLockError, exit 5)
DRY_RUN = "poetry install --dry-run"  # poetry's installer reads the lock for one interpreter
OTHER_PYTHON = "a Python the project accepts"  # the same exporter, run with such an interpreter
NO_CONFLICT = "--no-extra mcp-tasks"  # the selection without the extra the lock conflicts with
GIT_REFERENCE = "git reference named"  # see name_git_references


@dataclass(frozen=True)
class Known:
    """Why an exporter fails on a corpus lock (a fact of the lock or of the manager, not of
    chef), the text it fails with, and how the test compares with the manager instead."""

    says: str  # a piece of the exporter's error message
    why: str
    instead: str
    # DRY_RUN only: what `poetry install` adds that the exporter's walker, which chef follows,
    # leaves out (see INSTALLER_ONLY).
    installer_only: FrozenSet[str] = frozenset()


# poetry install activates an optional dependency of `pkg[extra]` by name; poetry export's
# walker, which chef follows (chef/readers/poetry/lock.py `_extra_members`, docs/inputs.md), only when
# the [package.extras] entry equals the dependency as poetry-core parses it. uvicorn's
# `uvloop (>=0.14.0,!=0.15.0,!=0.15.1)` vs `>=0.14.0,<0.15.0 || >0.15.0,<0.15.1 || >0.15.1`,
# and virtualenv's (with distlib) under the same kind of spelling, differ there. Where the
# exporter runs (kserve's other locks, nonebot2) it leaves them out as chef does.
INSTALLER_ONLY = "optional dependencies poetry install activates by name"


_WALKER = Known(
    "Please relock with Poetry 2.0",
    "lock-version 2.0 locks urllib3 twice (1.26.x and 2.x, for different Pythons) without the "
    "per-dependency markers Poetry 2 writes; poetry-plugin-export's walker, which has no target "
    "environment, elects one version for both and gives up. poetry install, which solves for "
    "one interpreter, reads the lock",
    DRY_RUN,
)
_UNSTRACT = Known(
    "No Python that satisfies <3.11.1,>=3.9 is found",
    "requires-python >=3.9,<3.11.1 excludes the running interpreter, and pdm refuses to work on "
    "the project without one it accepts; pdm export itself reads only the lock",
    OTHER_PYTHON,
)
_STALE_POETRY = Known(
    "pyproject.toml changed significantly since poetry.lock was last generated",
    "a stale lock (MANIFEST.toml: poetry 2.5.1 check --lock fails): poetry refuses it",
    STALE,
)

_UVLOOP = frozenset({"uvloop"})

KNOWN: Dict[Tuple[str, str], Known] = {
    ("kserve__kserve:python/kserve/poetry.lock", "all"): replace(
        _WALKER, installer_only=frozenset({"uvloop", "virtualenv", "distlib"})),
    **{
        ("kserve__kserve:python/storage/poetry.lock", label): _WALKER for label in SELECTIONS
    },
    **{
        (f"kserve__kserve:python/{p}/poetry.lock", label): replace(_WALKER,
                                                                   installer_only=_UVLOOP)
        for p in ("sklearnserver", "huggingfaceserver")
        for label in SELECTIONS
    },
    ("nonebot__nonebot2:poetry.lock", "all"): Known(
        "Dependency walk failed at sphinx-markdown-builder",
        "Poetry 2 reads a git dependency without branch/tag/rev as the remote's HEAD; this 2021 "
        "lock (Poetry 1.1) recorded reference 'master' for sphinx-markdown-builder (dev), so no "
        "locked package matches offline (poetry install would clone the repository)",
        GIT_REFERENCE,
    ),
    ("pydantic__pydantic-ai:uv.lock", "all"): Known(
        "Group `dev` and extra `mcp-tasks` are incompatible with the declared conflicts",
        "[tool.uv] conflicts: the dev group and the mcp-tasks extras are never installed "
        "together; pydantic-ai's own CI passes --no-extra mcp-tasks with --all-extras",
        NO_CONFLICT,
    ),
    **{
        (f"Zipstack__unstract:{lock}", label): _UNSTRACT
        for lock in ("pdm.lock", "backend/pdm.lock")
        for label in SELECTIONS
    },
    **{
        (where, label): _STALE_POETRY
        for where in (
            "567-labs__instructor:poetry.lock",
            "nautobot__nautobot:examples/example_app/poetry.lock",
        )
        for label in SELECTIONS
    },
}


# ---------------------------------------------------------------- summary


class Summary:
    def __init__(self) -> None:
        self.rows: List[Tuple[str, str, str, str, str]] = []

    def add(self, where: str, manager: str, selection: str, packages: str, result: str) -> None:
        self.rows.append((where, manager, selection, packages, result))

    def render(self) -> List[str]:
        head = ("entry / lock", "manager", "selection", "packages", "result")
        rows = [head] + sorted(self.rows)
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["", "exporter oracles: chef vs the managers' own exporters"]
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return lines


class _SummaryPlugin:
    """Prints the table in pytest's terminal summary (after the tests, outside capture)."""

    def __init__(self, table: Summary) -> None:
        self.table = table

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.table.rows:
            for line in self.table.render():
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def summary(request: pytest.FixtureRequest) -> Iterator[Summary]:
    table = Summary()
    plugin = _SummaryPlugin(table)
    request.config.pluginmanager.register(plugin, "chef-oracle-summary")
    yield table


# ---------------------------------------------------------------- exporters


def exported(
    manager: str,
    lock_dir: Path,
    label: str,
    home: Path,
    env: Dict[str, str],
    extra_args: Sequence[str] = (),
    extra_env: Optional[Mapping[str, str]] = None,
) -> Tuple[Packages, str]:
    """The exporter's packages for the selection, and a note (how it was run). The packages
    always carry hashes to compare: an exporter that cannot give them is completed another way
    (pdm_lock_hashes), never compared on versions alone."""
    if manager == "uv":
        from chef.cook.installers import find_uv

        uv = find_uv()
        if uv is None:
            pytest.skip("uv is not installed (pip install -e '.[test]')")
        args = ["--all-groups", "--all-extras"] if label == "all" else ["--no-default-groups"]
        out = run_exporter(
            [
                uv,
                "export",
                "--frozen",
                "--offline",
                "--no-emit-project",
                "--no-emit-workspace",
                "--all-packages",
                "--format",
                "requirements.txt",
                "--no-header",
                *args,
                *extra_args,
            ],
            lock_dir,
            home,
            extra_env,
        )
        return parse_export(out, env).packages, ""
    exe = tool(manager)
    if exe is None:
        pytest.skip(f"{manager} is not installed (pip install -e '.[test]')")
    if manager == "poetry":
        args = ["--all-groups", "--all-extras"] if label == "all" else []
        out = run_exporter(
            [exe, "export", "-f", "requirements.txt", *args, *extra_args], lock_dir, home, extra_env
        )
        return parse_export(out, env).packages, ""
    if manager == "pdm":
        args = ["-G", ":all"] if label == "all" else ["--prod"]
        try:
            out = run_exporter(
                [exe, "export", "-f", "requirements", *args, *extra_args], lock_dir, home, extra_env
            )
            return parse_export(out, env).packages, ""
        except ExporterFailed as exc:
            if "Hash is not available" not in str(exc):
                raise
            hashless = _hashless_package(str(exc))
        out = run_exporter(
            [exe, "export", "-f", "requirements", "--no-hashes", *args, *extra_args],
            lock_dir,
            home,
            extra_env,
        )
        return (pdm_lock_hashes(parse_export(out, env).packages, lock_dir, hashless),
                "hashes from pdm.lock: pdm exports a lock with an unhashed package (VCS, a "
                "local path) only with --no-hashes")
    if manager == "pipenv":
        args: List[str] = []
        if label == "all":
            import json

            lock = json.loads((lock_dir / "Pipfile.lock").read_text("utf-8"))
            names = {"default": "packages", "develop": "dev-packages"}
            args = ["--categories", " ".join(names.get(c, c) for c in lock if c != "_meta")]
        out = run_exporter(
            [exe, "requirements", "--hash", *args, *extra_args], lock_dir, home, extra_env
        )
        return parse_export(out, env).packages, ""
    raise AssertionError(manager)


def _hashless_package(message: str) -> str:
    """The package pdm export names in "Hash is not available for 'REQ'" (it stops at the first
    one it meets): its name, or "" for one of the project's own path packages (`-e file:...`,
    never hashed: chef's install-project builds them)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found = re.search(r"Hash is not available for '([^']+)'", message)
    assert found, f"pdm export failed on hashes without naming a package: {message}"
    text = found.group(1)
    if text.startswith("-e file:"):
        return ""
    return str(canonicalize_name(Requirement(text).name))


def pdm_lock_hashes(packages: Packages, lock_dir: Path, hashless: str) -> Packages:
    """pdm exports a lock holding a package without hashes (a VCS package) only with
    `--no-hashes`. The hashes are then compared another way: each exported package gets the
    hashes pdm.lock lists for its name and version (read here with tomllib, not by chef), and
    the package pdm named as hashless must be one the lock lists no hash for. A package chef
    hashes otherwise than the lock, or installs unhashed where the lock has hashes, differs."""
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    from chef.toml import load_toml

    lock = load_toml(lock_dir / "pdm.lock", "pdm.lock")
    by_pin: Dict[Tuple[str, str], Set[str]] = {}

    def add(name: str, version: str, files: Any) -> None:
        try:
            key = (str(canonicalize_name(name)), str(Version(version)))
        except InvalidVersion:
            return
        hashes = by_pin.setdefault(key, set())
        for item in files or []:
            if isinstance(item, dict) and isinstance(item.get("hash"), str):
                hashes.add(item["hash"])

    by_name: Dict[str, Set[str]] = {}  # packages locked by URL or VCS, not by version
    for package in lock.get("package", []):
        add(str(package.get("name")), str(package.get("version")), package.get("files"))
        if any(k in package for k in ("url", "git", "hg", "svn", "bzr", "path")):
            name = str(canonicalize_name(str(package.get("name"))))
            by_name.setdefault(name, set()).update(
                f["hash"] for f in package.get("files") or []
                if isinstance(f, dict) and isinstance(f.get("hash"), str))
    for name_version, files in (lock.get("metadata", {}).get("files") or {}).items():  # lock 3
        name, _, version = str(name_version).partition(" ")
        add(name, version, files)
    out: Packages = {}
    for name, (pin, _) in packages.items():
        try:
            key = (name, str(Version(pin)))
        except InvalidVersion:  # a URL or VCS pin: the lock's hashes of its file, if any
            assert name in by_name, f"pdm exports {name} @ {pin}, which pdm.lock does not list"
            out[name] = (pin, frozenset(by_name[name]))
            continue
        assert key in by_pin, f"pdm exports {name} {pin}, which pdm.lock does not list"
        out[name] = (pin, frozenset(by_pin[key]))
    if hashless:  # pdm's reason holds: the lock lists no hash for the package it named
        assert hashless in out and not out[hashless][1], (
            f"pdm export says {hashless} has no hash, but pdm.lock lists "
            f"{sorted(out.get(hashless, ('', frozenset()))[1])}")
    return out


_OPERATION = re.compile(r"^\s*- (\w+) (\S+) \((\S+)(?: (.+))?\)")


def poetry_dry_run(
    lock_dir: Path, label: str, home: Path, python: str, project: Project
) -> Packages:
    """What `poetry install --dry-run --no-root` would install into a new, empty venv of
    `python`, read from the lock (offline): name -> (version, no hashes)."""
    exe = tool("poetry")
    if exe is None:
        pytest.skip("poetry is not installed (pip install -e '.[test]')")
    venv = home / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True)
    args = ["--all-groups", "--all-extras"] if label == "all" else ["--only", "main"]
    out = run_exporter(
        [exe, "install", "--dry-run", "--no-root", "--no-interaction", *args],
        lock_dir,
        home,
        {"VIRTUAL_ENV": str(venv)},
    )
    from packaging.utils import canonicalize_name

    packages: Packages = {}
    operations = 0
    for line in out.splitlines():
        found = _OPERATION.match(line)
        if not found:
            continue
        operations += 1
        verb, name, version, source = found.groups()
        assert verb == "Installing", f"an empty venv needs no {verb}: {line}"
        name = str(canonicalize_name(name))
        if name in project.local_packages:
            continue  # the project's own path packages: chef's install-project step
        assert source is None, f"a package from a URL or VCS; compare it by hand: {line}"
        packages[name] = (version, frozenset())
    assert operations, f"poetry install --dry-run names no package:\n{out}"
    return packages


def name_git_references(lock_dir: Path) -> List[str]:
    """In a copy of a Poetry 1.1 project: give every git dependency of pyproject.toml that names
    no branch/tag/rev the reference its lock recorded (Poetry 1.1's default, 'master'; Poetry 2
    reads none as HEAD), and re-stamp the lock's content-hash with Poetry's own Locker, so that
    the exporter matches the locked package offline. Nothing else changes."""
    import tomlkit
    from poetry.packages.locker import Locker

    lock_path = lock_dir / "poetry.lock"
    lock = tomlkit.parse(lock_path.read_text("utf-8")).unwrap()
    references = {
        str(p["source"]["url"]): str(p["source"]["reference"])
        for p in lock["package"]
        if p.get("source", {}).get("type") == "git"
    }
    pyproject = lock_dir / "pyproject.toml"
    doc = tomlkit.parse(pyproject.read_text("utf-8"))
    poetry = doc["tool"]["poetry"]  # type: ignore[index]
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]  # type: ignore[union-attr]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]  # type: ignore[union-attr]
    named: List[str] = []
    for table in tables:
        for name, spec in table.items():
            if (
                isinstance(spec, dict)
                and str(spec.get("git")) in references
                and not {"branch", "tag", "rev"} & set(spec)
            ):
                spec["branch"] = references[str(spec["git"])]
                named.append(f"{name} branch = {spec['branch']!r}")
    assert named, "no git dependency without a reference: name_git_references is not needed"
    pyproject.write_text(tomlkit.dumps(doc), "utf-8")
    stamp = Locker(lock_path, doc.unwrap())._content_hash
    text = lock_path.read_text("utf-8")
    restamped = re.sub(r'^content-hash = ".*"$', f'content-hash = "{stamp}"', text, count=1,
                       flags=re.M)
    assert restamped != text
    lock_path.write_text(restamped, "utf-8")
    return named


# ---------------------------------------------------------------- comparing


def agree(
    where: str,
    manager: str,
    label: str,
    mine: Packages,
    theirs: Packages,
    notes: Sequence[str],
    summary: Summary,
    problems: Sequence[str] = (),
) -> None:
    """Record the row, then fail on any difference (and on any other problem found)."""
    differences = diff(mine, theirs, manager)
    result = "agree" if not differences else f"DISAGREE ({len(differences)})"
    notes = [n for n in notes if n] + [p.split(":", 1)[0].upper() for p in problems]
    summary.add(where, manager, label, str(len(theirs)), result + (f" [{'; '.join(notes)}]" if notes else ""))
    assert not differences, f"chef and {manager} differ for {where} ({label}):\n" + "\n".join(
        differences
    )
    assert not problems, "\n".join(problems)


def without_hashes(packages: Packages) -> Packages:
    return {k: (v[0], frozenset()) for k, v in packages.items()}


def compare(
    project: Project,
    manager: str,
    lock_dir: Path,
    lock_name: str,
    label: str,
    home: Path,
    where: str,
    summary: Summary,
) -> None:
    """chef against the exporter; an exporter failure is a test failure."""
    selection: Selection = SELECTIONS[label]
    env, env_note = environment_for(project.requires_python)
    if manager == "pylock":
        root = project.local_packages[project.roots[0].name]
        extras = [e for e, _ in root.extras]
        groups = [g for g, _ in root.groups]
        theirs = pylock_packages(lock_dir / lock_name, env, selection, extras, groups)
        mine = within(chef_packages(project, selection, env), theirs)
        note = ""
    else:
        theirs, note = exported(manager, lock_dir, label, home, env)
        mine = chef_packages(project, selection, env)
    agree(where, manager, label, mine, theirs, [env_note, note], summary)


def compare_known(
    known: Known,
    project: Project,
    manager: str,
    entry: str,
    lock_rel: str,
    lock_dir: Path,
    label: str,
    home: Path,
    where: str,
    summary: Summary,
) -> None:
    """An exporter KNOWN to fail: check that it still fails so, then compare another way."""
    env, env_note = environment_for(project.requires_python)
    try:
        exported(manager, lock_dir, label, home / "exporter", env)
    except ExporterFailed as exc:
        assert known.says in str(exc), (
            f"{manager}'s exporter fails on {where} ({label}), but not as KNOWN says "
            f"({known.says!r}): {exc}"
        )
    else:
        pytest.fail(f"{manager}'s exporter now runs on {where} ({label}): remove it from KNOWN")
    why = f"{manager} fails: {known.says}"
    selection: Selection = SELECTIONS[label]

    if known.instead == STALE:
        from chef.prepare import prepare

        with pytest.raises(StaleLockError) as refused:
            prepare(CORPUS / entry, manager=manager, subdir=lock_rel)
        assert refused.value.exit_code == EXIT_STALE
        summary.add(where, manager, label, "-", f"stale: {manager} and chef refuse it (exit 5)")
        return

    if known.instead == DRY_RUN:
        pythons, search = accepting(project.requires_python or ">=3")
        if not pythons:
            pytest.skip(f"no Python accepting {project.requires_python} for poetry install "
                        f"--dry-run ({search.describe()})")
        python = pythons[0]
        env = marker_environment(python)
        theirs = poetry_dry_run(lock_dir, label, home / "dry-run", python.path, project)
        mine = without_hashes(chef_packages(project, selection, env))
        notes = [why, f"compared with {DRY_RUN} on Python {python.full_version}, versions only"]
        problems = []
        if known.installer_only:
            missing = sorted(known.installer_only - set(theirs))
            taken = sorted(known.installer_only & set(mine))
            if missing or taken:
                problems.append(f"KNOWN's installer_only is out of date: {missing} not installed "
                                f"by poetry, {taken} installed by chef")
            theirs = {k: v for k, v in theirs.items() if k not in known.installer_only}
            notes.append(f"{INSTALLER_ONLY}: {', '.join(sorted(known.installer_only))}")
        agree(where, manager, label, mine, theirs, notes, summary, problems)
        return

    if known.instead == OTHER_PYTHON:
        pythons, search = accepting(project.requires_python or ">=3")
        if not pythons:
            pytest.skip(f"no Python accepting {project.requires_python} to run {manager} with "
                        f"({search.describe()})")
        python = pythons[0]
        theirs, note = exported(manager, lock_dir, label, home / "other-python", env,
                                extra_env={"PDM_PYTHON": python.path})
        mine = chef_packages(project, selection, env)
        notes = [env_note, note, why, f"{manager} run with Python {python.full_version}"]
        agree(where, manager, label, mine, theirs, notes, summary)
        return

    if known.instead == GIT_REFERENCE:
        named = name_git_references(lock_dir)
        theirs, note = exported(manager, lock_dir, label, home / "named", env)
        mine = chef_packages(project, selection, env)
        notes = [env_note, note, why, f"compared with the copy's {', '.join(named)}"]
        agree(where, manager, label, mine, theirs, notes, summary)
        return

    if known.instead == NO_CONFLICT:
        extra = NO_CONFLICT.rsplit(" ", 1)[-1]
        top = [project.local_packages[d.name] for d in project.roots
               if d.name in project.local_packages and not d.url]
        extras = sorted({e for p in top for e, _ in p.extras} - {extra})
        theirs, note = exported(manager, lock_dir, label, home / "no-conflict", env,
                                extra_args=["--no-extra", extra])
        mine = chef_packages(project, Selection(extras=tuple(extras), all_groups=True), env)
        # What uv refuses, chef must refuse too, not install both sides of the conflict.
        problems = []
        refused = _refuses(project, selection, env)
        if not refused:
            problems.append(
                f"chef accepts the conflicting selection: --all-extras --all-groups, which "
                f"{manager} refuses ({known.says}); {_doubles(project, selection, env)}"
            )
        notes = [env_note, note, why, f"compared with {NO_CONFLICT}"]
        agree(where, manager, label, mine, theirs, notes, summary, problems)
        return
    raise AssertionError(known.instead)


def _refuses(project: Project, selection: Selection, env: Dict[str, str]) -> bool:
    from chef.cook.plan import plan
    from chef.recipe import from_project

    try:
        plan(from_project(project, selection, "oracle"), env, build_deps=False)
    except ChefError:
        return True
    return False


def _doubles(project: Project, selection: Selection, env: Dict[str, str]) -> str:
    """The packages chef's plan installs more than once (in more than one version)."""
    from packaging.requirements import Requirement

    from chef.cook.plan import plan
    from chef.recipe import from_project

    seen: Dict[str, Set[str]] = {}
    for batch in plan(from_project(project, selection, "oracle"), env, build_deps=False).batches:
        for line in batch.lines:
            req = Requirement(line.requirement)
            seen.setdefault(req.name, set()).add(str(req.specifier or req.url))
    doubles = {k: sorted(v) for k, v in sorted(seen.items()) if len(v) > 1}
    return f"its plan installs {len(doubles)} packages twice, e.g. " + ", ".join(
        f"{k} {' and '.join(v)}" for k, v in list(doubles.items())[:3]
    )


# ---------------------------------------------------------------- the corpus


@pytest.mark.parametrize("label", sorted(SELECTIONS))
@pytest.mark.parametrize("entry,lock", corpus_params(corpus_locks(), 2))
def test_corpus_lock_agrees_with_exporter(
    entry: str, lock: str, label: str, summary: Summary, tmp_path: Path
) -> None:
    manager = _manager(lock)
    lock_rel = lock.rsplit("/", 1)[0] if "/" in lock else "."
    lock_name = lock.rsplit("/", 1)[-1]
    # Exporters may write (venvs, caches): they run on a copy, chef reads the corpus in place.
    copy = tmp_path / "entry"
    if manager == "uv":
        # uv looks for a workspace above the lock: copy the lock's project alone, so that a
        # member's own uv.lock is exported, not its workspace's.
        shutil.copytree(CORPUS / entry / lock_rel, copy / lock_rel, symlinks=True)
    else:
        shutil.copytree(CORPUS / entry, copy, symlinks=True)
    if manager == "uv":
        project, _ = read_project(CORPUS / entry / lock_rel)
    elif manager == "pylock":
        from chef.readers import pylock

        project = pylock.read(CORPUS / entry, lock_rel, lock_name)
    else:
        project, _ = read_project(CORPUS / entry, manager=manager, subdir=lock_rel)
    where = f"{entry}:{lock}"
    known = KNOWN.get((where, label))
    home = tmp_path / "home"
    if known is None:
        compare(project, manager, copy / lock_rel, lock_name, label, home, where, summary)
    else:
        compare_known(
            known, project, manager, entry, lock_rel, copy / lock_rel, label, home, where, summary
        )


@needs_corpus
def test_known_failures_name_corpus_locks() -> None:
    """Every KNOWN entry is a lock and selection the corpus test runs (no stale entries)."""
    runs = {(f"{e}:{lock}", label) for e, lock in corpus_locks() for label in SELECTIONS}
    assert set(KNOWN) <= runs, sorted(set(KNOWN) - runs)


# ---------------------------------------------------------------- fixtures


FIXTURES = [
    ("poetry", "2.1"),
    ("poetry", "2.0"),
    ("poetry", "1.1"),
    ("pdm", None),
    ("pdm", "no-vcs"),  # pdm exports a lock with a VCS package only without hashes
    ("pipenv", None),
    ("pylock", None),
]


@pytest.mark.parametrize("label", sorted(SELECTIONS))
@pytest.mark.parametrize(
    "manager,lock_version", FIXTURES, ids=[f"{m}{'-' + v if v else ''}" for m, v in FIXTURES]
)
def test_fixture_agrees_with_exporter(
    manager: str, lock_version: Optional[str], label: str, summary: Summary, tmp_path: Path
) -> None:
    project_dir = tmp_path / "project"
    if manager == "poetry":
        poetry_project(project_dir, Scenario(), lock_version or "2.1", content_hash=True)
    else:
        WRITERS[manager](project_dir, Scenario(remote=lock_version != "no-vcs"))
    project, _ = read_project(project_dir, manager=manager)
    lock_name = {
        "poetry": "poetry.lock",
        "pdm": "pdm.lock",
        "pipenv": "Pipfile.lock",
        "pylock": "pylock.toml",
    }[manager]
    where = f"fixture:{manager}{' ' + lock_version if lock_version else ''}"
    compare(project, manager, project_dir, lock_name, label, tmp_path / "home", where, summary)


# ---------------------------------------------------------------- reading the whole corpus


def corpus_roots() -> List[Tuple[str, str]]:
    manifest = CORPUS / "MANIFEST.toml"
    if not manifest.is_file():
        return []
    from chef.toml import load_toml

    entries = load_toml(manifest, "MANIFEST.toml")["entry"]
    return [(e, r) for e, info in sorted(entries.items()) for r in info["roots"]]


@pytest.mark.parametrize(
    "entry,root",
    corpus_params(corpus_roots(), 2),
)
def test_corpus_roots_read(entry: str, root: str) -> None:
    """Every project root of the corpus is read with the entry as the build context; a root
    with nothing to install (tool configuration only) is a clear error, never a traceback."""
    from chef.errors import InputError
    from chef.recipe import dumps, from_project

    base = CORPUS / entry
    try:
        project, why = read_project(base, subdir=root)
    except InputError as exc:
        if "reads a project at the context root only" in str(exc):
            project, why = read_project(base / root)
        elif "no supported project files" in str(exc):
            text = (base / root / "pyproject.toml").read_text("utf-8")
            assert "[project]" not in text and "[tool.poetry" not in text, str(exc)
            return
        else:
            raise
    assert dumps(from_project(project, DEFAULT, why))
    if project.conflicts:  # uv refuses the whole selection of such a lock, and chef with it
        with pytest.raises(InputError, match="declares conflicting"):
            from_project(project, ALL, why)
    else:
        assert dumps(from_project(project, ALL, why))
