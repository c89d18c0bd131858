"""Projects from *flat* locks: a list of packages, each with a marker and the groups it is for.

Pipfile.lock, pylock.toml, poetry.lock 2.1 and pdm.lock (inherit_metadata) say for every package
when to install it; their managers install from that list without walking a graph. chef does the
same: every locked package becomes an edge of one root package, in its main dependencies, under an
extra or under a group, with the marker that decides it. Locked packages keep no edges of their
own, so selection walks exactly one level, as the manager does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Mapping, Set, Tuple

from chef.errors import InputError
from chef.model import Dep, LocalPackage, Project, sorted_deps

if TYPE_CHECKING:  # chef.readers.markers imports packaging.markers: not for a type
    from chef.readers.markers import PlacementKind


def unique_name(base: str, taken: Iterable[str]) -> str:
    """A name for a virtual root that no locked package uses (the walker resolves names)."""
    used = set(taken)
    name = base
    while name in used:
        name += "-root"
    return name


class RootBuilder:
    """Collects the root package's edges per placement (main, extra, group)."""

    def __init__(self) -> None:
        self.main: Set[Dep] = set()
        self.extras: Dict[str, Set[Dep]] = {}
        self.groups: Dict[str, Set[Dep]] = {}

    def add(self, kind: PlacementKind, name: str, dep: Dep) -> None:
        if kind == "main":
            self.main.add(dep)
        elif kind == "extra":
            self.extras.setdefault(name, set()).add(dep)
        else:
            self.groups.setdefault(name, set()).add(dep)

    def declare(self, extras: Iterable[str] = (), groups: Iterable[str] = ()) -> None:
        """Extras and groups that exist even when they lock nothing (so selecting them works)."""
        for extra in extras:
            self.extras.setdefault(extra, set())
        for group in groups:
            self.groups.setdefault(group, set())

    def package(
        self,
        name: str,
        path: str = ".",
        *,
        installable: bool = False,
        build_requires: Tuple[str, ...] = (),
        editable: bool = False,
    ) -> LocalPackage:
        return LocalPackage(
            name=name,
            path=path,
            build_requires=build_requires if installable else (),
            dependencies=sorted_deps(self.main),
            extras=tuple(sorted((k, sorted_deps(v)) for k, v in self.extras.items())),
            groups=tuple(sorted((k, sorted_deps(v)) for k, v in self.groups.items())),
            installable=installable,
            editable=editable,
        )


class GuardedLocals(Dict[str, LocalPackage]):
    """Local packages, plus names whose directory is outside the project: looking one of those up
    raises the reader's error. The walker looks local packages up only along selected edges, so a
    dev-only path dependency outside the project fails only when that group is selected."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outside: Dict[str, InputError] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.outside and not dict.__contains__(self, key):
            raise self.outside[key]
        return dict.get(self, key, default)


def attach_root(
    project: Project,
    builder: RootBuilder,
    name: str,
    subdir: str,
    local_packages: Mapping[str, LocalPackage],
    outside: Mapping[str, InputError],
) -> None:
    """Make the builder's edges the project's one, non-installable root package `name` (pick it
    with unique_name), next to the local packages and the names whose directory is outside."""
    guarded = GuardedLocals(local_packages)
    guarded.outside.update(outside)
    guarded[name] = builder.package(name, subdir, installable=False)
    project.local_packages = guarded
    project.roots = [Dep(name=name)]
