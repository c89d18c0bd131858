"""PDM: PEP 621 `[project]`, `[tool.pdm]` (sources, dev-dependencies), PEP 735 groups, pdm.lock 4.x.

A lock made with the `inherit_metadata` strategy (PDM's default since 2.11) records, per package,
the groups that need it and the environment marker under which they do; `pdm sync` and
`pdm export` select from that list without resolving, so chef reads it as a flat lock. Older
strategies have no such data: chef then walks the locked `dependencies` from the project's
requirements, as `pdm sync` resolves from the lock.

PDM calls extras "groups" too: a lock group named like an optional-dependency is a chef extra,
`default` is the main dependencies, and any other group is a chef group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
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
from chef.readers.locks import assign_keys
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    dependency_groups,
    expect,
    inside,
    marker_text,
    normalize_specifier,
    outside_error,
    rel_display,
    str_list,
    tool_table,
)
from chef.readers.sources import (
    VCS_KINDS,
    archive_url,
    file_hashes,
    locked_wheels,
    vcs_entry,
    vcs_url,
)
from chef.readers.sources import index_config as sources_index_config
from chef.toml import load_toml
from chef.urls import normalize_index_url

INHERIT_METADATA = "inherit_metadata"


def index_config(data: Mapping[str, Any], display: str) -> IndexConfig:
    """`[[tool.pdm.source]]`: one named "pypi" replaces the default index, other index sources
    are extra indexes, `type = "find_links"` ones are find-links."""
    default: Optional[str] = None
    extra: List[str] = []
    links: List[str] = []
    sources = data.get("tool", {}).get("pdm", {}).get("source", []) or []
    for source in expect(sources, list, display, "tool.pdm.source"):
        if not isinstance(source, dict) or not isinstance(source.get("url"), str):
            raise InputError("each [[tool.pdm.source]] needs a url", path=display)
        url = source["url"]
        if source.get("type") == "find_links":
            links.append(normalize_index_url(url))
        elif source.get("name") == "pypi":
            default = url
        else:
            extra.append(url)
    return sources_index_config(default, extra, links)


class _Reader:
    def __init__(self, root: Path, subdir: str) -> None:
        self.root = root
        self.subdir = subdir
        base = root / subdir
        self.display = rel_display(root, base / "pdm.lock")
        self.pyproject_display = rel_display(root, base / "pyproject.toml")
        self.lock = load_toml(base / "pdm.lock", self.display)
        if not (base / "pyproject.toml").is_file():
            raise InputError("pdm.lock without a pyproject.toml next to it", path=self.display)
        self.data = load_toml(base / "pyproject.toml", self.pyproject_display)
        metadata = expect(self.lock.get("metadata", {}), dict, self.display, "[metadata]")
        self.lock_version = str(metadata.get("lock_version", ""))
        try:
            major = Version(self.lock_version).major
        except InvalidVersion:
            major = -1
        if major != 4:
            raise InputError(
                f"unsupported pdm.lock lock_version {self.lock_version!r}",
                path=self.display,
                hint="chef reads lock_version 4.x; re-lock with a current PDM",
            )
        self.strategy = set(str_list(metadata.get("strategy", []), self.display, "strategy"))
        project = expect(self.data.get("project", {}), dict, self.pyproject_display, "[project]")
        name = project.get("name")
        self.name = canonical(name) if isinstance(name, str) else "root"
        pdm = tool_table(self.data, "pdm", self.pyproject_display)
        distribution = pdm.get("distribution")
        self.installable = (
            bool(distribution) if distribution is not None else "build-system" in self.data
        )
        self.extras = {canonical(e) for e in expect(
            project.get("optional-dependencies") or {}, dict, self.pyproject_display,
            "project.optional-dependencies",
        )}
        self.outside: Dict[str, InputError] = {}
        self.notes: List[str] = []
        self.key_markers: Dict[str, Optional[str]] = {}

    # -- the lock's entries

    def entries(self) -> List[Mapping[str, Any]]:
        items = expect(self.lock.get("package", []), list, self.display, "package")
        for item in items:
            expect(item, dict, self.display, "[[package]]")
            expect(item.get("name"), str, self.display, "package.name")
        return items  # type: ignore[no-any-return]

    def local_path(self, entry: Mapping[str, Any]) -> Optional[str]:
        """The relative directory of a path entry, None for anything else."""
        path = entry.get("path")
        if not isinstance(path, str):
            return None
        target = self.root / self.subdir / path
        name = canonical(entry["name"])
        if not target.is_dir():
            raise InputError(
                f"{name} comes from a local file {path!r}, which chef cannot cook before the "
                "project is copied",
                path=self.display,
                hint="publish it to an index or a find-links directory",
            )
        rel = inside(self.root, target)
        if rel is None:
            self.outside[name] = outside_error(self.display, f"{name} (path = {path!r})")
        return rel

    def source(self, entry: Mapping[str, Any]) -> Tuple[Source, str]:
        # pdm locks a VCS package under a key named after its VCS (`git`, `hg`, `svn`, `bzr`:
        # Candidate.as_lockfile_entry) with the commit it resolved (`revision`) beside the
        # requested `ref`; `pdm export` installs the revision (VcsRequirement.get_full_url).
        vcs = vcs_entry(entry, VCS_KINDS)
        if vcs is not None:
            url = vcs_url(
                vcs[1], vcs[0], entry.get("revision") or entry.get("ref"), entry.get("subdirectory")
            )
            return Source("git", url), url  # kind "git": any VCS (the recipe's one VCS kind)
        if isinstance(entry.get("url"), str):
            url = archive_url(entry["url"], entry.get("subdirectory"))
            return Source("url", url), url
        return Source("registry", None), ""

    @staticmethod
    def hashes(entry: Mapping[str, Any]) -> Tuple[str, ...]:
        # pdm locks `algorithm:digest` (never a bare digest) for each file
        return file_hashes(entry.get("files", []) or [])

    @staticmethod
    def wheels(entry: Mapping[str, Any]) -> Optional[Tuple[str, ...]]:
        """`wheel_tags` of the files pdm lists (`file` names, or `url`s with static URLs; the
        sdist is one of them)."""
        return locked_wheels(entry.get("files", []) or [], ("file", "url"))

    # -- the project

    def read(self) -> Project:
        project = Project(
            root=self.root, manager="pdm", inputs=[self.pyproject_display, self.display]
        )
        entries = self.entries()
        idents: List[Tuple[str, str, str]] = []
        locals_: Dict[str, str] = {}
        for entry in entries:
            name = canonical(entry["name"])
            if isinstance(entry.get("path"), str):
                rel = self.local_path(entry)
                if rel is not None:
                    locals_[name] = rel
                continue
            idents.append((name, str(entry.get("version", "")), self.source(entry)[1]))
        keys = assign_keys(sorted(set(idents)))
        flat = INHERIT_METADATA in self.strategy

        locked: Dict[str, LockedPackage] = {}
        by_name: Dict[str, List[str]] = {}
        variants: Dict[str, List[Mapping[str, Any]]] = {}  # key -> entries (extras variants)
        for entry in entries:
            name = canonical(entry["name"])
            if name in locals_ or name in self.outside:
                continue
            source, source_id = self.source(entry)
            if not isinstance(entry.get("files", []) or [], list):
                raise InputError(f"package {name}: files must be an array of tables",
                                 path=self.display, hint="re-lock with `pdm lock`")
            key = keys[(name, str(entry.get("version", "")), source_id)]
            variants.setdefault(key, []).append(entry)
            if isinstance(entry.get("marker"), str):
                self.key_markers[key] = marker_text(entry["marker"], self.display,
                                                    f"package {name} marker")
            if key not in locked:
                by_name.setdefault(name, []).append(key)
                locked[key] = LockedPackage(
                    name=name,
                    version=str(entry.get("version", "")),
                    source=source,
                    hashes=self.hashes(entry),
                    key=key,
                    wheels=self.wheels(entry) if source.kind == "registry" else None,
                )
        if not flat:
            locked = self._graph(locked, variants, by_name, set(locals_) | set(self.outside))

        guarded = GuardedLocals()
        guarded.outside.update(self.outside)
        for name, rel in locals_.items():
            if rel == self.subdir:
                continue
            pyproject = self.root / rel / "pyproject.toml"
            build: Tuple[str, ...] = DEFAULT_BUILD_REQUIRES
            if pyproject.is_file():
                shown = rel_display(self.root, pyproject)
                build = build_requires(load_toml(pyproject, shown), shown)
                project.inputs.append(shown)
            guarded[name] = LocalPackage(name=name, path=rel, build_requires=build)
        if flat:
            root_package = self._flat_root(entries, keys, locals_)
        else:
            root_package = self._graph_root(by_name, locked, set(locals_) | set(self.outside))
        guarded[root_package.name] = root_package
        project.local_packages = guarded
        project.locked = locked
        project.roots = [Dep(name=root_package.name)]
        requires = self.data.get("project", {}).get("requires-python")
        project.requires_python = normalize_specifier(
            requires, self.pyproject_display, "project.requires-python"
        )
        project.index = index_config(self.data, self.pyproject_display)
        project.notes.extend(self.notes)
        project.notes.append(
            f"{self.display} {self.lock_version}: "
            + (
                "flat (inherit_metadata: groups and markers per package)"
                if flat
                else "graph walked from pyproject"
            )
        )
        return project

    def _declared_groups(self) -> Set[str]:
        groups = set(dependency_groups(self.data, self.pyproject_display))
        dev = self.data.get("tool", {}).get("pdm", {}).get("dev-dependencies", {}) or {}
        groups.update(
            canonical(g)
            for g in expect(dev, dict, self.pyproject_display, "tool.pdm.dev-dependencies")
        )
        return groups

    def _flat_root(
        self,
        entries: List[Mapping[str, Any]],
        keys: Dict[Tuple[str, str, str], str],
        locals_: Dict[str, str],
    ) -> LocalPackage:
        builder = RootBuilder()
        builder.declare(self.extras, self._declared_groups() - self.extras)
        for entry in entries:
            name = canonical(entry["name"])
            if name == self.name and locals_.get(name) == self.subdir:
                continue  # the project itself (`pdm lock` with the self package)
            if name in locals_ or name in self.outside:
                target = Dep(name=name)
            else:
                ident = (name, str(entry.get("version", "")), self.source(entry)[1])
                target = Dep(name=name, key=keys[ident])
            marker = entry.get("marker")
            marker = norm_marker(marker) if isinstance(marker, str) else None
            groups = str_list(entry.get("groups", ["default"]), self.display, f"{name} groups")
            for group in groups:
                group = canonical(group)
                edge = Dep(name=target.name, key=target.key, marker=marker)
                if group == "default":
                    builder.add("main", "", edge)
                elif group in self.extras:
                    builder.add("extra", group, edge)
                else:
                    builder.add("group", group, edge)
        return builder.package(
            self.name,
            self.subdir,
            installable=self.installable,
            build_requires=build_requires(self.data, self.pyproject_display)
            if self.installable
            else (),
        )

    # -- graph mode (strategies without inherit_metadata)

    def _edge(
        self,
        text: str,
        by_name: Dict[str, List[str]],
        locked: Mapping[str, LockedPackage],
        local_names: Set[str],
        where: str,
    ) -> List[Dep]:
        text = text.strip()
        if text.startswith("-e "):
            text = text[3:].strip()
        text = text.replace("${PROJECT_ROOT}", (self.root / self.subdir).resolve().as_posix())
        try:
            req = Requirement(text)
        except InvalidRequirement:
            if text.startswith("file:"):
                path = Path(unquote(urlsplit(text).path))
                rel = inside(self.root, path)
                fragment = urlsplit(text).fragment
                egg = next((p[4:] for p in fragment.split("&") if p.startswith("egg=")), None)
                if rel is not None and egg:
                    return [Dep(name=canonical(egg))]
            raise InputError(f"{where}: invalid requirement {text!r}", path=self.display) from None
        name = canonical(req.name)
        extras = tuple(sorted(canonical(e) for e in req.extras))
        marker = norm_marker(str(req.marker)) if req.marker else None
        if name in local_names or name == self.name:
            return [Dep(name=name, extras=extras, marker=marker)]
        keys = by_name.get(name, [])
        if len(keys) > 1:
            keys = [k for k in keys if req.specifier.contains(locked[k].version, prereleases=True)]
        if not keys:
            self.notes.append(f"{where}: {name} is not locked; skipped")
            return []
        if len(keys) == 1:
            return [Dep(name=name, extras=extras, marker=marker, key=keys[0])]
        # several locked versions (pdm lock targets): each under its own marker
        return [
            Dep(
                name=name, extras=extras, marker=and_markers(marker, self.key_markers.get(k)), key=k
            )
            for k in keys
        ]

    def _graph(
        self,
        locked: Dict[str, LockedPackage],
        variants: Dict[str, List[Mapping[str, Any]]],
        by_name: Dict[str, List[str]],
        local_names: Set[str],
    ) -> Dict[str, LockedPackage]:
        out: Dict[str, LockedPackage] = {}
        for key, package in locked.items():
            base: Set[Dep] = set()
            extras: Dict[str, Set[Dep]] = {}
            for entry in variants[key]:
                names = tuple(sorted(canonical(e) for e in entry.get("extras", []) or []))
                deps: Set[Dep] = set()
                for text in str_list(entry.get("dependencies", []) or [], self.display, key):
                    for dep in self._edge(text, by_name, locked, local_names, f"package {key}"):
                        if dep.name != package.name:  # an extras variant requires its base
                            deps.add(dep)
                if not names:
                    base |= deps
                for extra in names:
                    extras.setdefault(extra, set()).update(deps)
            out[key] = LockedPackage(
                name=package.name,
                version=package.version,
                source=package.source,
                hashes=package.hashes,
                dependencies=tuple(sorted(base)),
                extras=tuple(sorted((e, tuple(sorted(d - base))) for e, d in extras.items())),
                key=key,
                wheels=package.wheels,
            )
        return out

    def _graph_root(
        self,
        by_name: Dict[str, List[str]],
        locked: Mapping[str, LockedPackage],
        local_names: Set[str],
    ) -> LocalPackage:
        project = self.data.get("project", {})
        where = self.pyproject_display

        def edges(items: List[str], label: str) -> Tuple[Dep, ...]:
            return tuple(
                sorted(
                    {
                        d
                        for text in items
                        for d in self._edge(text, by_name, locked, local_names, label)
                    }
                )
            )

        main = edges(str_list(project.get("dependencies", []), where, "dependencies"), where)
        extras = {
            canonical(k): edges(str_list(v, where, f"optional-dependencies.{k}"), where)
            for k, v in (project.get("optional-dependencies") or {}).items()
        }
        groups = {
            g: edges(items, where) for g, items in dependency_groups(self.data, where).items()
        }
        dev = self.data.get("tool", {}).get("pdm", {}).get("dev-dependencies", {}) or {}
        for group, items in expect(dev, dict, where, "tool.pdm.dev-dependencies").items():
            merged = set(groups.get(canonical(group), ())) | set(
                edges(str_list(items, where, f"dev-dependencies.{group}"), where)
            )
            groups[canonical(group)] = tuple(sorted(merged))
        return LocalPackage(
            name=self.name,
            path=self.subdir,
            build_requires=build_requires(self.data, where) if self.installable else (),
            dependencies=main,
            extras=tuple(sorted(extras.items())),
            groups=tuple(sorted(groups.items())),
            installable=self.installable,
        )


def read(root: Path, subdir: str = ".") -> Project:
    """pdm.lock + pyproject.toml in `root/subdir`; local paths are relative to `root`."""
    return _Reader(root, subdir).read()
