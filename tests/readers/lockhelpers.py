"""Shared checks for the lock readers' tests: recipes, stability and sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional

from lockfixtures import Scenario

from chef.cook.plan import plan
from chef.detect import read_project
from chef.recipe import Recipe, dumps, from_project
from chef.select import Selection

PY311 = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.11.7",
    "python_version": "3.11",
    "sys_platform": "linux",
}
PY39_WIN = dict(
    PY311,
    python_full_version="3.9.1",
    python_version="3.9",
    sys_platform="win32",
    os_name="nt",
    platform_system="Windows",
)

Writer = Callable[[Path, Scenario], Path]


def recipe(directory: Path, manager: str, selection: Selection = Selection()) -> Recipe:
    project, _ = read_project(directory, manager=manager)
    return from_project(project, selection, "test")


def recipe_text(directory: Path, manager: str, selection: Selection = Selection()) -> str:
    return dumps(recipe(directory, manager, selection))


def installed(rec: Recipe, env: Dict[str, str]) -> Dict[str, str]:
    """name -> version (or URL) that cook would install for `env`."""
    out: Dict[str, str] = {}
    for batch in plan(rec, env, build_deps=False).batches:
        for line in batch.lines:
            name, _, version = line.label.split(" ")[0].partition("==")
            out[name] = version
    return out


def bump(
    tmp: Path,
    write: Writer,
    manager: str,
    versions: Dict[str, str],
    selection: Selection = Selection(),
    own_version: Optional[str] = None,
) -> bool:
    """Does changing `versions` in the lock change the recipe for `selection`?"""
    before = tmp / "before"
    after = tmp / "after"
    write(before, Scenario())
    if own_version:
        write(after, Scenario(versions=versions), own_version=own_version)  # type: ignore[call-arg]
    else:
        write(after, Scenario(versions=versions))
    return recipe_text(before, manager, selection) != recipe_text(after, manager, selection)
