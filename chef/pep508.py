"""Fast, exact normalization of the simple, common forms of PEP 508 names, markers, specifiers
and requirements, without importing `packaging`.

`chef prepare` runs on every build, and importing `packaging.markers` or `.requirements` costs
about 15-25 ms of a 50 ms process (it pulls in `packaging.tags`, `logging`, `platform`,
`subprocess`, ...). Lockfiles hold markers and specifiers in a few regular shapes
(`python_full_version < '3.11'`, `(a and b) or c`, `>=3.9`, `name>=1,<2; marker`), so those are
normalized here, producing exactly the text `packaging` produces. Anything outside that simple
subset returns None from the `fast_*` functions and the public functions hand it to `packaging`,
which stays the authority (and the one that reports errors). tests/test_pep508.py checks the fast
paths against `packaging` on generated inputs and on every marker and requirement of the corpus.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Optional, Tuple, Union

# ---------------------------------------------------------------- names


def canonical_name(name: str) -> str:
    """PEP 503 normalization, as `packaging.utils.canonicalize_name` does it."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


# ---------------------------------------------------------------- specifiers

_SPEC = re.compile(
    r"(?:(~=|<=|>=|<|>)[ \t]*([0-9]+(?:\.[0-9]+)*)|(==|!=)[ \t]*([0-9]+(?:\.[0-9]+)*(?:\.\*)?))"
)


def fast_specifier(text: str) -> Optional[str]:
    """`str(SpecifierSet(text))` for comma-separated plain release clauses, else None."""
    parts: List[Tuple[str, str]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        match = _SPEC.fullmatch(item)
        if match is None:
            return None
        op, version = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
        if op == "~=" and "." not in version:
            return None  # ~= needs two release segments: packaging's error to report
        parts.append((op, version))
    if len({op for op, _ in parts}) != len(parts):
        return None  # packaging drops equivalent clauses (`<3,<3.0`): its call which one
    return ",".join(sorted(op + version for op, version in parts))


def normalize_specifier(text: str) -> str:
    """`str(SpecifierSet(text))`; raises packaging's InvalidSpecifier on bad input."""
    fast = fast_specifier(text)
    if fast is not None:
        return fast
    from packaging.specifiers import SpecifierSet

    return str(SpecifierSet(text))


# ---------------------------------------------------------------- markers

_VARIABLES = (
    "python_version|python_full_version|os_name|sys_platform|platform_release|platform_system"
    "|platform_version|platform_machine|platform_python_implementation|implementation_name"
    "|implementation_version|extra"
)
# Values: printable ASCII without quotes or backslashes (so no escapes and one way to quote).
_VALUE = r"[ !#-&(-\[\]-~]*"
_TOKEN = re.compile(
    r"[ \t]*(?:"
    r"(?P<open>\()|(?P<close>\))"
    rf"|(?P<var>{_VARIABLES})"
    r"(?:[ \t]*(?P<op>===|==|~=|!=|<=|>=|<|>)|[ \t]+(?P<word>in|not[ \t]+in)(?![A-Za-z0-9_]))"
    rf"[ \t]*(?:'(?P<sq>{_VALUE})'|\"(?P<dq>{_VALUE})\")"
    r"|(?P<bool>and|or)(?![A-Za-z0-9_])"
    r")"
)
_WORD = re.compile(r"[A-Za-z0-9_]")
_MAX_DEPTH = 32

# packaging's marker tree: lists of atoms and "and"/"or"; an atom here is its formatted text
# in a 1-tuple, so that atoms and operators stay apart as in packaging.
Tree = List[Union[str, Tuple[str], "Tree"]]


class _NotSimple(Exception):
    pass


def fast_marker(text: str) -> Optional[str]:
    """`str(Marker(text))` for markers made of `variable op 'value'` atoms joined by and/or with
    parentheses; None for anything else (reversed operands, aliases like `os.name`, set-valued
    `extras`/`dependency_groups`, escapes, non-ASCII or quoted values, doubled parentheses)."""
    stack: List[Tree] = [[]]
    expect_atom = True
    pos = 0
    end = len(text.rstrip(" \t"))
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            return None
        kind = match.lastgroup
        if kind in ("op", "word", "sq", "dq"):
            kind = "var"
        start = match.start(kind or 0)
        if start > 0 and _WORD.match(text, start - 1) and _WORD.match(text, start):
            return None  # no word boundary before a word: packaging's to judge
        pos = match.end()
        current = stack[-1]
        if kind == "open":
            if not expect_atom or len(stack) > _MAX_DEPTH:
                return None
            group: Tree = []
            current.append(group)
            stack.append(group)
            continue
        if kind == "close":
            if expect_atom or len(stack) == 1:
                return None
            stack.pop()
        elif kind == "bool":
            if expect_atom:
                return None
            current.append(match.group("bool"))
            expect_atom = True
            continue
        else:
            if not expect_atom:
                return None
            var = match.group("var")
            word = match.group("word")
            op = match.group("op") or ("in" if word == "in" else "not in")
            value = match.group("sq") if match.group("sq") is not None else match.group("dq")
            if var == "extra":
                value = canonical_name(value)
            current.append((f'{var} {op} "{value}"',))
        expect_atom = False
    if expect_atom or len(stack) != 1:
        return None
    try:
        return _format(stack[0], True)
    except _NotSimple:
        return None


def _format(marker: Union[str, Tuple[str], Tree], first: bool) -> str:
    """packaging's `_format_marker`, refusing the one case where its versions disagree."""
    if isinstance(marker, tuple):
        return marker[0]
    if isinstance(marker, str):
        return marker
    if len(marker) == 1 and isinstance(marker[0], (list, tuple)):
        if isinstance(marker[0], list) and not first:
            raise _NotSimple  # `((a or b))` inside an expression
        return _format(marker[0], first)
    inner = " ".join(_format(m, False) for m in marker)
    return inner if first else "(" + inner + ")"


@lru_cache(maxsize=4096)
def normalize_marker(text: str) -> str:
    """`str(Marker(text))`; raises packaging's InvalidMarker on bad input."""
    fast = fast_marker(text)
    if fast is not None:
        return fast
    from packaging.markers import Marker

    return str(Marker(text))


# ---------------------------------------------------------------- requirements

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"[ \t]*(?P<name>{_NAME})[ \t]*"
    rf"(?:\[[ \t]*(?P<extras>{_NAME}(?:[ \t]*,[ \t]*{_NAME})*)[ \t]*\][ \t]*)?"
    r"(?P<spec>[0-9<>=!~.*, \t]*?)[ \t]*"
    r"(?:;(?P<marker>.*))?"
)

# (name, extras, specifier, marker): the parts chef keeps of a requirement without a URL
Simple = Tuple[str, Tuple[str, ...], str, Optional[str]]


def fast_requirement(text: str) -> Optional[Simple]:
    """The normalized parts of `name[extras] specifiers; marker` when every part is in the simple
    subset above; None otherwise (URLs, parenthesized specifiers, anything unusual)."""
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    spec = match.group("spec")
    if spec and (spec[0] not in "<>=!~" or any(not c.strip() for c in spec.split(","))):
        return None  # a requirement allows no empty clause, unlike SpecifierSet
    specifier = fast_specifier(spec) if spec else ""
    if specifier is None:
        return None
    marker: Optional[str] = None
    if match.group("marker") is not None:
        marker = fast_marker(match.group("marker"))
        if marker is None:
            return None
    extras_text = match.group("extras")
    raw = {e.strip(" \t") for e in extras_text.split(",")} if extras_text else set()
    extras = tuple(sorted(canonical_name(e) for e in raw))  # as chef.model does with packaging
    return canonical_name(match.group("name")), extras, specifier, marker
