"""Small projects locked by poetry, pdm, pipenv and PEP 751, written by the tests.

One scenario in every format, over the packages of the test wheelhouse (tests/conftest.py):
- main: alpha (-> beta), epsilon (-> zeta on win32 only); beta is locked twice, 1.0 for
  Python < 3.10 and 2.0 for 3.10+ (several versions of one name under markers);
- extra `fast`: gamma[fast] (-> delta);
- group `dev`: devtool; group `docs` (optional in poetry): docsgen;
- with `remote=True` also a git and a URL dependency (never installed: no network in tests).

`versions` bumps a package (e.g. {"devtool": "1.0"}); `hashes` maps "name==version" to real
hashes (from the wheelhouse) and `index` is the index URL (the loopback server) for real installs.
Hosts are `.invalid` placeholders.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Optional

GIT_URL = "https://git.invalid/gitpkg.git"
GIT_SHA = "0123456789abcdef0123456789abcdef01234567"
URL_WHEEL = "https://files.index.invalid/packages/urlpkg-1.0-py3-none-any.whl"
FILES_HOST = "https://files.index.invalid/packages"

DEFAULT_VERSIONS = {
    "alpha": "1.0",
    "beta-old": "1.0",
    "beta": "2.0",
    "epsilon": "1.0",
    "zeta": "1.0",
    "gamma": "1.0",
    "delta": "1.0",
    "devtool": "1.1",
    "docsgen": "1.0",
}


def fake_hash(name: str, version: str) -> str:
    return "sha256:" + hashlib.sha256(f"{name}-{version}".encode()).hexdigest()


class Scenario:
    def __init__(
        self,
        versions: Optional[Mapping[str, str]] = None,
        hashes: Optional[Mapping[str, str]] = None,
        index: Optional[str] = None,
        remote: bool = True,
    ) -> None:
        self.v = dict(DEFAULT_VERSIONS, **(versions or {}))
        self.hashes = dict(hashes or {})
        self.index = index
        self.remote = remote

    def hash(self, name: str, version: str) -> str:
        return self.hashes.get(f"{name}=={version}") or fake_hash(name, version)

    def wheel(self, name: str, version: str) -> str:
        return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"

    def file_url(self, name: str, version: str) -> str:
        base = self.index.rsplit("/simple", 1)[0] + "/files" if self.index else FILES_HOST
        return f"{base}/{self.wheel(name, version)}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _sources(project: Path) -> None:
    write(project / "src" / "app" / "__init__.py", "VALUE = 1\n")


BUILD = '[build-system]\nrequires = ["tinybuild"]\nbuild-backend = "tinybuild"\n'


def _project_table(s: Scenario, version: str = "0.1.0") -> str:
    deps = ['"alpha>=1"', '"epsilon"']
    if s.remote:
        deps += [f'"gitpkg @ git+{GIT_URL}@main"', f'"urlpkg @ {URL_WHEEL}"']
    return (
        f'[project]\nname = "app"\nversion = "{version}"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{', '.join(deps)}]\n\n"
        '[project.optional-dependencies]\nfast = ["gamma[fast]"]\n\n'
    )


# ---------------------------------------------------------------- poetry


def poetry_project(
    root: Path,
    s: Scenario,
    lock_version: str = "2.1",
    own_version: str = "0.1.0",
    content_hash: bool = False,
) -> Path:
    """pyproject ([project] + [tool.poetry] groups, poetry 2 style) and poetry.lock.

    `content_hash`: ask Poetry for the real content-hash (its commands refuse a stale lock)."""
    source = ""
    if s.index:
        source = (
            f'[[tool.poetry.source]]\nname = "local"\nurl = "{s.index}"\npriority = "primary"\n\n'
        )
    write(
        root / "pyproject.toml",
        _project_table(s, own_version)
        + source
        + '[tool.poetry.group.dev.dependencies]\ndevtool = ">=1.0"\n\n'
        "[tool.poetry.group.docs]\noptional = true\n\n"
        '[tool.poetry.group.docs.dependencies]\ndocsgen = "*"\n\n' + BUILD,
    )
    _sources(root)
    flat = lock_version == "2.1"
    v = s.v
    entries: List[str] = []

    def entry(
        name: str,
        version: str,
        *,
        deps: str = "",
        optional: bool = False,
        python: str = "*",
        groups: Optional[List[str]] = None,
        markers: Optional[str] = None,
        source: str = "",
        files: bool = True,
        extras: str = "",
    ) -> None:
        text = (
            f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
            f'optional = {"true" if optional else "false"}\npython-versions = "{python}"\n'
        )
        if lock_version == "1.1":
            text += f'category = "{"dev" if groups and groups[0] != "main" else "main"}"\n'
        if flat:
            text += f"groups = {json.dumps(groups or ['main'])}\n"
            if markers:
                text += f"markers = {json.dumps(markers)}\n"
        if lock_version != "1.1":
            hashes = (
                f'{{file = "{s.wheel(name, version)}", hash = "{s.hash(name, version)}"}}'
                if files
                else ""
            )
            text += f"files = [{hashes}]\n"
        if deps:
            text += f"\n[package.dependencies]\n{deps}"
        if extras:
            text += f"\n[package.extras]\n{extras}"
        if source:
            text += f"\n[package.source]\n{source}"
        elif s.index:
            text += f'\n[package.source]\ntype = "legacy"\nurl = "{s.index}"\nreference = "local"\n'
        entries.append(text)

    entry("alpha", v["alpha"], deps='beta = ">=1"\n')
    entry("beta", v["beta-old"], python="<3.10", markers='python_version < "3.10"')
    entry("beta", v["beta"], python=">=3.10", markers='python_version >= "3.10"')
    entry("delta", v["delta"], optional=True, markers='extra == "fast"')
    entry("devtool", v["devtool"], groups=["dev"])
    entry("docsgen", v["docsgen"], groups=["docs"])
    entry(
        "epsilon",
        v["epsilon"],
        deps='zeta = {version = "*", markers = "sys_platform == \\"win32\\""}\n',
    )
    entry(
        "gamma",
        v["gamma"],
        optional=True,
        markers='extra == "fast"',
        deps='delta = {version = "*", optional = true, markers = "extra == \\"fast\\""}\n',
        extras='fast = ["delta"]\n',
    )
    entry("zeta", v["zeta"], markers='sys_platform == "win32"')
    if s.remote:
        entry(
            "gitpkg",
            "0.1",
            files=False,
            source=f'type = "git"\nurl = "{GIT_URL}"\nreference = "main"\n'
            f'resolved_reference = "{GIT_SHA}"\n',
        )
        entry("urlpkg", "1.0", source=f'type = "url"\nurl = "{URL_WHEEL}"\n')
    metadata = (
        f'\n[metadata]\nlock-version = "{lock_version}"\npython-versions = ">=3.9"\n'
        f'content-hash = "{_poetry_content_hash(root) if content_hash else "0" * 64}"\n'
    )
    if lock_version == "1.1":
        files = "\n[metadata.files]\n"
        for name, version in (
            ("alpha", v["alpha"]),
            ("delta", v["delta"]),
            ("devtool", v["devtool"]),
            ("docsgen", v["docsgen"]),
            ("epsilon", v["epsilon"]),
            ("gamma", v["gamma"]),
            ("zeta", v["zeta"]),
            ("urlpkg", "1.0"),
        ):
            files += (
                f'{name} = [{{file = "{s.wheel(name, version)}", '
                f'hash = "{s.hash(name, version)}"}}]\n'
            )
        files += (
            f'beta = [{{file = "{s.wheel("beta", v["beta-old"])}", '
            f'hash = "{s.hash("beta", v["beta-old"])}"}}, '
            f'{{file = "{s.wheel("beta", v["beta"])}", hash = "{s.hash("beta", v["beta"])}"}}]\n'
            "gitpkg = []\n"
        )
        metadata += files
    extras = '\n[extras]\nfast = ["gamma"]\n' if not flat else ""
    write(root / "poetry.lock", "\n".join(entries) + extras + metadata)
    return root


def _ask(code: str, root: Path) -> str:
    """A manager's own hash of its manifest (its commands refuse a lock whose hash is stale)."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(root / ".home")},
    )
    return done.stdout.strip() if done.returncode == 0 else "0" * 64


def _pdm_content_hash(root: Path) -> str:
    return _ask(
        "import sys; from pdm.core import Core; from pdm.project import Project; "
        "print(Project(Core(), sys.argv[1]).pyproject.content_hash())",
        root,
    )


def _pipfile_hash(root: Path) -> str:
    return _ask(
        "import sys; from pipenv.vendor.plette import Pipfile; "
        "print(Pipfile.load(open(sys.argv[1] + '/Pipfile')).get_hash().value)",
        root,
    )


def _poetry_content_hash(root: Path) -> str:
    """Poetry refuses a lock whose content-hash does not match pyproject.toml: ask Poetry."""
    code = (
        "import sys; from poetry.factory import Factory; "
        "print(Factory().create_poetry(sys.argv[1]).locker._get_content_hash())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "0" * 64


# ---------------------------------------------------------------- pdm


def pdm_project(root: Path, s: Scenario, own_version: str = "0.1.0") -> Path:
    source = ""
    if s.index:
        source = f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{s.index}"\n\n'
    write(
        root / "pyproject.toml",
        _project_table(s, own_version)
        + '[dependency-groups]\ndev = ["devtool>=1.0"]\ndocs = ["docsgen"]\n\n'
        + "[tool.pdm]\ndistribution = true\n\n"
        + source
        + BUILD,
    )
    _sources(root)
    v = s.v
    out = (
        "# This file is @generated by PDM.\n\n[metadata]\n"
        'groups = ["default", "dev", "docs", "fast"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.0"\ncontent_hash = "sha256:0"\n\n'
        '[[metadata.targets]]\nrequires_python = ">=3.9"\n\n'
    )

    def entry(
        name: str,
        version: Optional[str],
        groups: List[str],
        *,
        marker: str = "",
        deps: Optional[List[str]] = None,
        extras: Optional[List[str]] = None,
        extra_keys: str = "",
        files: bool = True,
    ) -> None:
        nonlocal out
        out += f'[[package]]\nname = "{name}"\n'
        if version:
            out += f'version = "{version}"\n'
        out += f'requires_python = ">=3.9"\nsummary = ""\ngroups = {json.dumps(groups)}\n'
        if marker:
            out += f"marker = {json.dumps(marker)}\n"
        if extras:
            out += f"extras = {json.dumps(extras)}\n"
        out += extra_keys
        if deps:
            out += f"dependencies = {json.dumps(deps)}\n"
        if files and version:
            out += (
                f'files = [\n    {{file = "{s.wheel(name, version)}", '
                f'hash = "{s.hash(name, version)}"}},\n]\n'
            )
        out += "\n"

    entry("alpha", v["alpha"], ["default"], deps=["beta>=1"])
    entry("beta", v["beta-old"], ["default"], marker='python_version < "3.10"')
    entry("beta", v["beta"], ["default"], marker='python_version >= "3.10"')
    entry("delta", v["delta"], ["fast"])
    entry("devtool", v["devtool"], ["dev"])
    entry("docsgen", v["docsgen"], ["docs"])
    entry("epsilon", v["epsilon"], ["default"], deps=['zeta; sys_platform == "win32"'])
    entry("gamma", v["gamma"], ["fast"])
    entry("gamma", v["gamma"], ["fast"], extras=["fast"], deps=["delta", f"gamma=={v['gamma']}"])
    entry("zeta", v["zeta"], ["default"], marker='sys_platform == "win32"')
    if s.remote:
        entry(
            "gitpkg",
            "0.1",
            ["default"],
            files=False,
            extra_keys=f'git = "{GIT_URL}"\nref = "main"\nrevision = "{GIT_SHA}"\n',
        )
        entry(
            "urlpkg",
            "1.0",
            ["default"],
            files=False,
            extra_keys=f'url = "{URL_WHEEL}"\nfiles = [{{file = "urlpkg-1.0-py3-none-any.whl", '
            f'hash = "{s.hash("urlpkg", "1.0")}"}}]\n',
        )
    write(
        root / "pdm.lock",
        out.replace(
            'content_hash = "sha256:0"', f'content_hash = "sha256:{_pdm_content_hash(root)}"'
        ),
    )
    return root


# ---------------------------------------------------------------- pipenv


def pipenv_project(root: Path, s: Scenario) -> Path:
    """Pipfile + Pipfile.lock: default, develop and a custom `docs` category."""
    url = s.index or "https://index.invalid/simple"
    remote = (
        f'gitpkg = {{git = "{GIT_URL}", ref = "main"}}\nurlpkg = {{file = "{URL_WHEEL}"}}\n'
        if s.remote
        else ""
    )
    write(
        root / "Pipfile",
        f'[[source]]\nname = "pypi"\nurl = "{url}"\nverify_ssl = true\n\n'
        f'[packages]\nalpha = ">=1"\nepsilon = "*"\n{remote}\n'
        '[dev-packages]\ndevtool = ">=1.0"\n\n[docs]\ndocsgen = "*"\n',
    )
    v = s.v

    def pin(name: str, version: str, markers: Optional[str] = None) -> Dict[str, object]:
        out: Dict[str, object] = {
            "hashes": [s.hash(name, version)],
            "index": "pypi",
            "version": f"=={version}",
        }
        if markers:
            out["markers"] = markers
        return out

    default: Dict[str, object] = {
        "alpha": pin("alpha", v["alpha"]),
        "beta": pin("beta", v["beta"], "python_version >= '3.10'"),
        "epsilon": pin("epsilon", v["epsilon"]),
        "zeta": pin("zeta", v["zeta"], "sys_platform == 'win32'"),
    }
    if s.remote:
        default["gitpkg"] = {"git": GIT_URL, "ref": GIT_SHA}
        default["urlpkg"] = {"file": URL_WHEEL, "hashes": [s.hash("urlpkg", "1.0")]}
    lock = {
        "_meta": {
            "hash": {"sha256": "0"},
            "pipfile-spec": 6,
            "requires": {},
            "sources": [{"name": "pypi", "url": url, "verify_ssl": True}],
        },
        "default": default,
        "develop": {"devtool": pin("devtool", v["devtool"])},
        "docs": {"docsgen": pin("docsgen", v["docsgen"])},
    }
    lock["_meta"]["hash"] = {"sha256": _pipfile_hash(root)}  # type: ignore[index]
    write(root / "Pipfile.lock", json.dumps(lock, indent=4, sort_keys=True) + "\n")
    return root


# ---------------------------------------------------------------- PEP 751


def pylock_project(root: Path, s: Scenario, own_version: str = "0.1.0") -> Path:
    write(root / "pyproject.toml", _project_table(s, own_version) + BUILD)
    _sources(root)
    v = s.v
    out = (
        'lock-version = "1.0"\ncreated-by = "chef-tests"\nrequires-python = ">=3.9"\n'
        'extras = ["fast"]\ndependency-groups = ["dev", "docs"]\ndefault-groups = ["dev"]\n\n'
    )

    def entry(name: str, version: str, marker: str = "") -> None:
        nonlocal out
        out += f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
        if marker:
            out += f"marker = {json.dumps(marker)}\n"
        if s.index:
            out += f'index = "{s.index}"\n'
        algo, value = s.hash(name, version).split(":", 1)
        out += (
            f'wheels = [{{ name = "{s.wheel(name, version)}", '
            f'url = "{s.file_url(name, version)}", hashes = {{ {algo} = "{value}" }} }}]\n\n'
        )

    entry("alpha", v["alpha"])
    entry("beta", v["beta-old"], "python_version < '3.10'")
    entry("beta", v["beta"], "python_version >= '3.10'")
    entry("delta", v["delta"], "'fast' in extras")
    entry("devtool", v["devtool"], "'dev' in dependency_groups")
    entry("docsgen", v["docsgen"], "'docs' in dependency_groups")
    entry("epsilon", v["epsilon"])
    entry("gamma", v["gamma"], "'fast' in extras")
    entry("zeta", v["zeta"], "sys_platform == 'win32'")
    out += '[[packages]]\nname = "app"\ndirectory = { path = ".", editable = false }\n\n'
    if s.remote:
        out += (
            f'[[packages]]\nname = "gitpkg"\nversion = "0.1"\nvcs = {{ type = "git", '
            f'url = "{GIT_URL}", requested-revision = "main", commit-id = "{GIT_SHA}" }}\n\n'
        )
        algo, value = s.hash("urlpkg", "1.0").split(":", 1)
        out += (
            f'[[packages]]\nname = "urlpkg"\nversion = "1.0"\narchive = {{ url = "{URL_WHEEL}", '
            f'hashes = {{ {algo} = "{value}" }} }}\n\n'
        )
    write(root / "pylock.toml", out)
    return root


WRITERS = {
    "poetry": poetry_project,
    "pdm": pdm_project,
    "pipenv": pipenv_project,
    "pylock": pylock_project,
}
