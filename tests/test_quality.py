"""Lint and types are part of the suite, so CI's one test command checks them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff() -> None:
    paths = [p for p in ("chef", "tests", "bench", "examples") if (ROOT / p).is_dir()]
    done = subprocess.run([_tool("ruff"), "check", *paths], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_toml_reader_fallback_parses_the_same(tmp_path: Path) -> None:
    """Both TOML paths (compiled tomli, stdlib tomllib) give the same recipe."""
    if sys.version_info < (3, 11):
        pytest.skip("stdlib tomllib needs Python 3.11")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["six>=1; os_name == \'nt\'"]\n'
    )
    code = (
        "import sys; from chef.prepare import prepare; from chef import toml;"
        "sys.stdout.write(toml.READER_NAME + '\\n' + prepare(sys.argv[1]).text)"
    )
    outputs = {}
    for reader in ("tomli", "tomllib"):
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                              text=True, check=True, env={"CHEF_TOML_READER": reader, "PATH": ""})
        name, _, text = done.stdout.partition("\n")
        assert name == reader
        outputs[reader] = text
    assert outputs["tomli"] == outputs["tomllib"]
