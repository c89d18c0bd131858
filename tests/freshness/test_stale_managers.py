"""poetry, pdm and pipenv projects (tests/lockfixtures, hashes made fresh): a dependency added to
the manifest without re-locking is refused with exit 5, a one-line message naming it and the
manager's re-lock command; --frozen takes the lock as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest
from badinput_helpers import refresh_hashes
from clirun import chef
from projects import edit

from chef import errors

CASES = [
    ("poetry", "pyproject.toml", '"epsilon"', '"epsilon", "newdep>=1"', "poetry.lock"),
    ("pdm", "pyproject.toml", '"epsilon"', '"epsilon", "newdep>=1"', "pdm.lock"),
    ("pipenv", "Pipfile", 'epsilon = "*"', 'epsilon = "*"\nnewdep = ">=1"', "Pipfile.lock"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_added_dependency_is_refused_and_frozen_accepts(
    case: Tuple[str, str, str, str, str], tmp_path: Path
) -> None:
    manager, manifest, old, new, lock = case
    import lockfixtures

    writer = lockfixtures.WRITERS[manager]
    root = tmp_path / "p"
    writer(root, lockfixtures.Scenario())
    refresh_hashes(root)
    recipe = tmp_path / "recipe.json"
    fresh = chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe))
    assert fresh.returncode == 0, fresh.stderr
    before = recipe.read_bytes()

    edit(root / manifest, old, new)
    done = chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_STALE, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"chef: error: {lock}: stale lock:")
    assert "newdep" in lines[0] and f"`{manager} lock`" in lines[0]
    assert recipe.read_bytes() == before

    frozen = chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe), "--frozen")
    assert frozen.returncode == 0, frozen.stderr
    assert recipe.read_bytes() == before  # the lock as it is: newdep is not in it
