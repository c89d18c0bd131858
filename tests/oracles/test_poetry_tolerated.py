"""Input Poetry accepts without complaint is planned as Poetry plans it (issue 18.1).

An extra of [tool.poetry.extras] that names something that is not a main dependency (here a
dev-group package): `poetry lock`, `poetry export` and `poetry install` ignore that name (the
lock records `test = []`); only `poetry check` reports it. chef warns once on stderr and plans
what Poetry's export gives, with the lock and without it (`--manager poetry-manifest`), with and
without `--extra test`. Real poetry against the loopback index; offline.

The checks chef keeps are the ones Poetry keeps too: `-E nosuch` and `--with nosuch` are
refused by poetry and by chef.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from clirun import chef
from oracle import (
    ExporterFailed,
    chef_packages,
    environment_for,
    parse_export,
    run_exporter,
    tool,
)

from chef.detect import read_project
from chef.errors import InputError
from chef.prepare import prepare
from chef.select import Selection

# The reproduction, over the test wheelhouse's packages (alpha -> beta; devtool).
PYPROJECT = """\
[tool.poetry]
name = "demo"
version = "0.1.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
python = ">=3.9"
alpha = ">=1"

[tool.poetry.group.dev.dependencies]
devtool = "*"

[tool.poetry.extras]
test = ["devtool"]

[[tool.poetry.source]]
name = "local"
url = "{index}"
priority = "primary"
"""

WARNING = "extra 'test' names 'devtool', which is not a dependency"


def _poetry() -> str:
    exe = tool("poetry")
    if exe is None:
        pytest.skip("poetry is not installed (pip install -e '.[test]')")
    return exe


@pytest.fixture
def locked(tmp_path: Path, index) -> Path:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT.format(index=index.url), encoding="utf-8")
    run_exporter([_poetry(), "lock", "--no-interaction"], project, tmp_path / "home")
    return project


def _export(project: Path, home: Path, *args: str) -> Dict[str, str]:
    env, _ = environment_for(">=3.9")
    out = run_exporter(
        [_poetry(), "export", "-f", "requirements.txt", *args], project, home
    )
    return {name: pin for name, (pin, _) in parse_export(out, env).packages.items()}


def test_poetry_ignores_the_name_and_chef_plans_its_export(locked: Path) -> None:
    home = locked.parent / "home"
    lock_text = (locked / "poetry.lock").read_text(encoding="utf-8")
    assert "test = []" in lock_text  # poetry locked the extra as empty
    with pytest.raises(ExporterFailed, match="poetry check exit 1"):
        run_exporter([_poetry(), "check"], locked, home)  # only `poetry check` complains
    env, _ = environment_for(">=3.9")
    for selection, args in ((Selection(), ()), (Selection(extras=("test",)), ("-E", "test"))):
        theirs = _export(locked, home, *args)
        assert theirs == {"alpha": "2.0", "beta": "2.0"}
        project, _ = read_project(locked, manager="poetry")
        assert [w for w in project.warnings if WARNING in w] == project.warnings
        assert len(project.warnings) == 1
        mine = chef_packages(project, selection, env)
        assert {n: pin for n, (pin, _) in mine.items()} == theirs, args
    # `poetry install -E test` installs the same (the dev group aside, which chef's default
    # selection leaves out as the export does).
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True)
    out = run_exporter(
        [_poetry(), "install", "--dry-run", "--no-root", "--no-interaction", "-E", "test",
         "--only", "main"],
        locked, home, {"VIRTUAL_ENV": str(venv)},
    )
    assert "Installing alpha (2.0)" in out and "Installing beta (2.0)" in out
    assert "devtool" not in out


def test_manifest_only_plans_the_same_roots(locked: Path) -> None:
    (locked / "poetry.lock").unlink()
    for selection in (Selection(), Selection(extras=("test",))):
        project, _ = read_project(locked, manager="poetry-manifest")
        assert len(project.warnings) == 1 and WARNING in project.warnings[0]
        result = prepare(locked, manager="poetry-manifest", selection=selection)
        assert [d.name for d in result.recipe.roots] == ["alpha"]
        assert result.warnings == project.warnings


def test_cli_warns_once_and_exits_zero(locked: Path) -> None:
    for extra in ([], ["--extra", "test"]):
        for manager in ([], ["--manager", "poetry-manifest"]):
            done = chef("prepare", "--stdout", *extra, *manager, cwd=locked)
            assert done.returncode == 0, done.stderr
            lines = done.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("chef: warning: pyproject.toml: ")
            assert WARNING in lines[0]


def test_unknown_extra_and_group_are_refused_by_both(locked: Path) -> None:
    """Kept: poetry refuses `-E nosuch` and `--with nosuch`, so chef's refusal is no stricter."""
    home = locked.parent / "home"
    with pytest.raises(ExporterFailed, match="nosuch"):
        _export(locked, home, "-E", "nosuch")
    with pytest.raises(ExporterFailed, match="nosuch"):
        _export(locked, home, "--with", "nosuch")
    for selection in (Selection(extras=("nosuch",)), Selection(groups=("nosuch",))):
        with pytest.raises(InputError, match="nosuch"):
            prepare(locked, manager="poetry", selection=selection)


INCLUDES = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[tool.poetry]
package-mode = false

[tool.poetry.group.lint.dependencies]
devtool = "*"

[tool.poetry.group.dev]
include-groups = ["lint"]

[tool.poetry.group.dev.dependencies]
gamma = "*"

[[tool.poetry.source]]
name = "local"
url = "{index}"
priority = "primary"
"""


def test_include_groups_as_poetry_installs_them(tmp_path: Path, index) -> None:  # type: ignore[no-untyped-def]
    """Poetry 2.2's `include-groups`: `--with dev` installs lint's packages too. Lock 2.1 lists
    them under dev already; without a lock chef read dev alone (a recipe missing devtool)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(INCLUDES.format(index=index.url), encoding="utf-8")
    home = tmp_path / "home"
    run_exporter([_poetry(), "lock", "--no-interaction"], project, home)
    theirs = _export(project, home, "--with", "dev")
    assert set(theirs) == {"alpha", "beta", "devtool", "gamma"}
    env, _ = environment_for(">=3.9")
    locked_project, _ = read_project(project, manager="poetry")
    mine = chef_packages(locked_project, Selection(groups=("dev",)), env)
    assert {n: pin for n, (pin, _) in mine.items()} == theirs
    (project / "poetry.lock").unlink()
    result = prepare(project, manager="poetry-manifest", selection=Selection(groups=("dev",)))
    assert {d.name for d in result.recipe.roots} == {"alpha", "devtool", "gamma"}
    # an include of an undefined group: poetry and chef both refuse
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(
        text.replace('include-groups = ["lint"]', 'include-groups = ["lint", "nosuch"]'))
    with pytest.raises(ExporterFailed, match="nosuch"):
        run_exporter([_poetry(), "lock", "--no-interaction"], project, home)
    with pytest.raises(InputError, match="nosuch"):
        prepare(project, manager="poetry-manifest")


OPTIONAL_ONLY = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"

[project.optional-dependencies]
fast = ["gamma"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
alpha = ">=1"

[tool.poetry.extras]
more = ["alpha"]

[[tool.poetry.source]]
name = "local"
url = "{index}"
priority = "primary"
"""


def test_project_optional_dependencies_alone_decide(tmp_path: Path, index) -> None:  # type: ignore[no-untyped-def]
    """A [project] with optional-dependencies and no dependencies: poetry-core takes no main
    dependency from [tool.poetry.dependencies] and ignores [tool.poetry.extras]; poetry locks
    gamma only. chef read alpha as a main dependency without the lock."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(OPTIONAL_ONLY.format(index=index.url),
                                            encoding="utf-8")
    home = tmp_path / "home"
    run_exporter([_poetry(), "lock", "--no-interaction"], project, home)
    assert _export(project, home, "-E", "fast") == {"gamma": "1.0"}
    with pytest.raises(ExporterFailed, match="more"):
        _export(project, home, "-E", "more")
    env, _ = environment_for(">=3.9")
    locked_project, _ = read_project(project, manager="poetry")
    mine = chef_packages(locked_project, Selection(extras=("fast",)), env)
    assert {n: pin for n, (pin, _) in mine.items()} == {"gamma": "1.0"}
    (project / "poetry.lock").unlink()
    result = prepare(project, manager="poetry-manifest", selection=Selection(extras=("fast",)))
    assert [d.name for d in result.recipe.roots] == ["gamma"]
    with pytest.raises(InputError, match="more"):
        prepare(project, manager="poetry-manifest", selection=Selection(extras=("more",)))
