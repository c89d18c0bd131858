"""The recipe: pure data, the Docker cache key.

Built from a `Project` by walking the selected part of its graph (`build`); its shape, how each
table is read, checked and written, described once (`tables`, with the shared validators and
typed getters of `values`); written as canonical JSON (sorted keys, lists in a stable order, one
locked package per line, UTF-8, trailing newline) so that equal inputs give equal bytes, and read
back with every field validated before any of it can reach a command line (`files`).
"""

from __future__ import annotations

from chef.recipe.build import from_project
from chef.recipe.files import (
    canonical_json,
    dumps,
    load,
    loads,
    read_recipe_text,
    write_atomic,
)
from chef.recipe.tables import FORMAT, Recipe, check_cookable, from_data, to_data
from chef.recipe.values import allowed_url

__all__ = [
    "FORMAT",
    "Recipe",
    "allowed_url",
    "canonical_json",
    "check_cookable",
    "dumps",
    "from_data",
    "from_project",
    "load",
    "loads",
    "read_recipe_text",
    "to_data",
    "write_atomic",
]
