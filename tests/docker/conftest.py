"""Fixtures for the `docker` tests: the engine, and the base images Dockerfile.example is built on.

They run where an engine and a base image are available: CHEF_TEST_BASE_IMAGE (default a public
python:*-slim image, pulled if missing); otherwise every docker test is skipped with one reason
(and with CHEF_REQUIRE_DOCKER=1 or CHEF_STRICT_SKIPS=1, as in CI, the root conftest turns that
skip into a failure).
"""

from __future__ import annotations

import os
from typing import Iterator, List

import dockerlib
import pytest


def pytest_report_header(config: pytest.Config) -> List[str]:
    missing = sorted({e.manager for e in dockerlib.EXAMPLE_LIST} - _readable_managers())
    if missing:
        return [f"docker: examples not built, chef has no reader yet for: {', '.join(missing)}"]
    return []


def _readable_managers() -> set:  # type: ignore[type-arg]
    readers = set(dockerlib.chef_readers())
    return {e.manager for e in dockerlib.EXAMPLE_LIST if e.reader in readers}


@pytest.fixture(scope="session")
def docker() -> Iterator[dockerlib.Docker]:
    engine, why = dockerlib.Docker.find()
    if engine is None:
        pytest.skip(f"docker tests: {why}")
    base = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    why = engine.ensure_image(base)
    if why:
        pytest.skip(f"docker tests: {why} (set CHEF_TEST_BASE_IMAGE)")
    try:
        yield engine
    finally:
        engine.remove_images()
        engine.trim_build_cache()


@pytest.fixture(scope="session")
def chef_base(docker: dockerlib.Docker, tmp_path_factory: pytest.TempPathFactory) -> str:
    """PYTHON_IMAGE for Dockerfile.example's default route: CHEF_TEST_BASE_IMAGE with nothing of
    chef (`docker.build` puts the checkout's chef.pyz into each build context)."""
    base = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    return dockerlib.pyz_base_image(docker, base, tmp_path_factory.mktemp("docker"))


@pytest.fixture(scope="session")
def chef_pip_base(docker: dockerlib.Docker, tmp_path_factory: pytest.TempPathFactory) -> str:
    """PYTHON_IMAGE for the pip route (CHEF_FROM=pip): CHEF_TEST_BASE_IMAGE + a wheelhouse with
    the checkout's chef (PIP_FIND_LINKS=/wheels), so the default CHEF_SPEC=chef installs it."""
    base = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    return dockerlib.test_base_image(docker, base, tmp_path_factory.mktemp("docker-pip"))
