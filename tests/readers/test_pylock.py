"""PEP 751 pylock.toml: selection markers, sources, directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import GIT_SHA, URL_WHEEL, Scenario, pylock_project, write
from lockhelpers import PY39_WIN, PY311, bump, installed, recipe

from chef.errors import InputError
from chef.readers.markers import placements
from chef.select import Selection


def test_selection_markers(tmp_path: Path) -> None:
    pylock_project(tmp_path, Scenario())
    default = recipe(tmp_path, "pylock")
    assert set(installed(default, PY311)) == {"alpha", "beta", "epsilon", "gitpkg", "urlpkg"}
    assert installed(default, PY39_WIN)["beta"] == "1.0"
    assert "app" in default.local_packages  # the directory entry is the project itself
    fast = recipe(tmp_path, "pylock", Selection(extras=("fast",)))
    assert {"gamma", "delta"} <= set(installed(fast, PY311))
    dev = recipe(tmp_path, "pylock", Selection(groups=("dev",)))
    assert "devtool" in installed(dev, PY311) and "docsgen" not in installed(dev, PY311)


def test_sources(tmp_path: Path) -> None:
    pylock_project(tmp_path, Scenario())
    locked = recipe(tmp_path, "pylock").locked or {}
    assert locked["gitpkg"].source.url == f"git+https://git.invalid/gitpkg.git@{GIT_SHA}"
    assert locked["urlpkg"].source.url == URL_WHEEL and locked["urlpkg"].hashes
    # one wheel and no index: installed from its URL
    assert locked["alpha"].source.kind == "url"


def test_index_is_recorded(tmp_path: Path) -> None:
    pylock_project(tmp_path, Scenario(index="https://index.invalid/simple", remote=False))
    locked = recipe(tmp_path, "pylock").locked or {}
    assert locked["alpha"].source.url == "https://index.invalid/simple"


def test_dev_bump_stable_main_bump_sensitive(tmp_path: Path) -> None:
    assert not bump(tmp_path / "dev", pylock_project, "pylock", {"devtool": "1.0"})
    assert bump(tmp_path / "main", pylock_project, "pylock", {"alpha": "2.0"})


def test_named_lock_is_detected(tmp_path: Path) -> None:
    pylock_project(tmp_path, Scenario())
    (tmp_path / "pylock.toml").rename(tmp_path / "pylock.prod.toml")
    assert recipe(tmp_path, "pylock").manager == "pylock"


@pytest.mark.parametrize(
    "marker,expected",
    [
        ("'dev' in dependency_groups", [("group", "dev", None)]),
        (
            "sys_platform == 'win32' and 'fast' in extras",
            [("extra", "fast", 'sys_platform == "win32"')],
        ),
        ("'a' in extras or 'b' in extras", [("extra", "a", None), ("extra", "b", None)]),
        (
            "python_version < '3.10' or 'dev' in dependency_groups",
            [("main", "", 'python_version < "3.10"'), ("group", "dev", None)],
        ),
        ('extra == "fast"', [("extra", "fast", None)]),
    ],
)
def test_marker_placements(marker: str, expected: list) -> None:  # type: ignore[type-arg]
    got = [(p.kind, p.name, p.marker) for p in placements(marker, "x")]
    assert got == expected


@pytest.mark.parametrize(
    "marker", ["'dev' not in dependency_groups", "'a' in extras and 'dev' in dependency_groups"]
)
def test_inexpressible_markers_are_refused(marker: str) -> None:
    with pytest.raises(InputError):
        placements(marker, "x")


def test_bad_version(tmp_path: Path) -> None:
    write(tmp_path / "pylock.toml", 'lock-version = "2.0"\n')
    with pytest.raises(InputError, match="lock-version"):
        recipe(tmp_path, "pylock")
