"""`prepare --layer-recipes DIR`: a locked recipe split into layer recipes, heavy packages first.

layer-1.json holds the heavy packages: named by the user (`--heavy NAME_OR_GLOB`), or, where the
lock records wheel sizes (uv.lock, pylock.toml), those whose largest Linux wheel is at least
`--heavy-size`. Its bytes depend only on those packages and what every package shares (the
manager, requires-python, the indexes): a change among the light packages leaves it
byte-identical, so its Docker layer stays cached. Each heavy package is a root of its own,
with the marker under which the whole recipe's graph reaches it (every path's markers joined;
several paths, several roots), and without its dependency edges: cook installs exactly the heavy
packages the whole recipe installs on the target, `--no-deps` as always.

layer-2.json is the whole recipe again, with the heavy packages' keys in `earlier_layers`: cook
walks the whole graph for the target (so every light package is reached exactly as in one
cook), leaves out what layer 1 installed, and checks the venv holds it. Its bytes change with
any package, which costs nothing: its stage builds on layer 1's and is rebuilt with it anyway.

test.json (`--test-group`, `--test-all-groups`): the selection with those groups too, with
every package of the production selection in `earlier_layers`: a test stage cooks only what the
groups add, on top of the production layers.

Pure functions over a Recipe, except `lock_sizes`, which reads the lock's recorded sizes.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from chef.errors import InputError, UsageError
from chef.model import Dep, LocalPackage, LockedPackage, replace
from chef.recipe import Recipe

# 10 MB: above every common pure-Python or small compiled package (requests, pydantic-core,
# cryptography, grpcio: under 10 MB), at or below the compiled stacks that make images big
# (numpy ~16-20 MB, pandas, scipy ~35 MB, pyarrow ~40 MB, torch and its nvidia-* wheels,
# tensorflow, jaxlib, opencv: up to 2.5 GB each). Measured on a numpy/scipy/pandas project
# (bench/layers.py): at 10 MB a small dependency change re-ships ~2% of the image; at 50 MB none
# of those three is heavy and it re-ships 100%.
DEFAULT_HEAVY_SIZE = 10_000_000

# A package reached under more alternative conditions than this stays in the last layer.
_MAX_PATHS = 32

Conjunct = Tuple[str, str]  # (marker, the extra it is evaluated with: "" unless it tests extra)
Path_ = FrozenSet[Conjunct]


@dataclass
class Layers:
    """The layer recipes, and what `--explain` says about them."""

    recipes: Dict[str, Recipe]  # file name -> recipe (layer-1.json, layer-2.json[, test.json])
    notes: List[str] = field(default_factory=list)


def parse_size(text: str) -> int:
    """`--heavy-size`: bytes, or with a unit (kB, MB, GB: powers of 1000; KiB, MiB, GiB)."""
    units = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
             "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("kmgib")
    unit = raw[len(number):]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in units or value < 0:
        raise UsageError(f"--heavy-size {text!r} is not a size",
                         hint="give bytes or a number with kB, MB or GB, e.g. 50MB")
    return int(value * units[unit])


def human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 10**9 else f"{size / 1e9:.2f} GB"


def patterns(items: Sequence[str]) -> Tuple[str, ...]:
    """`--heavy` names and globs, normalized as package names are (PEP 503)."""
    from packaging.utils import canonicalize_name

    return tuple(sorted({canonicalize_name(item.strip()) for item in items if item.strip()}))


def lock_sizes(project_dir: Path, inputs: Sequence[str]) -> Optional[Dict[Tuple[str, str], int]]:
    """(name, version) -> the size of its largest Linux (or pure-Python) wheel, from the sizes
    uv.lock and pylock.toml record; None when the lock records none (another manager)."""
    from chef.model import canonical
    from chef.toml import load_toml

    for name in inputs:
        base = name.rsplit("/", 1)[-1]
        if base == "uv.lock":
            table = "package"
        elif base.startswith("pylock.") and base.endswith(".toml") or base == "pylock.toml":
            table = "packages"
        else:
            continue
        path = project_dir / name
        if not path.is_file():
            continue
        data = load_toml(path, name)
        out: Dict[Tuple[str, str], int] = {}
        for package in data.get(table) or []:
            if not isinstance(package, dict):
                continue
            pname, version = package.get("name"), package.get("version")
            if not isinstance(pname, str) or not isinstance(version, str):
                continue
            size = _largest(package.get("wheels"))
            if size is not None:
                key = (canonical(pname), version)
                out[key] = max(size, out.get(key, 0))
        return out
    return None


def _largest(wheels: Any) -> Optional[int]:
    if not isinstance(wheels, list):
        return None
    best: Optional[int] = None
    for wheel in wheels:
        if not isinstance(wheel, dict):
            continue
        size = wheel.get("size")
        name = wheel.get("filename") or wheel.get("name") or wheel.get("url") or ""
        if not isinstance(size, int) or isinstance(size, bool) or not isinstance(name, str):
            continue
        name = name.partition("#")[0].partition("?")[0]
        if not name.endswith(".whl"):
            continue
        platform = name[:-4].rsplit("-", 1)[-1]
        if platform == "any" or "linux" in platform:
            best = size if best is None else max(best, size)
    return best


def reach_paths(recipe: Recipe) -> Tuple[Dict[str, List[Path_]], Set[str]]:
    """For every locked key, the alternative sets of markers (conjuncts) under which the
    recipe's graph reaches it, as `chef.select.walk` follows it on a target, absorbed (a set
    that holds another is dropped; the empty set: always). Also the keys reached under too many
    alternatives (more than _MAX_PATHS), whose conditions are not kept."""
    from collections import deque

    locked = recipe.locked or {}
    nodes: Dict[Tuple[str, str], List[Path_]] = {}
    queue: deque[Tuple[Dep, str, Path_]] = deque(
        (d, d.marker_extra or "", frozenset()) for d in recipe.roots)
    while queue:
        edge, context, path = queue.popleft()
        if edge.marker:
            uses_extra = "extra" in edge.marker
            path = path | {(edge.marker, context if uses_extra else "")}
        key = edge.key or edge.name
        package = locked.get(key)
        if package is None:
            continue
        for extra in ("", *edge.extras):
            known = nodes.setdefault((key, extra), [])
            if any(other <= path for other in known):
                continue
            known[:] = [other for other in known if not path <= other] + [path]
            if len(known) > _MAX_PATHS:  # keep no condition of any key: none is certain
                return {}, set(locked)
            deps = package.dependencies if extra == "" else package.extra(extra)
            queue.extend((d, extra, path) for d in deps)
    out = {key: paths for (key, extra), paths in nodes.items() if extra == ""}
    return out, set()


def _root(package: LockedPackage, path: Path_) -> Optional[Dep]:
    """A root edge to `package` that holds exactly when `path` does (None: no single marker,
    when conjuncts are evaluated with different extras)."""
    contexts = {context for _, context in path if context}
    if len(contexts) > 1:
        return None
    markers = sorted({marker for marker, _ in path})
    marker: Optional[str] = None
    if len(markers) == 1:
        marker = markers[0]
    elif markers:
        marker = " and ".join(f"({m})" for m in markers)  # each normalized already; sorted
    return Dep(name=package.name, key=package.key, marker=marker,
               marker_extra=next(iter(contexts)) if contexts else None)


def _conflict_atoms(roots: Sequence[Dep]) -> bool:
    return any(d.marker and ("extra-" in d.marker or "group-" in d.marker) for d in roots)


def _no_build(packages: Dict[str, LocalPackage]) -> Dict[str, LocalPackage]:
    """Local packages as conflict markers need them (their names), without their builds."""
    return {n: LocalPackage(name=n, path=p.path, installable=False) for n, p in packages.items()}


def split(
    recipe: Recipe,
    heavy: Sequence[str] = (),
    heavy_size: int = DEFAULT_HEAVY_SIZE,
    sizes: Optional[Dict[Tuple[str, str], int]] = None,
    test: Optional[Recipe] = None,
) -> Layers:
    """The layer recipes of `recipe` (see the module's docstring). `heavy`: normalized names
    and globs (`patterns`); `sizes`: `lock_sizes`, None when the lock records none; `test`: the
    recipe of the selection with the test groups added."""
    notes: List[str] = []
    empty = replace(recipe, local_packages={}, roots=[], constraints=[], build_constraints=[],
                    locked={} if recipe.is_locked else None, extras=(), groups=(), packages=(),
                    earlier=())
    if recipe.locked is None:
        notes.append("layers: an unlocked recipe (the installer resolves) is one layer: "
                     "layer-1.json installs nothing, layer-2.json everything")
        layers = Layers({"layer-1.json": empty, "layer-2.json": recipe}, notes)
        if test is not None:
            layers.recipes["test.json"] = test
            notes.append("layers: test.json is the whole test selection (unlocked: nothing can "
                         "be left to the production layers)")
        return layers
    if sizes is None and not heavy:
        notes.append(f"layers: {recipe.manager} locks record no wheel sizes: only packages "
                     "named with --heavy go to layer-1.json")
    elif sizes is None:
        notes.append(f"layers: {recipe.manager} locks record no wheel sizes: layer-1.json holds "
                     "the packages named with --heavy")
    chosen: Dict[str, str] = {}  # key -> why
    exact = {p for p in heavy if not any(c in p for c in "*?[")}
    globs = [p for p in heavy if p not in exact]
    for key, package in sorted(recipe.locked.items()):
        named = package.name if package.name in exact else next(
            (p for p in globs if fnmatch.fnmatchcase(package.name, p)), None)
        if named is not None:
            chosen[key] = f"named by --heavy {named}"
            continue
        size = (sizes or {}).get((package.name, package.version))
        if size is not None and size >= heavy_size:
            chosen[key] = f"largest Linux wheel {human(size)} >= --heavy-size {human(heavy_size)}"
    paths, complex_ = reach_paths(recipe) if chosen else ({}, set())
    roots: List[Dep] = []
    first: Dict[str, LockedPackage] = {}
    for key, why in sorted(chosen.items()):
        package = recipe.locked[key]
        label = f"{package.name} {package.version}"
        edges = [_root(package, p) for p in paths.get(key, [])]
        if key in complex_ or any(e is None for e in edges):
            notes.append(f"layers: {label} stays in layer-2.json ({why}, but the graph reaches "
                         "it under too many conditions for a recipe of its own)")
            continue
        notes.append(f"layers: {label} in layer-1.json ({why})")
        roots += [e for e in edges if e is not None]
        first[key] = replace(package, dependencies=(), extras=())
    conflicts = _conflict_atoms(roots)
    one = replace(empty, roots=roots, locked=first,
                  local_packages=_no_build(recipe.local_packages) if conflicts else {},
                  extras=recipe.extras if conflicts else (),
                  groups=recipe.groups if conflicts else (),
                  packages=recipe.packages if conflicts else ())
    two = replace(recipe, earlier=tuple(sorted(first)))
    light = len(recipe.locked) - len(first)
    notes.append(f"layers: layer-1.json {len(first)} heavy packages, layer-2.json {light} others")
    layers = Layers({"layer-1.json": one, "layer-2.json": two}, notes)
    if test is not None:
        layers.recipes["test.json"] = test_layer(recipe, test)
        added = len(test.locked or {}) - len(recipe.locked)
        notes.append(f"layers: test.json adds {added} packages on top of the production layers")
    return layers


def test_layer(production: Recipe, test: Recipe) -> Recipe:
    """The test selection's recipe, with every production package left to the earlier layers
    (they are the same locked packages: the same key, the same version)."""
    assert production.locked is not None
    locked = test.locked or {}
    for key, package in sorted(production.locked.items()):
        other = locked.get(key)
        if other is None or other.version != package.version:
            # One lock, two selections: keys are the lock's, so this means a different lock.
            raise InputError(
                f"the test selection's recipe has no {package.name} {package.version} "
                f"({key}), which the production selection installs",
                hint="a test layer adds packages on top of the production ones and cannot "
                "replace one; prepare both from the same lock",
            )
    return replace(test, local_packages=_no_build(test.local_packages), build_constraints=[],
                   earlier=tuple(sorted(production.locked)))
