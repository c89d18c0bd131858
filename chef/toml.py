"""Read TOML with the fastest available reader.

Lockfiles reach megabytes and `chef prepare` runs on every build. Measured on a 1.4 MB uv.lock
(bench/prepare.py): the Rust `toml_rs` wheel parses it in ~9 ms, compiled `tomli` in ~45 ms,
stdlib `tomllib` in ~130 ms. toml_rs is installed where it has wheels (see pyproject.toml); else
`tomli` (compiled or pure Python), else stdlib `tomllib`. `CHEF_TOML_READER=toml_rs|tomli|tomllib`
forces one, which is how the tests cover every path.

Two guards keep the fast path as safe as the fallback. toml_rs recurses on the C stack, and a
document nested some thousands deep overflows it (a segfault, not an exception): a document with
more than a few brackets is parsed in a thread whose stack is sized for its worst case. And when
toml_rs refuses a document, the fallback parses it again, so every platform accepts the same
files and reports the same error messages. (toml_rs runs as a TOML 1.0 parser: what it
accepts, tomli accepts too, with the same data; tomli also takes TOML 1.1's additions.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from chef.errors import InputError, TargetEnvironmentError
from chef.readers.boundary import TEXTS, check_read, reading

Loads = Callable[[str], Dict[str, Any]]
Reader = Tuple[str, Loads, Type[Exception]]

_FORCED = os.environ.get("CHEF_TOML_READER", "")
if _FORCED not in ("", "toml_rs", "tomli", "tomllib"):
    raise TargetEnvironmentError(
        f"CHEF_TOML_READER={_FORCED[:50]!r} is not a TOML reader chef knows",
        hint="use toml_rs, tomli or tomllib, or unset it",
    )


def _missing(name: str) -> TargetEnvironmentError:
    return TargetEnvironmentError(
        f"CHEF_TOML_READER={name} but {name} cannot be imported here"
        + (" (chef.pyz bundles tomli only)" if ".pyz" in __file__ else ""),
        hint="install it next to chef, or unset CHEF_TOML_READER",
    )


def _toml_rs() -> Optional[Reader]:
    if _FORCED not in ("", "toml_rs"):
        return None
    try:
        import toml_rs
    except ImportError:
        if _FORCED:
            raise _missing("toml_rs") from None
        return None

    def loads(text: str) -> Dict[str, Any]:
        # As TOML 1.0, what toml_rs accepts is a subset of what tomli accepts, with the same data
        # (tests/test_toml_readers.py); what it refuses goes to tomli (_parse).
        return toml_rs.loads(text, toml_version="1.0.0")

    return "toml_rs", loads, toml_rs.TOMLDecodeError


def _fallback() -> Reader:
    if _FORCED != "tomllib":
        try:
            import tomli

            return "tomli", tomli.loads, tomli.TOMLDecodeError
        except ImportError:
            if _FORCED == "tomli":
                raise _missing("tomli") from None
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11 without tomli
        if _FORCED == "tomllib":
            raise _missing("tomllib") from None
        raise TargetEnvironmentError("no TOML reader: this Python has no tomllib (3.11+)",
                                     hint="install tomli next to chef") from None

    return "tomllib", tomllib.loads, tomllib.TOMLDecodeError


_SLOW: Optional[Reader] = None  # with toml_rs, imported when it first refuses a document


def _slow_reader() -> Reader:
    global _SLOW
    if _SLOW is None:
        _SLOW = _fallback()
    return _SLOW


_FAST = _toml_rs()
READER_NAME = (_FAST or _slow_reader())[0]


# Stack that one nesting level of toml_rs may take (measured: under 2.5 KiB), and the depth that
# any caller's stack holds, even a thread's on musl (128 KiB by default): 16 levels, 64 KiB. The
# number of `[` and `{` bounds the depth; a document with more gets a thread of its own.
_STACK_PER_LEVEL = 4 * 1024
_MAIN_THREAD_LEVELS = 16
_MAX_THREAD_STACK = 1024 * 1024 * 1024


def _fast_parse(reader: Reader, text: str) -> Optional[Dict[str, Any]]:
    """Parse with toml_rs; None when it refused the text or cannot run it safely."""
    _, loads, error = reader
    openers = text.count("[") + text.count("{")
    if openers <= _MAIN_THREAD_LEVELS:
        try:
            return loads(text)
        except error:
            return None
    stack = openers * _STACK_PER_LEVEL + 2 * 1024 * 1024
    if stack > _MAX_THREAD_STACK:
        return None
    import threading

    result: List[Optional[Dict[str, Any]]] = [None]

    def run() -> None:
        try:
            result[0] = loads(text)
        except Exception:  # refused (or worse): the fallback parses it and reports
            pass

    previous = threading.stack_size()
    try:
        threading.stack_size(-(-stack // 65536) * 65536)
        worker = threading.Thread(target=run, name="chef-toml")
        worker.start()
    except (RuntimeError, ValueError, MemoryError):  # no such stack here: take the slow path
        return None
    finally:
        threading.stack_size(previous)
    worker.join()
    return result[0]


_LINE = re.compile(r"line (\d+)")


# No project file comes near this; a bigger one (or /dev/zero behind a symlink) is refused
# instead of filling the memory of the build.
MAX_FILE_BYTES = 256 * 1024 * 1024


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file, turning OS and decoding errors into one-line InputErrors. While
    prepare runs, a file outside the project is refused unopened (chef.readers.boundary), and
    a file read again (the same open file: device, inode, size, mtime) is not read twice."""
    import stat

    check_read(path, display)
    try:
        # O_NONBLOCK: a FIFO in place of a file must not hang the build waiting for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputError("not a regular file", path=display)
            # (no inode number, as some file systems report: no identity, read it every time)
            identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) if st.st_ino else None
            if identity is not None and reading():
                seen = TEXTS.get(identity)
                if seen is not None:
                    return seen
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
        # = data.decode("utf-8-sig"), without loading that codec's module (~0.3 ms of every
        # prepare); an error's offset is counted after the BOM in both.
        text = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "not valid UTF-8", path=display, line=line, hint="save the file as UTF-8"
        ) from None
    if identity is not None and reading():
        TEXTS[identity] = text
    return text


# Parsed texts by a key that costs nothing to compute (hashing a 1.4 MB lock's text costs ~0.5
# ms), each entry holding its text: a hit is an equal text (compared in C, by identity first).
_CACHE: Dict[Tuple[int, str, str], Tuple[str, Dict[str, Any]]] = {}
_CACHE_SIZE = 32


def load_toml(path: Path, display: str) -> Dict[str, Any]:
    """Parse a TOML file. Equal text is parsed once per process (readers and lock checks look at
    the same pyproject.toml/lock), so callers must treat the result as read-only."""
    text = read_text(path, display)
    key = (len(text), text[:200], text[-200:])
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == text:
        return cached[1]
    data = _parse(text, display)
    if len(_CACHE) >= _CACHE_SIZE and key not in _CACHE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (text, data)
    return data


def _parse(text: str, display: str) -> Dict[str, Any]:
    if _FAST is not None:
        data = _fast_parse(_FAST, text)
        if data is not None:
            return data
    _, loads, error = _slow_reader()
    try:
        return loads(text)
    except error as exc:
        message = str(exc)
        match = _LINE.search(message)
        line = int(match.group(1)) if match else None
        short = message.split(" (at ")[0]
        if line is None and "end of document" in message:  # tomllib has no lineno for it
            line = max(1, len(text.splitlines()))
            short += " (at the end of the file)"
        raise InputError(
            f"malformed TOML: {short}", path=display, line=line, hint="fix the TOML syntax"
        ) from None
    except RecursionError:
        raise InputError("malformed TOML: nested too deeply", path=display) from None
