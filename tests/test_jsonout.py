"""chef.jsonout writes exactly what json.dumps(sort_keys=True, indent=2, ensure_ascii=False) does."""

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


def _reference(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


@settings(max_examples=1500, deadline=None)
@given(DATA)
@example({"a": [], "b": {}, "c": ["x", "y"], "d": [{"é\n\"\\": None}], "e": [1, True, False]})
def test_same_text_as_json_dumps(data: Any) -> None:
    assert dumps(data) == _reference(data)
