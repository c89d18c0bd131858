"""Invariant 3 for real: cook + install-project into a fresh venv gives the same installed set as
the plain full install (`uv sync --frozen`, `pip install .`) into another fresh venv. Everything
comes from the tests' own wheelhouse over a loopback index: no network."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import installed, run, uv_bin, write
from projects import make_app, make_locked_app

from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file

pytestmark = pytest.mark.slow


def _cook_and_install(project: Path, venv: Path, index_url: str, installer: str) -> dict:  # type: ignore[type-arg]
    recipe = project / "recipe.json"
    prepare_to_file(project, recipe)
    # Cook sees only the recipe: the Docker builder stage has nothing else before COPY . .
    alone = project.parent / f"recipe-only-{installer}"
    alone.mkdir()
    shutil.copy(recipe, alone / "recipe.json")
    cook(
        alone / "recipe.json",
        TargetSpec(venv=venv),
        installer=installer,
        overrides=Overrides(index_url=index_url),
        quiet=True,
        echo=lambda s: None,
    )
    deps_only = installed(venv / "bin" / "python")
    assert "app" not in deps_only
    # Then the project itself, offline: the index is gone for this step.
    install_project(
        recipe,
        TargetSpec(venv=venv),
        project_dir=project,
        installer=installer,
        quiet=True,
        echo=lambda s: None,
    )
    return installed(venv / "bin" / "python")


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_uv_project_equals_uv_sync(tmp_path: Path, index, isolated_env, installer: str) -> None:  # type: ignore[no-untyped-def]
    project = make_locked_app(tmp_path / "app", index.url)
    got = _cook_and_install(project, tmp_path / "venv", index.url, installer)

    reference = tmp_path / "ref"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(reference)}
    import subprocess

    subprocess.run(
        [
            uv_bin(),
            "sync",
            "--frozen",
            "--no-dev",
            "--index-url",
            index.url,
            "--python",
            sys.executable,
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    expected = installed(reference / "bin" / "python")
    assert got == expected
    assert got["alpha"] == "2.0" and "zeta" not in got and "devtool" not in got


def test_uv_project_with_group_and_extra(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_locked_app(tmp_path / "app", index.url)
    recipe = project / "recipe.json"
    from chef.select import Selection

    prepare_to_file(project, recipe, selection=Selection(extras=("docs",), groups=("dev",)))
    cook(
        recipe,
        TargetSpec(venv=tmp_path / "v"),
        overrides=Overrides(index_url=index.url),
        quiet=True,
        echo=lambda s: None,
    )
    got = installed(tmp_path / "v" / "bin" / "python")
    assert got["docsgen"] == "1.0" and got["devtool"] == "1.0"


def test_pyproject_unlocked_equals_pip_install(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_app(tmp_path / "app")
    got = _cook_and_install(project, tmp_path / "venv", index.url, "pip")
    reference = tmp_path / "ref"
    run([sys.executable, "-m", "venv", "--without-pip", str(reference)])
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(reference / "bin" / "python"),
            "install",
            "--index-url",
            index.url,
            str(project),
        ]
    )
    assert got == installed(reference / "bin" / "python")


def test_requirements_with_editable_local(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "proj"
    make_app(project / "app")
    write(project / "requirements.txt", "-e ./app\nbeta==1.0\n")
    recipe = project / "recipe.json"
    prepare_to_file(project, recipe)
    venv = tmp_path / "venv"
    cook(
        recipe,
        TargetSpec(venv=venv),
        installer="uv",
        overrides=Overrides(index_url=index.url),
        quiet=True,
        echo=lambda s: None,
    )
    install_project(
        recipe,
        TargetSpec(venv=venv),
        project_dir=project,
        editable=True,
        quiet=True,
        echo=lambda s: None,
    )
    got = installed(venv / "bin" / "python")
    assert got["beta"] == "1.0" and got["alpha"] == "1.0" and "app" in got
    out = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import app, os; print(os.path.realpath(app.__file__))",
        ]
    )
    assert out.stdout.strip() == str((project / "app/src/app/__init__.py").resolve())


def test_hash_mismatch_fails_clearly(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_locked_app(tmp_path / "app", index.url)
    lock = (project / "uv.lock").read_text()
    start = lock.index('hash = "sha256:') + len('hash = "sha256:')
    (project / "uv.lock").write_text(lock[:start] + "0" * 64 + lock[start + 64 :])
    prepare_to_file(project, project / "recipe.json")
    from chef.errors import InstallError

    with pytest.raises(InstallError, match="failed"):
        cook(
            project / "recipe.json",
            TargetSpec(venv=tmp_path / "v"),
            installer="uv",
            overrides=Overrides(index_url=index.url),
            quiet=True,
            echo=lambda s: None,
        )
