from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write
from stability_helpers import recipe_text

from chef.errors import InputError
from chef.model import Dep
from chef.readers import pep621

BASE = """\
[project]
name = "My_Proj"
version = "1.0"
requires-python = ">= 3.9"
dependencies = ["Requests >= 2.0, <3", "attrs; python_version<'3.11'"]

[project.optional-dependencies]
test = ["pytest", "my-proj[cli]"]
cli = ["click>=8"]

[dependency-groups]
lint = ["ruff"]
dev = ["coverage", {include-group = "lint"}]

[build-system]
requires = ["hatchling>=1.20", "hatch-vcs"]
build-backend = "hatchling.build"
"""


def test_reads_pep621_and_groups(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", BASE)
    project = pep621.read(tmp_path)
    local = project.local_packages["my-proj"]
    assert local.path == "."
    assert local.build_requires == ("hatch-vcs", "hatchling>=1.20")
    assert Dep(name="requests", specifier="<3,>=2.0") in local.dependencies
    assert Dep(name="attrs", marker='python_version < "3.11"') in local.dependencies
    assert dict(local.groups)["dev"] == (Dep(name="coverage"), Dep(name="ruff"))
    assert project.requires_python == ">=3.9"
    assert [d.name for d in project.roots] == ["my-proj"]


def test_self_referencing_extra_expands(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", BASE)
    text = recipe_text(tmp_path, extras=("test",))
    assert '"click"' in text and '"pytest"' in text


def test_include_group_cycle_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        BASE.replace('lint = ["ruff"]', 'lint = ["ruff", {include-group = "dev"}]'),
    )
    with pytest.raises(InputError, match="cycle"):
        pep621.read(tmp_path)


def test_no_build_system_defaults_to_setuptools(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", BASE.split("[build-system]")[0])
    assert pep621.read(tmp_path).local_packages["my-proj"].build_requires == ("setuptools>=40.8.0",)


def test_dynamic_dependencies_from_file(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "d"\nversion = "1"\ndynamic = ["dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.in"]}\n',
    )
    write(tmp_path / "requirements.in", "six\n# comment\nidna>=3\n")
    deps = pep621.read(tmp_path).local_packages["d"].dependencies
    assert [d.name for d in deps] == ["idna", "six"]


def test_dynamic_dependencies_unreadable(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "d"\nversion = "1"\ndynamic = ["dependencies"]\n',
    )
    with pytest.raises(InputError, match="dynamic"):
        pep621.read(tmp_path)


def test_wrong_types_are_clear_errors(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "d"\nversion = "1"\ndependencies = 5\n')
    with pytest.raises(InputError, match="must be an array"):
        pep621.read(tmp_path)


def test_invalid_requirement(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "d"\ndependencies = ["foo >>> 1"]\n')
    with pytest.raises(InputError, match="invalid requirement"):
        pep621.read(tmp_path)


def test_unlocked_stability_and_sensitivity(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", BASE)
    base = recipe_text(tmp_path)
    path.write_text(BASE.replace('version = "1.0"', 'version = "2.0"') + "\n[tool.ruff]\nx = 1\n")
    assert recipe_text(tmp_path) == base
    path.write_text(BASE.replace('"Requests >= 2.0, <3"', '"requests<3,>=2.0"'))
    assert recipe_text(tmp_path) == base  # same requirement, other spelling
    path.write_text(BASE.replace("<3", "<4"))
    assert recipe_text(tmp_path) != base
    path.write_text(BASE.replace("python_version<'3.11'", "python_version<'3.12'"))
    assert recipe_text(tmp_path) != base
    path.write_text(BASE.replace('"coverage"', '"coverage", "mypy"'))
    assert recipe_text(tmp_path) == base  # unselected group
    assert recipe_text(tmp_path, groups=("dev",)) != base
