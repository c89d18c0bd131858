"""One hierarchy of user-facing errors, each mapped to one exit code.

Every failure caused by the user's files or options is a ChefError: the CLI prints its message as a
single line and exits with its code. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

# Exit codes, documented in README.md ("Exit codes"); keep them in sync.
EXIT_OK = 0
EXIT_DIFFERENT = 1  # diff/check: recipes differ
EXIT_USAGE = 2  # click's own code for bad options
EXIT_INPUT = 3  # a project file is missing, malformed or unsupported
EXIT_RECIPE = 4  # recipe.json is unreadable, invalid or of an unknown format
EXIT_STALE = 5  # a lock no longer matches its manifest
EXIT_ENVIRONMENT = 6  # interpreter/installer missing, target does not satisfy requires-python
EXIT_INSTALL = 7  # the installer or a build backend failed
EXIT_INTERNAL = 70  # a bug in chef (BSD EX_SOFTWARE): never mistaken for "recipes differ"
# The reader of chef's output went away (`chef cook --dry-run | head -1`): 128 + SIGPIPE, what the
# shell reports for a Unix tool that a closed pipe ends; never 1 ("recipes differ") nor 70.
EXIT_PIPE = 141

MAX_MESSAGE = 1000  # characters of a message before the middle is elided
MAX_PATH = 300  # characters of a path, likewise


class ChefError(Exception):
    """An error the user can fix; rendered as one line, never as a traceback."""

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: Union[str, Path, None] = None,
        line: Optional[int] = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            path = self.path
            if len(path) > MAX_PATH:  # a name over the system's limit, quoted back
                path = path[: MAX_PATH // 2] + "[...]" + path[-MAX_PATH // 4 :]
            where = path + (f":{self.line}" if self.line else "") + ": "
        message = self.message
        if len(message) > MAX_MESSAGE:  # a 2 MB line quoted back is no help, nor one line
            message = message[: MAX_MESSAGE // 2] + " [...] " + message[-MAX_MESSAGE // 4 :]
        text = where + message
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split("\n"))


def json_error(exc: Exception) -> str:
    """What is wrong with a JSON text `json.loads` refused, in words for a user."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "digits" in str(exc) and not hasattr(exc, "msg"):  # Python's integer-length limit
        return "an integer with more digits than Python reads (4300)"
    return str(getattr(exc, "msg", exc))


class UsageError(ChefError):
    """Options that cannot work together, or a value no option accepts (click's exit code)."""

    exit_code = EXIT_USAGE


class InputError(ChefError):
    """A project file is missing, malformed or not supported."""

    exit_code = EXIT_INPUT


class StaleLockError(ChefError):
    """A lockfile no longer matches the manifest it was made from."""

    exit_code = EXIT_STALE


class RecipeError(ChefError):
    """recipe.json cannot be read or fails validation."""

    exit_code = EXIT_RECIPE


class TargetEnvironmentError(ChefError):
    """The target interpreter or the installer is missing or unsuitable."""

    exit_code = EXIT_ENVIRONMENT


class InstallError(ChefError):
    """The installer or a build backend failed; its own output was shown."""

    exit_code = EXIT_INSTALL


class Terminated(BaseException):
    """chef got SIGTERM or SIGHUP while cooking: unwind (ending the installer, removing the
    temporary credential files), then exit 128 + the signal's number, as a shell reports it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
