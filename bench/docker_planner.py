"""What `chef prepare` costs where it runs: the planner stage's RUN step in a `docker build`.

bench/prepare.py compares whole processes (chef prepare against `uv export`). In a build, prepare
is one step: after a source edit, BuildKit copies the context again (`COPY . .`) and runs
`RUN chef prepare --recipe-path recipe.json` in a new container. This bench builds that stage
with three commands in the RUN step and times each three ways:

- the command itself, inside the step (`date +%s%N` before and after it, in the container);
- the RUN step as BuildKit reports it (`#N DONE 0.4s`: container set-up, the command, the
  snapshot of its layer; BuildKit rounds to 0.1 s);
- the whole `docker build` command.

Commands: `true` (what any RUN step costs), `chef prepare` (Dockerfile.example's planner step)
and `uv export --frozen --no-emit-project` (the native exporter, for scale). Each variant is
`FROM` Dockerfile.example's `chef` stage (the checkout's chef, on the bench's base image), then
`WORKDIR /app`, `COPY . .` of a synthetic uv project (bench/synth.py) and the RUN step. Before
every build a source file changes, so COPY and RUN run again, as after a developer's edit. The
variants take turns; one warm-up build each is not counted.

    python bench/docker_planner.py [--base IMAGE] [--repeat 5] [--sizes 100,1500] [--out FILE]

Needs Docker with BuildKit, and the package index once, for the chef stage (chef's dependencies
and uv, as bench/docker_rebuild.py). Prints markdown tables; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "docker"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import dockerlib  # noqa: E402
import synth  # noqa: E402
from dockerlib import Docker  # noqa: E402

COMMANDS: Tuple[Tuple[str, str], ...] = (
    ("`RUN true`", "true"),
    ("`RUN chef prepare`", "chef prepare --recipe-path recipe.json"),
    ("`RUN uv export`", "UV_NO_CONFIG=1 UV_OFFLINE=1 UV_PYTHON_DOWNLOADS=never "
                        "/opt/chef/bin/uv export --frozen --no-emit-project --quiet >/dev/null"),
)

# The command's own time, printed by the step itself; the marker names the variant's RUN step.
STEP = ('RUN s=$(date +%s%N) && {command} && e=$(date +%s%N) '
        '&& echo "planner-command-us $(( (e - s) / 1000 ))"')
DOCKERFILE = """\
ARG CHEF_IMAGE
FROM ${{CHEF_IMAGE}}
WORKDIR /app
COPY . .
{step}
"""

_COMMAND_US = re.compile(r"planner-command-us (\d+)")


@dataclass
class Timings:
    command_ms: List[float] = field(default_factory=list)
    step_s: List[float] = field(default_factory=list)
    build_s: List[float] = field(default_factory=list)


def step_times(build: dockerlib.Build) -> Tuple[float, float]:
    """(the command's own ms, BuildKit's seconds for the RUN step) of one build."""
    found = _COMMAND_US.search(build.log)
    step = build.step("planner-command-us")
    if found is None or step.seconds is None:
        raise RuntimeError("the RUN step ran no command (was it CACHED?):\n" + build.log[-3000:])
    return int(found.group(1)) / 1000, step.seconds


def chef_stage(docker: Docker, base: str, work: Path) -> str:
    """Dockerfile.example's `chef` stage on the base image with the checkout's chef wheel."""
    with_wheels = dockerlib.test_base_image(docker, base, work, fresh=False)
    context = work / "empty"
    context.mkdir(exist_ok=True)
    tag = docker.tag("planner-chef")
    docker.build(context, tag, build_args={"PYTHON_IMAGE": with_wheels}, target="chef")
    return tag


def bench_size(docker: Docker, chef_image: str, size: int, repeat: int,
               work: Path) -> Dict[str, Timings]:
    project = synth.write_uv_project(work / f"uv-{size}", size)
    source = project / "src" / "app.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    dockerfiles: Dict[str, Path] = {}
    for label, command in COMMANDS:
        path = work / f"Dockerfile.{size}.{len(dockerfiles)}"
        path.write_text(DOCKERFILE.format(step=STEP.format(command=command)))
        dockerfiles[label] = path
    results: Dict[str, Timings] = {label: Timings() for label, _ in COMMANDS}
    # Unique to this run: an edit of an earlier run would find its layers in the build cache.
    run_id = uuid.uuid4().hex
    edit = 0
    for round_ in range(repeat + 1):  # round 0 is the warm-up
        for label, _ in COMMANDS:
            edit += 1
            source.write_text(f"EDIT = '{run_id}-{edit}'  # a source edit: COPY and RUN again\n")
            build = docker.build(project, docker.tag(f"planner-{size}"),
                                 dockerfile=dockerfiles[label],
                                 build_args={"CHEF_IMAGE": chef_image})
            if round_ == 0:
                continue
            command_ms, step_s = step_times(build)
            results[label].command_ms.append(command_ms)
            results[label].step_s.append(step_s)
            results[label].build_s.append(build.seconds)
    return results


def table(rows: Sequence[Tuple[int, Dict[str, Timings]]]) -> str:
    lines = ["| lock | RUN step | the command, ms | the RUN step (BuildKit), s | "
             "whole `docker build`, s |", "| --- | --- | ---: | ---: | ---: |"]
    for size, results in rows:
        for label, timings in results.items():
            lines.append(
                f"| synthetic uv.lock, {size} | {label} | "
                f"{statistics.median(timings.command_ms):.0f} | "
                f"{statistics.median(timings.step_s):.1f} | "
                f"{statistics.median(timings.build_s):.2f} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                         dockerlib.DEFAULT_BASE))
    parser.add_argument("--repeat", type=int, default=5, help="counted builds per variant (5)")
    parser.add_argument("--sizes", default="100,1500")
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args(argv)
    docker, why = Docker.find()
    if docker is None:
        sys.exit(f"docker_planner: {why}")
    if docker.ensure_image(args.base):
        sys.exit(f"docker_planner: base image {args.base} not available")
    started = time.time()
    rows: List[Tuple[int, Dict[str, Timings]]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chef-bench-") as tmp:
            chef_image = chef_stage(docker, args.base, Path(tmp))
            for size in (int(s) for s in args.sizes.split(",")):
                rows.append((size, bench_size(docker, chef_image, size, args.repeat, Path(tmp))))
    finally:
        docker.remove_images()
    version = docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    text = (
        f"The planner stage's RUN step after a source edit. {time.strftime('%Y-%m-%d')}, "
        f"{platform.machine()} with {os.cpu_count()} cores, Docker {version}, base image "
        f"{args.base}; medians of {args.repeat} builds per row after one warm-up, the variants "
        f"in turn; the bench took {time.time() - started:.0f} s.\n\n" + table(rows) + "\n")
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
