"""A layer recipe (`chef prepare --layer-recipes`) stacks on the venv its earlier layers made:
what that venv holds, and the checks that it holds what the earlier layers installed, for this
target, and that this layer replaces none of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from chef.cook.plan import InstallPlan
from chef.errors import TargetEnvironmentError
from chef.recipe import Recipe


def check_no_replacement(install_plan: InstallPlan, recipe_path: Path) -> None:
    """A layer installs no other version of a package an earlier layer installed on this
    target (the installer would replace the earlier layer's files)."""
    earlier = dict(install_plan.earlier)
    for batch in install_plan.batches:
        for line in batch.lines:
            name, _, version = (line.label or line.requirement).partition("==")
            version = version.split(" ", 1)[0]
            if name in earlier:
                raise TargetEnvironmentError(
                    f"this layer recipe installs {name} {version} where an earlier layer "
                    f"installed {name} {earlier[name]} for this target",
                    path=str(recipe_path),
                    hint="a layer cannot replace an earlier layer's package: build this image "
                    "from one recipe (the lock picks another version for this selection)",
                )


def present(python: str, recipe: Recipe, dry_run: bool) -> Optional[Dict[str, Tuple[str, str]]]:
    """For a layer recipe: name -> (version, dist-info directory) of what the target's
    site-packages holds ({} before the venv exists); None for other recipes and dry runs."""
    if not recipe.earlier or dry_run:
        return None
    if not os.path.exists(python):
        return {}
    from chef.cook.relocate import venv_paths
    from chef.model import canonical

    paths = venv_paths(python)
    found: Dict[str, Tuple[str, str]] = {}
    for directory in sorted({paths["purelib"], paths["platlib"]}):
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                found.setdefault(canonical(name), (version, os.path.join(directory, entry)))
    return found


def check_earlier(
    earlier: List[Tuple[str, str]], present: Dict[str, Tuple[str, str]], python: str,
    recipe_path: Path, accepts: Callable[[str], bool], target: str,
) -> None:
    """A later layer recipe stacks on the venv its earlier layers made: each of their packages
    this target needs that the venv holds must be at the locked version (else the installer
    would replace an earlier layer's files) and from a wheel for this cook's platform (its
    WHEEL's tags; else the earlier layer was cooked for another platform)."""
    from packaging.version import InvalidVersion, Version

    def same(a: str, b: str) -> bool:
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return a == b

    for name, version in earlier:
        have, info = present[name]
        if not same(have, version):
            raise TargetEnvironmentError(
                f"this layer recipe stacks on a venv that holds {name} {have}, and the earlier "
                f"layers of its `chef prepare` install {name} {version}",
                path=str(recipe_path),
                hint="cook the earlier layer recipes (layer-1.json, ...) of the same `chef "
                "prepare` into this venv first, for the same platform and Python",
            )
        try:
            with open(os.path.join(info, "WHEEL"), encoding="utf-8") as handle:
                tags = [line.partition(":")[2].strip() for line in handle
                        if line.startswith("Tag:")]
        except OSError:
            continue
        if tags and not any(accepts(tag) for tag in tags):
            raise TargetEnvironmentError(
                f"this layer recipe is cooked for {target}, and the venv's {name} {version} "
                f"from an earlier layer is a wheel for {tags[0]}",
                path=str(recipe_path),
                hint="cook every layer for the same platform (the same --platform, or none)",
            )
