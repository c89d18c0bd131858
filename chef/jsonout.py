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

from typing import Any, Callable, Dict, List, Optional

# CPython's C encoder, taken from `_json` itself: `import json` would also load json.decoder and
# json.scanner (~1 ms of every prepare, which reads no JSON). `encode_string` is the escaper
# json.encoder uses without ensure_ascii (chef.recipe.tables writes strings with it).
_escape: Any
_make_encoder: Any
try:
    from _json import encode_basestring as _escape
    from _json import make_encoder as _make_encoder
except ImportError:  # pragma: no cover (an interpreter without the accelerator)
    from json.encoder import encode_basestring as _escape

    _make_encoder = None
encode_string: Callable[[str], str] = _escape


def _default(value: Any) -> Any:
    """As json.JSONEncoder.default: nothing beyond JSON's own types is written."""
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_compact: Callable[[Any], str]
if _make_encoder is not None:
    # The C encoder itself, made once: `JSONEncoder.encode` makes a new one on every call (one
    # per locked package here), ~1 us of its ~5. The arguments are those `iterencode` passes it
    # (the same in CPython 3.6-3.13), without the cycle check: a recipe's data is a tree built
    # for this call.
    _C_ENCODE = _make_encoder(None, _default, _escape, None, ": ", ", ", True, False, True)

    def _c_compact(value: Any) -> str:
        return "".join(_C_ENCODE(value, 0))

    _compact = _c_compact
else:  # pragma: no cover
    import json

    _compact = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode


_CONTAINERS = (dict, list, tuple)


def _entry(value: Any) -> str:
    if isinstance(value, (list, tuple)) and value and all(
        isinstance(v, _CONTAINERS) for v in value
    ):
        return "[\n    " + ",\n    ".join([_compact(v) for v in value]) + "\n  ]"
    return _compact(value)


def dumps(data: Any, lines: Optional[Dict[str, List[str]]] = None, end: str = "") -> str:
    """The canonical JSON text of `data`, then `end`. `lines`: more top-level keys, each an array
    of objects given as their compact canonical text already (one per line, as chef.recipe.tables
    writes a recipe's edges and locked packages). The text is joined once: a 1500-package recipe
    is ~0.6 MB, and each extra copy of it costs page faults."""
    written = lines or {}
    if not written and (not isinstance(data, dict) or not data
                        or not all(isinstance(k, str) for k in data)):
        return _compact(data) + end
    parts = ["{\n"]
    for key in sorted({**data, **written}):
        parts.append("  " + _compact(key) + ": ")
        items = written.get(key)
        if items is None:
            parts.append(_entry(data[key]))
        elif items:
            parts.append("[\n    ")
            for item in items:
                parts.append(item)
                parts.append(",\n    ")
            parts[-1] = "\n  ]"
        else:
            parts.append("[]")
        parts.append(",\n")
    parts[-1] = "\n}" + end
    return "".join(parts)
