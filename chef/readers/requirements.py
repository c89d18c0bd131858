"""pip requirements files: `-r`/`-c` includes, options, hashes, markers, URLs and local paths.

Lines are split the way pip splits them (continuations, comments, arguments then options);
requirements themselves are parsed with `packaging`. Paths that point inside the project become
local packages (built later by install-project), never dependencies.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Literal, Optional, Tuple
from urllib.parse import unquote, urlsplit

from chef.errors import InputError
from chef.limits import count
from chef.model import Dep, LocalPackage, Project, canonical, parse_requirement, replace
from chef.readers import root_only
from chef.readers.boundary import project_file
from chef.readers.lines import logical_lines
from chef.readers.pyproject import inside, outside_error, read_local_package, rel_display
from chef.readers.sources import index_config
from chef.toml import read_text
from chef.urls import PLACEHOLDER, URL_SCHEMES, normalize_index_url, strip_credentials

MAX_INCLUDE_DEPTH = 64
_IGNORED_OPTIONS = {"--trusted-host", "--use-feature", "--require-hashes", "--prefer-binary"}
# What a file's lines are: requirements (a file given, `-r`), or constraints (`-c`, and every
# file a constraints file includes).
_FileKind = Literal["requirement", "constraint"]


@dataclass
class _State:
    root: Path
    roots: List[Dep] = field(default_factory=list)
    constraints: List[Dep] = field(default_factory=list)
    locals: Dict[str, LocalPackage] = field(default_factory=dict)
    index_url: Optional[str] = None
    extra: List[str] = field(default_factory=list)
    find_links: List[str] = field(default_factory=list)
    no_index: bool = False
    pre: bool = False
    inputs: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    # (real path, kind) -> the index URL its lines (and includes) set last, or None: a file
    # included again is not read again (-r diamonds doubled the work per level), its one
    # order-dependent effect is replayed; everything else it adds is a set.
    done: Dict[Tuple[Path, _FileKind], Optional[str]] = field(default_factory=dict)
    index_sets: int = 0


_SHELL_QUOTING = re.compile(r"['\"\\]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")


def _split(line: str, display: str, number: int) -> List[str]:
    if not _SHELL_QUOTING.search(line):
        # Without quotes or backslashes shlex only splits on its whitespace; it does that
        # character by character in Python (~0.3 ms a line of --hash options).
        return [word for word in _SHELL_SPACE.split(line) if word]
    try:
        return shlex.split(line, posix=True)
    except ValueError as exc:
        raise InputError(f"cannot split line: {exc}", path=display, line=number) from None


def _is_path(text: str) -> bool:
    return (
        text.startswith((".", "/", "~"))
        or os.sep in text.split("[")[0]
        and not any(c in text for c in "<>=!~;@")
    )


def _name_from_url(url: str) -> Optional[str]:
    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        if part.startswith("egg="):
            return part[4:]
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    # imported here: packaging.utils pulls in packaging.tags (~7 ms) for URL requirements only
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _read_file(
    state: _State, path: Path, kind: _FileKind, stack: Tuple[Path, ...], origin: str, line: int
) -> None:
    if "\x00" in str(path):
        raise InputError(f"invalid file name {str(path)!r}", path=origin, line=line or None)
    real = Path(os.path.realpath(path))
    display = rel_display(state.root, path)
    if real in stack:
        chain = " -> ".join(rel_display(state.root, p) for p in stack + (real,))
        raise InputError(f"requirements include cycle: {chain}", path=origin, line=line or None)
    if len(stack) > MAX_INCLUDE_DEPTH:
        raise InputError("requirements includes nested too deeply", path=display)
    if (real, kind) in state.done:
        index_url = state.done[(real, kind)]
        if index_url is not None:
            state.index_url = index_url
            state.index_sets += 1
        return
    if not path.is_file():
        raise InputError(
            f"{'included ' if stack else ''}requirements file {display!r} not found",
            path=origin if stack else display,
            line=line or None,
        )
    count("requirements_files")
    state.inputs.append(display)
    text = read_text(path, display)
    sets = state.index_sets
    for number, content in logical_lines(text):
        _line(state, path, display, number, content, kind, stack + (real,))
    state.done[(real, kind)] = state.index_url if state.index_sets != sets else None


def _include(
    state: _State, path: Path, value: str, what: str, display: str, number: int
) -> Path:
    """The file an `-r`/`-c` line names, inside the project (chef.readers.boundary): relative to
    the including file, never with environment variables expanded in it."""
    if "://" in value:
        raise InputError(f"remote includes are not supported: {value}", path=display, line=number)
    if "${" in value:  # pip would expand it: the path would depend on the environment
        raise InputError(
            f"{what}: chef does not expand environment variables in file paths",
            path=display, line=number, hint="name the file relative to this one",
        )
    return project_file(state.root, path.parent / value, display, what, line=number)


def _take(tokens: List[str], i: int, display: str, number: int) -> Tuple[str, int]:
    token = tokens[i]
    if "=" in token and token.startswith("--"):
        return token.split("=", 1)[1], i + 1
    if token.startswith("-") and not token.startswith("--") and len(token) > 2:
        return token[2:], i + 1
    if i + 1 >= len(tokens):
        raise InputError(f"option {token} needs a value", path=display, line=number)
    return tokens[i + 1], i + 2


def _line(
    state: _State,
    path: Path,
    display: str,
    number: int,
    content: str,
    kind: _FileKind,
    stack: Tuple[Path, ...],
) -> None:
    # pip: arguments first (split on spaces, quotes kept for markers), then shell-like options.
    words = content.split(" ")
    cut = next((n for n, w in enumerate(words) if w.startswith("-")), len(words))
    args = [" ".join(words[:cut]).strip()] if " ".join(words[:cut]).strip() else []
    tokens = _split(" ".join(words[cut:]), display, number)
    i = 0
    hashes: List[str] = []
    editable: Optional[str] = None
    while i < len(tokens):
        token = tokens[i]
        opt = token.split("=", 1)[0]
        if opt in ("-r", "--requirement", "-c", "--constraint") or (
            token[:2] in ("-r", "-c") and not token.startswith("--")
        ):
            value, i = _take(tokens, i, display, number)
            sub_kind: _FileKind = "constraint" if token.startswith(("-c", "--constraint")) else kind
            flag = "-c" if token.startswith(("-c", "--constraint")) else "-r"
            target = _include(state, path, value, f"{flag} {value}", display, number)
            _read_file(state, target, sub_kind, stack, display, number)
        elif opt in ("-e", "--editable") or token.startswith("-e"):
            editable, i = _take(tokens, i, display, number)
        elif opt in ("-i", "--index-url") or (
            token.startswith("-i") and not token.startswith("--")
        ):
            value, i = _take(tokens, i, display, number)
            state.index_url = normalize_index_url(_pip_placeholders(value, display, number))
            state.index_sets += 1
        elif opt == "--extra-index-url":
            value, i = _take(tokens, i, display, number)
            state.extra.append(normalize_index_url(_pip_placeholders(value, display, number)))
        elif opt in ("-f", "--find-links") or (
            token.startswith("-f") and not token.startswith("--")
        ):
            value, i = _take(tokens, i, display, number)
            state.find_links.append(_find_link(state, path, value, display, number))
        elif opt == "--hash":
            value, i = _take(tokens, i, display, number)
            hashes.append(value)
        elif opt == "--pre":
            state.pre = True
            i += 1
        elif opt == "--no-index":
            state.no_index = True
            i += 1
        elif opt in _IGNORED_OPTIONS:
            if "=" not in token and opt in ("--trusted-host", "--use-feature"):
                i += 1
            i += 1
            state.notes.append(
                f"{display}:{number}: ignored {opt} (does not change what is installed)"
            )
        else:
            raise InputError(
                f"unsupported option {opt}",
                path=display,
                line=number,
                hint="chef reads -r, -c, -e, -i/--index-url, --extra-index-url, -f/--find-links, "
                "--pre, --no-index and --hash",
            )
    if editable is not None:
        args = [editable] + args
        if len(args) > 1:
            raise InputError("an editable line takes one path or URL", path=display, line=number)
    if not args:
        if hashes:
            raise InputError("--hash without a requirement", path=display, line=number)
        return
    text = " ".join(args)
    dep = _requirement(state, path, display, number, text, editable is not None, kind)
    if dep is None:
        return
    if hashes:
        dep = replace(dep, hashes=tuple(sorted(set(hashes))))
    (state.constraints if kind == "constraint" else state.roots).append(dep)


def _pip_placeholders(value: str, display: str, number: int) -> str:
    """pip expands `${NAME}` in a requirements file only when NAME is upper-case letters, digits
    and `_`; any other `${...}` would reach the index literally."""
    for name in PLACEHOLDER.findall(value):
        if not all(c.isupper() or c.isdigit() or c == "_" for c in name):
            raise InputError(
                f"pip does not expand ${{{name}}} (only upper-case letters, digits and _)",
                path=display, line=number, hint=f"rename it ${{{name.upper()}}}",
            )
    return value


def _find_link(state: _State, path: Path, value: str, display: str, number: int) -> str:
    value = _pip_placeholders(value, display, number)
    if "://" in value or value.startswith(("file:", "${")):  # a placeholder: expanded by cook
        return normalize_index_url(value)
    rel = inside(state.root, path.parent / value, display)
    if rel is None:
        raise outside_error(display, f"--find-links {value}")
    return rel


def _requirement(
    state: _State,
    path: Path,
    display: str,
    number: int,
    text: str,
    editable: bool,
    kind: _FileKind,
) -> Optional[Dep]:
    extras = ""
    target_text = text
    if (
        _is_path(text)
        or (editable and not text.startswith(URL_SCHEMES))
        or text.startswith("file:")
    ):
        if "[" in text and text.endswith("]"):
            target_text, extras = text[: text.index("[")], text[text.index("[") :]
        raw = target_text
        if raw.startswith("file:"):
            raw = unquote(urlsplit(raw).path)
        target = path.parent / os.path.expanduser(raw)
        if target.is_dir():
            rel = inside(state.root, target, display)
            if rel is None:
                raise outside_error(display, text)
            if kind == "constraint":
                return None
            local = read_local_package(state.root, rel, editable=editable)
            state.locals.setdefault(local.name, local)
            extra_names = tuple(sorted(canonical(e) for e in extras.strip("[]").split(",") if e))
            return Dep(name=local.name, extras=extra_names)
        if not target.exists():
            raise InputError(f"path {text!r} does not exist", path=display, line=number)
        raise InputError(
            f"local archive {text!r} is not supported",
            path=display,
            line=number,
            hint="publish it to an index or find-links directory and require it by name",
        )
    if text.startswith(URL_SCHEMES):
        url = strip_credentials(text)
        name = _name_from_url(url)
        if name is None:
            raise InputError(
                f"cannot tell the package name of {url!r}",
                path=display,
                line=number,
                hint="write it as 'name @ URL' or add #egg=name",
            )
        return Dep(name=canonical(name), url=url)
    dep = parse_requirement(text, path=display, line=number)
    if dep.url:
        dep = replace(dep, url=strip_credentials(dep.url))
    return dep


def read_project(root: Path, subdir: str = ".") -> Project:
    """The reader's entry point (chef.readers.ProjectReader): requirements.txt at the context
    root; other files are read with `read` (prepare's --requirements)."""
    root_only("requirements", root, subdir)
    return read(root, ["requirements.txt"])


def read(root: Path, files: List[str]) -> Project:
    """A project from requirements files (in the order given); nothing locked unless every line
    is pinned with hashes, in which case the installer still checks hashes on every file."""
    state = _State(root=root)
    for name in files:
        path = (root / name) if not os.path.isabs(name) else Path(name)
        shown = rel_display(root, path)
        project_file(root, path, shown, f"requirements file {name}")
        _read_file(state, path, "requirement", (), shown, 0)
    # A local package's own dependencies are part of the selection too.
    project = Project(root=root, manager="requirements", inputs=sorted(set(state.inputs)))
    project.local_packages = dict(state.locals)
    project.roots = sorted(set(state.roots))
    project.constraints = sorted(set(state.constraints))
    project.index = index_config(
        state.index_url, state.extra, state.find_links, no_index=state.no_index, pre=state.pre
    )
    project.notes.extend(state.notes)
    return project
