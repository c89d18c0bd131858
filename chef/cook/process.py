"""Every process chef starts, started here: argv lists only, never a shell.

A `Call` says what to run and what chef makes of it: where its output goes (`Output`), the
secrets masked in what it shows, a timeout, and which `ChefError` a failure becomes. A `Runner`
runs one Call and reports how it ended; `run` puts it through one policy:

- a program that cannot be started: one `TargetEnvironmentError` line (exit 6) naming the program
  (its path) and how to fix it (`Call.fix`);
- a non-zero exit code (unless `check=False`): one line of `Call.error`'s class saying what
  failed, with the exit code and either the program's last line of error output (captured) or
  that its error is above (shown);
- a timeout: the process group is ended and the same error class says what did not finish.

The default runner, `subprocess_runner`, starts each program in a process group of its own and
ends that group (SIGTERM, then SIGKILL) whenever chef stops waiting for it: an interrupt, a
SIGTERM or SIGHUP (`chef.cook.run` turns those into `Terminated`), a timeout; so no installer is
left running, pointed at a netrc that is about to be removed. Tests replace it (pypa/build's
`ProjectBuilder(runner=...)` does the same): `cook(..., runner=...)` and
`install_project(..., runner=...)` make every process they start go through the given runner.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
    cast,
)

from chef.errors import ChefError, InstallError, TargetEnvironmentError

# Where a program's output goes:
# - "stream":  stdout and stderr to chef's (the installer's progress, its error);
# - "quiet":   stdout discarded, stderr to chef's (an installer with --quiet, compileall);
# - "capture": both captured, nothing shown (the target interpreter's report);
# - "result":  stdout captured (a result), stderr to chef's (a build hook's own output).
# With `Call.mask`, what is shown goes through chef line by line, masked.
Output = Literal["stream", "quiet", "capture", "result"]


@dataclass(frozen=True)
class Call:
    """One program to run, and what a failure of it means to the user."""

    argv: Tuple[str, ...]
    what: str  # "installing the dependencies": what failed, in an error
    program: str = "program"  # "installer": what cannot be started, whose error is shown
    output: Output = "stream"
    env: Optional[Mapping[str, str]] = None  # None: chef's own environment
    cwd: Optional[str] = None
    input: Optional[str] = None  # text for its stdin (else it inherits chef's)
    timeout: Optional[float] = None  # seconds
    mask: Optional[Callable[[str], str]] = None  # hides secrets in what it shows
    check: bool = True  # a non-zero exit code is an error
    error: Type[ChefError] = InstallError  # the error a failure or timeout becomes
    path: Optional[str] = None  # the file the failure's error names
    fix: Optional[str] = None  # how to fix a program that cannot be started (the hint)


@dataclass(frozen=True)
class Completed:
    """How a program ended; its captured output ("capture", "result"), else ""."""

    returncode: int
    stdout: str = ""
    stderr: str = ""


class Runner(Protocol):
    """Runs one Call: returns how it ended; raises OSError when the program cannot be started
    and subprocess.TimeoutExpired when it outlives `call.timeout` (after ending it)."""

    def __call__(self, call: Call) -> Completed: ...


def run(call: Call, runner: Optional[Runner] = None) -> Completed:
    """Run `call` with `runner` (default: the current one, see `using`), under the one policy
    for programs that cannot start, fail or time out (this module's docstring)."""
    runner = runner if runner is not None else current()
    try:
        done = runner(call)
    except subprocess.TimeoutExpired as exc:
        raise call.error(f"{call.what} did not finish within {exc.timeout:g} s",
                         path=call.path) from None
    except OSError as exc:
        raise cannot_start(call, exc) from None
    if call.check and done.returncode != 0:
        if call.output == "capture":
            lines = done.stderr.strip().splitlines() or ["no output"]
            detail = ": " + lines[-1]
        else:
            detail = f"; the {call.program}'s error is above"
        raise call.error(f"{call.what} failed (exit code {done.returncode}){detail}",
                         path=call.path)
    return done


def cannot_start(call: Call, exc: OSError) -> TargetEnvironmentError:
    """The one line for a program that cannot be started: which one (its path) and the fix."""
    program = call.argv[0] if call.argv else ""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        message = f"{call.program} not found"
    else:
        message = f"cannot run the {call.program}: {exc.strerror or exc}"
    return TargetEnvironmentError(message, path=program, hint=call.fix)


def spawn(call: Call) -> subprocess.Popen[bytes]:
    """A program that stays up and answers chef: its stdin and stdout are pipes to chef, its
    stderr is chef's (install-project's build hook: one process per package answers several
    commands). Not through a runner, which runs a program to its end; the same line for a
    program that cannot be started. The caller waits for it (or kills it on an error)."""
    try:
        return subprocess.Popen(list(call.argv), cwd=call.cwd, env=call.env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    except OSError as exc:
        raise cannot_start(call, exc) from None


# ---------------------------------------------------------------- the runners

def subprocess_runner(call: Call) -> Completed:
    """The default runner: the program in a process group of its own, ended with its whole
    group whenever chef stops waiting for it (any exception, a timeout included)."""
    masked = call.mask is not None and call.output != "capture"
    pipe, inherit = subprocess.PIPE, None
    stdout = {"stream": pipe if masked else inherit, "quiet": subprocess.DEVNULL,
              "capture": pipe, "result": pipe}[call.output]
    stderr = pipe if masked or call.output == "capture" else inherit
    process = subprocess.Popen(
        list(call.argv), stdin=pipe if call.input is not None else None, stdout=stdout,
        stderr=stderr, env=call.env, cwd=call.cwd, **_own_group(),
    )
    data = call.input.encode("utf-8") if call.input is not None else None
    try:
        if masked:
            out, err = _through_chef(process, call, data)
        else:
            out, err = process.communicate(data, timeout=call.timeout)
    except BaseException:
        end_group(process)
        raise
    return Completed(process.returncode, _text(out), _text(err))


_CURRENT: contextvars.ContextVar[Runner] = contextvars.ContextVar(
    "chef_runner", default=subprocess_runner)


def current() -> Runner:
    """The runner of the cook or install-project running now (`subprocess_runner` outside)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(runner: Optional[Runner]) -> Iterator[None]:
    """Every process started inside goes through `runner` (None: the current one)."""
    if runner is None:
        yield
        return
    token = _CURRENT.set(runner)
    try:
        yield
    finally:
        _CURRENT.reset(token)


F = TypeVar("F", bound=Callable[..., Any])


def takes_runner(func: F) -> F:
    """An entry point's keyword `runner`: every process started while it runs goes through it
    (the functions below it find it with `current()`, so it need not be handed down)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with using(kwargs.get("runner")):
            return func(*args, **kwargs)

    return cast(F, wrapper)


# ---------------------------------------------------------------- process groups and pipes

def _own_group() -> Dict[str, Any]:
    if os.name != "posix":
        return {}
    return {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}


def _text(data: Optional[bytes]) -> str:
    return data.decode("utf-8", "replace") if data else ""


def _through_chef(
    process: subprocess.Popen[bytes], call: Call, data: Optional[bytes]
) -> Tuple[bytes, bytes]:
    """Wait for `process`, its shown output copied to chef's line by line, masked; a "result"
    stdout collected. Threads, one a pipe: neither pipe can fill up and stall the program."""
    mask = call.mask
    assert mask is not None
    collected: List[bytes] = []
    threads: List[threading.Thread] = []
    for stream, sink in ((process.stdout, sys.stdout), (process.stderr, sys.stderr)):
        if stream is None:
            continue
        if stream is process.stdout and call.output == "result":
            thread = threading.Thread(target=_collect, args=(stream, collected), daemon=True)
        else:
            thread = threading.Thread(target=_pump, args=(stream, sink, mask), daemon=True)
        thread.start()
        threads.append(thread)
    if process.stdin is not None:  # a thread too: a program that reads no input still ends
        thread = threading.Thread(target=_feed, args=(process.stdin, data or b""), daemon=True)
        thread.start()
        threads.append(thread)
    process.wait(timeout=call.timeout)
    for thread in threads:
        thread.join()
    return b"".join(collected), b""


def _feed(stream: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        stream.write(data)
    with contextlib.suppress(BrokenPipeError):
        stream.close()


def _collect(stream: IO[bytes], into: List[bytes]) -> None:
    into.append(stream.read())
    stream.close()


def _pump(stream: IO[bytes], sink: IO[str], mask: Callable[[str], str]) -> None:
    """Copy a program's output to chef's, line by line, with the secrets masked."""
    for raw in iter(stream.readline, b""):
        sink.write(mask(raw.decode("utf-8", "replace")))
        sink.flush()
    stream.close()


def end_group(process: subprocess.Popen[bytes]) -> None:
    """End a program's process group: SIGTERM, then SIGKILL after 5 s."""
    import signal

    if os.name != "posix":
        process.kill()
        process.wait()
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=wait)
            if sig == signal.SIGTERM:
                try:  # the program is gone; whatever it started goes too
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            return
        except subprocess.TimeoutExpired:
            continue
