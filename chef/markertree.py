"""packaging's parsed marker tree, read in this one module.

`packaging.markers.Marker` keeps the tree it parsed in a private attribute, `_markers`: a list of
atoms `(lhs, op, rhs)` (lhs and rhs a `Variable` or a `Value`, op an `Op`: packaging's private
`_parser` nodes, each with `.value` and `.serialize()`), nested lists for parentheses, and the
strings "and" / "or" between them, "and" binding tighter. chef needs that tree where packaging has
no public answer (which variables a marker reads, a marker with the selection fixed, uv's conflict
atoms, a negation), and reads it only here, into a small typed tree of its own. A tree of another
shape is an error naming packaging's version (`MarkerTreeChanged`), never an empty answer; the
test suite runs `check_shape()` so a packaging release that changes it fails loudly there first.

Nothing is imported at start-up: packaging.markers is imported when a marker is first parsed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, FrozenSet, Iterator, List, Literal, Set, Tuple, Union

if TYPE_CHECKING:
    from packaging.markers import Marker


class MarkerTreeChanged(RuntimeError):
    """packaging's private marker tree is not the shape chef reads (a bug to fix in chef)."""


class Operand:
    """One side of a comparison: a marker variable (`python_version`, `extra`) or a literal."""

    __slots__ = ("value", "variable", "_node")

    def __init__(self, node: object) -> None:
        kind = type(node).__name__
        value = getattr(node, "value", None)
        if kind not in ("Variable", "Value") or not isinstance(value, str) \
                or not callable(getattr(node, "serialize", None)):
            raise _changed(f"an operand is {node!r}, not a Variable or Value")
        self.value: str = value
        self.variable: bool = kind == "Variable"
        self._node = node

    def serialize(self) -> str:
        """As packaging writes it in a marker: the variable's name, or the literal quoted."""
        return str(self._node.serialize())  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{'Variable' if self.variable else 'Value'}({self.value!r})"


class Atom:
    """A comparison `lhs op rhs`; `op` as written ("==", "not in", ...)."""

    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs: Operand, op: str, rhs: Operand) -> None:
        self.lhs = lhs
        self.op = op
        self.rhs = rhs

    def text(self) -> str:
        """The comparison as a marker of its own."""
        return f"{self.lhs.serialize()} {self.op} {self.rhs.serialize()}"

    def __repr__(self) -> str:
        return f"Atom({self.lhs!r}, {self.op!r}, {self.rhs!r})"


if TYPE_CHECKING:  # types for mypy only: building them costs ~80 us at import
    Connective = Literal["and", "or"]
    # A marker: atoms and parenthesized sub-trees (tuples), with "and" / "or" between them.
    Tree = Tuple[Union[Atom, "Tree", Connective], ...]


def _changed(what: str) -> MarkerTreeChanged:
    import packaging

    return MarkerTreeChanged(
        f"packaging {getattr(packaging, '__version__', '(unknown version)')} parses markers "
        f"into a tree chef does not know: {what} (chef.markertree reads it; update it for "
        "this packaging, or install a packaging chef supports)"
    )


def _convert(items: object) -> Tree:
    if not isinstance(items, list):
        raise _changed(f"a marker (sub-)tree is {type(items).__name__}, not a list")
    out: List[Union[Atom, Tree, Connective]] = []
    for item in items:
        if isinstance(item, list):
            out.append(_convert(item))
        elif item == "and" or item == "or":
            out.append("and" if item == "and" else "or")
        elif isinstance(item, tuple) and len(item) == 3:
            lhs, op, rhs = item
            op_value = getattr(op, "value", None)
            if type(op).__name__ != "Op" or not isinstance(op_value, str):
                raise _changed(f"an operator is {op!r}, not an Op")
            out.append(Atom(Operand(lhs), op_value, Operand(rhs)))
        else:
            raise _changed(f"an item is {item!r}")
    return tuple(out)


def tree(marker: Marker) -> Tree:
    """The tree packaging parsed `marker` into, as chef's types."""
    if not hasattr(marker, "_markers"):
        raise _changed("Marker has no _markers")
    return _convert(marker._markers)


@lru_cache(maxsize=4096)
def parse(text: str) -> Tree:
    """`tree(Marker(text))`, cached per text; raises packaging's InvalidMarker (or RecursionError,
    older packaging on deep parentheses) as `Marker` does."""
    from packaging.markers import Marker

    return tree(Marker(text))


def atoms(items: Tree) -> Iterator[Atom]:
    """Every comparison in the tree, in order, at any depth."""
    for item in items:
        if isinstance(item, Atom):
            yield item
        elif isinstance(item, tuple):
            yield from atoms(item)


def variables(items: Tree) -> FrozenSet[str]:
    """The marker variables the tree reads (either side of a comparison)."""
    found: Set[str] = set()
    for atom in atoms(items):
        for side in (atom.lhs, atom.rhs):
            if side.variable:
                found.add(side.value)
    return frozenset(found)


# Every shape chef reads: nesting, both connectives, a variable on either side, each operator
# family, serialization of both operand kinds (variables every packaging >= 22 knows: 24 and
# older refuse `extras` and `dependency_groups`).
_SAMPLE = (
    "(python_version >= '3.9' and sys_platform == 'linux' or extra == 'a') "
    "and ('arm' in platform_machine or \"x\" not in platform_release)"
)


def check_shape() -> None:
    """Raise MarkerTreeChanged unless packaging parses `_SAMPLE` into the tree chef expects."""
    got = parse.__wrapped__(_SAMPLE)
    first, conj, second = got if len(got) == 3 else (None, None, None)
    if not (isinstance(first, tuple) and conj == "and" and isinstance(second, tuple)):
        raise _changed(f"{_SAMPLE!r} parsed as {got!r}")
    seen = [(a.lhs.variable, a.lhs.value, a.op, a.rhs.variable, a.rhs.value, a.text())
            for a in atoms(got)]
    want = [
        (True, "python_version", ">=", False, "3.9", 'python_version >= "3.9"'),
        (True, "sys_platform", "==", False, "linux", 'sys_platform == "linux"'),
        (True, "extra", "==", False, "a", 'extra == "a"'),
        (False, "arm", "in", True, "platform_machine", '"arm" in platform_machine'),
        (False, "x", "not in", True, "platform_release", '"x" not in platform_release'),
    ]
    connectives = [i for i in first if isinstance(i, str)] + [
        i for i in second if isinstance(i, str)
    ]
    if seen != want or connectives != ["and", "or", "or"]:
        raise _changed(f"{_SAMPLE!r} parsed as {got!r}")
