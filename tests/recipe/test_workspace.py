"""Issue 4: a uv workspace — every member's third-party dependencies cached, no member's source,
version or layout of dependencies in the recipe; `--package` scopes to one member's closure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable, Dict

import pytest
from projects import edit, uv_lock
from stability_helpers import recipe_text
from workspace import git_package, make_workspace, member

from chef.errors import InputError
from chef.readers import pep621


@pytest.fixture(scope="module")
def git_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return git_package(tmp_path_factory.mktemp("gitrepo"))


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory: pytest.TempPathFactory, index, git_url: str) -> Path:  # type: ignore[no-untyped-def]
    return make_workspace(tmp_path_factory.mktemp("ws") / "mono", index.url, git_url)


@pytest.fixture
def ws(base_ws: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base_ws, tmp_path / "mono"))


def data(root: Path, **selection: object) -> Dict[str, object]:
    return json.loads(recipe_text(root, **selection))  # type: ignore[no-any-return]


def locked_names(recipe: Dict[str, object]) -> set:  # type: ignore[type-arg]
    return {p["name"] for p in recipe["locked"]}  # type: ignore[attr-defined,index]


def test_default_covers_every_member(ws: Path) -> None:
    recipe = data(ws)
    locals_ = {p["name"]: p for p in recipe["local_packages"]}  # type: ignore[attr-defined]
    assert set(locals_) == {"lib-a", "lib-b", "svc-one", "svc-two"}
    assert locals_["lib-b"]["path"] == "packages/lib-b"
    assert locals_["lib-b"]["requires"] == ["lib-a"]
    assert locked_names(recipe) == {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "gitpkg"}
    gitpkg = next(p for p in recipe["locked"] if p["name"] == "gitpkg")  # type: ignore[attr-defined]
    assert gitpkg["source"]["kind"] == "git" and "@" in gitpkg["source"]["url"]


def test_package_scopes_to_closure(ws: Path) -> None:
    one = data(ws, packages=("svc-one",))
    assert {p["name"] for p in one["local_packages"]} == {"svc-one", "lib-b", "lib-a"}  # type: ignore[attr-defined]
    assert locked_names(one) == {
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
    }  # zeta: win32
    two = data(ws, packages=("svc-two",))
    assert {p["name"] for p in two["local_packages"]} == {"svc-two"}  # type: ignore[attr-defined]
    assert locked_names(two) == {"beta", "gitpkg"}


def test_unknown_package(ws: Path) -> None:
    with pytest.raises(InputError, match="no local package named nope"):
        recipe_text(ws, packages=("nope",))


def _bump_member(root: Path, url: str) -> None:
    edit(root / "packages/lib-a/pyproject.toml", 'version = "1.0.0"', 'version = "1.1.0"')
    uv_lock(root, url)


def _move_dep(root: Path, url: str) -> None:
    edit(root / "services/svc-one/pyproject.toml", '"lib-b", "epsilon"', '"lib-b"')
    edit(
        root / "packages/lib-b/pyproject.toml",
        '"lib-a", "gamma[fast]"',
        '"lib-a", "gamma[fast]", "epsilon"',
    )
    uv_lock(root, url)


def _new_member(root: Path, url: str) -> None:
    member(root, "packages/lib-c", "lib-c", "")
    uv_lock(root, url)


STABLE: Dict[str, Callable[[Path, str], None]] = {
    "member source edit": lambda r, u: (r / "packages/lib-a/src/lib_a/__init__.py").write_text(
        "X=2\n"
    ),
    "member version bump (pyproject and lock)": _bump_member,
    "moving a dependency between members": _move_dep,
    "root tool table": lambda r, u: edit(
        r / "pyproject.toml", "line-length = 100", "line-length = 90"
    ),
}


@pytest.mark.parametrize("change", sorted(STABLE))
def test_stable(ws: Path, index, change: str) -> None:  # type: ignore[no-untyped-def]
    before = {sel: recipe_text(ws, packages=sel) for sel in ((), ("svc-one",), ("svc-two",))}
    STABLE[change](ws, index.url)
    for sel, text in before.items():
        assert recipe_text(ws, packages=sel) == text, sel


def test_new_member_changes_only_the_scopes_that_hold_it(ws: Path, index) -> None:  # type: ignore[no-untyped-def]
    everything, one = recipe_text(ws), recipe_text(ws, packages=("svc-one",))
    _new_member(ws, index.url)
    assert recipe_text(ws, packages=("svc-one",)) == one
    changed = recipe_text(ws)  # the default scope now installs one more local package
    assert changed != everything and "lib-c" in changed


def test_other_service_dependency_change_leaves_package_recipe(ws: Path, index) -> None:  # type: ignore[no-untyped-def]
    one = recipe_text(ws, packages=("svc-one",))
    two = recipe_text(ws, packages=("svc-two",))
    edit(ws / "services/svc-two/pyproject.toml", '"beta<2"', '"beta<2", "zeta"')
    uv_lock(ws, index.url)
    assert recipe_text(ws, packages=("svc-one",)) == one
    assert recipe_text(ws, packages=("svc-two",)) != two


def test_sensitive_to_member_dependencies(ws: Path, index) -> None:  # type: ignore[no-untyped-def]
    before = recipe_text(ws, packages=("svc-one",))
    edit(ws / "packages/lib-a/pyproject.toml", '"alpha>=1"', '"alpha>=1", "devtool"')
    uv_lock(ws, index.url)
    assert '"devtool"' in recipe_text(ws, packages=("svc-one",)) != before


def test_unlocked_workspace_reader(ws: Path) -> None:
    (ws / "uv.lock").unlink()
    project = pep621.read(ws)
    assert set(project.local_packages) == {"lib-a", "lib-b", "svc-one", "svc-two"}
    recipe = data(ws, packages=("svc-one",))
    roots = {r["name"] for r in recipe["roots"]}  # type: ignore[attr-defined]
    assert roots == {"alpha", "gamma", "epsilon"}


def test_path_dependency_outside_project(tmp_path: Path) -> None:
    member(tmp_path, "lib", "lib", "")
    member(tmp_path, "proj", "proj", '"lib"', '\n[tool.uv.sources]\nlib = { path = "../lib" }\n')
    with pytest.raises(InputError, match="outside the project.*--project-dir"):
        pep621.read(tmp_path / "proj")
