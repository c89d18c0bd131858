"""chef.pep508: names normalized as PEP 503 says; markers and specifiers exactly as packaging
formats them (packaging does the parsing, chef caches it)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from chef.pep508 import canonical_name, normalize_marker, normalize_specifier


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aAzZ09-_.", min_size=1, max_size=20))
def test_canonical_name_is_pep503(name: str) -> None:
    assert canonical_name(name) == canonicalize_name(name)


@pytest.mark.parametrize("text", ["python_version<'3.11'", "os_name=='nt' and (extra=='X' or sys_platform == \"linux\")"])
def test_marker_is_packagings(text: str) -> None:
    assert normalize_marker(text) == str(Marker(text))


@pytest.mark.parametrize("text", [">=3.10, <3.13", "==3.11.*", "~=2.1"])
def test_specifier_is_packagings(text: str) -> None:
    assert normalize_specifier(text) == str(SpecifierSet(text))


def test_errors_are_packagings() -> None:
    with pytest.raises(InvalidMarker):
        normalize_marker("python_version <")
    with pytest.raises(InvalidSpecifier):
        normalize_specifier("~=3")


def test_canonical_name_memo_is_bounded_and_gives_the_same_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chef import pep508

    monkeypatch.setattr(pep508, "_CANONICAL", {})
    monkeypatch.setattr(pep508, "_CANONICAL_SIZE", 3)
    names = ["A_b", "c..D", "e-_-F", "A_b", "G", "h.I", "c..D"]
    assert [canonical_name(n) for n in names] == [canonicalize_name(n) for n in names]
    assert 0 < len(pep508._CANONICAL) <= 3
