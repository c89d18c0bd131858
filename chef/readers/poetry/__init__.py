"""Poetry: `[tool.poetry]` (and poetry 2's PEP 621 `[project]` mix) plus poetry.lock 1.x/2.x.

Two ways to read a lock, the same two Poetry itself uses:
- lock-version 2.1 records, per package, the groups it belongs to and the marker (per group) that
  decides it. Poetry installs and exports from that list without walking anything, so chef reads
  it as a flat lock (chef.readers.flat): exact by construction.
- older locks (1.1, 2.0) have no such data; Poetry walks the dependency constraints from the
  project's requirements, choosing among locked versions of a name by constraint and by the
  Python range each version supports. chef does that walk once here, statically, and records the
  chosen version on every edge (several edges with Python markers when the choice depends on the
  interpreter), so the recipe is a plain graph.

Versions of the root and of path dependencies are never recorded (they are local packages).

Three modules, one job each: `constraints` (Poetry's caret/tilde/wildcard/`||` constraints and
`python`/`platform` keys as PEP 440/508), `manifest` (pyproject.toml, and the project without a
lock) and `lock` (poetry.lock). This package keeps the names other modules import.
"""

from __future__ import annotations

from chef.readers.poetry.constraints import (
    allows,
    constraint_sets,
    python_marker,
    requires_python_of,
    single_specifier,
)
from chef.readers.poetry.lock import MAIN, read
from chef.readers.poetry.manifest import (
    POETRY_BACKENDS,
    BuiltRequirements,
    Manifest,
    PoetryDep,
    built_requirements,
    parse_spec,
    read_manifest,
    read_manifest_project,
)

__all__ = [
    "MAIN",
    "POETRY_BACKENDS",
    "BuiltRequirements",
    "Manifest",
    "PoetryDep",
    "allows",
    "built_requirements",
    "constraint_sets",
    "parse_spec",
    "python_marker",
    "read",
    "read_manifest",
    "read_manifest_project",
    "requires_python_of",
    "single_specifier",
]
