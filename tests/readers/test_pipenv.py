"""Pipfile.lock (flat, per category) and the Pipfile alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lockfixtures import GIT_SHA, Scenario, pipenv_project, write
from lockhelpers import PY39_WIN, PY311, bump, installed, recipe, recipe_text

from chef.errors import InputError
from chef.select import Selection


def test_categories(tmp_path: Path) -> None:
    pipenv_project(tmp_path, Scenario())
    default = recipe(tmp_path, "pipenv")
    assert set(installed(default, PY311)) == {"alpha", "beta", "epsilon", "gitpkg", "urlpkg"}
    assert "zeta" in installed(default, PY39_WIN) and "beta" not in installed(default, PY39_WIN)
    dev = recipe(tmp_path, "pipenv", Selection(groups=("dev-packages",)))
    assert "devtool" in installed(dev, PY311) and "docsgen" not in installed(dev, PY311)
    every = recipe(tmp_path, "pipenv", Selection(all_groups=True))
    assert every.groups == ("dev-packages", "docs")
    assert {"devtool", "docsgen"} <= set(installed(every, PY311))


def test_sources_and_hashes(tmp_path: Path) -> None:
    pipenv_project(tmp_path, Scenario())
    locked = recipe(tmp_path, "pipenv").locked or {}
    assert locked["alpha"].source.kind == "registry" and locked["alpha"].source.url is None
    assert locked["alpha"].hashes
    assert locked["gitpkg"].source.url == f"git+https://git.invalid/gitpkg.git@{GIT_SHA}"
    assert locked["urlpkg"].source.kind == "url" and locked["urlpkg"].hashes == ()


def test_named_private_source(tmp_path: Path) -> None:
    pipenv_project(tmp_path, Scenario(remote=False))
    lock = json.loads((tmp_path / "Pipfile.lock").read_text())
    lock["_meta"]["sources"].append(
        {"name": "private", "url": "https://tok@index.invalid/private/simple", "verify_ssl": True}
    )
    lock["default"]["alpha"]["index"] = "private"
    write(tmp_path / "Pipfile.lock", json.dumps(lock))
    rec = recipe(tmp_path, "pipenv")
    assert (rec.locked or {})["alpha"].source.url == "https://index.invalid/private/simple"
    assert "tok" not in recipe_text(tmp_path, "pipenv")


def test_dev_bump_stable_main_bump_sensitive(tmp_path: Path) -> None:
    assert not bump(tmp_path / "dev", pipenv_project, "pipenv", {"devtool": "1.0"})
    assert bump(tmp_path / "main", pipenv_project, "pipenv", {"alpha": "2.0"})


def test_malformed_json(tmp_path: Path) -> None:
    write(tmp_path / "Pipfile.lock", '{"_meta": {,}')
    with pytest.raises(InputError, match="Pipfile.lock:1"):
        recipe(tmp_path, "pipenv")


def test_pipfile_alone_is_unlocked(tmp_path: Path) -> None:
    write(
        tmp_path / "Pipfile",
        '[[source]]\nname = "pypi"\nurl = "https://index.invalid/simple"\n'
        'verify_ssl = true\n\n[packages]\nalpha = ">=1"\nbeta = {version = "*", sys_platform = "== \'linux\'"}\n'
        '\n[dev-packages]\ndevtool = "*"\n',
    )
    rec = recipe(tmp_path, "pipenv")
    assert rec.locked is None
    leaves = {d.name: d for d in rec.roots}
    assert leaves["alpha"].specifier == ">=1"
    assert leaves["beta"].marker == 'sys_platform == "linux"'
    assert "devtool" not in leaves


@pytest.mark.parametrize("marker,expected", [
    ("'dev' in dependency_groups", None),
    ("('dev' in dependency_groups) and (python_version >= '3.10')", 'python_version >= "3.10"'),
    # the spelling, written by other tools (pipenv's own `_pip_marker` docstring)
    ('"dev" in dependency_groups and sys_platform == "win32"', 'sys_platform == "win32"'),
    # pipenv drops every dependency_groups condition, whatever its group or operator
    ("'docs' in dependency_groups and os_name == 'nt'", 'os_name == "nt"'),
    ("'dev' not in dependency_groups and os_name == 'nt'", 'os_name == "nt"'),
    ("'dev' in dependency_groups or sys_platform == 'win32'", None),
    ("python_version >= '3.10'", "python_version >= '3.10'"),  # untouched (normalized later)
    # `extras`: pipenv hands it to pip, which cannot evaluate it: kept whole (refused later)
    ("'dev' in dependency_groups and 'x' in extras", "'dev' in dependency_groups and 'x' in extras"),
])
def test_develop_markers_as_pipenv_reads_them(marker: str, expected: object) -> None:
    from chef.readers.pipenv import _develop_marker

    assert _develop_marker(marker, "Pipfile.lock") == expected


def test_dependency_groups_markers_in_a_lock(tmp_path: Path) -> None:
    """pipenv 2026's develop section: the entry's category selects it, the environment part of
    its marker stays (tests/readers/test_pipenv_current.py has the real pipenv's lock)."""
    pipenv_project(tmp_path, Scenario())
    lock = json.loads((tmp_path / "Pipfile.lock").read_text())
    lock["develop"]["devtool"]["markers"] = \
        "('dev' in dependency_groups) and (python_version >= '3.10')"
    write(tmp_path / "Pipfile.lock", json.dumps(lock))
    dev = recipe(tmp_path, "pipenv", Selection(groups=("dev-packages",)))
    assert "devtool" in installed(dev, PY311) and "devtool" not in installed(dev, PY39_WIN)
    default = recipe(tmp_path, "pipenv")
    assert "devtool" not in installed(default, PY311)


@pytest.mark.parametrize("entry,off_linux", [
    ({"version": "*", "markers": "sys_platform == 'win32'"}, True),
    ({"version": "*", "markers": "platform_system == 'Darwin' or os_name == 'nt'"}, True),
    ({"version": "*", "markers": "('dev' in dependency_groups) and (sys_platform == 'win32')"},
     True),
    # could be installed on Linux: still refused later ("not a version")
    ({"version": "*", "markers": "python_version < '3.8'"}, False),
    ({"version": "*", "markers": "sys_platform != 'win32'"}, False),
    ({"version": "*"}, False),
    ({"version": "==1.0", "markers": "sys_platform == 'win32'"}, False),
    ({"version": "*", "markers": "sys_platform == 'win32'", "path": "."}, False),
])
def test_unpinned_windows_only_entries(entry: dict, off_linux: bool) -> None:  # type: ignore[type-arg]
    from chef.readers.pipenv import _unpinned_off_linux

    assert _unpinned_off_linux(entry, "Pipfile.lock") is off_linux


def test_an_unpinned_windows_only_entry_is_left_out(tmp_path: Path) -> None:
    pipenv_project(tmp_path, Scenario())
    lock = json.loads((tmp_path / "Pipfile.lock").read_text())
    lock["default"]["winonly"] = {"markers": "sys_platform == 'win32'", "version": "*"}
    write(tmp_path / "Pipfile.lock", json.dumps(lock))
    rec = recipe(tmp_path, "pipenv")
    assert "winonly" not in {p.name for p in (rec.locked or {}).values()}
    lock["default"]["winonly"]["markers"] = "python_version < '3.8'"
    write(tmp_path / "Pipfile.lock", json.dumps(lock))
    with pytest.raises(InputError, match="winonly is locked at '\\*', which is not a version"):
        recipe(tmp_path, "pipenv")
