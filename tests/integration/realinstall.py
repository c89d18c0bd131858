"""Real installs for the lock readers: chef (cook + install-project) into one fresh venv, the
manager's exporter list installed by pip into another, both from the loopback index."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from conftest import installed, uv_bin
from oracle import run_exporter, tool
from wheelhouse import sha256

from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file
from chef.select import Selection

ALL = Selection(all_extras=True, all_groups=True)


def wheel_hashes(wheelhouse: Path) -> Dict[str, str]:
    """ "name==version" -> sha256 of the wheelhouse's wheel (what a real lock records)."""
    out = {}
    for path in wheelhouse.glob("*.whl"):
        name, version = path.name.split("-")[:2]
        out[f"{name.replace('_', '-')}=={version}"] = sha256(path)
    return out


def chef_install(project: Path, venv: Path, index_url: str, selection: Selection) -> Dict[str, str]:
    recipe = project / "recipe.json"
    prepare_to_file(project, recipe, selection=selection)
    alone = project.parent / "recipe-only"  # the builder stage sees the recipe only
    alone.mkdir(exist_ok=True)
    shutil.copy(recipe, alone / "recipe.json")
    spec = TargetSpec(venv=venv)
    cook(
        alone / "recipe.json",
        spec,
        installer="uv",
        overrides=Overrides(index_url=index_url),
        quiet=True,
        echo=lambda s: None,
    )
    install_project(
        recipe, spec, project_dir=project, installer="uv", quiet=True, echo=lambda s: None
    )
    return installed(venv / "bin" / "python")


def pip_install_export(requirements: str, venv: Path, index_url: str) -> Dict[str, str]:
    """The exporter's requirements (the project's own lines left out) installed by pip."""
    lines = [
        line
        for line in requirements.splitlines()
        if not line.startswith(("-e ", "--editable")) and " @ file:" not in line
    ]
    reqs = venv.parent / f"{venv.name}-requirements.txt"
    reqs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run([uv_bin(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "--disable-pip-version-check",
            "install",
            "--quiet",
            "--no-deps",
            "--index-url",
            index_url,
            "-r",
            str(reqs),
        ],
        check=True,
    )
    return installed(venv / "bin" / "python")


def export(argv: List[str], project: Path, home: Path) -> str:
    exe = tool(argv[0])
    assert exe is not None, f"{argv[0]} is not installed (pip install -e '.[test]')"
    return run_exporter([exe, *argv[1:]], project, home)


def same_install(chef: Dict[str, str], manager: Dict[str, str], own: List[str]) -> None:
    """Equal, except the project's own packages, which only install-project puts in."""
    for name in own:
        assert name in chef, f"install-project did not install {name}"
    mine = {k: v for k, v in chef.items() if k not in own}
    assert mine == manager
