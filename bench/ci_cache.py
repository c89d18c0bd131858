"""A rebuild on a fresh CI runner that gets its layer cache from a registry: how long it takes,
whether the dependency layer was reused, and how many bytes the runner pulled from the registry.
The uv and Poetry examples, each built the three ways of bench/docker_rebuild.py (naive, the
manager's documented pattern, Dockerfile.example).

Two engines and a registry, as provisioned by .ci/ci-cache-setup.sh (tests/docker/cicache.py):

- runner A (the usual engine), the producer: builds the project as committed with
  `--build-arg BUILDKIT_INLINE_CACHE=1` (Dockerfile.example: `--target builder`, the stage that
  holds the `chef cook` layer; the single-stage variants: the whole image) and pushes it as the
  cache tag;
- runner B, the consumer: emptied before every build (no image, no build cache, no cache mount),
  pulls the base image from the registry, then builds the whole image with `--cache-from` the
  cache tag.

Rows: `no registry cache` (B builds the committed project without `--cache-from`: a cold build),
`unchanged` (the same commit with the cache), then, one after another on the same copy, a source
edit, a version bump (lock updated as the manager would) and a dependency add, each built on an
emptied B from A's cache. Wall time is B's `docker build` (the base image pull before it is not
counted: it is the same for every variant and given once); "reused" says whether the step that
installs the third-party dependencies was CACHED; "pulled" counts the bytes the registry sent for
the cache repository during that build, from the registry's own access log (each GET of a blob or
manifest and the bytes of its response).

A second table, `chain`, shows why a consumer must not re-export the cache it imported: after the
source edit, B builds and pushes the cache stage with `--cache-from` (a re-export), then an emptied
B builds the version bump from that re-exported cache.

    eval "$(bash .ci/ci-cache-setup.sh start)"   # as root: the registry and runner B
    python bench/ci_cache.py [--base IMAGE] [--repeat N] [--examples uv-app,poetry-app]

Needs the package index (it installs real packages). Not a test: it prints markdown tables and
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "docker"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cicache  # noqa: E402
import dockerlib  # noqa: E402
from cicache import Runners  # noqa: E402
from docker_rebuild import CHANGES, DEPENDENCY_STEP, DOCKERFILES, VARIANTS  # noqa: E402
from dockerlib import Docker, Project  # noqa: E402

SCENARIOS = ("source edit", "version bump", "dependency add")
ROWS = ("no registry cache", "unchanged", *SCENARIOS)
MB = 1_000_000


@dataclass
class Result:
    seconds: float
    reused: bool
    pulled: int  # bytes from the registry's cache repository


@dataclass
class Bench:
    runners: Runners
    base: str  # the base image's registry reference
    namespace: str
    work: Path

    @property
    def a(self) -> Docker:
        return self.runners.a

    @property
    def b(self) -> Docker:
        return self.runners.b

    def dockerfile(self, example: dockerlib.Example, variant: str) -> Path:
        if variant == "chef":
            return dockerlib.DOCKERFILE
        path = self.work / f"Dockerfile.{example.manager}-{variant}"
        path.write_text(DOCKERFILES[(example.manager, variant)])
        return path

    def fresh_b(self) -> None:
        cicache.empty(self.b)
        cicache.pull(self.b, self.base)

    def consume(self, project: Project, variant: str, cache: Optional[str]) -> Result:
        """An emptied runner B builds the whole image (from `cache`, when given)."""
        example = project.example
        self.fresh_b()
        mark = self.runners.registry.mark()
        tag = self.b.tag(f"{example.name}-{variant}")
        build = self.b.build(project.root, tag, dockerfile=self.dockerfile(example, variant),
                             build_args={"PYTHON_IMAGE": self.base},
                             cache_from=[cache] if cache else [])
        pulled = self.runners.registry.pulled(mark, f"{self.namespace}/{example.name}-")
        # Every variant's image must run the current code.
        assert project.greeting() in self.b.run(tag, "/app/.venv/bin/python", "-m", "app"), tag
        return Result(build.seconds,
                      build.all_cached(DEPENDENCY_STEP[(example.manager, variant)]),
                      pulled)

    def cache_ref(self, example: dockerlib.Example, variant: str, tag: str = "buildcache") -> str:
        return self.runners.registry.ref(f"{self.namespace}/{example.name}-{variant}", tag)

    def produce(self, project: Project, variant: str, cache: str,
                cache_from: Sequence[str] = (), runner: Optional[Docker] = None
                ) -> dockerlib.Build:
        example = project.example
        return cicache.publish_cache(
            runner or self.a, project.root, cache, {"PYTHON_IMAGE": self.base},
            dockerfile=self.dockerfile(example, variant),
            target=cicache.BUILDER_STAGE if variant == "chef" else None, cache_from=cache_from)

    def measure(self, example: dockerlib.Example, variant: str,
                rows: Sequence[str] = ROWS) -> Dict[str, Result]:
        project = Project.copy(example, self.work / f"{example.name}-{variant}")
        cache = self.cache_ref(example, variant)
        self.produce(project, variant, cache)
        results = {}
        if "no registry cache" in rows:
            results["no registry cache"] = self.consume(project, variant, None)
        if "unchanged" in rows:
            results["unchanged"] = self.consume(project, variant, cache)
        for name, change in CHANGES:
            if name in SCENARIOS:
                change(project)  # the changes add up, as in bench/docker_rebuild.py
                if name in rows:
                    results[name] = self.consume(project, variant, cache)
        return results

    def chain(self, example: dockerlib.Example, variant: str) -> Tuple[Result, Result]:
        """A's cache -> B imports it and re-exports it (after a source edit) -> an emptied B
        builds a version bump from the re-exported cache."""
        project = Project.copy(example, self.work / f"{example.name}-{variant}-chain")
        first = self.cache_ref(example, variant)
        second = self.cache_ref(example, variant, "reexported")
        self.produce(project, variant, first)
        project.edit_source("(edited)")
        self.fresh_b()
        mark = self.runners.registry.mark()
        start = time.monotonic()
        stage = self.produce(project, variant, second, cache_from=[first], runner=self.b)
        seconds = time.monotonic() - start  # the build and the push
        step = DEPENDENCY_STEP[(example.manager, variant)]
        reexport = Result(seconds, stage.all_cached(step),
                          self.runners.registry.pulled(mark, f"{self.namespace}/{example.name}-"))
        project.bump_version()
        return reexport, self.consume(project, variant, second)


def cell(results: List[Result], mark: bool) -> str:
    seconds = statistics.median(r.seconds for r in results)
    pulled = statistics.median(r.pulled for r in results) / MB
    reused = all(r.reused for r in results)
    state = (" reused" if reused else " **rebuilt**") if mark else ""
    return f"{seconds:.1f} s{state}, {pulled:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                         dockerlib.DEFAULT_BASE))
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (median shown)")
    parser.add_argument("--examples", default="uv-app,poetry-app")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--rows", default=",".join(ROWS),
                        help="which rows of the first table (comma-separated)")
    parser.add_argument("--no-chain", action="store_true", help="skip the `chain` table")
    args = parser.parse_args()
    rows = [r for r in ROWS if r in args.rows.split(",")]
    examples = [dockerlib.EXAMPLES_BY_NAME[name] for name in args.examples.split(",")]
    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    a, why = Docker.find()
    if a is None:
        sys.exit(f"ci_cache: {why}")
    if a.ensure_image(args.base):
        sys.exit(f"ci_cache: base image {args.base} not available")
    runners, why = cicache.find(a)
    if runners is None:
        sys.exit(f"ci_cache: {why}")
    if runners.registry.access_log is None:
        sys.exit("ci_cache: no registry access log (CHEF_TEST_REGISTRY_LOG) to count bytes")
    started = time.time()
    namespace = f"chef-bench-{uuid.uuid4().hex[:10]}"
    out: List[str] = []
    with cicache.RunnerLock(runners.b.env["DOCKER_HOST"]), \
            tempfile.TemporaryDirectory(prefix="chef-bench-") as tmp:
        try:
            base = cicache.push(a, dockerlib.test_base_image(a, args.base, Path(tmp)),
                                runners.registry.ref(f"{namespace}/base", "1"))
            bench = Bench(runners, base, namespace, Path(tmp))
            cicache.empty(runners.b)
            mark = runners.registry.mark()
            pull_start = time.monotonic()
            cicache.pull(runners.b, base)
            base_seconds = time.monotonic() - pull_start
            base_bytes = runners.registry.pulled(mark, f"{namespace}/base")
            out += ["| example | change | " + " | ".join(
                {"naive": "naive (`COPY . .`, install)", "manager": "manager's Docker pattern",
                 "chef": "chef (Dockerfile.example)"}[v] for v in variants) + " |",
                "| --- | --- | " + " | ".join("---" for _ in variants) + " |"]
            for example in examples:
                runs: Dict[str, List[Dict[str, Result]]] = {v: [] for v in variants}
                for _ in range(args.repeat):
                    for variant in variants:
                        runs[variant].append(bench.measure(example, variant, rows))
                        print(f"# {example.name} {variant}: done", file=sys.stderr)
                for row in rows:
                    cells = [cell([r[row] for r in runs[v]], row != "no registry cache")
                             for v in variants]
                    out.append(f"| {example.manager} | {row} | " + " | ".join(cells) + " |")
            if not args.no_chain:
                out += ["", "Chain: runner B imports A's cache after a source edit and re-exports "
                        "it (`--cache-from` A's tag, `BUILDKIT_INLINE_CACHE=1`, pushed to a "
                        "second tag); then an emptied B builds a version bump from the "
                        "re-exported tag.", "",
                        "| example | variant | B re-exports (build + push) | next B, from the "
                        "re-exported cache |", "| --- | --- | --- | --- |"]
                for example in examples:
                    for variant in [v for v in variants if v != "naive"]:
                        reexport, after = bench.chain(example, variant)
                        print(f"# chain {example.name} {variant}: done", file=sys.stderr)
                        out.append(f"| {example.manager} | {variant} | {cell([reexport], True)} "
                                   f"| {cell([after], True)} |")
        finally:
            cicache.empty(runners.b)
            a.remove_images()
    version = a("version", "--format", "{{.Server.Version}}").stdout.strip()
    print(f"A rebuild on a fresh runner (engine B, emptied before every build) with the layer "
          f"cache in a registry ({runners.registry.address}, the registry on this machine): "
          f"wall time of B's `docker build`, whether the layer that installs the third-party "
          f"dependencies was reused, and the bytes B pulled from the cache repository "
          f"(the registry's access log). {time.strftime('%Y-%m-%d')}, {platform.machine()} "
          f"with {os.cpu_count()} cores, Docker {version} (BuildKit, inline cache), base image "
          f"{args.base}, median of {args.repeat} run(s); pulling the base image from the "
          f"registry, before every build and not counted, took {base_seconds:.1f} s for "
          f"{base_bytes / MB:.0f} MB. The bench took {time.time() - started:.0f} s.\n")
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
