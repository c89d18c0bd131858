"""install-project in the documented Docker layout: the recipe elsewhere (/chef/recipe.json), the
project in the current directory (WORKDIR /app), every check before anything is created, and what
the backend asks for checked against the build environment, in one line (exit code 7)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest
from clirun import chef
from conftest import installed, write
from projects import make_app

from chef import errors
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file

pytestmark = pytest.mark.slow


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines: List[str] = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("chef: error: "), done.stderr
    assert len([line for line in lines if line.startswith("chef: error: ")]) == 1
    return lines[-1]


def docker_layout(tmp_path: Path, project: Path, index_url: str, cook_it: bool = True) -> Path:
    """planner: prepare in the project; builder: cook from /chef/recipe.json alone."""
    prepare_to_file(project, project / "recipe.json")
    chef_dir = tmp_path / "recipe-dir"  # /chef in the Dockerfile (not `chef`: python -m chef)
    chef_dir.mkdir()
    recipe = chef_dir / "recipe.json"
    shutil.move(str(project / "recipe.json"), recipe)
    if cook_it:
        cook(recipe, TargetSpec(venv=tmp_path / "venv"), installer="uv",
             overrides=Overrides(index_url=index_url), quiet=True, echo=lambda s: None)
    return recipe


def test_project_dir_defaults_to_the_current_directory(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    # `RUN chef install-project --recipe-path /chef/recipe.json` in WORKDIR /app
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                "--installer", "uv", cwd=project, process=True)
    assert done.returncode == 0, done.stderr
    assert "app" in installed(tmp_path / "venv" / "bin" / "python")


def test_missing_build_env_creates_nothing(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url, cook_it=False)
    venv = tmp_path / "venv"
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", "venv", cwd=tmp_path,
                process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT
    line = one_line_error(done)
    assert f"no build environment at {tmp_path / 'venv.chef-build'}" in line  # absolute
    assert not venv.exists()


def test_missing_project_names_its_absolute_path(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    shutil.rmtree(tmp_path / "venv")  # keep the build env, drop the target
    empty = tmp_path / "empty"
    empty.mkdir()
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                cwd=empty, process=True)
    assert done.returncode == errors.EXIT_INPUT
    line = one_line_error(done)
    assert f"{empty}: no pyproject.toml or setup.py to build" in line
    assert not (tmp_path / "venv").exists()


ASKER = """\
from tinybuild import build_wheel, build_editable


def get_requires_for_build_wheel(config_settings=None):
    return ["tinybuild", "delta>=1", "zeta>=5", "gamma; sys_platform == 'no-such-platform'"]


get_requires_for_build_editable = get_requires_for_build_wheel
"""


def test_backend_asking_for_what_the_build_env_lacks(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    text = (project / "pyproject.toml").read_text()
    write(project / "pyproject.toml", text.replace(
        'build-backend = "tinybuild"', 'build-backend = "asker"\nbackend-path = ["_build"]'))
    write(project / "_build" / "asker.py", ASKER)
    recipe = docker_layout(tmp_path, project, index.url)
    shutil.rmtree(tmp_path / "venv")
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                cwd=project, process=True)
    assert done.returncode == errors.EXIT_INSTALL
    line = one_line_error(done)
    assert f"{project / 'pyproject.toml'}: the build backend asker asks for delta>=1, zeta>=5" in line
    assert "gamma" not in line and "tinybuild" not in line.split("asks for")[1].split(",")[0]
    assert "add it to [build-system].requires" in line
    assert not (tmp_path / "venv").exists()


def test_backend_that_cannot_be_imported(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    text = (project / "pyproject.toml").read_text()
    write(project / "pyproject.toml", text.replace('build-backend = "tinybuild"',
                                                   'build-backend = "nosuch.backend:api"'))
    recipe = docker_layout(tmp_path, project, index.url)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                cwd=project, process=True)
    assert done.returncode == errors.EXIT_INSTALL
    line = one_line_error(done)
    assert "cannot import the build backend nosuch.backend:api in the build environment" in line
    assert "No module named 'nosuch'" in line


@pytest.mark.parametrize("installer", ["uv", "pip"])
@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_direct_url_names_the_project_not_the_built_wheel(  # type: ignore[no-untyped-def]
        tmp_path: Path, index, isolated_env, installer: str, editable: bool) -> None:
    """install-project builds a wheel in a temporary directory; the installed distribution must
    not name that wheel (gone once install-project returns, and only ever in the builder) but the
    project's directory, as `pip install DIR` / `uv sync` record it (PEP 610), with RECORD's
    line for the file still true."""
    import base64
    import csv
    import hashlib
    import json

    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                "--installer", installer, *(["--editable"] if editable else []), cwd=project)
    assert done.returncode == 0, done.stderr
    (direct,) = (tmp_path / "venv").glob("lib/python*/site-packages/app-*.dist-info/direct_url.json")
    data = direct.read_bytes()
    assert json.loads(data) == {"url": project.resolve().as_uri(),
                                "dir_info": {"editable": True} if editable else {}}
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    rows = list(csv.reader((direct.parent / "RECORD").read_text().splitlines()))
    assert [f"{direct.parent.name}/direct_url.json", f"sha256={digest}", str(len(data))] in rows
