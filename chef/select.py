"""Walk the dependency graph from the selected roots.

One walker serves both ends: `prepare` walks with every marker taken as true, to keep exactly the
part of the graph that some target environment could install (the recipe stays independent of the
machine that prepares it); `cook` walks the recipe again with the target interpreter's markers, to
get exactly what to install there. Nodes are (package, extra) pairs, so an extra pulls in only its
own dependencies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, List, Mapping, Optional, Set, Tuple

from chef.errors import InputError
from chef.model import Dep, LocalPackage, LockedPackage, and_markers

# evaluate(marker, extra) -> bool; `extra` is the extra whose dependency list holds the edge.
Evaluator = Callable[[Optional[str], str], bool]


def always(marker: Optional[str], extra: str) -> bool:
    return True


@dataclass
class Reached:
    locals: Dict[str, Set[str]] = field(default_factory=dict)  # name -> extras reached
    groups: Dict[str, Set[str]] = field(default_factory=dict)  # root local name -> groups
    locked: Dict[str, Set[str]] = field(default_factory=dict)  # key -> extras reached
    leaves: List[Dep] = field(default_factory=list)  # unlocked third-party edges, path markers


def walk(
    roots: List[Dep],
    local_packages: Mapping[str, LocalPackage],
    locked: Optional[Mapping[str, LockedPackage]],
    evaluate: Evaluator = always,
) -> Reached:
    """Everything reachable from `roots`.

    For unlocked projects third-party edges are leaves, returned with the conjunction of the markers
    on the path to them (only used by cook, where markers are evaluated anyway).
    """
    reached = Reached()
    # queue items: (edge, marker of the path to the edge's owner)
    queue: Deque[Tuple[Dep, Optional[str], bool]] = deque((d, None, True) for d in roots)
    seen: Set[Tuple[str, str, bool]] = set()

    def visit(edges: Tuple[Dep, ...], extra: str, path_marker: Optional[str]) -> None:
        for edge in edges:
            if evaluate(edge.marker, extra):
                queue.append((edge, path_marker, False))

    while queue:
        edge, path_marker, is_root = queue.popleft()
        if is_root and not evaluate(edge.marker, ""):
            continue
        local = local_packages.get(edge.name) if edge.key in (None, edge.name) else None
        if local is not None and not edge.url:
            marker = and_markers(path_marker, edge.marker)
            extras = reached.locals.setdefault(local.name, set())
            todo: List[Tuple[str, Tuple[Dep, ...]]] = []
            if (local.name, "", False) not in seen:
                seen.add((local.name, "", False))
                todo.append(("", local.dependencies))
            for extra in edge.extras:
                if (local.name, extra, False) not in seen:
                    seen.add((local.name, extra, False))
                    extras.add(extra)
                    todo.append((extra, local.extra(extra)))
            if is_root:
                groups = reached.groups.setdefault(local.name, set())
                for group in edge.groups:
                    if (local.name, group, True) not in seen:
                        seen.add((local.name, group, True))
                        groups.add(group)
                        todo.append(("", local.group(group)))
            for extra, deps in todo:
                visit(deps, extra, marker)
            continue
        if locked is None:
            reached.leaves.append(_with_marker(edge, and_markers(path_marker, edge.marker)))
            continue
        key = edge.key or edge.name
        package = locked.get(key)
        if package is None:
            raise InputError(
                f"the lock has no package {key!r}, required by the selection",
                hint="re-lock the project",
            )
        extras = reached.locked.setdefault(key, set())
        if (key, "", False) not in seen:
            seen.add((key, "", False))
            visit(package.dependencies, "", None)
        for extra in edge.extras:
            if (key, extra, False) not in seen:
                seen.add((key, extra, False))
                extras.add(extra)
                visit(package.extra(extra), extra, None)
    return reached


def _with_marker(edge: Dep, marker: Optional[str]) -> Dep:
    return Dep(
        name=edge.name,
        specifier=edge.specifier,
        extras=edge.extras,
        marker=marker,
        url=edge.url,
        key=edge.key,
        hashes=edge.hashes,
    )


@dataclass(frozen=True)
class Selection:
    """What `prepare` was asked to include; recorded in the recipe."""

    extras: Tuple[str, ...] = ()
    groups: Tuple[str, ...] = ()
    all_extras: bool = False
    all_groups: bool = False
    packages: Tuple[str, ...] = ()


def root_edges(
    roots: List[Dep],
    local_packages: Mapping[str, LocalPackage],
    selection: Selection,
    display: str,
) -> Tuple[List[Dep], Tuple[str, ...], Tuple[str, ...]]:
    """Apply the selection to the project's default roots.

    Returns the root edges and the extras and groups that were resolved (explicit lists, so
    `--all-extras` is recorded as what it meant).
    """
    from chef.model import canonical

    if selection.packages:
        wanted = [canonical(p) for p in selection.packages]
        missing = [p for p in wanted if p not in local_packages]
        if missing:
            raise InputError(
                f"no local package named {', '.join(missing)}",
                path=display,
                hint="local packages: " + (", ".join(sorted(local_packages)) or "none"),
            )
        top = [Dep(name=p) for p in wanted]
        others: List[Dep] = []
    else:
        top = [d for d in roots if d.name in local_packages and not d.url]
        others = [d for d in roots if not (d.name in local_packages and not d.url)]
    top_locals = [local_packages[d.name] for d in top]
    all_extras = sorted({e for p in top_locals for e, _ in p.extras})
    all_groups = sorted({g for p in top_locals for g, _ in p.groups})
    extras = (
        all_extras if selection.all_extras else sorted({canonical(e) for e in selection.extras})
    )
    groups = (
        all_groups if selection.all_groups else sorted({canonical(g) for g in selection.groups})
    )
    for kind, asked, known in (("extra", extras, all_extras), ("group", groups, all_groups)):
        unknown = [a for a in asked if a not in known]
        if unknown:
            raise InputError(
                f"no {kind} named {', '.join(unknown)} in the selected packages",
                path=display,
                hint=f"available {kind}s: " + (", ".join(known) or "none"),
            )
    edges: List[Dep] = []
    for dep, package in zip(top, top_locals):
        mine_e = tuple(
            sorted(set(dep.extras) | {e for e in extras if any(n == e for n, _ in package.extras)})
        )
        mine_g = tuple(g for g in groups if any(name == g for name, _ in package.groups))
        edges.append(Dep(name=dep.name, extras=mine_e, groups=mine_g, marker=dep.marker))
    return edges + others, tuple(extras), tuple(groups)
