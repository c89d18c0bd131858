"""Pipenv: Pipfile (`[[source]]`, `[packages]`, `[dev-packages]`, custom categories) + Pipfile.lock.

Pipfile.lock is a flat list per category: `pipenv sync` installs every entry of the selected
categories whose `markers` hold, with `--no-deps`, from the index the entry names. chef reads it
the same way (chef.readers.flat): `default` is the main dependencies, `develop` is the group
`dev-packages`, any other category is a group of its own name.

Index: pipenv's default source (the first `[[source]]`, which pipenv names "pypi" unless told
otherwise) is left to the installer's default when it is called "pypi"; any other source is
recorded by URL (credentials stripped).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from chef.errors import InputError, json_error
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
from chef.readers.flat import RootBuilder, attach_root, unique_name
from chef.readers.locks import assign_keys
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    inside,
    marker_text,
    outside_error,
    rel_display,
)
from chef.readers.sources import index_config, installer_hashes, vcs_entry, vcs_url
from chef.toml import load_toml, read_text
from chef.urls import normalize_index_url, shell_placeholders, strip_credentials

DEFAULT_SOURCE_NAME = "pypi"  # the name pipenv gives its default index
CATEGORY_GROUPS = {"default": None, "develop": "dev-packages"}
PIPFILE_SECTIONS = {"packages": None, "dev-packages": "dev-packages"}
_MARKER_KEYS = (
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_version",
    "python_full_version",
    "implementation_name",
    "implementation_version",
)


def _vcs_url(entry: Mapping[str, Any]) -> Optional[str]:
    """pip's URL of a VCS entry (Pipfile or Pipfile.lock), None for any other entry. pipenv
    takes the first of `git`, `svn`, `hg`, `bzr` (VCS_LIST) the entry has, its `ref`, else a ref
    at the end of the URL (normalize_vcs_url), and its `subdirectory`
    (requirement_from_lockfile)."""
    vcs = vcs_entry(entry, ("git", "svn", "hg", "bzr"))
    if vcs is None:
        return None
    ref = entry.get("ref") if isinstance(entry.get("ref"), str) else None
    subdirectory = entry.get("subdirectory")
    return vcs_url(vcs[1], vcs[0], ref, subdirectory if isinstance(subdirectory, str) else None)


class _Sources:
    """Source name -> URL, and which one is the installer's default."""

    def __init__(self, sources: Any, display: str) -> None:
        self.urls: Dict[str, str] = {}
        self.first: Optional[str] = None
        if sources is not None and not isinstance(sources, list):
            raise InputError("the sources must be an array of tables ([[source]])", path=display)
        for source in sources or []:
            if not isinstance(source, dict) or not isinstance(source.get("url"), str):
                raise InputError("each source needs a url", path=display)
            name = str(source.get("name", source["url"]))
            # pipenv expands $NAME and ${NAME} in a source url (the whole URL or any part)
            self.urls[name] = normalize_index_url(shell_placeholders(source["url"]))
            if self.first is None:
                self.first = name
        self.display = display

    def index_config(self) -> IndexConfig:
        if self.first is None or self.first == DEFAULT_SOURCE_NAME:
            return IndexConfig()
        return index_config(self.urls[self.first])

    def source(self, index: Any, package: str) -> Source:
        if index is None or index == self.first:
            return Source("registry", None)
        if not isinstance(index, str) or index not in self.urls:
            raise InputError(
                f"{package} names an unknown index {index!r}",
                path=self.display,
                hint="add it to [[source]] and re-lock",
            )
        return Source("registry", self.urls[index])


def _load_json(path: Path, display: str) -> Dict[str, Any]:
    text = read_text(path, display)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg}",
            path=display,
            line=exc.lineno,
            hint="re-lock with `pipenv lock`",
        ) from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", path=display) from None
    except ValueError as exc:  # an integer over Python's 4300 digits
        raise InputError(f"malformed JSON: {json_error(exc)}", path=display,
                         hint="re-lock with `pipenv lock`") from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=display)
    return data


def _group_of(category: str) -> Optional[str]:
    if category in CATEGORY_GROUPS:
        return CATEGORY_GROUPS[category]
    return canonical(category)


class _Reader:
    def __init__(self, root: Path, subdir: str) -> None:
        self.root = root
        self.subdir = subdir
        self.base = root / subdir
        self.display = rel_display(root, self.base / "Pipfile.lock")
        self.outside: Dict[str, InputError] = {}

    def local(self, name: str, path: str, where: str) -> Optional[str]:
        target = self.base / path
        if not target.is_dir():
            raise InputError(
                f"{name} comes from a local file {path!r}, which chef cannot cook before the "
                "project is copied",
                path=where,
                hint="publish it to an index or a find-links directory",
            )
        rel = inside(self.root, target)
        if rel is None:
            self.outside[name] = outside_error(where, f"{name} (path = {path!r})")
        return rel

    def local_package(self, name: str, rel: str, editable: bool) -> LocalPackage:
        pyproject = self.root / rel / "pyproject.toml"
        build: Tuple[str, ...] = DEFAULT_BUILD_REQUIRES
        if pyproject.is_file():
            shown = rel_display(self.root, pyproject)
            build = build_requires(load_toml(pyproject, shown), shown)
        return LocalPackage(name=name, path=rel, build_requires=build, editable=editable)

    def read_lock(self) -> Project:
        lock = _load_json(self.base / "Pipfile.lock", self.display)
        meta = lock.get("_meta", {})
        if not isinstance(meta, dict):
            raise InputError("_meta must be an object", path=self.display)
        spec = meta.get("pipfile-spec", 6)
        if spec != 6:
            raise InputError(
                f"unsupported pipfile-spec {spec!r}",
                path=self.display,
                hint="chef reads pipfile-spec 6; re-lock with a current pipenv",
            )
        sources = _Sources(meta.get("sources"), self.display)
        project = Project(root=self.root, manager="pipenv", inputs=[self.display])
        if (self.base / "Pipfile").is_file():
            project.inputs.insert(0, rel_display(self.root, self.base / "Pipfile"))

        categories = [c for c in lock if c != "_meta"]
        rows: List[Tuple[str, str, Mapping[str, Any]]] = []  # (category, name, entry)
        for category in categories:
            table = lock[category]
            if not isinstance(table, dict):
                raise InputError(f"{category!r} must be an object", path=self.display)
            for raw_name, entry in table.items():
                if not isinstance(entry, dict):
                    raise InputError(f"{category}.{raw_name} must be an object", path=self.display)
                rows.append((category, canonical(raw_name), entry))

        locals_: Dict[str, LocalPackage] = {}
        idents: Dict[Tuple[str, Tuple[str, str, str]], LockedPackage] = {}
        targets: List[Tuple[str, str, Optional[Tuple[str, str, str]], Mapping[str, Any]]] = []
        for category, name, entry in rows:
            if _unpinned_off_linux(entry, self.display):
                project.notes.append(
                    f"{category}.{name}: pipenv locked no version (\"*\", no hashes: its "
                    f"marker {entry['markers']!r} excluded the platform it locked on); pipenv "
                    "installs it unpinned where the marker holds, never on Linux: left out")
                continue
            declared = self.declared_path(name, entry)
            if isinstance(entry.get("path"), str) or declared is not None:
                path, where = (entry["path"], self.display) if declared is None else declared
                rel = self.local(name, path, where)
                if rel is not None:
                    locals_[name] = self.local_package(name, rel, bool(entry.get("editable")))
                targets.append((category, name, None, entry))
                continue
            source, version = self._source(name, entry, sources)
            ident = (name, version, f"{source.kind}:{source.url or ''}")
            # pipenv passes hashes on for index packages only (not for file/git entries)
            hashes: Tuple[str, ...] = ()
            if source.kind == "registry":
                listed = entry.get("hashes") or []
                if not isinstance(listed, list) or not all(
                        isinstance(h, str) and ":" in h for h in listed):
                    raise InputError(f"{category}.{name}.hashes must be a list of "
                                     "\"algorithm:digest\" strings", path=self.display,
                                     hint="re-lock with `pipenv lock`")
                hashes = installer_hashes(listed)
            previous = idents.get((name, ident))
            if previous is not None:
                hashes = tuple(sorted(set(previous.hashes) | set(hashes)))
            idents[(name, ident)] = LockedPackage(name, version, source, hashes)
            targets.append((category, name, ident, entry))

        keys = assign_keys(sorted({ident for _, ident in idents}))
        locked = {
            keys[ident]: LockedPackage(p.name, p.version, p.source, p.hashes, key=keys[ident])
            for (_, ident), p in idents.items()
        }
        builder = RootBuilder()
        builder.declare(groups=[g for g in (_group_of(c) for c in categories) if g])
        for category, name, target, entry in targets:
            marker = entry.get("markers")
            if marker is not None and not isinstance(marker, str):
                raise InputError(f"{category}.{name}.markers must be a string",
                                 path=self.display, hint="re-lock with `pipenv lock`")
            marker = (
                marker_text(marker, self.display, f"{category}.{name}.markers")
                if isinstance(marker, str) else None
            )
            if marker is not None and "dependency_groups" in marker:
                marker = _develop_marker(marker, self.display)
            dep = Dep(name=name, key=keys[target] if target else None, marker=marker)
            group = _group_of(category)
            builder.add("main" if group is None else "group", group or "", dep)
        root_name = unique_name(
            "pipfile", set(locked_name(locked)) | set(locals_) | set(self.outside)
        )
        attach_root(project, builder, root_name, self.subdir, locals_, self.outside)
        project.locked = locked
        project.index = sources.index_config()
        requires = meta.get("requires", {})
        if isinstance(requires, dict) and requires:
            project.notes.append(
                f"Pipfile [requires] {requires} is not enforced (pipenv only warns about it)"
            )
        return project

    def declared_path(self, name: str, entry: Mapping[str, Any]) -> Optional[Tuple[str, str]]:
        """(path, file) of a lock entry that pipenv wrote as `"version": "*"` without a path,
        git or file, for a package the Pipfile declares with a `path`: the project's own
        (editable) package, `pkg = {path = ".", editable = true, extras = [...]}`, as a
        pipenv that round-trips its lock through pylock.toml writes it. pipenv installs it from
        the Pipfile's path; so does chef (a local package)."""
        if entry.get("version") != "*" or any(
            isinstance(entry.get(k), str) for k in ("path", "git", "file")
        ):
            return None
        pipfile = self.base / "Pipfile"
        if not pipfile.is_file():
            return None
        display = rel_display(self.root, pipfile)
        for section, table in load_toml(pipfile, display).items():
            if section in ("source", "requires", "scripts", "pipenv") or not isinstance(
                table, dict
            ):
                continue
            for raw_name, spec in table.items():
                if canonical(raw_name) == name and isinstance(spec, dict) and isinstance(
                    spec.get("path"), str
                ):
                    return spec["path"], display
        return None

    def _source(self, name: str, entry: Mapping[str, Any], sources: _Sources) -> Tuple[Source, str]:
        version = str(entry.get("version", "")).lstrip("=").strip()
        url = _vcs_url(entry)
        if url is not None:
            return Source("git", url), version or "0"  # kind "git": any VCS
        if isinstance(entry.get("file"), str):
            return Source("url", strip_credentials(entry["file"])), version or "0"
        if not version:
            raise InputError(
                f"{name} has no version", path=self.display, hint="re-lock with `pipenv lock`"
            )
        return sources.source(entry.get("index"), name), version

    # -- Pipfile only (no lock): the installer resolves

    def read_pipfile(self) -> Project:
        display = rel_display(self.root, self.base / "Pipfile")
        data = load_toml(self.base / "Pipfile", display)
        sources = _Sources(data.get("source"), display)
        project = Project(root=self.root, manager="pipenv", inputs=[display])
        builder = RootBuilder()
        locals_: Dict[str, LocalPackage] = {}
        for section, table in data.items():
            if section in ("source", "requires", "scripts", "pipenv") or not isinstance(
                table, dict
            ):
                continue
            group = PIPFILE_SECTIONS.get(section, canonical(section))
            builder.declare(groups=[group] if group else [])
            for raw_name, spec in table.items():
                dep = self._pipfile_dep(canonical(raw_name), spec, display, locals_)
                builder.add("main" if group is None else "group", group or "", dep)
        root_name = unique_name("pipfile", set(locals_))
        attach_root(project, builder, root_name, self.subdir, locals_, self.outside)
        project.index = sources.index_config()
        project.notes.append("no Pipfile.lock: the installer resolves the Pipfile")
        return project

    def _pipfile_dep(
        self, name: str, spec: Any, display: str, locals_: Dict[str, LocalPackage]
    ) -> Dep:
        if isinstance(spec, str):
            spec = {"version": spec}
        if not isinstance(spec, dict):
            raise InputError(f"{name} must be a string or a table", path=display)
        if spec.get("markers") is not None and not isinstance(spec["markers"], str):
            raise InputError(f"{name}.markers must be a string", path=display)
        marker = norm_marker(spec["markers"]) if isinstance(spec.get("markers"), str) else None
        for key in _MARKER_KEYS:
            if isinstance(spec.get(key), str):
                marker = and_markers(marker, norm_marker(f"{key} {spec[key]}"))
        extras = tuple(sorted(canonical(e) for e in spec.get("extras", []) or []))
        if isinstance(spec.get("path"), str):
            rel = self.local(name, spec["path"], display)
            if rel is not None:
                locals_[name] = self.local_package(name, rel, bool(spec.get("editable")))
            return Dep(name=name, extras=extras, marker=marker)
        url = _vcs_url(spec)
        if url is not None:
            return Dep(name=name, extras=extras, marker=marker, url=url)
        if isinstance(spec.get("file"), str):
            return Dep(name=name, extras=extras, marker=marker, url=strip_credentials(spec["file"]))
        version = str(spec.get("version", "*")).strip()
        try:
            specifier = "" if version in ("*", "") else str(SpecifierSet(version))
        except InvalidSpecifier:
            raise InputError(f"{name}: invalid version {version!r}", path=display) from None
        return Dep(name=name, specifier=specifier, extras=extras, marker=marker)


def _develop_marker(marker: str, display: str) -> Optional[str]:
    """A lock entry's marker with its `dependency_groups` conditions taken as pipenv takes
    them (chef.readers.markers.without_groups): the entry's category is what selects it. A
    marker that also tests `extras` is kept whole (pipenv hands it to pip, which cannot
    evaluate it; chef refuses it)."""
    from chef.readers.markers import mentioned, without_groups

    extras, groups, _ = mentioned(marker, display)
    if not groups or extras:
        return marker
    value = without_groups(marker, display)
    return value if isinstance(value, str) else None


def _unpinned_off_linux(entry: Mapping[str, Any], display: str) -> bool:
    """A registry entry pipenv locked as `"version": "*"` (no hashes) because its marker
    excludes the platform pipenv locked on (`zeta = {version = "*", markers = "sys_platform ==
    'win32'"}` in the Pipfile): `pipenv install` passes it to pip unpinned, where the marker
    holds. When that is never on Linux (every sampled Linux environment, any Python), no image
    chef cooks installs it, and it is left out rather than refused as "not a version"."""
    marker = entry.get("markers")
    if entry.get("version") != "*" or not isinstance(marker, str) or any(
        isinstance(entry.get(k), str) for k in ("path", "git", "file")
    ):
        return False
    from packaging.markers import InvalidMarker, Marker

    from chef.freshness.markers import environments, marker_vector

    text = _develop_marker(marker, display) if "dependency_groups" in marker else marker
    if text is None:
        return False
    try:
        parsed = Marker(text)
    except InvalidMarker:
        return False  # the reader's own parse reports it
    linux = [env for env in environments([parsed], None) if env["sys_platform"] == "linux"]
    return bool(linux) and not any(marker_vector(parsed, linux))


def locked_name(locked: Mapping[str, LockedPackage]) -> List[str]:
    return [p.name for p in locked.values()]


def read(root: Path, subdir: str = ".") -> Project:
    """Pipfile.lock in `root/subdir` (or, without a lock, the Pipfile alone)."""
    reader = _Reader(root, subdir)
    if (reader.base / "Pipfile.lock").is_file():
        return reader.read_lock()
    if (reader.base / "Pipfile").is_file():
        return reader.read_pipfile()
    raise InputError("no Pipfile.lock or Pipfile", path=str(reader.base))
