"""Versions from git: which local packages take their version from a VCS at build time, through
which build backend or plugin, and how to hand such a backend a version when `.git` (or git)
is absent, as in a Docker build whose .dockerignore holds `.git`.

What each tool reads instead of git (their own sources and docs):

- setuptools-scm: SETUPTOOLS_SCM_PRETEND_VERSION_FOR_<NAME> (NAME: the distribution name,
  normalized, `-` as `_`, upper case); hatch-vcs calls setuptools-scm's get_version without
  the distribution's name, so it reads SETUPTOOLS_SCM_PRETEND_VERSION: chef sets both for it.
- uv-dynamic-versioning: UV_DYNAMIC_VERSIONING_BYPASS (no per-distribution variable).
- poetry-dynamic-versioning: POETRY_DYNAMIC_VERSIONING_OVERRIDE="name=version" (per
  distribution; the name as the pyproject.toml spells it).
- pdm-backend (`[tool.pdm.version] source = "scm"`): PDM_BUILD_SCM_VERSION.
- versioningit has no such variable: outside a repository it reads the version from a PKG-INFO
  file in the project directory (an unpacked sdist), or its `default-version`. chef writes that
  PKG-INFO (Metadata-Version, Name, Version) for the build and removes it afterwards.

Each build hook builds one package in a process of its own, so a variable reaches only the
package it is for. Nothing here enters the recipe: the project's own version never decides
which third-party packages are installed.

Detection reads pyproject.toml only (stdlib + chef.toml); no build backend is imported.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

from chef.model import canonical

SETUPTOOLS_SCM = "setuptools-scm"
HATCH_VCS = "hatch-vcs"
UV_DYNAMIC = "uv-dynamic-versioning"
POETRY_DYNAMIC = "poetry-dynamic-versioning"
PDM_SCM = "pdm-backend (scm)"
VERSIONINGIT = "versioningit"

# The settings under which a backend falls back to a version of its own when there is no VCS.
_FALLBACK_KEYS = {"fallback_version", "fallback-version", "default-version", "default_version"}

VERSION_VARIABLE = "CHEF_PROJECT_VERSION"
# How to give a version, for the error lines (Dockerfile.example's build argument first).
HOW = ("give the version: `--build-arg PROJECT_VERSION=...` (Dockerfile.example), "
       f"`chef install-project --version VERSION` or {VERSION_VARIABLE}=VERSION")


@dataclass(frozen=True)
class ScmVersion:
    """A package whose version comes from a VCS: through which tool, under which name."""

    tool: str
    name: str  # the distribution name as its pyproject.toml spells it
    fallback: bool  # the tool is configured with a version of its own for when VCS fails


def _table(data: Mapping[str, Any], *keys: str) -> Dict[str, Any]:
    for key in keys:
        value = data.get(key) if isinstance(data, Mapping) else None
        if not isinstance(value, dict):
            return {}
        data = value
    return dict(data)


def _requires(data: Mapping[str, Any]) -> List[str]:
    """Canonical names in [build-system].requires."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for text in _table(data, "build-system").get("requires") or []:
        try:
            out.append(canonical(Requirement(str(text)).name))
        except InvalidRequirement:
            continue
    return out


def _setup_requires(source_dir: Path) -> List[str]:
    """Canonical names in setup.cfg's `[options] setup_requires` (lines, or `;`-separated)."""
    import configparser

    from packaging.requirements import InvalidRequirement, Requirement

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(source_dir / "setup.cfg", encoding="utf-8")
        text = parser.get("options", "setup_requires", fallback="")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return []
    out = []
    for item in text.replace(";", "\n").splitlines():
        try:
            out.append(canonical(Requirement(item.strip()).name))
        except InvalidRequirement:
            continue
    return out


def _tool(data: Mapping[str, Any], backend: str, requires: List[str], source_dir: Path
          ) -> Optional[str]:
    """The versioning tool the build of `data` uses, or None (no VCS version)."""
    tool = _table(data, "tool")
    hatch_source = _table(tool, "hatch", "version").get("source")
    if backend == "hatchling.build":
        found = {"vcs": HATCH_VCS, "uv-dynamic-versioning": UV_DYNAMIC,
                 "versioningit": VERSIONINGIT}.get(str(hatch_source))
        if found is not None:
            return found
    if backend == "pdm.backend" and _table(tool, "pdm", "version").get("source") == "scm":
        return PDM_SCM
    if (_table(tool, "poetry-dynamic-versioning").get("enable") is True
            and (backend == "poetry_dynamic_versioning.backend"
                 or "poetry-dynamic-versioning" in requires)):
        return POETRY_DYNAMIC
    if not backend.startswith("setuptools.build_meta"):
        return None
    if "versioningit" in tool and "versioningit" in requires:
        return VERSIONINGIT
    setup_py = source_dir / "setup.py"
    if "setuptools-scm" not in requires and not (
        setup_py.is_file() and "setuptools-scm" in _setup_requires(source_dir)
    ):
        return None  # the build environment has no setuptools-scm: its table does nothing
    if "setuptools_scm" in tool or "setuptools-scm" in tool:
        return SETUPTOOLS_SCM
    dynamic = _table(data, "project").get("dynamic") or []
    if "version" in dynamic and "version" not in _table(tool, "setuptools", "dynamic"):
        return SETUPTOOLS_SCM  # setuptools-scm[simple], or no version at all
    try:
        if setup_py.is_file() and "use_scm_version" in setup_py.read_text(
                encoding="utf-8", errors="replace"):
            return SETUPTOOLS_SCM
    except OSError:
        return None
    return None


def _tables(data: Mapping[str, Any], tool: str) -> List[Dict[str, Any]]:
    """The configuration tables of `tool` (where a fallback version would be set)."""
    t = _table(data, "tool")
    return {
        SETUPTOOLS_SCM: [_table(t, "setuptools_scm"), _table(t, "setuptools-scm")],
        HATCH_VCS: [_table(t, "hatch", "version"), _table(t, "hatch", "version", "raw-options")],
        UV_DYNAMIC: [_table(t, "uv-dynamic-versioning")],
        POETRY_DYNAMIC: [_table(t, "poetry-dynamic-versioning")],
        PDM_SCM: [_table(t, "pdm", "version")],
        VERSIONINGIT: [_table(t, "versioningit")],
    }[tool]


def detect(data: Mapping[str, Any], source_dir: Path) -> Optional[ScmVersion]:
    """Whether the package whose pyproject.toml holds `data` (its directory: `source_dir`)
    takes its version from a VCS when built, and through which tool."""
    project = _table(data, "project")
    if "version" in project:
        return None  # a static version: no tool is asked
    system = _table(data, "build-system")
    backend = system.get("build-backend") or "setuptools.build_meta:__legacy__"
    if not isinstance(backend, str):
        return None
    tool = _tool(data, backend, _requires(data), source_dir)
    if tool is None:
        return None
    name = project.get("name") or _table(data, "tool", "poetry").get("name") or ""
    fallback = any(key in table for table in _tables(data, tool) for key in _FALLBACK_KEYS)
    return ScmVersion(tool, str(name), fallback)


def detect_dir(source_dir: Path) -> Optional[ScmVersion]:
    """`detect` for the package at `source_dir`; None when its pyproject.toml cannot be read
    (the build reports that itself)."""
    from chef.toml import load_toml

    pyproject = source_dir / "pyproject.toml"
    if not pyproject.is_file():  # setup.py alone: setuptools-scm through setup.cfg, or nothing
        return detect({}, source_dir) if (source_dir / "setup.py").is_file() else None
    try:
        data = load_toml(pyproject, str(pyproject))
    except Exception:  # the build's own checks report an unreadable file
        return None
    return detect(data, source_dir)


def environment(scm: ScmVersion, version: str) -> Dict[str, str]:
    """The variables that make `scm.tool` use `version` instead of asking git."""
    if scm.tool in (SETUPTOOLS_SCM, HATCH_VCS):
        key = canonical(scm.name).replace("-", "_").upper()
        out = {f"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_{key}": version}
        if scm.tool == HATCH_VCS:
            out["SETUPTOOLS_SCM_PRETEND_VERSION"] = version
        return out
    if scm.tool == UV_DYNAMIC:
        return {"UV_DYNAMIC_VERSIONING_BYPASS": version}
    if scm.tool == POETRY_DYNAMIC:
        return {"POETRY_DYNAMIC_VERSIONING_OVERRIDE": f"{scm.name}={version}"}
    if scm.tool == PDM_SCM:
        return {"PDM_BUILD_SCM_VERSION": version}
    return {}  # versioningit: a PKG-INFO file (pkg_info)


def pkg_info(scm: ScmVersion, version: str) -> Optional[str]:
    """The PKG-INFO text the tool reads the version from outside a repository (versioningit's
    sdist fallback), or None when it reads a variable."""
    if scm.tool != VERSIONINGIT:
        return None
    return f"Metadata-Version: 2.1\nName: {scm.name}\nVersion: {version}\n"


def missing_vcs(source_dir: Path) -> Optional[str]:
    """Why the tools cannot read a version from a repository for `source_dir`, or None when
    they may: a `.git` (directory, or the file of a worktree or submodule) with git installed,
    or a `.hg` with hg installed, in `source_dir` or any directory above it (the tools search
    upwards or are told where the root is; chef lets them try)."""
    import shutil

    here = Path(os.path.abspath(source_dir))
    found = []
    for directory in (here, *here.parents):
        for marker, program in ((".git", "git"), (".hg", "hg")):
            if (directory / marker).exists():
                if shutil.which(program) is not None:
                    return None
                found.append(program)
    if found:
        return f"{found[0]} is not installed (a slim base image has none)"
    return "there is no .git here or above (a .dockerignore that holds .git leaves it out)"


def check_version(version: str, where: str) -> str:
    """`version` normalized (v2.3.4 -> 2.3.4) when PEP 440 accepts it; else a usage error
    naming `where` it came from."""
    from packaging.version import InvalidVersion, Version

    from chef.errors import UsageError

    try:
        parsed = Version(version)
    except InvalidVersion:
        raise UsageError(
            f"{where}: {version!r} is not a valid version",
            hint="give a PEP 440 version such as 2.3.4 (a leading v, as in `git describe`'s "
            "v2.3.4, is accepted)",
        ) from None
    return str(parsed)


def explain_line(path: str, scm: ScmVersion) -> str:
    """For `prepare --explain`: one line on a package whose version comes from git."""
    return (f"{path}: the version of {scm.name or 'this package'} comes from git through "
            f"{scm.tool}; install-project needs .git and git, or `--version`/"
            f"{VERSION_VARIABLE} (the recipe does not depend on it)")


def for_build(source_dir: Path, display: str, version: Optional[str]) -> Optional[ScmVersion]:
    """The VCS versioning of the package at `source_dir`, after refusing, in one line, the
    build that is certain to fail: the version comes from git, none was given, the tool has no
    fallback of its own, and neither a repository above nor a PKG-INFO (an unpacked sdist,
    which the tools read instead) is there."""
    scm = detect_dir(source_dir)
    if (scm is None or version is not None or scm.fallback
            or (source_dir / "PKG-INFO").is_file()):
        return scm
    why = missing_vcs(source_dir)
    if why is None:
        return scm
    from chef.errors import InputError

    raise InputError(
        f"the version of {scm.name or 'this package'} comes from git ({scm.tool}), and {why}",
        path=display,
        hint=HOW,
    )


@contextmanager
def handed(source_dir: Path, scm: Optional[ScmVersion], version: Optional[str]
           ) -> Iterator[Dict[str, str]]:
    """Around one build hook of the package at `source_dir`: the variables to add to its
    environment; for versioningit, a PKG-INFO written for the while (never over one that is
    there: an unpacked sdist's own wins, as it does for versioningit)."""
    if scm is None or version is None:
        yield {}
        return
    text = pkg_info(scm, version)
    target = source_dir / "PKG-INFO"
    if text is None or target.exists():
        yield environment(scm, version)
        return
    target.write_text(text, encoding="utf-8")
    try:
        yield environment(scm, version)
    finally:
        try:
            target.unlink()
        except OSError:
            pass
