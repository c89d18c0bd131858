"""What the `chef` command says, and how it ends.

chef.cli holds the click layer: options, commands, which function runs. This module holds what
those commands print (one-line errors, warnings, the `--explain` report, the closing summaries)
and how the process ends (the exit status of each way out, a quiet exit when the reader of the
output goes away, the console script's flush and os._exit). It is part of the command line: only
chef.cli imports it, and at start-up it imports nothing cli does not (click, chef.errors).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, NoReturn, Sequence, TypeVar

import click

from chef.errors import EXIT_INTERNAL, EXIT_PIPE, ChefError, Terminated

if TYPE_CHECKING:
    from chef.cook.plan import InstallPlan
    from chef.diff import Change
    from chef.prepare import Prepared

F = TypeVar("F", bound=Callable[..., Any])


def echo_err(text: str) -> None:
    click.echo(text, err=True)


def warn(warnings: List[str]) -> None:
    for text in warnings:
        echo_err(f"chef: warning: {text}")


# --- what `prepare`, `cook` and `install-project` say ---------------------------------------------

def explained(result: Prepared, layer_notes: List[str]) -> List[str]:
    """`prepare --explain`: the input chosen, every candidate, the files read, notes, what was
    dropped and the layer recipes' notes, in that order (on stderr, one line each)."""
    lines = [f"chef: input: {result.chosen}"]
    lines += [f"chef: candidate: {line}" for line in result.considered]
    lines += [f"chef: read {name}" for name in result.inputs]
    lines += [f"chef: note: {note}" for note in result.notes]
    lines += [f"chef: dropped: {item}" for item in result.dropped]
    lines += [f"chef: {note}" for note in layer_notes]
    return lines


def wrote(result: Prepared, recipe_path: Path) -> str:
    """The line `prepare` ends with when it writes a recipe file."""
    recipe = result.recipe
    count = len(recipe.locked or {}) if recipe.is_locked else len(recipe.roots)
    kind = "locked packages" if recipe.is_locked else "requirements"
    return (f"chef: {result.chosen}: wrote {recipe_path} ({count} {kind}, "
            f"{len(recipe.local_packages)} local packages)")


def cooked(plan: InstallPlan) -> str:
    """The line `cook` ends with (not after --dry-run or with --quiet)."""
    count = sum(len(b.lines) for b in plan.batches)
    return f"chef: cooked {count} {'packages' if plan.locked else 'requirements'}"


def installed(names: List[str]) -> str:
    """The line `install-project` ends with."""
    return f"chef: installed {', '.join(names)}"


def difference(changes: Sequence[Change], old: str, new: str, as_json: bool) -> str:
    """What `diff` and `check` print: the changes from `old` to `new`, as text or JSON."""
    from chef.diff import render_json, render_text

    return (render_json if as_json else render_text)(changes, old, new)


# --- errors and exit codes ------------------------------------------------------------------------

def fail(exc: ChefError) -> NoReturn:
    from chef.urls import mask_text

    click.echo(f"chef: error: {mask_text(str(exc))}", err=True)
    sys.exit(exc.exit_code)


def pipe_closed() -> NoReturn:
    """The reader of stdout (or stderr) went away: end quietly, as Unix tools do.

    Both streams are pointed at /dev/null first, so that nothing still buffered, and no later
    message, raises again while the interpreter flushes them (Python's documented recipe for
    SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError, AttributeError):  # no file descriptor (a test's stream)
                pass
        os.close(devnull)
    except OSError:
        pass
    sys.exit(EXIT_PIPE)


def reader_gone() -> bool:
    """Whether stdout's or stderr's reader has gone (a pipe whose read end is closed polls as
    an error): a BrokenPipeError from anything else (a socket, a child's pipe) is a bug, and
    keeps its traceback. Where poll is missing, the standard streams are assumed."""
    import select

    if not hasattr(select, "poll"):
        return True
    for stream in (sys.stdout, sys.stderr):
        try:
            poller = select.poll()
            poller.register(stream.fileno(), select.POLLOUT)
            if any(events & select.POLLERR for _, events in poller.poll(0)):
                return True
        except (OSError, ValueError, AttributeError):  # no file descriptor (a test's stream)
            continue
    return False


def internal_error() -> NoReturn:
    # A bug, not bad input: keep the traceback for the report, but never exit 1, which
    # `chef check`/`diff` use for "recipes differ".
    import traceback

    traceback.print_exc()
    click.echo("chef: internal error (a bug in chef; please report it)", err=True)
    sys.exit(EXIT_INTERNAL)


def handle_errors(func: F) -> F:
    """Every command's way out: a ChefError as one line and its exit code, a closed output
    quietly (EXIT_PIPE), ^C as 130, a signal chef stopped on as 128 + its number, and anything
    else as a bug (EXIT_INTERNAL, with the traceback)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ChefError as exc:
            fail(exc)
        except BrokenPipeError:
            if reader_gone():
                pipe_closed()
            internal_error()
        except KeyboardInterrupt:
            click.echo("chef: interrupted", err=True)
            sys.exit(130)
        except Terminated as exc:
            import signal

            click.echo(f"chef: {signal.Signals(exc.signum).name} received: stopped the "
                       "installer and removed the temporary credentials", err=True)
            sys.exit(128 + exc.signum)
        except (SystemExit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except Exception:
            internal_error()

    return wrapper  # type: ignore[return-value]


def exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("text"), as the interpreter would show it
    return 1


def run_and_exit(main: Callable[..., Any]) -> NoReturn:
    """The console script's body (chef.cli.run): run `main`, flush, and leave with os._exit.

    Tearing the interpreter down frees every parsed table, model object and module one by one:
    ~10 ms of a 1500-package prepare, spent after the recipe is already written. Every command
    has finished its work when main returns (files written and renamed, temporary directories
    removed, installers waited for), so only the standard streams need flushing. Library callers
    of `main` are unaffected.

    The cyclic garbage collector stays off for the same reason. `prepare` pauses it (for library
    callers too), but the first allocations after the pause then trigger one collection over
    every table and model object it built, which are acyclic and live until the process ends:
    ~4% of a 1500- or 5000-package prepare, for no memory back (peak memory is unchanged).
    Reference counting still frees everything else.

    A reader that goes away (`chef cook --dry-run | head -1`) ends the command quietly with
    EXIT_PIPE: inside a command (`handle_errors`), in click's own help and version output
    (chef.cli's group), or while the last buffered output is flushed here.
    """
    gc.disable()
    try:
        main(prog_name="chef")
        status = 0
    except SystemExit as exc:
        status = exit_status(exc.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away before the last output (`chef diff | true`)
            status = EXIT_PIPE
        except (OSError, ValueError):  # a closed stream
            status = status or 1
    os._exit(status)
