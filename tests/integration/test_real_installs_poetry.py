"""poetry.lock for real: cook + install-project == `poetry export` installed by pip."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import Scenario, poetry_project
from realinstall import ALL, chef_install, export, pip_install_export, same_install, wheel_hashes

from chef.select import Selection

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lock_version", ["2.1", "2.0"])
@pytest.mark.parametrize("label", ["default", "all"])
def test_poetry_cook_equals_export(
    tmp_path: Path,
    wheelhouse,
    index,
    isolated_env,
    label: str,  # type: ignore[no-untyped-def]
    lock_version: str,
) -> None:
    project = poetry_project(
        tmp_path / "app",
        Scenario(hashes=wheel_hashes(wheelhouse), index=index.url, remote=False),
        lock_version,
        content_hash=True,
    )
    selection = ALL if label == "all" else Selection()
    got = chef_install(project, tmp_path / "chef-venv", index.url, selection)
    args = ["--all-groups", "--all-extras"] if label == "all" else []
    text = export(["poetry", "export", "-f", "requirements.txt", *args], project, tmp_path / "home")
    expected = pip_install_export(text, tmp_path / "ref-venv", index.url)
    same_install(got, expected, ["app"])
    assert got["beta"] == "2.0" and "zeta" not in got
    assert ("devtool" in got) == (label == "all")
