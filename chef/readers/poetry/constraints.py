"""Poetry's version constraints as PEP 440 specifiers.

Poetry writes `^1.2` (caret), `~1.2` (tilde), `1.2.*` (wildcard), `*`, bare versions, space- or
comma-separated terms and `||` unions; a dependency's `python = "..."` is one too, written here
as a PEP 508 marker. A union becomes a list of `SpecifierSet`s (any of them allows a version).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.model import norm_marker

_OPERATOR_CHARS = set("<>=!~^")


def _caret_or_tilde(op: str, text: str, display: str) -> str:
    try:
        version = Version(text)
    except InvalidVersion:
        raise InputError(f"invalid version {text!r} in constraint", path=display) from None
    release = list(version.release)
    given = len(text.lstrip("vV").split("+")[0].split("-")[0].split("."))
    given = max(1, min(given, len(release)))
    if op == "~":
        keep = 1 if given == 1 else 2
    else:  # caret: up to the first non-zero component
        keep = next((i + 1 for i, part in enumerate(release[:given]) if part != 0), given)
    upper = release[:keep]
    upper[-1] += 1
    return f">={version},<{'.'.join(str(p) for p in upper)}"


def _term(term: str, display: str) -> str:
    term = term.strip()
    if term in ("*", ""):
        return ""
    if term.startswith("^"):
        return _caret_or_tilde("^", term[1:].strip(), display)
    if term.startswith("~") and not term.startswith("~="):
        return _caret_or_tilde("~", term[1:].strip(), display)
    end = 0
    while end < len(term) and term[end] in "<>=!~":
        end += 1
    op, value = term[:end], term[end:].strip()
    if op in ("", "="):
        op = "=="
    if value.endswith(".*") and op not in ("==", "!="):
        value = value[:-2]  # ">=3.*" means ">=3"
    if value in ("*", ""):
        return ""
    return f"{op}{value}"


_CONSTRAINTS: Dict[str, List[SpecifierSet]] = {}


def range_key(spec: SpecifierSet) -> FrozenSet[Tuple[str, object]]:
    """A specifier set as poetry-core compares parsed constraints: by the versions of its
    bounds (`^1.15.0` and `>=1.15.0,<2.0.0` are one range; `<2` and `<2.0.0` one bound), yet
    `!=` exclusions stay apart from the equivalent union of ranges, as poetry-core keeps them."""
    out = set()
    for item in spec:
        try:
            version: object = Version(item.version)
        except InvalidVersion:  # wildcards (`==1.*`) and `===` compare as written
            version = item.version
        out.add((item.operator, version))
    return frozenset(out)


def constraint_sets(text: str, display: str, what: str) -> List[SpecifierSet]:
    """A Poetry constraint (`^1.2`, `~1.2`, `>=1,<2 || ^3`, `1.2.*`, `*`) as a union of sets.

    Parsed once per distinct text (a lock repeats a few `python-versions` hundreds of times);
    the list returned is shared: callers only read it."""
    text = str(text)
    cached = _CONSTRAINTS.get(text)
    if cached is None:
        cached = _CONSTRAINTS[text] = _constraint_sets(text, display, what)
    return cached


def _constraint_sets(text: str, display: str, what: str) -> List[SpecifierSet]:
    out: List[SpecifierSet] = []
    for alternative in str(text).split("||"):
        terms: List[str] = []
        for chunk in alternative.split(","):
            tokens = chunk.split()
            merged: List[str] = []
            for token in tokens:
                if merged and set(merged[-1]) <= _OPERATOR_CHARS:
                    merged[-1] += token
                else:
                    merged.append(token)
            terms.extend(merged)
        specs = [s for s in (_term(t, display) for t in terms) if s]
        try:
            out.append(SpecifierSet(",".join(specs)))
        except InvalidSpecifier:
            raise InputError(f"{what}: invalid version constraint {text!r}", path=display) from None
    return out or [SpecifierSet()]


def allows(sets: List[SpecifierSet], version: str) -> bool:
    return any(s.contains(version, prereleases=True) for s in sets)


def single_specifier(text: str, display: str, what: str) -> str:
    sets = constraint_sets(text, display, what)
    if len(sets) != 1:
        raise InputError(
            f"{what}: constraint {text!r} is a union ('||'), which PEP 440 cannot express",
            path=display,
            hint="lock the project (poetry lock) so chef reads exact versions",
        )
    return str(sets[0])


def python_marker(text: str, display: str) -> Optional[str]:
    """`python = "^3.8"` in a dependency as a PEP 508 marker."""
    alternatives: List[str] = []
    for spec_set in constraint_sets(text, display, "python"):
        atoms = []
        for spec in sorted(spec_set, key=str):
            version = spec.version
            if version.endswith(".*"):
                var = "python_version" if version.count(".") <= 2 else "python_full_version"
            else:
                var = "python_full_version" if version.count(".") >= 2 else "python_version"
            atoms.append(f'{var} {spec.operator} "{version}"')
        if not atoms:
            return None
        alternatives.append(" and ".join(atoms))
    return norm_marker(" or ".join(f"({a})" for a in alternatives))


def requires_python_of(text: Optional[str], display: str) -> Optional[str]:
    if text is None:
        return None
    sets = constraint_sets(str(text), display, "python")
    return str(sets[0]) or None if len(sets) == 1 else None

