"""Split lock markers that test the *selection* (extras, dependency groups) from the environment.

Flat locks (poetry.lock 2.1, pylock.toml) say "install X when extra `a` is selected" inside the
marker (`extra == "a"`, `'a' in extras`, `'dev' in dependency_groups`). chef expresses selection
with the graph instead (an edge under an extra or a group of the root package), so the selection
part of such a marker is evaluated here, per placement, and only the environment part is kept.
The result is plain PEP 508, which any `packaging` can evaluate at cook time.

The marker is parsed by `packaging`; this module only walks the tree it produced
(through chef.markertree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, FrozenSet, List, Literal, Optional, Set, Tuple, Union

from packaging.markers import InvalidMarker

from chef import markertree
from chef.errors import InputError
from chef.model import canonical, norm_marker
from chef.pep508 import one_line

_SELECTION_VARS = ("extra", "extras", "dependency_groups")

Residual = Union[bool, str]  # True: always, False: never, str: an environment-only marker
# Where an edge of a flat lock's root package goes: its main dependencies, an extra, a group.
PlacementKind = Literal["main", "extra", "group"]


@dataclass(frozen=True)
class Placement:
    """Where an edge goes in a root package: kind "main", "extra" or "group", and its marker."""

    kind: PlacementKind
    name: str  # the extra's or group's; "" for "main"
    marker: Optional[str]


def _var_name(node: markertree.Operand) -> Optional[str]:
    return node.value if node.variable else None


def _parse(marker: str, display: str) -> markertree.Tree:
    try:
        return markertree.parse(marker)
    except InvalidMarker as exc:
        raise InputError(
            f"invalid marker {marker!r}: {one_line(exc)}", path=display
        ) from None
    except RecursionError:  # older packaging (chef.pyz's)
        raise InputError(
            f"invalid marker {marker!r}: parentheses nested too deeply", path=display
        ) from None


def _atom(
    item: markertree.Atom,
    extras: AbstractSet[str],
    groups: AbstractSet[str],
    display: str,
    true_vars: AbstractSet[str] = frozenset(),
) -> Residual:
    lhs, rhs = item.lhs, item.rhs
    names = (_var_name(lhs), _var_name(rhs))
    var = next((n for n in names if n in _SELECTION_VARS), None)
    if var is None:
        return item.text()
    if var in true_vars:
        return True
    value = canonical((rhs if names[0] == var else lhs).value)
    chosen = groups if var == "dependency_groups" else extras
    operator = item.op
    if operator in ("==", "in"):
        return value in chosen
    if operator in ("!=", "not in"):
        return value not in chosen
    raise InputError(f"unsupported comparison {operator!r} on {var} in a marker", path=display)


def _tree(
    items: markertree.Tree, extras: AbstractSet[str], groups: AbstractSet[str], display: str,
    true_vars: AbstractSet[str] = frozenset(),
) -> Residual:
    # packaging's grammar: a (sub-)tree is an "or" of "and" runs.
    runs: List[List[Residual]] = [[]]
    for item in items:
        if isinstance(item, str):
            if item == "or":
                runs.append([])
            continue
        if isinstance(item, tuple):
            value = _tree(item, extras, groups, display, true_vars)
            runs[-1].append(f"({value})" if isinstance(value, str) else value)
        else:
            runs[-1].append(_atom(item, extras, groups, display, true_vars))
    kept: List[str] = []
    for run in runs:
        if any(part is False for part in run):
            continue
        parts = [p for p in run if isinstance(p, str)]
        if not parts:
            return True
        kept.append(" and ".join(parts))
    if not kept:
        return False
    if len(kept) == 1:
        return kept[0]
    return " or ".join(f"({k})" if " and " in k else k for k in kept)


def mentioned(marker: str, display: str) -> Tuple[Set[str], Set[str], bool]:
    """(extras, groups, negated) that the marker tests."""
    extras: Set[str] = set()
    groups: Set[str] = set()
    negated = False

    for atom in markertree.atoms(_parse(marker, display)):
        names = (_var_name(atom.lhs), _var_name(atom.rhs))
        var = next((n for n in names if n in _SELECTION_VARS), None)
        if var is None:
            continue
        value = canonical((atom.rhs if names[0] == var else atom.lhs).value)
        (groups if var == "dependency_groups" else extras).add(value)
        negated = negated or atom.op in ("!=", "not in")
    return extras, groups, negated


def residual(
    marker: Optional[str],
    display: str,
    extras: AbstractSet[str] = frozenset(),
    groups: AbstractSet[str] = frozenset(),
) -> Residual:
    """The marker with the selection fixed: True, False or a normalized environment marker."""
    if marker is None or not marker.strip():
        return True
    value = _tree(_parse(marker, display), extras, groups, display)
    if isinstance(value, str):
        return norm_marker(value) or True
    return value


def without_groups(marker: str, display: str) -> Residual:
    """The marker with every `dependency_groups` condition taken as true, whatever its group
    and operator: what pipenv does with the PEP 751 style markers it writes in a Pipfile.lock's
    develop section (`('dev' in dependency_groups) and (python_version >= '3.10')`). pipenv
    installs a category's entries only when the category is selected, and its
    `Lockfile._pip_marker` drops each such condition before pip sees the marker. For markers
    that test no `extras` (pipenv passes those on to pip, which cannot evaluate them).
    """
    value = _tree(_parse(marker, display), frozenset(), frozenset(), display,
                  frozenset(["dependency_groups"]))
    if isinstance(value, str):
        return norm_marker(value) or True
    return value


def placements(
    marker: Optional[str], display: str, *, groups_allowed: bool = True
) -> List[Placement]:
    """Every (main | extra e | group g) placement under which the package is installed.

    Refused: markers that exclude a package when something is selected (`extra != "a"`), and
    markers that need two selections at once: chef's graph has no way to say either.
    """
    if marker is None or not marker.strip():
        return [Placement("main", "", None)]
    extras, groups, negated = mentioned(marker, display)
    if not extras and not groups:
        return [Placement("main", "", norm_marker(marker))]
    if negated:
        raise InputError(
            f"marker {marker!r} removes a package when an extra or group is selected, which "
            "chef cannot express",
            path=display,
            hint="re-lock, or use a requirements file exported for the selection you need",
        )
    if groups and not groups_allowed:
        raise InputError(f"marker {marker!r} tests dependency_groups here", path=display)
    out: List[Placement] = []
    main = residual(marker, display)
    if main is not False:
        out.append(Placement("main", "", None if main is True else main))
    by_kind: Tuple[Tuple[PlacementKind, Set[str]], ...] = (("extra", extras), ("group", groups))
    for kind, names in by_kind:
        for name in sorted(names):
            chosen: FrozenSet[str] = frozenset([name])
            value = residual(
                marker,
                display,
                extras=chosen if kind == "extra" else frozenset(),
                groups=chosen if kind == "group" else frozenset(),
            )
            if value is False or value == main:
                continue
            out.append(Placement(kind, name, None if value is True else value))
    if not out and residual(marker, display, extras, groups) is not False:
        raise InputError(
            f"marker {marker!r} needs several extras or groups selected at once, which chef "
            "cannot express",
            path=display,
            hint="re-lock, or use a requirements file exported for the selection you need",
        )
    return out
