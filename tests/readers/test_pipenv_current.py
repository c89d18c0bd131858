"""Pipfile.lock as the current pipenv writes it (issue 18, point 4), locked for real against the
loopback index by the pipenv of the test venv (pyproject.toml pins it).

pipenv 2026 with `[pipenv] use_pylock = true` keeps a pylock.toml beside Pipfile.lock and reads
its lock back from it: every command that rewrites Pipfile.lock from what it read (`pipenv
uninstall`, `pipenv update`) then writes the develop section with PEP 751 markers,
`"'dev' in dependency_groups"`, `"('dev' in dependency_groups) and (python_version >=
'3.10')"`. pipenv takes each such condition as true for the category it installs
(`Lockfile._pip_marker`); so does chef. The project's own editable path package
(`app = {path = ".", editable = true, extras = ["docs"]}` in `[dev-packages]`) is a local
package; a lock that records it as `"version": "*"` without a path is read from the Pipfile.
A Windows-only package (`markers = "sys_platform == 'win32'"`) is locked as `"version": "*"`
without hashes: never installed on Linux, it is left out of the recipe.

The oracle is pipenv itself: `pipenv requirements [--dev]` (the lines `pipenv install [--dev]`
hands pip) against `chef cook --dry-run` of the recipe of the same selection.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest
from clirun import chef
from conftest import write
from index_server import IndexServer
from packaging.markers import Marker
from packaging.requirements import Requirement

from chef import errors

pytestmark = pytest.mark.slow

PIPFILE = """\
[[source]]
url = "{index}"
verify_ssl = false
name = "pypi"

[packages]
alpha = "*"
delta = "*"
zeta = {{version = "*", markers = "sys_platform == 'win32'"}}

[dev-packages]
devtool = "*"
epsilon = {{version = "*", markers = "python_version >= '3.10'"}}
app = {{path = ".", editable = true, extras = ["docs"]}}

[pipenv]
use_pylock = true
"""

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["gamma"]

[project.optional-dependencies]
docs = ["docsgen"]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"
"""


def _pipenv() -> str:
    path = Path(sys.executable).parent / "pipenv"
    found = str(path) if path.exists() else shutil.which("pipenv")
    if not found:
        pytest.skip("pipenv is not installed (pip install -e '.[test]')")
    return found


def _env(home: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "PIPENV_", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), WORKON_HOME=str(home / "venvs"),
        PIP_CONFIG_FILE=os.devnull, PIPENV_VERBOSITY="-1", PIPENV_YES="1", PIPENV_NOSPIN="1",
        PIPENV_IGNORE_VIRTUALENVS="1", PIPENV_PYTHON=sys.executable, NO_COLOR="1",
    )
    return env


def pipenv(root: Path, *args: str) -> str:
    done = subprocess.run([_pipenv(), *args], cwd=root, env=_env(root.parent / "home"),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, index: IndexServer) -> Path:
    root = tmp_path_factory.mktemp("pipenv2026") / "app"
    write(root / "Pipfile", PIPFILE.format(index=index.url))
    write(root / "pyproject.toml", PYPROJECT)
    write(root / "app" / "__init__.py", "")
    pipenv(root, "lock")
    pipenv(root, "uninstall", "delta")  # rewrites Pipfile.lock from the pylock.toml it read
    (root / "pylock.toml").unlink()  # Pipfile.lock alone: what chef and pipenv read here
    return root


def _lock(root: Path) -> Dict[str, Dict[str, Dict[str, object]]]:
    return json.loads((root / "Pipfile.lock").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_lock_has_the_shapes_of_the_issue(project: Path) -> None:
    """The real pipenv wrote what the issue describes; else this module tests nothing new."""
    develop = _lock(project)["develop"]
    assert develop["devtool"]["markers"] == "'dev' in dependency_groups"
    assert develop["epsilon"]["markers"] == \
        "('dev' in dependency_groups) and (python_version >= '3.10')"
    assert develop["app"].get("editable") is True
    assert "delta" not in _lock(project)["default"]
    # A Windows-only package locked on Linux: no version, no hashes (pipenv installs it
    # unpinned where its marker holds).
    assert _lock(project)["default"]["zeta"] == {"markers": "sys_platform == 'win32'",
                                                 "version": "*"}


def planned(root: Path, tmp_path: Path, *selection: str) -> Tuple[Set[Tuple[str, str]], List[str]]:
    """(name, version) that `chef cook --dry-run` installs, and the recipe's local packages."""
    recipe = tmp_path / "recipe.json"
    done = chef("prepare", "--recipe-path", str(recipe), *selection, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    dry = chef("cook", "--recipe-path", str(recipe), "--venv", str(tmp_path / "venv"),
               "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    out: Set[Tuple[str, str]] = set()
    section: Optional[str] = None
    for line in dry.stdout.splitlines():
        if line.startswith("- "):
            section = line
        elif line.startswith("    ") and not line.strip().startswith("$") and section and \
                section.startswith("- dependencies"):
            req = Requirement(line.strip())
            out.add((req.name, str(next(iter(req.specifier)).version)))
    locals_ = [p["name"] for p in json.loads(recipe.read_text())["local_packages"]
               if p["installable"]]
    return out, sorted(locals_)


def exported(root: Path, *args: str) -> Tuple[Set[Tuple[str, str]], List[str]]:
    """`pipenv requirements`: pinned lines whose markers hold here (dependency_groups as the
    category's: {"dev"}; evaluated by packaging's lock-file context), and the local paths."""
    pins: Set[Tuple[str, str]] = set()
    paths: List[str] = []
    env = {"dependency_groups": frozenset(["dev"]), "extras": frozenset()}
    for line in pipenv(root, "requirements", *args).splitlines():
        text = line.strip()
        if not text or text.startswith("-i "):
            continue
        if text.startswith("-e "):
            paths.append(text[3:].split(";")[0].strip())
            continue
        req = Requirement(text)
        if req.marker is not None and not Marker(str(req.marker)).evaluate(
                env, context="lock_file"):  # type: ignore[arg-type, call-arg]
            continue
        pins.add((req.name, str(next(iter(req.specifier)).version)))
    return pins, paths


@pytest.mark.parametrize("selection,flags", [
    ((), ()),
    (("--group", "dev-packages"), ("--dev",)),
    (("--all-groups",), ("--dev",)),
], ids=["default", "group dev-packages", "all-groups"])
def test_chef_plans_what_pipenv_installs(
    selection: Tuple[str, ...], flags: Tuple[str, ...], project: Path, tmp_path: Path
) -> None:
    chef_pins, chef_locals = planned(project, tmp_path, *selection)
    pipenv_pins, pipenv_paths = exported(project, *flags)
    assert chef_pins == pipenv_pins
    if flags:
        assert {("devtool", "1.1"), ("docsgen", "1.0"), ("gamma", "1.0")} <= chef_pins
        assert pipenv_paths == ["./."] and chef_locals == ["app"]
    else:
        assert chef_pins == {("alpha", "2.0"), ("beta", "2.0")} and chef_locals == []


def test_the_marker_keeps_its_environment_part(project: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    done = chef("prepare", "--recipe-path", str(recipe), "--all-groups", cwd=project)
    assert done.returncode == 0, done.stderr
    roots = {r["name"]: r.get("marker") for r in json.loads(recipe.read_text())["roots"]}
    assert roots["epsilon"] == 'python_version >= "3.10"'
    assert roots["devtool"] is None


def test_the_local_package_locked_at_star_is_the_pipfiles_path(
    project: Path, tmp_path: Path
) -> None:
    """The issue's other shape: the project's own package as `"version": "*"`, no path. pipenv
    exports it as `app[docs]` (a name, which pip would look up on the index); chef reads it as
    the local package the Pipfile declares at ".", and plans the same third-party set."""
    root = tmp_path / "app"
    shutil.copytree(project, root)
    lock = _lock(root)
    lock["develop"]["app"] = {"editable": True, "extras": ["docs"],
                              "markers": "'dev' in dependency_groups", "version": "*"}
    (root / "Pipfile.lock").write_text(json.dumps(lock, indent=4), encoding="utf-8")
    with_path, _ = planned(project, tmp_path / "a", "--all-groups")
    star, locals_ = planned(root, tmp_path / "b", "--all-groups")
    assert star == with_path and locals_ == ["app"]
    assert "app[docs]" in pipenv(root, "requirements", "--dev")

    # Not declared with a path in the Pipfile: still not a version, still refused.
    pipfile = (root / "Pipfile").read_text(encoding="utf-8")
    (root / "Pipfile").write_text(pipfile.replace(
        'app = {path = ".", editable = true, extras = ["docs"]}', 'app = "*"'), encoding="utf-8")
    refused = chef("prepare", "--stdout", "--all-groups", "--frozen", cwd=root)
    assert refused.returncode == errors.EXIT_INPUT
    assert "app is locked at '*', which is not a version" in refused.stderr


def test_chef_plans_what_pipenv_sync_dev_installs(project: Path, tmp_path: Path) -> None:
    """`pipenv sync --dev` into a new virtualenv (from the loopback index): the packages it
    installs are the recipe's, the project's own package is the recipe's local package."""
    root = tmp_path / "app"
    shutil.copytree(project, root)
    env = {**_env(root.parent / "home"), "PIPENV_VENV_IN_PROJECT": "1"}
    done = subprocess.run([_pipenv(), "sync", "--dev"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "pip", "list",
                             "--format", "json"], env=env, capture_output=True, text=True,
                            check=True)
    installed = {(p["name"], p["version"]) for p in json.loads(listed.stdout)
                 if p["name"] not in ("pip", "setuptools", "wheel")}
    chef_pins, chef_locals = planned(project, tmp_path / "plan", "--group", "dev-packages")
    assert installed == chef_pins | {("app", "0.1.0")}
    assert chef_locals == ["app"]
