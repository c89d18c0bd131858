"""The one normalized model every reader produces.

Readers turn files into a `Project`; everything after that (selection, the recipe, cook) works on
this model only, never on files. Names are canonical (PEP 503), markers and specifiers are
normalized by `packaging`, so that formatting in the user's files never reaches the recipe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Literal, Optional, Tuple, TypeVar

from chef import pep508
from chef.errors import InputError
from chef.urls import strip_credentials

# Normalization is packaging's, through chef.pep508 (imported on first use, cached per text).

# Fields that hold one of a fixed set of strings are Literal types: mypy --strict catches a typo
# (`Source("regsitry")`, `kind == "gti"`), and the recipe's JSON keeps the same strings.

# Where a locked package comes from (the recipe's `source.kind`): an index, a VCS (any VCS: the
# URL says which), or an archive URL. Path sources never reach the model as locked packages.
SourceKind = Literal["registry", "git", "url"]
# What a reader read (`Project.manager`, the recipe's `manager`): the poetry-manifest reader's
# projects are "poetry", the PEP 621 reader's "pyproject".
Manager = Literal[
    "uv", "poetry", "pdm", "pipenv", "pylock", "pyproject", "setuptools", "requirements"
]
# An extra or a dependency group of a local package (uv's `conflicts` name one or the other).
SelectionKind = Literal["extra", "group"]
# One set of (package, "extra" | "group", name) that a lock says are never installed together.
Conflict = Tuple[Tuple[str, SelectionKind, str], ...]


def canonical(name: str) -> str:
    return pep508.canonical_name(name)


def norm_marker(marker: Optional[str]) -> Optional[str]:
    """Normalize a marker string; None and empty mean "always"."""
    if marker is None or not marker.strip():
        return None
    return pep508.normalize_marker(marker)


def and_markers(a: Optional[str], b: Optional[str]) -> Optional[str]:
    if a is None:
        return b
    if b is None or a == b:
        return a
    return pep508.normalize_marker(f"({a}) and ({b})")


_T = TypeVar("_T")


def replace(obj: _T, **changes: Any) -> _T:
    """`dataclasses.replace` for the model's plain records (Dep, Source, LockedPackage) as well
    as for dataclasses: a copy with `changes`."""
    names: Optional[Tuple[str, ...]] = getattr(type(obj), "_FIELDS", None)
    if names is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values = {name: changes[name] if name in changes else getattr(obj, name) for name in names}
    return type(obj)(**values)


class Record:
    """Equality, hash and repr from `_FIELDS`, as a frozen dataclass has them. The records are
    plain classes (a dataclass costs ~0.4 ms of every prepare to define, and its `__init__`
    twice a plain one's per package): immutable by convention, copied with `replace`."""

    __slots__ = ()
    _FIELDS: Tuple[str, ...] = ()

    def _values(self) -> Tuple[object, ...]:
        return tuple([getattr(self, name) for name in self._FIELDS])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__qualname__}({shown})"


@functools.total_ordering
class Dep(Record):
    """An edge of the dependency graph: a requirement on a package, local or third-party.

    Unlocked projects use `specifier`/`url`; locked ones point at a locked package by `key`.
    `groups` is only meaningful on an edge to a local package (selected dependency groups).
    """

    __slots__ = (
        "name", "specifier", "extras", "marker", "url", "key", "hashes", "groups", "marker_extra"
    )
    _FIELDS = __slots__

    name: str
    specifier: str
    extras: Tuple[str, ...]
    marker: Optional[str]
    url: Optional[str]
    key: Optional[str]
    hashes: Tuple[str, ...]
    groups: Tuple[str, ...]
    # The extra whose list held this edge, when its marker tests `extra` (PEP 621 allows
    # `pkg; extra == "x"` inside optional-dependencies.x): cook evaluates the marker with it.
    marker_extra: Optional[str]

    def __init__(
        self,
        name: str,
        specifier: str = "",
        extras: Tuple[str, ...] = (),
        marker: Optional[str] = None,
        url: Optional[str] = None,
        key: Optional[str] = None,
        hashes: Tuple[str, ...] = (),
        groups: Tuple[str, ...] = (),
        marker_extra: Optional[str] = None,
    ) -> None:
        self.name = name
        self.specifier = specifier
        self.extras = extras
        self.marker = marker
        self.url = url
        self.key = key
        self.hashes = hashes
        self.groups = groups
        self.marker_extra = marker_extra

    def _values(self) -> Tuple[object, ...]:
        return (
            self.name, self.specifier, self.extras, self.marker, self.url, self.key,
            self.hashes, self.groups, self.marker_extra,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Dep:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:  # the values inline: sets of edges hash every Dep
        return hash((
            self.name, self.specifier, self.extras, self.marker, self.url, self.key,
            self.hashes, self.groups, self.marker_extra,
        ))

    def _sort_key(self) -> Tuple[object, ...]:
        # Optional fields sort None first: the same package may be required with and without
        # a marker (or a key), and a generated `order=True` cannot compare None with str.
        # Fields in declaration order (what dataclasses.astuple gives, without its deep copy).
        return tuple(
            (value is not None, value if value is not None else "")
            for value in (
                self.name, self.specifier, self.extras, self.marker, self.url, self.key,
                self.hashes, self.groups, self.marker_extra,
            )
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Dep):
            return NotImplemented
        if self.name != other.name:  # decides nearly every comparison, and agrees with the key
            return self.name < other.name
        return self._sort_key() < other._sort_key()

    def requirement_string(self) -> str:
        """A PEP 508 string for an installer (unlocked mode)."""
        text = self.name
        if self.extras:
            text += "[" + ",".join(self.extras) + "]"
        if self.url:
            text += " @ " + self.url
            if self.marker:
                text += " "
        else:
            text += self.specifier
        if self.marker:
            text += "; " + self.marker
        return text


def sorted_deps(deps: Iterable[Dep]) -> Tuple[Dep, ...]:
    """`tuple(sorted(deps))` for distinct Deps, faster on long lists: sorted by name in C, and
    only runs of one name by Dep's own order (which compares names first, so the result is the
    same). A flat lock's root has an edge per locked package: 1500 of them sorted in ~0.5 ms
    instead of ~4."""
    items = sorted(deps, key=_dep_name)
    out: List[Dep] = []
    start, count = 0, len(items)
    while start < count:
        end = start + 1
        while end < count and items[end].name == items[start].name:
            end += 1
        out.extend(items[start:end] if end - start == 1 else sorted(items[start:end]))
        start = end
    return tuple(out)


def _dep_name(dep: Dep) -> str:
    return dep.name


def parse_requirement(text: str, *, path: Optional[str] = None, line: Optional[int] = None) -> Dep:
    """Parse a PEP 508 requirement with `packaging` into a normalized Dep."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(
            f"invalid requirement {text.strip()!r}: {pep508.one_line(exc)}",
            path=path,
            line=line,
        ) from None
    except RecursionError:  # older packaging (chef.pyz's, for Python 3.9) on deep parentheses
        raise InputError(
            f"invalid requirement {text.strip()!r}: parentheses nested too deeply",
            path=path,
            line=line,
        ) from None
    return Dep(
        name=canonical(req.name),
        specifier=pep508.normalize_specifier(str(req.specifier)),
        extras=tuple(sorted(canonical(e) for e in req.extras)),
        marker=norm_marker(str(req.marker)) if req.marker else None,
        url=strip_credentials(req.url) if req.url else None,  # never into a recipe
    )


class Source(Record):
    """Where a locked package comes from.

    kind: "registry" (url None = the installer's default index), "git", "url".
    """

    __slots__ = ("kind", "url")
    _FIELDS = __slots__

    kind: SourceKind
    url: Optional[str]

    def __init__(self, kind: SourceKind, url: Optional[str] = None) -> None:
        self.kind = kind
        self.url = url


class LockedPackage(Record):
    __slots__ = ("name", "version", "source", "hashes", "dependencies", "extras", "key", "wheels")
    _FIELDS = __slots__

    name: str
    version: str
    source: Source
    hashes: Tuple[str, ...]
    dependencies: Tuple[Dep, ...]
    extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...]
    key: str
    # The tags of the wheels the lock lists for this version (chef.readers.locks.wheel_tags):
    # None when one of them is pure Python for any Python 3, or when the lock lists no files;
    # () when it lists an sdist only. What a cross-platform cook checks before installing.
    wheels: Optional[Tuple[str, ...]]

    def __init__(
        self,
        name: str,
        version: str,
        source: Source,
        hashes: Tuple[str, ...] = (),
        dependencies: Tuple[Dep, ...] = (),
        extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...] = (),
        key: str = "",
        wheels: Optional[Tuple[str, ...]] = None,
    ) -> None:
        self.name = name
        self.version = version
        self.source = source
        self.hashes = hashes
        self.dependencies = dependencies
        self.extras = extras
        self.key = key
        self.wheels = wheels

    def extra(self, name: str) -> Tuple[Dep, ...]:
        for extra_name, deps in self.extras:
            if extra_name == name:
                return deps
        return ()


# Values that switch a `LocalPackage.build_requires_env` variable on: hatchling's own test
# (`env_var_enabled`: exactly "1" or "true"), the only producer of such variables so far.
ENV_ON = ("1", "true")


class LocalPackage(Record):
    """A package whose source is part of the project: built after `COPY . .`, never in the recipe
    with its version."""

    __slots__ = (
        "name", "path", "build_requires", "dependencies", "extras", "groups", "installable",
        "editable", "requires", "build_requires_env",
    )
    _FIELDS = __slots__

    name: str
    path: str  # POSIX, relative to the project root
    build_requires: Tuple[str, ...]
    dependencies: Tuple[Dep, ...]
    extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...]
    groups: Tuple[Tuple[str, Tuple[Dep, ...]], ...]
    installable: bool  # False for virtual/non-package projects: deps only
    editable: bool
    requires: Tuple[str, ...]  # local packages this one needs (recipe: build order)
    # Build requirements the build asks for only when an environment variable is on (a hatch
    # build hook that is off by default): variable -> requirements, sorted (chef.readers.build).
    build_requires_env: Tuple[Tuple[str, Tuple[str, ...]], ...]

    def __init__(
        self,
        name: str,
        path: str,
        build_requires: Tuple[str, ...] = (),
        dependencies: Tuple[Dep, ...] = (),
        extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...] = (),
        groups: Tuple[Tuple[str, Tuple[Dep, ...]], ...] = (),
        installable: bool = True,
        editable: bool = False,
        requires: Tuple[str, ...] = (),
        build_requires_env: Tuple[Tuple[str, Tuple[str, ...]], ...] = (),
    ) -> None:
        self.name = name
        self.path = path
        self.build_requires = build_requires
        self.dependencies = dependencies
        self.extras = extras
        self.groups = groups
        self.installable = installable
        self.editable = editable
        self.requires = requires
        self.build_requires_env = build_requires_env

    def extra(self, name: str) -> Tuple[Dep, ...]:
        return dict(self.extras).get(name, ())

    def group(self, name: str) -> Tuple[Dep, ...]:
        return dict(self.groups).get(name, ())


class IndexConfig(Record):
    """Index options that decide where packages come from (credentials already stripped)."""

    __slots__ = ("index_url", "extra_index_urls", "find_links", "no_index", "pre")
    _FIELDS = __slots__

    index_url: Optional[str]
    extra_index_urls: Tuple[str, ...]
    find_links: Tuple[str, ...]
    no_index: bool
    pre: bool

    def __init__(
        self,
        index_url: Optional[str] = None,
        extra_index_urls: Tuple[str, ...] = (),
        find_links: Tuple[str, ...] = (),
        no_index: bool = False,
        pre: bool = False,
    ) -> None:
        self.index_url = index_url
        self.extra_index_urls = extra_index_urls
        self.find_links = find_links
        self.no_index = no_index
        self.pre = pre


@dataclass
class Project:
    """A project read from disk by one reader.

    `roots` are the edges installed by default: usually one edge per local package at the top
    (the root project, or every workspace member); requirements files add third-party edges.
    `locked` is None when nothing is locked and the installer must resolve.
    """

    root: Path
    manager: Manager
    inputs: List[str] = field(default_factory=list)
    local_packages: Dict[str, LocalPackage] = field(default_factory=dict)
    roots: List[Dep] = field(default_factory=list)
    constraints: List[Dep] = field(default_factory=list)
    locked: Optional[Dict[str, LockedPackage]] = None
    index: IndexConfig = field(default_factory=IndexConfig)
    requires_python: Optional[str] = None
    # Pins for the build requirements (uv's build-constraint-dependencies, prepare
    # --build-constraint): they constrain the build environment, never the app's venv.
    build_constraints: List[Dep] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # for --explain: what was read/dropped and why
    # Always shown on stderr: input the manager accepts and ignores, which chef ignores too
    # (e.g. a poetry extra naming no dependency: only `poetry check` reports it).
    warnings: List[str] = field(default_factory=list)
    # Sets of (package, "extra" | "group", name) the lock says are never installed together
    # (uv's `conflicts`); a selection holding two of one set is refused, as uv refuses it.
    conflicts: List[Conflict] = field(default_factory=list)


class Recipe(Record):
    """What chef.recipe reads and writes (chef.recipe.tables: the JSON tables). Frozen:
    assigning a field raises dataclasses.FrozenInstanceError; chef.model.replace copies it."""

    __slots__ = (
        "manager", "extras", "groups", "packages", "requires_python", "index", "local_packages",
        "roots", "constraints", "locked", "build_constraints", "earlier",
    )
    _FIELDS = __slots__

    manager: str
    extras: Tuple[str, ...]
    groups: Tuple[str, ...]
    packages: Tuple[str, ...]
    requires_python: Optional[str]
    index: IndexConfig
    local_packages: Dict[str, LocalPackage]
    roots: List[Dep]
    constraints: List[Dep]
    locked: Optional[Dict[str, LockedPackage]]
    build_constraints: List[Dep]
    # A layer recipe of `prepare --layer-recipes` (chef.layers): locked keys that an earlier
    # layer's recipe installs. Cook walks the whole graph and leaves these out (it checks that
    # the venv holds them). Empty, and absent from the JSON, in every other recipe.
    earlier: Tuple[str, ...]

    def __init__(
        self,
        manager: str,
        extras: Tuple[str, ...] = (),
        groups: Tuple[str, ...] = (),
        packages: Tuple[str, ...] = (),
        requires_python: Optional[str] = None,
        index: Optional[IndexConfig] = None,
        local_packages: Optional[Dict[str, LocalPackage]] = None,
        roots: Optional[List[Dep]] = None,
        constraints: Optional[List[Dep]] = None,
        locked: Optional[Dict[str, LockedPackage]] = None,
        build_constraints: Optional[List[Dep]] = None,
        earlier: Tuple[str, ...] = (),
    ) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "manager", manager)
        setattr_(self, "extras", extras)
        setattr_(self, "groups", groups)
        setattr_(self, "packages", packages)
        setattr_(self, "requires_python", requires_python)
        setattr_(self, "index", IndexConfig() if index is None else index)
        setattr_(self, "local_packages", {} if local_packages is None else local_packages)
        setattr_(self, "roots", [] if roots is None else roots)
        setattr_(self, "constraints", [] if constraints is None else constraints)
        setattr_(self, "locked", locked)
        setattr_(self, "build_constraints", [] if build_constraints is None else build_constraints)
        setattr_(self, "earlier", earlier)

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    @property
    def is_locked(self) -> bool:
        return self.locked is not None
