"""Normalized PEP 508 names, markers and specifiers.

Markers and specifiers are parsed by `packaging` only (never by regex), imported on first use so
that commands which never meet one do not pay for the import, and cached per distinct text: a
lockfile repeats the same few markers thousands of times.
"""

from __future__ import annotations

from functools import lru_cache


def canonical_name(name: str) -> str:
    """PEP 503 normalization (`packaging.utils.canonicalize_name`): runs of `-_.` become `-`,
    lowercase. Plain string operations; packaging.utils would import packaging.tags."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


@lru_cache(maxsize=4096)
def normalize_marker(text: str) -> str:
    """`str(Marker(text))`; raises packaging's InvalidMarker on bad input."""
    from packaging.markers import Marker

    return str(Marker(text))


@lru_cache(maxsize=4096)
def normalize_specifier(text: str) -> str:
    """`str(SpecifierSet(text))`; raises packaging's InvalidSpecifier on bad input."""
    from packaging.specifiers import SpecifierSet

    return str(SpecifierSet(text))
