"""Marker evaluation for the target, including uv's conflict markers.

uv encodes conflicting extras and groups in lock markers as `extra == 'extra-<len>-<pkg>-<name>'`
(and `group-...`), where `extra` stands for the *set* of activated extras and groups. packaging
evaluates `extra` as a single value, so such atoms are decided here against the set selected at
prepare time; every other atom is evaluated by packaging itself.
"""

from __future__ import annotations

from typing import Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Set, Tuple

from chef import markertree
from chef.errors import RecipeError

# packaging.markers is imported when a marker is first evaluated: a recipe without markers (or
# `cook --help`) does not pay its ~10 ms import.

_CONFLICT_PREFIXES = ("extra-", "group-")


def conflict_names(
    packages: Iterable[str], extras: Iterable[str], groups: Iterable[str]
) -> FrozenSet[str]:
    """uv's encoded names for the extras and groups selected on these local packages."""
    out: Set[str] = set()
    for package in packages:
        out.update(f"extra-{len(package)}-{package}-{e}" for e in extras)
        out.update(f"group-{len(package)}-{package}-{g}" for g in groups)
    return frozenset(out)


def _atom(
    item: markertree.Atom, env: Mapping[str, str], extra: str, active: FrozenSet[str]
) -> bool:
    for var, value in ((item.lhs, item.rhs), (item.rhs, item.lhs)):
        if (
            var.variable
            and var.value == "extra"
            and not value.variable
            and value.value.startswith(_CONFLICT_PREFIXES)
        ):
            if item.op == "==":
                return value.value in active
            if item.op == "!=":
                return value.value not in active
    from packaging.markers import Marker

    return Marker(item.text()).evaluate({**env, "extra": extra})


def _tree(
    items: markertree.Tree, env: Mapping[str, str], extra: str, active: FrozenSet[str]
) -> bool:
    # packaging's parsed form (chef.markertree): atoms, parenthesized sub-trees, and "and"/"or"
    # between them; "and" binds tighter than "or".
    alternatives = [True]
    for item in items:
        if isinstance(item, str):
            if item == "or":
                alternatives.append(True)
            continue
        value = (
            _tree(item, env, extra, active)
            if isinstance(item, tuple)
            else _atom(item, env, extra, active)
        )
        alternatives[-1] = alternatives[-1] and value
    return any(alternatives)


def evaluator(
    env: Mapping[str, str], active: FrozenSet[str] = frozenset()
) -> Callable[[Optional[str], str], bool]:
    """evaluate(marker, extra) for the target environment, cached per (marker, extra)."""
    cache: Dict[Tuple[str, str], bool] = {}

    def evaluate(marker: Optional[str], extra: str) -> bool:
        if marker is None:
            return True
        key = (marker, extra)
        if key not in cache:
            from packaging.markers import Marker

            try:
                parsed = Marker(marker)
                if any(p in marker for p in _CONFLICT_PREFIXES):
                    cache[key] = _tree(markertree.tree(parsed), env, extra, active)
                else:
                    cache[key] = parsed.evaluate({**env, "extra": extra})
            except markertree.MarkerTreeChanged:  # chef's bug, not the recipe's: say so
                raise
            except Exception as exc:  # undefined names, bad comparisons
                raise RecipeError(f"cannot evaluate marker {marker!r}: {exc}") from None
        return cache[key]

    return evaluate
