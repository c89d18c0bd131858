"""A reader that goes away (`chef cook --dry-run | head -1`) ends every printing command quietly:
no traceback, no `chef: internal error`, exit EXIT_PIPE (141, what the shell reports for a Unix
tool that SIGPIPE ends; docs/exit-codes.md).

Each command is run as the console script runs it (`python -m chef`), its output into a real pipe
that the reader closes early: after one line of an output much larger than the pipe's buffer (so
that chef is still writing when it closes), and before anything was written (a reader that is
already gone: the small outputs, --help, and stderr).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from clirun import chef, chef_argv
from conftest import write

from chef.errors import EXIT_PIPE

N = 12000  # requirements: a recipe of ~0.5 MB, a dry-run plan and a diff of ~0.2 MB each
BIG = 1 << 16  # what a Linux pipe buffers by default


def _env(unbuffered: str = "") -> Dict[str, str]:
    """Python's default buffering unless `unbuffered`. With PYTHONUNBUFFERED=1 the text layer
    writes straight to the file descriptor and drops the rest of a partial write without an
    error (CPython's TextIOWrapper over an unbuffered FileIO), so a large output cut by its
    reader then ends with status 0: quiet all the same, but not what a user's shell has."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    return env


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """A project of N requirements, its recipe, and a recipe it differs from in every one."""
    base = tmp_path_factory.mktemp("bigpipe")
    project = base / "app"
    write(project / "pyproject.toml",
          '[project]\nname = "p"\nversion = "1"\ndependencies = ['
          + ", ".join(f'"pkg{i}>=1"' for i in range(N)) + "]\n")
    other = base / "other"
    write(other / "pyproject.toml",
          '[project]\nname = "p"\nversion = "1"\ndependencies = ['
          + ", ".join(f'"pkg{i}>=2"' for i in range(N)) + "]\n")
    recipe, old = base / "recipe.json", base / "old.json"
    for where, path in ((project, recipe), (other, old)):
        done = chef("prepare", "--project-dir", str(where), "--recipe-path", str(path))
        assert done.returncode == 0, done.stderr
    return {"project": project, "recipe": recipe, "old": old, "base": base}


def _commands(big: Dict[str, Path]) -> Dict[str, List[str]]:
    project, recipe, old = str(big["project"]), str(big["recipe"]), str(big["old"])
    return {
        "prepare --stdout": ["prepare", "--stdout", "--project-dir", project],
        "prepare --stdout --explain": ["prepare", "--stdout", "--explain", "--project-dir",
                                       project],
        "cook --dry-run": ["cook", "--recipe-path", recipe, "--venv",
                           str(big["base"] / "venv"), "--dry-run"],
        "diff": ["diff", old, recipe],
        "diff --json": ["diff", "--json", old, recipe],
        "check": ["check", "--recipe-path", old, "--project-dir", project],
        "check --json": ["check", "--json", "--recipe-path", old, "--project-dir", project],
    }


LARGE = ["prepare --stdout", "prepare --stdout --explain", "cook --dry-run", "diff",
         "diff --json", "check", "check --json"]


def _quiet(stderr: str) -> None:
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    assert "internal error" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.mark.parametrize("name", LARGE)
def test_a_reader_that_reads_a_little_and_goes_away(name: str, big: Dict[str, Path]) -> None:
    """`chef ... | head -1`: the output is far larger than the pipe holds, so chef is still
    writing when the reader closes its end."""
    args = _commands(big)[name]
    # Run alone first (in this process): the output really is larger than the pipe's buffer.
    whole = chef(*args)
    assert whole.returncode in (0, 1), whole.stderr
    assert len(whole.stdout) > 2 * BIG
    process = subprocess.Popen(chef_argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=_env())
    assert process.stdout is not None and process.stderr is not None
    first = os.read(process.stdout.fileno(), 4096)  # the first bytes (a recipe is one line)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    status = process.wait(timeout=120)
    assert first.strip()
    assert status == EXIT_PIPE, stderr
    _quiet(stderr)


def test_head_dash_1_in_a_shell(big: Dict[str, Path]) -> None:
    """The issue's own command line, through a shell and the real `head`."""
    import shlex

    command = chef_argv("cook", "--recipe-path", str(big["recipe"]), "--venv",
                    str(big["base"] / "venv"), "--dry-run")
    script = " ".join(map(shlex.quote, command)) + " | head -1; echo status=${PIPESTATUS[0]} >&2"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False,
                          env=_env())
    assert done.stdout.startswith("plan ")
    assert len(done.stdout.splitlines()) == 1
    assert f"status={EXIT_PIPE}" in done.stderr
    _quiet(done.stderr.replace(f"status={EXIT_PIPE}", ""))


SMALL = [
    ["--help"],
    ["prepare", "--help"],
    ["cook", "--help"],
    ["diff", "--help"],
    ["check", "--help"],
    ["install-project", "--help"],
    ["--version"],
]


@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("args", SMALL, ids=lambda a: " ".join(a))
def test_a_reader_already_gone(args: List[str], unbuffered: str) -> None:
    """`chef --help | true` once `true` has exited: the first write fails (unbuffered: inside
    click, which exits 1 on its own; buffered: in run's last flush). EXIT_PIPE either way."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(chef_argv(*args), stdout=write_end, stderr=subprocess.PIPE, text=True,
                              check=False, env=_env(unbuffered))
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_PIPE, done.stderr
    _quiet(done.stderr)


@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("name", LARGE)
def test_every_large_output_to_a_reader_already_gone(
    name: str, unbuffered: str, big: Dict[str, Path]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(chef_argv(*_commands(big)[name]), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False,
                              env=_env(unbuffered))
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_PIPE, done.stderr
    _quiet(done.stderr)


def test_explain_on_stderr_to_a_reader_already_gone(big: Dict[str, Path]) -> None:
    """`chef prepare --explain 2>&1 >/dev/null | head -1`: the explanation goes to stderr; a
    stderr whose reader has gone ends the command as quietly (and the recipe is still written
    before the explanation is printed)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    recipe = big["base"] / "explained.json"
    try:
        done = subprocess.run(chef_argv("prepare", "--explain", "--project-dir", str(big["project"]),
                                    "--recipe-path", str(recipe)),
                              stdout=subprocess.PIPE, stderr=write_end, text=True, check=False,
                              env=_env())
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_PIPE
    assert done.stdout == ""
    assert len(json.loads(recipe.read_text())["roots"]) == N


def test_a_broken_pipe_that_is_not_the_output_is_still_a_bug(tmp_path: Path) -> None:
    """A BrokenPipeError from anything but a closed stdout/stderr (a socket, a child's pipe)
    keeps its traceback and EXIT_INTERNAL: only a reader that went away ends quietly."""
    code = (
        "import sys, chef.cli, chef.prepare\n"
        "def boom(*a, **k):\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "chef.prepare.prepare = boom\n"
        f"sys.argv = ['chef', 'prepare', '--stdout', '--project-dir', {str(tmp_path)!r}]\n"
        "chef.cli.run()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=_env())
    from chef.errors import EXIT_INTERNAL

    assert done.returncode == EXIT_INTERNAL, done.stderr
    assert "Traceback" in done.stderr and "chef: internal error" in done.stderr
