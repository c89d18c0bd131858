"""`chef cook` as a function: load the recipe, probe the target, plan, run the installer."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

from chef.cook import credentials, installers, process
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
                return probe(sys.executable)
            echo(f"chef: creating virtual environment {spec.venv}")
            installers.run(
                backend.create_venv(spec.venv, sys.executable), "creating the venv", quiet=True
            )
        return probe(str(python))
    return probe(spec.python or sys.executable)


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


def describe(
    install_plan: InstallPlan, backend: installers.Backend, python: str, build_python: str,
    hidden: Optional[credentials.Credentials] = None,
) -> List[str]:
    """The dry-run text: what would be installed, from where, and the installer command."""
    out: List[str] = []
    mode = (
        "locked: exact versions, no resolution"
        if install_plan.locked
        else "unlocked: the installer resolves"
    )
    out.append(f"plan ({mode}), installer {backend.name}, target {python}")
    if install_plan.platform is not None:
        out.append(f"cross-cook for {install_plan.platform.describe()}: its wheels only, "
                   "markers evaluated for it; the build environment is this machine's")
    for batch in install_plan.batches + (
        [install_plan.build_batch] if install_plan.build_batch else []
    ):
        where = installers.mask(batch.options.index_url or "installer's default index")
        if batch.options.no_index:
            where = "no index"
        if batch.options.find_links:
            where += " + find-links " + " ".join(
                installers.mask(u) for u in batch.options.find_links
            )
        target = build_python if batch.purpose == "build requirements" else python
        out.append(
            f"- {batch.purpose} from {where}" + (" (hash-checked)" if batch.require_hashes else "")
        )
        for line in batch.lines:
            out.append(f"    {line.label or line.requirement}")
        for line in batch.constraints:
            out.append(f"    constraint {line.requirement}")
        files = installers.BatchFiles(
            Path("<requirements.txt>"), Path("<constraints.txt>") if batch.constraints else None,
            urls_in_env=installers.hides_urls(batch, hidden))
        out.append("    $ " + installers.display_argv(backend.install(target, files, batch, False))
                   + (" (index URLs in its environment: they hold values from the environment)"
                      if files.urls_in_env else ""))
    if install_plan.earlier:
        out.append("from an earlier layer (left out when the venv holds them, at these versions; "
                   "installed here when it does not): "
                   + ", ".join(f"{n}=={v}" for n, v in install_plan.earlier))
    if install_plan.skipped:
        out.append("not for this target (markers): " + ", ".join(install_plan.skipped))
    if install_plan.build_off:
        out.append("build requirements not switched on: " + ", ".join(install_plan.build_off))
    if install_plan.target_wheels:
        out.append("wheels for the target from --find-links: "
                   + ", ".join(install_plan.target_wheels))
    if install_plan.no_wheel:
        out.append("no wheel for the target (cook will refuse before installing anything): "
                   + ", ".join(install_plan.no_wheel))
    if install_plan.unknown_files and install_plan.platform is not None:
        out.append("note: the recipe lists no wheel files (its input has no file list): a "
                   "package without a wheel for the target is refused by the installer, not "
                   "before (cook then removes the venv it created)")
    return out


@dataclass(frozen=True)
class Cross:
    """`chef cook --platform`: what to cook for, as given on the command line."""

    platform: str  # Docker's spelling: linux/arm64
    libc: str = "auto"
    python_version: Optional[str] = None


PLATFORM_RECORD = "chef-platform.json"  # in the build environment: install-project reads it


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
    """`layer_dir`: also export the files this cook adds to the venv there (chef.cook.layer).
    `runner`: starts this cook's processes (`chef.cook.process`; tests give a fake one), but
    for the layer step's compileall, not moved onto it yet.
    A cook into an existing venv (a later layer recipe's) compiles the bytecode of the new
    files only: uv's UV_COMPILE_BYTECODE would recompile (rewrite) every earlier layer's."""
    if layer_dir is not None:
        from chef.cook.layer import check_layer_dir

        check_layer_dir(layer_dir)  # before anything is read or created
    if cross is not None:
        from chef.cook.platform import parse_libc, parse_platform

        parse_platform(cross.platform)  # usage errors first, before anything is read
        parse_libc(cross.libc)
    explicit = [u for u in (overrides.index_url, *overrides.extra_index_urls,
                            *overrides.find_links) if u]
    overrides = _without_userinfo(overrides)
    hidden: Set[str] = set()
    recipe: Recipe = _expanded(load(recipe_path), os.environ, strict=not dry_run, echo=echo,
                               hidden=hidden)
    masker = credentials.Credentials(hidden=hidden)
    try:
        # From here on, SIGTERM/SIGHUP unwind like Ctrl-C (no process left, no netrc left).
        with _terminated_on_signals() if not dry_run else contextlib.nullcontext():
            return _cook(recipe, recipe_path, spec, masker, explicit, installer=installer,
                         overrides=overrides, build_deps=build_deps, dry_run=dry_run,
                         quiet=quiet, echo=echo, credentials_file=credentials_file, cross=cross,
                         layer_dir=layer_dir)
    except ChefError as exc:  # no value from the environment in an error either
        exc.message = masker.mask(exc.message)
        exc.hint = masker.mask(exc.hint) if exc.hint else exc.hint
        exc.path = masker.mask(exc.path) if exc.path else exc.path
        raise


def _cook(
    recipe: Recipe,
    recipe_path: Path,
    spec: TargetSpec,
    masker: credentials.Credentials,
    explicit: List[str],
    *,
    installer: str,
    overrides: Overrides,
    build_deps: bool,
    dry_run: bool,
    quiet: bool,
    echo: Echo,
    credentials_file: Optional[Path],
    cross: Optional[Cross],
    layer_dir: Optional[Path],
) -> InstallPlan:
    echo = _masked(echo, masker)
    missing = _missing_local_links(recipe, overrides, recipe_path)
    if missing and not dry_run:  # before anything is created
        raise TargetEnvironmentError(
            f"find-links directory {missing[0]} does not exist",
            hint="the recipe takes packages from it; copy it next to the recipe before cooking "
            "(in Docker: COPY --from=planner /app/wheels /chef/wheels), or the installer would "
            "look for those packages on the index instead",
        )
    for link in missing:
        echo(f"warning: find-links directory {link} does not exist (cook will refuse to run)")
    spec = spec.with_default()
    if layer_dir is not None:
        if spec.venv is None:
            raise UsageError("--layer-dir exports files of a venv", hint="give --venv")
        from chef.cook.layer import check_layer_dir

        check_layer_dir(layer_dir, spec.venv)
    existed = spec.venv is not None and venv_python(spec.venv).exists()
    before = None
    if layer_dir is not None and spec.venv is not None and not dry_run:
        from chef.cook.layer import snapshot

        before = snapshot(spec.venv)
    platform: Optional[TargetPlatform] = None
    if cross is not None:
        platform, native = _cross_target(cross, spec, echo)
    if platform is not None:
        backend = installers.choose(installer, platform)
        if backend.name == "uv":
            platform = platform.for_uv()
        elif not recipe.is_locked:
            raise TargetEnvironmentError(
                f"cannot cook an unlocked recipe for {platform.docker} with pip: pip resolves "
                "the dependencies with this machine's markers, whatever its --platform",
                hint="lock the project (uv, poetry, pdm, pylock.toml, hashed requirements), or "
                "use uv (--installer uv), which resolves for the target",
            )
        # Nothing is created before the plan is known to be installable.
        target = native
        python = str(venv_python(spec.venv)) if spec.venv is not None else native.python
        present = _present(python, recipe, dry_run)
        install_plan = plan(
            recipe, platform.marker_env(native.env), overrides, build_deps=build_deps,
            environ=os.environ, platform=platform, build_markers=native.env,
            find_wheel=_wheel_finder(recipe, overrides, recipe_path, platform),
            present=None if present is None else {n: v for n, (v, _) in present.items()},
        )
        if install_plan.no_wheel and not dry_run:
            raise TargetEnvironmentError(
                f"no wheel for {platform.describe()} of {', '.join(install_plan.no_wheel)}: a "
                "cross-cook installs wheels only and cannot build these",
                hint="build them in a stage of the target platform (under emulation: cook there "
                "without --platform), or build their wheels for the target there and give cook "
                "the directory with --find-links DIR",
            )
    else:
        backend = installers.choose(installer)
        target = resolve_target(spec, backend, echo, create=not dry_run)
        python = target.python
        if dry_run and spec.venv is not None:
            python = str(venv_python(spec.venv))  # not created yet: probed with chef's interpreter
        present = _present(python, recipe, dry_run)
        install_plan = plan(recipe, target.env, overrides, build_deps=build_deps,
                            environ=os.environ,
                            present=None if present is None else {
                                n: v for n, (v, _) in present.items()})
    install_plan = _recipe_relative(install_plan, recipe_path)
    recipe_urls = _plan_urls(install_plan)
    creds = credentials.collect(os.environ, credentials_file, explicit, recipe_urls)
    creds.hidden = masker.hidden
    masker.hosts = creds.hosts  # errors from here on mask these too
    install_plan = _map_urls(  # a dry run keeps unset placeholders as written
        install_plan, lambda u: u if "${" in u else credentials.split_url(u, os.environ)[0])
    echo = _masked(echo, creds)
    build_env = spec.default_build_env()
    if dry_run:
        for line in describe(install_plan, backend, python, str(venv_python(build_env)), creds):
            echo(line)
        for line in creds.describe():
            echo(line)
        return install_plan
    if install_plan.earlier:
        _check_no_replacement(install_plan, recipe_path)
        machine = target.env.get("platform_machine", "")
        accepts: Callable[[str], bool] = lambda tag: tag.endswith("-any") or machine in tag  # noqa: E731
        what = f"this machine ({machine})"
        if platform is not None:
            accepts, what = platform.accepts, platform.describe()
        _check_earlier(install_plan.earlier, present or {}, python, recipe_path, accepts, what)
    for label in install_plan.earlier_missing:
        echo(f"chef: note: {label} is not in the venv (the earlier layers did not install it "
             "for this target): installing it in this layer")
    created = None
    if platform is not None and spec.venv is not None and not venv_python(spec.venv).exists():
        echo(f"chef: creating virtual environment {spec.venv}")
        installers.run(backend.create_venv(spec.venv, native.python), "creating the venv",
                       quiet=True)
        created = spec.venv
    try:
        with installers.temp_dir() as private:
            base = backend.environment(os.environ)
            env = credentials.installer_env(creds, Path(private), base) or base
            compile_new = False
            if existed and backend.name == "uv" and spec.venv is not None:
                from chef.cook import layer  # only for a cook on an existing venv

                env, compile_new = layer.without_uv_compile(env)
                if compile_new and before is None:
                    before = layer.snapshot(spec.venv)
            for batch in install_plan.batches:
                run_batch(backend, python, batch, quiet, env, creds)
            if before is not None and spec.venv is not None:
                from chef.cook import layer

                layer.finish_layer(spec.venv, before, python, compile_new, layer_dir, quiet,
                                   echo)
            if install_plan.build_batch is not None:
                build_python = ensure_build_env(build_env, target, backend, echo)
                run_batch(backend, build_python, install_plan.build_batch, quiet, env, creds)
                _record_platform(build_env, platform)
    except BaseException:
        if created is not None:  # a cross-cook leaves no half-built venv behind
            import shutil

            shutil.rmtree(created, ignore_errors=True)
            echo(f"chef: removed {created}, which this cook created")
        raise
    return install_plan


def _check_no_replacement(install_plan: InstallPlan, recipe_path: Path) -> None:
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


def _present(python: str, recipe: Recipe, dry_run: bool) -> Optional[Dict[str, Tuple[str, str]]]:
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


def _check_earlier(
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


def _cross_target(
    cross: Cross, spec: TargetSpec, echo: Echo
) -> Tuple[Optional[TargetPlatform], Target]:
    """The target platform (None when it is this machine's own: a native cook) and the
    interpreter that owns the venv, or will create it (chef's own, as for a native cook)."""
    from chef.cook.platform import target_platform

    if spec.venv is not None:
        existing = venv_python(spec.venv)
        native = probe(str(existing) if existing.exists() else sys.executable)
    else:
        native = probe(spec.python or sys.executable)
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
    base = recipe_path.resolve().parent
    directories = []
    for link in list(overrides.find_links) + list(recipe.index.find_links):
        if "://" in link and not link.startswith("file:"):
            continue
        if link.startswith("file:"):
            from urllib.parse import unquote, urlsplit

            local = Path(unquote(urlsplit(link).path))
        else:
            local = base / link if _project_relative(link) else Path(link)
        if local.is_dir() and local not in directories:
            directories.append(local)
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


def _expanded(recipe: Recipe, environ: Mapping[str, str], *, strict: bool, echo: Echo,
              hidden: Set[str]) -> Recipe:
    """The recipe's index URLs, find-links and registry sources with `${NAME}` placeholders
    filled from cook's environment (the installers do not expand them on a command line); the
    values that filled them are added to `hidden` (masked wherever they would show).
    A dry run says which variables a real cook will need instead of failing."""
    def fix(url: str) -> str:
        expanded, values = credentials.expand_parts(url, environ, strict=strict)
        hidden.update(values)
        return expanded

    index = recipe.index
    recipe = replace(recipe, index=replace(  # Recipe is frozen
        index,
        index_url=fix(index.index_url) if index.index_url else None,
        extra_index_urls=tuple(fix(u) for u in index.extra_index_urls),
        find_links=tuple(fix(u) for u in index.find_links),
    ))
    if recipe.locked:
        for key, package in list(recipe.locked.items()):
            if package.source.kind == "registry" and package.source.url:
                recipe.locked[key] = replace(
                    package, source=replace(package.source, url=fix(package.source.url)))
    if not strict:
        urls = [u for u in (recipe.index.index_url, *recipe.index.extra_index_urls,
                            *recipe.index.find_links) if u]
        urls += [p.source.url for p in (recipe.locked or {}).values() if p.source.url]
        unset = sorted({n for u in urls for n in credentials.placeholder_names(u)})
        if unset:
            echo(f"note: cook needs {', '.join(unset)} in its environment (index URLs of the "
                 "recipe)")
    return recipe


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


def _without_userinfo(overrides: Overrides) -> Overrides:
    """cook's own index options keep no credentials: they go to the installer via netrc."""
    from chef.urls import strip_credentials

    return replace(
        overrides,
        index_url=strip_credentials(overrides.index_url) if overrides.index_url else None,
        extra_index_urls=tuple(strip_credentials(u) for u in overrides.extra_index_urls),
        find_links=tuple(strip_credentials(u) for u in overrides.find_links),
    )


def _plan_urls(install_plan: InstallPlan) -> List[str]:
    urls: List[str] = []
    for batch in install_plan.batches + (
        [install_plan.build_batch] if install_plan.build_batch else []
    ):
        options = batch.options
        urls += [u for u in (options.index_url, *options.extra_index_urls, *options.find_links)
                 if u]
    return urls


def _map_urls(install_plan: InstallPlan, fix: Callable[[str], str]) -> InstallPlan:
    def batch_fixed(batch: Batch) -> Batch:
        options = batch.options
        return replace(batch, options=replace(
            options,
            index_url=fix(options.index_url) if options.index_url else None,
            extra_index_urls=tuple(fix(u) for u in options.extra_index_urls),
            find_links=tuple(fix(u) for u in options.find_links),
        ))

    install_plan.batches = [batch_fixed(b) for b in install_plan.batches]
    if install_plan.build_batch is not None:
        install_plan.build_batch = batch_fixed(install_plan.build_batch)
    return install_plan


def _missing_local_links(recipe: Recipe, overrides: Overrides, recipe_path: Path) -> List[str]:
    """Directories on this machine's disk that the recipe (or --find-links) takes packages from
    and that are not there. pip only warns about one and goes on to the index, where a package
    of the same name may be someone else's. Relative paths are the project's, next to the
    recipe (as `_recipe_relative` makes them for the installer)."""
    links = list(recipe.index.find_links) + list(overrides.find_links)
    for package in (recipe.locked or {}).values():
        if package.source.kind == "registry" and package.source.url is not None:
            links.append(package.source.url)  # a flat find-links directory (uv)
    base = recipe_path.resolve().parent
    missing: List[str] = []
    for link in links:
        if "${" in link:  # an unset placeholder (dry run): nothing to look at yet
            continue
        if link.startswith("file:"):
            from urllib.parse import unquote, urlsplit

            local = Path(unquote(urlsplit(link).path))
        elif "://" in link:
            continue
        else:
            local = base / link if _project_relative(link) else Path(link)
        if not local.exists() and str(local) not in missing:
            missing.append(str(local))
    return missing


def _project_relative(link: str) -> bool:
    """A find-links entry that is a path relative to the project (no URL, not absolute)."""
    return "://" not in link and not link.startswith("file:") and not Path(link).is_absolute()


def _recipe_relative(install_plan: InstallPlan, recipe_path: Path) -> InstallPlan:
    """find-links paths in a recipe are relative to the project, i.e. to the recipe's directory."""
    from dataclasses import replace

    base = recipe_path.resolve().parent

    def fix(batch: Batch) -> Batch:
        links = tuple(
            str(base / link) if _project_relative(link) else link
            for link in batch.options.find_links
        )
        return replace(batch, options=replace(batch.options, find_links=links))

    install_plan.batches = [fix(b) for b in install_plan.batches]
    if install_plan.build_batch is not None:
        install_plan.build_batch = fix(install_plan.build_batch)
    return install_plan
