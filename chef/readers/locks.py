"""Helpers shared by lockfile readers: stable keys for locked packages, the tags of their
wheels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple


def lock_files(directory: Path) -> List[str]:
    """The PEP 751 locks in `directory`: pylock.toml first, then named locks
    (`pylock.<name>.toml`) in name order. Here, not in chef.readers.pylock: detection lists them
    for every project, and importing the pylock reader (its marker module, packaging.version)
    cost a uv or poetry prepare ~1 ms of CPU (chef.detect)."""
    names = sorted(p.name for p in directory.glob("pylock.*.toml") if p.is_file())
    if (directory / "pylock.toml").is_file():
        names.insert(0, "pylock.toml")
    return names


# A wheel's tag triple as a recipe may hold it (chef.recipe checks it again on load).
WHEEL_TAG = re.compile(r"[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+")


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


def wheel_tags(files: Iterable[str]) -> Optional[Tuple[str, ...]]:
    """What a recipe records of a locked package's files, from their names (or URLs or paths;
    every file the lock lists for that version, sdists included).

    None when a wheel is pure Python for any Python 3 (`py3-none-any`, `py2.py3-none-any`): it
    installs on every platform, so there is nothing to record and the recipe of a pure-Python
    project keeps its bytes. Otherwise the sorted, distinct tags of the wheels a CPython on Linux
    can install (chef cooks Linux images for CPython: macOS, Windows, PyPy wheels are left out),
    each file's platforms reduced to the oldest C library per architecture, which is what
    decides where it installs (`...manylinux_2_17_aarch64.manylinux2014_aarch64` is recorded as
    `cp312-cp312-manylinux_2_17_aarch64`); () when there is no such wheel (an sdist only, or
    wheels for other systems only). The caller passes only a lock that lists the package's
    files: one without a file list records nothing (None).
    """
    found: Set[str] = set()
    for name in files:
        if not name.endswith(".whl"):
            name = name.partition("#")[0].partition("?")[0]
            if not name.endswith(".whl"):
                continue
        if name.endswith("-none-any.whl"):  # the common case first: one pure-Python wheel
            python = name[: -len("-none-any.whl")].rpartition("-")[2]
            if "py3" in python.split("."):
                return None
        elif "linux" not in name:
            continue
        end = len(name) - 4
        start = name.rfind("-", 0, name.rfind("-", 0, name.rfind("-", 0, end)))
        if start <= 0 or "-" not in name[name.rfind("/", 0, start) + 1 : start]:
            continue  # not a wheel's name (`name-version-python-abi-platform.whl`)
        triple = name[start + 1 : end]
        tag = _TAGS.get(triple)
        if tag is None:
            tag = _TAGS[triple] = _recorded(triple)
        if tag:
            found.add(tag)
    return tuple(sorted(found))


# Memo: a lock repeats a few dozen tag triples thousands of times.
_TAGS: Dict[str, str] = {}


def _recorded(triple: str) -> str:
    """What `wheel_tags` records of a wheel's tag triple ("" for nothing)."""
    parts = triple.split("-")
    if len(parts) != 3 or not parts[0].startswith(("cp", "py")):
        return ""  # not a CPython wheel
    platform = _oldest(parts[2]) if "." in parts[2] else parts[2]
    if "linux" not in platform and platform != "any":
        return ""
    tag = f"{parts[0]}-{parts[1]}-{platform}"
    return tag if WHEEL_TAG.fullmatch(tag) else ""

_LEGACY = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}


def _oldest(platforms: str) -> str:
    """A compressed platform tag set (`a.b.c`) reduced to its Linux tags, and of those with a C
    library version to the oldest per family and architecture, in PEP 600/656 spelling."""
    best: Dict[Tuple[str, str], Tuple[int, int]] = {}
    other: List[str] = []
    for item in platforms.split("."):
        if "linux" not in item:
            continue
        head, _, arch = item.partition("_")
        if head in _LEGACY:
            key, version = ("manylinux", arch), _LEGACY[head]
        elif head in ("manylinux", "musllinux"):
            major, _, rest = arch.partition("_")
            minor, _, arch = rest.partition("_")
            if not (major.isdigit() and minor.isdigit() and arch):
                other.append(item)
                continue
            key, version = (head, arch), (int(major), int(minor))
        else:
            other.append(item)
            continue
        if key not in best or version < best[key]:
            best[key] = version
    kept = [f"{family}_{v[0]}_{v[1]}_{arch}" for (family, arch), v in best.items()]
    return ".".join(sorted(kept + other))
