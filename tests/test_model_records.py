"""The model's records are plain classes (issue 21 item 7: a dataclass costs time at every
prepare's start): they must still compare, hash, print and copy as the frozen dataclasses did."""

from __future__ import annotations

import dataclasses

import pytest

from chef.detect import Candidate, Reader
from chef.model import Dep, IndexConfig, LocalPackage, LockedPackage, Source, replace
from chef.select import Selection


def test_equal_values_are_equal_and_hash_alike() -> None:
    a = Dep(name="a", marker="python_version >= '3.9'", key="a==1")
    b = Dep("a", "", (), "python_version >= '3.9'", None, "a==1")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != replace(a, marker_extra="x") and a != replace(a, hashes=("sha256:00",))
    assert Source("registry") == Source("registry", None) != Source("registry", "u")
    assert LocalPackage("p", ".") == LocalPackage(name="p", path=".", installable=True)
    assert IndexConfig() == IndexConfig(None, (), (), False, False) != IndexConfig(pre=True)
    assert Selection(extras=("x",)) == Selection(("x",)) != Selection()
    # another class with the same values is not equal (as dataclasses compare)
    assert Dep("a") != Selection() and Dep("a") != ("a", "", (), None, None, None, (), (), None)


def test_repr_is_a_dataclass_repr() -> None:
    assert repr(Source("git", "u")) == "Source(kind='git', url='u')"
    reader = Reader("uv", "m:f", ("uv.lock",), "d", "e")
    assert repr(Candidate(reader, "uv.lock")).startswith("Candidate(reader=Reader(name='uv', ")
    fields = ("name", "specifier", "extras", "marker", "url", "key", "hashes", "groups",
              "marker_extra")
    twin = dataclasses.make_dataclass("Dep", fields, frozen=True)
    values = ("a", ">=1", ("x",), None, None, "a==1", (), (), None)
    assert repr(Dep(*values)) == repr(twin(*values))  # type: ignore[arg-type]


def test_replace_copies_with_changes_only() -> None:
    package = LockedPackage("a", "1", Source("registry"), hashes=("sha256:00",), key="a==1")
    copy = replace(package, dependencies=(Dep("b", key="b==2"),))
    assert copy is not package and copy.dependencies == (Dep("b", key="b==2"),)
    assert (copy.name, copy.version, copy.source, copy.hashes, copy.key, copy.wheels) == (
        "a", "1", Source("registry"), ("sha256:00",), "a==1", None)
    assert package.dependencies == ()  # the original is left as it was
    with pytest.raises(TypeError, match="no field 'nmae'"):
        replace(package, nmae="b")


def test_replace_still_copies_a_dataclass() -> None:
    @dataclasses.dataclass(frozen=True)
    class Pair:
        a: int
        b: int = 0

    assert replace(Pair(1, 2), b=3) == Pair(1, 3)


def test_ordering_is_by_name_then_the_fields() -> None:
    deps = [Dep("b"), Dep("a", marker="os_name == 'nt'"), Dep("a")]
    assert sorted(deps) == [Dep("a"), Dep("a", marker="os_name == 'nt'"), Dep("b")]
