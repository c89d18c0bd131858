"""bench/docker_planner.py and bench/ci_cache.py still run against the engine (tiny lock, one
build per variant; one row): they print their tables, whose times are checked against each
other and the bench's own wall time only, never against a figure. docs/performance.md and
docs/ci.md have the real numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dockerlib
import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]


def test_planner_bench_times_the_run_step_of_each_command(docker: dockerlib.Docker) -> None:
    env = {**os.environ,
           "CHEF_TEST_BASE_IMAGE": os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)}
    done = subprocess.run([sys.executable, "bench/docker_planner.py", "--sizes", "20",
                           "--repeat", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| synthetic uv.lock, 20 |")]
    assert [row.split(" | ")[1] for row in rows] == [
        "`RUN true`", "`RUN chef prepare`", "`RUN uv export`"]
    for row in rows:  # every cell measured: the command's ms, the step's s, the build's s
        command_ms, step_s, build_s = (float(c) for c in row.strip("| ").split(" | ")[2:])
        # Each contains the one before: the command runs inside its RUN step, the step inside
        # the build (0.05 s: the cells' rounding). A column taken from the wrong place fails.
        assert build_s > 0 and command_ms / 1000 <= step_s + 0.05 <= build_s + 0.1, row


def test_ci_cache_bench_counts_what_a_fresh_runner_pulls(docker: dockerlib.Docker) -> None:
    """bench/ci_cache.py on one row (docs/ci.md has the real numbers): the chef cook layer came
    from the registry, and the bytes pulled for it were counted."""
    import cicache

    runners, why = cicache.find(docker)
    if runners is None:
        pytest.skip(f"ci cache bench: {why}")
    env = {**os.environ,
           "CHEF_TEST_BASE_IMAGE": os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "bench/ci_cache.py", "--examples", "uv-app",
                           "--variants", "chef", "--rows", "source edit", "--no-chain"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("| uv | source edit |")]
    seconds, state, pulled = re.fullmatch(r"\| uv \| source edit \| ([0-9.]+) s (\S+), ([0-9.]+) MB \|",
                                          row).groups()  # type: ignore[union-attr]
    assert state == "reused" and float(pulled) > 0, row
    # One consumer build among what the bench runs (the producer's build and push, emptying the
    # runner, pulling the base): a figure in other units, or summed over more, does not fit.
    assert 0 < float(seconds) < elapsed, (row, elapsed)
