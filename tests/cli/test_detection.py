"""Detection picks the input that really describes the project, and says so (issue "Real
projects", case 2): a lock that holds no package, or not the project itself, loses to a real one;
`--explain` lists every candidate and why it lost; a recipe that installs nothing for a project
that declares dependencies is an error naming the fix, never exit 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import pytest
from clirun import chef
from conftest import write
from lockfixtures import Scenario, pipenv_project, poetry_project, pylock_project

from chef import errors
from chef.prepare import prepare
from chef.select import Selection

PLACEHOLDER_UV_LOCK = 'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n'


def locked_names(recipe: Path) -> List[str]:
    return sorted(p["name"] for p in json.loads(recipe.read_text("utf-8"))["locked"])


def test_a_placeholder_uv_lock_loses_to_a_real_poetry_lock(tmp_path: Path) -> None:
    """The reported repository: a 3-line uv.lock (no [[package]]) beside a real poetry.lock.
    Before: chef read the uv.lock and wrote a recipe of 0 packages, exit 0."""
    project = poetry_project(tmp_path / "p", Scenario(), content_hash=False)
    from badinput_helpers import refresh_hashes

    refresh_hashes(project)
    write(project / "uv.lock", PLACEHOLDER_UV_LOCK)
    done = chef("prepare", "--recipe-path", "recipe.json", "--explain", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "alpha" in locked_names(project / "recipe.json")
    assert done.stderr.splitlines()[0] == (
        "chef: warning: uv.lock holds no package: reading poetry.lock instead "
        "(--manager uv reads uv.lock anyway)")
    assert "chef: input: poetry (found poetry.lock; uv.lock holds no package)" in done.stderr
    assert "chef: candidate: uv.lock (uv): passed over, holds no package" in done.stderr
    assert "chef: candidate: poetry.lock (poetry): chosen" in done.stderr
    # the user can still insist, and then gets the error rather than an empty recipe
    done = chef("prepare", "--recipe-path", "forced.json", "--manager", "uv", cwd=project)
    assert done.returncode == errors.EXIT_STALE, done.stderr  # the lock does not match
    assert "uv.lock: stale lock" in done.stderr and not (project / "forced.json").exists()


def test_a_uv_lock_of_another_project_loses(tmp_path: Path) -> None:
    project = poetry_project(tmp_path / "p", Scenario())
    from badinput_helpers import refresh_hashes

    refresh_hashes(project)
    write(project / "uv.lock", PLACEHOLDER_UV_LOCK + '\n[[package]]\nname = "other"\n'
          'version = "1.0"\nsource = { editable = "." }\n')
    result = prepare(project)
    assert result.recipe.manager == "poetry"
    assert any("uv.lock does not hold the project (app)" in w for w in result.warnings)


def test_an_empty_lock_of_a_project_with_dependencies_never_writes_an_empty_recipe(
    tmp_path: Path,
) -> None:
    """poetry.lock `package = []` (a placeholder, as nautobot's example apps keep) while the
    manifest declares dependencies: the manifest is the real input. Forced onto the lock, chef
    refuses it as stale, and with --frozen too it never writes an empty recipe."""
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "app"\nversion = "1"\ndependencies = ["alpha"]\n')
    write(tmp_path / "poetry.lock", '# placeholder\npackage = []\n\n[metadata]\n'
          'lock-version = "2.0"\npython-versions = "*"\ncontent-hash = "0"\n')
    result = prepare(tmp_path)
    assert result.recipe.manager == "pyproject" and [d.name for d in result.recipe.roots] == [
        "alpha"]
    assert result.warnings == [
        "poetry.lock holds no package although the project declares dependencies (alpha): "
        "reading pyproject.toml instead (--manager poetry reads poetry.lock anyway)"]
    with pytest.raises(errors.StaleLockError):
        prepare(tmp_path, manager="poetry")
    with pytest.raises(errors.InputError) as info:
        prepare(tmp_path, manager="poetry", frozen=True)
    message = str(info.value)
    assert "would install no package, but the project declares dependencies (main: alpha)" \
        in message
    assert "--manager NAME or --requirements FILE" in message
    done = chef("prepare", "--manager", "poetry", "--frozen", "--recipe-path", "recipe.json",
                cwd=tmp_path)
    assert done.returncode == errors.EXIT_INPUT and not (tmp_path / "recipe.json").exists()
    assert "Traceback" not in done.stderr


def test_an_empty_lock_of_a_project_without_dependencies_is_fine(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "plugin"\nversion = "1"\n')
    write(tmp_path / "poetry.lock", '# placeholder\npackage = []\n\n[metadata]\n'
          'lock-version = "2.0"\npython-versions = "*"\ncontent-hash = "0"\n')
    result = prepare(tmp_path, frozen=True)
    assert result.recipe.locked == {} and "plugin" in result.recipe.local_packages
    assert not result.warnings


def test_a_manifest_without_dependencies_loses_to_requirements_txt(tmp_path: Path) -> None:
    """openedx/credentials: [project] holds metadata only; requirements.txt `-r`s the real
    pins. Before: a recipe of 0 requirements from pyproject.toml."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "svc"\nversion = "1"\n')
    write(tmp_path / "requirements.txt", "-r requirements/production.txt\n")
    write(tmp_path / "requirements" / "production.txt", "alpha==1.0\nbeta==2.0\n")
    result = prepare(tmp_path, explain=True)
    assert result.recipe.manager == "requirements"
    assert sorted(d.name for d in result.recipe.roots) == ["alpha", "beta"]
    assert result.warnings == [
        "pyproject.toml declares no dependency: reading requirements.txt instead "
        "(--manager pyproject reads pyproject.toml anyway)"]


def test_only_groups_declared_is_an_error_that_names_the_flags(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "root"\nversion = "1"\n\n'
          '[dependency-groups]\ndev = ["devtool"]\nlint = ["ruff"]\n')
    write(tmp_path / "requirements" / "base.txt", "alpha\n")
    with pytest.raises(errors.InputError) as info:
        prepare(tmp_path)
    text = str(info.value)
    assert "declares dependencies (group dev: devtool; group lint: ruff)" in text
    assert "select them with --group dev, --group lint" in text
    assert "or read requirements/base.txt with --requirements FILE" in text
    assert prepare(tmp_path, selection=Selection(groups=("dev",))).recipe.roots


def test_a_package_without_dependencies_may_install_nothing(tmp_path: Path) -> None:
    """--package narrows to a member that declares nothing: an empty recipe is right there."""
    write(tmp_path / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["libs/*"]\n')
    write(tmp_path / "libs" / "core" / "pyproject.toml",
          '[project]\nname = "core"\nversion = "1"\n')
    write(tmp_path / "libs" / "api" / "pyproject.toml",
          '[project]\nname = "api"\nversion = "1"\ndependencies = ["alpha"]\n')
    result = prepare(tmp_path, selection=Selection(packages=("core",)))
    assert not result.recipe.roots and not result.warnings


def test_nothing_declared_but_requirement_files_lie_around_warns(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "svc"\nversion = "1"\n')
    write(tmp_path / "requirements" / "common.txt", "alpha\n")
    done = chef("prepare", "--recipe-path", "recipe.json", cwd=tmp_path)
    assert done.returncode == 0
    assert ("chef: warning: the recipe installs no third-party package, and "
            "requirements/common.txt is not read (pass --requirements FILE to read one)"
            ) in done.stderr


def test_explain_lists_the_inputs_passed_over(tmp_path: Path) -> None:
    """A fully pinned requirements.txt beside unpinned [project] ranges, and a pylock.toml beside
    a Pipfile.lock: --explain names each, and how to read it instead."""
    write(tmp_path / "a" / "pyproject.toml",
          '[project]\nname = "svc"\nversion = "1"\ndependencies = ["alpha>=1"]\n')
    write(tmp_path / "a" / "requirements.txt", "alpha==1.0 --hash=sha256:" + "0" * 64 + "\n")
    done = chef("prepare", "--explain", "--stdout", cwd=tmp_path / "a")
    assert done.returncode == 0, done.stderr
    assert "chef: candidate: pyproject.toml (pyproject): chosen" in done.stderr
    assert ("chef: candidate: requirements.txt (requirements): not read, pyproject.toml comes "
            "first (--manager requirements reads it)") in done.stderr

    pipenv_project(tmp_path / "b", Scenario(remote=False))
    pylock_project(tmp_path / "c", Scenario(remote=False))
    (tmp_path / "b" / "pylock.toml").write_bytes((tmp_path / "c" / "pylock.toml").read_bytes())
    done = chef("prepare", "--explain", "--stdout", cwd=tmp_path / "b")
    assert done.returncode == 0, done.stderr
    assert "chef: candidate: Pipfile.lock (pipenv): chosen" in done.stderr
    assert "chef: candidate: pylock.toml (pylock): not read, Pipfile.lock comes first" \
        in done.stderr
