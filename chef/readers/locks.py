"""Helpers shared by lockfile readers: stable keys for locked packages."""

from __future__ import annotations

from typing import Dict, List, Tuple


def assign_keys(entries: List[Tuple[str, str, str]]) -> Dict[Tuple[str, str, str], str]:
    """Map (name, version, source id) to a recipe key.

    The key is the bare name when the lock holds one version of that name (the common case, and
    the most readable), `name==version` when it holds several, and `name==version@N` when even
    versions repeat (same version from two sources; N counts in sorted source order).
    """
    by_name: Dict[str, List[Tuple[str, str, str]]] = {}
    for entry in entries:
        by_name.setdefault(entry[0], []).append(entry)
    keys: Dict[Tuple[str, str, str], str] = {}
    for name, group in by_name.items():
        if len(group) == 1:
            keys[group[0]] = name
            continue
        by_version: Dict[str, List[Tuple[str, str, str]]] = {}
        for entry in group:
            by_version.setdefault(entry[1], []).append(entry)
        for version, same in by_version.items():
            if len(same) == 1:
                keys[same[0]] = f"{name}=={version}"
            else:
                for n, entry in enumerate(sorted(same, key=lambda e: e[2])):
                    keys[entry] = f"{name}=={version}@{n}"
    return keys
