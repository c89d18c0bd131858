"""pylock.toml for real: cook + install-project == uv installing the pylock itself, and == the
PEP 751 reference selection (packaging) installed by pip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import installed, uv_bin
from lockfixtures import Scenario, pylock_project
from oracle import pylock_packages
from packaging.markers import default_environment
from realinstall import ALL, chef_install, pip_install_export, same_install, wheel_hashes

from chef.select import Selection

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("label", ["default", "all"])
def test_pylock_cook_equals_reference(
    tmp_path: Path, wheelhouse, index, isolated_env, label: str
) -> None:  # type: ignore[no-untyped-def]
    project = pylock_project(
        tmp_path / "app", Scenario(hashes=wheel_hashes(wheelhouse), index=index.url, remote=False)
    )
    selection = ALL if label == "all" else Selection()
    got = chef_install(project, tmp_path / "chef-venv", index.url, selection)
    picked = pylock_packages(
        project / "pylock.toml", dict(default_environment()), selection, ["fast"], ["dev", "docs"]
    )
    text = "".join(
        f"{name}=={pin} --hash={h}\n"
        for name, (pin, hashes) in picked.items()
        for h in sorted(hashes)
    )
    expected = pip_install_export(text, tmp_path / "ref-venv", index.url)
    same_install(got, expected, ["app"])


def test_pylock_cook_equals_uv_pip_install(tmp_path: Path, wheelhouse, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    """uv installs a pylock.toml itself: the manager's own install. uv applies the lock's
    default-groups, chef's default is main only: the lock here declares none."""
    project = pylock_project(
        tmp_path / "app", Scenario(hashes=wheel_hashes(wheelhouse), index=index.url, remote=False)
    )
    lock = project / "pylock.toml"
    lock.write_text(lock.read_text().replace('default-groups = ["dev"]\n', ""), encoding="utf-8")
    got = chef_install(project, tmp_path / "chef-venv", index.url, Selection())
    reference = tmp_path / "ref-venv"
    subprocess.run(
        [uv_bin(), "venv", "--quiet", "--python", sys.executable, str(reference)], check=True
    )
    subprocess.run(
        [
            uv_bin(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(reference / "bin" / "python"),
            "-r",
            str(lock),
            "--index-url",
            index.url,
        ],
        check=True,
    )
    # uv builds and installs the project's own directory entry too, as install-project does
    assert got == installed(reference / "bin" / "python")
