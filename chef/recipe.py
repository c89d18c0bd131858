"""The recipe: pure data, the Docker cache key.

Built from a `Project` by walking the selected part of its graph; written as canonical JSON
(sorted keys, lists in a stable order, one locked package per line, UTF-8, trailing newline) so
that equal inputs give equal bytes. Loading validates every field before any of it can reach a
command line.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Optional, Tuple

from chef.errors import ChefError, InputError, RecipeError, json_error
from chef.model import (
    Conflict,
    Dep,
    IndexConfig,
    LocalPackage,
    LockedPackage,
    Project,
    Source,
    sorted_deps,
)
from chef.pep508 import canonical_name, marker_variables, valid_version
from chef.select import Selection, flatten, root_edges, walk
from chef.urls import PLACEHOLDER, URL_SCHEMES

FORMAT = 1


@dataclass
class Recipe:
    manager: str
    extras: Tuple[str, ...] = ()
    groups: Tuple[str, ...] = ()
    packages: Tuple[str, ...] = ()
    requires_python: Optional[str] = None
    index: IndexConfig = field(default_factory=IndexConfig)
    local_packages: Dict[str, LocalPackage] = field(default_factory=dict)
    roots: List[Dep] = field(default_factory=list)
    constraints: List[Dep] = field(default_factory=list)
    locked: Optional[Dict[str, LockedPackage]] = None
    build_constraints: List[Dep] = field(default_factory=list)
    # A layer recipe of `prepare --layer-recipes` (chef.layers): locked keys that an earlier
    # layer's recipe installs. Cook walks the whole graph and leaves these out (it checks that
    # the venv holds them). Empty, and absent from the JSON, in every other recipe.
    earlier: Tuple[str, ...] = ()

    @property
    def is_locked(self) -> bool:
        return self.locked is not None


def from_project(project: Project, selection: Selection, display: str) -> Recipe:
    """Keep only what the selection can install, in any target environment."""
    roots, extras, groups = root_edges(project.roots, project.local_packages, selection, display)
    flat = flatten(roots, project.local_packages)
    edges = list(sorted_deps(flat.edges))
    locals_out: Dict[str, LocalPackage] = {}
    for name, requires in flat.requires.items():
        package = project.local_packages[name]
        locals_out[name] = LocalPackage(
            name=name,
            path=package.path,
            build_requires=package.build_requires if package.installable else (),
            installable=package.installable,
            requires=tuple(sorted(requires)),
            build_requires_env=package.build_requires_env if package.installable else (),
        )
    locked_out: Optional[Dict[str, LockedPackage]] = None
    if project.locked is not None:
        reached = walk(edges, project.locked)
        locked_out = {}
        for key, pkg_extras in reached.locked.items():
            locked = project.locked[key]
            if not valid_version(locked.version):  # cook would refuse the recipe
                raise InputError(
                    f"{locked.name} is locked at {locked.version!r}, which is not a version",
                    path=display, hint="re-lock the project",
                )
            locked_out[key] = LockedPackage(
                name=locked.name,
                version=locked.version,
                source=locked.source,
                hashes=locked.hashes,
                dependencies=locked.dependencies,
                extras=tuple((e, d) for e, d in locked.extras if e in pkg_extras),
                key=key,
                wheels=locked.wheels,
            )
    recipe = Recipe(
        manager=project.manager,
        extras=extras,
        groups=groups,
        packages=tuple(sorted(selection.packages)),
        requires_python=project.requires_python,
        index=project.index,
        local_packages=locals_out,
        roots=edges,
        constraints=sorted(project.constraints) if project.locked is None else [],
        locked=locked_out,
        # Pins of the build environment: only where something is built.
        build_constraints=sorted(set(project.build_constraints))
        if any(p.installable for p in locals_out.values())
        else [],
    )
    check_cookable(recipe, display)
    if project.conflicts:
        _check_conflicts(project.conflicts, recipe, display)
    return recipe


def _check_conflicts(
    conflicts: List[Conflict], recipe: Recipe, display: str
) -> None:
    """A selection that holds two items of one declared conflict is refused, as `uv sync` and
    `uv export` refuse it: the lock resolved them apart, and installing both would install two
    versions of one package. Items are active as cook activates them (every selected extra and
    group name on every local package of the recipe, chef.cook.markers.conflict_names)."""
    for items in conflicts:
        active = [
            (package, kind, name) for package, kind, name in items
            if package in recipe.local_packages
            and name in (recipe.extras if kind == "extra" else recipe.groups)
        ]
        if len(active) > 1:
            shown = " and ".join(f"{p}'s {k} {n}" for p, k, n in active)
            raise InputError(
                f"the selection installs {shown}, which the lock declares conflicting "
                "([tool.uv] conflicts): they are never installed together",
                path=display,
                hint="select one of them: drop --all-extras / --all-groups, or name the "
                "extras and groups to install",
            )


def check_cookable(recipe: Recipe, display: str) -> None:
    """What `loads` would refuse in this recipe, refused now as bad input (InputError, naming
    the file): prepare must never write a recipe cook rejects. Names, hashes and URLs come from
    the project's files as written; markers, specifiers and versions were already parsed by
    packaging on the way in."""

    def refuse(what: str, value: object) -> InputError:
        return InputError(f"{what} {value!r} cannot reach an installer", path=display,
                          hint="fix or re-lock the file")

    locked = list((recipe.locked or {}).values())
    edges: List[Dep] = list(recipe.roots) + list(recipe.constraints)
    edges += recipe.build_constraints
    hashes: List[str] = []
    for package in locked:
        edges += package.dependencies
        hashes += package.hashes
        for _, deps in package.extras:
            edges += deps
    for package in locked:
        if package.key != package.name and not _KEY.fullmatch(package.key):
            raise refuse("package key", package.key)
        if package.source.url is not None and not (
            allowed_url(package.source.url) or (package.source.kind == "registry"
                                                and _relpath_ok(package.source.url))
        ):
            raise refuse(f"{package.name}'s source", package.source.url)
    hashes += [h for d in edges if d.hashes for h in d.hashes]
    if not all(map(_HASH.fullmatch, hashes)):
        raise refuse("hash", next(h for h in hashes if not _HASH.fullmatch(h)))
    names = set(recipe.local_packages) | {p.name for p in locked} | {d.name for d in edges}
    names.update(e for d in edges for e in d.extras)
    for name in names:  # canonical already (readers normalize every name they read)
        if not _NAME.fullmatch(name):
            raise refuse("package name", name)
    markers = {d.marker for d in edges if d.marker and ("extras" in d.marker
                                                         or "dependency_groups" in d.marker)}
    for marker in markers:  # PEP 751's lock-only variables: no installer knows them
        if marker_variables(marker) & {"extras", "dependency_groups"}:
            raise refuse("marker", marker)
    for dep in edges:
        if dep.url is not None and not allowed_url(dep.url):
            raise refuse(f"{dep.name}'s URL", dep.url)
        if dep.marker is not None and _breaks_a_line(dep.marker):
            raise refuse(f"{dep.name}'s marker", dep.marker)
    for local in recipe.local_packages.values():
        for variable, _ in local.build_requires_env:
            if len(variable) > _MAX_ENV_NAME or not _ENV_NAME.fullmatch(variable):
                raise refuse(f"{local.name}'s build switch", variable)
    index = recipe.index
    for url in ([index.index_url] if index.index_url else []) + list(index.extra_index_urls):
        if not allowed_url(url):
            raise refuse("index URL", url)
    for link in index.find_links:
        if not (allowed_url(link) or _relpath_ok(link)):
            raise refuse("find-links location", link)


def _relpath_ok(text: str) -> bool:
    """A path relative to the project, as `_Reader.relpath` accepts it."""
    if "://" in text or text.startswith(("file:", "${")):
        return False
    pure = PurePosixPath(text)
    return bool(text) and not (
        pure.is_absolute() or "\\" in text or ".." in pure.parts or text.startswith("-")
        or any(ord(c) < 32 for c in text) or (len(text) > 1 and text[1] == ":")
    )


# ---------------------------------------------------------------- JSON out


def _deps(deps: Tuple[Dep, ...] | List[Dep]) -> List[Dict[str, object]]:
    return [d.to_json() for d in sorted(deps)]


def _dep_map(items: Tuple[Tuple[str, Tuple[Dep, ...]], ...]) -> Dict[str, object]:
    return {name: _deps(deps) for name, deps in items}


def _local_json(p: LocalPackage) -> Dict[str, object]:
    out: Dict[str, object] = {
        "name": p.name,
        "path": p.path,
        "build_requires": sorted(p.build_requires),
        "installable": p.installable,
        "requires": sorted(p.requires),
    }
    if p.build_requires_env:  # omitted when empty: recipes without it keep their bytes
        out["build_requires_env"] = {k: sorted(v) for k, v in p.build_requires_env}
    return out


def _key(p: LockedPackage) -> str:
    return p.key


def _locked_json(p: LockedPackage) -> Dict[str, object]:
    out: Dict[str, object] = {
        "key": p.key,
        "name": p.name,
        "version": p.version,
        "source": p.source.to_json(),
        "hashes": sorted(p.hashes),
        "dependencies": _deps(p.dependencies),
        "extras": _dep_map(p.extras),
    }
    if p.wheels is not None:  # omitted for pure-Python packages: their lines keep their bytes
        out["wheels"] = list(p.wheels)
    return out


def to_data(recipe: Recipe) -> Dict[str, Any]:
    locals_json = [
        _local_json(p) for p in sorted(recipe.local_packages.values(), key=lambda p: p.name)
    ]
    locked_json: Optional[List[Dict[str, object]]] = None
    if recipe.locked is not None:
        locked_json = [_locked_json(p) for p in sorted(recipe.locked.values(), key=_key)]
    data: Dict[str, Any] = {
        "format": FORMAT,
        "manager": recipe.manager,
        "selection": {
            "extras": list(recipe.extras),
            "groups": list(recipe.groups),
            "packages": list(recipe.packages),
        },
        "requires_python": recipe.requires_python,
        "index": recipe.index.to_json(),
        "local_packages": locals_json,
        "roots": _deps(recipe.roots),
        "constraints": _deps(recipe.constraints),
        "locked": locked_json,
    }
    if recipe.build_constraints:  # omitted when empty, like build_requires_env
        data["build_constraints"] = _deps(recipe.build_constraints)
    if recipe.earlier:  # layer recipes only
        data["earlier_layers"] = sorted(recipe.earlier)
    return data


def dumps(recipe: Recipe) -> str:
    return canonical_json(to_data(recipe))


def canonical_json(data: Any) -> str:
    """Sorted keys, one top-level key and one locked package per line, trailing newline
    (chef.jsonout)."""
    from chef.jsonout import dumps as canonical_dumps

    return canonical_dumps(data) + "\n"


def write_atomic(path: Path, text: str, project: Optional[Path] = None) -> None:
    """Write via a temporary file in the same directory and rename: never half-written.

    The file gets the permissions any new file gets (0666 less the umask), not mkstemp's 0600: a
    recipe holds no secret and a later build stage, maybe another user, must read it. (No
    tempfile import either: it costs ~2 ms of every prepare.)

    A symlink is followed: its target is replaced atomically, the link stays. A path that is
    neither a file nor a directory (/dev/null, /dev/stdout, a FIFO) is written into: renaming
    over it would replace the device node with a file (as root, /dev/null itself).

    `project` (prepare's project directory): a recipe path inside it that is a symlink pointing
    outside it came with the repository (`COPY . .` then `--recipe-path recipe.json`), so the link
    itself is replaced by a regular file and nothing outside the project is written; a recipe
    path inside it reached through a linked directory that leads outside is refused.
    """
    follow = True
    if project is not None:
        follow = _may_follow(path, project)
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
        if follow and stat.S_ISREG(mode) and os.path.islink(path):
            path = Path(os.path.realpath(path))
    except (OSError, ValueError):
        mode = 0
    if mode and not stat.S_ISDIR(mode) and not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise RecipeError(
                f"cannot write the recipe: {exc.strerror or exc}", path=path
            ) from None
        return
    directory = path.parent if str(path.parent) else Path(".")
    tmp = directory / f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise RecipeError(f"cannot write the recipe: {exc.strerror or exc}", path=path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):  # e.g. the recipe path is a directory, or the disk is full
            raise RecipeError(
                f"cannot write the recipe: {exc.strerror or exc}", path=path
            ) from None
        raise


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _may_follow(path: Path, project: Path) -> bool:
    """May the recipe path be followed (False: a link out of the project, replace the link)?

    Paths outside the project (/dev/null, /tmp/recipe.json, a FIFO) are followed as always. A
    path inside it, named so or once its directories are resolved, must not lead outside it: a
    final symlink that does is not followed; a linked directory that does is refused."""
    try:
        real_project = os.path.realpath(project)
        named = os.path.abspath(path)
        parent = os.path.realpath(os.path.dirname(named))
    except (OSError, ValueError):
        return True  # the write itself reports a bad path
    if not (_under(named, os.path.abspath(project)) or _under(parent, real_project)):
        return True
    if not _under(parent, real_project):
        raise RecipeError(
            "the recipe path's directory is a symlink that leads outside the project directory",
            path=path, hint="write the recipe to a path inside the project, or outside it",
        )
    if not os.path.islink(named):
        return True
    return _under(os.path.realpath(named), real_project)


# ---------------------------------------------------------------- JSON in, validated

_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")
_HASH = re.compile(r"^(sha256|sha384|sha512|md5|sha1|sha224|blake2b):[0-9a-fA-F]+$")
_KEY = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(==[A-Za-z0-9.+!_-]+(@[0-9]+)?)?$")
_URL_FORBIDDEN = set("\\\"'<>`")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")  # = chef.readers.build.ENV_NAME
_MAX_ENV_NAME = 200  # = chef.readers.build.MAX_ENV_NAME


def allowed_url(text: str) -> bool:
    """Starts with a scheme chef passes to installers (or a placeholder for one), and holds
    nothing that could end, continue or comment out a requirements line or start an option."""
    probe = PLACEHOLDER.sub("x", text)
    return (
        (text.startswith(URL_SCHEMES) or (text.startswith("${") and bool(probe)))
        and "${" not in probe
        and not any(c.isspace() or c in _URL_FORBIDDEN for c in probe)
        and not _breaks_a_line(probe)
    )


def _breaks_a_line(text: str) -> bool:
    """Could `text` end, continue or comment out a requirements-file line, or start an option in
    it? (Control characters, a backslash, every other character `str.splitlines` breaks a line
    at (pip reads requirements files with it), or whitespace followed by `-` or `#`.)"""
    if any(ord(c) < 32 or c in "\x7f\\\x85\u2028\u2029" for c in text):
        return True
    return any(a.isspace() and b in "-#" for a, b in zip(text, text[1:]))


class _Reader:
    def __init__(self, display: str) -> None:
        self.display = display

    def fail(self, where: str, message: str) -> RecipeError:
        return RecipeError(
            f"invalid recipe: {where}: {message}",
            path=self.display,
            hint="regenerate it with `chef prepare`",
        )

    def typed(self, value: Any, kind: type, where: str) -> Any:
        if kind is str and isinstance(value, str):
            return value
        if (
            kind is not str
            and isinstance(value, kind)
            and not (kind is int and isinstance(value, bool))
        ):
            return value
        raise self.fail(where, f"expected {kind.__name__}, got {type(value).__name__}")

    def obj(
        self, value: Any, where: str, keys: Tuple[str, ...], optional: Tuple[str, ...] = ()
    ) -> Dict[str, Any]:
        value = self.typed(value, dict, where)
        unknown = set(value) - set(keys) - set(optional)
        if unknown:
            raise self.fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
        missing = set(keys) - set(value)
        if missing:
            raise self.fail(where, f"missing field(s) {', '.join(sorted(missing))}")
        return value  # type: ignore[no-any-return]

    def name(self, value: Any, where: str) -> str:
        text = self.typed(value, str, where)
        if not _NAME.fullmatch(text) or canonical_name(text) != text:
            raise self.fail(where, f"not a normalized package name: {text!r}")
        return text  # type: ignore[no-any-return]

    def manager(self, value: Any) -> str:
        text = self.typed(value, str, "manager")
        if not text or len(text) > 40 or not all(c.isascii() and (c.isalnum() or c in "-_")
                                                 for c in text):
            raise self.fail("manager", f"not a manager name: {text!r}")
        return text  # type: ignore[no-any-return]

    def strings(self, value: Any, where: str) -> Tuple[str, ...]:
        items = self.typed(value, list, where)
        return tuple(self.typed(v, str, f"{where}[{i}]") for i, v in enumerate(items))

    def names(self, value: Any, where: str) -> Tuple[str, ...]:
        return tuple(self.name(v, where) for v in self.typed(value, list, where))

    def url(self, value: Any, where: str) -> str:
        """A URL an installer may be given; `${NAME}` placeholders (cook expands them, and checks
        the result again) may stand for any part of it, the scheme included."""
        text = self.typed(value, str, where)
        if not allowed_url(text):
            raise self.fail(where, f"not an allowed URL: {text!r}")
        return text  # type: ignore[no-any-return]

    def location(self, value: Any, where: str) -> str:
        """A URL, or a relative path inside the project (find-links, flat registries)."""
        text = self.typed(value, str, where)
        if "://" in text or text.startswith(("file:", "${")):
            return self.url(text, where)
        return self.relpath(text, where)

    def relpath(self, value: Any, where: str) -> str:
        text = self.typed(value, str, where)
        if not _relpath_ok(text):
            raise self.fail(where, f"path must be relative and inside the project: {text!r}")
        return text  # type: ignore[no-any-return]

    def marker(self, value: Any, where: str) -> Optional[str]:
        if value is None:
            return None
        text = self.typed(value, str, where)
        from packaging.markers import InvalidMarker, Marker

        try:
            Marker(text)
        except (InvalidMarker, RecursionError):
            raise self.fail(where, f"invalid marker {text!r}") from None
        if _breaks_a_line(text):
            raise self.fail(where, f"unsafe marker {text!r}")
        return text  # type: ignore[no-any-return]

    def dep(self, value: Any, where: str) -> Dep:
        data = self.obj(
            value,
            where,
            ("name",),
            ("specifier", "extras", "marker", "url", "key", "hashes", "groups", "marker_extra"),
        )
        specifier = self.typed(data.get("specifier", ""), str, where + ".specifier")
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(specifier)
        except InvalidSpecifier:
            raise self.fail(where, f"invalid specifier {specifier!r}") from None
        if _breaks_a_line(specifier):
            raise self.fail(where, f"unsafe specifier {specifier!r}")
        hashes = self.strings(data.get("hashes", []), where + ".hashes")
        for h in hashes:
            if not _HASH.fullmatch(h):
                raise self.fail(where, f"invalid hash {h!r}")
        key = data.get("key")
        if key is not None and not _KEY.fullmatch(self.typed(key, str, where + ".key")):
            raise self.fail(where, f"invalid key {key!r}")
        return Dep(
            name=self.name(data["name"], where + ".name"),
            specifier=specifier,
            extras=self.names(data.get("extras", []), where + ".extras"),
            marker=self.marker(data.get("marker"), where + ".marker"),
            url=self.url(data["url"], where + ".url") if "url" in data else None,
            key=key,
            hashes=hashes,
            groups=self.names(data.get("groups", []), where + ".groups"),
            marker_extra=(
                self.name(data["marker_extra"], where + ".marker_extra")
                if "marker_extra" in data
                else None
            ),
        )

    def wheel_tags(self, value: Any, where: str) -> Tuple[str, ...]:
        from chef.readers.locks import WHEEL_TAG

        tags = self.strings(value, where)
        for tag in tags:
            if not WHEEL_TAG.fullmatch(tag):
                raise self.fail(where, f"not a wheel tag: {tag!r}")
        return tags

    def deps(self, value: Any, where: str) -> Tuple[Dep, ...]:
        items = self.typed(value, list, where)
        return tuple(self.dep(v, f"{where}[{i}]") for i, v in enumerate(items))

    def dep_map(self, value: Any, where: str) -> Tuple[Tuple[str, Tuple[Dep, ...]], ...]:
        table = self.typed(value, dict, where)
        return tuple(
            (self.name(k, where), self.deps(v, f"{where}.{k}")) for k, v in sorted(table.items())
        )

    def env_requires(self, value: Any, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
        """Build requirements keyed by the environment variable that switches them on; cook
        reads the variable from its environment, so the name must be one an environment holds."""
        table = self.typed(value, dict, where)
        out = []
        for variable, items in sorted(table.items()):
            if len(variable) > _MAX_ENV_NAME or not _ENV_NAME.fullmatch(variable):
                raise self.fail(where, f"not an environment variable name: {variable!r}")
            requirements = self.requirement_strings(items, f"{where}.{variable}")
            if requirements:
                out.append((variable, requirements))
        return tuple(out)

    def requirement_strings(self, value: Any, where: str) -> Tuple[str, ...]:
        from chef.model import parse_requirement

        items = self.strings(value, where)
        for item in items:
            try:
                parse_requirement(item)
            except ChefError:
                raise self.fail(where, f"invalid requirement {item!r}") from None
            if item.lstrip().startswith("-") or _breaks_a_line(item):
                raise self.fail(where, f"invalid requirement {item!r}")
        return items


def loads(text: str, display: str = "recipe.json") -> Recipe:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also an integer over 4300 digits
        line = getattr(exc, "lineno", None)
        raise RecipeError(
            f"not valid JSON: {json_error(exc)}",
            path=display,
            line=line,
            hint="regenerate it with `chef prepare`",
        ) from None
    return from_data(data, display)


def from_data(data: Any, display: str = "recipe.json") -> Recipe:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    r = _Reader(display)
    if not isinstance(data, dict):
        raise r.fail("top level", "expected a JSON object")
    version = data.get("format")
    if version != FORMAT:
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
            raise RecipeError(
                f"recipe format {version} is newer than this chef understands (format {FORMAT})",
                path=display,
                hint="use the same chef version for prepare and cook, or upgrade chef",
            )
        raise r.fail("format", f"unknown recipe format {version!r}")
    top = r.obj(
        data,
        "top level",
        (
            "format",
            "manager",
            "selection",
            "requires_python",
            "index",
            "local_packages",
            "roots",
            "constraints",
            "locked",
        ),
        ("build_constraints", "earlier_layers"),
    )
    sel = r.obj(top["selection"], "selection", ("extras", "groups", "packages"))
    idx = r.obj(
        top["index"], "index", ("index_url", "extra_index_urls", "find_links", "no_index", "pre")
    )
    index = IndexConfig(
        index_url=r.url(idx["index_url"], "index.index_url")
        if idx["index_url"] is not None
        else None,
        extra_index_urls=tuple(
            r.url(u, "index.extra_index_urls")
            for u in r.typed(idx["extra_index_urls"], list, "index.extra_index_urls")
        ),
        find_links=tuple(
            r.location(u, "index.find_links")
            for u in r.typed(idx["find_links"], list, "index.find_links")
        ),
        no_index=r.typed(idx["no_index"], bool, "index.no_index"),
        pre=r.typed(idx["pre"], bool, "index.pre"),
    )
    requires_python = top["requires_python"]
    if requires_python is not None:
        try:
            SpecifierSet(r.typed(requires_python, str, "requires_python"))
        except InvalidSpecifier:
            raise r.fail("requires_python", f"invalid specifier {requires_python!r}") from None
    local_packages: Dict[str, LocalPackage] = {}
    for i, item in enumerate(r.typed(top["local_packages"], list, "local_packages")):
        where = f"local_packages[{i}]"
        p = r.obj(
            item,
            where,
            ("name", "path", "build_requires", "installable", "requires"),
            ("build_requires_env",),
        )
        name = r.name(p["name"], where + ".name")
        local_packages[name] = LocalPackage(
            name=name,
            path=r.relpath(p["path"], where + ".path"),
            build_requires=r.requirement_strings(p["build_requires"], where + ".build_requires"),
            installable=r.typed(p["installable"], bool, where + ".installable"),
            requires=r.names(p["requires"], where + ".requires"),
            build_requires_env=(
                r.env_requires(p["build_requires_env"], where + ".build_requires_env")
                if "build_requires_env" in p
                else ()
            ),
        )
    locked: Optional[Dict[str, LockedPackage]] = None
    if top["locked"] is not None:
        locked = {}
        for i, item in enumerate(r.typed(top["locked"], list, "locked")):
            where = f"locked[{i}]"
            p = r.obj(
                item,
                where,
                ("key", "name", "version", "source", "hashes", "dependencies", "extras"),
                ("wheels",),
            )
            key = r.typed(p["key"], str, where + ".key")
            if not _KEY.fullmatch(key):
                raise r.fail(where, f"invalid key {key!r}")
            version = r.typed(p["version"], str, where + ".version")
            try:
                Version(version)
            except InvalidVersion:
                raise r.fail(where, f"invalid version {version!r}") from None
            if any(c.isspace() or ord(c) < 32 for c in version):
                raise r.fail(where, f"invalid version {version!r}")
            src = r.obj(p["source"], where + ".source", ("kind",), ("url",))
            kind = r.typed(src["kind"], str, where + ".source.kind")
            if kind not in ("registry", "git", "url"):
                raise r.fail(where, f"unknown source kind {kind!r}")
            url = src.get("url")
            if url is not None:
                url = (
                    r.location(url, where + ".source.url")
                    if kind == "registry"
                    else r.url(url, where + ".source.url")
                )
            elif kind != "registry":
                raise r.fail(where, f"a {kind} source needs a url")
            hashes = r.strings(p["hashes"], where + ".hashes")
            for h in hashes:
                if not _HASH.fullmatch(h):
                    raise r.fail(where, f"invalid hash {h!r}")
            locked[key] = LockedPackage(
                name=r.name(p["name"], where + ".name"),
                version=version,
                source=Source(kind, url),
                hashes=hashes,
                dependencies=r.deps(p["dependencies"], where + ".dependencies"),
                extras=r.dep_map(p["extras"], where + ".extras"),
                key=key,
                wheels=r.wheel_tags(p["wheels"], where + ".wheels") if "wheels" in p else None,
            )
    roots = list(r.deps(top["roots"], "roots"))
    if locked is not None:
        # Every edge must land on a locked package: a recipe edited by hand (or cut short) is
        # refused here as a bad recipe, not later as a lock that needs re-locking.
        edges = [("roots", roots)] + [
            (f"locked {p.key}", list(p.dependencies) + [d for _, ds in p.extras for d in ds])
            for p in locked.values()
        ]
        for where, deps in edges:
            for dep in deps:
                if (dep.key or dep.name) not in locked:
                    raise r.fail(where, f"no locked package {dep.key or dep.name!r}")
    return Recipe(
        manager=r.manager(top["manager"]),
        extras=r.names(sel["extras"], "selection.extras"),
        groups=r.names(sel["groups"], "selection.groups"),
        packages=r.names(sel["packages"], "selection.packages"),
        requires_python=requires_python,
        index=index,
        local_packages=local_packages,
        roots=roots,
        constraints=list(r.deps(top["constraints"], "constraints")),
        locked=locked,
        build_constraints=_build_constraints(r, top),
        earlier=_earlier(r, top, locked),
    )


def _earlier(
    r: _Reader, top: Dict[str, Any], locked: Optional[Dict[str, LockedPackage]]
) -> Tuple[str, ...]:
    if "earlier_layers" not in top:
        return ()
    keys = r.strings(top["earlier_layers"], "earlier_layers")
    for key in keys:
        if locked is None or key not in locked:
            raise r.fail("earlier_layers", f"no locked package {key!r}")
    return keys


def _build_constraints(r: _Reader, top: Dict[str, Any]) -> List[Dep]:
    if "build_constraints" not in top:
        return []
    deps = r.deps(top["build_constraints"], "build_constraints")
    for i, dep in enumerate(deps):
        if dep.key or dep.hashes or dep.groups or dep.marker_extra or dep.extras:
            raise r.fail(f"build_constraints[{i}]", "a build constraint is a name, a specifier "
                         "or URL, and a marker")
    return list(deps)


def load(path: Path) -> Recipe:
    return loads(read_recipe_text(path), str(path))


def read_recipe_text(path: Path) -> str:
    """A recipe file's text; a missing, unreadable or non-UTF-8 file is a RecipeError."""
    display = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecipeError(
            "recipe not found", path=display, hint="run `chef prepare` first"
        ) from None
    except OSError as exc:
        raise RecipeError(f"cannot read recipe: {exc.strerror or exc}", path=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecipeError(
            "recipe is not UTF-8 text", path=display, hint="regenerate it with `chef prepare`"
        ) from None
    return text
