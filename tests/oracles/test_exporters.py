"""Oracles: what chef would install equals what each manager's own exporter says it installs.

For every lock in the corpus (../shared/corpus) and in fixtures written here, for the main-only
and the all-groups/all-extras selections, for the running interpreter's marker environment (or
the lowest Python the project accepts, when it excludes the running one): chef's plan and the
exporter's requirements must name the same packages, versions (or URLs) and hashes.

- uv.lock: `uv export --frozen --offline --no-emit-project --no-emit-workspace`
- poetry.lock: `poetry export` (poetry-plugin-export)
- pdm.lock: `pdm export`
- Pipfile.lock: `pipenv requirements --hash`
- pylock.toml: PEP 751's reference selection, `packaging.pylock.Pylock.select`

An entry whose exporter cannot run on it is skipped with the exporter's reason; a summary table
is printed at the end of the session.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockfixtures import WRITERS, Scenario, poetry_project  # noqa: E402
from oracle import (  # noqa: E402
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

from chef.detect import read_project  # noqa: E402
from chef.model import Project  # noqa: E402
from chef.select import Selection  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
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
    manager: str, lock_dir: Path, label: str, home: Path, env: Dict[str, str], project: Project
) -> Tuple[Packages, str]:
    """The exporter's packages for the selection, and a note (how it was run)."""
    if manager == "uv":
        from chef.cook.installers import find_uv

        uv = find_uv()
        if uv is None:
            pytest.skip("uv is not installed")
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
            ],
            lock_dir,
            home,
        )
        return parse_export(out, env).packages, ""
    exe = tool(manager)
    if exe is None:
        pytest.skip(f"{manager} is not installed (pip install -e '.[test]')")
    if manager == "poetry":
        args = ["--all-groups", "--all-extras"] if label == "all" else []
        out = run_exporter([exe, "export", "-f", "requirements.txt", *args], lock_dir, home)
        return parse_export(out, env).packages, ""
    if manager == "pdm":
        args = ["-G", ":all"] if label == "all" else ["--prod"]
        try:
            out = run_exporter([exe, "export", "-f", "requirements", *args], lock_dir, home)
            return parse_export(out, env).packages, ""
        except ExporterFailed as exc:
            if "Hash is not available" not in str(exc):
                raise
        out = run_exporter(
            [exe, "export", "-f", "requirements", "--no-hashes", *args], lock_dir, home
        )
        return parse_export(out, env).packages, "pdm exports VCS locks only without hashes"
    if manager == "pipenv":
        args: List[str] = []
        if label == "all":
            import json

            lock = json.loads((lock_dir / "Pipfile.lock").read_text("utf-8"))
            names = {"default": "packages", "develop": "dev-packages"}
            args = ["--categories", " ".join(names.get(c, c) for c in lock if c != "_meta")]
        out = run_exporter([exe, "requirements", "--hash", *args], lock_dir, home)
        return parse_export(out, env).packages, ""
    raise AssertionError(manager)


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
    selection: Selection = SELECTIONS[label]
    env, env_note = environment_for(project.requires_python)
    try:
        if manager == "pylock":
            from packaging.pylock import PylockSelectError

            root = project.local_packages[project.roots[0].name]
            extras = [e for e, _ in root.extras]
            groups = [g for g, _ in root.groups]
            try:
                theirs = pylock_packages(lock_dir / lock_name, env, selection, extras, groups)
            except PylockSelectError as exc:
                summary.add(where, manager, label, "-", f"skipped: {exc}")
                pytest.skip(f"the reference PEP 751 selection cannot run here: {exc}")
            mine = within(chef_packages(project, selection, env), theirs)
            note = ""
        else:
            theirs, note = exported(manager, lock_dir, label, home, env, project)
            mine = chef_packages(project, selection, env)
    except ExporterFailed as exc:
        reason = str(exc)[:160]
        summary.add(where, manager, label, "-", f"skipped: exporter fails: {reason}")
        pytest.skip(f"{manager} export cannot run on {where}: {exc}")
    if note:  # compare without hashes, as the exporter gave none
        mine = {k: (v[0], frozenset()) for k, v in mine.items()}
    differences = diff(mine, theirs, manager)
    notes = "; ".join(n for n in (env_note, note) if n)
    result = "agree" if not differences else f"DISAGREE ({len(differences)})"
    summary.add(where, manager, label, str(len(theirs)), result + (f" [{notes}]" if notes else ""))
    assert not differences, f"chef and {manager} differ for {where} ({label}):\n" + "\n".join(
        differences
    )


# ---------------------------------------------------------------- the corpus


@pytest.mark.parametrize("label", sorted(SELECTIONS))
@pytest.mark.parametrize(
    "entry,lock",
    corpus_locks()
    or [pytest.param("-", "-", marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"))],
)
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
    compare(
        project,
        manager,
        copy / lock_rel,
        lock_name,
        label,
        tmp_path / "home",
        f"{entry}:{lock}",
        summary,
    )


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
    corpus_roots()
    or [pytest.param("-", "-", marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"))],
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
    for selection in (DEFAULT, ALL):
        assert dumps(from_project(project, selection, why))
