"""chef.pep508's fast paths give exactly what `packaging` gives, or step aside (None).

The fast paths keep `packaging` out of `chef prepare`'s imports for the usual lockfile markers and
specifiers (docs/performance.md); these properties are what make that safe: whatever the fast path
accepts, packaging accepts too and formats the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from chef.pep508 import (
    canonical_name,
    fast_marker,
    fast_requirement,
    fast_specifier,
    normalize_marker,
    normalize_specifier,
)

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"

VARIABLES = [
    "python_version", "python_full_version", "os_name", "sys_platform", "platform_release",
    "platform_system", "platform_version", "platform_machine", "platform_python_implementation",
    "implementation_name", "implementation_version", "extra",
    # outside the fast path, still to be handled right
    "extras", "dependency_groups", "os.name", "python_implementation", "platform.machine", "bogus",
]
OPS = ["<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in", "not  in", "=", "<>"]
SPACE = st.sampled_from(["", " ", "  ", "\t", " \t "])
VALUE = st.text(
    alphabet=st.sampled_from(list("0123456789.*abcXYZ_- ;()'\"\\é\n")), min_size=0, max_size=8
)


@st.composite
def atoms(draw: st.DrawFn) -> str:
    var = draw(st.sampled_from(VARIABLES))
    op = draw(st.sampled_from(OPS))
    value = draw(VALUE)
    quote = draw(st.sampled_from(["'", '"']))
    left, right = var, f"{quote}{value}{quote}"
    if draw(st.booleans()) and draw(st.booleans()):
        left, right = right, left
    return f"{left}{draw(SPACE)}{op}{draw(SPACE)}{right}"


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    joined = st.tuples(children, SPACE, st.sampled_from(["and", "or", "AND", "&&"]), SPACE, children)
    return st.one_of(
        joined.map(lambda t: f"{t[0]}{t[1] or ' '}{t[2]}{t[3] or ' '}{t[4]}"),
        st.tuples(SPACE, children, SPACE).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
    )


MARKERS = st.recursive(atoms(), _combine, max_leaves=6)


def _packaging_marker(text: str) -> Optional[str]:
    try:
        return str(Marker(text))
    except (InvalidMarker, ValueError):
        return None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # packaging on backslashed values
@settings(max_examples=1500, deadline=None)
@given(st.one_of(MARKERS, st.tuples(SPACE, MARKERS, SPACE).map("".join)))
@example("python_full_version < '3.11'")
@example("(platform_machine != 'aarch64' and sys_platform == 'linux') or sys_platform == 'darwin'")
@example("extra == 'Foo_Bar'")
@example("os_name=='a' and ((python_version<'3' or os_name=='a'))")
@example("((python_version<'3' or os_name=='a'))")
@example("python_version<'3'and os_name=='a'")
@example("python_version < '3' andos_name == 'a'")
def test_fast_marker_is_packaging_or_nothing(text: str) -> None:
    fast = fast_marker(text)
    expected = _packaging_marker(text)
    if fast is not None:
        assert fast == expected, text
    if expected is not None:
        assert normalize_marker(text) == expected
    else:
        with pytest.raises((InvalidMarker, ValueError)):
            normalize_marker(text)


CLAUSE_OPS = ["<", "<=", "==", "!=", ">=", ">", "~=", "===", "=", "=>"]
VERSIONS = st.from_regex(r"\A(v?[0-9]{1,3}(\.[0-9]{1,2}){0,3}(\.\*|rc1|\.post1|\+loc)?|x|)\Z")


@st.composite
def specifier_sets(draw: st.DrawFn) -> str:
    clauses = draw(
        st.lists(
            st.tuples(SPACE, st.sampled_from(CLAUSE_OPS), SPACE, VERSIONS, SPACE).map("".join),
            max_size=4,
        )
    )
    return draw(st.sampled_from([",", ", ", " ,", ",,"])).join(clauses)


def _packaging_specifier(text: str) -> Optional[str]:
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        return None


@settings(max_examples=1500, deadline=None)
@given(specifier_sets())
@example(">=3.10, <3.13")
@example("~=3")
@example("==3.11.*")
@example(">=3.9,>=3.9")
def test_fast_specifier_is_packaging_or_nothing(text: str) -> None:
    fast = fast_specifier(text)
    expected = _packaging_specifier(text)
    if fast is not None:
        assert fast == expected, text
    if expected is not None:
        assert normalize_specifier(text) == expected


def _packaging_requirement(text: str) -> Optional[tuple]:  # type: ignore[type-arg]
    """What chef.model.parse_requirement keeps, computed by packaging alone."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if req.url:
        return ("url",)
    return (
        canonicalize_name(req.name),
        tuple(sorted(canonicalize_name(e) for e in req.extras)),
        str(SpecifierSet(str(req.specifier))),
        str(Marker(str(req.marker))) if req.marker else None,
    )


NAMES = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?[-_.]?\Z")


@st.composite
def requirements(draw: st.DrawFn) -> str:
    text = draw(SPACE) + draw(NAMES) + draw(SPACE)
    if draw(st.booleans()):
        extras = draw(st.lists(NAMES, max_size=3))
        text += "[" + draw(SPACE) + (draw(SPACE) + "," + draw(SPACE)).join(extras) + "]"
        text += draw(SPACE)
    if draw(st.booleans()):
        spec = draw(specifier_sets())
        text += f"({spec})" if draw(st.booleans()) and draw(st.booleans()) else spec
    if draw(st.booleans()):
        text += draw(SPACE) + ";" + draw(SPACE) + draw(MARKERS)
    if draw(st.booleans()) and draw(st.booleans()):
        text += draw(st.sampled_from([" @ https://example.invalid/x.whl", "@", ";", "\n"]))
    return text + draw(SPACE)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=1500, deadline=None)
@given(requirements())
@example("Foo.Bar [x, Y] >= 1.0 , <2 ; python_version < '3.11'")
@example("hatchling")
@example("setuptools>=61.0")
@example("foo_>=1")
@example("foo[]")
@example("foo[A, a]")
@example("0<0,,<=0")
def test_fast_requirement_is_packaging_or_nothing(text: str) -> None:
    fast = fast_requirement(text)
    if fast is not None:
        assert fast == _packaging_requirement(text), text


@given(st.text(max_size=12))
def test_canonical_name_is_packagings(name: str) -> None:
    assert canonical_name(name) == canonicalize_name(name)


# ---------------------------------------------------------------- the real thing: the corpus

_LOCK_MARKER = re.compile(r"""marker(?:s)? = "((?:[^"\\]|\\.)*)\"""")


def _corpus_markers() -> Iterator[str]:
    for path in sorted(CORPUS.glob("**/uv.lock")):
        for match in _LOCK_MARKER.finditer(path.read_text(encoding="utf-8")):
            yield match.group(1).replace('\\"', '"')


def _corpus_requirements() -> List[str]:
    import tomllib  # type: ignore[import-not-found,unused-ignore]

    found: List[str] = []
    for path in sorted(CORPUS.glob("**/pyproject.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        project = data.get("project", {})
        found += [d for d in project.get("dependencies", []) if isinstance(d, str)]
        for items in project.get("optional-dependencies", {}).values():
            found += [d for d in items if isinstance(d, str)]
        for items in data.get("dependency-groups", {}).values():
            found += [d for d in items if isinstance(d, str)]
        found += data.get("build-system", {}).get("requires", [])
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_corpus_markers_and_requirements() -> None:
    import sys

    if sys.version_info < (3, 11):
        pytest.skip("reads the corpus with stdlib tomllib")
    markers = sorted(set(_corpus_markers()))
    requirements = sorted(set(_corpus_requirements()))
    assert len(markers) > 50 and len(requirements) > 200
    fast_hits = 0
    for text in markers:
        expected = _packaging_marker(text)
        fast = fast_marker(text)
        if fast is not None:
            fast_hits += 1
            assert fast == expected, text
        assert normalize_marker(text) == expected
    for text in requirements:
        fast_req = fast_requirement(text)
        if fast_req is not None:
            fast_hits += 1
            assert fast_req == _packaging_requirement(text), text
    # the point of the fast path: nearly every real marker and requirement takes it
    assert fast_hits > 0.9 * (len(markers) + len(requirements))
