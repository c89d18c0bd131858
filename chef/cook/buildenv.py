"""install-project: build the project's own local packages in the build environment that cook
prepared and install them with `--no-deps`, offline.

The PEP 517 hooks are called directly in the build environment's interpreter (no build isolation:
isolation would download the build requirements again, defeating the cached layer). Offline, what
the backend asks for through `get_requires_for_build_wheel` cannot be fetched: it is asked first
and checked against what the build environment holds, so that a requirement the recipe missed is
named in one line (with how to add it) instead of surfacing as the backend's traceback.

Every check runs before anything is created: the venv is made only once the recipe, the project
directory, each package's build configuration, the build environment and the backends' answers
are known to be good.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from chef import scm_version
from chef.cook import installers, process
from chef.cook.hook import _backend, _Build, _Hook
from chef.cook.run import TargetSpec, resolve_target
from chef.cook.target import Target, probe, venv_python
from chef.errors import InputError, InstallError, TargetEnvironmentError, UsageError
from chef.model import LocalPackage, canonical
from chef.recipe import Recipe, load

if TYPE_CHECKING:
    from chef.cook.platform import TargetPlatform


Echo = Callable[[str], None]


def build_order(packages: Dict[str, LocalPackage]) -> List[LocalPackage]:
    """Local packages, dependencies first (ties by name, cycles broken by name)."""
    order: List[LocalPackage] = []
    state: Dict[str, int] = {}

    def deps_of(p: LocalPackage) -> List[str]:
        return sorted(n for n in p.requires if n in packages and n != p.name)

    def visit(name: str) -> None:
        if state.get(name):
            return
        state[name] = 1
        for dep in deps_of(packages[name]):
            visit(dep)
        state[name] = 2
        order.append(packages[name])

    for name in sorted(packages):
        visit(name)
    return order


def missing_requirements(
    requires: Sequence[str], installed: Mapping[str, str], env: Mapping[str, str]
) -> List[Tuple[str, str]]:
    """(canonical name, text) of each requirement in `requires` whose marker holds in `env` and
    that no distribution in `installed` (name -> version) satisfies."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier
    from packaging.version import InvalidVersion

    have = {canonical(name): version for name, version in installed.items()}
    out: List[Tuple[str, str]] = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            out.append(("", f"{text!r} (not a valid requirement)"))
            continue
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        name = canonical(req.name)
        version = have.get(name)
        if version is None:
            out.append((name, text))
            continue
        try:
            ok = not req.specifier or req.specifier.contains(version, prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            ok = False
        if not ok:
            out.append((name, f"{text} (it has {name} {version})"))
    return out


def _missing_hint(recipe: Recipe, package: LocalPackage, names: Sequence[str]) -> str:
    """How to get the missing requirements into the build environment, from what the recipe
    says about them."""
    switched = sorted(
        {
            variable
            for variable, requirements in package.build_requires_env
            for r in requirements
            if _name(r) in names
        }
    )
    if switched:
        return (
            f"cook installs it only when {' or '.join(switched)} is 1 or true in its own "
            "environment: set it before `chef cook` too (a Dockerfile ENV above it), not only for "
            "install-project"
        )
    in_recipe = {
        _name(r)
        for p in recipe.local_packages.values()
        if p.installable
        for r in p.build_requires
    }
    if all(name in in_recipe for name in names):
        return (
            "the recipe has it: run `chef cook` (without --no-build-deps) with the same "
            "--venv/--python/--build-env first"
        )
    return (
        "add it to [build-system].requires or to the build hook's `dependencies`, then run "
        "`chef prepare` and `chef cook` again"
    )


def _name(requirement: str) -> str:
    from packaging.requirements import Requirement

    return canonical(Requirement(requirement).name)


def _check(recipe: Recipe, build_env: Path, hook: _Hook) -> None:
    """Ask the backend what it needs and refuse, in one line, what the build env lacks."""
    build = hook.build
    result = hook.ask("requires")
    if "import_error" in result:
        where = f" (backend-path {', '.join(build.backend_path)})" if build.backend_path else ""
        raise InstallError(
            f"cannot import the build backend {build.backend}{where} in the build environment "
            f"{build_env}: {result['import_error']}",
            path=build.display,
            hint="add the package that provides it to [build-system].requires, then run "
            "`chef prepare` and `chef cook` again",
        )
    if "error" in result:
        raise InstallError(str(result["error"]), path=build.display)
    missing = missing_requirements(
        [str(r) for r in result.get("requires", [])],
        dict(result.get("installed", {})),
        dict(result.get("env", {})),
    )
    if missing:
        raise InstallError(
            f"the build backend {build.backend} asks for {', '.join(t for _, t in missing)}, "
            f"which the build environment {build_env} does not have",
            path=build.display,
            hint=_missing_hint(recipe, build.package, [n for n, _ in missing if n]),
        )


def _cooked_for(build_env: Path, platform: Optional[str]) -> Optional[Tuple[str, str]]:
    """(platform, libc) the venv is for, when not this machine's: `--platform`, or what
    `chef cook --platform` recorded in the build environment (they must agree)."""
    from chef.cook.run import PLATFORM_RECORD

    recorded: Optional[Tuple[str, str]] = None
    record = build_env / PLATFORM_RECORD
    if record.is_file():
        try:
            data = json.loads(record.read_text("utf-8"))
            recorded = (str(data["platform"]), str(data["libc"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise TargetEnvironmentError(
                "unreadable record of the platform cooked for", path=str(record),
                hint="run `chef cook` again",
            ) from None
    if platform is None:
        return recorded
    from chef.cook.platform import parse_platform

    wanted = parse_platform(platform)[0]
    if recorded is not None and recorded[0] != wanted:
        raise TargetEnvironmentError(
            f"the venv was cooked for {recorded[0]}, not {wanted}",
            path=str(build_env),
            hint="give install-project the --platform given to `chef cook`",
        )
    return recorded if recorded is not None else (wanted, "auto")


def _target_platform(cross: Tuple[str, str], target: Target) -> Optional[TargetPlatform]:
    """The TargetPlatform of a cross install-project, None when it is this machine's."""
    from chef.cook.platform import target_platform

    platform, same = target_platform(cross[0], cross[1], None, target.env, target.glibc,
                                     target.python, target.abiflags)
    return None if same else platform


def _check_portable(
    builds: Sequence[_Build], wheels: Sequence[str], platform: TargetPlatform
) -> None:
    """Refuse a wheel built here that the target cannot install (a compiled local package)."""
    for build, wheel in zip(builds, wheels):
        name = Path(wheel).name
        parts = name[:-4].rsplit("-", 3)
        if len(parts) == 4 and platform.accepts("-".join(parts[1:])):
            continue
        raise TargetEnvironmentError(
            f"{build.package.name} built here as {name}, a wheel for this machine, not for "
            f"{platform.docker}: a compiled local package cannot be cross-built",
            path=build.display,
            hint="build and install it in a stage of the target platform (under emulation: "
            "chef install-project there, without --platform); pure-Python packages "
            "(py3-none-any wheels) need no such stage",
        )


@process.takes_runner
def install_project(
    recipe_path: Path,
    spec: TargetSpec = TargetSpec(),
    *,
    project_dir: Optional[Path] = None,
    editable: bool = False,
    installer: str = "auto",
    packages: Sequence[str] = (),
    quiet: bool = False,
    echo: Echo = print,
    platform: Optional[str] = None,
    layer_dir: Optional[Path] = None,
    runner: Optional[process.Runner] = None,
    version: Optional[str] = None,
) -> List[str]:
    """Build and install the recipe's installable local packages from `project_dir` (default:
    the current directory, as for `chef prepare`: in Docker, the WORKDIR after `COPY . .`).

    `platform` (Docker's spelling), or the one `chef cook --platform` recorded in the build
    environment: the venv is for another platform. The packages are built here all the same (the
    build environment is this machine's), which is right for pure-Python ones (a `py3-none-any`
    wheel installs anywhere); a package whose wheel is for this machine only (compiled) is
    refused before anything is installed: it must be built in a stage of the target platform.

    `layer_dir`: also write the files this installs into the venv there (chef.cook.layer).
    `runner`: starts its processes that run to their end (`chef.cook.process`; tests give a
    fake one); the build hooks, which answer several commands, are `process.spawn`ed.
    `version` (checked with chef.scm_version.check_version): handed to the build backend of
    each package whose version comes from git (chef.scm_version), for a tree without `.git`."""
    if platform is not None:
        from chef.cook.platform import parse_platform

        parse_platform(platform)
    recipe_path = Path(os.path.abspath(recipe_path))
    recipe = load(recipe_path)
    root = Path(os.path.abspath(project_dir if project_dir is not None else "."))
    backend = installers.choose(installer)
    if spec.venv is not None and spec.python is not None:
        raise TargetEnvironmentError("--venv and --python exclude each other")
    spec = spec.with_default()
    if layer_dir is not None:
        from chef.cook.layer import check_layer_dir

        if spec.venv is None:
            raise UsageError("--layer-dir exports files of a venv", hint="give --venv")
        check_layer_dir(layer_dir, spec.venv)
    local = {n: p for n, p in recipe.local_packages.items() if p.installable}
    if packages:
        wanted = {canonical(p) for p in packages}
        unknown = wanted - set(local)
        if unknown:
            raise InputError(
                f"no installable local package {', '.join(sorted(unknown))} in the recipe",
                path=str(recipe_path),
            )
        local = {n: p for n, p in local.items() if n in wanted}
    if not local:
        echo("chef: the recipe has no local package to install")
        if layer_dir is not None:
            layer_dir.mkdir(parents=True, exist_ok=True)  # an empty layer: COPY still finds it
        return []
    build_env = Path(os.path.abspath(spec.default_build_env()))
    build_python = venv_python(build_env)
    if not build_python.exists():
        raise TargetEnvironmentError(
            f"no build environment at {build_env}",
            hint="run `chef cook` first with the same --venv/--python (or --build-env)",
        )
    builds: List[_Build] = []
    for package in build_order(local):
        source = root / package.path if package.path != "." else root
        if not source.is_dir():
            raise InputError(
                f"local package {package.name} not found at {source}",
                hint="COPY the project before install-project; --project-dir, the current "
                "directory by default, is the directory `chef prepare` read",
            )
        name, path, display = _backend(source)
        scm = scm_version.for_build(source, display, version)
        builds.append(_Build(package, source, display, name, path, scm, version))
    cross = _cooked_for(build_env, platform)
    if cross is not None and editable:
        raise TargetEnvironmentError(
            f"an editable install into a venv cooked for {cross[0]} points at this machine's "
            "source tree",
            hint="install-project without --editable (the runtime stage copies the venv)",
        )
    kind = "editable" if editable else "wheel"
    with contextlib.ExitStack() as stack:
        hooks: List[_Hook] = []
        for build in builds:  # one after another: the first refusal stops here
            hooks.append(stack.enter_context(_Hook(str(build_python), build, kind, quiet)))
            _check(recipe, build_env, hooks[-1])
        _build_and_install(spec, backend, hooks, cross, layer_dir, quiet, echo, editable)
    return [build.package.name for build in builds]


def _install_target(
    spec: TargetSpec, backend: installers.Backend, echo: Echo, cross: Optional[Tuple[str, str]]
) -> Tuple[str, Optional[TargetPlatform], bool]:
    """(the target's interpreter, the platform of a cross install or None, whether the target was
    probed). Into an existing venv of this machine only the interpreter's path is needed, so it
    is not started here (one process less); a venv whose interpreter does not run is reported
    when the installer fails (`_install`)."""
    if cross is None and spec.venv is not None:
        python = venv_python(spec.venv)
        if python.exists():
            return str(python), None, False
    target = resolve_target(spec, backend, echo, create=True)
    return target.python, _target_platform(cross, target) if cross is not None else None, True


def _build_and_install(
    spec: TargetSpec, backend: installers.Backend, hooks: Sequence[_Hook],
    cross: Optional[Tuple[str, str]], layer_dir: Optional[Path], quiet: bool, echo: Echo,
    editable: bool = False,
) -> None:
    """Everything was checked: build each package's wheel with its hook, install them, and with
    `layer_dir` compile the new modules and export what was added."""
    before = None
    venv = spec.venv if layer_dir is not None else None  # the venv whose additions are exported
    if venv is not None and not venv_python(venv).exists():
        from chef.cook.layer import snapshot

        before = snapshot(venv)  # before the venv is made
    python, target_platform, probed = _install_target(spec, backend, echo, cross)
    wheels: List[str] = []
    with tempfile.TemporaryDirectory(prefix="chef-wheels-") as tmp:
        for hook in hooks:
            build = hook.build
            if not quiet:
                echo(f"chef: building {build.package.name} ({build.package.path})")
            hook.send("build", outdir=tmp)
            if venv is not None and before is None:
                from chef.cook.layer import snapshot

                before = snapshot(venv)  # while the first package builds (not into the venv)
            result = hook.answer("build")
            wheel = result.get("wheel")
            if not isinstance(wheel, str) or not (Path(tmp) / wheel).is_file():
                raise InstallError(
                    f"building {build.package.name} with {build.backend} gave no wheel "
                    f"({result.get('import_error') or wheel!r})",
                    path=build.display,
                )
            wheels.append(str(Path(tmp) / wheel))
        if target_platform is not None:
            _check_portable([hook.build for hook in hooks], wheels, target_platform)
        env: Optional[Dict[str, str]] = None
        compile_new = False
        if before is not None and backend.name == "uv":
            from chef.cook.layer import without_uv_compile

            env, compile_new = without_uv_compile(None)
        try:
            installers.run(backend.install_paths(python, wheels, quiet), "installing the project",
                           quiet, env=env)
        except InstallError:
            if not probed:  # the interpreter itself does not run: say so, as the probe did
                probe(python)
            raise
        from chef.cook.direct_url import point_at_sources

        # The venv, or the prefix of the interpreter --python named (bin/python's grandparent).
        prefix = spec.venv if spec.venv is not None else Path(python).parent.parent
        point_at_sources(prefix, {w: h.build.source for w, h in zip(wheels, hooks)}, editable)
    if before is not None and venv is not None:
        from chef.cook.layer import compile_files, finish_layer

        def compile_sources(sources: List[str]) -> Optional[List[str]]:
            """The project's new modules, by the hook's interpreter when it is the target's own
            (no new process; it writes only their __pycache__ directories), else by the
            target's (`compile_files`)."""
            hook = hooks[-1]
            if os.path.realpath(hook.python) == os.path.realpath(python) and len(sources) <= 200:
                try:
                    if hook.ask("compile", files=sources).get("compiled"):
                        return [os.path.join(os.path.dirname(s), "__pycache__") for s in sources]
                except InstallError:  # the hook is gone: the target's interpreter compiles them
                    pass
            compile_files(python, sources)
            return None

        finish_layer(venv, before, python, compile_new, layer_dir, quiet, echo,
                     what="install-project", compile=compile_sources)
