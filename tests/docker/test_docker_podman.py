"""Dockerfile.example under Podman/Buildah as Debian 12 packages them (podman 4.3, buildah 1.28):
`podman build` with only PYTHON_IMAGE set (the docker tests' pyz base, handed over with
`podman pull docker-daemon:IMAGE`), on the default route (chef.pyz in the build context), for
every example.

buildah 1.28 resolves no stage chosen by an ARG's default (it skips "unused" stages judging by
the command line's --build-args only) and predefines no BUILDPLATFORM: the Dockerfile's one `chef`
stage and its platform-valued chef-base are what make this build. Checked as a user sees it:
podman's "Using cache" on the cook steps after a source edit, a version bump and a [tool.*] edit;
the cook steps run again after a dependency add; the image runs and holds what the manager's
export says; the netrc secret reaches the cook and no layer. Needs podman
(`.ci/podman-setup.sh`) and the Docker engine the base image comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator

import dockerlib
import pytest
from dockerlib import COOK, Docker, Podman, Project

pytestmark = pytest.mark.docker

READERS = set(dockerlib.chef_readers())
# Every example whose format chef reads (as tests/docker/test_docker_examples.py).
CASES = [e.name for e in dockerlib.EXAMPLE_LIST if e.reader in READERS]


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


why = dockerlib.describe_steps
check_image = dockerlib.check_installed


@pytest.mark.parametrize("name", CASES)
def test_podman_builds_the_example_and_reuses_the_cook_layers(
        podman: Podman, podman_base: str, name: str, tmp_path: Path) -> None:
    example = dockerlib.EXAMPLES_BY_NAME[name]
    project = Project.copy(example, tmp_path)
    args: Dict[str, str] = {"PYTHON_IMAGE": podman_base, **example.build_args}
    dockerlib.check_edit_cycle(podman, project, podman.tag(f"podman-{name}"), args)


def test_podman_without_chef_pyz_fails_with_one_line(
        podman: Podman, podman_base: str, tmp_path: Path) -> None:
    project = Project.copy(dockerlib.EXAMPLES_BY_NAME["uv-app"], tmp_path)
    build = podman.build(project.root, podman.tag("podman-no-pyz"), place_chef=False,
                         build_args={"PYTHON_IMAGE": podman_base, "CHEF_FROM": "pyz"}, check=False)
    assert not build.ok
    # buildah 1.28 refuses the empty wildcard itself (BuildKit copies nothing and the RUN says
    # what to do): either way the build stops at chef.pyz.
    assert "chef.py[z]" in build.log or "no chef.pyz in the build context" in build.log, build.log


def test_podman_netrc_secret_reaches_the_cook_and_stays_out_of_the_image(
        podman: Podman, podman_base: str, tmp_path: Path) -> None:
    """tests/docker/test_docker_private_index.py under podman (uv): a loopback index with basic
    auth; without `--secret id=netrc` chef cook is refused, with it the build works, and the
    credentials are in no history, config or layer of the image or of the builder stage."""
    import secrets
    import subprocess

    import test_docker_private_index as private
    from dockerlib import run
    from index_server import IndexServer
    from wheelhouse import make_wheel

    user, password = "u" + secrets.token_hex(8), "p" + secrets.token_hex(12)
    needles = [user.encode(), password.encode()]
    make_wheel(tmp_path / "wheels", "chef-private-dep", "1.0")
    project = tmp_path / "private-app"
    project.mkdir()
    with IndexServer(tmp_path / "wheels", auth=(user, password)) as server:
        (project / "pyproject.toml").write_text(private.PYPROJECT.format(url=server.url))
        (project / "app.py").write_text("import chef_private_dep\nprint('private ok')\n")
        env = {**dockerlib.manager_env(), "UV_INDEX_PRIVATE_USERNAME": user,
               "UV_INDEX_PRIVATE_PASSWORD": password}
        run([dockerlib.uv_binary(), "lock", "--quiet"], cwd=project, env=env)
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1\nlogin {user}\npassword {password}\n")
        netrc.chmod(0o600)
        args = {"PYTHON_IMAGE": podman_base}
        tag = podman.tag("podman-private")
        denied = podman.build(project, podman.tag("podman-private-denied"), build_args=args,
                              check=False)
        errors = [line for line in denied.log.splitlines() if line.startswith("Error: ")]
        assert not denied.ok and errors and "chef cook" in errors[-1], denied.log[-3000:]
        build = podman.build(project, tag, build_args=args, secrets={"netrc": netrc})
        # layer 1 (no heavy package here) was cooked by the denied build already
        assert not build.all_cached(COOK), why(build)
        builder = podman.build(project, podman.tag("podman-private-builder"), build_args=args,
                               secrets={"netrc": netrc}, target="builder")
    assert server.requests, "the private index was never asked"
    assert podman.run(tag, "python", "app.py").strip() == "private ok"
    for image in (tag, builder.tag):
        for what in (["history", "--no-trunc", image], ["image", "inspect", image]):
            assert not private._leaks(podman(*what).stdout, needles), f"credentials in {what[0]}"
        saved = subprocess.run([podman.binary, "save", image], capture_output=True,
                               check=True).stdout
        blobs = list(private._blobs(saved, image))
        assert not [where for where, blob in blobs if private._leaks(blob, needles)]
        assert any(where.endswith("chef_private_dep/__init__.py") for where, _ in blobs)
