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


HATCH_REQUIREMENTS = """\
[project]
name = "hooked"
version = "1.0"
dynamic = ["dependencies", "optional-dependencies"]

[build-system]
requires = ["hatchling", "hatch-requirements-txt"]
build-backend = "hatchling.build"

[tool.hatch.metadata.hooks.requirements_txt]
files = ["requirements.txt", "extra-reqs.txt"]

[tool.hatch.metadata.hooks.requirements_txt.optional-dependencies]
oauth = ["requirements-oauth.txt"]
"""


def _deps(project: object, name: str) -> list:  # type: ignore[type-arg]
    local = project.local_packages[name]  # type: ignore[attr-defined]
    return sorted(d.requirement_string() for d in local.dependencies)


def test_hatch_requirements_txt_is_read_as_the_hook_reads_it(tmp_path: Path) -> None:
    """gradio's shape: dependencies and extras filled by hatch-requirements-txt from files in the
    project. Like the hook, option lines (-r, --index-url) are skipped, not followed, and options
    after a requirement are dropped."""
    write(tmp_path / "pyproject.toml", HATCH_REQUIREMENTS)
    write(tmp_path / "requirements.txt",
          "anyio>=3.0,<5.0\n# a comment\n-r never-read.txt\n--index-url https://index.invalid/simple\n"
          "audioop-lts<=0.2.2; python_version >= \"3.13\" # trailing comment\n"
          "orjson~=3.0 --hash=sha256:00\n")
    write(tmp_path / "extra-reqs.txt", "pytz>=2017.2")  # no final newline, as in gradio's client
    write(tmp_path / "requirements-oauth.txt", "authlib\nitsdangerous # why\n")
    project = pep621.read(tmp_path)
    assert _deps(project, "hooked") == [
        "anyio<5.0,>=3.0", 'audioop-lts<=0.2.2; python_version >= "3.13"', "orjson~=3.0",
        "pytz>=2017.2",
    ]
    extras = dict(project.local_packages["hooked"].extras)
    assert sorted(d.name for d in extras["oauth"]) == ["authlib", "itsdangerous"]
    # a change in the file the hook reads changes the recipe; a comment does not
    before = recipe_text(tmp_path)
    write(tmp_path / "extra-reqs.txt", "pytz>=2017.2\n# note\n")
    assert recipe_text(tmp_path) == before
    write(tmp_path / "extra-reqs.txt", "pytz>=2024.1\n")
    assert recipe_text(tmp_path) != before


def test_hatch_requirements_txt_filename_and_default(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH_REQUIREMENTS.replace(
        'files = ["requirements.txt", "extra-reqs.txt"]', 'filename = "reqs/main.txt"'))
    write(tmp_path / "reqs" / "main.txt", "attrs\n")
    write(tmp_path / "requirements-oauth.txt", "authlib\n")
    assert _deps(pep621.read(tmp_path), "hooked") == ["attrs"]
    # neither files nor filename: the hook's (deprecated) default, requirements.txt
    write(tmp_path / "pyproject.toml", HATCH_REQUIREMENTS.replace(
        'files = ["requirements.txt", "extra-reqs.txt"]', ""))
    write(tmp_path / "requirements.txt", "idna\n")
    assert _deps(pep621.read(tmp_path), "hooked") == ["idna"]


def test_hatch_requirements_txt_file_outside_the_project_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "pyproject.toml", HATCH_REQUIREMENTS.replace(
        'files = ["requirements.txt", "extra-reqs.txt"]', 'files = ["../elsewhere.txt"]'))
    write(tmp_path / "elsewhere.txt", "attrs\n")
    with pytest.raises(InputError, match="outside the project"):
        pep621.read(tmp_path / "proj")


def test_hatch_toml_metadata_hooks_are_read(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH_REQUIREMENTS.split("[tool.hatch")[0])
    write(tmp_path / "hatch.toml", '[metadata.hooks.requirements_txt]\nfiles = ["r.txt"]\n')
    write(tmp_path / "r.txt", "six\n")
    assert _deps(pep621.read(tmp_path), "hooked") == ["six"]


VERSIONED_WORKSPACE = """\
[project]
name = "top"
dynamic = ["version", "dependencies"]

[build-system]
requires = ["hatchling", "uv-dynamic-versioning"]
build-backend = "hatchling.build"

[tool.hatch.metadata.hooks.uv-dynamic-versioning]
dependencies = ["slim[cli]=={{ version }}", "httpx>=0.27"]

[tool.uv.sources]
slim = { workspace = true }

[tool.uv.workspace]
members = ["slim"]
"""


def test_uv_dynamic_versioning_templates_on_own_members(tmp_path: Path) -> None:
    """pydantic-ai's shape: `member=={{ version }}` pins the project's own version, known only
    when it is built; on a workspace member that pin decides nothing chef installs."""
    write(tmp_path / "pyproject.toml", VERSIONED_WORKSPACE)
    write(tmp_path / "slim" / "pyproject.toml",
          '[project]\nname = "slim"\nversion = "1"\ndependencies = ["anyio"]\n'
          '[project.optional-dependencies]\ncli = ["rich"]\n')
    project = pep621.read(tmp_path)
    assert _deps(project, "top") == ["httpx>=0.27", "slim[cli]"]
    assert "rich" in recipe_text(tmp_path)
    # the same template on a package that is not the project's own: chef cannot know the pin
    write(tmp_path / "pyproject.toml", VERSIONED_WORKSPACE.replace('"httpx>=0.27"',
                                                                   '"other=={{ version }}"'))
    with pytest.raises(InputError, match=r"other come from a `\{\{ version \}\}` template"):
        pep621.read(tmp_path)
