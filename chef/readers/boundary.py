"""The project boundary: every file `chef prepare` reads lies inside the project directory.

"The project" is the directory prepare was pointed at (`--project-dir`, the build context; with
`--subdir` still the context, so a service's `-r ../common.txt` inside the repository works). A
path is inside when it is there once every symlink is resolved: a requirements include, a
`file:` directive, a workspace member or a project file that is a symlink out of the project is
refused with the error path dependencies get ("points outside the project directory"), naming the
file (and line) that points there, before the target is opened: nothing chef refused to read can
reach an error message, a recipe or an index URL.

`inside` and `outside_error` are the one check and the one error; `project_boundary` makes
`chef.toml.read_text` apply the check to every file read while prepare runs (a backstop for the
project files themselves: a pyproject.toml or lock that is a symlink out of the project);
`member_glob` expands workspace member patterns without leaving the project.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import posixpath
from pathlib import Path, PurePosixPath
from typing import Dict, Iterator, List, Optional, Set, Tuple

from chef.errors import InputError
from chef.limits import MAX_GLOB_DIRECTORIES, count

# The real path of the project while prepare runs (one prepare at a time per process).
_ROOT: List[Optional[str]] = [None]

# The texts chef.toml.read_text read while prepare runs, by the identity of the open file (device,
# inode, size, modification time): a uv.lock prepare reads the lock three times (the reader, the
# detection of an empty lock, the freshness check), ~1.2 ms each at 1500 packages, and the later
# reads are then an open and an fstat. Emptied when a boundary opens and closes, so a file
# rewritten between two prepares of one process (the tests) is read again.
TEXTS: Dict[Tuple[int, int, int, int], str] = {}


def inside(root: Path, target: Path, display: Optional[str] = None) -> Optional[str]:
    """`target` as a POSIX path relative to `root`, or None when it is outside (symlinks
    resolved)."""
    try:
        real_root = Path(os.path.realpath(root))
        real = Path(os.path.realpath(target))
    except (ValueError, OSError) as exc:  # NUL bytes, symlink loops (strict platforms)
        raise InputError(
            f"invalid path {str(target)!r}: {exc}", path=display or str(root)
        ) from None
    try:
        rel = real.relative_to(real_root)
    except ValueError:
        return None
    text = PurePosixPath(rel.as_posix()).as_posix()
    return text if text else "."


def outside_error(
    display: str, what: str, *, line: Optional[int] = None, noun: str = "local dependency"
) -> InputError:
    return InputError(
        f"{noun + ' ' if noun else ''}{what} points outside the project directory",
        path=display,
        line=line,
        hint="run chef with --project-dir on a directory that contains it (and widen the Docker "
        "build context to match), or vendor it into the project",
    )


def project_file(
    root: Path, target: Path, display: str, what: str, *, line: Optional[int] = None
) -> Path:
    """`target` when it is inside the project at `root`; else the outside error, naming
    `display` (the file that points at it) and `line`. `what` is how that file names it."""
    if "\x00" in str(target):
        raise InputError(f"invalid file name {what!r}", path=display, line=line)
    if inside(root, target, display) is None:
        raise outside_error(display, what, line=line, noun="")
    try:
        os.stat(target)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"a path of {len(str(target))} characters is longer than this "
                             "system allows", path=display, line=line,
                             hint="fix the path in the project's files or options") from None
    return target


@contextlib.contextmanager
def project_boundary(root: Path) -> Iterator[None]:
    """While it is open, `check_read` refuses files outside `root` (see chef.toml.read_text)."""
    previous = _ROOT[0]
    _ROOT[0] = os.path.realpath(root)
    TEXTS.clear()
    try:
        yield
    finally:
        _ROOT[0] = previous
        TEXTS.clear()


def reading() -> bool:
    """Whether prepare is running (a project boundary is open)."""
    return _ROOT[0] is not None


def check_read(path: Path, display: str) -> None:
    """Called before any project file is read: outside the project boundary (when one is set),
    the file is refused unopened."""
    root = _ROOT[0]
    if root is None:
        return
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return  # the read itself reports it
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise outside_error(display, display, noun="")


def member_glob(root: Path, pattern: str, display: str, key: str) -> List[str]:
    """The paths a workspace member pattern matches, as `glob.glob(root / pattern)` would (`*`,
    `?`, `[...]` within one component, hidden names only for a pattern that starts with `.`),
    without leaving the project: the pattern must be relative and stay inside it, a symlinked
    directory is walked only when it resolves inside the project, and each real directory is
    listed once per pattern component, so links pointing at their own parents cannot multiply
    the walk. A match that resolves outside the project is returned (the caller refuses it)."""
    if "\x00" in pattern:
        raise InputError(f"invalid path pattern {pattern!r}", path=display)
    shown = f"{key} pattern {pattern!r}"
    if pattern.startswith(("/", "\\", "~")) or os.path.isabs(pattern):
        raise outside_error(display, shown, noun="")
    normal = posixpath.normpath(pattern.replace("\\", "/"))
    if normal == ".." or normal.startswith("../"):
        raise outside_error(display, shown, noun="")
    parts = [p for p in normal.split("/") if p not in ("", ".")]
    real_root = os.path.realpath(root)
    level: List[str] = [str(root)]  # paths as named
    listed = 0
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        seen: Set[str] = set()
        following: List[str] = []
        for named in level:
            for name in _matches(named, part):
                path = os.path.join(named, name)
                target = os.path.realpath(path)
                if not last and not (os.path.isdir(target) and _under(target, real_root)):
                    continue  # never walk out of the project
                if target in seen:
                    continue
                seen.add(target)
                following.append(path)
        count("glob_directories", len(level))
        listed += len(level)
        if listed > MAX_GLOB_DIRECTORIES:
            raise InputError(
                f"{key} patterns look into more than {MAX_GLOB_DIRECTORIES} directories "
                "(chef's cap MAX_GLOB_DIRECTORIES)", path=display,
                hint="name the member directories more precisely",
            )
        level = following
    return sorted(level)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _matches(directory: str, part: str) -> List[str]:
    if not any(c in part for c in "*?["):
        return [part] if os.path.lexists(os.path.join(directory, part)) else []
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    if not part.startswith("."):
        names = [n for n in names if not n.startswith(".")]
    return fnmatch.filter(names, part)
