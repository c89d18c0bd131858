"""Read TOML with the fastest available reader.

Lockfiles reach megabytes and `chef prepare` runs on every build: the compiled `tomli` wheel parses
about 3x faster than stdlib `tomllib` (bench/prepare.py). Where tomli is missing (no wheel for the
platform), stdlib `tomllib` (3.11+) is the fallback. `CHEF_TOML_READER=tomllib|tomli` forces one,
which is how the tests cover both paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, Tuple, Type

from chef.errors import InputError


def _pick() -> Tuple[str, Callable[[str], Dict[str, Any]], Type[Exception]]:
    forced = os.environ.get("CHEF_TOML_READER", "")
    if forced != "tomllib":
        try:
            import tomli

            return "tomli", tomli.loads, tomli.TOMLDecodeError
        except ImportError:
            if forced == "tomli":
                raise
    import tomllib  # type: ignore[import-not-found,unused-ignore]

    return "tomllib", tomllib.loads, tomllib.TOMLDecodeError


READER_NAME, _loads, _DecodeError = _pick()

_LINE = re.compile(r"line (\d+)")


# No project file comes near this; a bigger one (or /dev/zero behind a symlink) is refused
# instead of filling the memory of the build.
MAX_FILE_BYTES = 256 * 1024 * 1024


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file, turning OS and decoding errors into one-line InputErrors."""
    import stat

    try:
        # O_NONBLOCK: a FIFO in place of a file must not hang the build waiting for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError("not a regular file", path=display)
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError("file not found", path=display) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=display) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=display) from None
    except ValueError as exc:  # a path with a NUL byte
        raise InputError(f"invalid path: {exc}", path=display) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", path=display,
            hint="is this really a project file?",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "not valid UTF-8", path=display, line=line, hint="save the file as UTF-8"
        ) from None


_CACHE: Dict[str, Dict[str, Any]] = {}
_CACHE_SIZE = 32


def load_toml(path: Path, display: str) -> Dict[str, Any]:
    """Parse a TOML file. Equal text is parsed once per process (readers and lock checks look at
    the same pyproject.toml/lock), so callers must treat the result as read-only."""
    text = read_text(path, display)
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    data = _parse(text, display)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[text] = data
    return data


def _parse(text: str, display: str) -> Dict[str, Any]:
    try:
        return _loads(text)
    except _DecodeError as exc:
        message = str(exc)
        match = _LINE.search(message)
        line = int(match.group(1)) if match else None
        short = message.split(" (at ")[0]
        raise InputError(
            f"malformed TOML: {short}", path=display, line=line, hint="fix the TOML syntax"
        ) from None
    except RecursionError:
        raise InputError("malformed TOML: nested too deeply", path=display) from None
