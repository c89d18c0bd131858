"""Running the `chef` command in tests: one helper, two ways.

`chef(*args)` runs the command in this process, with click's CliRunner on `chef.cli.main`
(prog_name "chef", as the console script): no interpreter start-up, so it suits every test of
what chef prints and which exit code a command returns. `chef(*args, process=True)` runs
`python -m chef` in a fresh interpreter: for what only a real process shows (the console
script's `run`: flush, os._exit, the collector off; closed pipes, signals, real installs, an
environment variable read when a module is imported).

Both return a subprocess.CompletedProcess with text stdout and stderr, so a test reads the same
either way. `cwd` is the directory the command runs in (in-process: chdir for the call and back);
`env` is laid over this process's environment (a None value removes a variable).
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

CHEF = [sys.executable, "-m", "chef"]


def chef_argv(*args: str) -> List[str]:
    """The command line of `python -m chef ARGS`, for a test that runs it itself (its own pipes,
    stdout to a file, a signal sent to the process)."""
    return [*CHEF, *args]


def chef(*args: str, cwd: Optional[Union[str, Path]] = None,
         env: Optional[Mapping[str, Optional[str]]] = None, process: bool = False,
         **run_options: Any) -> subprocess.CompletedProcess[str]:
    """`chef ARGS`: in this process (default) or, with process=True, in a fresh interpreter
    (`run_options` go to subprocess.run: timeout, input, ...)."""
    if process:
        environ: Optional[Dict[str, str]] = None
        if env is not None:
            environ = {**os.environ}
            for key, value in env.items():
                if value is None:
                    environ.pop(key, None)
                else:
                    environ[key] = value
        return subprocess.run(chef_argv(*args), cwd=cwd, env=environ, capture_output=True,
                              text=True, check=False, **run_options)
    if run_options:
        raise TypeError(f"in-process chef() takes no {sorted(run_options)}; use process=True")
    return _in_process(list(args), cwd, env)


def _in_process(args: List[str], cwd: Optional[Union[str, Path]],
                env: Optional[Mapping[str, Optional[str]]]) -> subprocess.CompletedProcess[str]:
    from click.testing import CliRunner

    from chef.cli import main

    before = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, prog_name="chef", env=env)
    finally:
        os.chdir(before)
    stderr = result.stderr
    if result.exc_info is not None and not issubclass(result.exc_info[0], SystemExit):
        # What the interpreter would print for an exception that escaped the command (click
        # records every way out here, sys.exit(0) too).
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["chef", *args], result.exit_code, result.stdout, stderr)
