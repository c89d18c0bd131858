"""Recipe + marker environment -> plan: the walk with the target's markers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict

import pytest
from packaging.markers import default_environment
from projects import make_locked_app

from chef.cook.plan import Overrides, plan
from chef.errors import TargetEnvironmentError
from chef.model import Dep
from chef.prepare import prepare
from chef.select import Selection


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    return make_locked_app(tmp_path_factory.mktemp("plan") / "app", index.url)


def names(install_plan) -> Dict[str, str]:  # type: ignore[no-untyped-def]
    out = {}
    for batch in install_plan.batches:
        for line in batch.lines:
            name, _, version = line.requirement.partition("==")
            out[name] = version
    return out


def env(**kw: str) -> Dict[str, str]:
    e = dict(default_environment())
    e.update(kw)
    return e


def test_markers_of_the_target_decide(locked_app: Path) -> None:
    recipe = prepare(locked_app).recipe
    linux = names(plan(recipe, env(sys_platform="linux")))
    windows = names(plan(recipe, env(sys_platform="win32")))
    assert linux == {
        "alpha": "2.0",
        "beta": "2.0",
        "delta": "1.0",
        "epsilon": "1.0",
        "gamma": "1.0",
    }
    assert windows == {**linux, "zeta": "1.0"}  # epsilon needs zeta on win32 only


def test_locked_plan_is_pinned_hashed_no_deps(locked_app: Path) -> None:
    install_plan = plan(prepare(locked_app).recipe, env())
    assert install_plan.locked
    (batch,) = install_plan.batches
    assert batch.no_deps and batch.require_hashes
    assert all(line.hashes for line in batch.lines)
    assert install_plan.build_batch is not None
    assert [line.requirement for line in install_plan.build_batch.lines] == ["tinybuild"]


def test_requires_python_checked(locked_app: Path) -> None:
    recipe = prepare(locked_app).recipe
    with pytest.raises(TargetEnvironmentError, match="requires-python"):
        plan(recipe, env(python_full_version="3.8.10", python_version="3.8"))


def test_overrides(locked_app: Path) -> None:
    recipe = prepare(locked_app).recipe
    (batch,) = plan(recipe, env(), Overrides(no_index=True, find_links=("/w",))).batches
    assert batch.options.no_index and batch.options.find_links == ("/w",)


def test_extra_and_group_selection(locked_app: Path) -> None:
    recipe = prepare(locked_app, selection=Selection(extras=("docs",), groups=("dev",))).recipe
    got = names(plan(recipe, env()))
    assert got["docsgen"] == "1.0" and got["devtool"] == "1.0"


def test_unlocked_plan_evaluates_extra_markers(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["six; os_name == \'nt\'", "idna"]\n'
        "[project.optional-dependencies]\nx = [\"attrs; extra == 'x'\"]\n"
    )
    recipe = prepare(tmp_path, selection=Selection(extras=("x",))).recipe
    (batch,) = plan(recipe, env(os_name="posix")).batches
    assert [line.requirement for line in batch.lines] == ["attrs", "idna"]
    assert not batch.no_deps


def test_copy_is_independent(locked_app: Path, tmp_path: Path) -> None:
    other = Path(shutil.copytree(locked_app, tmp_path / "x"))
    assert prepare(other).text == prepare(locked_app).text


def test_explicit_index_batches_keep_their_index(tmp_path: Path) -> None:
    from chef.model import IndexConfig, LockedPackage, Source
    from chef.recipe import Recipe

    def pkg(name: str, index: str | None) -> LockedPackage:
        return LockedPackage(name, "1.0", Source("registry", index), ("sha256:00",), key=name)

    recipe = Recipe(
        manager="uv",
        index=IndexConfig(extra_index_urls=("https://extra.index.invalid/simple",)),
        roots=[Dep(name="a"), Dep(name="b"), Dep(name="c")],
        locked={
            "a": pkg("a", None),
            "b": pkg("b", "https://torch.index.invalid/cpu"),
            "c": pkg("c", "wheels"),
        },
    )
    batches = {b.lines[0].requirement: b.options for b in plan(recipe, env(), Overrides(index_url="https://mirror.invalid/simple")).batches}
    assert batches["a==1.0"].index_url == "https://mirror.invalid/simple"
    assert batches["a==1.0"].extra_index_urls == ("https://extra.index.invalid/simple",)
    assert batches["b==1.0"].index_url == "https://torch.index.invalid/cpu"
    assert batches["b==1.0"].extra_index_urls == ()
    assert batches["c==1.0"].no_index and batches["c==1.0"].find_links == ("wheels",)
    offline = plan(recipe, env(), Overrides(no_index=True, find_links=("/w",))).batches
    assert all(b.options.no_index and "/w" in b.options.find_links for b in offline)
