"""A real cross-cook from PyPI: a uv project with numpy and SQLAlchemy, locked by uv, cooked for
linux/arm64 on this x86_64 machine. The venv holds aarch64 machine code (the ELF header of
numpy's extension module says so) and exactly the distributions and versions that uv's own
export of the lock plans for an aarch64 Linux target (its markers evaluated by uv for that
target: `uv pip compile --python-platform`, so that chef's own marker environment is not the
oracle).
Needs the package registry (marker `network`)."""

from __future__ import annotations

import os
import platform as host
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from conftest import installed, uv_bin, write
from packaging.requirements import Requirement

from chef.cook.run import Cross, TargetSpec, cook
from chef.model import canonical
from chef.prepare import prepare_to_file

pytestmark = [
    pytest.mark.network,
    pytest.mark.slow,
    pytest.mark.skipif(host.machine() != "x86_64" or sys.platform != "linux",
                       reason="cross-cooks for linux/arm64 from an x86_64 Linux machine"),
]

PYPROJECT = """\
[project]
name = "realapp"
version = "0.1.0"
requires-python = ">=VERSION"
dependencies = [
    "numpy>=1.26,<2.3",
    "sqlalchemy>=2.0,<2.1",
    "colorama; sys_platform == 'win32'",
    "six; platform_machine == 'aarch64'",
    "idna; platform_machine == 'x86_64'",
]
""".replace("VERSION", f"{sys.version_info[0]}.{sys.version_info[1]}")

EM_X86_64, EM_AARCH64 = 62, 183


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


@pytest.fixture
def registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as configured on this machine (TLS settings kept), no pip or uv config
    files, uv's default cache (the wheels are large)."""
    for key in list(os.environ):
        if key.startswith(("PIP_", "UV_")) and key not in ("UV_CACHE_DIR", "PIP_CERT"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")


def exported_for_target(project: Path, uv_platform: str) -> Dict[str, str]:
    """What uv itself plans for the target, without chef: the lock's export (every package with
    its markers), then `uv pip compile --no-deps --python-platform` of those pins, which keeps
    those whose markers hold for the target as uv evaluates them. name -> version."""
    export = project / "exported.txt"
    subprocess.run(
        [uv_bin(), "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-header",
         "--no-annotate", "--format", "requirements-txt", "--output-file", str(export)],
        cwd=project, capture_output=True, text=True, check=True)
    done = subprocess.run(
        [uv_bin(), "pip", "compile", str(export), "--no-deps", "--python-platform", uv_platform,
         "--python-version", host.python_version(), "--no-header", "--no-annotate"],
        cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        if not line.strip() or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        out[canonical(req.name)] = spec.version
    return out


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_real_cross_cook_for_linux_arm64(tmp_path: Path, registry_env: None, installer: str) -> None:
    project = tmp_path / "realapp"
    write(project / "pyproject.toml", PYPROJECT)
    subprocess.run([uv_bin(), "lock", "--python", sys.executable], cwd=project, check=True,
                   capture_output=True)
    recipe = tmp_path / "recipe.json"
    prepare_to_file(project, recipe)
    assert f"cp{sys.version_info[0]}{sys.version_info[1]}-cp" in recipe.read_text()

    venv = tmp_path / "venv"
    plan = cook(recipe, TargetSpec(venv=venv), installer=installer, quiet=True, echo=lambda s: None,
                cross=Cross("linux/arm64"))
    assert plan.platform is not None and plan.platform.machine == "aarch64"

    (site,) = (venv / "lib").glob("python*/site-packages")
    modules = list((site / "numpy").rglob("_multiarray_umath*.so"))
    assert modules and all(elf_machine(m) == EM_AARCH64 for m in modules), modules
    assert all("aarch64" in m.name for m in modules)
    others = [p for p in site.rglob("*.so") if elf_machine(p) != EM_AARCH64]
    assert not others, others  # no machine code of this machine anywhere

    # uv's own answer for an aarch64 Linux target, not chef's marker environment for it.
    expected = exported_for_target(project, "aarch64-unknown-linux-gnu")
    assert installed(venv / "bin" / "python") == expected
    # The markers that tell the target from this machine: uv takes six, not idna, and so must
    # the cross-cook.
    assert "six" in expected and "numpy" in expected
    assert "idna" not in expected and "colorama" not in expected
