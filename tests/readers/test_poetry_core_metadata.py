"""A `[project]` without `dependencies` beside `[tool.poetry]` (issue 18.2): poetry-core fills the
dependencies and extras from `[tool.poetry]` (not when `[project.optional-dependencies]` is
there: then it reads `[project]` alone).
chef's pyproject reader reads them as the installed poetry-core writes them (Requires-Dist and
Provides-Extra from `poetry.core.masonry.metadata.Metadata`, in process, offline), compared by
meaning over a grid of versions and environments.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from chef.errors import InputError
from chef.prepare import prepare
from chef.readers.pyproject import project_requirements
from chef.toml import load_toml

BACKEND = ('[build-system]\nrequires = ["poetry-core>=2.0"]\n'
           'build-backend = "poetry.core.masonry.api"\n')

CASES = {
    "issue": '''[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"

[tool.poetry.dependencies]
six = "^1.16"
''',
    "constraints, markers, extras": '''[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"

[tool.poetry.dependencies]
python = ">=3.9"
alpha = "~1.2"
beta = { version = ">=1,<3", python = "<3.11" }
gamma = { version = "^0.3", extras = ["fast"], markers = "sys_platform == 'linux'" }
delta = { version = "*", optional = true }
zeta = { version = "^2", optional = true }

[tool.poetry.extras]
fast = ["delta"]
all = ["delta", "zeta"]
''',
    "[project] extras win over [tool.poetry.extras]": '''[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"

[project.optional-dependencies]
docs = ["docsgen>=1"]

[tool.poetry.dependencies]
alpha = ">=1"
''',
}

VERSIONS = ["0.1", "0.3", "0.3.5", "0.4", "1.0", "1.2", "1.2.9", "1.3", "1.16", "2.0", "2.5",
            "3.0"]
ENVS = [
    {"python_version": py, "python_full_version": py + ".0", "sys_platform": plat,
     "platform_system": "Linux", "implementation_name": "cpython", "os_name": "posix",
     "platform_machine": "x86_64", "platform_python_implementation": "CPython",
     "platform_release": "", "platform_version": "", "implementation_version": py + ".0",
     "extra": extra}
    for py, plat, extra in itertools.product(
        ["3.9", "3.10", "3.11", "3.12"], ["linux", "win32"], ["", "fast", "all", "docs"])
]


def _meaning(texts: List[str]) -> Set[Tuple[str, Tuple[str, ...], Tuple[bool, ...],
                                             Tuple[bool, ...]]]:
    """Per (name, extras, versions accepted): the environments where some requirement applies
    (one requirement under `extra == "a" or extra == "b"` means two under one extra each)."""
    merged: Dict[Tuple[str, Tuple[str, ...], Tuple[bool, ...]], Tuple[bool, ...]] = {}
    for text in texts:
        req = Requirement(text)
        accepts = tuple(req.specifier.contains(v, prereleases=True) for v in VERSIONS)
        applies = tuple(req.marker is None or req.marker.evaluate(dict(env)) for env in ENVS)
        key = (str(canonicalize_name(req.name)), tuple(sorted(req.extras)), accepts)
        before = merged.get(key, (False,) * len(ENVS))
        merged[key] = tuple(a or b for a, b in zip(before, applies))
    return {key + (applies,) for key, applies in merged.items()}


def _poetry_core(directory: Path) -> Tuple[List[str], Set[str]]:
    pytest.importorskip("poetry.core")
    from poetry.core.factory import Factory
    from poetry.core.masonry.metadata import Metadata

    meta = Metadata.from_package(Factory().create_poetry(directory).package)
    return list(meta.requires_dist), {str(canonicalize_name(e)) for e in meta.provides_extra}


@pytest.mark.parametrize("case", sorted(CASES))
def test_chef_reads_what_poetry_core_writes(tmp_path: Path, case: str) -> None:
    (tmp_path / "pyproject.toml").write_text(CASES[case] + "\n" + BACKEND, encoding="utf-8")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("")
    theirs, their_extras = _poetry_core(tmp_path)
    data = load_toml(tmp_path / "pyproject.toml", "pyproject.toml")
    found = project_requirements(tmp_path, ".", data, "pyproject.toml")
    mine: List[str] = list(found.dependencies)
    for extra, items in found.optional.items():
        for text in items:
            req = Requirement(text)
            marker = f"({req.marker}) and extra == '{extra}'" if req.marker \
                else f"extra == '{extra}'"
            req.marker = None
            mine.append(f"{req}; {marker}")
    assert _meaning(mine) == _meaning(theirs), (mine, theirs)
    assert {str(canonicalize_name(e)) for e in found.optional} == their_extras
    assert theirs  # the case declares something


def test_prepare_with_the_pyproject_reader(tmp_path: Path) -> None:
    """Was a recipe without dependencies (exit 0): pip builds the project with poetry-core and
    installs six."""
    (tmp_path / "pyproject.toml").write_text(CASES["issue"] + "\n" + BACKEND, encoding="utf-8")
    result = prepare(tmp_path, manager="pyproject")
    assert [(d.name, d.specifier) for d in result.recipe.roots] == [("six", "<2,>=1.16")]


def test_another_backend_reads_no_dependencies(tmp_path: Path) -> None:
    """A [tool.poetry] table left beside another backend: [project] says there are none."""
    text = CASES["issue"] + '\n[build-system]\nrequires = ["tinybuild"]\nbuild-backend = "tinybuild"\n'
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    data = load_toml(tmp_path / "pyproject.toml", "pyproject.toml")
    assert project_requirements(tmp_path, ".", data, "pyproject.toml").dependencies == []


def test_a_path_dependency_is_one_clear_error(tmp_path: Path) -> None:
    text = CASES["issue"] + 'lib = { path = "../lib" }\n\n' + BACKEND
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    data = load_toml(tmp_path / "pyproject.toml", "pyproject.toml")
    with pytest.raises(InputError, match="poetry-core fills them") as info:
        project_requirements(tmp_path, ".", data, "pyproject.toml")
    assert "\n" not in str(info.value)
