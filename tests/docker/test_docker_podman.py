"""Dockerfile.example under Podman/Buildah as Debian 12 packages them (podman 4.3, buildah 1.28):
`podman build` with only PYTHON_IMAGE set (the docker tests' pyz base, handed over with
`podman pull docker-daemon:IMAGE`), on the default route (chef.pyz in the build context).

buildah 1.28 resolves no stage chosen by an ARG's default (it skips "unused" stages judging by
the command line's --build-args only) and predefines no BUILDPLATFORM: the Dockerfile's one `chef`
stage and its platform-valued chef-base are what make this build. Checked as a user sees it:
podman's "Using cache" on the cook steps after a source edit, a version bump and a [tool.*] edit;
the cook steps run again after a dependency add; the image runs and holds what the manager's
export says. Needs podman (`.ci/podman-setup.sh`) and the Docker engine the base image comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator

import dockerlib
import pytest
from dockerlib import Build, Docker, Podman, Project

pytestmark = pytest.mark.docker

COOK = "chef cook"
PREPARE = "chef prepare"
INSTALL_PROJECT = "chef install-project"
NEW_DEPENDENCY = ("tabulate==0.9.0", "tabulate", "0.9.0")


@pytest.fixture(scope="module")
def podman() -> Iterator[Podman]:
    engine, why = Podman.find_podman()
    if engine is None:
        pytest.skip(f"podman tests: {why}")
    try:
        yield engine
    finally:
        engine.remove_images()


@pytest.fixture(scope="module")
def podman_base(podman: Podman, docker: Docker, chef_base: str) -> str:
    """The docker tests' pyz base image (fresh: this session's first builds are cold), in podman."""
    return podman.from_docker(chef_base)


def why(build: Build) -> str:
    return "build steps were:\n" + "\n".join(
        f"  {'CACHED' if s.cached else 'ran   '} {s.name[:110]}" for s in build.steps.values())


def check_image(podman: Podman, project: Project, tag: str) -> None:
    installed = podman.installed(tag)
    local = set(project.example.local)
    assert local <= set(installed), f"the project's own packages are not installed: {installed}"
    third_party = {k: v for k, v in installed.items() if k not in local}
    expected = project.export(podman.marker_env(tag))
    assert third_party == expected, (
        f"image differs from the {project.example.manager} export:\n"
        f"  only in the image: {sorted(set(third_party.items()) - set(expected.items()))}\n"
        f"  only in the lock:  {sorted(set(expected.items()) - set(third_party.items()))}")


def assert_cook_reused(build: Build) -> None:
    assert not build.cached(PREPARE), "the planner did not see the change: " + why(build)
    assert build.all_cached(COOK), "a dependency layer was rebuilt: " + why(build)
    assert not build.cached(INSTALL_PROJECT), why(build)


@pytest.mark.parametrize("name", ["uv-app", "poetry-app"])
def test_podman_builds_the_example_and_reuses_the_cook_layers(
        podman: Podman, podman_base: str, name: str, tmp_path: Path) -> None:
    example = dockerlib.EXAMPLES_BY_NAME[name]
    project = Project.copy(example, tmp_path)
    tag = podman.tag(f"podman-{name}")
    args: Dict[str, str] = {"PYTHON_IMAGE": podman_base, **example.build_args}

    cold = podman.build(project.root, tag, build_args=args)
    assert all(s.done and not s.cached for s in cold.matching(COOK)), why(cold)
    check_image(podman, project, tag)

    greeting = project.edit_source("(edited)")
    version = project.bump_version()
    edited = podman.build(project.root, tag, build_args=args)
    assert_cook_reused(edited)
    assert greeting in podman.run(tag, "python", "-m", example.module)
    assert podman.installed(tag)[example.local[0]] == version

    project.edit_tool_config()
    assert_cook_reused(podman.build(project.root, tag, build_args=args))

    requirement, module, new_version = NEW_DEPENDENCY
    project.add_dependency(requirement)
    added = podman.build(project.root, tag, build_args=args)
    assert not added.all_cached(COOK), "a new dependency must rerun chef cook: " + why(added)
    assert all(s.done for s in added.matching(COOK)), why(added)
    code = f"import {module}, importlib.metadata as m; print(m.version({module!r}))"
    assert podman.python(tag, code).strip() == new_version
    assert greeting in podman.run(tag, "python", "-m", example.module)
    check_image(podman, project, tag)


def test_podman_without_chef_pyz_fails_with_one_line(
        podman: Podman, podman_base: str, tmp_path: Path) -> None:
    project = Project.copy(dockerlib.EXAMPLES_BY_NAME["uv-app"], tmp_path)
    build = podman.build(project.root, podman.tag("podman-no-pyz"), place_chef=False,
                         build_args={"PYTHON_IMAGE": podman_base, "CHEF_FROM": "pyz"}, check=False)
    assert not build.ok
    # buildah 1.28 refuses the empty wildcard itself (BuildKit copies nothing and the RUN says
    # what to do): either way the build stops at chef.pyz.
    assert "chef.py[z]" in build.log or "no chef.pyz in the build context" in build.log, build.log
