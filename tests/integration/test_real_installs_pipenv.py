"""Pipfile.lock for real: cook == `pipenv requirements` installed by pip (no local package)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import Scenario, pipenv_project
from realinstall import ALL, chef_install, export, pip_install_export, same_install, wheel_hashes

from chef.select import Selection

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("label", ["default", "all"])
def test_pipenv_cook_equals_requirements(
    tmp_path: Path, wheelhouse, index, isolated_env, label: str
) -> None:  # type: ignore[no-untyped-def]
    project = pipenv_project(
        tmp_path / "app", Scenario(hashes=wheel_hashes(wheelhouse), index=index.url, remote=False)
    )
    selection = ALL if label == "all" else Selection()
    got = chef_install(project, tmp_path / "chef-venv", index.url, selection)
    args = ["--categories", "packages dev-packages docs"] if label == "all" else []
    text = export(["pipenv", "requirements", "--hash", *args], project, tmp_path / "home")
    expected = pip_install_export(text, tmp_path / "ref-venv", index.url)
    same_install(got, expected, [])
    assert ("docsgen" in got) == (label == "all")
