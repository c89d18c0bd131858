"""The uv check's messages, byte for byte: what differs, and how each warning ends (what
`uv lock --check` does with it, that chef goes on). The oracle tests judge verdicts against uv
itself; these pin the words, so that moving the check's code around cannot change what users
read. The locks are written by hand (no uv run): one fresh base, one edit per case."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
from conftest import write

from chef import freshness

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

LOCK = """\
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://index.invalid/simple" }

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "alpha" }]

[package.metadata]
requires-dist = [{ name = "alpha", specifier = ">=1" }]
"""


def _verdict(root: Path, pyproject: str = PYPROJECT, lock: str = LOCK) -> freshness.Verdict:
    write(root / "pyproject.toml", pyproject)
    write(root / "uv.lock", lock)
    verdict = freshness.check(root, "uv")
    assert verdict is not None
    return verdict


def test_the_base_is_fresh_without_a_word(tmp_path: Path) -> None:
    verdict = _verdict(tmp_path)
    assert (verdict.fresh, verdict.reasons, verdict.warnings, verdict.unchecked) == (
        True, [], [], [])


WARNINGS: List[Tuple[str, str, str, str]] = [
    # (id, pyproject edit: old, new; the one warning, whole)
    ("own version", 'version = "0.1.0"', 'version = "0.2.0"',
     "app's version is 0.2.0 in pyproject.toml but 0.1.0 in the lock: `uv lock --check` fails "
     "on that, chef goes on (the project's own version decides nothing it installs; `uv lock` "
     "records the new one)"),
    ("uv setting", "[build-system]", '[tool.uv]\nresolution = "lowest-direct"\n\n[build-system]',
     "tool.uv.resolution is 'lowest-direct' in pyproject.toml but uv.lock records None "
     "(`uv lock --check` may fail on this; chef does not model it and goes on)"),
    ("install mode", "[build-system]", "[tool.uv]\npackage = false\n\n[build-system]",
     "app is virtual per pyproject.toml but uv.lock records it as editable (`uv lock --check` "
     "fails on this; it changes no third-party package, chef goes on)"),
    ("dependency metadata", "[build-system]",
     '[[tool.uv.dependency-metadata]]\nname = "alpha"\nversion = "1.0"\n\n[build-system]',
     "tool.uv.dependency-metadata names alpha but uv.lock records nothing (`uv lock --check` "
     "fails on this; it decides no version chef installs, chef goes on)"),
]


@pytest.mark.parametrize("case", WARNINGS, ids=[c[0] for c in WARNINGS])
def test_a_warning_says_what_uv_does_and_that_chef_goes_on(
        case: Tuple[str, str, str, str], tmp_path: Path) -> None:
    _, old, new, expected = case
    assert old in PYPROJECT
    verdict = _verdict(tmp_path, PYPROJECT.replace(old, new, 1))
    assert verdict.fresh and not verdict.reasons
    assert verdict.warnings == [expected]
    assert verdict.warning_lines() == [f"uv.lock: {expected}"]


def test_a_local_source_that_differs_is_a_warning_with_its_doubt(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace(
        "[build-system]", '[tool.uv.sources]\nalpha = { path = "libs/alpha" }\n\n[build-system]')
    lock = LOCK.replace('requires-dist = [{ name = "alpha", specifier = ">=1" }]',
                        'requires-dist = [{ name = "alpha", directory = "libs/beta" }]')
    verdict = _verdict(tmp_path, pyproject, lock)
    assert verdict.fresh and not verdict.reasons
    assert verdict.warnings == [
        "pyproject.toml changes alpha in app's dependencies: alpha (directory libs/alpha) in "
        "pyproject.toml vs alpha (directory libs/beta) in uv.lock (chef cannot tell whether the "
        "uv that wrote the lock lowers local and workspace sources the same way; `uv lock "
        "--check` may fail on this, chef goes on with the lock)"]


def test_what_uv_refuses_to_lower_is_named_once(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace(
        "[build-system]", "[tool.uv.sources]\nalpha = { workspace = true }\n\n[build-system]")
    verdict = _verdict(tmp_path, pyproject)
    assert verdict.fresh and not verdict.reasons
    assert verdict.warnings == [
        "pyproject.toml changes alpha in app's dependencies: alpha (editable ?) in "
        "pyproject.toml vs alpha>=1 (no source) in uv.lock (alpha has a workspace source but "
        "is not a workspace member; `uv lock --check` may fail on this, chef goes on with the "
        "lock)",
        "pyproject.toml: alpha has a workspace source but is not a workspace member, which uv "
        "refuses to lock (`uv lock --check` fails on this; chef goes on)"]


def test_a_refusal_names_the_change_and_how_to_relock(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace('["alpha>=1"]', '["alpha>=1", "beta[fast]<2; os_name == \'nt\'"]')
    verdict = _verdict(tmp_path, pyproject)
    assert not verdict.fresh and not verdict.warnings
    assert verdict.reasons == [
        "pyproject.toml adds beta[fast]<2; os_name == \"nt\" to app's dependencies"]
    error = verdict.error()
    assert str(error) == (
        "uv.lock: stale lock: pyproject.toml adds beta[fast]<2; os_name == \"nt\" to app's "
        "dependencies (run `uv lock`, or pass --frozen to use the lock as it is)")


def test_a_source_is_a_frozen_value() -> None:
    """Sources are compared and hashed by value (uv compares requirements per source)."""
    from chef.freshness.uv.reqs import DEFAULT_INDEX, Source

    a = Source("git", "https://git.invalid/repo", "v1")
    assert a == Source("git", "https://git.invalid/repo", "v1")
    assert hash(a) == hash(Source("git", "https://git.invalid/repo", "v1"))
    assert a != Source("git", "https://git.invalid/repo", "v2") and a != DEFAULT_INDEX
    assert Source() == DEFAULT_INDEX and DEFAULT_INDEX.is_index and not a.is_index
    with pytest.raises(AttributeError):
        a.kind = "url"
