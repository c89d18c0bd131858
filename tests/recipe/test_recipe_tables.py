"""The recipe's tables (chef/recipe/tables.py): errors name the value by its key path, the
recipe is frozen, and prepare's cookability check refuses what loading refuses, by the same
checks."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, Dict

import pytest

from chef.errors import InputError, RecipeError
from chef.model import Dep, IndexConfig, LocalPackage, LockedPackage, Source, replace
from chef.recipe import Recipe, check_cookable, dumps, loads

HASH = "sha256:" + "ab" * 32


def _recipe(**changes: Any) -> Recipe:
    alpha = LockedPackage(name="alpha", version="1.0", source=Source("registry"), key="alpha",
                          hashes=(HASH,), dependencies=(Dep(name="beta", key="beta"),),
                          extras=(("fast", (Dep(name="beta", key="beta", marker='os_name == "nt"'),)),),
                          wheels=("cp312-cp312-manylinux_2_17_x86_64",))
    beta = LockedPackage(name="beta", version="2.0", source=Source("registry"), key="beta")
    fields: Dict[str, Any] = dict(
        manager="uv", index=IndexConfig(), roots=[Dep(name="alpha", key="alpha")],
        local_packages={"app": LocalPackage(name="app", path="app", build_requires=("hatchling",))},
        locked={"alpha": alpha, "beta": beta},
    )
    fields.update(changes)
    return Recipe(**fields)


def _data() -> Dict[str, Any]:
    return json.loads(dumps(_recipe()))  # type: ignore[no-any-return]


def test_a_valid_recipe_round_trips() -> None:
    text = dumps(_recipe())
    assert dumps(loads(text)) == text
    check_cookable(_recipe(), "uv.lock")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["locked"][0]["hashes"].append("sha256:zz"),
     "invalid recipe: locked[0].hashes[1]: invalid hash 'sha256:zz'"),
    (lambda d: d["locked"][0]["hashes"].append(3),
     "invalid recipe: locked[0].hashes[1]: expected str, got int"),
    (lambda d: d["locked"][0]["dependencies"][0].update(name="Beta"),
     "invalid recipe: locked[0].dependencies[0].name: not a normalized package name: 'Beta'"),
    (lambda d: d["locked"][0]["extras"]["fast"][0].update(marker="os_name =="),
     "invalid recipe: locked[0].extras.fast[0].marker: invalid marker"),
    (lambda d: d["locked"][0]["source"].update(kind="svn"),
     "invalid recipe: locked[0].source.kind: unknown source kind 'svn'"),
    (lambda d: d["locked"][0]["wheels"].append("no tag"),
     "invalid recipe: locked[0].wheels[1]: not a wheel tag: 'no tag'"),
    (lambda d: d["locked"][1].update(version="2 .0"),
     "invalid recipe: locked[1].version: invalid version"),
    (lambda d: d["local_packages"][0].update(path="/abs"),
     "invalid recipe: local_packages[0].path: path must be relative"),
    (lambda d: d["local_packages"][0].update(build_requires_env={"A=B": ["x"]}),
     "invalid recipe: local_packages[0].build_requires_env.A=B: not an environment variable"),
    (lambda d: d["index"].update(extra_index_urls=["https://a", "-i http://x"]),
     "invalid recipe: index.extra_index_urls[1]: not an allowed URL"),
    (lambda d: d["selection"].update(extras=["ok", "No"]),
     "invalid recipe: selection.extras[1]: not a normalized package name"),
    (lambda d: d["roots"][0].update(surprise=1), "invalid recipe: roots[0]: unknown field"),
    (lambda d: d.pop("index"), "invalid recipe: top level: missing field"),
])
def test_an_error_names_the_value_by_its_key_path(
    mutate: Callable[[Dict[str, Any]], None], message: str
) -> None:
    data = _data()
    mutate(data)
    with pytest.raises(RecipeError) as info:
        loads(json.dumps(data), "recipe.json")
    assert message in str(info.value), str(info.value)
    assert "\n" not in str(info.value) and info.value.exit_code == 4


def test_the_recipe_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _recipe().manager = "pip"  # type: ignore[misc]


def _alpha(**changes: Any) -> Dict[str, LockedPackage]:
    recipe = _recipe()
    assert recipe.locked is not None
    return {**recipe.locked, "alpha": replace(recipe.locked["alpha"], **changes)}


# Values a reader could let through, in every table: prepare must refuse each (as bad input,
# exit 3) exactly where loading the recipe would refuse it (exit 4).
BAD = [
    pytest.param(dict(locked=_alpha(hashes=("md5:xyz",))), "locked alpha.hashes[0]", id="hash"),
    pytest.param(dict(locked=_alpha(key="alpha beta")), "locked alpha.key", id="key"),
    pytest.param(dict(locked=_alpha(version="1.0\n")), "locked alpha.version", id="version"),
    pytest.param(dict(locked=_alpha(source=Source("url", "https://a b"))),
                 "locked alpha.source.url", id="source"),
    pytest.param(dict(locked=_alpha(wheels=("x",))), "locked alpha.wheels[0]", id="wheel"),
    pytest.param(dict(locked=_alpha(extras=(("fast", (Dep(name="beta", key="beta",
                                                          marker="a\\b"),)),))),
                 "locked alpha.extras.fast[0].marker", id="marker"),
    pytest.param(dict(roots=[Dep(name="alpha", key="alpha", url="file:a b")]), "roots[0].url",
                 id="url"),
    pytest.param(dict(roots=[Dep(name="alpha", key="alpha", extras=("x", "-y"))]),
                 "roots[0].extras[1]", id="extra"),
    pytest.param(dict(index=IndexConfig(find_links=("../up",))), "index.find_links[0]",
                 id="find-links"),
    pytest.param(dict(local_packages={"app": LocalPackage(name="app", path="a\\b")}),
                 "local_packages.app.path", id="path"),
    pytest.param(dict(local_packages={"app": LocalPackage(
        name="app", path=".", build_requires_env=(("A B", ("x",)),))}),
                 "local_packages.app.build_requires_env.A B", id="build switch"),
    pytest.param(dict(build_constraints=[Dep(name="x", hashes=(HASH,))]), "build_constraints[0]",
                 id="build constraint"),
    pytest.param(dict(extras=("A",)), "selection.extras[0]", id="selection"),
]


@pytest.mark.parametrize("changes, where", BAD)
def test_prepare_refuses_what_cook_would_refuse(changes: Dict[str, Any], where: str) -> None:
    recipe = _recipe(**changes)
    with pytest.raises(InputError) as refused:
        check_cookable(recipe, "uv.lock")
    text = str(refused.value)
    assert text.startswith(f"uv.lock: {where}: ") and "cannot reach an installer" in text, text
    with pytest.raises(RecipeError):
        loads(dumps(recipe))


def test_prepare_refuses_a_lock_only_marker_variable() -> None:
    recipe = _recipe(roots=[Dep(name="alpha", key="alpha", marker='"x" in extras')])
    with pytest.raises(InputError, match="lock-only variable"):
        check_cookable(recipe, "uv.lock")
