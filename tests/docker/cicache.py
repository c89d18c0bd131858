"""Two CI runners and a registry: the registry-cache flow of docs/ci.md, shared by
tests/docker/test_docker_ci_cache.py and bench/ci_cache.py.

`.ci/ci-cache-setup.sh start` provisions them and prints where they are:

- CHEF_TEST_REGISTRY: a local image registry (`127.0.0.1:PORT`, plain HTTP over loopback, which
  Docker allows by default);
- CHEF_TEST_DOCKER_B: a second Docker engine ("runner B") with its own data root, so with its
  own, empty, image store and build cache;
- CHEF_TEST_REGISTRY_LOG: the registry's HTTP access log (one line per request with the bytes
  sent), from which `Registry.pulled` counts what a runner downloaded.

Runner A is the usual engine (`dockerlib.Docker.find()`). The flow, as in docs/ci.md: Docker
20.10 has BuildKit but no buildx, so the cache travels inline, in the image config of CACHE. The
producer (runner A) builds the builder stage with `--build-arg BUILDKIT_INLINE_CACHE=1 --target
builder`, without `--cache-from`, and pushes it as CACHE; consumers (runner B) build the image with
`--cache-from CACHE` and push no cache. A consumer must not re-export the cache it imported: with
Docker 20.10 an inline cache exported by a build that imported its layers has lost them (the
steps that were CACHED are keys without layers; bench/ci_cache.py's `chain` table shows it).
Builds go through dockerlib (`Docker.build`), like every other docker test.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Dict, Iterable, Mapping, Optional, Tuple

from dockerlib import DOCKERFILE, Build, Docker

SETUP = ".ci/ci-cache-setup.sh"
BUILDER_STAGE = "builder"  # Dockerfile.example's stage that holds the `chef cook` layer


class Registry:
    """The registry at `address`, and its access log (None: bytes cannot be counted)."""

    def __init__(self, address: str, access_log: Optional[Path]) -> None:
        self.address = address
        self.access_log = access_log

    def ref(self, repository: str, tag: str) -> str:
        return f"{self.address}/{repository}:{tag}"

    def check(self) -> str:
        """"" when the registry answers its API's version check, else why not."""
        try:
            with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=5) as answer:
                return "" if answer.status == 200 else f"status {answer.status}"
        except (OSError, urllib.error.URLError) as exc:
            return str(exc)

    def mark(self) -> int:
        """A point in the access log (its size): `pulled(mark)` counts what came after."""
        if self.access_log is None:
            raise AssertionError("no registry access log (CHEF_TEST_REGISTRY_LOG)")
        return self.access_log.stat().st_size

    # 127.0.0.1 - - [29/Nov/2026:05:34:49 +0000] "GET /v2/NAME/blobs/sha256:... HTTP/1.1" 200 98 ...
    _LINE = re.compile(r'"GET /v2/(?P<name>.+?)/(?P<kind>blobs|manifests)/\S+ HTTP/[0-9.]+" '
                       r'(?P<status>\d{3}) (?P<size>\d+|-)')

    def pulled(self, mark: int, under: str) -> int:
        """Bytes the registry sent since `mark` for GETs of blobs and manifests of the
        repositories whose name starts with `under`: what the runners downloaded from it."""
        assert self.access_log is not None
        with self.access_log.open("rb") as log:
            log.seek(mark)
            text = log.read().decode("utf-8", "replace")
        total = 0
        for line in text.splitlines():
            m = self._LINE.search(line)
            if m and m.group("name").startswith(under) and m.group("size") != "-" \
                    and m.group("status") in ("200", "206"):
                total += int(m.group("size"))
        return total


@dataclass
class Runners:
    a: Docker  # the usual engine: the runner that made the cache
    b: Docker  # a second engine: a fresh runner, emptied before each use
    registry: Registry


def find(a: Docker) -> Tuple[Optional[Runners], str]:
    """(Runners, "") or (None, one-line reason naming the provisioning script)."""
    address = os.environ.get("CHEF_TEST_REGISTRY")
    host = os.environ.get("CHEF_TEST_DOCKER_B")
    if not address or not host:
        return None, (f"no registry and second engine (CHEF_TEST_REGISTRY, CHEF_TEST_DOCKER_B: "
                      f"eval \"$(bash {SETUP} start)\")")
    registry = Registry(address, Path(os.environ["CHEF_TEST_REGISTRY_LOG"])
                        if os.environ.get("CHEF_TEST_REGISTRY_LOG") else None)
    why = registry.check()
    if why:
        return None, f"registry {address} not answering ({why}; bash {SETUP} start)"
    b, why = Docker.find(host)
    if b is None:
        return None, f"second engine {host}: {why} (bash {SETUP} start)"
    b.session = a.session
    return Runners(a, b, registry), ""


class RunnerLock:
    """One test session or bench at a time empties and uses runner B."""

    def __init__(self, host: str) -> None:
        digest = hashlib.sha256(host.encode()).hexdigest()[:12]
        self.path = Path(tempfile.gettempdir()) / f"chef-runner-b-{digest}.lock"
        self._file: Optional[IO[str]] = None

    def __enter__(self) -> RunnerLock:
        self._file = self.path.open("w")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._file is not None
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def contents(runner: Docker) -> Dict[str, str]:
    """What the engine holds: {"Images": "count", "Build Cache": "count", ...}."""
    out = runner("system", "df", "--format", "{{.Type}}\t{{.TotalCount}}").stdout
    return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)


def empty(runner: Docker) -> None:
    """Make the engine a fresh runner: no image, no build cache (layers or cache mounts)."""
    runner("system", "prune", "--all", "--force", "--volumes")
    runner("builder", "prune", "--all", "--force")
    held = contents(runner)
    if held.get("Images") != "0" or held.get("Build Cache") != "0":
        raise AssertionError(f"runner not empty after pruning: {held}")
    runner.tags.clear()
    runner.images.clear()


def own_base(runner: Docker, image: str, workdir: Path, name: str) -> str:
    """`image` plus a tiny layer holding a nonce, so that no build on it shares a cache key with
    the builds of other tests on `image`: BuildKit keys FROM by the image's layers (a label or
    any other config change would not do)."""
    context = workdir / f"{name}-base"
    context.mkdir(parents=True, exist_ok=True)
    (context / "nonce").write_text(uuid.uuid4().hex + "\n")
    (context / "Dockerfile").write_text(
        "ARG BASE\nFROM ${BASE}\nCOPY nonce /etc/chef-test-nonce\n")
    tag = runner.tag(f"{name}-base")
    runner.build(context, tag, dockerfile=context / "Dockerfile", build_args={"BASE": image})
    return tag


def push(runner: Docker, image: str, ref: str) -> str:
    """Tag `image` as `ref` and push it; returns ref (removed with the runner's images)."""
    if image != ref:
        runner("tag", image, ref)
        if ref not in runner.tags:
            runner.tags.append(ref)
    runner("push", ref)
    return ref


def pull(runner: Docker, ref: str) -> None:
    runner("pull", ref)


def publish_cache(runner: Docker, context: Path, cache: str, build_args: Mapping[str, str],
                  dockerfile: Path = DOCKERFILE, target: Optional[str] = BUILDER_STAGE,
                  cache_from: Iterable[str] = ()) -> Build:
    """The producer: build `target` (None: the whole image) with an inline cache and push it as
    `cache`. `cache_from` only to show the pitfall above: never re-export an imported cache."""
    build = runner.build(context, cache, dockerfile=dockerfile, target=target,
                         build_args={**build_args, "BUILDKIT_INLINE_CACHE": "1"},
                         cache_from=list(cache_from))
    push(runner, cache, cache)
    return build


def build_from_cache(runner: Docker, context: Path, image: str, cache: str,
                     build_args: Mapping[str, str], dockerfile: Path = DOCKERFILE) -> Build:
    """A consumer's build: the whole image, with the registry cache `cache`."""
    return runner.build(context, image, dockerfile=dockerfile, build_args=build_args,
                        cache_from=[cache])
