"""pdm.lock for real: cook + install-project == `pdm export` installed by pip."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import Scenario, pdm_project
from realinstall import ALL, chef_install, export, pip_install_export, same_install, wheel_hashes

from chef.select import Selection

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("label", ["default", "all"])
def test_pdm_cook_equals_export(
    tmp_path: Path, wheelhouse, index, isolated_env, label: str
) -> None:  # type: ignore[no-untyped-def]
    project = pdm_project(
        tmp_path / "app", Scenario(hashes=wheel_hashes(wheelhouse), index=index.url, remote=False)
    )
    selection = ALL if label == "all" else Selection()
    got = chef_install(project, tmp_path / "chef-venv", index.url, selection)
    args = ["-G", ":all"] if label == "all" else ["--prod"]
    text = export(["pdm", "export", "-f", "requirements", *args], project, tmp_path / "home")
    expected = pip_install_export(text, tmp_path / "ref-venv", index.url)
    same_install(got, expected, ["app"])
    assert ("gamma" in got) == (label == "all")
