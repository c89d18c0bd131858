"""prepare --explain says what it read, what it chose and what it left out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clirun import chef
from conftest import write
from projects import edit, make_locked_app

from chef import errors
from chef.prepare import prepare
from chef.select import Selection

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
dependencies = ["alpha"]

[project.optional-dependencies]
docs = ["docsgen"]
fast = ["gamma[fast]"]

[dependency-groups]
dev = ["devtool"]

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
addopts = "-q"

[tool.uv]
package = true
"""


def test_dropped_extras_groups_and_tool_tables(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    done = chef("prepare", "--project-dir", str(tmp_path), "--stdout", "-v", "--extra", "fast")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "chef: input: pyproject (found pyproject.toml)" in lines
    assert "chef: read pyproject.toml" in lines
    assert "chef: dropped: unselected extras: docs (add --extra NAME to include one)" in lines
    assert "chef: dropped: unselected groups: dev (add --group NAME to include one)" in lines
    assert ("chef: dropped: pyproject.toml: ignored [tool.pytest], [tool.ruff] "
            "(they do not decide installs)") in lines
    # Without --explain, nothing of it (and the explanation is not computed).
    assert prepare(tmp_path, selection=Selection(extras=("fast",))).dropped == []


@pytest.mark.slow
def test_dropped_locked_packages_and_the_lock_check(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    root = make_locked_app(tmp_path / "app", index.url)
    done = chef("prepare", "--project-dir", str(root), "--stdout", "--explain")
    assert done.returncode == 0, done.stderr
    assert "chef: note: uv.lock matches pyproject.toml" in done.stderr
    assert "locked packages are not reachable from the selection" in done.stderr
    assert "ignored [tool.pytest], [tool.ruff]" in done.stderr


@pytest.mark.slow
def test_stale_lock_in_a_subdirectory_names_its_path(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    import lockfixtures

    from chef.detect import SUBDIR_READERS

    assert "poetry" in SUBDIR_READERS
    service = tmp_path / "ctx" / "services" / "api"
    lockfixtures.poetry_project(service, lockfixtures.Scenario())
    from badinput_helpers import refresh_hashes

    refresh_hashes(service)
    ok = chef("prepare", "--project-dir", str(tmp_path / "ctx"), "--subdir", "services/api",
              "--stdout")
    assert ok.returncode == 0, ok.stderr
    edit(service / "pyproject.toml", '"epsilon"', '"epsilon", "newdep>=1"')
    done = chef("prepare", "--project-dir", str(tmp_path / "ctx"), "--subdir", "services/api",
                "--stdout")
    assert done.returncode == errors.EXIT_STALE
    assert done.stderr.startswith("chef: error: services/api/poetry.lock: stale lock:")
    assert "newdep" in done.stderr and "`poetry lock`" in done.stderr
    shutil.rmtree(tmp_path / "ctx")
