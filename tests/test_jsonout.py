"""chef.jsonout: canonical text that parses back to the same data, in the one-entry-per-line layout."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chef.jsonout import dumps

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True),  # not in recipes: handed to json.dumps
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=4), children, max_size=4),
        st.dictionaries(st.integers(), children, max_size=2),  # non-string keys: handed over
    ),
    max_leaves=20,
)


def _compact(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _reference(data: Any) -> str:
    """The layout spelled out plainly: top-level keys one per line, arrays of containers one
    element per line, everything else compact."""
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) for k in data):
        return _compact(data)
    lines = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (dict, list, tuple)) for v in value
        ):
            inner = ",\n".join("    " + _compact(v) for v in value)
            lines.append(f"  {_compact(key)}: [\n{inner}\n  ]")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


@settings(max_examples=1500, deadline=None)
@given(DATA)
@example({"a": [], "b": {}, "c": ["x", "y"], "d": [{"é\n\"\\": None}], "e": [1, True, False]})
@example({"locked": [{"name": "a", "deps": [{"name": "b"}]}, {"name": "c"}], "format": 1})
def test_layout_and_round_trip(data: Any) -> None:
    text = dumps(data)
    assert text == _reference(data)
    if isinstance(data, dict) and all(isinstance(k, str) for k in data):
        # Parses back to the same data (compared as JSON text: NaN never equals itself).
        again = json.loads(json.dumps(data, sort_keys=True))  # what JSON makes of int keys, tuples
        assert json.dumps(json.loads(text), sort_keys=True) == json.dumps(again, sort_keys=True)


def test_one_locked_package_per_line() -> None:
    data = {"format": 1, "locked": [{"name": "a", "version": "1"}, {"name": "b", "version": "2"}]}
    assert dumps(data) == (
        '{\n  "format": 1,\n  "locked": [\n'
        '    {"name": "a", "version": "1"},\n'
        '    {"name": "b", "version": "2"}\n  ]\n}'
    )
