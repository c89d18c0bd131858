"""PEP 751 lock files: `pylock.toml` and `pylock.<name>.toml`.

A pylock is a flat list: an installer takes every package whose `marker` holds, where the marker
may also test the selection (`'x' in extras`, `'dev' in dependency_groups`). chef splits the
selection part out (chef.readers.markers), so `--extra`/`--group` select exactly the packages the
marker allows, and keeps the environment part for cook.

Sources: `index` is recorded as written (the lock names it); a package with a single artifact
URL and no index is that URL; several artifacts without an index come from the installer's
default index, pinned by every artifact's hash. `directory` entries inside the project are local
packages; `vcs` entries are installed from their commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.model import Dep, IndexConfig, LocalPackage, LockedPackage, Project, Source, canonical
from chef.readers.flat import RootBuilder, attach_root, unique_name
from chef.readers.locks import assign_keys, lock_files
from chef.readers.markers import placements
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    expect,
    inside,
    normalize_specifier,
    outside_error,
    rel_display,
    str_list,
)
from chef.readers.sources import (
    VCS_KINDS,
    archive_url,
    installer_hashes,
    locked_wheels,
    vcs_url,
)
from chef.toml import load_toml
from chef.urls import normalize_index_url, strip_credentials


def _hashes(item: Mapping[str, Any]) -> List[str]:
    """A file's `hashes` table (`{sha256 = "..."}`) as `algorithm:digest` values."""
    table = item.get("hashes", {})
    if not isinstance(table, dict):
        return []
    return [f"{algo}:{value}" for algo, value in table.items() if isinstance(value, str)]


def _wheels(package: Mapping[str, Any]) -> Optional[Tuple[str, ...]]:
    """`wheel_tags` of a registry package's files: each wheel's `name`, else its url or path."""
    return locked_wheels(package.get("wheels") or [], ("name", "url", "path"),
                         sdist=isinstance(package.get("sdist"), dict))


class _Reader:
    def __init__(self, root: Path, subdir: str, filename: str) -> None:
        self.root = root
        self.base = root / subdir
        self.subdir = subdir
        self.display = rel_display(root, self.base / filename)
        self.data = load_toml(self.base / filename, self.display)
        self.outside: Dict[str, InputError] = {}

    def fail(self, message: str, hint: Optional[str] = None) -> InputError:
        return InputError(message, path=self.display, hint=hint)

    def source(self, name: str, package: Mapping[str, Any]) -> Tuple[Source, Tuple[str, ...]]:
        vcs = package.get("vcs")
        if isinstance(vcs, dict):
            url, commit = vcs.get("url"), vcs.get("commit-id")
            if not isinstance(url, str) or not isinstance(commit, str):
                raise self.fail(
                    f"{name}: a vcs package needs url and commit-id (a local "
                    "repository path cannot be cooked before the project is copied)"
                )
            kind = vcs.get("type", "git")
            if kind not in VCS_KINDS:
                raise self.fail(
                    f"{name}: unknown vcs type {kind!r} (installers know {', '.join(VCS_KINDS)})"
                )
            sub = vcs.get("subdirectory")
            text = vcs_url(url, kind, commit, sub if isinstance(sub, str) else None)
            return Source("git", text), ()  # kind "git": any VCS (the recipe's one VCS kind)
        archive = package.get("archive")
        if isinstance(archive, dict):
            if not isinstance(archive.get("url"), str):
                raise self.fail(
                    f"{name}: a local archive cannot be cooked before the project is copied",
                    hint="publish it to an index or a find-links directory",
                )
            hashes = installer_hashes(_hashes(archive))
            sub = archive.get("subdirectory")
            url = archive_url(archive["url"], sub if isinstance(sub, str) else None)
            return Source("url", url), hashes
        files: List[Mapping[str, Any]] = []
        sdist = package.get("sdist")
        if isinstance(sdist, dict):
            files.append(sdist)
        for wheel in expect(package.get("wheels") or [], list, self.display, f"{name}.wheels"):
            if isinstance(wheel, dict):
                files.append(wheel)
        if not files:
            raise self.fail(f"{name}: no source (index, vcs, directory, archive, sdist or wheels)")
        hashes = installer_hashes(h for f in files for h in _hashes(f))
        if isinstance(package.get("index"), str):
            return Source("registry", normalize_index_url(package["index"])), hashes
        if any(not isinstance(f.get("url"), str) for f in files):
            raise self.fail(
                f"{name}: a file given only by path cannot be cooked before the project is copied",
                hint="publish it to an index or find-links",
            )
        if len(files) == 1:
            return Source("url", strip_credentials(str(files[0]["url"]))), hashes
        return Source("registry", None), hashes

    def read(self) -> Project:
        version = str(self.data.get("lock-version", ""))
        try:
            major = Version(version).major
        except InvalidVersion:
            major = -1
        if major != 1:
            raise self.fail(
                f"unsupported lock-version {version!r}", hint="chef reads PEP 751 lock-version 1.x"
            )
        packages = expect(self.data.get("packages", []), list, self.display, "packages")
        extras = [
            canonical(e) for e in str_list(self.data.get("extras", []), self.display, "extras")
        ]
        groups = [
            canonical(g)
            for g in str_list(
                self.data.get("dependency-groups", []), self.display, "dependency-groups"
            )
        ]
        project = Project(root=self.root, manager="pylock", inputs=[self.display])
        locals_: Dict[str, LocalPackage] = {}
        rows: List[Tuple[str, Optional[Tuple[str, str, str]], Mapping[str, Any]]] = []
        found: Dict[Tuple[str, str, str], Tuple[Source, Tuple[str, ...]]] = {}
        wheels: Dict[Tuple[str, str, str], Optional[Tuple[str, ...]]] = {}
        for package in packages:
            expect(package, dict, self.display, "[[packages]]")
            name = canonical(expect(package.get("name"), str, self.display, "packages.name"))
            directory = package.get("directory")
            if isinstance(directory, dict):
                self._directory(name, directory, locals_)
                rows.append((name, None, package))
                continue
            source, hashes = self.source(name, package)
            if not isinstance(package.get("version"), str) and source.kind == "registry":
                raise self.fail(f"{name}: a package from an index needs a version")
            ident = (name, str(package.get("version", "0")), f"{source.kind}:{source.url or ''}")
            found[ident] = (source, hashes)
            if source.kind == "registry":
                wheels[ident] = _wheels(package)
            rows.append((name, ident, package))
        keys = assign_keys(sorted(found))
        locked = {
            keys[ident]: LockedPackage(
                ident[0], ident[1], source, hashes, key=keys[ident], wheels=wheels.get(ident)
            )
            for ident, (source, hashes) in found.items()
        }
        builder = RootBuilder()
        builder.declare(extras, groups)
        for name, row_ident, package in rows:
            marker = package.get("marker")
            if marker is not None and not isinstance(marker, str):
                raise self.fail(f"{name}: marker must be a string")
            target = Dep(name=name, key=keys[row_ident] if row_ident else None)
            for place in placements(marker, self.display):
                builder.add(
                    place.kind,
                    place.name,
                    Dep(name=target.name, key=target.key, marker=place.marker),
                )
        root_name = unique_name("pylock", {p.name for p in locked.values()} | set(locals_))
        attach_root(project, builder, root_name, self.subdir, locals_, self.outside)
        project.locked = locked
        project.requires_python = normalize_specifier(
            self.data.get("requires-python"), self.display, "requires-python"
        )
        project.index = IndexConfig()
        default_groups = self.data.get("default-groups")
        if default_groups:
            project.notes.append(
                f"default-groups {default_groups} are not selected by default: chef installs the "
                "main packages unless --group/--all-groups says otherwise"
            )
        return project

    def _directory(
        self, name: str, directory: Mapping[str, Any], locals_: Dict[str, LocalPackage]
    ) -> None:
        path = directory.get("path")
        if not isinstance(path, str):
            raise self.fail(f"{name}: directory needs a path")
        target = self.base / path
        if directory.get("subdirectory"):
            target = target / str(directory["subdirectory"])
        rel = inside(self.root, target)
        if rel is None:
            self.outside[name] = outside_error(self.display, f"{name} (directory {path!r})")
            return
        pyproject = self.root / rel / "pyproject.toml"
        build: Tuple[str, ...] = DEFAULT_BUILD_REQUIRES
        if pyproject.is_file():
            shown = rel_display(self.root, pyproject)
            build = build_requires(load_toml(pyproject, shown), shown)
        locals_[name] = LocalPackage(
            name=name,
            path=rel,
            build_requires=build,
            editable=bool(directory.get("editable", False)),
        )


def read(root: Path, subdir: str = ".", filename: Optional[str] = None) -> Project:
    """`filename` (default: pylock.toml, else the first pylock.<name>.toml) in `root/subdir`."""
    base = root / subdir
    if filename is None:
        names = lock_files(base)
        if not names:
            raise InputError("no pylock.toml or pylock.<name>.toml", path=str(base))
        filename = names[0]
    return _Reader(root, subdir, filename).read()
