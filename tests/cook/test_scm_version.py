"""chef.scm_version without builds: which configurations take their version from git, the
variables each tool is handed, and when chef can be sure a build without a version fails.
(The real builds: tests/integration/test_scm_versions.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from chef import scm_version
from chef.errors import InputError, UsageError
from chef.scm_version import ScmVersion, detect, environment, for_build, missing_vcs


def tool_of(text: str, directory: Optional[Path] = None) -> Optional[str]:
    import tomli

    found = detect(tomli.loads(text), directory or Path("/nonexistent"))
    return found.tool if found is not None else None


DYNAMIC = '[project]\nname = "app"\ndynamic = ["version"]\n'


@pytest.mark.parametrize("text, tool", [
    (DYNAMIC + '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
     'build-backend = "setuptools.build_meta"\n[tool.setuptools_scm]\n', "setuptools-scm"),
    # setuptools-scm in requires with a dynamic version: no table needed
    (DYNAMIC + '[build-system]\nrequires = ["setuptools", "setuptools_scm[toml]>=8"]\n',
     "setuptools-scm"),
    (DYNAMIC + '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
     'build-backend = "hatchling.build"\n[tool.hatch.version]\nsource = "vcs"\n', "hatch-vcs"),
    (DYNAMIC + '[build-system]\nrequires = ["hatchling", "uv-dynamic-versioning"]\n'
     'build-backend = "hatchling.build"\n[tool.hatch.version]\n'
     'source = "uv-dynamic-versioning"\n', "uv-dynamic-versioning"),
    (DYNAMIC + '[build-system]\nrequires = ["poetry-core", "poetry-dynamic-versioning"]\n'
     'build-backend = "poetry_dynamic_versioning.backend"\n'
     '[tool.poetry-dynamic-versioning]\nenable = true\n', "poetry-dynamic-versioning"),
    ('[tool.poetry]\nname = "app"\nversion = "0.0.0"\n[build-system]\n'
     'requires = ["poetry-core", "poetry-dynamic-versioning"]\n'
     'build-backend = "poetry_dynamic_versioning.backend"\n'
     '[tool.poetry-dynamic-versioning]\nenable = true\n', "poetry-dynamic-versioning"),
    (DYNAMIC + '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
     '[tool.pdm.version]\nsource = "scm"\n', "pdm-backend (scm)"),
    (DYNAMIC + '[build-system]\nrequires = ["setuptools", "versioningit"]\n'
     'build-backend = "setuptools.build_meta"\n[tool.versioningit]\n', "versioningit"),
    (DYNAMIC + '[build-system]\nrequires = ["hatchling", "versioningit"]\n'
     'build-backend = "hatchling.build"\n[tool.hatch.version]\nsource = "versioningit"\n'
     '[tool.versioningit]\n', "versioningit"),
    # not from git: a static version, another version source, a plugin the backend never runs
    ('[project]\nname = "app"\nversion = "1.0"\n[build-system]\n'
     'requires = ["setuptools", "setuptools-scm"]\n[tool.setuptools_scm]\n', None),
    (DYNAMIC + '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
     '[tool.hatch.version]\npath = "app/__init__.py"\n', None),
    (DYNAMIC + '[build-system]\nrequires = ["poetry-core"]\n'
     'build-backend = "poetry.core.masonry.api"\n'
     '[tool.poetry-dynamic-versioning]\nenable = true\n', None),
    (DYNAMIC + '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
     '[tool.pdm.version]\nsource = "file"\npath = "app/__init__.py"\n', None),
    (DYNAMIC + '[build-system]\nrequires = ["setuptools"]\n[tool.versioningit]\n', None),
    # a setuptools-scm table with no setuptools-scm in the build env does nothing
    (DYNAMIC + '[build-system]\nrequires = ["setuptools"]\n[tool.setuptools_scm]\n', None),
    # the version from an attribute, setuptools-scm there for its file finder
    (DYNAMIC + '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
     '[tool.setuptools.dynamic]\nversion = {attr = "app.__version__"}\n', None),
])
def test_detect(text: str, tool: Optional[str]) -> None:
    assert tool_of(text) == tool


def test_setup_py_with_use_scm_version(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup\n"
                                       "setup(use_scm_version=True)\n", encoding="utf-8")
    text = '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
    assert tool_of(text, tmp_path) == "setuptools-scm"
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(version='1')\n",
                                       encoding="utf-8")
    assert tool_of(text, tmp_path) is None
    # setuptools-scm only in setup.cfg's setup_requires, as older projects have it
    (tmp_path / "setup.py").write_text("from setuptools import setup\n"
                                       "setup(use_scm_version={'local_scheme': 'no-local-version'})\n",
                                       encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[options]\nsetup_requires =\n    setuptools_scm>=3\n",
                                        encoding="utf-8")
    assert tool_of('[build-system]\nrequires = ["setuptools"]\n', tmp_path) == "setuptools-scm"
    assert scm_version.detect_dir(tmp_path) is not None  # no pyproject.toml at all
    (tmp_path / "setup.cfg").unlink()
    assert tool_of('[build-system]\nrequires = ["setuptools"]\n', tmp_path) is None


@pytest.mark.parametrize("tool, name, expected", [
    ("setuptools-scm", "My.Pkg_name", {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG_NAME": "2.3.4"}),
    ("hatch-vcs", "my-pkg", {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG": "2.3.4",
                             "SETUPTOOLS_SCM_PRETEND_VERSION": "2.3.4"}),
    ("uv-dynamic-versioning", "my-pkg", {"UV_DYNAMIC_VERSIONING_BYPASS": "2.3.4"}),
    ("poetry-dynamic-versioning", "My_Pkg",
     {"POETRY_DYNAMIC_VERSIONING_OVERRIDE": "My_Pkg=2.3.4"}),
    ("pdm-backend (scm)", "my-pkg", {"PDM_BUILD_SCM_VERSION": "2.3.4"}),
    ("versioningit", "my-pkg", {}),
])
def test_environment(tool: str, name: str, expected: dict) -> None:  # type: ignore[type-arg]
    assert environment(ScmVersion(tool, name, False), "2.3.4") == expected


def test_versioningit_gets_a_pkg_info_for_the_build_only(tmp_path: Path) -> None:
    scm = ScmVersion("versioningit", "my-pkg", False)
    with scm_version.handed(tmp_path, scm, "2.3.4") as env:
        assert env == {}
        text = (tmp_path / "PKG-INFO").read_text(encoding="utf-8")
        assert "Name: my-pkg\n" in text and "Version: 2.3.4\n" in text
    assert not (tmp_path / "PKG-INFO").exists()
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: x\nVersion: 1\n")
    with scm_version.handed(tmp_path, scm, "2.3.4"):
        pass
    assert (tmp_path / "PKG-INFO").read_text() == "Metadata-Version: 2.1\nName: x\nVersion: 1\n"


def test_missing_vcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "repo" / "packages" / "app"
    package.mkdir(parents=True)
    assert missing_vcs(package) is not None and ".git" in str(missing_vcs(package))
    (tmp_path / "repo" / ".git").mkdir()
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda p, **k: "/usr/bin/git" if p == "git" else None)
    assert missing_vcs(package) is None  # a repository above, and git: the tool may find it
    monkeypatch.setattr(shutil, "which", lambda p, **k: None)
    assert "git is not installed" in str(missing_vcs(package))
    monkeypatch.setattr(shutil, "which", real)


HATCH_VCS = (DYNAMIC + '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
             'build-backend = "hatchling.build"\n[tool.hatch.version]\nsource = "vcs"\n')


def test_for_build_refuses_only_when_certain(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(HATCH_VCS, encoding="utf-8")
    with pytest.raises(InputError) as info:
        for_build(tmp_path, "pyproject.toml", None)
    line = str(info.value)
    assert "comes from git (hatch-vcs)" in line and "PROJECT_VERSION" in line
    assert "--version" in line and "CHEF_PROJECT_VERSION" in line
    assert for_build(tmp_path, "pyproject.toml", "2.3.4") is not None  # a version: handed
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: app\nVersion: 1\n")
    assert for_build(tmp_path, "pyproject.toml", None) is not None  # an sdist: the tool reads it
    (tmp_path / "PKG-INFO").unlink()
    (tmp_path / "pyproject.toml").write_text(HATCH_VCS + 'fallback-version = "0.0"\n')
    found = for_build(tmp_path, "pyproject.toml", None)
    assert found is not None and found.fallback


@pytest.mark.parametrize("given, normal", [("2.3.4", "2.3.4"), ("v2.3.4", "2.3.4"),
                                           ("2.3.4.dev3+g1234", "2.3.4.dev3+g1234")])
def test_check_version(given: str, normal: str) -> None:
    assert scm_version.check_version(given, "--version") == normal


def test_check_version_refuses() -> None:
    with pytest.raises(UsageError) as info:
        scm_version.check_version("v2.3.4-3-gabcdef", "--version")
    assert "--version: 'v2.3.4-3-gabcdef' is not a valid version" in str(info.value)
