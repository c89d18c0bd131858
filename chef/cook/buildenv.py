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
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from chef.cook import installers
from chef.cook.run import TargetSpec, resolve_target
from chef.cook.target import MARKER_ENV, Target, probe, venv_python
from chef.errors import EnvironmentError_, InputError, InstallError, UsageError
from chef.model import LocalPackage, canonical
from chef.recipe import Recipe, load
from chef.toml import load_toml

if TYPE_CHECKING:
    from chef.cook.platform import TargetPlatform

# Runs in the build environment, one process per local package, for the whole install-project:
# it answers the commands chef writes to its stdin, one JSON line each, with one JSON line on the
# original stdout: "requires" (what the backend asks for, checked by chef before anything is
# built), "build" (the wheel), then, when it is the target's own interpreter, "compile" (the
# bytecode of the project's new modules): one interpreter start and one backend import instead of
# one per step. The backend's own output (and its subprocesses') goes to stderr, or nowhere when
# quiet, so it never mixes with the results; its stdin is the null device (as pip gives it), the
# pipe being chef's. EOF on stdin: exit.
_HOOK = MARKER_ENV + r"""
import importlib, json, os, sys
cfg = json.loads(sys.argv[1])
commands = os.fdopen(os.dup(0), "r")
null_in = os.open(os.devnull, os.O_RDONLY)
os.dup2(null_in, 0)
os.close(null_in)
result_fd = os.dup(1)
if cfg["quiet"]:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
else:
    os.dup2(2, 1)
results = os.fdopen(result_fd, "w")

def reply(result):
    sys.stdout.flush()
    results.write(json.dumps(result) + "\n")
    results.flush()

sys.path[:0] = [os.path.abspath(p) for p in cfg["backend_path"]]
module, _, attr = cfg["backend"].partition(":")
try:
    backend = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        backend = getattr(backend, part)
except (ImportError, AttributeError) as exc:
    reply({"import_error": "%s: %s" % (type(exc).__name__, exc)})
    sys.exit(0)
kind = cfg["kind"]

def requires():
    if getattr(backend, "build_" + kind, None) is None:
        return {"error": "the build backend has no build_" + kind + " hook (PEP 660)"}
    get_requires = getattr(backend, "get_requires_for_build_" + kind, None)
    requires = [str(r) for r in get_requires({})] if get_requires else []
    from importlib import metadata
    installed = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in installed:  # the first on sys.path, as an import finds it
            installed[name] = dist.version
    return {"requires": requires, "installed": installed, "env": marker_env()}

def compile_files(files):
    # As `python -I -m compileall -q -q -i -` makes them, which ignores PYTHONOPTIMIZE and
    # PYTHONPYCACHEPREFIX: with either in effect here chef runs that command instead.
    if sys.flags.optimize or getattr(sys, "pycache_prefix", None):
        return {"compiled": False}
    import compileall
    for name in files:
        compileall.compile_file(name, quiet=2)
    return {"compiled": True}

for line in commands:
    command = json.loads(line)
    step = command["step"]
    if step == "requires":
        reply(requires())
    elif step == "build":
        reply({"wheel": getattr(backend, "build_" + kind)(command["outdir"], {}, None)})
    elif step == "compile":
        reply(compile_files(command["files"]))
"""

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

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


@dataclass(frozen=True)
class _Build:
    """One local package to build: where, with which backend, and the path errors show."""

    package: LocalPackage
    source: Path  # absolute
    display: str  # absolute: the pyproject.toml (or directory) errors name
    backend: str
    backend_path: Tuple[str, ...]


def _backend(source_dir: Path) -> Tuple[str, Tuple[str, ...], str]:
    """(backend, backend-path, display) of the package at `source_dir` (absolute)."""
    pyproject = source_dir / "pyproject.toml"
    if not pyproject.is_file():
        if (source_dir / "setup.py").is_file():
            return LEGACY_BACKEND, (), str(source_dir / "setup.py")
        raise InputError(
            "no pyproject.toml or setup.py to build",
            path=str(source_dir),
            hint="COPY the whole project before install-project; --project-dir, the current "
            "directory by default, is the directory `chef prepare` read",
        )
    display = str(pyproject)
    system = load_toml(pyproject, display).get("build-system") or {}
    if not isinstance(system, dict):
        raise InputError("[build-system] must be a table", path=display)
    backend = system.get("build-backend") or LEGACY_BACKEND
    backend_path = system.get("backend-path") or []
    if (
        not isinstance(backend, str)
        or not isinstance(backend_path, list)
        or not all(isinstance(p, str) for p in backend_path)
    ):
        raise InputError("invalid [build-system] build-backend/backend-path", path=display)
    return backend, tuple(backend_path), display


class _Hook:
    """The build environment's interpreter running `_HOOK` for one package: `ask` sends one
    command and returns the backend's answer. Used as a context manager: on exit its stdin is
    closed and it is waited for (killed when chef leaves on an error)."""

    def __init__(self, build_python: str, build: _Build, kind: str, quiet: bool) -> None:
        self.build = build
        self.python = build_python
        self.sent = False
        cfg = {
            "backend": build.backend,
            "backend_path": list(build.backend_path),
            "kind": kind,
            "quiet": quiet,
        }
        # PEP 517: the build requirements' scripts must be on PATH (uv_build runs `uv-build`).
        scripts = str(Path(build_python).parent)
        env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
        self.process = _spawn([build_python, "-c", _HOOK, json.dumps(cfg)], build.source, env,
                              build_python)

    def ask(self, step: str, **arguments: Any) -> Dict[str, Any]:
        """The answer to one command (`send`, then `answer`)."""
        self.send(step, **arguments)
        return self.answer(step)

    def send(self, step: str, **arguments: Any) -> None:
        """One command: the hook works on it while chef does something else."""
        process = self.process
        self.sent = False
        if process.stdin is not None:
            try:
                process.stdin.write(json.dumps({"step": step, **arguments}).encode() + b"\n")
                process.stdin.flush()
                self.sent = True
            except OSError:  # the process is gone: `answer` says so
                pass

    def answer(self, step: str) -> Dict[str, Any]:
        """The answer to the command sent; a backend that failed (it printed its error) or a
        process that is gone: one line, InstallError."""
        process = self.process
        result: Any = None
        if self.sent and process.stdout is not None:
            try:
                result = json.loads(process.stdout.readline().decode("utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                result = None
        if not isinstance(result, dict):
            self.close(wait=True)
            what = "asking" if step == "requires" else ("building" if step == "build"
                                                         else "compiling")
            build = self.build
            raise InstallError(
                f"{what} {build.package.name} with {build.backend} failed; the backend's error "
                "is above",
                path=build.display,
                hint="are its build requirements in the recipe? run `chef cook` first",
            )
        return result

    def close(self, wait: bool = True) -> None:
        process = self.process
        if process.stdin is not None and not process.stdin.closed:
            try:
                process.stdin.close()
            except OSError:
                pass
        if not wait:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> _Hook:
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        self.close(wait=kind is None)


def _spawn(argv: List[str], cwd: Path, env: Dict[str, str],
           python: str) -> subprocess.Popen[bytes]:
    """install-project's one way to start a process of its own (the hooks): stdin and stdout
    are pipes to chef, stderr is chef's."""
    try:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
    except OSError as exc:
        raise EnvironmentError_(
            f"cannot run the build environment's interpreter: {exc.strerror or exc}",
            path=python,
            hint="run `chef cook` again to recreate it",
        ) from None


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
            raise EnvironmentError_(
                "unreadable record of the platform cooked for", path=str(record),
                hint="run `chef cook` again",
            ) from None
    if platform is None:
        return recorded
    from chef.cook.platform import parse_platform

    wanted = parse_platform(platform)[0]
    if recorded is not None and recorded[0] != wanted:
        raise EnvironmentError_(
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
        raise EnvironmentError_(
            f"{build.package.name} built here as {name}, a wheel for this machine, not for "
            f"{platform.docker}: a compiled local package cannot be cross-built",
            path=build.display,
            hint="build and install it in a stage of the target platform (under emulation: "
            "chef install-project there, without --platform); pure-Python packages "
            "(py3-none-any wheels) need no such stage",
        )


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
) -> List[str]:
    """Build and install the recipe's installable local packages from `project_dir` (default:
    the current directory, as for `chef prepare`: in Docker, the WORKDIR after `COPY . .`).

    `platform` (Docker's spelling), or the one `chef cook --platform` recorded in the build
    environment: the venv is for another platform. The packages are built here all the same (the
    build environment is this machine's), which is right for pure-Python ones (a `py3-none-any`
    wheel installs anywhere); a package whose wheel is for this machine only (compiled) is
    refused before anything is installed: it must be built in a stage of the target platform.

    `layer_dir`: also write the files this installs into the venv there (chef.cook.layer)."""
    if platform is not None:
        from chef.cook.platform import parse_platform

        parse_platform(platform)
    recipe_path = Path(os.path.abspath(recipe_path))
    recipe = load(recipe_path)
    root = Path(os.path.abspath(project_dir if project_dir is not None else "."))
    backend = installers.choose(installer)
    if spec.venv is not None and spec.python is not None:
        raise EnvironmentError_("--venv and --python exclude each other")
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
        raise EnvironmentError_(
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
        builds.append(_Build(package, source, display, name, path))
    cross = _cooked_for(build_env, platform)
    if cross is not None and editable:
        raise EnvironmentError_(
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
        _build_and_install(spec, backend, hooks, cross, layer_dir, quiet, echo)
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
