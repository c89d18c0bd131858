"""Canonical JSON text for recipes: sorted keys, one entry per line, written by the C encoder.

Layout: the top-level object has one key per line; an array of objects or arrays under it has one
element per line; everything else is compact (`", "` and `": "` separators). So a locked package
is one line, and a version bump or a new package is a one-line difference in any diff tool.

Why not `json.dumps(indent=2)`: with an indent the stdlib encoder runs in pure Python generators
(its C accelerator only writes without newlines); a 1500-package recipe spent 10-15 ms there, the
C encoder writes this layout in 5. tests/test_jsonout.py checks the text parses back to the same
data and keeps this layout.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
_compact = _ENCODER.encode


_CONTAINERS = (dict, list, tuple)


def _entry(value: Any) -> str:
    if isinstance(value, (list, tuple)) and value and all(
        isinstance(v, _CONTAINERS) for v in value
    ):
        return "[\n    " + ",\n    ".join([_compact(v) for v in value]) + "\n  ]"
    return _compact(value)


def dumps(data: Any) -> str:
    """The canonical JSON text of `data`, without the trailing newline."""
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) for k in data):
        return _compact(data)
    return "{\n" + ",\n".join(
        "  " + _compact(key) + ": " + _entry(data[key]) for key in sorted(data)
    ) + "\n}"
