"""`chef cook --platform linux/arm64` for real, on this (x86_64) machine: a uv project locked by uv
against a loopback index of wheels made here, with a compiled package that has one wheel per
machine, dependencies that only one machine installs, and a console script. No network."""

from __future__ import annotations

import platform as host
import re
import shutil
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
from clirun import chef
from conftest import installed, run, write
from index_server import IndexServer
from projects import uv_lock
from tinybuild import BACKEND_SOURCE
from wheelhouse import make_wheel

from chef import errors
from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import Cross, TargetSpec, cook
from chef.prepare import prepare, prepare_to_file

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(host.machine() != "x86_64" or sys.platform != "linux",
                       reason="cross-cooks for linux/arm64 from an x86_64 Linux machine"),
]

PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"
ARCHES = ("x86_64", "aarch64")

PYPROJECT = """\
[project]
name = "xapp"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [
    "fastext",
    "armonly; platform_machine == 'aarch64'",
    "x86only; platform_machine == 'x86_64'",
    "purelib",
]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"
"""


def fastext(directory: Path, arch: str) -> Path:
    """A "compiled" package: one wheel per machine, each saying which machine it is for."""
    tag = f"{PY}-{PY}-manylinux_2_17_{arch}.manylinux2014_{arch}"
    return make_wheel(directory, "fastext", "1.0", tag=tag, files={
        "fastext/__init__.py": f"ARCH = {arch!r}\ndef main():\n    print(ARCH)\n",
        "fastext-1.0.dist-info/entry_points.txt": "[console_scripts]\nfastext = fastext:main\n",
    })


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cross-wheelhouse")
    for arch in ARCHES:
        fastext(directory, arch)
    for name in ("armonly", "x86only", "purelib"):
        make_wheel(directory, name, "1.0")
    make_wheel(directory, "tinybuild", "1.0", files={"tinybuild.py": BACKEND_SOURCE})
    return directory


@pytest.fixture(scope="module")
def cross_index(house: Path) -> Iterator[IndexServer]:
    with IndexServer(house) as server:
        yield server


def make_project(root: Path, index_url: str, pyproject: str = PYPROJECT) -> Path:
    write(root / "pyproject.toml", pyproject)
    write(root / "src" / "xapp" / "__init__.py", "VALUE = 1\n")
    uv_lock(root, index_url)
    return root


def recipe_alone(project: Path, tmp_path: Path, frozen: bool = False) -> Path:
    """The builder stage's view: the recipe, and nothing else of the project."""
    prepare_to_file(project, project / "recipe.json", frozen=frozen)
    alone = tmp_path / "chef"
    alone.mkdir(exist_ok=True)
    shutil.copy(project / "recipe.json", alone / "recipe.json")
    return alone / "recipe.json"


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python*/site-packages")
    return found


def cross_cook(recipe: Path, venv: Path, index_url: str, installer: str,
               **kw: object) -> object:
    return cook(recipe, TargetSpec(venv=venv), installer=installer,
                overrides=Overrides(index_url=index_url, **kw),  # type: ignore[arg-type]
                quiet=True, echo=lambda s: None, cross=Cross("linux/arm64"))


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_cross_cooked_venv_holds_the_targets_wheels(tmp_path: Path, cross_index, isolated_env,  # type: ignore[no-untyped-def]
                                                    installer: str, monkeypatch) -> None:
    # Bytecode as Dockerfile.example asks uv for it (pip compiles by default).
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    project = make_project(tmp_path / "xapp", cross_index.url)
    recipe = recipe_alone(project, tmp_path)
    assert '"wheels": ["' in recipe.read_text()  # fastext's: one per machine
    venv = tmp_path / "venv"
    cross_cook(recipe, venv, cross_index.url, installer)

    got = installed(venv / "bin" / "python")
    # Markers for aarch64: armonly installed, x86only not (a native cook does the opposite).
    assert got == {"fastext": "1.0", "armonly": "1.0", "purelib": "1.0"}
    sp = site_packages(venv)
    assert (sp / "fastext" / "__init__.py").read_text().startswith("ARCH = 'aarch64'")
    wheel = (sp / "fastext-1.0.dist-info" / "WHEEL").read_text()
    assert "aarch64" in wheel and "x86_64" not in wheel
    # Bytecode, compiled by this machine's interpreter of the same version, at its final path.
    pyc = list((sp / "fastext" / "__pycache__").glob("__init__.*.pyc"))
    assert pyc and str(sp) in pyc[0].read_bytes().decode("latin-1")
    # The console script is in the venv's bin, for the venv's python, and RECORD says so.
    script = venv / "bin" / "fastext"
    assert script.read_text().splitlines()[0] == f"#!{venv}/bin/python"
    assert run([str(script)]).stdout.strip() == "aarch64"  # (the fake module is pure Python)
    record = (sp / "fastext-1.0.dist-info" / "RECORD").read_text()
    listed = [line.split(",")[0] for line in record.splitlines()]
    assert any((sp / path).resolve() == script.resolve() for path in listed), listed
    assert not list(sp.glob("bin")) and not list(sp.parent.glob(".chef-target-*"))

    # The project itself: pure Python, built here; install-project reads the platform cook
    # recorded in the build environment.
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer=installer,
                    quiet=True, echo=lambda s: None)
    assert installed(venv / "bin" / "python")["xapp"] == "0.1.0"

    native = tmp_path / "native"
    cook(recipe, TargetSpec(venv=native), installer=installer,
         overrides=Overrides(index_url=cross_index.url), quiet=True, echo=lambda s: None)
    assert installed(native / "bin" / "python") == {
        "fastext": "1.0", "x86only": "1.0", "purelib": "1.0"}
    assert "x86_64" in (site_packages(native) / "fastext" / "__init__.py").read_text()


def test_cross_cook_keeps_hash_checking(tmp_path: Path, cross_index, house: Path,  # type: ignore[no-untyped-def]
                                        isolated_env, capsys) -> None:
    project = make_project(tmp_path / "xapp", cross_index.url)
    recipe = recipe_alone(project, tmp_path)
    lines: List[str] = []
    cook(recipe, TargetSpec(venv=tmp_path / "dry"), installer="uv", dry_run=True,
         overrides=Overrides(index_url=cross_index.url), echo=lines.append,
         cross=Cross("linux/arm64"))
    text = "\n".join(lines)
    assert "(hash-checked)" in text and "--require-hashes" in text and "--no-deps" in text
    assert "--python-platform aarch64-manylinux_2_" in text
    # Another aarch64 wheel of fastext (same name, other bytes) on another index: refused.
    other = tmp_path / "other-house"
    shutil.copytree(house, other)
    for path in other.glob("fastext-*aarch64*.whl"):
        path.unlink()
    tag = f"{PY}-{PY}-manylinux_2_17_aarch64.manylinux2014_aarch64"
    make_wheel(other, "fastext", "1.0", tag=tag, files={"fastext/__init__.py": "EVIL = 1\n"})
    with IndexServer(other) as evil:
        for installer in ("uv", "pip"):
            venv = tmp_path / f"venv-{installer}"
            with pytest.raises(errors.InstallError):
                cross_cook(recipe, venv, evil.url, installer)
            assert not venv.exists()  # the venv this cook created is gone again


def sdist_only(lock: Path, name: str) -> None:
    """Make `name` an sdist-only package in a uv.lock (as on an index without its wheels)."""
    text = lock.read_text()
    pattern = re.compile(r'(name = "NAME"\n(?:.*\n)*?)wheels = \[\n(?:    .*\n)*?\]\n'
                         .replace("NAME", name))
    url = re.search(r'source = \{ registry = "([^"]+)" \}', text)
    assert url
    sdist = f'sdist = {{ url = "{url.group(1)}/../files/{name}-1.0.tar.gz", hash = "sha256:{"0" * 64}" }}'
    new, count = pattern.subn(lambda m: m.group(1) + sdist + "\n", text, count=1)
    assert count == 1, text
    lock.write_text(new)


def test_sdist_only_packages_are_refused_before_anything_is_created(  # type: ignore[no-untyped-def]
    tmp_path: Path, cross_index, isolated_env
) -> None:
    project = make_project(tmp_path / "xapp", cross_index.url)
    sdist_only(project / "uv.lock", "purelib")
    recipe = recipe_alone(project, tmp_path, frozen=True)
    explained = prepare(project, frozen=True, explain=True)
    assert any(n.startswith("no Linux wheel in the lock") and n.endswith(": purelib==1.0")
               for n in explained.notes), explained.notes
    lines: List[str] = []
    cook(recipe, TargetSpec(venv=tmp_path / "venv"), installer="uv", dry_run=True,
         overrides=Overrides(index_url=cross_index.url), echo=lines.append,
         cross=Cross("linux/arm64"))
    assert ("no wheel for the target (cook will refuse before installing anything): "
            "purelib==1.0 (sdist only)") in lines

    done = chef("cook", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
                "--index-url", cross_index.url, "--platform", "linux/arm64", process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.strip()]
    assert line.startswith("chef: error: no wheel for linux/arm64 (aarch64, glibc-")
    assert "purelib==1.0 (sdist only)" in line
    assert "stage of the target platform" in line and "--find-links" in line
    assert not (tmp_path / "venv").exists() and not (tmp_path / "venv.chef-build").exists()

    # The second way out: a wheel built for the target, given with --find-links.
    built = tmp_path / "built-on-arm"
    make_wheel(built, "purelib", "1.0", tag=f"{PY}-{PY}-linux_aarch64")
    lines = []
    result = cook(recipe, TargetSpec(venv=tmp_path / "venv"), installer="uv",
                  overrides=Overrides(index_url=cross_index.url, find_links=(str(built),)),
                  quiet=True, echo=lines.append, cross=Cross("linux/arm64"))
    assert result.target_wheels == [f"purelib==1.0 from {built}"]
    assert installed(tmp_path / "venv" / "bin" / "python")["purelib"] == "1.0"


COMPILED_BACKEND = '''
import os, tinybuild
from tinybuild import *  # noqa
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = tinybuild.build_wheel(wheel_directory, config_settings, metadata_directory)
    native = name.replace("py3-none-any", "PY-PY-linux_x86_64")
    os.rename(os.path.join(wheel_directory, name), os.path.join(wheel_directory, native))
    return native
'''.replace("PY", PY)


def test_install_project_refuses_a_compiled_local_package(tmp_path: Path, cross_index,  # type: ignore[no-untyped-def]
                                                          isolated_env) -> None:
    pyproject = PYPROJECT.replace('build-backend = "tinybuild"',
                                  'build-backend = "compiledbuild"\nbackend-path = ["."]')
    project = make_project(tmp_path / "xapp", cross_index.url, pyproject)
    write(project / "compiledbuild.py", COMPILED_BACKEND)
    recipe = recipe_alone(project, tmp_path)
    venv = tmp_path / "venv"
    cross_cook(recipe, venv, cross_index.url, "uv")
    before = installed(venv / "bin" / "python")
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--platform", "linux/arm64", cwd=project, process=True)
    assert done.returncode == errors.EXIT_ENVIRONMENT, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert f"xapp built here as xapp-0.1.0-{PY}-{PY}-linux_x86_64.whl" in line
    assert "not for linux/arm64" in line and "stage of the target platform" in line
    assert installed(venv / "bin" / "python") == before  # nothing installed
    # The platform comes from cook's record too; another one than cook's is refused.
    with pytest.raises(errors.TargetEnvironmentError, match="built here as"):
        install_project(recipe, TargetSpec(venv=venv), project_dir=project, quiet=True,
                        echo=lambda s: None)
    with pytest.raises(errors.TargetEnvironmentError, match="cooked for linux/arm64, not linux/s390x"):
        install_project(recipe, TargetSpec(venv=venv), project_dir=project, quiet=True,
                        echo=lambda s: None, platform="linux/s390x")


def test_cli_spelling_errors_are_usage_errors(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    for args in (["--platform", "windows/amd64"], ["--platform", "linux/mips"],
                 ["--libc", "musl"], ["--python-version", "3.12"],
                 ["--platform", "linux/arm64", "--libc", "uclibc"]):
        done = chef("cook", "--recipe-path", str(recipe), "--dry-run", *args)
        assert done.returncode == errors.EXIT_USAGE, (args, done.stderr)
        assert done.stderr.startswith("chef: error: --"), done.stderr


def test_own_platform_is_a_native_cook(tmp_path: Path, cross_index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "xapp", cross_index.url)
    sdist_only(project / "uv.lock", "armonly")  # not for this machine: no matter
    recipe = recipe_alone(project, tmp_path, frozen=True)
    lines: List[str] = []
    result = cook(recipe, TargetSpec(venv=tmp_path / "venv"), installer="uv", dry_run=True,
                  overrides=Overrides(index_url=cross_index.url), echo=lines.append,
                  cross=Cross("linux/amd64"))
    assert result.platform is None and not result.no_wheel
    assert any("is this machine's own platform: a native cook" in line for line in lines)
    assert not any("--python-platform" in line for line in lines)
