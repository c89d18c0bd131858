"""One image per service of a uv workspace, from the same Dockerfile.example (`--package`)."""

from __future__ import annotations

from pathlib import Path

import dockerlib
import pytest
from dockerlib import Docker, Project

pytestmark = pytest.mark.docker

API = dockerlib.EXAMPLES_BY_NAME["uv-workspace"]
WORKER = dockerlib.Example(
    "uv-workspace", "uv", "worker", "packages/worker/src/worker/__init__.py", dist="worker",
    pyproject="packages/worker/pyproject.toml", package="worker", reader="uv",
    local=("worker", "common"))


def test_each_service_gets_only_its_own_dependencies(
        docker: Docker, chef_base: str, tmp_path: Path) -> None:
    api = Project.copy(API, tmp_path)
    worker = Project(WORKER, api.root)  # the same checkout, another service

    def build(service: Project) -> dockerlib.Build:
        return docker.build(service.root, docker.tag(f"ws-{service.example.package}"),
                            build_args={"PYTHON_IMAGE": chef_base, **service.example.build_args})

    build(api)
    build(worker)
    for service in (api, worker):
        tag = docker.tag(f"ws-{service.example.package}")
        assert f"hello from the {service.example.package} service" in docker.run(
            tag, "python", "-m", service.example.module)
        installed = docker.installed(tag)
        local = set(service.example.local)
        assert local <= set(installed)
        third_party = {k: v for k, v in installed.items() if k not in local}
        assert third_party == service.export(docker.marker_env(tag))
    assert "click" in docker.installed(docker.tag("ws-api"))
    assert "click" not in docker.installed(docker.tag("ws-worker"))
    assert "attrs" not in docker.installed(docker.tag("ws-api"))

    # A dependency of the worker only: uv.lock changes, the api's recipe does not.
    api.add_dependency("tabulate==0.9.0", package="worker")
    again = build(api)
    assert again.all_cached("chef cook"), "the api's dependency layers were rebuilt"
    rebuilt = build(worker)
    assert not rebuilt.all_cached("chef cook")
    assert "tabulate" in docker.installed(docker.tag("ws-worker"))
    assert "tabulate" not in docker.installed(docker.tag("ws-api"))
