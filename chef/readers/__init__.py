"""Readers: one module per input format, each turning files on disk into a `chef.model.Project`.

Only readers touch the project's files. `chef.detect` decides which reader applies, and calls it
through its entry point, a `ProjectReader`: `read(root, subdir)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, Tuple

from chef.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from chef.model import Project


class ProjectReader(Protocol):
    """A reader's entry point: the project in `root/subdir`, where `root` is the build context
    (local paths in the Project are relative to it). Readers that read a project at the context
    root only refuse another `subdir` (`root_only`)."""

    def __call__(self, root: Path, subdir: str = ".") -> Project: ...


def entry_point(spec: str) -> ProjectReader:
    """The reader a `module[:function]` spec names (chef.detect.READERS; default `read`)."""
    module_name, _, function = spec.partition(":")
    read: ProjectReader = getattr(importlib.import_module(module_name), function or "read")
    return read


def root_only(reader: str, root: Path, subdir: str) -> None:
    """Refuse a `subdir` for a reader that reads a project at the context root only."""
    if subdir not in (".", ""):
        raise InputError(
            f"the {reader} reader reads a project at the context root only",
            path=str(root / subdir),
            hint="run chef with --project-dir on that directory",
        )


if TYPE_CHECKING:  # mypy checks that every entry point chef.detect.READERS names is one
    from chef.readers import (
        pdm,
        pep621,
        pipenv,
        poetry,
        pylock,
        requirements,
        setuptools,
        uv_lock,
    )

    _ENTRY_POINTS: Tuple[ProjectReader, ...] = (
        uv_lock.read_project,
        poetry.read,
        pdm.read,
        pipenv.read,
        pylock.read,
        poetry.read_manifest_project,
        pep621.read_project,
        setuptools.read,
        requirements.read_project,
    )
