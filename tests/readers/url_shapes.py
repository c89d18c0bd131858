"""Every URL shape a manager writes for a requirement that does not come from an index, and each
reader's real spelling of it (issue 18, point 6).

A shape is one package `demo` from a VCS repository (git, hg, svn, bzr; https, ssh, scp-like
`git@host:owner/repo`; a commit, tag or branch asked for; a subdirectory) or from an archive URL.
`write_<reader>` builds the reader's input file(s) for it in `root`; `expected(shape, locked)` is
the requirement the manager's export gives (`demo @ URL`): the ref asked for when nothing is
locked, the commit a lock resolved otherwise. Shared by test_url_shapes.py (chef's recipe) and
tests/oracles/test_url_shape_exporters.py (the managers' own exports).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict

COMMIT = "0123456789abcdef0123456789abcdef01234567"
ARCHIVE = "https://files.invalid/packages/demo-1.0.tar.gz"
ARCHIVE_HASH = "sha256:" + "ab" * 32
BUILD = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'


@dataclass(frozen=True)
class Shape:
    id: str
    vcs: str  # "git", "hg", "svn", "bzr"; "" for an archive URL
    repo: str  # as the user and the manager write it, without a `vcs+` prefix
    ref_kind: str = ""  # what is asked for: "rev", "tag", "branch" or "" (nothing)
    ref: str = ""
    subdirectory: str = ""

    @property
    def pip_repo(self) -> str:
        """The repository as pip takes it: an scp-like `git@host:owner/repo` as ssh://."""
        if "://" not in self.repo and ":" in self.repo:
            return "ssh://" + self.repo.replace(":", "/", 1)
        return self.repo

    @property
    def requested(self) -> str:
        """The PEP 508 URL of the request (what a requirements file or [project] says)."""
        if not self.vcs:
            return self.repo + (f"#subdirectory={self.subdirectory}" if self.subdirectory else "")
        text = f"{self.vcs}+{self.pip_repo}" + (f"@{self.ref}" if self.ref else "")
        return text + (f"#subdirectory={self.subdirectory}" if self.subdirectory else "")


SHAPES = [
    Shape("git-https-commit", "git", "https://git.invalid/owner/demo.git", "rev", COMMIT),
    Shape("git-https-tag", "git", "https://git.invalid/owner/demo.git", "tag", "v1.0"),
    Shape("git-https-branch", "git", "https://git.invalid/owner/demo.git", "branch", "main"),
    Shape("git-https-no-ref", "git", "https://git.invalid/owner/demo.git"),
    Shape("git-ssh", "git", "ssh://git@git.invalid/owner/demo.git", "branch", "main"),
    Shape("git-scp", "git", "git@git.invalid:owner/demo.git", "tag", "v1.0"),
    Shape("git-subdirectory", "git", "https://git.invalid/owner/mono.git", "branch", "main",
          "packages/demo"),
    Shape("hg-https", "hg", "https://hg.invalid/demo", "rev", "1a2b3c4d5e6f"),
    Shape("svn-https", "svn", "https://svn.invalid/demo/trunk", "rev", "1234"),
    Shape("bzr-https", "bzr", "https://bzr.invalid/demo", "rev", "42"),
    Shape("archive-https", "", ARCHIVE),
    Shape("archive-subdirectory", "", ARCHIVE.replace(".tar.gz", ".zip"), subdirectory="pkg"),
]
BY_ID = {s.id: s for s in SHAPES}


def expected(shape: Shape, locked: bool) -> str:
    """The requirement the manager's export gives for `demo`: the request itself when nothing is
    locked; the commit the lock resolved (COMMIT; svn: its revision, bzr: its revno; the same
    string here) when something is."""
    if not shape.vcs:
        return f"demo @ {shape.requested}"
    ref = (COMMIT if shape.vcs in ("git", "hg") else shape.ref) if locked else shape.ref
    text = f"demo @ {shape.vcs}+{shape.pip_repo}" + (f"@{ref}" if ref else "")
    return text + (f"#subdirectory={shape.subdirectory}" if shape.subdirectory else "")


def locked_ref(shape: Shape) -> str:
    return COMMIT if shape.vcs in ("git", "hg") else shape.ref


def _sub(shape: Shape, before: str, after: str = "") -> str:
    """`subdirectory = "..."` in TOML, when the shape has one."""
    if not shape.subdirectory:
        return ""
    return f'{before}subdirectory = "{shape.subdirectory}"{after}'


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _project(root: Path, dependency: str, extra: str = "") -> None:
    _write(
        root / "pyproject.toml",
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{json.dumps(dependency)}]\n\n{extra}{BUILD}",
    )


# ---------------------------------------------------------------- unlocked inputs


def write_requirements(root: Path, shape: Shape) -> None:
    _write(root / "requirements.txt", f"demo @ {shape.requested}\n")


def write_requirements_egg(root: Path, shape: Shape) -> None:
    """pip's older spelling: the bare URL, its name in `#egg=`."""
    fragment = ("&" if "#" in shape.requested else "#") + "egg=demo"
    _write(root / "requirements.txt", shape.requested + fragment + "\n")


def write_pep621(root: Path, shape: Shape) -> None:
    _project(root, f"demo @ {shape.requested}")


def write_uv_sources(root: Path, shape: Shape) -> None:
    """What `uv add git+URL@ref` (`uv add URL`) writes without a lock: the name in
    `dependencies`, where it comes from in `[tool.uv.sources]`."""
    if shape.vcs:
        source = f'git = "{shape.pip_repo}"'
        if shape.ref_kind:
            source += f', {shape.ref_kind} = "{shape.ref}"'
        if shape.subdirectory:
            source += f', subdirectory = "{shape.subdirectory}"'
    else:
        source = f'url = "{shape.repo}"' + _sub(shape, ", ")
    _project(root, "demo", f"[tool.uv.sources]\ndemo = {{ {source} }}\n\n")


def _poetry_table(shape: Shape) -> str:
    if not shape.vcs:
        return f'{{url = "{shape.repo}"' + _sub(shape, ", ") + "}"
    text = f'{{git = "{shape.repo}"'
    if shape.ref_kind:
        text += f', {shape.ref_kind} = "{shape.ref}"'
    if shape.subdirectory:
        text += f', subdirectory = "{shape.subdirectory}"'
    return text + "}"


def _poetry_pyproject(root: Path, shape: Shape) -> None:
    _write(
        root / "pyproject.toml",
        '[tool.poetry]\nname = "app"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        "package-mode = false\n\n"
        f'[tool.poetry.dependencies]\npython = ">=3.9"\ndemo = {_poetry_table(shape)}\n\n'
        '[build-system]\nrequires = ["poetry-core>=2.0"]\n'
        'build-backend = "poetry.core.masonry.api"\n',
    )


def write_poetry_manifest(root: Path, shape: Shape) -> None:
    _poetry_pyproject(root, shape)


def write_poetry_pep508(root: Path, shape: Shape) -> None:
    """Poetry 2 reading a PEP 621 `[project]` (no lock)."""
    _project(root, f"demo @ {shape.requested}", "[tool.poetry]\npackage-mode = false\n\n")


def _pipfile_entry(shape: Shape, prefixed: bool) -> Dict[str, str]:
    if not shape.vcs:
        sub = {"subdirectory": shape.subdirectory} if shape.subdirectory else {}
        return {"file": shape.repo, **sub}
    # `pipenv install git+https://...` writes the URL with its prefix, hand-written Pipfiles
    # often have none: the lock is written with it, the Pipfile without
    repo = f"{shape.vcs}+{shape.repo}" if prefixed else shape.repo
    out = {shape.vcs: repo}
    if shape.subdirectory:
        out["subdirectory"] = shape.subdirectory
    return out


def write_pipfile(root: Path, shape: Shape) -> None:
    entry = _pipfile_entry(shape, prefixed=False)
    if shape.ref:
        entry["ref"] = shape.ref
    items = ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())
    _write(
        root / "Pipfile",
        '[[source]]\nname = "pypi"\nurl = "https://index.invalid/simple"\nverify_ssl = true\n\n'
        f"[packages]\ndemo = {{{items}}}\n",
    )


# ---------------------------------------------------------------- locks


def write_pipfile_lock(root: Path, shape: Shape) -> None:
    """Pipfile.lock as pipenv writes it: the Pipfile's VCS key and URL, `ref` the commit."""
    write_pipfile(root, shape)
    entry: Dict[str, object] = dict(_pipfile_entry(shape, prefixed=True))
    if shape.vcs:
        entry["ref"] = locked_ref(shape)
    else:
        entry["hashes"] = [ARCHIVE_HASH]
        entry["version"] = "==1.0"
    lock = {
        "_meta": {
            "hash": {"sha256": "0" * 64},
            "pipfile-spec": 6,
            "requires": {},
            "sources": [
                {"name": "pypi", "url": "https://index.invalid/simple", "verify_ssl": True}
            ],
        },
        "default": {"demo": entry},
        "develop": {},
    }
    _write(root / "Pipfile.lock", json.dumps(lock, indent=4, sort_keys=True) + "\n")


def write_poetry_lock(root: Path, shape: Shape, content_hash: str = "0" * 64) -> None:
    """poetry.lock 2.1: the source as Poetry records it (the URL as written, the ref asked for,
    the commit resolved)."""
    _poetry_pyproject(root, shape)
    if shape.vcs:
        source = f'type = "git"\nurl = "{shape.repo}"\n'
        source += f'reference = "{shape.ref or "HEAD"}"\nresolved_reference = "{COMMIT}"\n'
        if shape.subdirectory:
            source += f'subdirectory = "{shape.subdirectory}"\n'
        files = "files = []\n"
    else:
        source = f'type = "url"\nurl = "{shape.repo}"\n' + _sub(shape, "", "\n")
        name = shape.repo.rsplit("/", 1)[1]
        files = f'files = [\n    {{file = "{name}", hash = "{ARCHIVE_HASH}"}},\n]\n'
    _write(
        root / "poetry.lock",
        '[[package]]\nname = "demo"\nversion = "1.0"\ndescription = ""\noptional = false\n'
        f'python-versions = "*"\ngroups = ["main"]\n{files}\n[package.source]\n{source}\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.9"\n'
        f'content-hash = "{content_hash}"\n',
    )


def write_pdm_lock(root: Path, shape: Shape, content_hash: str = "sha256:0") -> None:
    """pdm.lock 4.5 (inherit_metadata): the VCS key (pdm's VCS_SCHEMA) with the repository URL,
    the ref asked for and the revision resolved; an archive's `url`."""
    _project(root, f"demo @ {shape.requested}", "[tool.pdm]\ndistribution = false\n\n")
    if shape.vcs:
        keys = f'{shape.vcs} = "{shape.pip_repo}"\n'
        if shape.ref:
            keys += f'ref = "{shape.ref}"\n'
        keys += f'revision = "{locked_ref(shape)}"\n'
        if shape.subdirectory:
            keys += f'subdirectory = "{shape.subdirectory}"\n'
    else:
        name = shape.repo.rsplit("/", 1)[1]
        keys = (f'url = "{shape.repo}"\n' + _sub(shape, "", "\n")
                + f'files = [\n    {{file = "{name}", hash = "{ARCHIVE_HASH}"}},\n]\n')
    _write(
        root / "pdm.lock",
        "# This file is @generated by PDM.\n\n[metadata]\n"
        'groups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        f'lock_version = "4.5.0"\ncontent_hash = "{content_hash}"\n\n'
        '[[metadata.targets]]\nrequires_python = ">=3.9"\n\n'
        '[[package]]\nname = "demo"\nversion = "1.0"\nrequires_python = ">=3.9"\n'
        f'summary = ""\ngroups = ["default"]\n{keys}\n',
    )


def write_uv_lock(root: Path, shape: Shape) -> None:
    """uv.lock: `git = "<repo>?<rev|tag|branch>=<ref>&subdirectory=<dir>#<commit>"`, as uv
    writes it; an archive's `url` source."""
    _project(root, f"demo @ {shape.requested}")
    if shape.vcs:
        query = []
        if shape.ref_kind:
            query.append(f"{shape.ref_kind}={shape.ref}")
        if shape.subdirectory:
            query.append(f"subdirectory={shape.subdirectory}")
        asked = shape.pip_repo + ("?" + "&".join(query) if query else "")
        source = f'{{ {shape.vcs} = "{asked}#{COMMIT}" }}'
        files = ""
        metadata = f'{{ name = "demo", {shape.vcs} = "{asked}" }}'
    else:
        source = f'{{ url = "{shape.repo}"' + _sub(shape, ", ") + " }"
        files = f'sdist = {{ url = "{shape.repo}", hash = "{ARCHIVE_HASH}" }}\n'
        metadata = f'{{ name = "demo", url = "{shape.repo}"' + _sub(shape, ", ") + " }"
    _write(
        root / "uv.lock",
        'version = 1\nrevision = 3\nrequires-python = ">=3.9"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [\n    { name = "demo" },\n]\n\n'
        f"[package.metadata]\nrequires-dist = [{metadata}]\n\n"
        f'[[package]]\nname = "demo"\nversion = "1.0"\nsource = {source}\n{files}',
    )


def write_pylock(root: Path, shape: Shape) -> None:
    """pylock.toml (PEP 751): `vcs = {type, url, requested-revision, commit-id, subdirectory}`
    or `archive = {url, hashes}`."""
    _project(root, f"demo @ {shape.requested}")
    if shape.vcs:
        parts = [f'type = "{shape.vcs}"', f'url = "{shape.pip_repo}"']
        if shape.ref:
            parts.append(f'requested-revision = "{shape.ref}"')
        parts.append(f'commit-id = "{locked_ref(shape)}"')
        if shape.subdirectory:
            parts.append(f'subdirectory = "{shape.subdirectory}"')
        source = "vcs = { " + ", ".join(parts) + " }\n"
    else:
        algo, digest = ARCHIVE_HASH.split(":")
        source = (f'archive = {{ url = "{shape.repo}", ' + _sub(shape, "", ", ")
                  + f'hashes = {{ {algo} = "{digest}" }} }}\n')
    _write(
        root / "pylock.toml",
        'lock-version = "1.0"\ncreated-by = "chef-tests"\nrequires-python = ">=3.9"\n\n'
        f'[[packages]]\nname = "demo"\nversion = "1.0"\n{source}\n'
        '[[packages]]\nname = "app"\ndirectory = { path = ".", editable = false }\n',
    )


Writer = Callable[[Path, Shape], None]
