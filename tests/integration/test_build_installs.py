"""Build requirements beyond [build-system].requires, for real: cook installs them into the build
environment and install-project builds offline with them.

A wheelhouse of its own serves stand-ins for hatchling (two versions) and setuptools
(tests/fakebackends.py), a hatch build-hook plugin and a setup_requires package, over a loopback
index: no network."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator, List

import pytest
from clirun import chef
from conftest import installed, run, write
from fakebackends import HATCHLING_SOURCE, SETUPTOOLS_SOURCE, hook_plugin
from index_server import IndexServer
from projects import uv_lock
from tinybuild import BACKEND_SOURCE
from wheelhouse import make_wheel

from chef import errors
from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.errors import InstallError
from chef.prepare import prepare_to_file

pytestmark = pytest.mark.slow

HATCH_VARIABLES = ("HATCH_BUILD_HOOKS_ENABLE", "HATCH_BUILD_HOOK_ENABLE_FAKEHOOK",
                   "HATCH_BUILD_NO_HOOKS")


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    house = tmp_path_factory.mktemp("fake-backends")
    hatchling = {"hatchling/__init__.py": "", "hatchling/build.py": HATCHLING_SOURCE}
    make_wheel(house, "hatchling", "1.0", files=hatchling)
    make_wheel(house, "hatchling", "2.0", files=hatchling)
    make_wheel(house, "hatch-fakehook", "1.0", files={"hatch_fakehook.py": hook_plugin("yes")})
    make_wheel(house, "setuptools", "1.0",
               files={"setuptools/__init__.py": "", "setuptools/build_meta.py": SETUPTOOLS_SOURCE})
    make_wheel(house, "cfgtool", "1.0")
    make_wheel(house, "tinybuild", "1.0", files={"tinybuild.py": BACKEND_SOURCE})
    make_wheel(house, "beta", "1.0")
    with IndexServer(house) as server:
        yield server


@pytest.fixture
def clean_env(isolated_env, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in HATCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return isolated_env


HOOKED = """\
[project]
name = "hooked"
version = "0.1.0"
dependencies = ["beta"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.hooks.fakehook]
dependencies = ["hatch-fakehook"]
enable-by-default = false
"""


def hatch_project(root: Path, pyproject: str = HOOKED) -> Path:
    write(root / "pyproject.toml", pyproject)
    write(root / "src" / "hooked" / "__init__.py", "")
    return root


def cook_from_recipe_alone(project: Path, venv: Path, url: str, installer: str = "uv",
                           dry_run: bool = False, echo=lambda s: None) -> Path:  # type: ignore[no-untyped-def]
    """The Docker builder stage: cook sees the recipe only."""
    prepare_to_file(project, project / "recipe.json")
    alone = project.parent / f"{project.name}-recipe"
    alone.mkdir(exist_ok=True)
    shutil.copy(project / "recipe.json", alone / "recipe.json")
    cook(alone / "recipe.json", TargetSpec(venv=venv), installer=installer,
         overrides=Overrides(index_url=url), quiet=True, dry_run=dry_run, echo=echo)
    return alone / "recipe.json"


def build_env(venv: Path) -> Path:
    return venv.parent / (venv.name + ".chef-build") / "bin" / "python"


def hooked_module(venv: Path) -> str:
    code = "import importlib.util as u; print(bool(u.find_spec('hooked._hooked')))"
    return run([str(venv / "bin" / "python"), "-c", code]).stdout.strip()


@pytest.mark.parametrize(
    "variable, value", [("HATCH_BUILD_HOOKS_ENABLE", "1"), ("HATCH_BUILD_HOOK_ENABLE_FAKEHOOK", "true")]
)
def test_hook_switched_on_by_the_environment(
    tmp_path: Path, fake_index: IndexServer, clean_env, monkeypatch: pytest.MonkeyPatch,
    variable: str, value: str,
) -> None:  # type: ignore[no-untyped-def]
    project = hatch_project(tmp_path / "hooked")
    venv = tmp_path / "venv"
    # A Dockerfile `ENV HATCH_BUILD_HOOKS_ENABLE=1` reaches cook and install-project alike.
    monkeypatch.setenv(variable, value)
    recipe = cook_from_recipe_alone(project, venv, fake_index.url)
    assert installed(build_env(venv))["hatch-fakehook"] == "1.0"
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                    quiet=True, echo=lambda s: None)
    got = installed(venv / "bin" / "python")
    assert got["hooked"] == "0.1.0" and got["beta"] == "1.0"
    assert hooked_module(venv) == "True"  # the hook ran: its plugin was in the build env


def test_hook_left_off_installs_nothing_for_it(
    tmp_path: Path, fake_index: IndexServer, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    project = hatch_project(tmp_path / "hooked")
    venv = tmp_path / "venv"
    monkeypatch.setenv("HATCH_BUILD_HOOKS_ENABLE", "yes")  # not hatchling's "1" or "true"
    recipe = cook_from_recipe_alone(project, venv, fake_index.url)
    assert "hatch-fakehook" not in installed(build_env(venv))
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                    quiet=True, echo=lambda s: None)
    assert hooked_module(venv) == "False"


def test_variable_set_for_install_project_only(
    tmp_path: Path, fake_index: IndexServer, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    project = hatch_project(tmp_path / "hooked")
    venv = tmp_path / "venv"
    recipe = cook_from_recipe_alone(project, venv, fake_index.url)
    monkeypatch.setenv("HATCH_BUILD_HOOK_ENABLE_FAKEHOOK", "1")  # `RUN X=1 chef install-project`
    with pytest.raises(InstallError) as info:
        install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                        quiet=True, echo=lambda s: None)
    message = str(info.value)
    assert "asks for hatch-fakehook" in message and "Unknown build hook" not in message
    assert "HATCH_BUILD_HOOKS_ENABLE or HATCH_BUILD_HOOK_ENABLE_FAKEHOOK" in message
    assert "before `chef cook`" in message


def test_dry_run_says_what_the_variables_decide(
    tmp_path: Path, fake_index: IndexServer, clean_env, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    project = hatch_project(tmp_path / "hooked")
    lines: List[str] = []
    cook_from_recipe_alone(project, tmp_path / "venv", fake_index.url, dry_run=True,
                           echo=lines.append)
    assert ("build requirements not switched on: hatch-fakehook (when HATCH_BUILD_HOOKS_ENABLE "
            "or HATCH_BUILD_HOOK_ENABLE_FAKEHOOK is 1 or true)") in lines
    monkeypatch.setenv("HATCH_BUILD_HOOKS_ENABLE", "true")
    lines.clear()
    cook_from_recipe_alone(project, tmp_path / "venv", fake_index.url, dry_run=True,
                           echo=lines.append)
    assert "    hatch-fakehook (HATCH_BUILD_HOOKS_ENABLE is on)" in lines


SETUP_CFG = """\
[metadata]
name = cfgapp
version = 1.0

[options]
packages = find:
install_requires = beta
setup_requires = cfgtool>=1
"""


def test_setup_requires_reach_the_build_env(tmp_path: Path, fake_index: IndexServer, clean_env) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "cfgapp"
    write(project / "setup.cfg", SETUP_CFG)
    write(project / "pyproject.toml", '[build-system]\nrequires = ["setuptools"]\n'
          'build-backend = "setuptools.build_meta"\n')
    write(project / "cfgapp" / "__init__.py", "")
    venv = tmp_path / "venv"
    recipe = cook_from_recipe_alone(project, venv, fake_index.url, installer="pip")
    assert "cfgtool>=1" in (project / "recipe.json").read_text()
    assert installed(build_env(venv))["cfgtool"] == "1.0"
    install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="pip",
                    quiet=True, echo=lambda s: None)
    assert installed(venv / "bin" / "python")["cfgapp"] == "1.0"


UV_PINNED = HOOKED.split("[tool.hatch")[0] + """\
[tool.uv]
build-constraint-dependencies = ["hatchling<2"]
"""


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_uv_build_constraints_pin_the_build_env(
    tmp_path: Path, fake_index: IndexServer, clean_env, installer: str
) -> None:  # type: ignore[no-untyped-def]
    free = hatch_project(tmp_path / "free", HOOKED.split("[tool.hatch")[0])
    uv_lock(free, fake_index.url)
    cook_from_recipe_alone(free, tmp_path / "v1", fake_index.url, installer=installer)
    assert installed(build_env(tmp_path / "v1"))["hatchling"] == "2.0"  # the newest

    pinned = hatch_project(tmp_path / "pinned", UV_PINNED)
    uv_lock(pinned, fake_index.url)
    assert 'build-constraints = [{ name = "hatchling", specifier = "<2" }]' in (
        pinned / "uv.lock").read_text()
    recipe = cook_from_recipe_alone(pinned, tmp_path / "v2", fake_index.url, installer=installer)
    assert '"build_constraints": [\n    {"name": "hatchling", "specifier": "<2"}\n  ]' in (
        recipe.read_text())
    assert installed(build_env(tmp_path / "v2"))["hatchling"] == "1.0"
    install_project(recipe, TargetSpec(venv=tmp_path / "v2"), project_dir=pinned,
                    installer=installer, quiet=True, echo=lambda s: None)
    lines: List[str] = []
    cook_from_recipe_alone(pinned, tmp_path / "v2", fake_index.url, installer=installer,
                           dry_run=True, echo=lines.append)
    assert "    constraint hatchling<2" in lines
    assert any(line.startswith("    $ ") and " -c " in line for line in lines)


def test_prepare_build_constraint_on_the_command_line(
    tmp_path: Path, fake_index: IndexServer, clean_env
) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "reqs"
    hatch_project(project / "lib", HOOKED.replace('name = "hooked"', 'name = "lib"').split(
        "[tool.hatch")[0])
    write(project / "lib" / "src" / "lib" / "__init__.py", "")
    write(project / "requirements.txt", "./lib\n")
    write(project / "build-constraints.txt", "hatchling==1.0\n")
    recipe = project / "recipe.json"
    done = chef("prepare", "--project-dir", str(project), "--recipe-path", str(recipe),
                "--build-constraint", "build-constraints.txt")
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "venv"
    cook(recipe, TargetSpec(venv=venv), installer="pip", overrides=Overrides(index_url=fake_index.url),
         quiet=True, echo=lambda s: None)
    assert installed(build_env(venv))["hatchling"] == "1.0"
    done = chef("install-project", "--recipe-path", str(recipe), "--venv", str(venv),
                "--installer", "pip", cwd=project, process=True)
    assert done.returncode == errors.EXIT_OK, done.stderr
    assert installed(venv / "bin" / "python")["lib"] == "0.1.0"
