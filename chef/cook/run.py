"""`chef cook` as a function: load the recipe (`cook_with`), plan for the target (`_plan`: a
native cook or a cross-cook), execute (`_execute`: run the installer for each batch)."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from chef.cook import credentials, installers, process, stacked, urls
from chef.cook.plan import Batch, InstallPlan, Overrides, plan
from chef.cook.target import Target, probe, venv_python
from chef.errors import ChefError, TargetEnvironmentError, Terminated, UsageError
from chef.recipe import Recipe, load

if TYPE_CHECKING:
    from chef.cook.platform import TargetPlatform

Echo = Callable[[str], None]


@dataclass(frozen=True)
class TargetSpec:
    venv: Optional[Path] = None
    python: Optional[str] = None
    build_env: Optional[Path] = None

    def default_build_env(self) -> Path:
        """A sibling of the venv (so a runtime stage that copies the venv leaves it behind)."""
        if self.build_env is not None:
            return self.build_env
        if self.venv is not None:
            return self.venv.parent / (self.venv.name + ".chef-build")
        import hashlib  # only here: ~2 ms that every cook with --venv would pay otherwise

        digest = hashlib.sha256(str(self.python or sys.executable).encode()).hexdigest()[:12]
        return Path.home() / ".cache" / "chef" / f"build-env-{digest}"

    def with_default(self) -> TargetSpec:
        """Neither --venv nor --python: the active virtualenv, else `.venv` (uv's convention).

        Never chef's own environment implicitly: chef lives in its own venv, the app in another.
        """
        if self.venv is not None or self.python is not None:
            return self
        own = Path(sys.prefix).resolve()
        active = os.environ.get("VIRTUAL_ENV")
        if active and Path(active).resolve() != own:
            return replace(self, venv=Path(active))
        if Path(".venv").resolve() == own:
            raise TargetEnvironmentError(
                "the default target ./.venv is chef's own environment",
                hint="pass --venv PATH or --python PATH for the app's environment",
            )
        return replace(self, venv=Path(".venv"))


def resolve_target(
    spec: TargetSpec, backend: installers.Backend, echo: Echo, create: bool
) -> Target:
    if spec.venv is not None and spec.python is not None:
        raise UsageError("--venv and --python exclude each other",
                         hint="--venv names the app's virtualenv, --python an interpreter")
    spec = spec.with_default()
    if spec.venv is not None:
        python = venv_python(spec.venv)
        if not python.exists():
            if not create:
                return _probe(sys.executable)
            echo(f"chef: creating virtual environment {spec.venv}")
            installers.run(
                backend.create_venv(spec.venv, sys.executable), "creating the venv", quiet=True
            )
        return _probe(str(python))
    return _probe(spec.python or sys.executable)


def _probe(python: str) -> Target:
    """The target interpreter's marker environment (chef.cook.target.probe). When it is the
    very binary chef runs on (a venv made from chef's interpreter, or that interpreter: the
    usual case, in Docker too), chef asks itself, with the probe's own code, instead of starting
    it once more: ~17 ms of CPU and a process start, of a cook's ~100 ms (bench/cook.py)."""
    own = _own_target(python)
    return own if own is not None else probe(python)


def _own_target(python: str) -> Optional[Target]:
    """What `probe(python)` answers, when `python` is chef's own binary (else None)."""
    try:
        if not sys.executable or not os.path.samefile(python, sys.executable):
            return None
    except OSError:  # not there: the probe says so
        return None
    from chef.cook.target import MARKER_ENV

    code: Dict[str, Any] = {}
    exec(MARKER_ENV, code)  # noqa: S102 (chef's own constant: the code the probe runs)
    try:
        glibc: Optional[str] = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        glibc = None
    return Target(python=python, env=code["marker_env"](), glibc=glibc,
                  abiflags=getattr(sys, "abiflags", ""))


def ensure_build_env(path: Path, target: Target, backend: installers.Backend, echo: Echo) -> str:
    python = venv_python(path)
    if not python.exists():
        echo(f"chef: creating build environment {path}")
        installers.run(
            backend.create_venv(path, target.python), "creating the build env", quiet=True
        )
    return str(python)


def run_batch(
    backend: installers.Backend,
    python: str,
    batch: Batch,
    quiet: bool,
    env: Optional[Dict[str, str]] = None,
    hidden: Optional[credentials.Credentials] = None,
) -> None:
    if batch.platform is not None:
        backend.cross_install(python, batch, quiet, env, hidden)
        return
    with installers.temp_dir() as tmp:
        files = installers.write_batch_files(batch, Path(tmp), hidden)
        argv = backend.install(python, files, batch, quiet)
        installers.run(argv, f"installing {batch.purpose}", quiet,
                       env=backend.batch_environment(batch, files, env), hidden=hidden)


@dataclass(frozen=True)
class Cross:
    """`chef cook --platform`: what to cook for, as given on the command line."""

    platform: str  # Docker's spelling: linux/arm64
    libc: str = "auto"
    python_version: Optional[str] = None


PLATFORM_RECORD = "chef-platform.json"  # in the build environment: install-project reads it


@dataclass(frozen=True)
class CookOptions:
    """What `chef cook` is asked for besides the recipe and the target (its command line).
    `layer_dir`: also export the files this cook adds to the venv there (chef.cook.layer)."""

    installer: str = "auto"
    overrides: Overrides = Overrides()
    build_deps: bool = True
    dry_run: bool = False
    quiet: bool = False
    credentials_file: Optional[Path] = None
    cross: Optional[Cross] = None
    layer_dir: Optional[Path] = None


class Planned:
    """The plan step's result, which the execute step (or the dry run) works from. A plain
    class, as _Layering: a dataclass costs every cook ~0.3 ms of start-up to define."""

    __slots__ = ("install_plan", "backend", "target", "python", "platform", "present")

    def __init__(
        self, install_plan: InstallPlan, backend: installers.Backend, target: Target,
        python: str, platform: Optional[TargetPlatform] = None,
        present: Optional[Dict[str, Tuple[str, str]]] = None,
    ) -> None:
        self.install_plan = install_plan
        self.backend = backend
        self.target = target  # the interpreter that owns the venv or creates it (cross: native)
        self.python = python  # the interpreter the packages are installed for
        self.platform = platform  # a cross-cook's target
        # A layer recipe: name -> (version, dist-info directory) of what the venv holds.
        self.present = present


class _Layering:
    """A cook into an existing venv, or one that exports its files (--layer-dir): whether the
    venv existed before the cook, and its files then (chef.cook.layer.snapshot)."""

    __slots__ = ("existed", "before")

    def __init__(self, existed: bool) -> None:
        self.existed = existed
        self.before: Optional[Dict[str, Tuple[int, int, int, int]]] = None


@process.takes_runner
def cook(
    recipe_path: Path,
    spec: TargetSpec = TargetSpec(),
    *,
    installer: str = "auto",
    overrides: Overrides = Overrides(),
    build_deps: bool = True,
    dry_run: bool = False,
    quiet: bool = False,
    echo: Echo = print,
    credentials_file: Optional[Path] = None,
    cross: Optional[Cross] = None,
    layer_dir: Optional[Path] = None,
    runner: Optional[process.Runner] = None,
) -> InstallPlan:
    """Load the recipe, plan for the target, install (`CookOptions` says what each option
    does). `runner`: starts this cook's processes (`chef.cook.process`; tests give a fake one).
    A cook into an existing venv (a later layer recipe's) compiles the bytecode of the
    new files only: uv's UV_COMPILE_BYTECODE would recompile (rewrite) every earlier layer's."""
    options = CookOptions(installer, overrides, build_deps, dry_run, quiet, credentials_file,
                          cross, layer_dir)
    return cook_with(recipe_path, spec, options, echo)


def cook_with(recipe_path: Path, spec: TargetSpec, options: CookOptions,
              echo: Echo = print) -> InstallPlan:
    """`cook`, with its options as one object: load -> plan -> execute."""
    _check_usage(options)  # before anything is read or created
    explicit = urls.urls_of(options.overrides)
    options = replace(options, overrides=urls.without_userinfo(options.overrides))
    hidden: Set[str] = set()
    recipe = urls.expanded(load(recipe_path), os.environ, strict=not options.dry_run, echo=echo,
                           hidden=hidden)
    masker = credentials.Credentials(hidden=hidden)
    try:
        # From here on, SIGTERM/SIGHUP unwind like Ctrl-C (no process left, no netrc left).
        with _terminated_on_signals() if not options.dry_run else contextlib.nullcontext():
            return _cook(recipe, recipe_path, spec, options, explicit, masker,
                         _masked(echo, masker))
    except ChefError as exc:  # no value from the environment in an error either
        exc.message = masker.mask(exc.message)
        exc.hint = masker.mask(exc.hint) if exc.hint else exc.hint
        exc.path = masker.mask(exc.path) if exc.path else exc.path
        raise


def _check_usage(options: CookOptions) -> None:
    """Usage errors first, before anything is read."""
    if options.layer_dir is not None:
        from chef.cook.layer import check_layer_dir

        check_layer_dir(options.layer_dir)
    if options.cross is not None:
        from chef.cook.platform import parse_libc, parse_platform

        parse_platform(options.cross.platform)
        parse_libc(options.cross.libc)


def _cook(
    recipe: Recipe, recipe_path: Path, spec: TargetSpec, options: CookOptions,
    explicit: List[str], masker: credentials.Credentials, echo: Echo,
) -> InstallPlan:
    """`explicit`: cook's own index URLs as given (with their credentials); `echo` masks what
    `masker` hides."""
    _check_local_links(recipe, recipe_path, options, echo)
    spec = spec.with_default()
    layering = _layering(spec, options)
    planned = _plan(recipe, recipe_path, spec, options, echo)
    install_plan = urls.recipe_relative(planned.install_plan, recipe_path)
    creds = credentials.collect(os.environ, options.credentials_file, explicit,
                                urls.plan_urls(install_plan))
    creds.hidden = masker.hidden
    masker.hosts = creds.hosts  # errors from here on mask these too
    urls.for_installer(install_plan, os.environ)
    echo = _masked(echo, creds)
    build_env = spec.default_build_env()
    if options.dry_run:
        from chef.cook.describe import describe

        for line in describe(install_plan, planned.backend, planned.python,
                             str(venv_python(build_env)), creds):
            echo(line)
        for line in creds.describe():
            echo(line)
        return install_plan
    _check_layers(planned, recipe_path, echo)
    _execute(planned, spec, options, creds, layering, echo)
    return install_plan


def _check_local_links(recipe: Recipe, recipe_path: Path, options: CookOptions,
                       echo: Echo) -> None:
    missing = urls.missing_local_links(recipe, options.overrides, recipe_path)
    if missing and not options.dry_run:  # before anything is created
        raise TargetEnvironmentError(
            f"find-links directory {missing[0]} does not exist",
            hint="the recipe takes packages from it; copy it next to the recipe before cooking "
            "(in Docker: COPY --from=planner /app/wheels /chef/wheels), or the installer would "
            "look for those packages on the index instead",
        )
    for link in missing:
        echo(f"warning: find-links directory {link} does not exist (cook will refuse to run)")


def _layering(spec: TargetSpec, options: CookOptions) -> _Layering:
    """Before the plan step, which may create the venv."""
    if options.layer_dir is not None:
        if spec.venv is None:
            raise UsageError("--layer-dir exports files of a venv", hint="give --venv")
        from chef.cook.layer import check_layer_dir

        check_layer_dir(options.layer_dir, spec.venv)
    layering = _Layering(existed=spec.venv is not None and venv_python(spec.venv).exists())
    if options.layer_dir is not None and spec.venv is not None and not options.dry_run:
        from chef.cook.layer import snapshot

        layering.before = snapshot(spec.venv)
    return layering


def _plan(recipe: Recipe, recipe_path: Path, spec: TargetSpec, options: CookOptions,
          echo: Echo) -> Planned:
    """The installer, the target and the install plan: a native cook, or a cross-cook (whose
    target may turn out to be this machine's own platform: then a native cook)."""
    if options.cross is not None:
        platform, native = _cross_target(options.cross, spec, echo)
        if platform is not None:
            return _plan_cross(recipe, recipe_path, spec, options, platform, native)
    return _plan_native(recipe, spec, options, echo)


def _plan_native(recipe: Recipe, spec: TargetSpec, options: CookOptions, echo: Echo) -> Planned:
    backend = installers.choose(options.installer)
    target = resolve_target(spec, backend, echo, create=not options.dry_run)
    python = target.python
    if options.dry_run and spec.venv is not None:
        python = str(venv_python(spec.venv))  # not created yet: probed with chef's interpreter
    present = stacked.present(python, recipe, options.dry_run)
    install_plan = plan(recipe, target.env, options.overrides, build_deps=options.build_deps,
                        environ=os.environ, present=_versions(present))
    return Planned(install_plan, backend, target, python, None, present)


def _plan_cross(
    recipe: Recipe, recipe_path: Path, spec: TargetSpec, options: CookOptions,
    platform: TargetPlatform, native: Target,
) -> Planned:
    """Nothing is created before the plan is known to be installable."""
    backend = installers.choose(options.installer, platform)
    if backend.name == "uv":
        platform = platform.for_uv()
    elif not recipe.is_locked:
        raise TargetEnvironmentError(
            f"cannot cook an unlocked recipe for {platform.docker} with pip: pip resolves "
            "the dependencies with this machine's markers, whatever its --platform",
            hint="lock the project (uv, poetry, pdm, pylock.toml, hashed requirements), or "
            "use uv (--installer uv), which resolves for the target",
        )
    python = str(venv_python(spec.venv)) if spec.venv is not None else native.python
    present = stacked.present(python, recipe, options.dry_run)
    install_plan = plan(
        recipe, platform.marker_env(native.env), options.overrides,
        build_deps=options.build_deps, environ=os.environ, platform=platform,
        build_markers=native.env, present=_versions(present),
        find_wheel=_wheel_finder(recipe, options.overrides, recipe_path, platform),
    )
    if install_plan.no_wheel and not options.dry_run:
        raise TargetEnvironmentError(
            f"no wheel for {platform.describe()} of {', '.join(install_plan.no_wheel)}: a "
            "cross-cook installs wheels only and cannot build these",
            hint="build them in a stage of the target platform (under emulation: cook there "
            "without --platform), or build their wheels for the target there and give cook "
            "the directory with --find-links DIR",
        )
    return Planned(install_plan, backend, native, python, platform, present)


def _versions(present: Optional[Dict[str, Tuple[str, str]]]) -> Optional[Dict[str, str]]:
    return None if present is None else {n: v for n, (v, _) in present.items()}


def _check_layers(planned: Planned, recipe_path: Path, echo: Echo) -> None:
    """A layer recipe: what its earlier layers installed is in the venv, unreplaced."""
    install_plan = planned.install_plan
    if install_plan.earlier:
        stacked.check_no_replacement(install_plan, recipe_path)
        machine = planned.target.env.get("platform_machine", "")
        accepts: Callable[[str], bool] = lambda tag: tag.endswith("-any") or machine in tag  # noqa: E731
        what = f"this machine ({machine})"
        if planned.platform is not None:
            accepts, what = planned.platform.accepts, planned.platform.describe()
        stacked.check_earlier(install_plan.earlier, planned.present or {}, planned.python,
                              recipe_path, accepts, what)
    for label in install_plan.earlier_missing:
        echo(f"chef: note: {label} is not in the venv (the earlier layers did not install it "
             "for this target): installing it in this layer")


def _execute(planned: Planned, spec: TargetSpec, options: CookOptions,
             creds: credentials.Credentials, layering: _Layering, echo: Echo) -> None:
    """Run the installer for each batch; a cross-cook creates the venv only now, and leaves
    no half-built venv behind."""
    created = None
    if planned.platform is not None and spec.venv is not None \
            and not venv_python(spec.venv).exists():
        echo(f"chef: creating virtual environment {spec.venv}")
        installers.run(planned.backend.create_venv(spec.venv, planned.target.python),
                       "creating the venv", quiet=True)
        created = spec.venv
    try:
        _install(planned, spec, options, creds, layering, echo)
    except BaseException:
        if created is not None:
            import shutil

            shutil.rmtree(created, ignore_errors=True)
            echo(f"chef: removed {created}, which this cook created")
        raise


def _install(planned: Planned, spec: TargetSpec, options: CookOptions,
             creds: credentials.Credentials, layering: _Layering, echo: Echo) -> None:
    backend, python, install_plan = planned.backend, planned.python, planned.install_plan
    quiet, before = options.quiet, layering.before
    with installers.temp_dir() as private:
        base = backend.environment(os.environ)
        env = credentials.installer_env(creds, Path(private), base) or base
        compile_new = False
        if layering.existed and backend.name == "uv" and spec.venv is not None:
            from chef.cook import layer  # only for a cook on an existing venv

            env, compile_new = layer.without_uv_compile(env)
            if compile_new and before is None:
                before = layer.snapshot(spec.venv)
        for batch in install_plan.batches:
            run_batch(backend, python, batch, quiet, env, creds)
        if before is not None and spec.venv is not None:
            from chef.cook import layer

            layer.finish_layer(spec.venv, before, python, compile_new, options.layer_dir, quiet,
                               echo)
        if install_plan.build_batch is not None:
            build_env = spec.default_build_env()
            build_python = ensure_build_env(build_env, planned.target, backend, echo)
            run_batch(backend, build_python, install_plan.build_batch, quiet, env, creds)
            _record_platform(build_env, planned.platform)


def _cross_target(
    cross: Cross, spec: TargetSpec, echo: Echo
) -> Tuple[Optional[TargetPlatform], Target]:
    """The target platform (None when it is this machine's own: a native cook) and the
    interpreter that owns the venv, or will create it (chef's own, as for a native cook)."""
    from chef.cook.platform import target_platform

    if spec.venv is not None:
        existing = venv_python(spec.venv)
        native = _probe(str(existing) if existing.exists() else sys.executable)
    else:
        native = _probe(spec.python or sys.executable)
    platform, same = target_platform(cross.platform, cross.libc, cross.python_version,
                                     native.env, native.glibc, native.python, native.abiflags)
    if same:
        echo(f"chef: {platform.docker} with {platform.libc} is this machine's own platform: a "
             "native cook")
        return None, native
    if native.env.get("sys_platform") != "linux":
        raise TargetEnvironmentError(
            f"cooking for {platform.docker} needs a Linux interpreter on the build machine, "
            f"not {native.env.get('sys_platform')}: the venv it creates is copied into the "
            "target image",
            path=native.python,
        )
    return platform, native


def _wheel_finder(
    recipe: Recipe, overrides: Overrides, recipe_path: Path, platform: TargetPlatform
) -> Callable[[str, str], Optional[str]]:
    """A wheel for the target in a local --find-links directory (cook's own, or the recipe's):
    how a package that the lock has no wheel for gets into a cross-cook."""
    directories = urls.local_directories(
        list(overrides.find_links) + list(recipe.index.find_links), recipe_path)
    found: Dict[Tuple[str, str], str] = {}
    if directories:
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        for directory in directories:
            for path in sorted(directory.glob("*.whl")):
                try:
                    name, version, _, tags = parse_wheel_filename(path.name)
                except (InvalidWheelFilename, ValueError):
                    continue
                if not tags.isdisjoint(platform.supported):
                    found.setdefault((str(name), str(version)), str(directory))

    def find(name: str, version: str) -> Optional[str]:
        if not found:
            return None
        from packaging.version import Version

        return found.get((name, str(Version(version))))

    return find


def _record_platform(build_env: Path, platform: Optional[TargetPlatform]) -> None:
    """Tell install-project what the venv was cooked for (nothing for a native cook)."""
    record = build_env / PLATFORM_RECORD
    if platform is None:
        if record.exists():
            record.unlink()
        return
    import json

    record.write_text(json.dumps({"platform": platform.docker, "libc": str(platform.libc)})
                      + "\n", "utf-8")


@contextlib.contextmanager
def _terminated_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP (docker stop, a CI runner's cancel, a closed terminal) unwind cook as
    Ctrl-C does: the installer's process group is ended (`installers.run`) and the private netrc
    and every temporary file removed, instead of dying with them left behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    fired: List[int] = []

    def terminate(signum: int, _frame: object) -> None:
        if not fired:  # once: a second signal must not cut the clean-up short
            fired.append(signum)
            raise Terminated(signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup: keep ignoring it
            previous[sig] = signal.signal(sig, terminate)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _masked(echo: Echo, creds: credentials.Credentials) -> Echo:
    def masked(text: str) -> None:
        echo(creds.mask(text))

    return masked
