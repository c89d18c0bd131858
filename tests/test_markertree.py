"""chef.markertree: the one reader of packaging's private marker tree."""

from __future__ import annotations

import packaging
import pytest
from packaging.markers import InvalidMarker, Marker

from chef import markertree


def test_packaging_parses_markers_into_the_tree_chef_reads() -> None:
    # Fails with "packaging X.Y parses markers into a tree chef does not know: ..." when a
    # packaging release changes its private tree: update chef/markertree.py for it.
    markertree.check_shape()


def test_a_changed_tree_is_an_error_naming_packagings_version() -> None:
    class Renamed:  # a Marker whose tree moved elsewhere
        pass

    class Flat:  # a Marker whose atoms are no longer (Variable, Op, Value) triples
        _markers = [("python_version", ">=", "3.9")]

    for marker in (Renamed(), Flat()):
        with pytest.raises(markertree.MarkerTreeChanged) as caught:
            markertree.tree(marker)  # type: ignore[arg-type]
        assert f"packaging {packaging.__version__} " in str(caught.value)
        assert "chef.markertree" in str(caught.value)


def test_atoms_variables_and_text() -> None:
    tree = markertree.parse("os_name == 'nt' and (extra == 'b' or 'dev' in dependency_groups)")
    assert isinstance(tree[0], markertree.Atom) and tree[1] == "and"
    assert isinstance(tree[2], tuple) and tree[2][1] == "or"
    found = [(a.lhs.value, a.op, a.rhs.value, a.text()) for a in markertree.atoms(tree)]
    assert found == [
        ("os_name", "==", "nt", 'os_name == "nt"'),
        ("extra", "==", "b", 'extra == "b"'),
        ("dev", "in", "dependency_groups", '"dev" in dependency_groups'),
    ]
    assert markertree.variables(tree) == {"os_name", "extra", "dependency_groups"}
    # an atom's text is a marker packaging reads back to the same atom
    for atom in markertree.atoms(tree):
        assert str(Marker(atom.text())) == str(Marker(atom.text().replace('"', "'")))


def test_variables_on_both_sides_and_invalid_markers() -> None:
    assert markertree.variables(markertree.parse("python_version < python_full_version")) == {
        "python_version", "python_full_version"}
    with pytest.raises(InvalidMarker):
        markertree.parse("python_version >=")
