"""A recipe's text: read from a file and checked, written as canonical JSON, atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Optional

from chef.errors import RecipeError, json_error
from chef.recipe.tables import Recipe, from_data, to_text


def dumps(recipe: Recipe) -> str:
    return to_text(recipe)


def canonical_json(data: Any) -> str:
    """Sorted keys, one top-level key and one locked package per line, trailing newline
    (chef.jsonout)."""
    from chef.jsonout import dumps as canonical_dumps

    return canonical_dumps(data, end="\n")


def write_atomic(path: Path, text: str, project: Optional[Path] = None) -> None:
    """Write via a temporary file in the same directory and rename: never half-written.

    The file gets the permissions any new file gets (0666 less the umask), not mkstemp's 0600: a
    recipe holds no secret and a later build stage, maybe another user, must read it. (No
    tempfile import either: it costs ~2 ms of every prepare.)

    A symlink is followed: its target is replaced atomically, the link stays. A path that is
    neither a file nor a directory (/dev/null, /dev/stdout, a FIFO) is written into: renaming
    over it would replace the device node with a file (as root, /dev/null itself).

    `project` (prepare's project directory): a recipe path inside it that is a symlink pointing
    outside it came with the repository (`COPY . .` then `--recipe-path recipe.json`), so the link
    itself is replaced by a regular file and nothing outside the project is written; a recipe
    path inside it reached through a linked directory that leads outside is refused.
    """
    follow = True
    if project is not None:
        follow = _may_follow(path, project)
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
        if follow and stat.S_ISREG(mode) and os.path.islink(path):
            path = Path(os.path.realpath(path))
    except (OSError, ValueError):
        mode = 0
    if mode and not stat.S_ISDIR(mode) and not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise RecipeError(
                f"cannot write the recipe: {exc.strerror or exc}", path=path
            ) from None
        return
    directory = path.parent if str(path.parent) else Path(".")
    tmp = directory / f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise RecipeError(f"cannot write the recipe: {exc.strerror or exc}", path=path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):  # e.g. the recipe path is a directory, or the disk is full
            raise RecipeError(
                f"cannot write the recipe: {exc.strerror or exc}", path=path
            ) from None
        raise


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _may_follow(path: Path, project: Path) -> bool:
    """May the recipe path be followed (False: a link out of the project, replace the link)?

    Paths outside the project (/dev/null, /tmp/recipe.json, a FIFO) are followed as always. A
    path inside it, named so or once its directories are resolved, must not lead outside it: a
    final symlink that does is not followed; a linked directory that does is refused."""
    try:
        real_project = os.path.realpath(project)
        named = os.path.abspath(path)
        parent = os.path.realpath(os.path.dirname(named))
    except (OSError, ValueError):
        return True  # the write itself reports a bad path
    if not (_under(named, os.path.abspath(project)) or _under(parent, real_project)):
        return True
    if not _under(parent, real_project):
        raise RecipeError(
            "the recipe path's directory is a symlink that leads outside the project directory",
            path=path, hint="write the recipe to a path inside the project, or outside it",
        )
    if not os.path.islink(named):
        return True
    return _under(os.path.realpath(named), real_project)


def loads(text: str, display: str = "recipe.json") -> Recipe:
    import json  # here: prepare writes JSON only (chef.jsonout) and never loads json.decoder

    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also an integer over 4300 digits
        line = getattr(exc, "lineno", None)
        raise RecipeError(
            f"not valid JSON: {json_error(exc)}",
            path=display,
            line=line,
            hint="regenerate it with `chef prepare`",
        ) from None
    return from_data(data, display)


def load(path: Path) -> Recipe:
    return loads(read_recipe_text(path), str(path))


def read_recipe_text(path: Path) -> str:
    """A recipe file's text; a missing, unreadable or non-UTF-8 file is a RecipeError."""
    display = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecipeError(
            "recipe not found", path=display, hint="run `chef prepare` first"
        ) from None
    except OSError as exc:
        raise RecipeError(f"cannot read recipe: {exc.strerror or exc}", path=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecipeError(
            "recipe is not UTF-8 text", path=display, hint="regenerate it with `chef prepare`"
        ) from None
    return text
