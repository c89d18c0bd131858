"""install-project in the documented Docker layout: the recipe elsewhere (/chef/recipe.json), the
project in the current directory (WORKDIR /app), every check before anything is created, and what
the backend asks for checked against the build environment, in one line (exit code 7)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


# ------------------------------------------------------------------ processes: few, same result


def test_one_hook_process_builds_and_compiles_without_a_probe(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --layer-dir and uv's compile on (Dockerfile.example's builder): one process of the
    build environment asks the backend, builds the wheel and compiles the project's modules; the
    venv's interpreter is not probed. The bytecode is what `python -I -m compileall` makes."""

    from chef.cook import buildenv, layer, process

    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    venv = tmp_path / "venv"
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    spawned: List[List[str]] = []
    spawn = process.spawn

    def counting(call: process.Call):  # type: ignore[no-untyped-def]
        spawned.append(list(call.argv))
        return spawn(call)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("not expected here")

    monkeypatch.setattr(process, "spawn", counting)
    monkeypatch.setattr(buildenv, "probe", refuse)
    monkeypatch.setattr(buildenv, "resolve_target", refuse)
    monkeypatch.setattr(layer, "compile_files", refuse)
    out = tmp_path / "out"
    names = buildenv.install_project(recipe, TargetSpec(venv=venv), project_dir=project,
                                     installer="uv", quiet=True, echo=lambda s: None,
                                     layer_dir=out)
    assert names == ["app"]
    assert len(spawned) == 1
    assert "app" in installed(venv / "bin" / "python")
    py = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    source = venv / "lib" / py / "site-packages" / "app" / "__init__.py"
    (pyc,) = (source.parent / "__pycache__").glob("__init__.*.pyc")
    exported = out / os.path.abspath(pyc).lstrip("/")
    assert exported.read_bytes() == pyc.read_bytes()
    made = pyc.read_bytes()
    pyc.unlink()
    subprocess.run([str(venv / "bin" / "python"), "-I", "-m", "compileall", "-q", str(source)],
                   check=True)
    assert pyc.read_bytes() == made


def test_a_pycache_prefix_leaves_the_compile_to_the_target(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env
) -> None:
    """PYTHONPYCACHEPREFIX would send the hook's bytecode elsewhere; `python -I` ignores it, so
    the project's bytecode is in the venv as before."""

    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    venv = tmp_path / "venv"
    prefix = tmp_path / "prefix"
    done = subprocess.run(
        [sys.executable, "-m", "chef", "install-project", "--recipe-path", str(recipe), "--venv",
         str(venv), "--installer", "uv", "--layer-dir", str(tmp_path / "out")],
        cwd=project, capture_output=True, text=True, check=False,
        env={**os.environ, "UV_COMPILE_BYTECODE": "1", "PYTHONPYCACHEPREFIX": str(prefix)})
    assert done.returncode == 0, done.stderr
    py = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    cache = venv / "lib" / py / "site-packages" / "app" / "__pycache__"
    assert list(cache.glob("__init__.*.pyc")), done.stderr
    assert not [p for p in prefix.rglob("*.pyc") if "site-packages/app/" in p.as_posix()]


def test_a_venv_whose_python_does_not_run(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    """Not probed before the build any more, the interpreter is still named in one line with the
    environment's exit code (6) when it does not run."""
    project = make_app(tmp_path / "app")
    recipe = docker_layout(tmp_path, project, index.url)
    python = tmp_path / "venv" / "bin" / "python"
    python.unlink()
    python.write_text("#!/bin/sh\nexit 3\n")
    python.chmod(0o755)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                "--installer", "uv", cwd=project)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    assert "asking the target interpreter for its environment failed" in one_line_error(done)
