"""`prepare --layer-recipes`: heavy packages in layer-1.json, whose bytes a light change leaves
alone; every layer recipe one cook accepts; the layers install together exactly what the whole
recipe installs, on every target."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from clirun import chef
from packaging.markers import default_environment
from projects import edit, make_app, make_locked_app, uv_lock

from chef import layers
from chef.cook.plan import plan
from chef.errors import UsageError
from chef.prepare import prepare
from chef.recipe import Recipe, dumps, loads

CORPUS = Path("/work/shared/corpus")


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    return make_locked_app(tmp_path_factory.mktemp("layers") / "app", index.url)


@pytest.fixture
def project(base_project: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base_project, tmp_path / "app"))


def layered(project: Path, out: Path, *options: str) -> Dict[str, bytes]:
    done = chef("prepare", "--recipe-path", str(out / "recipe.json"), "--layer-recipes",
                str(out / "layers"), "--explain", *options, cwd=project)
    assert done.returncode == 0, done.stderr
    files = {"recipe.json": (out / "recipe.json").read_bytes()}
    files.update({p.name: p.read_bytes() for p in sorted((out / "layers").iterdir())})
    files["stderr"] = done.stderr.encode()
    return files


def env(**kw: str) -> Dict[str, str]:
    out = dict(default_environment())
    out.update(kw)
    return out


ENVS = [env(sys_platform=s, platform_machine=m, python_version=v, python_full_version=v + ".1")
        for s in ("linux", "win32", "darwin") for m in ("x86_64", "aarch64")
        for v in ("3.10", "3.12", "3.13")]


def installs(recipe: Recipe, environment: Dict[str, str]) -> Set[str]:
    return {line.requirement for batch in plan(recipe, environment, build_deps=False).batches
            for line in batch.lines}


def assert_equal_plans(full: Recipe, split: layers.Layers) -> None:
    one = split.recipes["layer-1.json"]
    two = split.recipes["layer-2.json"]
    from packaging.specifiers import SpecifierSet

    for environment in ENVS:
        if full.requires_python and environment["python_full_version"] not in SpecifierSet(
                full.requires_python):
            continue
        first, second = installs(one, environment), installs(two, environment)
        assert not first & second
        assert first | second == installs(full, environment), environment


def test_recipe_json_stays_byte_identical(project: Path, tmp_path: Path) -> None:
    plain = chef("prepare", "--recipe-path", str(tmp_path / "plain.json"), cwd=project)
    assert plain.returncode == 0, plain.stderr
    files = layered(project, tmp_path, "--heavy", "alpha")
    assert files["recipe.json"] == (tmp_path / "plain.json").read_bytes()
    assert b"earlier_layers" not in files["recipe.json"]


def test_a_light_change_leaves_layer_1_byte_identical(project: Path, tmp_path: Path, index) -> None:  # type: ignore[no-untyped-def]
    before = layered(project, tmp_path / "before", "--heavy", "alp*")
    one = json.loads(before["layer-1.json"])
    assert [p["name"] for p in one["locked"]] == ["alpha"]
    assert b"alpha 2.0 in layer-1.json (named by --heavy alp*)" in before["stderr"]
    # a small dependency added: the light layer and recipe.json change, the heavy one does not
    edit(project / "pyproject.toml", '    "epsilon",\n', '    "epsilon",\n    "docsgen",\n')
    uv_lock(project, index.url)
    added = layered(project, tmp_path / "added", "--heavy", "alp*")
    assert added["layer-1.json"] == before["layer-1.json"]
    assert added["layer-2.json"] != before["layer-2.json"]
    assert added["recipe.json"] != before["recipe.json"]
    # the heavy package bumped (down): layer 1 changes
    edit(project / "pyproject.toml", '"alpha>=1"', '"alpha==1.0"')
    uv_lock(project, index.url)
    bumped = layered(project, tmp_path / "bumped", "--heavy", "alp*")
    assert bumped["layer-1.json"] != before["layer-1.json"]
    assert b'"version": "1.0"' in bumped["layer-1.json"]


def test_every_layer_recipe_is_cookable(project: Path, tmp_path: Path) -> None:
    files = layered(project, tmp_path, "--heavy", "alpha", "--heavy", "ZETA",
                    "--test-group", "dev")
    assert sorted(files) == ["layer-1.json", "layer-2.json", "recipe.json", "stderr", "test.json"]
    for name in ("layer-1.json", "layer-2.json", "test.json"):
        done = chef("cook", "--dry-run", "--recipe-path", str(tmp_path / "layers" / name),
                    "--venv", str(tmp_path / "venv"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    test = loads(files["test.json"].decode())
    production = loads(files["recipe.json"].decode())
    assert production.locked is not None and test.locked is not None
    assert set(test.earlier) == set(production.locked)
    assert set(test.locked) - set(test.earlier) == {"devtool"}
    # zeta (win32 only, through epsilon) keeps its condition in layer 1
    one = json.loads(files["layer-1.json"])
    assert {r["name"]: r.get("marker") for r in one["roots"]} == {
        "alpha": None, "zeta": 'sys_platform == "win32"'}


def test_split_by_size_and_by_name(project: Path) -> None:
    recipe = prepare(project).recipe
    sizes = {("alpha", "2.0"): 60_000_000, ("gamma", "1.0"): 5_000_000, ("delta", "1.0"): 9_999_999, ("zeta", "1.0"): 10**9}
    split = layers.split(recipe, (), layers.DEFAULT_HEAVY_SIZE, sizes)
    one = split.recipes["layer-1.json"]
    assert one.locked is not None and sorted(one.locked) == ["alpha", "zeta"]
    assert "layers: alpha 2.0 in layer-1.json (largest Linux wheel 60.0 MB >= --heavy-size " \
        "10.0 MB)" in split.notes
    assert split.recipes["layer-2.json"].earlier == ("alpha", "zeta")
    assert_equal_plans(recipe, split)
    lower = layers.split(recipe, layers.patterns(["Delta"]), layers.parse_size("5MB"), sizes)
    assert lower.recipes["layer-1.json"].locked is not None
    assert sorted(lower.recipes["layer-1.json"].locked) == ["alpha", "delta", "gamma", "zeta"]
    assert_equal_plans(recipe, lower)
    none = layers.split(recipe, (), layers.DEFAULT_HEAVY_SIZE, {})
    assert none.recipes["layer-1.json"].locked == {}
    assert installs(none.recipes["layer-1.json"], env()) == set()
    assert none.recipes["layer-2.json"].earlier == ()


def test_unlocked_recipes_are_one_layer(tmp_path: Path) -> None:
    project = make_app(tmp_path / "app")
    files = layered(project, tmp_path, "--heavy", "alpha")
    assert files["layer-2.json"] == files["recipe.json"]
    one = loads(files["layer-1.json"].decode())
    assert not one.roots and one.locked is None
    assert files["stderr"].count(b"unlocked recipe") == 1


def test_layer_options_need_layer_recipes(project: Path) -> None:
    done = chef("prepare", "--stdout", "--heavy", "alpha", cwd=project)
    assert done.returncode == 2 and "add --layer-recipes DIR" in done.stderr
    with pytest.raises(UsageError):
        layers.parse_size("fifty")
    assert layers.parse_size("1.5GB") == 1_500_000_000
    assert layers.parse_size("50MiB") == 50 * 2**20
    assert layers.parse_size("123") == 123


def test_lock_sizes_from_uv_lock_and_pylock(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "Big_Pkg"\nversion = "1.0"\nwheels = [\n'
        '  { url = "https://index.invalid/big_pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",'
        ' hash = "sha256:00", size = 70000000 },\n'
        '  { url = "https://index.invalid/big_pkg-1.0-cp312-cp312-win_amd64.whl",'
        ' hash = "sha256:01", size = 90000000 },\n]\n')
    assert layers.lock_sizes(tmp_path, ["pyproject.toml", "uv.lock"]) == {
        ("big-pkg", "1.0"): 70000000}  # the Windows wheel does not count
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\n[[packages]]\nname = "small"\nversion = "2"\n'
        '[[packages.wheels]]\nname = "small-2-py3-none-any.whl"\nsize = 1234\n')
    assert layers.lock_sizes(tmp_path, ["pylock.toml"]) == {("small", "2"): 1234}
    assert layers.lock_sizes(tmp_path, ["poetry.lock"]) is None


def corpus_recipes() -> List[Path]:
    if not CORPUS.is_dir():
        return []
    uv = sorted(p.parent for p in CORPUS.glob("*/uv.lock"))[:6]
    return uv + sorted(p.parent for p in CORPUS.glob("*/poetry.lock"))[:3]


@pytest.mark.parametrize("root", corpus_recipes(), ids=lambda p: p.name)
def test_real_locks_split_without_changing_what_installs(root: Path) -> None:
    """Every package of a real lock put in layer 1 in turn would be too slow: the heavy ones by
    size (uv.lock), and every third package by name (uv.lock, poetry.lock), must give the same
    installs on every target."""
    from chef.errors import ChefError

    try:
        result = prepare(root, frozen=True)
    except ChefError:
        pytest.skip("not preparable as it is")
    recipe = result.recipe
    if not recipe.locked:
        pytest.skip("nothing locked")
    sizes = layers.lock_sizes(root, result.inputs)
    assert_equal_plans(recipe, layers.split(recipe, (), layers.DEFAULT_HEAVY_SIZE, sizes))
    named = tuple(sorted({p.name for p in recipe.locked.values()}))[::3]
    split = layers.split(recipe, named, layers.DEFAULT_HEAVY_SIZE, sizes)
    assert_equal_plans(recipe, split)
    assert dumps(split.recipes["layer-1.json"]) == dumps(
        layers.split(recipe, named, layers.DEFAULT_HEAVY_SIZE, sizes).recipes["layer-1.json"])


def test_diff_names_the_earlier_layers(project: Path, tmp_path: Path) -> None:
    layered(project, tmp_path, "--heavy", "alpha")
    done = chef("diff", str(tmp_path / "recipe.json"), str(tmp_path / "layers" / "layer-2.json"),
                cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[1:] == ["layers:", "  +from an earlier layer: alpha"]


def test_reach_conditions_through_extras_and_cycles() -> None:
    """A heavy package reached only through an extra whose edge tests `extra`, and through a
    cycle with markers: its layer-1 roots hold exactly where the whole walk installs it."""
    from chef.model import Dep, LockedPackage, Source

    def pkg(name: str, deps: Tuple[Dep, ...] = (), extras=()) -> LockedPackage:  # type: ignore[no-untyped-def]
        return LockedPackage(name, "1.0", Source("registry"), ("sha256:00",), deps, extras,
                             key=name)

    linux = 'sys_platform == "linux"'
    locked = {
        "foo": pkg("foo", (Dep("bar", marker='python_version < "3.12"'),), (
            ("gpu", (Dep("torch", marker=f'extra == "gpu" and {linux}'),)),)),
        "bar": pkg("bar", (Dep("baz"),)),
        "baz": pkg("baz", (Dep("bar"), Dep("torch", marker='platform_machine == "aarch64"'))),
        "torch": pkg("torch"),
        "plain": pkg("plain"),
    }
    recipe = Recipe(manager="uv", roots=[Dep("foo", extras=("gpu",), marker='os_name == "posix"'),
                                         Dep("plain")], locked=locked)
    split = layers.split(recipe, ("torch", "baz"))
    assert_equal_plans(recipe, split)
    roots = split.recipes["layer-1.json"].roots
    assert {(r.name, r.marker_extra) for r in roots} >= {("torch", "gpu"), ("torch", None)}
    assert all(r.marker for r in roots)  # nothing unconditional here
