"""Which reader applies to a directory, and why.

Precedence (first match wins; README "Supported inputs" documents it):
explicit `--requirements` files > `--manager` > uv.lock > poetry.lock > pdm.lock > Pipfile.lock >
pylock.toml > pyproject.toml with [tool.poetry] > pyproject.toml with [project] or a uv workspace >
setup.cfg > requirements.txt. A lock wins over the manifest it was made from because it is what the
manager installs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from chef.errors import InputError
from chef.model import Project


@dataclass(frozen=True)
class Reader:
    name: str
    module: str
    marker_files: Tuple[str, ...]  # any of these present means the reader may apply
    description: str
    example: str


READERS: Tuple[Reader, ...] = (
    Reader("uv", "chef.readers.uv_lock", ("uv.lock",), "uv.lock + pyproject.toml", "uv.lock"),
    Reader("pyproject", "chef.readers.pep621", ("pyproject.toml",),
           "PEP 621 [project], PEP 735 [dependency-groups], uv workspace (unlocked)",
           "pyproject.toml"),
    Reader("requirements", "chef.readers.requirements", ("requirements.txt",),
           "pip requirements files (-r/-c, hashes, indexes)", "requirements.txt"),
)

_PRECEDENCE = ("uv", "poetry", "pdm", "pipenv", "pylock", "poetry-manifest", "pyproject",
               "setuptools", "requirements")


def readers() -> Dict[str, Reader]:
    return {r.name: r for r in READERS}


def _has_table(path: Path, table: str) -> bool:
    # Cheap text probe before a full parse; the chosen reader validates properly.
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().startswith(f"[{table}") for line in text.splitlines())


def detect(root: Path, manager: Optional[str] = None) -> Tuple[Reader, str]:
    """The reader to use for `root`, with a one-line reason."""
    known = readers()
    if manager is not None:
        if manager not in known:
            raise InputError(
                f"unknown manager {manager!r}", hint="choose one of: " + ", ".join(sorted(known))
            )
        return known[manager], f"--manager {manager}"
    if not root.is_dir():
        raise InputError("project directory not found", path=root)
    for name in _PRECEDENCE:
        reader = known.get(name)
        if reader is None:
            continue
        present = [f for f in reader.marker_files if (root / f).is_file()]
        if not present:
            continue
        if name == "pyproject" and not (
            _has_table(root / "pyproject.toml", "project")
            or _has_table(root / "pyproject.toml", "tool.uv.workspace")
        ):
            continue
        return reader, f"found {present[0]}"
    looked = sorted({f for r in READERS for f in r.marker_files})
    raise InputError(
        "no supported project files found",
        path=str(root),
        hint=f"looked for {', '.join(looked)}; "
        "pass --project-dir, --requirements FILE or --manager",
    )


def read_project(
    root: Path, manager: Optional[str] = None, requirements: Sequence[str] = ()
) -> Tuple[Project, str]:
    if requirements:
        from chef.readers import requirements as req_reader

        return req_reader.read(root, list(requirements)), "--requirements " + " ".join(requirements)
    reader, reason = detect(root, manager)
    module = importlib.import_module(reader.module)
    if reader.name == "requirements":
        project = module.read(root, ["requirements.txt"])
    else:
        project = module.read(root)
    return project, f"{reader.name} ({reason})"


def supported_inputs() -> List[Reader]:
    return list(READERS)


def inputs_table() -> str:
    """The README's "Supported inputs" table, generated from READERS (a test keeps them equal)."""
    order = {name: i for i, name in enumerate(_PRECEDENCE)}
    rows = ["| precedence | `--manager` | files | what is read |", "|---|---|---|---|"]
    ranked = sorted(READERS, key=lambda r: order.get(r.name, len(order)))
    for rank, reader in enumerate(ranked, start=1):
        files = ", ".join(f"`{f}`" for f in reader.marker_files)
        rows.append(f"| {rank} | `{reader.name}` | {files} | {reader.description} |")
    return "\n".join(rows) + "\n"
