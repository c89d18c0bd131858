"""Which reader applies to a directory, and why.

Precedence (first match wins; README "Supported inputs" is generated from READERS and this order):
explicit `--requirements` files > `--manager` > uv.lock > poetry.lock > pdm.lock > Pipfile.lock >
pylock.toml (or pylock.<name>.toml) > pyproject.toml with [tool.poetry] > pyproject.toml with
[project] or a uv workspace > setup.cfg/setup.py > requirements.txt. A lock wins over the manifest
it was made from because it is what the manager installs.
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
    example: str  # a `chef prepare` command line, shown in the README's table


READERS: Tuple[Reader, ...] = (
    Reader("uv", "chef.readers.uv_lock", ("uv.lock",), "uv.lock + pyproject.toml",
           "chef prepare --group dev --package api"),
    Reader(
        "poetry",
        "chef.readers.poetry",
        ("poetry.lock",),
        "poetry.lock 1.1/2.0/2.1 + [tool.poetry] or PEP 621 (groups, extras, sources)",
        "chef prepare --group docs --extra postgres",
    ),
    Reader(
        "pdm",
        "chef.readers.pdm",
        ("pdm.lock",),
        "pdm.lock 4.x + PEP 621, [tool.pdm] sources and dev-dependencies",
        "chef prepare --group test",
    ),
    Reader(
        "pipenv",
        "chef.readers.pipenv",
        ("Pipfile.lock",),
        "Pipfile.lock (categories, indexes); Pipfile alone with --manager pipenv",
        "chef prepare --group dev-packages",
    ),
    Reader(
        "pylock",
        "chef.readers.pylock",
        ("pylock.toml", "pylock.<name>.toml"),
        "PEP 751 lock (markers on extras/dependency groups, index/vcs/archive/directory)",
        "chef prepare --extra cli",
    ),
    Reader(
        "poetry-manifest",
        "chef.readers.poetry:read_manifest_project",
        ("pyproject.toml",),
        "[tool.poetry] without a lock (unlocked)",
        "chef prepare --manager poetry-manifest",
    ),
    Reader(
        "pyproject",
        "chef.readers.pep621",
        ("pyproject.toml",),
        "PEP 621 [project], PEP 735 [dependency-groups], uv workspace (unlocked)",
        "chef prepare --all-extras",
    ),
    Reader(
        "setuptools",
        "chef.readers.setuptools",
        ("setup.cfg", "setup.py"),
        "setup.cfg install_requires/extras_require/python_requires (setup.py is never run)",
        "chef prepare --extra test",
    ),
    Reader(
        "requirements",
        "chef.readers.requirements",
        ("requirements.txt",),
        "pip requirements files (-r/-c, hashes, indexes)",
        "chef prepare -r requirements/prod.txt",
    ),
)

_PRECEDENCE = (
    "uv",
    "poetry",
    "pdm",
    "pipenv",
    "pylock",
    "poetry-manifest",
    "pyproject",
    "setuptools",
    "requirements",
)


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
        if name == "pylock":
            from chef.readers.pylock import lock_files

            present = lock_files(root)
        else:
            present = [f for f in reader.marker_files if (root / f).is_file()]
        if not present:
            continue
        if name == "poetry-manifest" and not _has_table(root / "pyproject.toml", "tool.poetry"):
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


# Readers that can read a project in a subdirectory of the build context (`subdir`), with local
# paths relative to the context: a monorepo whose services each keep their own lock.
SUBDIR_READERS = ("poetry", "poetry-manifest", "pdm", "pipenv", "pylock", "setuptools")


def read_project(
    root: Path,
    manager: Optional[str] = None,
    requirements: Sequence[str] = (),
    subdir: str = ".",
) -> Tuple[Project, str]:
    """Read the project in `root/subdir`; `root` is the build context (default: the same)."""
    if subdir not in (".", ""):
        reader, reason = detect(root / subdir, manager)
        if reader.name not in SUBDIR_READERS:
            raise InputError(
                f"the {reader.name} reader reads a project at the context root only",
                path=str(root / subdir),
                hint="run chef with --project-dir on that directory",
            )
        module_name, _, function = reader.module.partition(":")
        module = importlib.import_module(module_name)
        project = getattr(module, function or "read")(root, subdir)
        return project, f"{reader.name} ({reason} in {subdir})"
    if requirements:
        from chef.readers import requirements as req_reader

        return req_reader.read(root, list(requirements)), "--requirements " + " ".join(requirements)
    reader, reason = detect(root, manager)
    module_name, _, function = reader.module.partition(":")
    module = importlib.import_module(module_name)
    if reader.name == "requirements":
        project = module.read(root, ["requirements.txt"])
    else:
        project = getattr(module, function or "read")(root)
    return project, f"{reader.name} ({reason})"


def supported_inputs() -> List[Reader]:
    return list(READERS)


def inputs_table() -> str:
    """The README's "Supported inputs" table, generated from READERS (a test keeps them equal)."""
    order = {name: i for i, name in enumerate(_PRECEDENCE)}
    rows = [
        "| precedence | `--manager` | files | what is read | example |",
        "|---|---|---|---|---|",
    ]
    ranked = sorted(READERS, key=lambda r: order.get(r.name, len(order)))
    for rank, reader in enumerate(ranked, start=1):
        files = ", ".join(f"`{f}`" for f in reader.marker_files)
        rows.append(
            f"| {rank} | `{reader.name}` | {files} | {reader.description} | `{reader.example}` |"
        )
    return "\n".join(rows) + "\n"
