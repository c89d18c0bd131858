"""A stale lock beside a fresh one (issue 18, point 3): one pyproject.toml locked by uv, Poetry
and PDM for real against the loopback index, then edited and re-locked by one manager only.

The managers' own verdicts (`uv lock --check`, `poetry check --lock`, `pdm lock --check`) are
asserted first, then chef's: a default `chef prepare` builds from the fresh lock with a warning
naming both and `--manager`; when every lock is stale, the refusal names each lock and what its
manager says; `--manager` with a stale lock still refuses; `--explain` says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from clirun import chef
from conftest import uv_bin, write
from index_server import IndexServer
from projects import edit

from chef import errors

pytestmark = pytest.mark.slow

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
description = ""
requires-python = ">=3.9"
dependencies = ["alpha>=1", "epsilon"]

[[tool.poetry.source]]
name = "local"
url = "{index}/"
priority = "primary"

[[tool.pdm.source]]
name = "pypi"
url = "{index}/"

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"
"""

ADD_GAMMA = ('dependencies = ["alpha>=1", "epsilon"]',
             'dependencies = ["alpha>=1", "epsilon", "gamma"]')


def _tool(name: str) -> str:
    if name == "uv":
        return uv_bin()
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _env(home: Path) -> Dict[str, str]:
    """The managers' caches and config in `home`, never the user's (as tests/oracles/oracle.py)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "POETRY_", "PDM_", "PIPENV_"))}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"), POETRY_CACHE_DIR=str(home / "poetry-cache"),
        POETRY_CONFIG_DIR=str(home / "poetry-config"), POETRY_DATA_DIR=str(home / "poetry-data"),
        POETRY_DYNAMIC_VERSIONING_COMMANDS="",
        PDM_HOME=str(home / "pdm"), PDM_CHECK_UPDATE="false", PDM_IGNORE_ACTIVE_VENV="1",
        PDM_USE_VENV="0", PDM_PYTHON=sys.executable, UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=str(home / "uv-cache"), NO_COLOR="1",
    )
    return env


def _manager(root: Path, index_url: str, manager: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [_tool(manager), *args]
    if manager == "uv":
        argv += ["--index-url", index_url, "--no-config"]
    return subprocess.run(argv, cwd=root, env=_env(root.parent / f"home-{root.name}"),
                          capture_output=True, text=True, timeout=300, check=False)


def lock(root: Path, index_url: str, manager: str) -> None:
    done = _manager(root, index_url, manager, "lock")
    assert done.returncode == 0, done.stdout + done.stderr


CHECKS = {"uv": ("lock", "--check"), "poetry": ("check", "--lock"), "pdm": ("lock", "--check")}


def fresh_for_manager(root: Path, index_url: str, manager: str) -> bool:
    """The manager's own verdict on its lock."""
    return _manager(root, index_url, manager, *CHECKS[manager]).returncode == 0


def prepare(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return chef("prepare", "--stdout", "--project-dir", str(root), *args)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, index: IndexServer) -> Path:
    """The project with all three locks fresh."""
    root = tmp_path_factory.mktemp("beside") / "app"
    write(root / "pyproject.toml", PYPROJECT.format(index=index.url))
    for manager in ("uv", "poetry", "pdm"):
        lock(root, index.url, manager)
    return root


def _copy(locked: Path, tmp_path: Path, drop: Tuple[str, ...] = ()) -> Path:
    root = tmp_path / "app"
    shutil.copytree(locked, root)
    for name in drop:
        (root / name).unlink()
    return root


def _warnings(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if line.startswith("chef: warning: ")]


def test_all_fresh_reads_uv_lock_and_warns_of_nothing(locked: Path, index: IndexServer) -> None:
    for manager in ("uv", "poetry", "pdm"):
        assert fresh_for_manager(locked, index.url, manager), manager
    done = prepare(locked, "--explain")
    assert done.returncode == 0, done.stderr
    assert '"manager": "uv"' in done.stdout
    assert not _warnings(done.stderr)


# (the lock re-locked after the edit, the one chef reads, the stale ones, files removed first)
CASES = [
    ("poetry", "poetry", ("uv", "pdm"), ()),
    ("pdm", "pdm", ("uv", "poetry"), ()),
    ("pdm", "pdm", ("poetry",), ("uv.lock",)),
]


@pytest.mark.parametrize("case", CASES, ids=["uv-stale-poetry-fresh", "uv-poetry-stale-pdm-fresh",
                                             "poetry-stale-pdm-fresh"])
def test_the_fresh_lock_is_read_with_a_warning(
    case: Tuple[str, str, Tuple[str, ...], Tuple[str, ...]], locked: Path, tmp_path: Path,
    index: IndexServer,
) -> None:
    relocked, chosen, stale, drop = case
    root = _copy(locked, tmp_path, drop)
    edit(root / "pyproject.toml", *ADD_GAMMA)
    lock(root, index.url, relocked)
    # The managers' own verdicts: the re-locked one passes, every other fails.
    assert fresh_for_manager(root, index.url, relocked)
    for manager in stale:
        assert not fresh_for_manager(root, index.url, manager), manager

    done = prepare(root)
    assert done.returncode == 0, done.stderr
    assert f'"manager": "{chosen}"' in done.stdout
    assert '"gamma"' in done.stdout  # the edit, as the fresh lock has it
    warnings = _warnings(done.stderr)
    assert len(warnings) == 1, done.stderr
    first = stale[0]
    first_lock = f"{first}.lock"
    assert f"{first_lock} is stale" in warnings[0] and "gamma" in warnings[0]
    assert f"reading {chosen}.lock" in warnings[0]
    assert f"--manager {chosen}" in warnings[0] and f"--manager {first}" in warnings[0]
    assert "Traceback" not in done.stderr

    # The same recipe as naming the fresh lock's manager.
    named = prepare(root, "--manager", chosen)
    assert named.returncode == 0, named.stderr
    assert named.stdout == done.stdout

    # --explain: the stale lock passed over, and why the fresh one was chosen.
    explained = prepare(root, "--explain")
    assert explained.returncode == 0
    candidates = [line for line in explained.stderr.splitlines()
                  if line.startswith("chef: candidate: ")]
    assert any(line.startswith(f"chef: candidate: {first_lock} ({first}): passed over, stale: ")
               for line in candidates), candidates
    assert any(line.startswith(f"chef: candidate: {chosen}.lock ({chosen}): chosen, "
                               f"{first_lock} is stale") for line in candidates), candidates
    order = ["uv", "poetry", "pdm"]
    for other in stale[1:]:
        mine = [line for line in candidates if line.startswith(f"chef: candidate: {other}.lock")]
        assert len(mine) == 1, candidates  # each lock said once
        if order.index(other) < order.index(chosen):  # checked before the chosen one
            assert ": passed over, stale too: " in mine[0], candidates
        else:
            assert f": not read, {chosen}.lock comes first" in mine[0], candidates
    assert f"chef: input: {chosen} (found {chosen}.lock; {first_lock} is stale)" in \
        explained.stderr

    # A lock the user names is checked, and refused when stale, whatever lies beside it.
    refused = prepare(root, "--manager", first)
    assert refused.returncode == errors.EXIT_STALE, refused.stderr
    assert refused.stderr.startswith(f"chef: error: {first_lock}: stale lock:")
    # --frozen takes the first lock as it is, as before.
    frozen = prepare(root, "--frozen")
    assert frozen.returncode == 0, frozen.stderr
    assert f'"manager": "{first}"' in frozen.stdout and '"gamma"' not in frozen.stdout


def test_the_fresh_lock_plans_what_its_manager_exports(
    locked: Path, tmp_path: Path, index: IndexServer
) -> None:
    """uv.lock stale, poetry.lock fresh: the recipe's packages are `poetry export`'s."""
    import json

    from packaging.requirements import Requirement

    root = _copy(locked, tmp_path)
    edit(root / "pyproject.toml", *ADD_GAMMA)
    lock(root, index.url, "poetry")
    done = prepare(root)
    assert done.returncode == 0, done.stderr
    recipe = json.loads(done.stdout)
    planned = {(p["name"], p["version"]) for p in recipe["locked"]}
    exported = _manager(root, index.url, "poetry", "export", "-f", "requirements.txt",
                        "--without-hashes")
    if exported.returncode != 0 and "export" in exported.stderr:
        pytest.skip("poetry-plugin-export is not installed")
    assert exported.returncode == 0, exported.stderr
    pins = set()
    for line in exported.stdout.splitlines():
        if line.strip() and not line.startswith(("-", "#")):
            req = Requirement(line)
            pins.add((req.name, str(next(iter(req.specifier)).version)))
    # zeta is epsilon's win32-only dependency: in both, with its marker.
    assert planned == pins == {("alpha", "2.0"), ("beta", "2.0"), ("epsilon", "1.0"),
                               ("gamma", "1.0"), ("zeta", "1.0")}


def test_a_fresh_uv_lock_beside_a_stale_one_changes_nothing(
    locked: Path, tmp_path: Path, index: IndexServer
) -> None:
    """The first lock is fresh: read as always, whatever the others say (no extra warning)."""
    root = _copy(locked, tmp_path)
    edit(root / "pyproject.toml", *ADD_GAMMA)
    lock(root, index.url, "uv")
    assert fresh_for_manager(root, index.url, "uv")
    assert not fresh_for_manager(root, index.url, "poetry")
    done = prepare(root)
    assert done.returncode == 0, done.stderr
    assert '"manager": "uv"' in done.stdout and not _warnings(done.stderr)


def test_every_lock_stale_names_each_and_its_managers_verdict(
    locked: Path, tmp_path: Path, index: IndexServer
) -> None:
    root = _copy(locked, tmp_path)
    edit(root / "pyproject.toml", *ADD_GAMMA)
    for manager in ("uv", "poetry", "pdm"):
        assert not fresh_for_manager(root, index.url, manager), manager
    done = prepare(root)
    assert done.returncode == errors.EXIT_STALE, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("chef: error: uv.lock: stale lock: ")
    for lock_name, command in (("uv.lock", "`uv lock --check` fails"),
                               ("poetry.lock is stale too", "`poetry check --lock` fails"),
                               ("pdm.lock is stale too", "`pdm lock --check` fails")):
        assert lock_name in line and command in line, line
    assert line.count("gamma") >= 3
    assert "`uv lock`, `poetry lock` or `pdm lock`" in line and "--frozen" in line


def test_a_lone_stale_lock_is_refused_as_before(
    locked: Path, tmp_path: Path, index: IndexServer
) -> None:
    root = _copy(locked, tmp_path, ("poetry.lock", "pdm.lock"))
    edit(root / "pyproject.toml", *ADD_GAMMA)
    done = prepare(root)
    assert done.returncode == errors.EXIT_STALE
    assert done.stderr.strip() == ("chef: error: uv.lock: stale lock: pyproject.toml adds gamma "
                                   "to app's dependencies (run `uv lock`, or pass --frozen to "
                                   "use the lock as it is)")
