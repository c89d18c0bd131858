"""Is the lock still the lock of this manifest? Each manager's own freshness check, reproduced.

A lock that no longer matches its manifest is a false cache hit waiting to happen: a commit adds a
dependency to pyproject.toml without re-locking, and a tool that trusts the lock ships an image
without it. `chef prepare` refuses such a lock (StaleLockError, naming what differs and the command
that re-locks) unless `--frozen` says to take the lock as it is.

Each check is the manager's own, so chef agrees with `uv lock --check`, `poetry check --lock`,
`pdm lock --check` and `pipenv verify`:

- uv: the root's and members' requirements recorded in uv.lock (`[package.metadata]`
  requires-dist, requires-dev, provides-extras; `[manifest]` members, constraints, overrides,
  build constraints, excludes, dependency groups) against their pyproject.toml, lowered through
  `[tool.uv.sources]` as uv lowers them, and the workspace's requires-python. Compared as uv
  compares them: by meaning (markers over sample environments, specifiers by the versions they
  accept), not by spelling. Only differences chef reproduces exactly are refused; what depends
  on rules chef cannot be sure the writing uv shares (local and workspace sources, dynamic
  metadata, uv settings it does not model) is a warning naming both values.
- poetry: `[metadata] content-hash`, the sha256 of the relevant pyproject sections (per the Poetry
  version that wrote the lock: before 2.3 it did not cover `[dependency-groups]`).
- pdm: `[metadata] content_hash` ("sha256:..."), pdm's hash of the relevant pyproject content
  (and of each workspace member's).
- pipenv: `_meta.hash.sha256` of the Pipfile's normalized JSON (plette's algorithm; pipenv 2025+
  canonicalizes package names first, both are accepted).

One module per manager (uv, poetry, pdm, pipenv; uv's a package: lower, compare, verdict), each
imported only when its lock is checked.
Files are read through a `Files` object (by default `chef.toml`, which parses each file once per
process, so the reader's parse is reused here for free).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

from chef.freshness.common import CHECK_COMMAND, LOCK_FILE, MANIFEST, RELOCK, Files, Verdict

# manager -> the module whose `check(files)` gives its verdict
CHECKERS = {
    "uv": "chef.freshness.uv",
    "poetry": "chef.freshness.poetry",
    "pdm": "chef.freshness.pdm",
    "pipenv": "chef.freshness.pipenv",
}


def check(
    root: Path, manager: str, files: Optional[Files] = None, where: str = "."
) -> Optional[Verdict]:
    """The verdict for the lock `manager` reads in `root`, or None when it reads no lock.
    `where`: the project's directory as the user names it (a subdirectory of the build context),
    for messages."""
    module = CHECKERS.get(manager)
    if module is None:
        return None
    files = files or Files(root)
    if not files.exists(LOCK_FILE[manager]) or not files.exists(MANIFEST[manager]):
        return None
    verdict: Verdict = importlib.import_module(module).check(files)
    if where not in (".", ""):
        verdict.lock = f"{where.rstrip('/')}/{verdict.lock}"
    return verdict


def ensure_fresh(
    root: Path, manager: str, files: Optional[Files] = None, where: str = "."
) -> Optional[Verdict]:
    """`check`, raising StaleLockError for a stale lock."""
    verdict = check(root, manager, files, where)
    if verdict is not None and not verdict.fresh:
        raise verdict.error()
    return verdict


__all__ = [
    "CHECK_COMMAND", "CHECKERS", "LOCK_FILE", "MANIFEST", "RELOCK", "Files", "Verdict", "check",
    "ensure_fresh",
]
