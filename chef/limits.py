"""Caps on what `chef prepare` expands, and counters of the work it did.

Every structure prepare expands (requirements includes, PEP 735 include-group, extras that
require their own package, chains of local packages, workspace member patterns) is expanded once
per node, so the work grows polynomially with the input; the caps below refuse, with an error
that names them, what no real project comes near. The counters are read by tests
(tests/badinput/test_blowup.py) that check the work done, not the time taken.
"""

from __future__ import annotations

from typing import Dict

# (local package, extra or group, path marker) states selection.flatten may expand.
MAX_FLATTEN_STATES = 20_000
# Directories the workspace member patterns of one project may look into.
MAX_GLOB_DIRECTORIES = 20_000

WORK: Dict[str, int] = {}


def count(name: str, amount: int = 1) -> None:
    WORK[name] = WORK.get(name, 0) + amount


def reset() -> None:
    WORK.clear()
