"""Recipe + the target's marker environment -> InstallPlan: what to install, from where, how.

Pure functions over data: nothing here runs a process. A locked recipe becomes pinned, hashed lines
installed without resolution (`--no-deps`), one batch per index so that every package is fetched
from the index its lock names; an unlocked recipe becomes requirement lines the installer resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Literal, Mapping, Optional, Set, Tuple

from packaging.specifiers import SpecifierSet

from chef.cook.markers import conflict_names, evaluator
from chef.cook.urls import is_url
from chef.errors import TargetEnvironmentError
from chef.model import ENV_ON, Dep, IndexConfig, LockedPackage, replace
from chef.recipe import Recipe
from chef.select import Reached, walk

if TYPE_CHECKING:
    from chef.cook.platform import TargetPlatform

# A local directory with a wheel of (name, version) for the target, or None (chef.cook.run).
FindWheel = Callable[[str, str], Optional[str]]
Evaluate = Callable[[Optional[str], str], bool]  # (marker, extra) -> true for the target


# Where an installer call may look (`None` index_url: the installer's own default): the recipe's
# own index fields, the same class, so that the field list is written once (chef.model).
IndexOptions = IndexConfig


@dataclass(frozen=True)
class Overrides:
    """cook's command-line index options; they win over the recipe's."""

    index_url: Optional[str] = None
    extra_index_urls: Tuple[str, ...] = ()
    find_links: Tuple[str, ...] = ()
    no_index: bool = False

    def apply(self, options: IndexOptions, pinned: bool = False) -> IndexOptions:
        """`pinned`: the lock names this batch's index explicitly; --index-url and
        --extra-index-url replace only the default index, --no-index and --find-links apply to
        every batch."""
        if self.no_index:
            options = replace(options, index_url=None, extra_index_urls=(), no_index=True)
        elif self.index_url and not pinned:
            options = replace(options, index_url=self.index_url, no_index=False)
        extra = options.extra_index_urls + (() if pinned else self.extra_index_urls)
        return replace(
            options, extra_index_urls=extra, find_links=options.find_links + self.find_links
        )


@dataclass(frozen=True)
class Line:
    """One requirement line for the installer; `label` is for humans (dry run)."""

    requirement: str
    hashes: Tuple[str, ...] = ()
    label: str = ""

    def render(self) -> str:
        return " ".join([self.requirement] + [f"--hash={h}" for h in self.hashes])


# What a batch installs (the dry run and the installer's error say it); "build requirements" go
# into the build environment, the others into the target.
Purpose = Literal[
    "dependencies",
    "wheels for the target from --find-links (not in the lock: no hashes)",
    "build requirements",
]


@dataclass(frozen=True)
class Batch:
    """One installer call."""

    lines: Tuple[Line, ...]
    options: IndexOptions
    no_deps: bool
    require_hashes: bool
    constraints: Tuple[Line, ...] = ()
    purpose: Purpose = "dependencies"
    platform: Optional[TargetPlatform] = None  # a cross-cook: wheels for this platform only


@dataclass
class InstallPlan:
    locked: bool
    batches: List[Batch] = field(default_factory=list)
    build_batch: Optional[Batch] = None
    skipped: List[str] = field(default_factory=list)  # markers false for this target
    build_off: List[str] = field(default_factory=list)  # build requirements not switched on
    platform: Optional[TargetPlatform] = None  # a cross-cook's target
    # A cross-cook: packages with no wheel for the target ("name==version (why)"), which cook
    # refuses before installing anything; those taken from a --find-links wheel instead.
    no_wheel: List[str] = field(default_factory=list)
    target_wheels: List[str] = field(default_factory=list)
    unknown_files: bool = False  # a cross-cook of a recipe that lists no wheel files
    # A layer recipe: (name, version) of the packages an earlier layer installed, which this
    # target needs (cook checks the venv holds them).
    earlier: List[Tuple[str, str]] = field(default_factory=list)
    earlier_missing: List[str] = field(default_factory=list)  # not in the venv: installed here

    def all_batches(self) -> List[Batch]:
        """Every installer call: the target's batches, then the build environment's."""
        return self.batches + ([self.build_batch] if self.build_batch is not None else [])

    def map_options(self, fix: Callable[[IndexConfig], IndexConfig]) -> None:
        """Every batch's index options through `fix` (chef.cook.urls: where they point)."""
        self.batches = [replace(b, options=fix(b.options)) for b in self.batches]
        if self.build_batch is not None:
            self.build_batch = replace(self.build_batch, options=fix(self.build_batch.options))


def check_requires_python(recipe: Recipe, env: Mapping[str, str]) -> None:
    if recipe.requires_python is None:
        return
    version = env["python_full_version"]
    if not SpecifierSet(recipe.requires_python).contains(version, prereleases=True):
        raise TargetEnvironmentError(
            f"target Python {version} does not satisfy the project's requires-python "
            f"{recipe.requires_python!r}",
            hint="use a base image or --python with a matching interpreter",
        )


def _locked_line(package: LockedPackage) -> Line:
    label = f"{package.name}=={package.version}"
    if package.source.kind == "git":
        return Line(
            f"{package.name} @ {package.source.url}", (), label + f" ({package.source.url})"
        )
    if package.source.kind == "url":
        return Line(f"{package.name} @ {package.source.url}", package.hashes, label)
    return Line(f"{package.name}=={package.version}", package.hashes, label)


def build_lines(recipe: Recipe, environ: Mapping[str, str]) -> Tuple[List[Line], List[str]]:
    """The build environment's requirements: every installable local package's
    `build_requires`, plus those of its `build_requires_env` whose variable is on in `environ`
    (cook's own environment: in Docker the stage's ENV, which install-project's build sees too).
    Also returns, for the dry run, those left out and what would switch them on."""
    packages = [p for p in recipe.local_packages.values() if p.installable]
    always = {r for p in packages for r in p.build_requires}
    on: Dict[str, Set[str]] = {}
    off: Dict[str, Set[str]] = {}
    for package in packages:
        for variable, requirements in package.build_requires_env:
            side = on if environ.get(variable) in ENV_ON else off
            for requirement in requirements:
                side.setdefault(requirement, set()).add(variable)
    lines = [Line(r, (), r) for r in always]
    lines += [
        Line(r, (), f"{r} ({' or '.join(sorted(on[r]))} is on)") for r in on if r not in always
    ]
    left_out = [
        f"{r} (when {' or '.join(sorted(v))} is 1 or true)"
        for r, v in sorted(off.items())
        if r not in always and r not in on
    ]
    return sorted(lines, key=lambda line: line.requirement), left_out


def no_wheel_reason(package: LockedPackage, platform: TargetPlatform) -> Optional[str]:
    """Why a locked package cannot be cross-cooked for `platform` (it would have to be built
    from source, for the build machine), from what the recipe says of its files; None when it
    can (or when the recipe does not say: then the installer decides)."""
    source = package.source
    if source.kind == "git":
        return "a git source: built from source"
    if source.kind == "url":
        filename = (source.url or "").partition("#")[0].partition("?")[0].rsplit("/", 1)[-1]
        if not filename.endswith(".whl"):
            return f"a source archive ({filename}): built from source"
        parts = filename[:-4].rsplit("-", 3)
        if len(parts) == 4 and platform.accepts("-".join(parts[1:])):
            return None
        return f"its wheel {filename} is for another platform"
    if package.wheels is None or any(platform.accepts(t) for t in package.wheels):
        return None
    if not package.wheels:
        return "sdist only"
    shown = ", ".join(package.wheels[:3])
    more = f" and {len(package.wheels) - 3} more" if len(package.wheels) > 3 else ""
    return f"Linux wheels only for {shown}{more}"


# Managers whose locks list every file of a locked version (so recipe `wheels` is known).
FILE_LISTS = ("uv", "poetry", "pdm", "pylock")


def plan(
    recipe: Recipe,
    env: Mapping[str, str],
    overrides: Overrides = Overrides(),
    *,
    build_deps: bool = True,
    environ: Optional[Mapping[str, str]] = None,
    platform: Optional[TargetPlatform] = None,
    build_markers: Optional[Mapping[str, str]] = None,
    find_wheel: Optional[FindWheel] = None,
    present: Optional[Mapping[str, str]] = None,
) -> InstallPlan:
    """`env`: the target's marker environment; `platform`: a cross-cook's target (wheels only,
    checked here against the recipe's `wheels`), whose build environment is the build
    machine's (`build_markers`, its marker environment). `present`: name -> version of what
    the venv holds, for a layer recipe's `earlier` packages (None: not known)."""
    check_requires_python(recipe, env)
    evaluate = evaluator(
        env, conflict_names(recipe.local_packages, recipe.extras, recipe.groups)
    )
    reached = walk(recipe.roots, recipe.locked, evaluate)
    base = overrides.apply(recipe.index)
    result = InstallPlan(locked=recipe.is_locked, platform=platform)
    if platform is not None:
        result.unknown_files = recipe.manager not in FILE_LISTS
    if recipe.locked is not None:
        _plan_locked(result, recipe, recipe.locked, reached, base, overrides, find_wheel, present)
    else:
        _plan_unlocked(result, recipe, reached, base, evaluate)
    if build_deps:
        _plan_build(result, recipe, environ or {}, base, evaluate, build_markers)
    return result


def _plan_locked(
    result: InstallPlan, recipe: Recipe, locked: Mapping[str, LockedPackage], reached: Reached,
    base: IndexOptions, overrides: Overrides, find_wheel: Optional[FindWheel],
    present: Optional[Mapping[str, str]],
) -> None:
    """Pinned, hashed lines without resolution: one batch per index the lock names, and (a
    cross-cook) one per --find-links directory with wheels for the target."""
    platform = result.platform
    groups: Dict[Tuple[Optional[str], bool], List[Line]] = {}
    local: Dict[str, List[Line]] = {}  # find-links directory -> lines
    for key in sorted(reached.locked):
        package = locked[key]
        if key in recipe.earlier:
            have = None if present is None else present.get(package.name)
            if present is None or have is not None:
                # In the venv (cook checks the version), or not known (a dry run).
                result.earlier.append((package.name, package.version))
                continue
            # Not in the venv: the earlier layers did not install it for this target (a
            # test group needs a package production needs elsewhere only): install it here.
            result.earlier_missing.append(f"{package.name}=={package.version}")
        line = _locked_line(package)
        why = no_wheel_reason(package, platform) if platform is not None else None
        if why is not None:
            label = f"{package.name}=={package.version}"
            directory = find_wheel(package.name, package.version) if find_wheel else None
            if directory is None:
                result.no_wheel.append(f"{label} ({why})")
            else:
                result.target_wheels.append(f"{label} from {directory}")
                local.setdefault(directory, []).append(Line(label, (), label))
            continue
        index = package.source.url if package.source.kind == "registry" else None
        groups.setdefault((index, bool(line.hashes)), []).append(line)
    for (index, hashed), lines in sorted(
        groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        options = base
        if index is not None:
            pre = recipe.index.pre
            if is_url(index):
                pinned = IndexOptions(index_url=index, pre=pre)
            else:  # a flat directory of the project's, used as find-links
                pinned = IndexOptions(find_links=(index,), no_index=True, pre=pre)
            options = overrides.apply(pinned, pinned=True)
        result.batches.append(Batch(tuple(lines), options, no_deps=True, require_hashes=hashed,
                                    platform=platform))
    for directory, lines in sorted(local.items()):
        # Wheels built for the target by the user: the lock has no hash for them.
        result.batches.append(Batch(
            tuple(lines), IndexOptions(find_links=(directory,), no_index=True),
            no_deps=True, require_hashes=False, platform=platform,
            purpose="wheels for the target from --find-links (not in the lock: no hashes)",
        ))
    unreached = sorted(set(locked) - set(reached.locked))
    result.skipped = [f"{locked[k].name}=={locked[k].version}" for k in unreached]


def _plan_unlocked(
    result: InstallPlan, recipe: Recipe, reached: Reached, base: IndexOptions,
    evaluate: Evaluate,
) -> None:
    """Requirement lines (and constraints) for the installer to resolve, in one batch."""
    by_text: Dict[str, Line] = {}
    for dep in reached.leaves:
        text = Dep(
            name=dep.name, specifier=dep.specifier, extras=dep.extras, url=dep.url
        ).requirement_string()
        line = Line(text, dep.hashes, text)
        by_text[line.render()] = line
    constraints = tuple(
        Line(
            Dep(
                name=c.name, specifier=c.specifier, extras=c.extras, url=c.url
            ).requirement_string(),
            c.hashes,
        )
        for c in recipe.constraints
        if evaluate(c.marker, "")
    )
    if by_text:
        all_lines = tuple(by_text[k] for k in sorted(by_text))
        result.batches.append(
            Batch(
                all_lines,
                base,
                no_deps=False,
                require_hashes=any(line.hashes for line in all_lines),
                constraints=constraints,
                platform=result.platform,
            )
        )


def _plan_build(
    result: InstallPlan, recipe: Recipe, environ: Mapping[str, str], base: IndexOptions,
    evaluate: Evaluate, build_markers: Optional[Mapping[str, str]],
) -> None:
    """The build environment's batch."""
    build, result.build_off = build_lines(recipe, environ)
    if build:
        # The build environment is the interpreter's too: the same markers as the target,
        # except in a cross-cook, where it runs on the build machine.
        evaluate_build = evaluate if build_markers is None else evaluator(build_markers)
        pins = tuple(
            Line(Dep(name=c.name, specifier=c.specifier, url=c.url).requirement_string())
            for c in recipe.build_constraints
            if evaluate_build(c.marker, "")
        )
        result.build_batch = Batch(
            tuple(build),
            replace(base, pre=False),
            no_deps=False,
            require_hashes=False,
            constraints=pins,
            purpose="build requirements",
        )
