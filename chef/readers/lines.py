"""Requirements-file lines: comments, continuations, and files that may hold requirements only.

Shared by the requirements reader and by readers of files that list requirements one per line
(setuptools `file:` directives, hatch-requirements-txt), so that readers never import each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Tuple

from chef.errors import InputError
from chef.toml import read_text


def logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """(line number, content) after joining `\\` continuations and dropping comments."""
    start = 0
    buffer = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        line = raw
        if line.startswith("#") or " #" in line or "\t#" in line:
            line = line[: _comment_at(line)]
        if line.endswith("\\"):
            buffer += line[:-1]
            continue
        line = (buffer + line).strip()
        buffer = ""
        if line:
            yield start, line
    if buffer.strip():
        yield start, buffer.strip()


def _comment_at(line: str) -> int:
    if line.startswith("#"):
        return 0
    for i, ch in enumerate(line):
        if ch == "#" and i > 0 and line[i - 1] in " \t":
            return i
    return len(line)



def plain_requirement_lines(path: Path, display: str) -> List[str]:
    """Requirement lines of a file that may hold no options (setuptools `file =` dependencies)."""
    text = read_text(path, display)
    out = []
    for number, content in logical_lines(text):
        if content.startswith("-"):
            raise InputError(
                "options are not allowed in a dependencies file", path=display, line=number
            )
        out.append(content)
    return out
