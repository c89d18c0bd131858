from __future__ import annotations

from pathlib import Path
from typing import Sequence

from chef.prepare import prepare
from chef.select import Selection


def recipe_text(root: Path, *, requirements: Sequence[str] = (), **selection: object) -> str:
    return prepare(root, requirements=requirements, selection=Selection(**selection)).text  # type: ignore[arg-type]
