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
from typing import Any, Callable

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
_compact: Callable[[Any], str] = _ENCODER.encode
# The C encoder itself, made once: `JSONEncoder.encode` makes a new one on every call (one per
# locked package here), ~1 us of its ~5. The arguments are those `iterencode` passes it (the same
# in CPython 3.6-3.13), without the cycle check: a recipe's data is a tree built for this call.
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
if _C_ENCODER is not None:
    _C_ENCODE = _C_ENCODER(None, _ENCODER.default, json.encoder.encode_basestring, None, ": ",
                           ", ", True, False, True)

    def _c_compact(value: Any) -> str:
        return "".join(_C_ENCODE(value, 0))

    _compact = _c_compact


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
