"""check_cookable's bulk check (tables._locked_good, by values.Bulk) says True only when every
locked package passes the value-by-value checks, and says it for the packages readers write (else
prepare would take the slow path for nothing); the rules name every field."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chef.model import Dep, LockedPackage, Source
from chef.recipe import values as v
from chef.recipe.tables import _DEP_RULES, _LOCKED_RULES, _check_locked, _locked_good


def _mostly(good: List[str], bad: List[str]) -> st.SearchStrategy[str]:
    """Good values, and now and then one of the bad ones: an example is then often bad in one
    field only, which only that field's check can tell."""
    return st.sampled_from(good * 12 + bad)


NAMES = _mostly(["a", "b-c", "d.e"], ["A", "-x", "a b", "é", "", "f\n", "g==1", "a..b"])
KEYS = _mostly(["a", "b-c", "a==1.0", "a==1.0@2"], ["A", "a==", "x y", "b==1\n"])
HASHES = _mostly(["sha256:ab01", "md5:FF", "sha512:0"],
                 ["sha256:", "sha1:xyz", "sha256:ab 01", "sha256:ab\n", "crc:00"])
MARKERS = _mostly(['os_name == "nt"', "extra == 'x'"], ["a\nb", "x\\y", "a -b", "c #d"])
VERSIONS = _mostly(["1.0", "2.0rc1"], ["1 0", "1\t0", "1.0\x7f", "1.0\u2028"])
TAGS = _mostly(["cp311-cp311-manylinux_2_17_x86_64", "py3-none-any"], ["bad tag", "a-b"])
URLS = _mostly(["https://h.invalid/a.whl", "${BASE}/a.whl", "git+https://h.invalid/r@abc"],
               ["ftp://x", "https://h.invalid/a b"])
DEPS = st.builds(
    Dep, name=NAMES,
    specifier=_mostly(["", ">=1"], [">=1\n", "<2 #x"]),
    extras=st.lists(NAMES, max_size=2).map(tuple),
    marker=st.one_of(st.none(), MARKERS),
    url=st.one_of(st.none(), URLS),
    key=st.one_of(st.none(), KEYS),
    hashes=st.lists(HASHES, max_size=2).map(tuple),
    groups=st.lists(NAMES, max_size=2).map(tuple),
    marker_extra=st.one_of(st.none(), NAMES),
)
EDGES = st.lists(DEPS, max_size=3).map(tuple)
LOCKED = st.builds(
    LockedPackage, name=NAMES, version=VERSIONS,
    source=st.builds(Source, kind=_mostly(["registry", "git", "url"], ["svn"]),
                     url=st.one_of(st.none(), URLS, _mostly(["flat"], ["../flat"]))),
    hashes=st.lists(HASHES, max_size=3).map(tuple),
    dependencies=EDGES,
    extras=st.lists(st.tuples(NAMES, EDGES), max_size=2).map(tuple),
    key=KEYS,
    wheels=st.one_of(st.none(), st.lists(TAGS, max_size=2).map(tuple)),
)


def _each_passes(packages: List[LockedPackage]) -> bool:
    try:
        for package in packages:
            _check_locked(package)
    except v.Invalid:
        return False
    return True


@settings(max_examples=1500, deadline=None)
@given(st.lists(LOCKED, max_size=3))
def test_the_bulk_check_is_the_value_by_value_checks_verdict(packages: List[LockedPackage]) -> None:
    assert _locked_good(packages) == _each_passes(packages)


@pytest.mark.parametrize("hashes", [
    ("sha256:ab", "sha256:cd"),
    ("sha256:ab sha256:cd",),  # one value holding a space: not two good hashes
    ("sha256:ab", "sha256:cd "),
    ("sha256:ab\n",),
])
def test_hashes_in_bulk(hashes: tuple) -> None:  # type: ignore[type-arg]
    package = LockedPackage(name="a", version="1", source=Source("registry"), hashes=hashes,
                            key="a")
    assert _locked_good([package]) == _each_passes([package])


def _good() -> LockedPackage:
    dep = Dep(name="b", specifier=">=1", extras=("x",), marker='os_name == "nt"',
              url="https://h.invalid/b.whl", key="b==1.0", hashes=("sha256:00",), groups=("g",),
              marker_extra="y")
    return LockedPackage(name="a", version="1.0", source=Source("url", "https://h.invalid/a"),
                         hashes=("sha256:11", "md5:22"), dependencies=(dep,),
                         extras=(("z", (dep,)),), key="a",
                         wheels=("cp311-cp311-manylinux_2_17_x86_64",))


# One bad value at a time, in every place `_check_locked` looks.
BAD_PACKAGE = [("name", "A"), ("key", "a b"), ("version", "1 0"), ("hashes", ("sha1:xyz",)),
               ("hashes", ("sha256:11 sha256:22",)), ("wheels", ("bad tag",)),
               ("source", Source("svn", "x")), ("source", Source("registry", "../flat")),
               ("extras", (("Z", ()),))]
BAD_DEP = [("name", "-b"), ("specifier", ">=1\n"), ("extras", ("X",)), ("marker", "a\nb"),
           ("url", "ftp://h.invalid/b"), ("key", "b=="), ("hashes", ("sha256:",)),
           ("groups", ("G",)), ("marker_extra", "Y")]


def test_a_good_package_is_all_good() -> None:
    assert _each_passes([_good()]) and _locked_good([_good()])


@pytest.mark.parametrize("field, bad", BAD_PACKAGE)
def test_a_bad_package_value_is_seen(field: str, bad: object) -> None:
    package = _good()
    setattr(package, field, bad)
    assert not _each_passes([package])
    assert not _locked_good([package])


@pytest.mark.parametrize("field, bad", BAD_DEP)
@pytest.mark.parametrize("where", ["dependencies", "extras"])
def test_a_bad_edge_value_is_seen(field: str, bad: object, where: str) -> None:
    package = _good()
    dep = package.dependencies[0]
    edge = Dep(**{f: getattr(dep, f) for f in Dep.__slots__})
    setattr(edge, field, bad)
    if where == "dependencies":
        package.dependencies = (edge,)
        package.extras = ()
    else:
        package.extras = (("z", (edge,)),)
    assert not _each_passes([package])
    assert not _locked_good([package])


def test_the_rules_name_every_field() -> None:
    """A new field of Dep or LockedPackage needs its rule (its edges are checked as Deps)."""
    assert [rule[0] for rule in _DEP_RULES] == [
        "name", "key", "marker", "specifier", "url", "marker_extra", "extras", "hashes", "groups"]
    assert {rule[0] for rule in _DEP_RULES} == set(Dep.__slots__)
    assert {rule[0] for rule in _LOCKED_RULES} | {"dependencies", "extras"} == set(
        LockedPackage.__slots__)


def test_the_first_bad_value_is_named_as_before() -> None:
    """The value-by-value check reports the first bad field in the rules' order."""
    package = _good()
    package.name, package.version = "A", "1 0"
    with pytest.raises(v.Invalid) as caught:
        _check_locked(package)
    assert caught.value.where == "name"
    package = _good()
    package.dependencies = (Dep(name="b", key="b==", extras=("X",)),)
    with pytest.raises(v.Invalid) as caught:
        _check_locked(package)
    assert caught.value.where == "dependencies[0].key"
    package = _good()
    package.hashes = ("sha256:11", "sha1:x")
    with pytest.raises(v.Invalid) as caught:
        _check_locked(package)
    assert caught.value.where == "hashes[1]"


def test_a_readers_lock_takes_the_bulk_path(tmp_path: Path) -> None:
    """The packages a reader writes (bench/synth's uv.lock: markers, extras, forks, wheels) pass
    in bulk: prepare does not fall back to the value-by-value checks for nothing."""
    import synth

    from chef.prepare import prepare

    recipe = prepare(synth.write_uv_project(tmp_path / "uv", 120)).recipe
    assert recipe.locked and _locked_good(list(recipe.locked.values()))


def test_a_value_of_the_wrong_type_sends_the_bulk_check_to_the_slow_path() -> None:
    """A model value that is not a string (a reader's bug) is not good in bulk, whether or not a
    set could hold it; the value-by-value checks then report or refuse it."""
    for field, bad in (("name", ["a"]), ("hashes", (["sha256:00"],)), ("version", 1)):
        package = _good()
        setattr(package, field, bad)
        assert not _locked_good([package])
