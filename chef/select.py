"""Selection: which part of the project's graph gets installed.

Two steps. `flatten` expands the selected local packages (root project, workspace members, path
dependencies) into the third-party edges they need, with the markers on the path to them; so the
recipe never says which member declares which dependency (moving one between members, or bumping a
member, cannot bust the cache). `walk` then follows a lock's third-party graph from those edges;
`prepare` walks with every marker taken as true (the recipe stays independent of the machine that
prepares it), `cook` walks again with the target interpreter's markers. Nodes are (package, extra)
pairs, so an extra pulls in only its own dependencies.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Deque, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from chef.errors import InputError
from chef.limits import MAX_FLATTEN_STATES, count
from chef.model import Dep, LocalPackage, LockedPackage, Record, replace
from chef.pep508 import normalize_marker

# evaluate(marker, extra) -> bool; `extra` is the extra whose dependency list holds the edge.
Evaluator = Callable[[Optional[str], str], bool]


def always(marker: Optional[str], extra: str) -> bool:
    return True


class Flat:
    """(A plain class, as the others here: a dataclass costs ~0.4 ms of every prepare to
    define.)"""

    __slots__ = ("edges", "requires")

    def __init__(self) -> None:
        self.edges: Set[Dep] = set()  # third-party edges, path markers folded in
        self.requires: Dict[str, Set[str]] = {}  # local -> locals it needs


def _conjuncts(marker: Optional[str]) -> FrozenSet[str]:
    return frozenset() if marker is None else frozenset({marker})


def _joined(conjuncts: FrozenSet[str]) -> Optional[str]:
    if not conjuncts:
        return None
    if len(conjuncts) == 1:
        return next(iter(conjuncts))
    return normalize_marker(" and ".join(f"({c})" for c in sorted(conjuncts)))


class _OverBudget(Exception):
    pass


def flatten(roots: List[Dep], local_packages: Mapping[str, LocalPackage]) -> Flat:
    """Third-party edges reachable from `roots` through local packages.

    A path marker is a set of conjuncts, so cycles between local packages saturate instead of
    growing. Groups apply only at the roots (PEP 735 groups are not transitive).

    Each (local package, extra or group, path marker) state is expanded once. Two edges from one
    list to the same local package under different markers double the path markers below them
    (a chain of 18 such packages, or extras that require their own package, made 2^18 states
    and as many requirements): when the states pass a small budget (a few per node; nothing
    changes below it), such edges are expanded once under their markers joined with `or`
    (the same meaning, one path), and past MAX_FLATTEN_STATES the selection is refused.
    """
    nodes = sum(1 + len(p.extras) + len(p.groups) for p in local_packages.values())
    try:
        return _flatten(roots, local_packages, False, _EXACT_PER_NODE * nodes + _EXACT_BASE)
    except _OverBudget:
        pass
    try:
        return _flatten(roots, local_packages, True, MAX_FLATTEN_STATES)
    except _OverBudget:
        raise InputError(
            f"the local packages reach each other through more than {MAX_FLATTEN_STATES} "
            "combinations of markers (chef's cap MAX_FLATTEN_STATES)",
            path="the selected local packages",
            hint="select fewer extras or groups, or simplify the markers on the edges between "
            "the project's own packages",
        ) from None


# Exact expansion while the states stay below this many per (package, extra/group) node.
_EXACT_PER_NODE = 8
_EXACT_BASE = 64


def _flatten(
    roots: List[Dep], local_packages: Mapping[str, LocalPackage], merge: bool, budget: int
) -> Flat:
    flat = Flat()
    queue: Deque[Tuple[Dep, FrozenSet[str], bool, Optional[str]]] = deque(
        (d, frozenset(), True, None) for d in roots
    )
    seen: Set[Tuple[str, str, FrozenSet[str]]] = set()
    merged: Dict[Tuple[str, str], Tuple[Dep, ...]] = {}
    while queue:
        edge, path, is_root, parent = queue.popleft()
        local = local_packages.get(edge.name)
        if local is None or edge.url or (edge.key not in (None, edge.name)):
            marker = _joined(path | _conjuncts(edge.marker))
            if marker == edge.marker and not edge.groups:
                flat.edges.add(edge)  # the common case, without dataclasses.replace's cost
            else:
                flat.edges.add(replace(edge, marker=marker, groups=()))
            continue
        if parent is not None and parent != local.name:
            flat.requires.setdefault(parent, set()).add(local.name)
        flat.requires.setdefault(local.name, set())
        here = path | _conjuncts(edge.marker)
        lists: List[Tuple[str, Tuple[Dep, ...]]] = [("", local.dependencies)]
        lists += [(f"extra:{e}", _in_extra(local.extra(e), e)) for e in edge.extras]
        if is_root:
            lists += [(f"group:{g}", local.group(g)) for g in edge.groups]
        for tag, deps in lists:
            if (local.name, tag, here) in seen:
                continue
            seen.add((local.name, tag, here))
            count("flatten_states")
            if len(seen) > budget:
                raise _OverBudget
            if merge:
                key = (local.name, tag)
                if key not in merged:
                    merged[key] = _merge_local_edges(deps, local_packages)
                deps = merged[key]
            for dep in deps:
                queue.append((dep, here, False, local.name))
    return flat


def _merge_local_edges(
    deps: Tuple[Dep, ...], local_packages: Mapping[str, LocalPackage]
) -> Tuple[Dep, ...]:
    """Edges of one list to the same local package (same extras and groups) under different
    markers, as one edge whose marker is theirs joined with `or` (no marker when one has none)."""
    by_target: Dict[Tuple[object, ...], List[Dep]] = {}
    out: List[Dep] = []
    for dep in deps:
        if dep.name in local_packages and not dep.url and dep.key in (None, dep.name):
            by_target.setdefault((dep.name, dep.extras, dep.groups, dep.marker_extra),
                                 []).append(dep)
        else:
            out.append(dep)
    for same in by_target.values():
        markers = sorted({d.marker for d in same if d.marker is not None})
        if len(same) == 1 or any(d.marker is None for d in same):
            marker = same[0].marker if len(same) == 1 else None
        elif len(markers) == 1:
            marker = markers[0]
        else:
            marker = normalize_marker(" or ".join(f"({m})" for m in markers))
        out.append(replace(same[0], marker=marker))
    return tuple(out)


def _in_extra(deps: Tuple[Dep, ...], extra: str) -> Tuple[Dep, ...]:
    """Remember the extra for edges whose marker tests `extra` (normalized: `extra == "x"`)."""
    return tuple(
        replace(d, marker_extra=extra) if d.marker and "extra " in d.marker else d for d in deps
    )


class Reached:
    __slots__ = ("locked", "leaves")

    def __init__(self) -> None:
        self.locked: Dict[str, Set[str]] = {}  # key -> extras reached
        self.leaves: List[Dep] = []  # unlocked: the root edges that apply


def walk(
    roots: List[Dep],
    locked: Optional[Mapping[str, LockedPackage]],
    evaluate: Evaluator = always,
) -> Reached:
    """Everything a lock installs from third-party `roots` (or, unlocked, the roots that apply)."""
    reached = Reached()
    if locked is None:
        reached.leaves = [d for d in roots if evaluate(d.marker, d.marker_extra or "")]
        return reached
    queue: Deque[Dep] = deque(d for d in roots if evaluate(d.marker, d.marker_extra or ""))
    seen: Set[Tuple[str, str]] = set()
    seen_keys: Set[str] = set()  # keys whose own dependencies are queued (the common case)
    while queue:
        edge = queue.popleft()
        key = edge.key or edge.name
        if not edge.extras and key in seen_keys:
            continue  # nothing new: the package was found and its dependencies queued
        package = locked.get(key)
        if package is None:
            raise InputError(
                f"the lock has no package {key!r}, required by the selection",
                hint="re-lock the project",
            )
        extras = reached.locked.setdefault(key, set())
        todo: List[Tuple[str, Tuple[Dep, ...]]] = []
        if key not in seen_keys:
            seen_keys.add(key)
            todo.append(("", package.dependencies))
        for extra in edge.extras:
            if (key, extra) not in seen:
                seen.add((key, extra))
                extras.add(extra)
                todo.append((extra, package.extra(extra)))
        for extra, deps in todo:
            if evaluate is always:
                queue.extend(deps)
            else:
                queue.extend(d for d in deps if evaluate(d.marker, extra))
    return reached


class Selection(Record):
    """What `prepare` was asked to include; recorded in the recipe. Immutable by convention
    (chef.model.replace copies it)."""

    __slots__ = ("extras", "groups", "all_extras", "all_groups", "packages")
    _FIELDS = __slots__

    extras: Tuple[str, ...]
    groups: Tuple[str, ...]
    all_extras: bool
    all_groups: bool
    packages: Tuple[str, ...]

    def __init__(
        self,
        extras: Tuple[str, ...] = (),
        groups: Tuple[str, ...] = (),
        all_extras: bool = False,
        all_groups: bool = False,
        packages: Tuple[str, ...] = (),
    ) -> None:
        self.extras = extras
        self.groups = groups
        self.all_extras = all_extras
        self.all_groups = all_groups
        self.packages = packages


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
