"""Issue 4 for real: cook + install-project of a uv workspace gives what `uv sync --frozen
--all-packages` gives; `--package` installs only that member's closure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import installed, uv_bin
from workspace import git_package, make_workspace

from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file
from chef.select import Selection

pytestmark = pytest.mark.slow


def _quiet(_: str) -> None:
    pass


@pytest.fixture
def ws(tmp_path: Path, index) -> Path:  # type: ignore[no-untyped-def]
    return make_workspace(tmp_path / "mono", index.url, git_package(tmp_path / "gitrepo"))


def test_workspace_equals_uv_sync_all_packages(
    ws: Path, tmp_path: Path, index, isolated_env
) -> None:  # type: ignore[no-untyped-def]
    recipe = ws / "recipe.json"
    prepare_to_file(ws, recipe)
    venv = tmp_path / "venv"
    cook(
        recipe,
        TargetSpec(venv=venv),
        overrides=Overrides(index_url=index.url),
        quiet=True,
        echo=_quiet,
    )
    names = install_project(recipe, TargetSpec(venv=venv), project_dir=ws, quiet=True, echo=_quiet)
    assert names.index("lib-a") < names.index("lib-b") < names.index("svc-one")
    reference = tmp_path / "ref"
    subprocess.run(
        [
            uv_bin(),
            "sync",
            "--frozen",
            "--all-packages",
            "--no-dev",
            "--index-url",
            index.url,
            "--python",
            sys.executable,
        ],
        cwd=ws,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(reference)},
        check=True,
        capture_output=True,
    )
    assert installed(venv / "bin" / "python") == installed(reference / "bin" / "python")


def test_package_closure_only(ws: Path, tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    recipe = ws / "recipe.json"
    prepare_to_file(ws, recipe, selection=Selection(packages=("svc-one",)))
    venv = tmp_path / "venv"
    cook(
        recipe,
        TargetSpec(venv=venv),
        installer="pip",
        overrides=Overrides(index_url=index.url),
        quiet=True,
        echo=_quiet,
    )
    install_project(
        recipe, TargetSpec(venv=venv), project_dir=ws, installer="pip", quiet=True, echo=_quiet
    )
    got = installed(venv / "bin" / "python")
    assert {"svc-one", "lib-a", "lib-b", "epsilon", "gamma", "delta", "alpha", "beta"} == set(got)
    assert "svc-two" not in got and "gitpkg" not in got
