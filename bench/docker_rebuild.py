"""How long a rebuild takes after everyday changes, and whether the dependency layer survives:
the uv and Poetry examples, each built three ways.

- naive:    `COPY . .`, then the manager installs everything (one layer for all of it);
- manager:  the manager's own documented Docker pattern: uv bind-mounts pyproject.toml and uv.lock
            for `uv sync --locked --no-install-project`, then syncs again after `COPY . .`;
            Poetry copies pyproject.toml and poetry.lock, `poetry install --no-root`, then
            `poetry install` after `COPY . .`;
- chef:     Dockerfile.example, unchanged.

All three use the same base image and the same BuildKit cache mounts for the installers'
download caches. Two modes: `warm` keeps those caches (a workstation: rebuilding the dependency
layer costs little more than unpacking), `ci` empties them before every build with
`docker builder prune --filter type=exec.cachemount` (a CI runner that restores layers from a
registry cache but has no cache mounts: a rebuilt dependency layer downloads everything again).
Mind that `ci` empties every cache mount of the engine, not only the bench's.

Each variant starts from a cold build (a fresh base image: nothing from an earlier run's build
cache), then applies, one after another: a source edit, a version bump (lock updated as the
manager would), a tool-config edit ([tool.ruff]) and a new dependency, rebuilding after each.
Wall time is the `docker build` command's; "reused" says whether the step that installs the
third-party dependencies was CACHED.

    python bench/docker_rebuild.py [--base IMAGE] [--repeat N] [--mode warm|ci|both]
    python bench/docker_rebuild.py --source-edits N [--examples uv-app,poetry-app] [--baseline REV]

`--source-edits N`: the issue's rebuild-time target (a source edit costs at most 0.5 s more than
the manager's own pattern) measured on its own, paired: each example is built once per variant
(manager, chef, and with `--baseline REV` chef as of that git revision: its Dockerfile.example
and its chef.pyz), then N source edits are made, each rebuilt with every variant back to back
(the order alternating), so the machine's load hits them alike. It prints the medians, the
median of the per-edit differences against the manager's, and for each variant the timeline of
the steps that ran (when each step's first and last line of BuildKit's plain progress arrived,
medians in seconds from the `docker build` command's start), with the machine's load average.

Needs Docker with BuildKit and the package index (it installs real packages). Not a test: it
prints markdown tables and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "docker"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dockerlib  # noqa: E402
from dockerlib import Docker, Project  # noqa: E402

# Like Dockerfile.example (and uv's Docker guide), every variant compiles bytecode at build time.
UV_ENV = ("ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never "
          "UV_PROJECT_ENVIRONMENT=/app/.venv PATH=/opt/uv/bin:$PATH")
UV_TOOL = ("RUN --mount=type=cache,target=/root/.cache/pip "
           "python3 -m venv /opt/uv && /opt/uv/bin/pip install uv")
POETRY_ENV = "ENV POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_NO_INTERACTION=1"
POETRY_TOOL = ("RUN --mount=type=cache,target=/root/.cache/pip "
               "python3 -m venv /opt/poetry && /opt/poetry/bin/pip install poetry==2.5.1")

DOCKERFILES: Dict[Tuple[str, str], str] = {
    ("uv", "naive"): f"""\
ARG PYTHON_IMAGE
FROM ${{PYTHON_IMAGE}}
{UV_TOOL}
{UV_ENV}
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev
""",
    # https://docs.astral.sh/uv/guides/integration/docker/#intermediate-layers
    ("uv", "manager"): f"""\
ARG PYTHON_IMAGE
FROM ${{PYTHON_IMAGE}}
{UV_TOOL}
{UV_ENV}
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    uv sync --locked --no-install-project --no-dev
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev
""",
    ("poetry", "naive"): f"""\
ARG PYTHON_IMAGE
FROM ${{PYTHON_IMAGE}}
{POETRY_TOOL}
{POETRY_ENV}
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.cache/pypoetry \\
    /opt/poetry/bin/poetry install --only main --compile
""",
    # Poetry's FAQ / the common pattern: install the dependencies from pyproject + lock first.
    ("poetry", "manager"): f"""\
ARG PYTHON_IMAGE
FROM ${{PYTHON_IMAGE}}
{POETRY_TOOL}
{POETRY_ENV}
WORKDIR /app
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry \\
    /opt/poetry/bin/poetry install --only main --no-root --compile
COPY . .
RUN --mount=type=cache,target=/root/.cache/pypoetry \\
    /opt/poetry/bin/poetry install --only main --compile
""",
}

# The step that installs the third-party dependencies, per variant.
DEPENDENCY_STEP = {
    ("uv", "naive"): "uv sync --locked --no-dev",
    ("uv", "manager"): "--no-install-project",
    ("poetry", "naive"): "poetry install --only main",
    ("poetry", "manager"): "--no-root",
    ("uv", "chef"): "chef cook",
    ("poetry", "chef"): "chef cook",
}

CHANGES: List[Tuple[str, Callable[[Project], object]]] = [
    ("source edit", lambda p: p.edit_source("(edited)")),
    ("version bump", lambda p: p.bump_version()),
    ("tool-config edit", lambda p: p.edit_tool_config()),
    ("dependency add", lambda p: p.add_dependency("tabulate==0.9.0")),
]
VARIANTS = ("naive", "manager", "chef")


def measure(docker: Docker, base_image: str, example: dockerlib.Example, variant: str,
            work: Path, empty_caches: bool) -> Dict[str, Tuple[float, bool]]:
    project = Project.copy(example, work / f"{example.name}-{variant}")
    # A fresh base per variant: its first build is really cold, whatever ran before.
    base = dockerlib.test_base_image(docker, base_image, work)
    if variant == "chef":
        dockerfile = dockerlib.DOCKERFILE
    else:
        dockerfile = work / f"Dockerfile.{example.manager}-{variant}"
        dockerfile.write_text(DOCKERFILES[(example.manager, variant)])
    needle = DEPENDENCY_STEP[(example.manager, variant)]
    tag = f"chef-bench-{example.name}-{variant}:latest"

    def build() -> Tuple[float, bool]:
        if empty_caches:  # like a CI runner: layers from a registry cache, no cache mounts
            docker("builder", "prune", "--force", "--filter", "type=exec.cachemount")
        result = docker.build(project.root, tag, dockerfile=dockerfile,
                              build_args={"PYTHON_IMAGE": base})
        # Every variant's image must run the current code.
        assert project.greeting() in docker.run(tag, "/app/.venv/bin/python", "-m", "app"), tag
        return result.seconds, result.all_cached(needle)

    results = {"cold build": build()}
    for name, change in CHANGES:
        change(project)
        results[name] = build()
    docker.remove_images()
    return results


MODES = {
    "warm": "installer download caches warm (BuildKit cache mounts kept, as on a workstation)",
    "ci": "installer download caches empty before every build (as on a CI runner that restores "
          "layers from a registry cache but has no cache mounts)",
}


def table(docker: Docker, base_image: str, mode: str, repeat: int, work: Path) -> List[str]:
    examples = [dockerlib.EXAMPLES_BY_NAME["uv-app"], dockerlib.EXAMPLES_BY_NAME["poetry-app"]]
    rows = [f"Mode `{mode}`: {MODES[mode]}.", "",
            "| example | change | naive (`COPY . .`, install) | manager's Docker pattern "
            "| chef (Dockerfile.example) |", "| --- | --- | --- | --- | --- |"]
    for example in examples:
        runs: Dict[str, List[Dict[str, Tuple[float, bool]]]] = {v: [] for v in VARIANTS}
        for _ in range(repeat):
            for variant in VARIANTS:
                runs[variant].append(measure(docker, base_image, example, variant, work,
                                             empty_caches=mode == "ci"))
                print(f"# {mode} {example.name} {variant}: done", file=sys.stderr)
        for change in ["cold build"] + [c for c, _ in CHANGES]:
            cells = []
            for variant in VARIANTS:
                seconds = statistics.median(r[change][0] for r in runs[variant])
                reused = all(r[change][1] for r in runs[variant])
                mark = "" if change == "cold build" else (" reused" if reused else " **rebuilt**")
                cells.append(f"{seconds:.1f} s{mark}")
            rows.append(f"| {example.manager} | {change} | " + " | ".join(cells) + " |")
    return rows


def _step_label(name: str) -> str:
    """`[builder 3/3] RUN chef install-project --recipe-path ...` -> `[builder 3/3] RUN chef
    install-project`: short enough for a table cell."""
    words = name.split()
    return " ".join(words[:5]) if len(words) > 5 else name


def baseline(rev: str, work: Path) -> Tuple[Path, Path]:
    """Dockerfile.example and chef.pyz as of git revision `rev` (from `git archive`, built with
    that revision's scripts/build_pyz.py and today's pinned wheels)."""
    import subprocess

    import pyzlib

    tree = work / f"baseline-{rev}"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=dockerlib.ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    pyz = work / f"chef-{rev}.pyz"
    subprocess.run([sys.executable, str(tree / "scripts" / "build_pyz.py"), "--wheels",
                    str(pyzlib.pinned_wheels()), "--output", str(pyz)], cwd=tree, check=True,
                   capture_output=True)
    return tree / "Dockerfile.example", pyz


Timeline = Dict[str, Tuple[float, float]]


def timed_build(docker: Docker, context: Path, tag: str, dockerfile: Path, base: str,
                place_chef: bool) -> Tuple[dockerlib.Build, Timeline]:
    """`docker build` as Docker.build runs it, each line of BuildKit's plain progress timed as
    it arrives: (the build, {step: (first line, last line)} in seconds from the command's
    start) for the steps that ran, and "exporting to image"."""
    import re
    import subprocess

    if place_chef:
        dockerlib.place_chef_pyz(context, docker.pyz())
    argv = [docker.binary, "build", "--network", "host", "--progress", "plain", "-f",
            str(dockerfile), "-t", tag, "--build-arg", f"PYTHON_IMAGE={base}", str(context)]
    start = time.monotonic()
    process = subprocess.Popen(argv, env=docker.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: List[str] = []
    first: Dict[str, float] = {}
    last: Dict[str, float] = {}
    assert process.stdout is not None
    for line in process.stdout:
        now = time.monotonic() - start
        lines.append(line)
        m = re.match(r"#(\d+) ", line)
        if m:
            first.setdefault(m.group(1), now)
            last[m.group(1)] = now
    process.wait()
    log = "".join(lines)
    if tag not in docker.tags:
        docker.tags.append(tag)
    docker.images.extend(re.findall(r"writing image (sha256:[0-9a-f]+)", log))
    if process.returncode != 0:
        raise dockerlib.CommandError(f"docker build of {context} failed:\n{log[-6000:]}")
    build = dockerlib.Build(tag, log, time.monotonic() - start, dockerlib.parse_steps(log))
    timeline = {_step_label(step.name): (first[str(n)], last[str(n)])
                for n, step in build.steps.items()
                if step.done and not step.cached and not step.name.startswith("[internal]")}
    m = re.search(r"^#(\d+) exporting to image", log, re.M)
    if m:
        timeline["exporting to image"] = (first[m.group(1)], last[m.group(1)])
    return build, timeline


def source_edits(docker: Docker, base_image: str, names: List[str], edits: int,
                 work: Path, rev: str = "") -> List[str]:
    """Paired, interleaved source-edit rebuilds (see the module docstring)."""
    out: List[str] = []
    old = baseline(rev, work) if rev else None
    for name in names:
        base = dockerlib.test_base_image(docker, base_image, work)  # removed with the example's
        example = dockerlib.EXAMPLES_BY_NAME[name]
        variants: Tuple[str, ...] = ("manager", "chef") + ((f"chef@{rev}",) if rev else ())
        projects = {v: Project.copy(example, work / f"{example.name}-{v}") for v in variants}
        files: Dict[str, Path] = {}
        for v in variants:
            if v == "chef":
                files[v] = dockerlib.DOCKERFILE
            elif old is not None and v != "manager":
                files[v] = old[0]
                dockerlib.place_chef_pyz(projects[v].root, old[1])
            else:
                files[v] = work / f"Dockerfile.{example.manager}-{v}"
                files[v].write_text(DOCKERFILES[(example.manager, v)])
        tags = {v: f"chef-bench-{example.name}-{v.replace('@', '-')}:latest" for v in variants}

        def build(v: str, projects: Dict[str, Project] = projects, files: Dict[str, Path] = files,
                  tags: Dict[str, str] = tags,
                  base: str = base) -> Tuple[dockerlib.Build, Timeline]:
            result = timed_build(docker, projects[v].root, tags[v], files[v], base, v == "chef")
            assert projects[v].greeting() in docker.run(tags[v], "/app/.venv/bin/python", "-m",
                                                        "app"), tags[v]
            return result

        for v in variants:  # cold, then one edit each: the rebuilds measured below are warm
            build(v)
            projects[v].edit_source("(warm-up)")
            build(v)
        seconds: Dict[str, List[float]] = {v: [] for v in variants}
        reused: Dict[str, bool] = {v: True for v in variants}
        steps: Dict[str, Dict[str, List[Tuple[float, float]]]] = {v: {} for v in variants}
        loads: List[float] = []
        for i in range(edits):
            loads.append(os.getloadavg()[0])
            order = variants if i % 2 == 0 else tuple(reversed(variants))
            for v in order:
                projects[v].edit_source(f"(edit {i})")
                result, timeline = build(v)
                seconds[v].append(result.seconds)
                reused[v] &= result.all_cached(DEPENDENCY_STEP[(example.manager, v.split("@")[0])])
                for label, span in timeline.items():
                    steps[v].setdefault(label, []).append(span)
        cells = []
        for v in variants:
            cell = f"{v} {statistics.median(seconds[v]):.2f} s"
            if v != "manager":
                diff = statistics.median(c - m for c, m in zip(seconds[v], seconds["manager"]))
                cell += f" ({diff:+.2f} s against the manager's, median of the pairs)"
            cells.append(cell + ("" if reused[v] else " (dependencies rebuilt)"))
        out += [f"{example.name}, {edits} source edits (load average {min(loads):.1f}-"
                f"{max(loads):.1f}): " + "; ".join(cells), ""]
        for v, found in steps.items():
            out += [f"| {v}: step that ran | starts | ends | runs |", "| --- | --- | --- | --- |"]
            rows = sorted((statistics.median(a for a, _ in spans),
                           statistics.median(b for _, b in spans), label, len(spans))
                          for label, spans in found.items() if " FROM " not in label)
            out += [f"| `{label}` | {a:.2f} s | {b:.2f} s | {n} |" for a, b, label, n in rows]
            out += [f"| (`docker build` returns) | | {statistics.median(seconds[v]):.2f} s | |", ""]
        for v in variants:
            print(f"# {example.name} {v}: " + " ".join(f"{x:.2f}" for x in seconds[v]),
                  file=sys.stderr)
        docker.remove_images()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                         dockerlib.DEFAULT_BASE))
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (median shown)")
    parser.add_argument("--mode", choices=["warm", "ci", "both"], default="both")
    parser.add_argument("--source-edits", type=int, default=0, metavar="N",
                        help="only source edits: N paired rebuilds per example (manager, chef)")
    parser.add_argument("--examples", default="uv-app,poetry-app",
                        help="--source-edits: the examples, comma-separated")
    parser.add_argument("--baseline", default="", metavar="REV",
                        help="--source-edits: also chef as of git revision REV (its "
                             "Dockerfile.example and chef.pyz), interleaved with the others")
    args = parser.parse_args()
    docker, why = Docker.find()
    if docker is None:
        sys.exit(f"docker_rebuild: {why}")
    if docker.ensure_image(args.base):
        sys.exit(f"docker_rebuild: base image {args.base} not available")
    modes = ["warm", "ci"] if args.mode == "both" else [args.mode]
    started = time.time()
    out: List[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chef-bench-") as tmp:
            if args.source_edits:
                out += source_edits(docker, args.base, args.examples.split(","),
                                    args.source_edits, Path(tmp), args.baseline)
                modes = []
            for mode in modes:
                out += table(docker, args.base, mode, args.repeat, Path(tmp)) + [""]
    finally:
        docker.remove_images()
    print(f"Wall time of `docker build` after each change, and whether the layer that installs "
          f"the third-party dependencies was reused. {time.strftime('%Y-%m-%d')}, "
          f"{platform.machine()} with {os.cpu_count()} cores, Docker "
          f"{docker('version', '--format', '{{.Server.Version}}').stdout.strip()}, "
          f"base image {args.base}, median of {args.repeat} run(s); the bench took "
          f"{time.time() - started:.0f} s.\n")
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
