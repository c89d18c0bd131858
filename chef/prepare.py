"""`chef prepare` as a function: project directory -> recipe text (and file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

from chef.detect import read_project
from chef.recipe import Recipe, dumps, from_project, write_atomic
from chef.select import Selection


@dataclass
class Prepared:
    recipe: Recipe
    text: str
    chosen: str  # which input was read and why
    inputs: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def prepare(
    project_dir: Path,
    *,
    requirements: Sequence[str] = (),
    manager: Optional[str] = None,
    selection: Selection = Selection(),
) -> Prepared:
    """Read the project and build its recipe; writes nothing."""
    root = Path(project_dir)
    project, chosen = read_project(root, manager, requirements)
    recipe = from_project(project, selection, project.inputs[0] if project.inputs else str(root))
    return Prepared(recipe, dumps(recipe), chosen, list(project.inputs), list(project.notes))


def prepare_to_file(project_dir: Path, recipe_path: Path, **kwargs: object) -> Prepared:
    result = prepare(project_dir, **kwargs)  # type: ignore[arg-type]
    write_atomic(recipe_path, result.text)
    return result
