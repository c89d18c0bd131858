"""poetry.lock 1.1/2.0/2.1 read against the project's manifest (chef.readers.poetry.manifest).

lock-version 2.1 is read flat (groups and markers per package); older locks are walked from the
manifest's constraints (chef.readers.poetry.constraints), as Poetry's own walker does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.model import (
    Dep,
    IndexConfig,
    LocalPackage,
    LockedPackage,
    Project,
    Source,
    and_markers,
    canonical,
    norm_marker,
)
from chef.readers.flat import GuardedLocals, RootBuilder
from chef.readers.locks import assign_keys, wheel_tags
from chef.readers.markers import placements, residual
from chef.readers.poetry.constraints import allows, constraint_sets, range_key
from chef.readers.poetry.manifest import (
    Manifest,
    PoetryDep,
    parse_spec,
    read_manifest,
    read_manifest_project,
)
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    expect,
    inside,
    outside_error,
    rel_display,
    str_list,
)
from chef.readers.sources import archive_url, file_hashes, file_names, vcs_url
from chef.toml import load_toml
from chef.urls import normalize_index_url

MAIN = "main"


@dataclass
class _Entry:
    name: str
    version: str
    source: Dict[str, Any]
    hashes: Tuple[str, ...]
    raw: Mapping[str, Any]
    python: List[SpecifierSet]
    local: Optional[str] = None  # relative path for directory sources
    key: str = ""
    wheels: Optional[Tuple[str, ...]] = None  # chef.readers.locks.wheel_tags


def _source_id(source: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={source[k]}" for k in sorted(source) if k != "reference")


def _locked_source(entry: _Entry, display: str) -> Source:
    source = entry.source
    kind = source.get("type")
    url = source.get("url")
    if not kind or kind == "pypi":
        return Source("registry", None)
    if not isinstance(url, str):
        raise InputError(f"package {entry.name} has a {kind} source without a url", path=display)
    if kind == "legacy":
        return Source("registry", normalize_index_url(url))
    if kind == "git":
        ref = source.get("resolved_reference") or source.get("reference")
        return Source("git", vcs_url(url, "git", ref, source.get("subdirectory")))
    if kind in ("url", "file") and "://" in url and not url.startswith("file:"):
        return Source("url", archive_url(url, source.get("subdirectory")))
    if kind == "file":
        raise InputError(
            f"{entry.name} comes from a local file {url!r}, which chef cannot cook before the "
            "project is copied",
            path=display,
            hint="publish it to an index or a find-links directory",
        )
    raise InputError(f"package {entry.name} has an unknown source type {kind!r}", path=display)


_SAMPLES = ["2.7"] + [f"3.{minor}" for minor in range(0, 31)]


class _Choice(NamedTuple):
    """The locked entry chosen for the Python versions `marker` allows (None: all of them)."""

    entry: _Entry
    marker: Optional[str]


def _python_split(candidates: List[_Entry]) -> List[_Choice]:
    """For each Python minor version, the highest candidate that supports it (Poetry's walker
    splits on the Python ranges of the candidates the same way); as runs of one choice."""
    ordered = sorted(candidates, key=lambda e: Version(e.version), reverse=True)
    chosen = [next((c for c in ordered if allows(c.python, v)), None) for v in _SAMPLES]
    out: List[_Choice] = []
    start = 0
    while start < len(_SAMPLES):
        end = start
        while end + 1 < len(_SAMPLES) and chosen[end + 1] is chosen[start]:
            end += 1
        entry = chosen[start]
        if entry is not None:
            atoms = []
            if start > 0:
                atoms.append(f'python_version >= "{_SAMPLES[start]}"')
            if end + 1 < len(_SAMPLES):
                atoms.append(f'python_version < "{_SAMPLES[end + 1]}"')
            out.append(_Choice(entry, norm_marker(" and ".join(atoms)) if atoms else None))
        start = end + 1
    return out


def _hashes(files: List[Any]) -> Tuple[str, ...]:
    # the oldest locks stored bare sha256 digests (poetry-plugin-export reads them as sha256)
    return file_hashes(files, bare="sha256")


def _files(
    raw: Mapping[str, Any], legacy_files: Mapping[str, Any], legacy_hashes: Mapping[str, Any]
) -> List[Any]:
    """A package's files as Poetry reads them from the three generations of poetry.lock:
    per package (2.x), `[metadata.files]` by name (1.x, every version of the name; only the
    named file for a `file` source; none for git/url/directory sources), `metadata.hashes`."""
    if isinstance(raw.get("files"), list):
        return list(raw["files"])
    name = str(raw.get("name", ""))
    if name in legacy_hashes:
        return [{"hash": h} for h in legacy_hashes[name] or []]
    source = raw.get("source", {}) or {}
    kind = source.get("type")
    if kind in ("git", "directory", "url"):
        return []
    files = legacy_files.get(name, legacy_files.get(canonical(name), [])) or []
    if kind == "file":
        filename = str(source.get("url", "")).replace("\\", "/").rsplit("/", 1)[-1]
        return [f for f in files if isinstance(f, dict) and f.get("file") == filename]
    return list(files)


def _wheels(files: List[Any], version: str, legacy: bool) -> Optional[Tuple[str, ...]]:
    """`wheel_tags` of the files poetry lists (None for a lock that names none of them). A 1.x
    lock's `[metadata.files]` lists every locked version of the name: only this version's."""
    names = file_names(files, ("file",))
    if not names:
        return None
    if legacy:
        wanted = _file_version(f"x-{version}.zip")
        names = [n for n in names if _file_version(n) == wanted]
        if not names:
            return None
    return wheel_tags(names)


def _file_version(filename: str) -> Optional[str]:
    """The version a distribution file's name gives, as a normalized string (None: unknown)."""
    stem = filename[:-4] if filename.endswith(".whl") else filename
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            parts = stem.rsplit("-", 1)
            break
    else:
        parts = stem.split("-")
    if len(parts) < 2:
        return None
    try:
        return str(Version(parts[1]))
    except InvalidVersion:
        return None


class _Edges(NamedTuple):
    """A locked package's edges in graph mode (a lock 2.1 records none: the root holds them)."""

    dependencies: Tuple[Dep, ...]
    extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...]


_NO_EDGES = _Edges((), ())


class _LockReader:
    def __init__(
        self, root: Path, subdir: str, lock: Mapping[str, Any], manifest: Manifest
    ) -> None:
        self.root = root
        self.subdir = subdir
        self.display = rel_display(root, root / subdir / "poetry.lock")
        self.outside: Dict[str, InputError] = {}
        self.outside_entries: List[_Entry] = []
        self.manifest = manifest
        self.notes: List[str] = []
        metadata = expect(lock.get("metadata", {}), dict, self.display, "[metadata]")
        self.lock_version = str(metadata.get("lock-version", "1.0"))
        legacy_files = metadata.get("files", {}) if isinstance(metadata.get("files"), dict) else {}
        legacy_hashes = metadata.get("hashes") if isinstance(metadata.get("hashes"), dict) else {}
        self.entries: List[_Entry] = []
        for raw in expect(lock.get("package", []), list, self.display, "package"):
            expect(raw, dict, self.display, "[[package]]")
            name = canonical(expect(raw.get("name"), str, self.display, "package.name"))
            version = str(raw.get("version", ""))
            files = _files(raw, legacy_files, legacy_hashes)
            hashes = _hashes(files)
            source = expect(raw.get("source") or {}, dict, self.display, f"package {name} source")
            entry = _Entry(
                name=name,
                version=version,
                source=dict(source),
                hashes=hashes,
                raw=raw,
                python=constraint_sets(str(raw.get("python-versions", "*")), self.display, name),
                wheels=_wheels(files, version, legacy=not isinstance(raw.get("files"), list)),
            )
            if source.get("type") == "directory":
                rel = inside(root, root / subdir / str(source.get("url", "")))
                if rel is None:
                    self.outside[name] = outside_error(
                        self.display, f"{name} (directory {source.get('url')!r})"
                    )
                    self.outside_entries.append(entry)
                    continue
                entry.local = rel
            self.entries.append(entry)
        keys = assign_keys([(e.name, e.version, _source_id(e.source)) for e in self.entries])
        for entry in self.entries:
            entry.key = keys[(entry.name, entry.version, _source_id(entry.source))]
        self.by_name: Dict[str, List[_Entry]] = {}
        for entry in self.entries:
            self.by_name.setdefault(entry.name, []).append(entry)
        self.local_names = (
            {e.name for e in self.entries if e.local is not None}
            | {manifest.name}
            | set(self.outside)
        )

    @functools.cached_property
    def flat(self) -> bool:  # asked once per package: the lock-version is parsed once
        try:
            return Version(self.lock_version) >= Version("2.1")
        except InvalidVersion:
            raise InputError(
                f"unsupported lock-version {self.lock_version!r}", path=self.display
            ) from None

    def locked(self) -> Dict[str, LockedPackage]:
        out: Dict[str, LockedPackage] = {}
        for entry in self.entries:
            if entry.local is not None:
                continue
            edges = _NO_EDGES if self.flat else self._package_edges(entry)
            out[entry.key] = LockedPackage(
                name=entry.name,
                version=entry.version,
                source=_locked_source(entry, self.display),
                hashes=entry.hashes,
                dependencies=edges.dependencies,
                extras=edges.extras,
                key=entry.key,
                wheels=entry.wheels
                if entry.source.get("type") not in ("git", "url", "file", "directory")
                else None,
            )
        return out

    # -- graph mode (lock 1.x, 2.0)

    def resolve(self, dep: PoetryDep, where: str) -> List[Dep]:
        if dep.name in self.local_names:
            return [Dep(name=dep.name, extras=dep.extras, marker=dep.marker)]
        candidates = self.by_name.get(dep.name, [])
        if dep.kind == "git":
            candidates = [c for c in candidates if c.source.get("type") == "git"]
        elif dep.kind == "url":
            candidates = [c for c in candidates if c.source.get("type") in ("url", "file")]
        elif dep.kind == "registry":
            sets = constraint_sets(dep.constraint, self.display, f"{where} {dep.name}")
            candidates = [
                c
                for c in candidates
                if c.source.get("type") not in ("git", "url", "file", "directory")
                and allows(sets, c.version)
            ] or [c for c in candidates if allows(sets, c.version)]
        if not candidates:
            self.notes.append(
                f"{where}: no locked {dep.name} matches {dep.constraint!r}; skipped "
                "(Poetry skips it too: its markers never apply to this project)"
            )
            return []
        if len(candidates) == 1:
            return [Dep(name=dep.name, extras=dep.extras, marker=dep.marker, key=candidates[0].key)]
        return [
            Dep(name=dep.name, extras=dep.extras, marker=and_markers(dep.marker, choice.marker),
                key=choice.entry.key)
            for choice in _python_split(candidates)
        ]

    def resolve_all(self, deps: List[PoetryDep], where: str) -> Tuple[Dep, ...]:
        return tuple(sorted({e for d in deps for e in self.resolve(d, where)}))

    def _package_edges(self, entry: _Entry) -> _Edges:
        where = f"package {entry.name}"
        table = expect(entry.raw.get("dependencies", {}) or {}, dict, self.display, where)
        required: List[PoetryDep] = []
        optional: Dict[str, List[PoetryDep]] = {}
        for dep_name, spec in table.items():
            for dep in parse_spec(dep_name, spec, self.display, where):
                if dep.optional:
                    optional.setdefault(dep.name, []).append(dep)
                else:
                    required.append(dep)
        if entry.local is None:
            # A third-party package that needs a local one (often the root project itself:
            # a plugin of it). Poetry's walker skips the root; install-project builds locals.
            required = [d for d in required if d.name not in self.local_names]
            optional = {n: ds for n, ds in optional.items() if n not in self.local_names}
        extras: Dict[str, Tuple[Dep, ...]] = {}
        raw_extras = expect(
            entry.raw.get("extras", {}) or {}, dict, self.display, where + " extras"
        )
        for extra, items in raw_extras.items():
            chosen: List[PoetryDep] = []
            for text in str_list(items, self.display, f"{where} extras.{extra}"):
                chosen.extend(d for d in self._extra_members(text, optional) if d not in chosen)
            extras[canonical(extra)] = self.resolve_all(chosen, f"{where} extra {extra}")
        return _Edges(self.resolve_all(required, where), tuple(sorted(extras.items())))

    def _extra_members(self, text: str, optional: Dict[str, List[PoetryDep]]) -> List[PoetryDep]:
        """The optional dependencies an entry of `[package.extras]` activates.

        Poetry's export walker matches them by equality of the whole requirement: name, extras
        and the constraint as poetry-core parses it. So `azure-identity (>=1.15.0,<2.0.0)`
        activates a dependency locked as `^1.15.0` (one range), while `uvloop (>=0.14,!=0.15.0)`
        does not activate one locked as `>=0.14,<0.15.0 || >0.15.0` (poetry-core keeps the
        exclusion and the union apart). chef follows the exporter, the oracle of these locks;
        `poetry install` matches by name alone and may install such a dependency too
        (docs/inputs.md)."""
        try:
            req = Requirement(text)
        except InvalidRequirement:
            name = canonical(text.split()[0].split("[")[0].split("(")[0])
            return optional.get(name, [])
        wanted_specs = {range_key(req.specifier)}
        wanted_extras = tuple(sorted(canonical(e) for e in req.extras))
        out = []
        for dep in optional.get(canonical(req.name), []):
            sets = {range_key(s) for s in constraint_sets(dep.constraint, self.display, dep.name)}
            if dep.kind != "registry" or (sets == wanted_specs and dep.extras == wanted_extras):
                out.append(dep)
        return out

    # -- both modes

    def local_packages(self) -> Dict[str, LocalPackage]:
        out: Dict[str, LocalPackage] = {}
        for entry in self.entries:
            if entry.local is None:
                continue
            edges = _NO_EDGES if self.flat else self._package_edges(entry)
            pyproject = self.root / entry.local / "pyproject.toml"
            if pyproject.is_file():
                display = rel_display(self.root, pyproject)
                build = build_requires(load_toml(pyproject, display), display)
            else:
                build = DEFAULT_BUILD_REQUIRES
            out[entry.name] = LocalPackage(
                name=entry.name,
                path=entry.local,
                build_requires=build,
                dependencies=edges.dependencies,
                extras=edges.extras,
                installable=True,
                editable=bool(entry.raw.get("develop", False)),
            )
        return out

    def flat_root(self) -> LocalPackage:
        builder = RootBuilder()
        builder.declare(self.manifest.extras, self.manifest.groups)
        # Outside directories take part too: their edge fails only when walked.
        for entry in self.entries + self.outside_entries:
            # The edge to this entry, with the marker of each placement (built directly: this
            # runs per locked package, and dataclasses.replace costs several times more).
            key = None if entry.local is not None or entry.name in self.outside else entry.key
            groups = entry.raw.get("groups") or [MAIN]
            markers = entry.raw.get("markers")
            for group in str_list(groups, self.display, f"package {entry.name} groups"):
                marker = markers.get(group) if isinstance(markers, dict) else markers
                if marker is not None and not isinstance(marker, str):
                    raise InputError(
                        f"package {entry.name}: markers must be strings", path=self.display
                    )
                if group == MAIN:
                    for place in placements(marker, self.display, groups_allowed=False):
                        builder.add(place.kind, place.name,
                                    Dep(name=entry.name, key=key, marker=place.marker))
                    continue
                value = residual(marker, self.display)
                if value is not False:
                    builder.add(
                        "group",
                        canonical(group),
                        Dep(name=entry.name, key=key, marker=None if value is True else value),
                    )
        return builder.package(
            self.manifest.name,
            self.subdir,
            installable=self.manifest.installable,
            build_requires=self.manifest.build_requires,
        )

    def graph_root(self) -> LocalPackage:
        m = self.manifest
        return LocalPackage(
            name=m.name,
            path=self.subdir,
            build_requires=m.build_requires if m.installable else (),
            dependencies=self.resolve_all(m.main, "pyproject.toml dependencies"),
            extras=tuple(
                sorted(
                    (k, self.resolve_all(v, f"pyproject.toml extra {k}"))
                    for k, v in m.extras.items()
                )
            ),
            groups=tuple(
                sorted(
                    (k, self.resolve_all(v, f"pyproject.toml group {k}"))
                    for k, v in m.groups.items()
                )
            ),
            installable=m.installable,
        )


def read(root: Path, subdir: str = ".") -> Project:
    """poetry.lock + pyproject.toml in `root/subdir`; local paths are relative to `root`, which
    is the Docker build context (a monorepo root may hold several Poetry projects)."""
    base = root / subdir
    display = rel_display(root, base / "poetry.lock")
    pyproject_display = rel_display(root, base / "pyproject.toml")
    if not (base / "poetry.lock").is_file() and (base / "pyproject.toml").is_file():
        return read_manifest_project(root, subdir)
    lock = load_toml(base / "poetry.lock", display)
    if not (base / "pyproject.toml").is_file():
        raise InputError(
            "poetry.lock without a pyproject.toml next to it",
            path=display,
            hint="run chef in the directory that holds both",
        )
    data = load_toml(base / "pyproject.toml", pyproject_display)
    manifest = read_manifest(data, pyproject_display)
    reader = _LockReader(root, subdir, lock, manifest)
    major = reader.lock_version.split(".")[0]
    if major not in ("1", "2"):
        raise InputError(
            f"unsupported poetry.lock lock-version {reader.lock_version!r}",
            path=display,
            hint="chef reads lock-version 1.1, 2.0 and 2.1; upgrade chef",
        )
    project = Project(root=root, manager="poetry", inputs=[pyproject_display, display])
    locals_ = GuardedLocals(reader.local_packages())
    locals_.outside.update(reader.outside)
    root_package = reader.flat_root() if reader.flat else reader.graph_root()
    # The project itself may be locked as a path dependency of one of its members (a cycle).
    locals_.pop(root_package.name, None)
    locals_[root_package.name] = root_package
    for local in locals_.values():
        if local.path != subdir and (root / local.path / "pyproject.toml").is_file():
            project.inputs.append(rel_display(root, root / local.path / "pyproject.toml"))
    project.local_packages = locals_
    project.locked = reader.locked()
    project.roots = [Dep(name=root_package.name)]
    project.requires_python = manifest.requires_python
    project.index = IndexConfig()
    project.warnings.extend(manifest.warnings)
    project.notes.extend(reader.notes)
    project.notes.append(
        f"{display} {reader.lock_version}: "
        + (
            "flat (groups and markers per package)"
            if reader.flat
            else "graph walked from pyproject"
        )
    )
    return project
