"""The recipe's text as chef.recipe.tables writes it: canonical JSON (what chef.jsonout writes of
the same data), every field of the repeated tables written, read back to the same recipe."""

from __future__ import annotations

import json
from typing import Optional, Tuple

from hypothesis import given, settings
from hypothesis import strategies as st

from chef.model import Dep, IndexConfig, LockedPackage, Recipe, Source, replace
from chef.recipe import canonical_json, dumps, loads, to_data

# Any text, JSON's escapes included: quotes, backslashes, control characters, non-ASCII.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
TEXTS = st.lists(TEXT, max_size=3).map(tuple)
MAYBE = st.one_of(st.none(), TEXT)

DEPS = st.builds(
    Dep, name=TEXT, specifier=TEXT, extras=TEXTS, marker=MAYBE, url=MAYBE, key=MAYBE,
    hashes=TEXTS, groups=TEXTS, marker_extra=MAYBE,
)


def _shared(deps: Tuple[Dep, ...]) -> Tuple[Dep, ...]:
    return deps + deps[:1]  # the same Dep object twice, as readers share one between packages


EDGES = st.lists(DEPS, max_size=3).map(tuple).map(_shared)
LOCKED = st.builds(
    LockedPackage,
    name=TEXT,
    version=TEXT,
    source=st.builds(Source, kind=st.sampled_from(["registry", "git", "url"]), url=MAYBE),
    hashes=TEXTS,
    dependencies=EDGES,
    # a repeated extra name too: written once, with its last list (as a JSON object keeps it)
    extras=st.lists(st.tuples(st.sampled_from(["a", "b", "é", 'q"']), EDGES), max_size=3)
    .map(tuple),
    key=TEXT,
    wheels=st.one_of(st.none(), TEXTS),
)


def _recipe(locked: Optional[Tuple[LockedPackage, ...]], roots: Tuple[Dep, ...] = (),
            build_constraints: Tuple[Dep, ...] = ()) -> Recipe:
    return Recipe(
        manager="uv", extras=(), groups=(), packages=(), requires_python=None,
        index=IndexConfig(), local_packages={}, roots=list(roots), constraints=list(roots[:1]),
        locked=None if locked is None else {p.key: p for p in locked},
        build_constraints=list(build_constraints),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(LOCKED, max_size=4), EDGES, st.lists(DEPS, max_size=2).map(tuple))
def test_the_text_is_canonical_json(packages: list, roots: tuple,  # type: ignore[type-arg]
                                    constraints: tuple) -> None:  # type: ignore[type-arg]
    """Keys in sorted order, the top level and its arrays of objects one entry per line, strings
    escaped as the C encoder escapes them: the bytes chef.jsonout writes of the decoded text."""
    text = dumps(_recipe(tuple(packages), roots, constraints))
    assert text == canonical_json(json.loads(text))


def test_no_locked_packages_and_no_lock() -> None:
    assert '"locked": []' in dumps(_recipe(()))
    assert '"locked": null' in dumps(_recipe(None))
    for recipe in (_recipe(()), _recipe(None)):
        text = dumps(recipe)
        assert text == canonical_json(json.loads(text)) == canonical_json(to_data(recipe))
        assert '"build_constraints"' not in text  # omitted when empty


def test_every_field_is_written_and_read_back() -> None:
    """A field added to Dep, LockedPackage or Source must be written by its `_dump_X` too: every
    field set, every key in the text, and the text loads back to the same recipe."""
    dep = Dep(name="a", specifier=">=1", extras=("x",), marker='os_name == "nt"', url=None,
              key="a==1", hashes=("sha256:00",), groups=("g",), marker_extra="e")
    url_dep = Dep(name="u", url="https://h.invalid/u.whl", key="u")  # key = name: left out
    same_key = Dep(name="b", key="b")
    packages = (
        LockedPackage(name="a", version="1", source=Source("url", "https://h.invalid/a.whl"),
                      hashes=("sha256:11",), dependencies=(dep, same_key),
                      extras=(("x", (dep,)),), key="a==1", wheels=("cp311-cp311-linux_x86_64",)),
        LockedPackage(name="b", version="2", source=Source("registry"), key="b"),
        LockedPackage(name="u", version="3", source=Source("registry"), key="u", wheels=()),
    )
    assert set(Dep.__slots__) == {"name", "specifier", "extras", "marker", "url", "key",
                                  "hashes", "groups", "marker_extra"}
    assert set(LockedPackage.__slots__) == {"name", "version", "source", "hashes",
                                            "dependencies", "extras", "key", "wheels"}
    assert set(Source.__slots__) == {"kind", "url"}
    recipe = _recipe(packages, roots=(url_dep, Dep(name="b", key="b")))
    text = dumps(recipe)
    line = next(x for x in text.splitlines() if '"key": "a==1", "name": "a"' in x)
    for field in Dep.__slots__ + LockedPackage.__slots__ + Source.__slots__:
        assert f'"{field}": ' in line, field
    assert '"url": "https://h.invalid/u.whl"' in text
    back = loads(text)
    assert back.locked is not None and set(back.locked) == {"a==1", "b", "u"}
    assert back.locked["a==1"] == replace(packages[0], dependencies=(dep, Dep(name="b")))
    assert back.locked["u"] == packages[2]
    assert back.roots == [Dep(name="b"), replace(url_dep, key=None)]  # a key = its name: left out
    assert dumps(back) == text


def test_a_shared_edge_is_written_the_same_everywhere() -> None:
    """Edges are written once per distinct Dep object (by identity): equal edges held as
    different objects, and one object held twice, give the same text."""
    one = Dep(name="c", marker='python_version < "3.12"', key="c")
    packages = tuple(
        LockedPackage(name=n, version="1", source=Source("registry"), key=n,
                      dependencies=deps)
        for n, deps in (("a", (one,)), ("b", (one,)),
                        ("d", (Dep(name="c", marker='python_version < "3.12"', key="c"),)))
    ) + (LockedPackage(name="c", version="1", source=Source("registry"), key="c"),)
    data = json.loads(dumps(_recipe(packages)))
    deps = [p["dependencies"] for p in data["locked"] if p["name"] in "abd"]
    assert deps == [[{"marker": 'python_version < "3.12"', "name": "c"}]] * 3
