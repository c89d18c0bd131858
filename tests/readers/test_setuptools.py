"""setup.cfg static metadata; setup.py is never run."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import write
from lockhelpers import recipe

from chef.detect import detect
from chef.errors import InputError
from chef.select import Selection

SETUP_CFG = """[metadata]
name = My_Tool
version = 1.0

[options]
python_requires = >=3.8, <3.14
install_requires =
    alpha >= 1
    # a comment
    beta; sys_platform == 'win32'
    file: reqs.txt

[options.extras_require]
fast =
    gamma[fast]
"""


def test_setup_cfg(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", SETUP_CFG.replace("    file: reqs.txt\n", ""))
    rec = recipe(tmp_path, "setuptools", Selection(extras=("fast",)))
    roots = {d.name: d for d in rec.roots}
    assert roots["alpha"].specifier == ">=1"
    assert roots["beta"].marker == 'sys_platform == "win32"'
    assert roots["gamma"].extras == ("fast",)
    assert rec.requires_python == "<3.14,>=3.8"
    assert set(rec.local_packages) == {"my-tool"}
    assert detect(tmp_path)[0].name == "setuptools"


def test_file_directive(tmp_path: Path) -> None:
    write(
        tmp_path / "setup.cfg",
        "[metadata]\nname = t\n[options]\ninstall_requires = file: reqs.txt\n",
    )
    write(tmp_path / "reqs.txt", "delta==1.0\n")
    assert {d.name for d in recipe(tmp_path, "setuptools").roots} == {"delta"}


def test_setup_py_only_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "setup.py", "from setuptools import setup\nsetup(install_requires=['x'])\n")
    with pytest.raises(InputError) as err:
        recipe(tmp_path, "setuptools")
    assert "setup.py" in str(err.value) and "--requirements" in str(err.value)


def test_setup_py_with_cfg_without_requires(tmp_path: Path) -> None:
    write(tmp_path / "setup.py", "")
    write(tmp_path / "setup.cfg", "[flake8]\nmax-line-length = 80\n")
    with pytest.raises(InputError, match="cannot be read statically"):
        recipe(tmp_path, "setuptools")


def test_pyproject_build_requires(tmp_path: Path) -> None:
    write(
        tmp_path / "setup.cfg", "[metadata]\nname = t\n[options]\ninstall_requires =\n    alpha\n"
    )
    write(tmp_path / "pyproject.toml", '[build-system]\nrequires = ["setuptools>=70", "wheel"]\n')
    rec = recipe(tmp_path, "setuptools")
    assert rec.local_packages["t"].build_requires == ("setuptools>=70", "wheel")
    assert detect(tmp_path)[0].name == "setuptools"  # pyproject without [project]
