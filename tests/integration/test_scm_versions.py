"""Versions from git without `.git` (issue 22.3), for real: each of the six tools that take a
project's version from a VCS builds the project in a tree with no `.git` (as a Docker build
context whose .dockerignore holds it), given `install-project --version` (or
CHEF_PROJECT_VERSION); without one, chef refuses in one line that names how to give it.

The real backends and plugins are served from a loopback index, repacked from this venv's own
installed distributions (tests/backendwheels.py): no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pytest
from backendwheels import repack
from clirun import chef
from conftest import installed, write
from index_server import IndexServer
from wheelhouse import make_wheel

from chef import scm_version
from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.errors import InputError, InstallError
from chef.prepare import prepare_to_file
from chef.scm_version import missing_vcs

pytestmark = pytest.mark.slow

# The backends and plugins of the six tools (their own requirements follow from their metadata).
BACKENDS = ("setuptools", "setuptools-scm", "hatchling", "hatch-vcs", "pdm-backend",
            "versioningit", "uv-dynamic-versioning", "poetry-core", "poetry-dynamic-versioning")

_BUILD_SYSTEM = {
    "setuptools-scm": ('["setuptools>=64", "setuptools-scm>=8"]', "setuptools.build_meta"),
    "hatch-vcs": ('["hatchling", "hatch-vcs"]', "hatchling.build"),
    "uv-dynamic-versioning": ('["hatchling", "uv-dynamic-versioning"]', "hatchling.build"),
    "poetry-dynamic-versioning": ('["poetry-core>=2", "poetry-dynamic-versioning>=1,<2"]',
                                  "poetry_dynamic_versioning.backend"),
    "pdm-backend": ('["pdm-backend"]', "pdm.backend"),
    "versioningit": ('["setuptools>=64", "versioningit>=3"]', "setuptools.build_meta"),
}

_TOOL_TABLES = {
    "setuptools-scm": "[tool.setuptools_scm]\n",
    "hatch-vcs": '[tool.hatch.version]\nsource = "vcs"\n',
    "uv-dynamic-versioning": '[tool.hatch.version]\nsource = "uv-dynamic-versioning"\n',
    "poetry-dynamic-versioning": '[tool.poetry-dynamic-versioning]\nenable = true\n',
    "pdm-backend": '[tool.pdm.version]\nsource = "scm"\n',
    "versioningit": "[tool.versioningit]\n",
}

TOOLS = sorted(_BUILD_SYSTEM)


def pyproject(tool: str, name: str) -> str:
    requires, backend = _BUILD_SYSTEM[tool]
    poetry = f'[tool.poetry]\nversion = "0.0.0"\npackages = [{{include = "{name}"}}]\n\n' \
        if tool == "poetry-dynamic-versioning" else ""
    return (f'[project]\nname = "{name}"\ndynamic = ["version"]\ndependencies = ["beta"]\n\n'
            f'[build-system]\nrequires = {requires}\nbuild-backend = "{backend}"\n\n'
            f"{poetry}{_TOOL_TABLES[tool]}")


def _closure(names: List[str]) -> Set[str]:
    """`names` and what their installed distributions require here (markers evaluated)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: Set[str] = set()
    todo = list(names)
    while todo:
        name = str(canonicalize_name(todo.pop()))
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


@pytest.fixture(scope="module")
def backend_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    house = tmp_path_factory.mktemp("scm-backends")
    missing = []
    for name in sorted(_closure(list(BACKENDS))):
        if repack(name, house) is None:
            missing.append(name)
    if missing:
        pytest.fail(f"not installed in the test venv (pip install -e .[test]): {missing}")
    make_wheel(house, "beta", "1.0")
    with IndexServer(house) as server:
        yield server


def project_named(root: Path, tool: str) -> Path:
    name = "vcsapp"
    project = root / "project"
    write(project / "pyproject.toml", pyproject(tool, name))
    write(project / name / "__init__.py", "")
    assert missing_vcs(project) is not None, "the test tree must have no .git above it"
    return project


def cooked(project: Path, venv: Path, url: str) -> Path:
    """The Docker builder stage: cook sees the recipe only."""
    prepare_to_file(project, project / "recipe.json")
    alone = project.parent / "recipe-only"
    alone.mkdir(exist_ok=True)
    shutil.copy(project / "recipe.json", alone / "recipe.json")
    cook(alone / "recipe.json", TargetSpec(venv=venv), installer="uv",
         overrides=Overrides(index_url=url), quiet=True)
    return alone / "recipe.json"


def version_in(venv: Path, name: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({name!r}))"
    done = subprocess.run([str(venv / "bin" / "python"), "-I", "-c", code], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize("tool", TOOLS)
def test_version_given_builds_without_git(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str], tool: str
) -> None:
    project = project_named(tmp_path, tool)
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    # The project's version never enters the recipe.
    assert "2.3.4" not in recipe.read_text(encoding="utf-8")
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                    quiet=True, echo=lambda s: None, version="2.3.4")
    assert version_in(venv, "vcsapp") == "2.3.4"
    assert installed(venv / "bin" / "python")["beta"] == "1.0"
    assert not (project / "PKG-INFO").exists()  # versioningit's is removed after the build


@pytest.mark.parametrize("tool", TOOLS)
def test_no_version_no_git_is_one_line_naming_version(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str], tool: str
) -> None:
    project = project_named(tmp_path, tool)
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--project-dir", str(project), "--quiet", env={"CHEF_PROJECT_VERSION": None})
    assert done.returncode == 3, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("chef: error: ")
    assert f"comes from git ({tool}" in lines[0]
    assert "PROJECT_VERSION" in lines[0] and "--version" in lines[0]
    assert "CHEF_PROJECT_VERSION" in lines[0]
    assert "build requirements" not in lines[0]
    assert "vcsapp" not in installed(venv / "bin" / "python")
    # CHEF_PROJECT_VERSION, what a Dockerfile's ARG/ENV gives, does it too.
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--project-dir", str(project), "--quiet", env={"CHEF_PROJECT_VERSION": "v2.3.5"})
    assert done.returncode == 0, done.stderr
    assert version_in(venv, "vcsapp") == "2.3.5"


def test_an_invalid_version_is_a_usage_error(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str]
) -> None:
    project = project_named(tmp_path, "hatch-vcs")
    recipe = cooked(project, tmp_path / "venv", backend_index.url)
    for args, version in (
        (["--version", "v2.3.4-3-gabcdef"], None),
        ([], "not a version"),
    ):
        done = chef("install-project", "--recipe-path", str(recipe), "--venv",
                    str(tmp_path / "venv"), "--project-dir", str(project), *args,
                    env={"CHEF_PROJECT_VERSION": version})
        assert done.returncode == 2, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "is not a valid version" in lines[0], done.stderr
        assert ("--version" if args else "CHEF_PROJECT_VERSION") in lines[0]


def test_hook_failure_of_a_vcs_versioned_package_names_version(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where chef cannot be sure beforehand (a `.git` that is no repository), the backend's own
    failure gets the hint that names the version, not "are its build requirements..."."""
    project = project_named(tmp_path, "hatch-vcs")
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    write(project / ".git", "gitdir: /nonexistent\n")  # a worktree's .git file, dangling
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    # git installed or not on this machine: a repository is there as far as chef can tell
    monkeypatch.setattr(scm_version, "missing_vcs", lambda source_dir: None)
    with pytest.raises(InstallError) as info:
        install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                        quiet=True, echo=lambda s: None)
    message = str(info.value)
    assert "PROJECT_VERSION" in message and "--version" in message
    assert "build requirements" not in message


def test_a_fallback_version_is_left_to_the_tool(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str]
) -> None:
    """hatch-vcs with `fallback-version`: the tool builds without git, chef does not refuse."""
    project = project_named(tmp_path, "hatch-vcs")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    write(project / "pyproject.toml", text + 'fallback-version = "0.9"\n')
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                    quiet=True, echo=lambda s: None)
    assert version_in(venv, "vcsapp") == "0.9"


def test_the_library_refuses_as_input_error(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str]
) -> None:
    project = project_named(tmp_path, "pdm-backend")
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    with pytest.raises(InputError) as info:
        install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                        quiet=True, echo=lambda s: None)
    assert "pdm-backend (scm)" in str(info.value)


def test_explain_says_the_version_comes_from_git_and_the_recipe_does_not_change(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    write(project / "pyproject.toml", pyproject("hatch-vcs", "vcsapp"))
    write(project / "vcsapp" / "__init__.py", "")
    done = chef("prepare", "--project-dir", str(project), "--stdout", "--explain")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "comes from git" in line]
    assert notes == ["chef: note: pyproject.toml: the version of vcsapp comes from git through "
                     "hatch-vcs; install-project needs .git and git, or `--version`/"
                     "CHEF_PROJECT_VERSION (the recipe does not depend on it)"], done.stderr
    plain = chef("prepare", "--project-dir", str(project), "--stdout")
    assert plain.stdout == done.stdout and json.loads(plain.stdout)


@pytest.mark.parametrize("tool", ["hatch-vcs", "versioningit"])
def test_with_git_nothing_changes(
    tmp_path: Path, backend_index: IndexServer, isolated_env: Dict[str, str],
    monkeypatch: pytest.MonkeyPatch, tool: str,
) -> None:
    """`.git` present and git installed, no version given: the backend reads the tag, as
    without chef."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = project_named(tmp_path, tool)
    venv = tmp_path / "venv"
    recipe = cooked(project, venv, backend_index.url)
    for name, value in (("GIT_AUTHOR_NAME", "t"), ("GIT_AUTHOR_EMAIL", "t@example.invalid"),
                        ("GIT_COMMITTER_NAME", "t"), ("GIT_COMMITTER_EMAIL", "t@example.invalid"),
                        ("GIT_CONFIG_GLOBAL", os.devnull), ("GIT_CONFIG_NOSYSTEM", "1")):
        monkeypatch.setenv(name, value)
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"],
                 ["tag", "v1.7.0"]):
        subprocess.run(["git", *argv], cwd=project, check=True, capture_output=True)
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                    quiet=True, echo=lambda s: None)
    assert version_in(venv, "vcsapp") == "1.7.0"
