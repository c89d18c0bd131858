"""`chef cook` as a function: load the recipe, probe the target, plan, run the installer."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional

from chef.cook import credentials, installers
from chef.cook.plan import Batch, InstallPlan, Overrides, plan
from chef.cook.target import Target, probe, venv_python
from chef.errors import EnvironmentError_, UsageError
from chef.recipe import Recipe, load

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
            raise EnvironmentError_(
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
) -> None:
    with installers.temp_dir() as tmp:
        files = installers.BatchFiles(batch, Path(tmp))
        argv = backend.install(python, files, batch, quiet)
        installers.run(argv, f"installing {batch.purpose}", quiet, env=env)


def describe(
    install_plan: InstallPlan, backend: installers.Backend, python: str, build_python: str
) -> List[str]:
    """The dry-run text: what would be installed, from where, and the installer command."""
    out: List[str] = []
    mode = (
        "locked: exact versions, no resolution"
        if install_plan.locked
        else "unlocked: the installer resolves"
    )
    out.append(f"plan ({mode}), installer {backend.name}, target {python}")
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
        files = installers.BatchFiles.__new__(installers.BatchFiles)
        files.requirements = Path("<requirements.txt>")
        files.constraints = Path("<constraints.txt>") if batch.constraints else None
        out.append("    $ " + installers.display_argv(backend.install(target, files, batch, False)))
    if install_plan.skipped:
        out.append("not for this target (markers): " + ", ".join(install_plan.skipped))
    if install_plan.build_off:
        out.append("build requirements not switched on: " + ", ".join(install_plan.build_off))
    return out


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
) -> InstallPlan:
    explicit = [u for u in (overrides.index_url, *overrides.extra_index_urls,
                            *overrides.find_links) if u]
    overrides = _without_userinfo(overrides)
    recipe: Recipe = _expanded(load(recipe_path), os.environ, strict=not dry_run, echo=echo)
    missing = _missing_local_links(recipe, overrides, recipe_path)
    if missing and not dry_run:  # before anything is created
        raise EnvironmentError_(
            f"find-links directory {missing[0]} does not exist",
            hint="the recipe takes packages from it; copy it next to the recipe before cooking "
            "(in Docker: COPY --from=planner /app/wheels /chef/wheels), or the installer would "
            "look for those packages on the index instead",
        )
    for link in missing:
        echo(f"warning: find-links directory {link} does not exist (cook will refuse to run)")
    backend = installers.choose(installer)
    spec = spec.with_default()
    target = resolve_target(spec, backend, echo, create=not dry_run)
    python = target.python
    if dry_run and spec.venv is not None:
        python = str(venv_python(spec.venv))  # not created yet: probed with chef's interpreter
    install_plan = plan(recipe, target.env, overrides, build_deps=build_deps, environ=os.environ)
    install_plan = _recipe_relative(install_plan, recipe_path)
    recipe_urls = _plan_urls(install_plan)
    creds = credentials.collect(os.environ, credentials_file, explicit, recipe_urls)
    install_plan = _map_urls(  # a dry run keeps unset placeholders as written
        install_plan, lambda u: u if "${" in u else credentials.split_url(u, os.environ)[0])
    echo = _masked(echo, creds)
    build_env = spec.default_build_env()
    if dry_run:
        for line in describe(install_plan, backend, python, str(venv_python(build_env))):
            echo(line)
        for line in creds.describe():
            echo(line)
        return install_plan
    with installers.temp_dir() as private:
        base = backend.environment(os.environ)
        env = credentials.installer_env(creds, Path(private), base) or base
        for batch in install_plan.batches:
            run_batch(backend, target.python, batch, quiet, env)
        if install_plan.build_batch is not None:
            build_python = ensure_build_env(build_env, target, backend, echo)
            run_batch(backend, build_python, install_plan.build_batch, quiet, env)
    return install_plan


def _expanded(recipe: Recipe, environ: Mapping[str, str], *, strict: bool, echo: Echo) -> Recipe:
    """The recipe's index URLs, find-links and registry sources with `${NAME}` placeholders
    filled from cook's environment (the installers do not expand them on a command line).
    A dry run says which variables a real cook will need instead of failing."""
    def fix(url: str) -> str:
        return credentials.expand(url, environ, strict=strict)

    index = recipe.index
    recipe.index = replace(
        index,
        index_url=fix(index.index_url) if index.index_url else None,
        extra_index_urls=tuple(fix(u) for u in index.extra_index_urls),
        find_links=tuple(fix(u) for u in index.find_links),
    )
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
