"""A recipe from a project: keep only what the selection can install, in any target
environment."""

from __future__ import annotations

from typing import Dict, List, Optional

from chef.errors import InputError
from chef.model import Conflict, LocalPackage, LockedPackage, Project, sorted_deps
from chef.pep508 import valid_version
from chef.recipe.tables import Recipe, check_cookable
from chef.select import Selection, flatten, root_edges, walk


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
            extras_out = tuple((e, d) for e, d in locked.extras if e in pkg_extras)
            if locked.key == key and len(extras_out) == len(locked.extras):
                locked_out[key] = locked  # frozen, and equal field by field: ~2.5 ms at 1500
                continue
            locked_out[key] = LockedPackage(
                name=locked.name,
                version=locked.version,
                source=locked.source,
                hashes=locked.hashes,
                dependencies=locked.dependencies,
                extras=extras_out,
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
