"""Where chef comes from in a Docker build.

- On a fresh machine, as written: the base image (CHEF_TEST_BASE_IMAGE) with nothing of chef in
  it, no wheelhouse, no PIP_FIND_LINKS, and chef.pyz in the build context. Both
  Dockerfile.example and the README's first Dockerfile build the uv example and run it. They use
  pip as the installer: the base image's own pip (uv from the index would need SSL_CERT_FILE on
  a machine behind a TLS-intercepting proxy, a setting of the network, not of chef; the other
  docker tests build with uv on an image that sets it).
- The pip route (CHEF_FROM=pip): chef from an index that has it (here the wheelhouse image's
  PIP_FIND_LINKS), with no chef.pyz in the context.
- The default route without chef.pyz: one line that names chef.pyz and CHEF_FROM=pip.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import dockerlib
import pytest
from dockerlib import Docker, Project

pytestmark = pytest.mark.docker

UV_APP = dockerlib.EXAMPLES_BY_NAME["uv-app"]
README = dockerlib.ROOT / "README.md"
# chef, uv and the build environment: none of it in a runtime image.
NOT_IN_RUNTIME = ("/opt/chef", "/app/.venv.chef-build", "/usr/local/bin/chef", "/usr/local/bin/uv",
                  "/app/chef.pyz")


def readme_dockerfile() -> str:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- readme-dockerfile:start -->\n", 1)[1].split(
        "<!-- readme-dockerfile:end -->", 1)[0]
    match = re.fullmatch(r"```dockerfile\n(.*)```\n", block, re.S)
    assert match, "the README's Dockerfile is not one ```dockerfile block between its markers"
    return match.group(1)


def plain_base(docker: Docker) -> str:
    base = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    env = json.loads(docker("image", "inspect", "--format", "{{json .Config.Env}}", base).stdout)
    assert not [e for e in env or [] if e.startswith(("PIP_", "UV_"))], (
        f"{base} is not a plain base image: {env}")
    return base


def check_image(docker: Docker, project: Project, tag: str) -> None:
    """The app runs, the image holds exactly the lock's packages, and nothing of chef."""
    assert project.greeting() in docker.run(tag, "python", "-m", UV_APP.module)
    installed = docker.installed(tag)
    third_party = {k: v for k, v in installed.items() if k not in UV_APP.local}
    assert set(UV_APP.local) <= set(installed)
    assert third_party == project.export(docker.marker_env(tag))
    found = docker.run(tag, "sh", "-c", f"ls -d {' '.join(NOT_IN_RUNTIME)} 2>/dev/null || true")
    assert found.strip() == "", f"chef in the runtime image: {found}"


def test_a_fresh_machine_builds_with_chef_pyz_alone(docker: Docker, tmp_path: Path) -> None:
    base = plain_base(docker)
    project = Project.copy(UV_APP, tmp_path)
    assert not (project.root / "chef.pyz").exists()

    # Dockerfile.example as shipped: chef.pyz goes into the context (Docker.build, as a user
    # does). --no-cache: every step runs here, none comes from an earlier session.
    example = docker.build(project.root, docker.tag("pyz-fresh-example"), no_cache=True,
                           build_args={"PYTHON_IMAGE": base, "CHEF_INSTALLER": "pip"})
    assert (project.root / "chef.pyz").is_file()
    chef_stage = dockerlib.step_output(example, "python3 -m zipfile -e")
    assert "chef, version " in chef_stage
    assert not re.search(r"Collecting|Downloading|Successfully installed", chef_stage), (
        f"the chef stage installed something:\n{chef_stage}")
    check_image(docker, project, example.tag)

    # The README's first Dockerfile, as written.
    dockerfile = tmp_path / "Dockerfile.readme"
    dockerfile.write_text(readme_dockerfile())
    readme = docker.build(project.root, docker.tag("pyz-fresh-readme"), dockerfile=dockerfile,
                          build_args={"PYTHON_IMAGE": base}, place_chef=True, no_cache=True)
    assert "Successfully installed" in dockerlib.step_output(readme, "chef cook")
    check_image(docker, project, readme.tag)


def test_the_pip_route_installs_chef_from_an_index(
        docker: Docker, chef_pip_base: str, tmp_path: Path) -> None:
    project = Project.copy(UV_APP, tmp_path)
    build = docker.build(project.root, docker.tag("pip-route"),
                         build_args={"PYTHON_IMAGE": chef_pip_base, "CHEF_FROM": "pip"})
    assert not (project.root / "chef.pyz").exists(), "the pip route needs no chef.pyz"
    assert "Successfully installed" in dockerlib.step_output(build, "/opt/chef/bin/pip install")
    check_image(docker, project, build.tag)


def test_the_pyz_route_without_chef_pyz_says_what_to_do(
        docker: Docker, chef_base: str, tmp_path: Path) -> None:
    """CHEF_FROM=pyz (the default) and no chef.pyz in the context: BuildKit copies nothing for
    `COPY chef.py[z]` (so the pip route needs none), and the RUN stops with one line."""
    project = Project.copy(UV_APP, tmp_path)
    build = docker.build(project.root, docker.tag("pyz-missing"), place_chef=False, check=False,
                         build_args={"PYTHON_IMAGE": chef_base})
    assert not build.ok
    lines = [line for line in build.log.splitlines() if "chef: no chef.pyz" in line]
    assert lines and "CHEF_FROM=pip" in lines[0], build.log[-3000:]
