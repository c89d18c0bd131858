"""A project whose version comes from git, built with Dockerfile.example while .dockerignore keeps
`.git` out of the build context (what most projects do): the version reaches the build backend
as `--build-arg PROJECT_VERSION=...`, a new version reuses the dependency layers, and a build
without one fails with a line naming PROJECT_VERSION (issue 22.3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dockerlib
import pytest
from dockerlib import Docker

pytestmark = pytest.mark.docker

PYPROJECT = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "vcs-app"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = ["six==1.17.0"]

[tool.hatch.version]
source = "vcs"

[tool.hatch.build.targets.wheel]
packages = ["src/vcsapp"]
"""

MAIN = """\
import importlib.metadata

import six

print("vcs-app", importlib.metadata.version("vcs-app"), six.__version__)
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@index.invalid", *args],
                   cwd=root, check=True, capture_output=True)


def make_project(root: Path) -> Path:
    (root / "src" / "vcsapp").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "src" / "vcsapp" / "__init__.py").write_text("")
    (root / "src" / "vcsapp" / "__main__.py").write_text(MAIN)
    (root / ".dockerignore").write_text(".git\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "init")
    _git(root, "tag", "v1.0.0")
    subprocess.run([dockerlib.uv_binary(), "lock", "--quiet"], cwd=root, check=True,
                   env=dockerlib.manager_env(), capture_output=True)
    return root


def test_project_version_build_arg_without_git(docker: Docker, chef_base: str,
                                               tmp_path: Path) -> None:
    root = make_project(tmp_path / "vcs-app")
    tag = docker.tag("vcs-app")

    def build(*version: str, check: bool = True) -> dockerlib.Build:
        args = {"PYTHON_IMAGE": chef_base}
        if version:
            args["PROJECT_VERSION"] = version[0]
        return docker.build(root, tag, build_args=args, check=check)

    build("2.3.4")
    assert docker.run(tag, "python", "-m", "vcsapp").split() == ["vcs-app", "2.3.4", "1.17.0"]

    again = build("2.3.5")
    assert again.all_cached("chef cook"), "a new version rebuilt a dependency layer"
    assert docker.run(tag, "python", "-m", "vcsapp").split() == ["vcs-app", "2.3.5", "1.17.0"]

    failed = build(check=False)
    assert not failed.ok
    assert failed.all_cached("chef cook"), "no version must not touch the dependency layers"
    errors = [line for line in failed.log.splitlines() if "chef: error:" in line]
    assert errors and "PROJECT_VERSION" in errors[-1], failed.log[-3000:]
    assert "build requirements" not in errors[-1]
