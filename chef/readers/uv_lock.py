"""uv.lock (lock version 1, revisions 1-3) plus the `[tool.uv]` settings of pyproject.toml.

The root project and workspace members are local packages: their versions never reach the recipe,
their dependency edges do. Third-party packages keep version, source, hashes and edges with their
markers and extras, so selection and cook can walk the graph exactly like `uv sync`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple
from urllib.parse import urlsplit, urlunsplit

from chef.errors import InputError
from chef.model import (
    Conflict,
    Dep,
    LocalPackage,
    LockedPackage,
    Project,
    SelectionKind,
    Source,
    canonical,
)
from chef.readers import root_only
from chef.readers.build import uv_build_constraints
from chef.readers.locks import assign_keys, wheel_tags
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    expect,
    inside,
    load_pyproject,
    marker_text,
    normalize_specifier,
    outside_error,
    str_list,
    table,
    tool_table,
    uv_index_config,
)
from chef.readers.sources import archive_url, file_names, installer_hashes, vcs_url
from chef.toml import load_toml
from chef.urls import normalize_index_url, strip_credentials

SUPPORTED_VERSIONS = (1,)
LOCAL_SOURCES = ("editable", "virtual", "directory")


def configured_indexes(data: Mapping[str, Any]) -> Set[str]:
    """Every index URL the project names; registry URLs outside it are the installer's default."""
    config = uv_index_config(data, "pyproject.toml")  # validates [tool.uv]'s index settings
    urls = set(config.extra_index_urls) | set(config.find_links)
    if config.index_url:
        urls.add(config.index_url)
    uv = tool_table(data, "uv", "pyproject.toml")
    urls.update(normalize_index_url(e["url"]) for e in uv.get("index", []) or [])
    return urls


def _source_id(source: Mapping[str, Any]) -> str:
    if len(source) == 1:  # nearly every package: `{ registry = "..." }`, without the sort
        for k, value in source.items():
            return f"{k}={value}"
    return ",".join(f"{k}={source[k]}" for k in sorted(source))


def git_requirement_url(url: str) -> str:
    """uv's `https://host/repo?rev=x&subdirectory=y#commit` as pip's `git+https://host/repo@commit`
    (what `uv export` writes: the commit, never the requested rev; uv locks git only)."""
    try:
        parts = urlsplit(strip_credentials(url))
    except ValueError as exc:
        raise InputError(f"invalid git URL {url!r}: {exc}", path="uv.lock") from None
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    commit = parts.fragment or query.get("rev") or query.get("tag") or query.get("branch")
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return vcs_url(base, "git", commit, query.get("subdirectory"))


def _files(entry: Mapping[str, Any]) -> Tuple[Tuple[str, ...], Optional[Tuple[str, ...]]]:
    """The hashes of a package's files, and the tags of its wheels (`wheel_tags`)."""
    wheels = entry.get("wheels")
    if wheels is None:
        wheels = ()
    elif type(wheels) is not list:
        expect(wheels, list, "uv.lock", "package.wheels")
    sdist = entry.get("sdist")
    # = file_hashes([*wheels, sdist]) and locked_wheels(wheels, _FILE_KEYS, sdist=...), in one
    # pass over the wheels (run for every package)
    values: List[Any] = []
    names: List[str] = []
    for item in wheels:
        if type(item) is dict:
            values.append(item.get("hash"))
            name = item.get("url")
            if name and type(name) is str:
                names.append(name)
            else:
                names.extend(file_names([item], _FILE_KEYS))
    if type(sdist) is dict:
        values.append(sdist.get("hash"))
        return installer_hashes(values), wheel_tags(names) if names else ()
    return installer_hashes(values), wheel_tags(names) if names else None


_FILE_KEYS = ("url", "filename", "path")  # what names a file in uv.lock, first found first


def _virtual_root_groups(
    project: Project,
    lock: Mapping[str, Any],
    by_name: Mapping[str, List[Tuple[str, str, str]]],
    local_idents: Mapping[Tuple[str, str, str], str],
    keys: Mapping[Tuple[str, str, str], str],
    display: str,
) -> None:
    """A workspace root without [project] keeps its PEP 735 groups in `[manifest]` only: give
    them a virtual, non-installable root package so that --group/--all-groups reach them."""
    groups = table(lock, "manifest", display).get("dependency-groups")
    if not isinstance(groups, dict) or not groups or any(r == "." for r in local_idents.values()):
        return
    # Imported past the common case's return: chef.readers.flat is ~0.3 ms of a uv prepare.
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from chef.readers.flat import unique_name

    out: Dict[str, Tuple[Dep, ...]] = {}
    for group, items in groups.items():
        edges: Set[Dep] = set()
        for item in expect(items, list, display, f"manifest.dependency-groups.{group}"):
            expect(item, dict, display, f"manifest.dependency-groups.{group}")
            name = canonical(expect(item.get("name"), str, display, "requirement name"))
            try:
                spec = SpecifierSet(str(item.get("specifier", "")))
            except InvalidSpecifier:
                raise InputError(f"invalid specifier in group {group}", path=display) from None
            candidates = [c for c in by_name.get(name, []) if c not in local_idents]
            if len(candidates) > 1:
                candidates = [c for c in candidates if spec.contains(c[1], prereleases=True)]
            extras = tuple(sorted(canonical(e) for e in str_list(
                item.get("extras") or [], display, f"manifest.dependency-groups.{group}.extras"
            )))
            marker = marker_text(item.get("marker"), display,
                                 f"manifest.dependency-groups.{group}.marker")
            if any(c[0] == name for c in local_idents):
                edges.add(Dep(name=name, extras=extras, marker=marker))
            edges.update(
                Dep(name=name, extras=extras, marker=marker, key=keys[c]) for c in candidates
            )
        out[canonical(group)] = tuple(sorted(edges))
    taken = {p.name for p in (project.locked or {}).values()} | set(project.local_packages)
    name = unique_name("workspace-root", taken)
    project.local_packages[name] = LocalPackage(
        name=name, path=".", installable=False, groups=tuple(sorted(out.items()))
    )
    project.roots.append(Dep(name=name))


def _third_party(deps: Tuple[Dep, ...]) -> Tuple[Dep, ...]:
    return tuple([d for d in deps if d.key is not None])


def read_project(root: Path, subdir: str = ".") -> Project:
    """The reader's entry point (chef.readers.ProjectReader): uv.lock at the context root."""
    root_only("uv", root, subdir)
    return read(root)


Ident = Tuple[str, str, str]  # a locked package: (name, version, source id)


def read(root: Path) -> Project:
    display = "uv.lock"
    lock = load_toml(root / "uv.lock", display)
    version = lock.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise InputError(
            f"unsupported uv.lock version {version!r}",
            path=display,
            hint="chef reads lock version 1; upgrade chef or re-lock with a matching uv",
        )
    pyproject_path = root / "pyproject.toml"
    data = load_toml(pyproject_path, "pyproject.toml") if pyproject_path.is_file() else {}
    configured = configured_indexes(data)
    index = _Index(lock, display)
    local_idents = _local_idents(root, index.raw, display)
    project = Project(root=root, manager="uv", inputs=["uv.lock"])
    if data:
        project.inputs.insert(0, "pyproject.toml")
    project.locked = _packages(root, project, index, local_idents, configured, display)
    project.conflicts = _conflicts(lock.get("conflicts"), display)
    project.roots = _roots(lock, local_idents, project, display)
    _virtual_root_groups(project, lock, index.by_name, local_idents, index.keys, display)
    project.requires_python = normalize_specifier(
        lock.get("requires-python"), display, "requires-python"
    )
    project.index = uv_index_config(data, "pyproject.toml")
    # What uv builds with (it reads them from pyproject.toml, uv.lock's [manifest] repeats them).
    project.build_constraints = uv_build_constraints(data, "pyproject.toml")
    return project


class _Index:
    """The lock's packages by identity, the recipe key of each, and the identities of a name."""

    def __init__(self, lock: Mapping[str, Any], display: str) -> None:
        packages = expect(lock.get("package", []), list, display, "package")
        entries: List[Ident] = []
        self.raw: Dict[Ident, Mapping[str, Any]] = {}
        for entry in packages:  # (the type tests inline, `expect` on the error path: per package)
            if type(entry) is not dict:
                expect(entry, dict, display, "[[package]]")
            raw_name = entry.get("name")
            if type(raw_name) is not str:
                expect(raw_name, str, display, "package.name")
            name = canonical(raw_name)
            source = entry.get("source", {})
            if type(source) is not dict:
                expect(source, dict, display, f"package {name} source")
            ident = (name, str(entry.get("version", "")), _source_id(source))
            entries.append(ident)
            self.raw[ident] = entry
        self.keys = assign_keys(entries)
        self.by_name: Dict[str, List[Ident]] = {}
        for ident in entries:
            self.by_name.setdefault(ident[0], []).append(ident)


def _local_idents(
    root: Path, raw: Mapping[Ident, Mapping[str, Any]], display: str
) -> Dict[Ident, str]:
    """The root project and workspace members (editable, virtual or directory sources): their
    paths relative to the project root, which must hold them."""
    local_idents: Dict[Ident, str] = {}
    for ident, entry in raw.items():
        source = entry.get("source", {})
        if "editable" not in source and "virtual" not in source and "directory" not in source:
            continue  # (LOCAL_SOURCES, tested inline: once per package)
        kind = next((k for k in LOCAL_SOURCES if k in source), None)
        if kind is not None:
            rel = inside(root, root / str(source[kind]), display)
            if rel is None:
                raise outside_error(display, f"{ident[0]} ({kind} = {source[kind]!r})")
            local_idents[ident] = rel
    return local_idents


EdgesOf = Callable[[Any, str], Tuple[Dep, ...]]
EdgeMapOf = Callable[[Any, str], Tuple[Tuple[str, Tuple[Dep, ...]], ...]]


def _packages(
    root: Path,
    project: Project,
    index: _Index,
    local_idents: Mapping[Ident, str],
    configured: Set[str],
    display: str,
) -> Dict[str, LockedPackage]:
    """Every package of the lock, in its order: the local ones into `project.local_packages`,
    the third-party ones returned by key."""
    edges, edge_map = _edge_readers(index, local_idents, display)
    locked: Dict[str, LockedPackage] = {}
    registries: Dict[str, Source] = {}
    keys = index.keys
    # The loop over every package: the registry source and the LockedPackage stay inline (one
    # package after another of a 1500-package lock; a call per package shows in bench/prepare.py).
    for ident, entry in index.raw.items():
        name = ident[0]
        where = f"package {name}"
        if ident in local_idents:
            project.local_packages[name] = _local_package(
                root, project, entry, name, local_idents[ident], (edges, edge_map)
            )
            continue
        source = entry.get("source", {})
        if "registry" in source:
            url = str(source["registry"])
            if "://" in url:
                src = registries.get(url)  # one or two distinct indexes for the whole lock
                if src is None:
                    index_url = normalize_index_url(url)
                    src = Source("registry", index_url if index_url in configured else None)
                    registries[url] = src
            else:  # a flat find-links directory, relative to the project
                src = Source("registry", url)
        else:
            src = _other_source(source, name, display)
        key = keys[ident]
        hashes, wheels = _files(entry)
        locked[key] = LockedPackage(
            name=name,
            version=ident[1],
            source=src,
            hashes=hashes,
            # A third-party package that needs a workspace member (a plugin of the project)
            # must not point into the locked graph: install-project builds the members.
            dependencies=_third_party(edges(entry.get("dependencies"), where)),
            extras=tuple(
                (k, _third_party(v))
                for k, v in edge_map(entry.get("optional-dependencies"), where + " optional")
            ),
            key=key,
            wheels=wheels if src.kind == "registry" else None,
        )
    return locked


def _edge_readers(
    index: _Index, local_idents: Mapping[Ident, str], display: str
) -> Tuple[EdgesOf, EdgeMapOf]:
    """`edges(items, where)` for a `dependencies` array and `edge_map(table, where)` for an
    `optional-dependencies`/`dev-dependencies` table: each edge resolved to the locked package it
    means. Closures rather than methods or module functions taking the lock's tables: `edge`
    runs for every edge of the lock and `resolve` for every distinct one (C901 19 for that)."""

    by_name, keys = index.by_name, index.keys

    def resolve(dep: Mapping[str, Any], where: str) -> Dep:
        # An edge as the locked package it means: by name, then version and source when the
        # name has several (once per distinct edge: `edge` memoizes).
        if not isinstance(dep, dict):
            expect(dep, dict, display, where)
        raw_name = dep.get("name")
        if not isinstance(raw_name, str):
            raw_name = expect(raw_name, str, display, where + ".name")  # raises
        name = raw_name if raw_name in by_name else canonical(raw_name)
        candidates = by_name.get(name, [])
        if len(candidates) > 1:
            if "version" in dep:
                candidates = [c for c in candidates if c[1] == str(dep["version"])]
            if "source" in dep and len(candidates) > 1:
                source = expect(dep["source"], dict, display, where + ".source")
                candidates = [c for c in candidates if c[2] == _source_id(source)]
        if len(candidates) != 1:
            raise InputError(f"{where}: cannot tell which {name!r} the lock means", path=display)
        target = candidates[0]
        extras = dep.get("extra")
        if extras:
            extras = str_list(extras, display, where + ".extra")
            extras = tuple(sorted({canonical(e) for e in extras}))
        marker = dep.get("marker")
        return Dep(
            name=name,
            extras=extras or (),
            marker=None if marker is None else marker_text(marker, display, where + ".marker"),
            key=None if target in local_idents else keys[target],
        )

    # A lock repeats the same edges (half of them, in real locks): each distinct one is resolved
    # once. Only plain values make a memo key, so whatever is malformed still reaches resolve.
    memo: Dict[Tuple[Any, ...], Dep] = {}
    by_bare_name: Dict[str, Dep] = {}  # `{ name = "..." }`, most edges: keyed by the name alone

    def edge(dep: Any, where: str) -> Dep:
        # Called for every edge of the lock: the error texts are built only on the error path.
        if type(dep) is dict and len(dep) == 1 and type(dep.get("name")) is str:
            found = by_bare_name.get(dep["name"])
            if found is None:
                found = by_bare_name[dep["name"]] = resolve(dep, where)
            return found
        if type(dep) is not dict or "source" in dep:
            return resolve(dep, where)
        name, version, marker, extras = (
            dep.get("name"), dep.get("version"), dep.get("marker"), dep.get("extra")
        )
        if (type(name) is not str or (version is not None and type(version) is not str)
                or (marker is not None and type(marker) is not str)
                or (extras is not None and (type(extras) is not list
                                            or any(type(e) is not str for e in extras)))):
            return resolve(dep, where)
        key = (name, version, marker, tuple(extras) if extras else ())
        found = memo.get(key)
        if found is None:
            found = memo[key] = resolve(dep, where)
        return found

    def edges(items: Any, where: str) -> Tuple[Dep, ...]:
        if not items:
            return ()
        if type(items) is not list:
            expect(items, list, display, where)
        return _sorted_distinct([edge(d, where) for d in items])

    def edge_map(table: Any, where: str) -> Tuple[Tuple[str, Tuple[Dep, ...]], ...]:
        if not table:
            return ()
        table = expect(table, dict, display, where)
        return tuple(sorted((canonical(k), edges(v, f"{where}.{k}")) for k, v in table.items()))

    return edges, edge_map


def _sorted_distinct(deps: List[Dep]) -> Tuple[Dep, ...]:
    # uv writes edges sorted by name: strictly increasing names are already the sorted,
    # duplicate-free order (Dep sorts by name first), so skip the set and the sort.
    if all(a.name < b.name for a, b in zip(deps, deps[1:])):
        return tuple(deps)
    return tuple(sorted(set(deps)))


def _local_package(
    root: Path,
    project: Project,
    entry: Mapping[str, Any],
    name: str,
    rel: str,
    readers: Tuple[EdgesOf, EdgeMapOf],
) -> LocalPackage:
    """The root project or a workspace member, its pyproject.toml among the project's inputs."""
    edges, edge_map = readers
    where = f"package {name}"
    kind = next(k for k in LOCAL_SOURCES if k in entry["source"])
    member_data = load_pyproject(root, rel) if (root / rel / "pyproject.toml").is_file() else {}
    if rel != "." and member_data:
        project.inputs.append(f"{rel}/pyproject.toml")
    build = (
        build_requires(member_data, f"{rel}/pyproject.toml")
        if member_data
        else DEFAULT_BUILD_REQUIRES
    )
    return LocalPackage(
        name=name,
        path=rel,
        build_requires=build if kind != "virtual" else (),
        dependencies=edges(entry.get("dependencies"), where),
        extras=edge_map(entry.get("optional-dependencies"), where + " optional"),
        groups=edge_map(entry.get("dev-dependencies"), where + " dev-dependencies"),
        installable=kind != "virtual",
        editable=kind == "editable",
    )


def _other_source(source: Mapping[str, Any], name: str, display: str) -> Source:
    """A third-party package's source other than an index: git, an archive URL; a local file
    is refused."""
    if "git" in source:
        return Source("git", git_requirement_url(str(source["git"])))
    if "url" in source:
        subdirectory = source.get("subdirectory")
        return Source("url", archive_url(
            str(source["url"]), subdirectory if isinstance(subdirectory, str) else None
        ))
    if "path" in source:
        raise InputError(
            f"{name} comes from a local file {source['path']!r}, which chef cannot cook "
            "before the project is copied",
            path=display,
            hint="publish it to an index or a find-links directory",
        )
    raise InputError(f"package {name} has an unknown source {source!r}", path=display)


def _roots(
    lock: Mapping[str, Any], local_idents: Mapping[Ident, str], project: Project, display: str
) -> List[Dep]:
    """The workspace members ([manifest] members), else the package at the root, else every
    local package."""
    members = str_list(table(lock, "manifest", display).get("members") or [], display,
                       "manifest.members")
    if members:
        root_names = sorted({canonical(m) for m in members})
    else:
        root_names = sorted(
            ident[0] for ident, rel in local_idents.items() if rel == "."
        ) or sorted(ident[0] for ident in local_idents)
    return [Dep(name=n) for n in root_names if n in project.local_packages]


def _conflicts(value: Any, display: str) -> List[Conflict]:
    """uv.lock's `conflicts`: sets of a package's extras and groups never installed together."""
    out = []
    for i, items in enumerate(expect(value if value is not None else [], list, display,
                                     "conflicts")):
        found: List[Tuple[str, SelectionKind, str]] = []
        for item in expect(items, list, display, f"conflicts[{i}]"):
            item = expect(item, dict, display, f"conflicts[{i}][]")
            package = expect(item.get("package"), str, display, "conflicts package")
            kind: SelectionKind = "extra" if "extra" in item else "group"
            name = expect(item.get(kind), str, display, f"conflicts {kind}")
            found.append((canonical(package), kind, canonical(name)))
        out.append(tuple(sorted(found)))
    return out
