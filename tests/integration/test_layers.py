"""`--layer-dir`: install-project and cook export exactly the files they add to an existing venv
(chef.cook.layer), and cooks of layer recipes stack on one venv without touching what an earlier
layer wrote."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from clirun import chef
from conftest import installed, run, uv_bin
from projects import make_app

from chef import errors
from chef.cook import layer
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file

pytestmark = pytest.mark.slow

PY = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def listing(layer_dir: Path) -> List[str]:
    """Every file and symlink below DIR, relative to it (directories left out)."""
    return sorted(
        p.relative_to(layer_dir).as_posix()
        for p in layer_dir.rglob("*")
        if p.is_symlink() or not p.is_dir()
    )


def exported(venv: Path) -> str:
    """The venv's path below a layer directory (its absolute path, without the leading /)."""
    return Path(os.path.abspath(venv)).relative_to("/").as_posix()


def state(venv: Path) -> Dict[str, Tuple[int, int, int, int, bytes]]:
    """Every file of a venv with (size, mtime_ns, inode, mode, content)."""
    out = {}
    for path in sorted(venv.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        info = path.lstat()
        content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        out[path.relative_to(venv).as_posix()] = (
            info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode, content)
    return out


# tinybuild writes no entry points: this in-tree backend adds the app's console script.
SCRIPTS = """\
import tinybuild
from tinybuild import *  # noqa

_write = tinybuild._write


def _with_script(wheel_directory, files):
    files = dict(files)
    info = "app-%s.dist-info" % tinybuild._meta()["version"]
    files[info + "/entry_points.txt"] = b"[console_scripts]\\napp = app:main\\n"
    return _write(wheel_directory, files)


tinybuild._write = _with_script
"""


def cooked_app(tmp_path: Path, index_url: str) -> Tuple[Path, Path, Path]:
    """The app (with a console script), its recipe in a /chef-like directory, and a venv
    cooked from it."""
    project = make_app(tmp_path / "app")
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace(
        'build-backend = "tinybuild"', 'build-backend = "scripts"\nbackend-path = ["_build"]'))
    (project / "_build").mkdir()
    (project / "_build" / "scripts.py").write_text(SCRIPTS)
    recipe = tmp_path / "recipe-dir" / "recipe.json"
    recipe.parent.mkdir()
    prepare_to_file(project, recipe)
    venv = tmp_path / "venv"
    cook(recipe, TargetSpec(venv=venv), installer="uv",
         overrides=Overrides(index_url=index_url), quiet=True, echo=lambda s: None)
    return project, recipe, venv


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_install_project_exports_exactly_the_project(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env, installer: str
) -> None:
    project, recipe, venv = cooked_app(tmp_path, index.url)
    before = state(venv)
    out = tmp_path / "out" / "project"
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--installer", installer, "--layer-dir", str(out), cwd=project, process=True)
    assert done.returncode == 0, done.stderr
    assert "app" in installed(venv / "bin" / "python")
    after = state(venv)
    assert {p: before[p] for p in before} == {p: after[p] for p in before}  # nothing rewritten
    new = sorted(set(after) - set(before))
    base = exported(venv)
    assert listing(out) == sorted(f"{base}/{p}" for p in new)
    site = f"lib/{PY}/site-packages"
    names = {p for p in new if "__pycache__" not in p}
    info = f"{site}/app-0.1.0.dist-info"
    expected = {f"{site}/app/__init__.py", f"{info}/INSTALLER", f"{info}/METADATA",
                f"{info}/RECORD", f"{info}/REQUESTED", f"{info}/WHEEL", f"{info}/direct_url.json",
                f"{info}/entry_points.txt", "bin/app"}
    if installer == "uv":
        expected.add(f"{info}/uv_cache.json")
    assert names == expected
    assert all(p.startswith(f"{site}/app/__pycache__/") for p in set(new) - names)
    for relative in new:  # same bytes and mode
        copy = out / base / relative
        assert copy.read_bytes() == (venv / relative).read_bytes()
        assert copy.stat().st_mode == (venv / relative).stat().st_mode
    assert "exported" in done.stderr


def test_install_project_refuses_a_deletion(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project, recipe, venv = cooked_app(tmp_path, index.url)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--installer", "uv", cwd=project, process=True)
    assert done.returncode == 0, done.stderr
    # a new version: the installer removes the old dist-info, which a COPY cannot remove
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('version = "0.1.0"', 'version = "0.2.0"'))
    out = tmp_path / "out"
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--installer", "uv", "--layer-dir", str(out), cwd=project, process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    assert "Traceback" not in done.stderr
    line = [x for x in done.stderr.splitlines() if x.startswith("chef: error: ")]
    assert len(line) == 1 and "app-0.1.0.dist-info" in line[0] and "cannot export" in line[0]


def test_layer_dir_must_be_new_or_empty(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project, recipe, venv = cooked_app(tmp_path, index.url)
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale").write_text("x")
    before = state(venv)
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--layer-dir", str(out), cwd=project, process=True)
    assert done.returncode == errors.EXIT_USAGE, done.stderr
    assert "is not an empty directory" in done.stderr
    assert state(venv) == before  # refused before anything was installed


def test_changes_is_pure_and_exact() -> None:
    before: layer.Snapshot = {"a": (1, 1, 1, 0o100644), "d": (0, 1, 2, 0o40755),
                              "d/b": (2, 1, 3, 0o100644), "gone": (1, 1, 4, 0o100644)}
    after: layer.Snapshot = {"a": (1, 1, 1, 0o100644), "d": (0, 2, 2, 0o40755),
                             "d/b": (2, 2, 3, 0o100644), "d/new": (1, 1, 5, 0o100644),
                             "e": (0, 1, 6, 0o40755)}
    found = layer.changes(before, after)
    assert found.written == ("d/b", "d/new")
    assert found.changed == ("d/b",)
    assert found.new_dirs == ("e",)
    assert found.deleted == ("gone",)
    assert layer.changes(after, after) == layer.Changes((), (), (), ())


def test_snapshot_sees_a_replaced_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("one")
    first = layer.snapshot(tmp_path)
    (tmp_path / "g").write_text("one")
    os.replace(tmp_path / "g", tmp_path / "f")  # same size, maybe the same mtime: a new inode
    assert layer.changes(first, layer.snapshot(tmp_path)).written == ("f",)
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)
    assert layer.snapshot(tmp_path / "nothing") == {}



def test_rescan_gives_the_changes_a_snapshot_gives(tmp_path: Path) -> None:
    """What install-project does after compiling the project's modules in its hook: only the
    directories the compile wrote are taken again."""
    (tmp_path / "site" / "app").mkdir(parents=True)
    (tmp_path / "site" / "old" / "__pycache__").mkdir(parents=True)
    (tmp_path / "site" / "old" / "__pycache__" / "m.pyc").write_text("old")
    before = layer.snapshot(tmp_path)
    (tmp_path / "site" / "app" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "site" / "old" / "__pycache__" / "m.pyc.1234").write_text("")  # a temporary
    after = layer.snapshot(tmp_path)
    (tmp_path / "site" / "old" / "__pycache__" / "m.pyc.1234").unlink()
    (tmp_path / "site" / "app" / "__pycache__").mkdir()
    (tmp_path / "site" / "app" / "__pycache__" / "__init__.pyc").write_text("new")
    (tmp_path / "site" / "old" / "__pycache__" / "m.pyc").write_text("rewritten")
    dirs = [str(tmp_path / "site" / "app" / "__pycache__"),
            str(tmp_path / "site" / "old" / "__pycache__")]
    again = layer.rescan(tmp_path, after, dirs)
    assert layer.changes(before, again) == layer.changes(before, layer.snapshot(tmp_path))
    assert layer.changes(before, again).written == (
        "site/app/__init__.py", "site/app/__pycache__/__init__.pyc", "site/old/__pycache__/m.pyc")
    assert layer.changes(before, again).new_dirs == ("site/app/__pycache__",)
    assert layer.changes(before, layer.rescan(tmp_path, after, [])) == layer.changes(before, after)


# ------------------------------------------------------------------ cook stacks layer recipes


def split_recipe(recipe: Path, first: Tuple[str, ...], out: Path) -> Tuple[Path, Path]:
    """Two recipes of one locked recipe, in the shape `prepare --layer-recipes` writes: each
    layer's packages as roots (with the marker that reaches them), no edges between them."""
    from chef.model import Dep, replace
    from chef.recipe import dumps, load

    full = load(recipe)
    assert full.locked is not None
    paths = []
    for n, keys in enumerate((set(first), set(full.locked) - set(first)), 1):
        roots = [Dep(name=full.locked[k].name, key=k,
                     marker="sys_platform == 'win32'" if k == "zeta" else None) for k in keys]
        locked = {k: replace(full.locked[k], dependencies=(), extras=()) for k in keys}
        part = replace(full, roots=roots, locked=locked,
                       local_packages=full.local_packages if n == 2 else {})
        path = out / f"layer-{n}.json"
        path.write_text(dumps(part))
        paths.append(path)
    return paths[0], paths[1]


def locked_app(tmp_path: Path, index_url: str) -> Path:
    from projects import make_locked_app

    project = make_locked_app(tmp_path / "app", index_url)
    recipe = tmp_path / "recipe.json"
    prepare_to_file(project, recipe)
    return recipe


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_cook_stacks_a_layer_without_touching_the_first(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    recipe = locked_app(tmp_path, index.url)
    one, two = split_recipe(recipe, ("alpha", "beta"), tmp_path)
    venv = tmp_path / "venv"
    # the Docker stage's ENV: uv would otherwise compile (rewrite) every earlier layer's files
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    base = ("cook", "--venv", str(venv), "--installer", installer, "--index-url", index.url)
    done = chef(*base, "--recipe-path", str(one), cwd=tmp_path, process=True)
    assert done.returncode == 0, done.stderr
    assert set(installed(venv / "bin" / "python")) == {"alpha", "beta"}
    first = state(venv)
    out = tmp_path / "out" / "2"
    done = chef(*base, "--recipe-path", str(two), "--layer-dir", str(out), cwd=tmp_path,
                process=True)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    assert installed(venv / "bin" / "python") == {
        "alpha": "2.0", "beta": "2.0", "gamma": "1.0", "delta": "1.0", "epsilon": "1.0"}
    second = state(venv)
    assert {p: second[p] for p in first} == first  # size, mtime_ns, inode, mode, content
    new = sorted(set(second) - set(first))
    assert listing(out) == sorted(f"{exported(venv)}/{p}" for p in new)
    site = f"lib/{PY}/site-packages"
    for name in ("gamma", "delta", "epsilon"):
        assert f"{site}/{name}/__init__.py" in new
        assert any(p.startswith(f"{site}/{name}/__pycache__/__init__.") for p in new), new
    assert not any(p.startswith((f"{site}/alpha", f"{site}/beta")) for p in new)


# ------------------------------------------------------------------ one cook == stacked layers


def contents(root: Path) -> Dict[str, Tuple[int, bytes]]:
    """Every file and symlink: mode and bytes (a .pyc without its 16-byte header, which holds
    the source's mtime; by name only, the project's direct_url.json, which names the wheel's
    temporary path, and uv's uv_cache.json, a cache timestamp, also left out of RECORD)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            data = b"-> " + os.readlink(path).encode()
        elif path.name in ("uv_cache.json", "direct_url.json"):
            data = b""
        elif path.name == "RECORD":
            data = b"".join(line for line in path.read_bytes().splitlines(True)
                            if b"/uv_cache.json," not in line and b"/direct_url.json," not in line)
        else:
            data = path.read_bytes()
            if path.suffix == ".pyc":
                data = data[16:]
        out[relative] = (path.lstat().st_mode, data)
    return out


def overlay(export: Path, venv: Path, onto: Path) -> None:
    """`COPY --from=<stage> DIR/ /` of a layer export, onto a copy of the earlier layers."""
    source = export / exported(venv)
    for path in sorted(source.rglob("*")):
        target = onto / path.relative_to(source)
        if path.is_dir() and not path.is_symlink():
            target.mkdir(exist_ok=True)
        elif path.is_symlink():
            if target.is_symlink() or target.exists():
                target.unlink()
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_layers_make_the_venv_one_cook_makes(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    from projects import make_locked_app

    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    project = make_locked_app(tmp_path / "app", index.url)
    chef_dir = tmp_path / "chef"
    done = chef("prepare", "--recipe-path", str(chef_dir / "recipe.json"), "--layer-recipes",
                str(chef_dir / "layers"), "--heavy", "alpha", "--heavy", "delta", cwd=project)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    target = ("--venv", str(venv), "--installer", installer)
    common = (*target, "--index-url", index.url)

    def step(*args: str) -> None:
        finished = chef(*args, cwd=project, process=True)
        assert finished.returncode == 0, finished.stderr
        assert "warning" not in finished.stderr, finished.stderr

    # one dependency layer, as today
    step("cook", "--recipe-path", str(chef_dir / "recipe.json"), *common)
    step("install-project", "--recipe-path", str(chef_dir / "recipe.json"), *target)
    one = contents(venv)
    versions = installed(venv / "bin" / "python")
    shutil.rmtree(venv)
    shutil.rmtree(tmp_path / "venv.chef-build")
    # layered: heavy, light (exported), the project (exported)
    layers_dir = chef_dir / "layers"
    step("cook", "--recipe-path", str(layers_dir / "layer-1.json"), *common)
    assert set(installed(venv / "bin" / "python")) == {"alpha", "delta"}
    runtime = tmp_path / "runtime"
    shutil.copytree(venv, runtime, symlinks=True)  # COPY --from=cook-1 /app/.venv /app/.venv
    step("cook", "--recipe-path", str(layers_dir / "layer-2.json"), *common,
         "--layer-dir", str(tmp_path / "out" / "2"))
    step("install-project", "--recipe-path", str(chef_dir / "recipe.json"), *target,
         "--layer-dir", str(tmp_path / "out" / "project"))
    assert installed(venv / "bin" / "python") == versions
    layered = contents(venv)
    assert sorted(k for k in set(one) | set(layered) if one.get(k) != layered.get(k)) == []
    assert layered == one
    overlay(tmp_path / "out" / "2", venv, runtime)
    overlay(tmp_path / "out" / "project", venv, runtime)
    assert contents(runtime) == one


def test_a_later_layer_on_another_venv(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env
) -> None:
    """Without the earlier layer, layer 2 installs its packages too (a correct venv, not a
    layered one); with another version of them, it refuses (the installer would replace them)."""
    from projects import make_locked_app

    project = make_locked_app(tmp_path / "app", index.url)
    done = chef("prepare", "--layer-recipes", str(tmp_path / "layers"), "--heavy", "alpha",
                cwd=project)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    common = ("--recipe-path", str(tmp_path / "layers" / "layer-2.json"), "--venv", str(venv),
              "--installer", "uv", "--index-url", index.url)
    done = chef("cook", *common, cwd=tmp_path, process=True)
    assert done.returncode == 0, done.stderr
    assert "chef: note: alpha==2.0 is not in the venv" in done.stderr
    assert installed(venv / "bin" / "python")["alpha"] == "2.0"
    other = tmp_path / "other"
    done = chef("cook", *common[:2], "--venv", str(other), "--installer", "uv", "--index-url",
                index.url, "--dry-run", cwd=tmp_path, process=True)
    assert done.returncode == 0, done.stderr
    run([uv_bin(), "venv", "-q", "--python", sys.executable, str(other)])
    run([uv_bin(), "pip", "install", "-q", "--python", str(other / "bin" / "python"),
         "--index-url", index.url, "alpha==1.0", "--no-deps"])
    done = chef("cook", *common[:2], "--venv", str(other), "--installer", "uv", "--index-url",
                index.url, cwd=tmp_path, process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    line = [x for x in done.stderr.splitlines() if x.startswith("chef: error: ")]
    assert len(line) == 1 and "holds alpha 1.0, and the earlier layers" in line[0], done.stderr
    assert installed(other / "bin" / "python") == {"alpha": "1.0"}  # nothing installed


def test_the_test_layer_adds_only_the_test_groups(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projects import make_locked_app

    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    from projects import APP_PYPROJECT

    # the dev group needs zeta everywhere; production needs it on win32 only (through epsilon)
    project = make_locked_app(tmp_path / "app", index.url, APP_PYPROJECT.replace(
        'dev = ["devtool==1.0"]', 'dev = ["devtool==1.0", "zeta"]'))
    layers_dir = tmp_path / "layers"
    done = chef("prepare", "--layer-recipes", str(layers_dir), "--heavy", "alpha",
                "--test-group", "dev", cwd=project)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    common = ("--venv", str(venv), "--installer", "uv", "--index-url", index.url)
    for name in ("layer-1.json", "layer-2.json"):
        done = chef("cook", "--recipe-path", str(layers_dir / name), *common, cwd=tmp_path,
                    process=True)
        assert done.returncode == 0, done.stderr
    production = state(venv)
    out = tmp_path / "out" / "test"
    done = chef("cook", "--recipe-path", str(layers_dir / "test.json"), *common,
                "--layer-dir", str(out), cwd=tmp_path, process=True)
    assert done.returncode == 0, done.stderr
    assert installed(venv / "bin" / "python") == {
        "alpha": "2.0", "beta": "2.0", "gamma": "1.0", "delta": "1.0", "epsilon": "1.0",
        "devtool": "1.0", "zeta": "1.0"}
    assert "zeta==1.0 is not in the venv" in done.stderr
    after = state(venv)
    assert {p: after[p] for p in production} == production
    new = sorted(set(after) - set(production))
    site = f"lib/{PY}/site-packages"
    assert new and all(p.startswith(tuple(f"{site}/{n}" for n in (
        "devtool/", "devtool-1.0.dist-info/", "zeta/", "zeta-1.0.dist-info/"))) for p in new), new
    assert listing(out) == sorted(f"{exported(venv)}/{p}" for p in new)


def test_a_later_layer_refuses_an_earlier_one_of_another_platform(  # type: ignore[no-untyped-def]
    tmp_path: Path, index, isolated_env
) -> None:
    from projects import make_locked_app

    project = make_locked_app(tmp_path / "app", index.url)
    layers_dir = tmp_path / "layers"
    done = chef("prepare", "--layer-recipes", str(layers_dir), "--heavy", "alpha", cwd=project, process=True)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    common = ("--venv", str(venv), "--installer", "uv", "--index-url", index.url)
    done = chef("cook", "--recipe-path", str(layers_dir / "layer-1.json"), *common, cwd=tmp_path, process=True)
    assert done.returncode == 0, done.stderr
    # as if layer 1 had been cooked with --platform for another machine
    (wheel,) = venv.glob("lib/python*/site-packages/alpha-2.0.dist-info/WHEEL")
    wheel.write_text(wheel.read_text().replace("Tag: py3-none-any",
                                               "Tag: cp311-cp311-manylinux_2_17_s390x"))
    done = chef("cook", "--recipe-path", str(layers_dir / "layer-2.json"), *common, cwd=tmp_path, process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    line = [x for x in done.stderr.splitlines() if x.startswith("chef: error: ")]
    assert len(line) == 1 and "alpha 2.0 from an earlier layer is a wheel for " \
        "cp311-cp311-manylinux_2_17_s390x" in line[0], done.stderr
    assert set(installed(venv / "bin" / "python")) == {"alpha"}  # nothing installed


def test_layer_dir_inside_the_venv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match="is inside the venv"):
        layer.check_layer_dir(tmp_path / "venv" / "out", tmp_path / "venv")
    layer.check_layer_dir(tmp_path / "venv-out", tmp_path / "venv")
