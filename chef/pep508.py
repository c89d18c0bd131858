"""Normalized PEP 508 names, markers and specifiers.

Markers and specifiers are parsed by `packaging` only (never by regex), imported on first use so
that commands which never meet one do not pay for the import, and cached per distinct text: a
lockfile repeats the same few markers thousands of times.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict


def canonical_name(name: str) -> str:
    """PEP 503 normalization (`packaging.utils.canonicalize_name`): runs of `-_.` become `-`,
    lowercase. Plain string operations; packaging.utils would import packaging.tags.

    Memoized: a prepare normalizes each locked name three or four times (the reader, the
    freshness check, the recipe's checks): ~4,800 calls for 1500 packages, ~1 ms less."""
    value = _CANONICAL.get(name)
    if value is None:
        value = name.lower().replace("_", "-").replace(".", "-")
        while "--" in value:
            value = value.replace("--", "-")
        if len(_CANONICAL) >= _CANONICAL_SIZE:  # a long-lived caller's: bounded
            _CANONICAL.clear()
        _CANONICAL[name] = value
    return value


_CANONICAL: Dict[str, str] = {}
_CANONICAL_SIZE = 65536


@lru_cache(maxsize=4096)
def normalize_marker(text: str) -> str:
    """`str(Marker(text))`; raises packaging's InvalidMarker on bad input (parentheses nested
    too deeply too: older packaging, as chef.pyz bundles for Python 3.9, hits the recursion
    limit there)."""
    from packaging.markers import InvalidMarker, Marker

    try:
        return str(Marker(text))
    except RecursionError:
        raise InvalidMarker("parentheses nested too deeply") from None


@lru_cache(maxsize=4096)
def normalize_specifier(text: str) -> str:
    """`str(SpecifierSet(text))`; raises packaging's InvalidSpecifier on bad input."""
    from packaging.specifiers import SpecifierSet

    return str(SpecifierSet(text))


def one_line(exc: BaseException) -> str:
    """packaging's parse error on one line: its multi-line caret diagram

        Expected semicolon (after name with no version specifier) or end
            a >= = 1
                  ^

    becomes `Expected semicolon (...) or end, at column 6: "= 1"`, which survives chef's
    one-line errors instead of being squashed into `end     a >= = 1       ^`."""
    lines = str(exc).splitlines()
    if len(lines) < 3 or lines[-1].strip() != "^":
        return " ".join(part.strip() for part in lines if part.strip())
    message, text, caret = lines[0], lines[-2], lines[-1]
    indent = len(text) - len(text.lstrip())
    column = caret.index("^") - indent
    source = text[indent:]
    rest = source[column:].strip()
    where = f'"{rest}"' if rest else "the end"
    return f"{message.rstrip('.')}, at column {column + 1}: {where}"


def valid_version(text: str) -> bool:
    """Is `text` a PEP 440 version? Plain releases ("1.2.3", nearly every locked version) are
    checked with string operations; anything else by `packaging.version.Version`."""
    if text and text[0] != "." and text[-1] != "." and ".." not in text \
            and text.replace(".", "").isdigit() and text.isascii():
        return True
    return _packaging_version(text)


@lru_cache(maxsize=1024)
def _packaging_version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    if not text or text != text.strip() or any(ord(c) < 32 for c in text):
        return False
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


@lru_cache(maxsize=1024)
def marker_variables(text: str) -> frozenset[str]:
    """The environment variables a (valid) marker reads, from the tree packaging parsed."""
    from chef import markertree

    return markertree.variables(markertree.parse(text))
