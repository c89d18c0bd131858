"""Dockerfile.nomount under Docker's legacy builder (`DOCKER_BUILDKIT=0`), the stand-in here for
kaniko (no kaniko is packaged here): builders without RUN --mount, secrets or BUILDPLATFORM.

Every example, on the default route (chef.pyz in the build context), checked from the legacy
builder's own log ("Step N/M : RUN chef cook ...", " ---> Using cache"): a cold build cooks; after
a source edit plus a version bump, and after a `[tool.*]` edit, every cook step is reused while the
planner and install-project run again; after a dependency add the cook steps run again; the image
runs the new code and holds what the manager's export says. Private index credentials come from
the installers' URL variables as build args, declared only in the cook stages: the build fails
with chef's one line without them, works with them, and the runtime image holds them nowhere.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path
from typing import Dict, Iterator

import dockerlib
import pytest
from dockerlib import COOK, Docker, LegacyDocker, Project

pytestmark = pytest.mark.docker

READERS = set(dockerlib.chef_readers())
CASES = [e.name for e in dockerlib.EXAMPLE_LIST if e.reader in READERS]
why = dockerlib.describe_steps


@pytest.fixture(scope="module")
def legacy(docker: Docker) -> Iterator[LegacyDocker]:
    engine = LegacyDocker.beside(docker)
    try:
        yield engine
    finally:
        engine.remove_images()


def test_log_parser_reads_the_legacy_builders_steps() -> None:
    log = "\n".join([
        "Step 1/4 : FROM base AS chef", " ---> 0123456789ab",
        "Step 2/4 : COPY x /x", " ---> Using cache", " ---> 123456789abc",
        "Step 3/4 : RUN chef cook --recipe-path r", " ---> Running in c0ffee000000",
        "chef: cooked", "Removing intermediate container c0ffee000000", " ---> 23456789abcd",
        "Step 4/4 : RUN chef install-project", " ---> Running in d00d00000000",
        "\x1b[91mchef: error: no", "\x1b[0mThe command '/bin/sh -c chef install-project' returned a non-zero code: 5",
    ])
    steps = dockerlib.parse_legacy_steps(log)
    assert [(s.cached, s.done, s.error) for s in steps.values()] == [
        (False, True, False), (True, True, False), (False, True, False), (False, False, True)]
    assert steps[3].output == ["chef: cooked"] and steps[3].image == "23456789abcd"
    assert steps[4].output == ["chef: error: no",
                               "The command '/bin/sh -c chef install-project' returned a non-zero code: 5"]
    built = LegacyDocker("docker").built_images(log, steps)
    assert built == ["23456789abcd"]  # not the base (FROM), not a reused step


@pytest.mark.parametrize("name", CASES)
def test_legacy_builder_builds_the_example_and_reuses_the_cook_layers(
        legacy: LegacyDocker, chef_base: str, name: str, tmp_path: Path) -> None:
    example = dockerlib.EXAMPLES_BY_NAME[name]
    project = Project.copy(example, tmp_path)
    args: Dict[str, str] = {"PYTHON_IMAGE": chef_base, **example.build_args}
    dockerlib.check_edit_cycle(legacy, project, legacy.tag(f"legacy-{name}"), args)


def test_legacy_builder_without_chef_pyz_stops_at_the_copy(
        legacy: LegacyDocker, chef_base: str, tmp_path: Path) -> None:
    project = Project.copy(dockerlib.EXAMPLES_BY_NAME["uv-app"], tmp_path)
    build = legacy.build(project.root, legacy.tag("legacy-no-pyz"), place_chef=False,
                         build_args={"PYTHON_IMAGE": chef_base}, check=False)
    assert not build.ok and build.step("COPY chef.pyz").error, build.log[-3000:]
    assert "chef.pyz" in build.log.splitlines()[-1], build.log[-3000:]


@pytest.mark.parametrize("installer, variable", [("uv", "UV_INDEX_URL"), ("pip", "PIP_INDEX_URL")])
def test_private_index_credentials_from_build_args_stay_out_of_the_runtime_image(
        legacy: LegacyDocker, chef_base: str, tmp_path: Path, installer: str,
        variable: str) -> None:
    """A loopback index with basic auth (tests/docker/test_docker_private_index.py). Without
    credentials chef cook is refused with chef's one line; with the installer's URL variable
    holding them as a build arg the build works; they are in no history, config or layer of the
    runtime image, and (the documented cost) they are in the cook stage's history."""
    import test_docker_private_index as private
    from dockerlib import run
    from index_server import IndexServer
    from wheelhouse import make_wheel

    user, password = "u" + secrets.token_hex(8), "p" + secrets.token_hex(12)
    needles = [user.encode(), password.encode()]
    make_wheel(tmp_path / "wheels", "chef-private-dep", "1.0")
    project = tmp_path / "private-app"
    project.mkdir()
    args = {"PYTHON_IMAGE": chef_base, "CHEF_INSTALLER": installer}
    tag = legacy.tag(f"legacy-private-{installer}")
    with IndexServer(tmp_path / "wheels", auth=(user, password)) as server:
        (project / "pyproject.toml").write_text(private.PYPROJECT.format(url=server.url))
        (project / "app.py").write_text("import chef_private_dep\nprint('private ok')\n")
        env = {**dockerlib.manager_env(), "UV_INDEX_PRIVATE_USERNAME": user,
               "UV_INDEX_PRIVATE_PASSWORD": password}
        run([dockerlib.uv_binary(), "lock", "--quiet"], cwd=project, env=env)
        with_userinfo = server.url.replace("://", f"://{user}:{password}@", 1)

        denied = legacy.build(project, legacy.tag(f"legacy-private-{installer}-denied"),
                              build_args=args, check=False)
        cook = [s for s in denied.matching(COOK) if s.error]
        assert not denied.ok and cook, denied.log[-3000:]
        chef_lines = [line for line in cook[0].output if line.startswith("chef: ")]
        assert len(chef_lines) == 1, cook[0].output  # chef's one line says what failed
        assert "installing" in chef_lines[0] or "index" in chef_lines[0], chef_lines

        # CHEF_CREDENTIALS_FILE (kaniko's route, a secret mounted into the executor) reaches
        # chef cook: the legacy builder has no such file, so here it only shows the ARG is read.
        missing = legacy.build(project, legacy.tag(f"legacy-private-{installer}-file"),
                               build_args={**args, "CHEF_CREDENTIALS_FILE": "/kaniko/no-netrc"},
                               check=False)
        cook = [s for s in missing.matching(COOK) if s.error]
        assert cook and any("credentials file not found" in line and "/kaniko/no-netrc" in line
                            for line in cook[0].output), missing.log[-3000:]

        build = legacy.build(project, tag, build_args={**args, variable: with_userinfo})
        assert not build.all_cached(COOK), why(build)
        cook_stage = legacy.build(project, legacy.tag(f"legacy-private-{installer}-cook"),
                                  build_args={**args, variable: with_userinfo}, target="cook-2")
    assert server.requests, "the private index was never asked"
    assert legacy.run(tag, "python", "app.py").strip() == "private ok"

    for what in (["history", "--no-trunc", tag], ["image", "inspect", tag]):
        assert not private._leaks(legacy(*what).stdout, needles), f"credentials in {what[0]}"
    saved = subprocess.run([legacy.binary, "save", tag], capture_output=True, check=True).stdout
    blobs = list(private._blobs(saved, tag))
    assert not [where for where, blob in blobs if private._leaks(blob, needles)]
    assert any(where.endswith("chef_private_dep/__init__.py") for where, _ in blobs)
    # The documented cost: the build arg is in the cook stage's history, on the build machine.
    assert private._leaks(legacy("history", "--no-trunc", cook_stage.tag).stdout, needles)
