"""The benchmarks still run (tiny sizes, one run): they print tables, and nothing here looks at a
time. docs/performance.md has the real numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> str:
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_synthetic_locks_are_read_by_chef(tmp_path: Path) -> None:
    import synth

    from chef.prepare import prepare

    uv_dir = synth.write_uv_project(tmp_path / "uv", 120)
    recipe = prepare(uv_dir).recipe
    assert recipe.locked is not None and len(recipe.locked) == 120
    poetry_dir = synth.write_poetry_project(tmp_path / "poetry", 120)
    recipe = prepare(poetry_dir, frozen=True).recipe  # content-hash left at zeros here
    assert recipe.locked is not None and len(recipe.locked) == 120


@pytest.mark.slow
def test_prepare_bench_prints_its_tables() -> None:
    out = _run("bench/prepare.py", "--runs", "1", "--sizes", "20,40", "--no-corpus", "--no-pyz")
    assert "### Synthetic locks" in out and "| synthetic uv.lock, 40 |" in out
    assert "### Growth with lock size (uv.lock)" in out
    library = [line for line in out.splitlines() if "as a library call" in line]
    assert len(library) == 1 and library[0].endswith("| whole process |"), library


@pytest.mark.slow
@pytest.mark.network  # the pinned wheels of chef.pyz, downloaded once (tests/pyzlib.py)
def test_prepare_bench_times_chef_pyz_next_to_the_installed_chef() -> None:
    import pyzlib

    out = _run("bench/prepare.py", "--runs", "1", "--sizes", "40", "--pyz-only",
               "--pyz-wheels", str(pyzlib.pinned_wheels()))
    rows = [line for line in out.splitlines() if line.startswith("| ")][2:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| `chef --help`", "| small uv project (17 packages)", "| synthetic uv.lock, 40",
        "| synthetic poetry.lock, 40"]
    assert all(row.endswith("| same recipe |") for row in rows[1:]), rows
    assert "the pyz's pure-Python tomli" in out


@pytest.mark.slow
def test_cook_bench_prints_its_tables() -> None:
    out = _run("bench/cook.py", "--packages", "5", "--runs", "1")
    assert "| uv |" in out and "| pip |" in out and "chef cook --dry-run" in out


@pytest.mark.slow
@pytest.mark.network
def test_cross_build_bench_prints_its_tables() -> None:
    out = _run("bench/cross_build.py", "--runs", "1", "--package", "pyyaml")
    assert "| chef cook (this machine's platform) |" in out
    assert "| chef cook --platform linux/arm64 |" in out
    assert "by ELF machine: aarch64: " in out, out


@pytest.mark.slow
def test_compare_bench_prints_the_tree_against_a_commit() -> None:
    """bench/compare.py (and bench/prepare.py --against): a commit exported with git archive,
    installed next to the tree's chef, both timed in turn with the floor; HEAD's chef package
    writes the same recipes as the tree's unless the tree changed them."""
    out = _run("bench/compare.py", "--against", "HEAD", "--runs", "1", "--sizes", "20")
    assert "### chef prepare: working tree against " in out
    rows = [line for line in out.splitlines() if line.startswith("| ")][2:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| small uv project (17 packages)", "| synthetic uv.lock, 20",
        "| synthetic poetry.lock, 20"]
    assert all("—" not in row for row in rows), rows
    out = _run("bench/prepare.py", "--against", "HEAD", "--runs", "1", "--sizes", "20")
    assert "| synthetic uv.lock, 20 |" in out
    bad = subprocess.run([sys.executable, "bench/compare.py", "--against", "no-such-rev"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert bad.returncode != 0 and "not a commit: 'no-such-rev'" in bad.stderr


def test_timed_commands_never_get_pythonpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """Each timed chef runs the package its own venv holds: with PYTHONPATH passed on, REV's
    and the tree's venvs in bench/compare.py (and bench/cook.py --against) would both import
    whatever checkout PYTHONPATH names, and time one chef against itself."""
    import cook
    from prepare import tool_env

    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PYTHONHOME", str(tmp_path))
    for env in (tool_env(tmp_path), cook.bench_env(tmp_path)):
        assert "PYTHONPATH" not in env and "PYTHONHOME" not in env
        assert env["UV_NO_CONFIG"] == "1"
