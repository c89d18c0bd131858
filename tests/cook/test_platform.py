"""`chef cook --platform`, without installing: spelling, wheel tags, the recipe's `wheels`, the
plan's refusal of packages with no wheel for the target, and the installers' argv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from packaging.markers import default_environment

from chef.cook import installers
from chef.cook.plan import no_wheel_reason, plan
from chef.cook.platform import (
    Libc,
    TargetPlatform,
    docker_platform,
    parse_libc,
    parse_platform,
    target_platform,
)
from chef.errors import RecipeError, TargetEnvironmentError, UsageError
from chef.model import Dep, LockedPackage, Source, replace
from chef.readers.locks import wheel_tags
from chef.recipe import Recipe, dumps, loads

ARM = TargetPlatform("linux/arm64", "aarch64", Libc("glibc", (2, 36)), "3.12.7")


def native_env(machine: str = "x86_64") -> Dict[str, str]:
    env = dict(default_environment())
    env.update(platform_machine=machine, sys_platform="linux", implementation_name="cpython",
               python_full_version="3.12.7", python_version="3.12")
    return env


@pytest.mark.parametrize(
    "text, expected",
    [
        ("linux/arm64", ("linux/arm64", "aarch64")),
        ("linux/arm64/v8", ("linux/arm64", "aarch64")),
        ("linux/aarch64", ("linux/arm64", "aarch64")),
        ("linux/amd64", ("linux/amd64", "x86_64")),
        ("linux/amd64/v3", ("linux/amd64", "x86_64")),
        ("linux/x86_64", ("linux/amd64", "x86_64")),
        ("linux/arm/v7", ("linux/arm/v7", "armv7l")),
        ("linux/arm", ("linux/arm/v7", "armv7l")),
        ("linux/arm/v6", ("linux/arm/v6", "armv6l")),
        ("linux/386", ("linux/386", "i686")),
        ("linux/ppc64le", ("linux/ppc64le", "ppc64le")),
        ("linux/s390x", ("linux/s390x", "s390x")),
        ("LINUX/ARM64", ("linux/arm64", "aarch64")),
    ],
)
def test_docker_spelling(text: str, expected: Tuple[str, str]) -> None:
    assert parse_platform(text) == expected


@pytest.mark.parametrize("text", ["arm64", "windows/amd64", "darwin/arm64", "linux/mips",
                                  "linux/arm64/v7", "linux//", "linux/amd64/v9", ""])
def test_bad_spellings_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_platform(text)


def test_docker_names_of_machines() -> None:
    assert docker_platform("x86_64") == "linux/amd64"
    assert docker_platform("aarch64") == "linux/arm64"
    assert docker_platform("armv7l") == "linux/arm/v7"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("auto", None),
        ("glibc-2.36", Libc("glibc", (2, 36))),
        ("manylinux_2_28", Libc("glibc", (2, 28))),
        ("musl", Libc("musl", (1, 2))),
        ("musl-1.1", Libc("musl", (1, 1))),
        ("musllinux_1_2", Libc("musl", (1, 2))),
    ],
)
def test_libc_spelling(text: str, expected: Optional[Libc]) -> None:
    assert parse_libc(text) == expected


@pytest.mark.parametrize("text", ["glibc", "glibc-2", "uclibc", "musl-2.0", "glibc-1.9"])
def test_bad_libc(text: str) -> None:
    with pytest.raises(UsageError):
        parse_libc(text)


def test_platform_tags_glibc_and_musl() -> None:
    tags = ARM.platform_tags()
    assert tags[0] == "manylinux_2_36_aarch64"
    assert "manylinux2014_aarch64" in tags and "manylinux_2_17_aarch64" in tags
    assert "manylinux_2_16_aarch64" not in tags  # aarch64 starts at manylinux2014
    assert tags[-1] == "linux_aarch64"
    x86 = TargetPlatform("linux/amd64", "x86_64", Libc("glibc", (2, 31)), "3.12.7")
    assert "manylinux1_x86_64" in x86.platform_tags()
    musl = TargetPlatform("linux/arm64", "aarch64", Libc("musl", (1, 2)), "3.12.7")
    assert musl.platform_tags() == ["musllinux_1_2_aarch64", "musllinux_1_1_aarch64",
                                    "musllinux_1_0_aarch64", "linux_aarch64"]


@pytest.mark.parametrize(
    "tags, ok",
    [
        ("cp312-cp312-manylinux_2_17_aarch64", True),
        ("cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64", True),
        ("cp39-abi3-manylinux_2_28_aarch64", True),
        ("cp312-cp312-manylinux_2_38_aarch64", False),  # newer glibc than the target's
        ("cp311-cp311-manylinux_2_17_aarch64", False),  # another Python
        ("cp312-cp312-manylinux_2_17_x86_64", False),  # another machine
        ("cp312-cp312-musllinux_1_2_aarch64", False),  # another C library
        ("cp312-cp312-linux_aarch64", True),  # a wheel built on the target (pip wheel)
        ("py3-none-any", True),
        ("cp312-none-any", True),
        ("not a tag", False),
    ],
)
def test_accepts(tags: str, ok: bool) -> None:
    assert ARM.accepts(tags) is ok


def test_marker_env_is_the_targets() -> None:
    env = ARM.marker_env(native_env())
    assert env["platform_machine"] == "aarch64" and env["sys_platform"] == "linux"
    assert env["python_full_version"] == "3.12.7"


def test_uv_names() -> None:
    assert ARM.uv_name() == "aarch64-manylinux_2_36"
    old = TargetPlatform("linux/arm64", "aarch64", Libc("glibc", (2, 30)), "3.12.7")
    assert old.uv_name() == "aarch64-manylinux_2_28"  # uv has no 2_29/2_30: rounded down
    assert old.for_uv().libc == Libc("glibc", (2, 28))
    new = TargetPlatform("linux/amd64", "x86_64", Libc("glibc", (2, 41)), "3.12.7")
    assert new.uv_name() == "x86_64-manylinux_2_40"
    musl = TargetPlatform("linux/arm64", "aarch64", Libc("musl", (1, 2)), "3.12.7")
    assert musl.uv_name() == "aarch64-unknown-linux-musl"
    armv7 = TargetPlatform("linux/arm/v7", "armv7l", Libc("glibc", (2, 36)), "3.12.7")
    assert armv7.uv_name() is None


def test_pip_args() -> None:
    args = ARM.pip_args()
    platforms = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert platforms == ARM.platform_tags()
    tail = args[len(platforms) * 2:]
    assert tail == ["--implementation", "cp", "--python-version", "3.12", "--abi", "cp312",
                    "--only-binary", ":all:"]


def test_target_platform_from_the_native_interpreter() -> None:
    target, same = target_platform("linux/arm64", "auto", None, native_env(), "glibc 2.36",
                                   "/usr/bin/python3")
    assert not same and target == ARM
    target, same = target_platform("linux/amd64", "auto", "3.12", native_env(), "glibc 2.36",
                                   "/usr/bin/python3")
    assert same  # this machine's own platform: a native cook
    target, same = target_platform("linux/amd64", "musl", None, native_env(), "glibc 2.36",
                                   "/usr/bin/python3")
    assert not same and target.libc == Libc("musl", (1, 2))


def test_python_version_must_be_the_build_machines() -> None:
    with pytest.raises(TargetEnvironmentError, match="--python-version 3.11 is not the build"):
        target_platform("linux/arm64", "auto", "3.11", native_env(), "glibc 2.36", "py")
    with pytest.raises(TargetEnvironmentError, match="free-threaded"):
        target_platform("linux/arm64", "auto", None, native_env(), "glibc 2.36", "py", "t")
    with pytest.raises(TargetEnvironmentError, match="CPython"):
        target_platform("linux/arm64", "auto", None,
                        {**native_env(), "implementation_name": "pypy"}, "glibc 2.36", "py")


def test_unknown_libc_needs_an_option() -> None:
    macos = {**native_env("arm64"), "sys_platform": "darwin"}
    with pytest.raises(TargetEnvironmentError, match="--libc"):
        target_platform("linux/arm64", "auto", None, macos, None, "py")
    target, _ = target_platform("linux/arm64", "glibc-2.36", None, macos, None, "py")
    assert target == ARM


# ---------------------------------------------------------------- the recipe's `wheels`


def test_wheel_tags_of_a_lock() -> None:
    files = [
        "numpy-2.2.6.tar.gz",
        "numpy-2.2.6-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "numpy-2.2.6-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "numpy-2.2.6-cp312-cp312-macosx_11_0_arm64.whl",
        "numpy-2.2.6-cp312-cp312-win_amd64.whl",
        "numpy-2.2.6-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
        "https://files.index.invalid/x/numpy-2.2.6-cp312-cp312-musllinux_1_2_aarch64.whl#sha256=1",
    ]
    assert wheel_tags(files) == (
        "cp312-cp312-manylinux_2_17_aarch64",
        "cp312-cp312-manylinux_2_27_x86_64",
        "cp312-cp312-musllinux_1_2_aarch64",
    )
    assert wheel_tags(["six-1.17.0-py2.py3-none-any.whl", "six-1.17.0.tar.gz"]) is None
    assert wheel_tags(["pkg-1.0.tar.gz"]) == ()
    assert wheel_tags(["pkg-1.0-cp312-cp312-macosx_11_0_arm64.whl"]) == ()
    assert wheel_tags(list(reversed(files))) == wheel_tags(files)  # order never shows


REGISTRY = Source("registry")


def locked(name: str, wheels: Optional[Tuple[str, ...]], source: Source = REGISTRY,
           hashes: Tuple[str, ...] = ("sha256:" + "0" * 64,)) -> LockedPackage:
    return LockedPackage(name=name, version="1.0", source=source, hashes=hashes, key=name,
                         wheels=wheels)


def recipe_of(*packages: LockedPackage, manager: str = "uv") -> Recipe:
    return Recipe(
        manager=manager,
        roots=[Dep(name=p.name, key=p.key) for p in packages],
        locked={p.key: p for p in packages},
    )


def test_recipe_round_trip_and_pure_packages_keep_their_bytes() -> None:
    pure = recipe_of(locked("six", None))
    text = dumps(pure)
    assert '"wheels"' not in text
    mixed = recipe_of(locked("six", None), locked("numpy", ("cp312-cp312-manylinux_2_17_x86_64",)),
                      locked("old", ()))
    again = loads(dumps(mixed))
    assert again.locked is not None
    assert again.locked["numpy"].wheels == ("cp312-cp312-manylinux_2_17_x86_64",)
    assert again.locked["old"].wheels == () and again.locked["six"].wheels is None
    assert dumps(again) == dumps(mixed)


def test_from_project_keeps_the_wheels_of_each_locked_package() -> None:
    """`from_project` copies each reached package's `wheels` into the recipe (cook --platform
    refuses or accepts a package by them); a dropped field would make every package "unknown"
    and a cross-cook would try packages that have no wheel for the target."""
    from chef.model import Project
    from chef.recipe import from_project
    from chef.select import Selection

    packages = {
        "numpy": locked("numpy", ("cp312-cp312-manylinux_2_17_x86_64",)),
        "old": locked("old", ()),
        "six": locked("six", None),
        "unused": locked("unused", ("cp312-cp312-win_amd64",)),
    }
    project = Project(root=Path("."), manager="uv", locked=packages,
                      roots=[Dep(name=n, key=n) for n in ("numpy", "old", "six")])
    recipe = from_project(project, Selection(), "uv.lock")
    assert recipe.locked is not None
    assert {k: p.wheels for k, p in recipe.locked.items()} == {
        "numpy": ("cp312-cp312-manylinux_2_17_x86_64",), "old": (), "six": None}


UV_WHEELS_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "native" }, { name = "pure" }, { name = "sdistonly" }]

[[package]]
name = "native"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
sdist = { url = "https://files.index.invalid/native-1.0.tar.gz", hash = "sha256:01", size = 1 }
wheels = [
    { url = "https://files.index.invalid/native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:02", size = 1 },
    { url = "https://files.index.invalid/native-1.0-cp312-cp312-win_amd64.whl", hash = "sha256:03", size = 1 },
]

[[package]]
name = "pure"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://files.index.invalid/pure-1.0-py3-none-any.whl", hash = "sha256:04", size = 1 }]

[[package]]
name = "sdistonly"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
sdist = { url = "https://files.index.invalid/sdistonly-1.0.tar.gz", hash = "sha256:05", size = 1 }
"""


def test_prepare_writes_the_wheels_of_a_uv_lock(tmp_path: Path) -> None:
    from chef.prepare import prepare

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["native", "pure", "sdistonly"]\n', "utf-8")
    (tmp_path / "uv.lock").write_text(UV_WHEELS_LOCK, "utf-8")
    data = json.loads(prepare(tmp_path, frozen=True).text)
    assert {p["name"]: p.get("wheels") for p in data["locked"]} == {
        "native": ["cp312-cp312-manylinux_2_17_x86_64"], "pure": None, "sdistonly": []}


@pytest.mark.parametrize("bad", [["cp312-cp312"], ["a-b-c d"], ["a-b-c\n-x"], "tag", [1]])
def test_recipe_refuses_bad_wheel_tags(bad: object) -> None:
    data = json.loads(dumps(recipe_of(locked("numpy", ("cp312-cp312-linux_x86_64",)))))
    data["locked"][0]["wheels"] = bad
    with pytest.raises(RecipeError, match="wheels"):
        loads(json.dumps(data))


# ---------------------------------------------------------------- the plan


def test_no_wheel_reasons() -> None:
    assert no_wheel_reason(locked("six", None), ARM) is None
    assert no_wheel_reason(locked("x", ("cp312-cp312-manylinux_2_17_aarch64",)), ARM) is None
    assert no_wheel_reason(locked("x", ()), ARM) == "sdist only"
    why = no_wheel_reason(locked("x", ("cp312-cp312-manylinux_2_17_x86_64",)), ARM)
    assert why == "Linux wheels only for cp312-cp312-manylinux_2_17_x86_64"
    git = locked("g", None, Source("git", "git+https://git.invalid/g@abc"))
    assert no_wheel_reason(git, ARM) == "a git source: built from source"
    url = locked("u", None, Source("url", "https://files.index.invalid/u-1.0.tar.gz"))
    assert "source archive" in str(no_wheel_reason(url, ARM))
    wheel = locked("w", None, Source("url", "https://files.index.invalid/w-1.0-py3-none-any.whl"))
    assert no_wheel_reason(wheel, ARM) is None


def test_plan_lists_what_has_no_wheel_and_takes_find_links_wheels() -> None:
    recipe = recipe_of(
        locked("numpy", ("cp312-cp312-manylinux_2_17_aarch64", "cp312-cp312-manylinux_2_17_x86_64")),
        locked("old", ()),
        locked("x86", ("cp312-cp312-manylinux_2_17_x86_64",)),
        locked("six", None),
    )
    env = ARM.marker_env(native_env())
    result = plan(recipe, env, platform=ARM, build_markers=native_env())
    assert result.no_wheel == [
        "old==1.0 (sdist only)",
        "x86==1.0 (Linux wheels only for cp312-cp312-manylinux_2_17_x86_64)",
    ]
    installed = [line.requirement for b in result.batches for line in b.lines]
    assert installed == ["numpy==1.0", "six==1.0"]
    assert all(b.platform == ARM and b.require_hashes for b in result.batches)

    result = plan(recipe, env, platform=ARM, find_wheel=lambda n, v: "/wh" if n == "old" else None)
    assert result.no_wheel == ["x86==1.0 (Linux wheels only for cp312-cp312-manylinux_2_17_x86_64)"]
    assert result.target_wheels == ["old==1.0 from /wh"]
    local = result.batches[-1]
    assert [line.render() for line in local.lines] == ["old==1.0"]  # no hash: not the lock's
    assert local.options.find_links == ("/wh",) and local.options.no_index
    assert not local.require_hashes and local.no_deps


def test_markers_are_the_targets_and_the_build_env_the_build_machines() -> None:
    arm_only = Dep(name="armonly", key="armonly", marker='platform_machine == "aarch64"')
    x86_only = Dep(name="x86only", key="x86only", marker='platform_machine == "x86_64"')
    from chef.model import LocalPackage

    recipe = replace(
        recipe_of(locked("armonly", None), locked("x86only", None)),
        roots=[arm_only, x86_only],
        local_packages={"app": LocalPackage(name="app", path=".", build_requires=("tb",))},
        build_constraints=[Dep(name="tb", specifier="<2", marker='platform_machine == "x86_64"')],
    )
    result = plan(recipe, ARM.marker_env(native_env()), platform=ARM, build_markers=native_env())
    assert [line.requirement for b in result.batches for line in b.lines] == ["armonly==1.0"]
    assert result.build_batch is not None and result.build_batch.platform is None
    assert [c.requirement for c in result.build_batch.constraints] == ["tb<2"]


def test_recipes_without_file_lists_are_noted() -> None:
    recipe = recipe_of(locked("six", None), manager="requirements")
    result = plan(recipe, ARM.marker_env(native_env()), platform=ARM)
    assert result.unknown_files and not result.no_wheel


def test_installer_argv(tmp_path: Path) -> None:
    recipe = recipe_of(locked("numpy", ("cp312-cp312-manylinux_2_17_aarch64",)))
    (batch,) = plan(recipe, ARM.marker_env(native_env()), platform=ARM).batches
    files = installers.write_batch_files(batch, tmp_path)
    uv = installers.UvBackend("uv").install("/app/.venv/bin/python", files, batch, False)
    assert uv[:5] == ["uv", "pip", "install", "--python", "/app/.venv/bin/python"]
    assert "--no-deps" in uv and "--require-hashes" in uv
    assert uv[uv.index("--python-platform") + 1] == "aarch64-manylinux_2_36"
    assert uv[uv.index("--python-version") + 1] == "3.12.7" and "--no-build" in uv
    files = replace(files, target=tmp_path / "target")
    pip = installers.PipBackend().install("/app/.venv/bin/python", files, batch, False)
    assert "--no-deps" in pip and "--require-hashes" in pip
    assert pip[pip.index("--target") + 1] == str(tmp_path / "target")
    assert "--only-binary" in pip and "--no-compile" in pip
    assert pip[pip.index("--abi") + 1] == "cp312"


def test_auto_takes_pip_where_uv_has_no_name_for_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installers, "find_uv", lambda: "/usr/bin/uv")
    armv7 = TargetPlatform("linux/arm/v7", "armv7l", Libc("glibc", (2, 36)), "3.12.7")
    assert installers.choose("auto", armv7).name == "pip"
    assert installers.choose("auto", ARM).name == "uv"
    with pytest.raises(TargetEnvironmentError, match="uv cannot install wheels for linux/arm/v7"):
        installers.choose("uv", armv7)


def test_pip_does_not_resolve_for_another_platform(tmp_path: Path) -> None:
    from chef.cook.run import Cross, TargetSpec, cook

    recipe = tmp_path / "recipe.json"
    unlocked = Recipe(manager="requirements", roots=[Dep(name="six", specifier="==1.17.0")])
    recipe.write_text(dumps(unlocked))
    with pytest.raises(TargetEnvironmentError, match="unlocked recipe for linux/s390x with pip"):
        cook(recipe, TargetSpec(venv=tmp_path / "venv"), installer="pip", dry_run=True,
             echo=lambda s: None, cross=Cross("linux/s390x"))
    assert not (tmp_path / "venv").exists()
