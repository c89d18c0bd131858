"""The docker tests leave no images behind, and keep the engine's build cache bounded.

Each engine's session records what its builds made (BuildKit: the image each build wrote; the
legacy builder: an image per step that ran; podman: an image per step that ran, `--> ID`) and
removes it at the end, so that no run of this suite adds to the engine's storage: runs that kept
theirs once filled CI's disk. Here each engine builds a two-stage Dockerfile twice (the second
time after an edit, so the first image loses its tag), removes what it recorded, and the engine
must hold exactly the images it held before. BuildKit's cache records are trimmed to
CHEF_TEST_BUILD_CACHE_KEEP at the end of the session (`Docker.trim_build_cache`).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Callable, Dict, Set

import dockerlib
import pytest
from dockerlib import Docker, LegacyDocker, Podman

pytestmark = pytest.mark.docker

DOCKERFILE = """\
ARG BASE
FROM ${BASE} AS first
COPY nonce /nonce
RUN cat /nonce > /first
FROM ${BASE}
COPY --from=first /first /first
RUN cat /first /first > /second
"""


def _images(engine: Docker) -> Set[str]:
    return set(engine("images", "--all", "--quiet", "--no-trunc").stdout.split())


def _podman(docker: Docker) -> Podman:
    podman, why = Podman.find_podman()
    if podman is None:
        pytest.skip(f"podman tests: {why}")
    return podman


ENGINES: Dict[str, Callable[[Docker], Docker]] = {
    "buildkit": lambda docker: Docker(docker.binary, docker.env.get("DOCKER_HOST")),
    "legacy": lambda docker: LegacyDocker(docker.binary, docker.env.get("DOCKER_HOST")),
    "podman": _podman,
}


@pytest.mark.parametrize("kind", sorted(ENGINES))
def test_a_session_removes_every_image_it_built(docker: Docker, kind: str,
                                                tmp_path: Path) -> None:
    engine = ENGINES[kind](docker)
    before = _images(engine)
    base = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    if isinstance(engine, Podman):
        base = engine.from_docker(base)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    tag = engine.tag("cleanup")
    for _ in range(2):
        (tmp_path / "nonce").write_text(uuid.uuid4().hex + "\n")
        engine.build(tmp_path, tag, dockerfile=tmp_path / "Dockerfile",
                     build_args={"BASE": base}, place_chef=False)
    assert _images(engine) - before, "the builds made no image: nothing was checked"
    engine.remove_images()
    left = _images(engine) - before
    assert not left, f"{kind}: images left after remove_images: {sorted(left)}"
    assert not engine.has_image(tag)


_SIZE = re.compile(r"^([0-9.]+)\s*([kMGT]?B)$")
_UNIT = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def test_the_build_cache_is_trimmed_to_its_bound(docker: Docker,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """trim_build_cache runs (a refused `builder prune` fails the teardown loudly) and leaves at
    most CHEF_TEST_BUILD_CACHE_KEEP of unused cache. `--keep-storage 4GB` means 4 GiB (docker
    parses it as RAM sizes), while `docker system df` prints decimal units to 3-4 digits."""
    monkeypatch.setenv("CHEF_TEST_BUILD_CACHE_KEEP", "4GB")
    docker.trim_build_cache()
    out = docker("system", "df", "--format", "{{.Type}}\t{{.Reclaimable}}").stdout
    row = next(line for line in out.splitlines() if line.startswith("Build Cache\t"))
    m = _SIZE.match(row.split("\t")[1].split(" ")[0])
    assert m, row
    assert float(m[1]) * _UNIT[m[2]] <= 4 * 2**30 * 1.001, row
