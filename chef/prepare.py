"""`chef prepare` as a function: project directory -> recipe text (and file)."""

from __future__ import annotations

import errno
import functools
import gc
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence, TypeVar, cast

from chef.detect import detect_project, fresh_lock, manifest_names, third_party_edges
from chef.errors import InputError
from chef.model import Project
from chef.readers.boundary import project_boundary
from chef.recipe import Recipe, dumps, from_project, write_atomic
from chef.select import Selection


class Prepared:
    """(A plain class: a dataclass costs ~0.4 ms of every prepare to define.)"""

    __slots__ = ("recipe", "text", "chosen", "inputs", "notes", "dropped", "warnings",
                 "considered")

    def __init__(self, recipe: Recipe, text: str, chosen: str,  # chosen: which input, and why
                 inputs: Optional[List[str]] = None, notes: Optional[List[str]] = None,
                 dropped: Optional[List[str]] = None, warnings: Optional[List[str]] = None,
                 considered: Optional[List[str]] = None) -> None:
        self.recipe = recipe
        self.text = text
        self.chosen = chosen
        self.inputs = [] if inputs is None else inputs
        self.notes = [] if notes is None else notes
        # with explain: what was left out, and why
        self.dropped = [] if dropped is None else dropped
        # always shown: chef went on, but unsure
        self.warnings = [] if warnings is None else warnings
        # every candidate input and its fate
        self.considered = [] if considered is None else considered


F = TypeVar("F", bound=Callable[..., Any])


def _without_gc(func: F) -> F:
    """Run with the cyclic garbage collector paused (its state is restored): a prepare builds a
    large, acyclic graph of parsed TOML and model objects, and collection passes over it cost
    2-3% of a large lock's prepare for nothing to collect (docs/performance.md)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:
                raise
            # A path the project names (an include, a path source, --requirements) that no
            # file system holds: bad input, wherever a reader first touched it.
            name = str(exc.filename or "")
            shown = name if len(name) <= 80 else f"{name[:60]}...{name[-10:]}"
            raise InputError(
                f"a path of {len(name)} characters is longer than this system allows: "
                f"{shown!r}",
                hint="fix the path in the project's files or options",
            ) from None
        finally:
            if enabled:
                gc.enable()

    return cast(F, wrapper)


@_without_gc
def prepare(
    project_dir: Path,
    *,
    requirements: Sequence[str] = (),
    manager: Optional[str] = None,
    selection: Selection = Selection(),
    frozen: bool = False,
    explain: bool = False,
    subdir: str = ".",
    build_constraints: Sequence[str] = (),
) -> Prepared:
    """Read the project and build its recipe; writes nothing.

    A lock that no longer matches its manifest is refused (StaleLockError) unless `frozen`.
    With `explain`, also say what was dropped as irrelevant (cheap: parsed files are cached).
    `build_constraints`: constraints files (relative to `project_dir`) that pin the build
    environment, as pip's `--build-constraint` pins its isolated builds.
    """
    root = Path(project_dir)
    with project_boundary(root):
        return _prepare(root, requirements, manager, selection, frozen, explain, subdir,
                        build_constraints)


def _prepare(
    root: Path,
    requirements: Sequence[str],
    manager: Optional[str],
    selection: Selection,
    frozen: bool,
    explain: bool,
    subdir: str,
    build_constraints: Sequence[str],
) -> Prepared:
    detected = detect_project(root, manager, requirements, subdir=subdir)
    verdict = None
    if not frozen and not requirements:
        if manager is None:  # a stale lock gives way to a fresh one beside it (detect.fresh_lock)
            detected, verdict = fresh_lock(root, detected, subdir)
        else:  # the lock the user named: refused when stale, whatever lies beside it
            from chef.freshness import ensure_fresh

            verdict = ensure_fresh(root / subdir, detected.project.manager, where=subdir)
    project, chosen = detected.project, detected.chosen
    _complete_build(project, root, build_constraints)
    notes = list(project.notes)
    warnings: List[str] = list(detected.warnings) + list(project.warnings)
    if frozen:
        notes.append("lock freshness not checked (--frozen)")
    elif verdict is not None:
        notes.extend(verdict.notes())
        warnings.extend(verdict.warning_lines())
    selection = _tolerated(project, selection, warnings)
    recipe = from_project(project, selection, project.inputs[0] if project.inputs else str(root))
    if not recipe.roots and not recipe.locked:
        warnings.extend(_installs_nothing(project, recipe, chosen, root, subdir))
    result = Prepared(recipe, dumps(recipe), chosen, list(project.inputs), notes,
                      warnings=warnings, considered=detected.considered)
    if explain:
        result.dropped = dropped(project, recipe)
        result.notes.extend(cross_notes(recipe))
        result.notes.extend(scm_notes(root, recipe))
    return result


def scm_notes(root: Path, recipe: Recipe) -> List[str]:
    """For `prepare --explain`: one line per local package whose version comes from git."""
    from chef.scm_version import detect_dir, explain_line

    out = []
    for package in sorted(recipe.local_packages.values(), key=lambda p: p.path):
        if not package.installable:
            continue
        scm = detect_dir(root / package.path)
        if scm is not None:
            where = "pyproject.toml" if package.path == "." else f"{package.path}/pyproject.toml"
            out.append(explain_line(where, scm))
    return out


# Managers that install with an extra or group name the project does not have, ignoring it;
# uv and poetry refuse one (`Extra ... is not defined`, `Group(s) not found`), and so does chef
# for them (chef/select.py root_edges).
_IGNORES_UNKNOWN = {"pdm": "`pdm install -G {name}` and `pdm export -G {name}` ignore it "
                           "(\"Ignoring non-existing groups\")"}


def _tolerated(project: Project, selection: Selection, warnings: List[str]) -> Selection:
    """The selection without the extra and group names the manager ignores, each with a
    warning (a name the project knows as the other kind is left for root_edges' refusal,
    which names the right option)."""
    how = _IGNORES_UNKNOWN.get(project.manager)
    if how is None or not (selection.extras or selection.groups):
        return selection
    from chef.model import canonical, replace

    if selection.packages:
        names = [canonical(p) for p in selection.packages]
    else:
        names = [d.name for d in project.roots if d.name in project.local_packages and not d.url]
    tops = [project.local_packages[n] for n in names if n in project.local_packages]
    known = {e for p in tops for e, _ in p.extras} | {g for p in tops for g, _ in p.groups}
    unknown = sorted({canonical(n) for n in selection.extras + selection.groups} - known)
    for name in unknown:
        where = project.inputs[0] if project.inputs else "the project"
        warnings.append(f"{where}: no extra or group named {name} in the selected packages: "
                        f"ignored, as {how.format(name=name)}")
    return replace(
        selection,
        extras=tuple(e for e in selection.extras if canonical(e) not in unknown),
        groups=tuple(g for g in selection.groups if canonical(g) not in unknown),
    )


def cross_notes(recipe: Recipe) -> List[str]:
    """For `prepare --explain`: the locked packages that `chef cook --platform` can install for
    no platform (no wheel in the lock: built from source), and where the lock lists no files."""
    if recipe.locked is None:
        return []
    built = sorted(
        f"{p.name}=={p.version}" + (" (git)" if p.source.kind == "git" else "")
        for p in recipe.locked.values()
        if p.wheels == () or p.source.kind == "git" or (
            p.source.kind == "url" and not (p.source.url or "").partition("#")[0].endswith(".whl"))
    )
    out = []
    if built:
        out.append("no Linux wheel in the lock (an sdist, a git source, or wheels for other "
                   "systems: `chef cook --platform` refuses them where the target's markers "
                   "select them): " + ", ".join(built))
    platform_only = [p for p in recipe.locked.values() if p.wheels]
    if platform_only:
        out.append(f"{len(platform_only)} locked packages have platform-specific wheels only: "
                   "`chef cook --platform OS/ARCH --dry-run` lists those without one for a "
                   "target")
    return out


def _installs_nothing(
    project: Project, recipe: Recipe, chosen: str, root: Path, subdir: str
) -> List[str]:
    """A recipe that installs no third-party package: an error when the selected packages
    declare dependencies (the image would ship without them), else a warning when requirement
    files lie around unread."""
    selected = Project(root=project.root, manager=project.manager, roots=[
        d for d in project.roots if d.name not in project.local_packages or d.url])
    selected.local_packages = {n: p for n, p in project.local_packages.items()
                               if n in recipe.local_packages}
    declared = third_party_edges(selected)
    if project.locked is not None and not project.locked:  # an empty lock: whatever is declared
        names = set(manifest_names(root / subdir, project.manager))
        names |= {n for deps in declared.values() for n in deps}
        declared = {"main": sorted(names)} if names else {}
    where = project.inputs[0] if project.inputs else "the project"
    base = root / subdir
    unread = sorted(
        {p.relative_to(base).as_posix()
         for pattern in ("*requirements*.txt", "requirements/*.txt")
         for p in base.glob(pattern)
         if p.is_file() and p.relative_to(base).as_posix() not in project.inputs}
    )
    files = ", ".join(unread[:4]) + (f" and {len(unread) - 4} more" if len(unread) > 4 else "")
    if declared:
        if "main" in declared:
            hint = ("the lock holds none of them: re-lock it, or read another input with "
                    "--manager NAME or --requirements FILE")
        else:
            flags = sorted({f"--{k.split()[0]} {k.split()[1]}" for k in declared})
            hint = "select them with " + ", ".join(flags[:4]) + (
                " (or --all-extras / --all-groups)" if len(flags) > 4 else "")
            if unread:
                hint += f", or read {files} with --requirements FILE"
        kinds = "; ".join(f"{k}: {', '.join(v[:4])}{' ...' if len(v) > 4 else ''}"
                          for k, v in sorted(declared.items()))
        raise InputError(
            f"the recipe would install no package, but the project declares dependencies "
            f"({kinds}); read as {chosen}",
            path=where,
            hint=hint,
        )
    if unread:
        return [f"the recipe installs no third-party package, and {files} "
                f"{'is' if len(unread) == 1 else 'are'} not read (pass --requirements FILE to "
                "read one)"]
    return []


def _complete_build(project: Project, root: Path, constraint_files: Sequence[str]) -> None:
    """Build requirements beyond [build-system].requires, and --build-constraint files."""
    from chef.readers import build

    build.complete(project)
    if constraint_files:
        pins, shown = build.constraint_files(root, constraint_files)
        project.build_constraints = build.constraints(list(project.build_constraints) + pins)
        project.inputs.extend(name for name in shown if name not in project.inputs)


# [tool.*] tables a manager reads to decide what gets installed; every other one is ignored.
_TOOL_TABLES = {
    "uv": ("hatch", "uv", "setuptools"),
    "pyproject": ("hatch", "uv", "setuptools"),
    "poetry": ("poetry",),
    "pdm": ("pdm",),
    "setuptools": ("setuptools",),
}


def dropped(project: Project, recipe: Recipe) -> List[str]:
    """What the recipe leaves out, for `prepare --explain`."""
    from chef.toml import load_toml

    out: List[str] = []
    top = [project.local_packages[d.name] for d in project.roots
           if d.name in project.local_packages and not d.url]
    for kind, chosen in (("extras", recipe.extras), ("groups", recipe.groups)):
        names = {name for p in top for name, _ in (p.extras if kind == "extras" else p.groups)}
        left = sorted(names - set(chosen))
        if left:
            flag = "--extra" if kind == "extras" else "--group"
            out.append(f"unselected {kind}: {', '.join(left)} (add {flag} NAME to include one)")
    if recipe.packages:
        others = sorted(set(project.local_packages) - set(recipe.local_packages))
        if others:
            out.append(f"local packages outside --package: {', '.join(others)}")
    if project.locked is not None and recipe.locked is not None:
        left_out = len(project.locked) - len(recipe.locked)
        if left_out:
            out.append(
                f"{left_out} of {len(project.locked)} locked packages are not reachable from the "
                "selection (other groups, extras or members)"
            )
    if project.local_packages:
        out.append("versions of the project's own packages (they do not decide installs)")
    # [tool.hatch] decides a hatchling build's requirements, whatever the manager (readers.build)
    used = _TOOL_TABLES.get(project.manager, ()) + ("hatch",)
    for name in project.inputs:
        if not name.endswith("pyproject.toml"):
            continue
        try:
            data = load_toml(project.root / name, name)
        except Exception:  # already read by the reader; never fail an explanation
            continue
        tool = data.get("tool")
        ignored = sorted(t for t in tool if t not in used) if isinstance(tool, dict) else []
        if ignored:
            out.append(f"{name}: ignored " + ", ".join(f"[tool.{t}]" for t in ignored)
                       + " (they do not decide installs)")
    return out


def prepare_to_file(project_dir: Path, recipe_path: Path, **kwargs: object) -> Prepared:
    result = prepare(project_dir, **kwargs)  # type: ignore[arg-type]
    write_atomic(recipe_path, result.text, project=Path(project_dir))
    return result


def write_layer_recipes(
    result: Prepared,
    project_dir: Path,
    directory: Path,
    heavy: Sequence[str] = (),
    heavy_size: Optional[str] = None,
    test: Optional[Callable[[], Recipe]] = None,
) -> List[str]:
    """`prepare --layer-recipes DIR`: split `result`'s recipe into layer recipes (chef.layers)
    and write them into `directory`; returns the notes `--explain` shows. `test` prepares the
    recipe of the test selection (test.json), called once `heavy_size` has been checked."""
    from chef import layers

    size = layers.parse_size(heavy_size) if heavy_size else layers.DEFAULT_HEAVY_SIZE
    test_recipe = test() if test is not None else None
    sizes = None
    if result.recipe.is_locked:
        sizes = layers.lock_sizes(project_dir, result.inputs)
    split = layers.split(result.recipe, layers.patterns(heavy), size, sizes, test_recipe)
    for name, recipe in split.recipes.items():
        write_atomic(directory / name, dumps(recipe))
    return split.notes
