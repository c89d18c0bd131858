"""pdm.lock 4.x (inherit_metadata: flat; other strategies: graph) and [tool.pdm]."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import GIT_SHA, URL_WHEEL, Scenario, pdm_project, write
from lockhelpers import PY39_WIN, PY311, bump, installed, recipe, recipe_text

from chef.errors import InputError
from chef.select import Selection


def _graph(directory: Path) -> None:
    """The same lock without inherit_metadata: chef walks the dependencies instead."""
    lock = (directory / "pdm.lock").read_text()
    write(
        directory / "pdm.lock",
        lock.replace('strategy = ["inherit_metadata"]', 'strategy = ["cross_platform"]'),
    )


@pytest.mark.parametrize("graph", [False, True], ids=["flat", "graph"])
def test_selection(tmp_path: Path, graph: bool) -> None:
    pdm_project(tmp_path, Scenario())
    if graph:
        _graph(tmp_path)
    default = recipe(tmp_path, "pdm")
    assert {p.name for p in (default.locked or {}).values()} == {
        "alpha",
        "beta",
        "epsilon",
        "zeta",
        "gitpkg",
        "urlpkg",
    }
    assert installed(default, PY311)["beta"] == "2.0"
    assert installed(default, PY39_WIN)["beta"] == "1.0"
    fast = recipe(tmp_path, "pdm", Selection(extras=("fast",)))
    assert {"gamma", "delta"} <= set(installed(fast, PY311))
    every = recipe(tmp_path, "pdm", Selection(all_groups=True, all_extras=True))
    assert {"devtool", "docsgen", "gamma", "delta"} <= set(installed(every, PY311))
    assert every.groups == ("dev", "docs") and every.extras == ("fast",)


def test_sources(tmp_path: Path) -> None:
    pdm_project(tmp_path, Scenario())
    locked = recipe(tmp_path, "pdm").locked or {}
    assert locked["gitpkg"].source.url == f"git+https://git.invalid/gitpkg.git@{GIT_SHA}"
    assert locked["urlpkg"].source.kind == "url" and locked["urlpkg"].source.url == URL_WHEEL
    assert locked["alpha"].source.url is None


def test_pdm_source_named_pypi_replaces_the_default_index(tmp_path: Path) -> None:
    pdm_project(tmp_path, Scenario(index="https://u:p@index.invalid/mirror/simple", remote=False))
    rec = recipe(tmp_path, "pdm")
    assert rec.index.index_url == "https://index.invalid/mirror/simple"
    assert "u:p" not in recipe_text(tmp_path, "pdm")


@pytest.mark.parametrize("graph", [False, True], ids=["flat", "graph"])
def test_dev_bump_stable_main_bump_sensitive(tmp_path: Path, graph: bool) -> None:
    def writer(directory: Path, scenario: Scenario) -> Path:
        pdm_project(directory, scenario)
        if graph:
            _graph(directory)
        return directory

    assert not bump(tmp_path / "dev", writer, "pdm", {"devtool": "1.0"})
    assert bump(tmp_path / "main", writer, "pdm", {"alpha": "2.0"})
    assert bump(tmp_path / "grp", writer, "pdm", {"devtool": "1.0"}, Selection(groups=("dev",)))


def test_own_version_never_in_recipe(tmp_path: Path) -> None:
    pdm_project(tmp_path / "a", Scenario(), own_version="1")
    pdm_project(tmp_path / "b", Scenario(), own_version="2")
    assert recipe_text(tmp_path / "a", "pdm") == recipe_text(tmp_path / "b", "pdm")


def test_unsupported_lock_version(tmp_path: Path) -> None:
    pdm_project(tmp_path, Scenario())
    lock = (
        (tmp_path / "pdm.lock")
        .read_text()
        .replace('lock_version = "4.5.0"', 'lock_version = "3.1"')
    )
    write(tmp_path / "pdm.lock", lock)
    with pytest.raises(InputError, match="lock_version"):
        recipe(tmp_path, "pdm")


def test_path_entry_is_local(tmp_path: Path) -> None:
    pdm_project(tmp_path, Scenario(remote=False))
    write(tmp_path / "libs" / "x" / "pyproject.toml", '[project]\nname = "x"\nversion = "1"\n')
    lock = (tmp_path / "pdm.lock").read_text()
    write(
        tmp_path / "pdm.lock",
        lock + '[[package]]\nname = "x"\nversion = "1"\npath = "./libs/x"\n'
        'requires_python = ">=3.9"\nsummary = ""\ngroups = ["default"]\n',
    )
    rec = recipe(tmp_path, "pdm")
    assert rec.local_packages["x"].path == "libs/x"
    assert rec.locked is not None and "x" not in rec.locked
