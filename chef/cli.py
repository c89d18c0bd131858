"""The `chef` command: a thin click layer over chef.prepare, chef.cook and friends.

Options and commands only: what the commands print and how the process ends are chef.output's.
Heavy modules are imported inside the commands so that `chef --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import click

from chef import __version__, output
from chef.errors import EXIT_DIFFERENT

F = TypeVar("F", bound=Callable[..., Any])

# One instance of each path type for every option that takes one: each click.Path() looks its
# name up in the message catalogs (gettext: file system lookups, ~60 us a time here).
_DIRECTORY = click.Path(file_okay=False, path_type=Path)
_FILE = click.Path(dir_okay=False, path_type=Path)
_PATH = click.Path(path_type=Path)


class _Main(click.Group):
    """The `chef` group: a closed pipe while click prints help or the version (`chef --help |
    head -1`, `chef prepare --help | true`) ends as quietly as inside a command, with the same
    status (click's own handling exits 0 or 1, depending on its version)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            if not output.reader_gone():
                raise
            output.pipe_closed()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            if not output.reader_gone():
                raise
            output.pipe_closed()


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chef")
def main() -> None:
    """Cache Python dependencies in their own Docker layer.

    \b
    planner:  chef prepare --recipe-path recipe.json
    builder:  chef cook --recipe-path recipe.json --venv /app/.venv
              COPY . .
              chef install-project --recipe-path recipe.json --venv /app/.venv
    """


def _project_options(func: F) -> F:
    """What decides a recipe: shared by `prepare` and `check` (same flags, same recipe)."""
    options = [
        click.option(
            "--project-dir",
            type=_DIRECTORY,
            default=Path("."),
            show_default=True,
            help="The project (or monorepo) root: the Docker build context.",
        ),
        click.option(
            "--subdir",
            default=".",
            show_default=True,
            metavar="DIR",
            help="Read the project in DIR under --project-dir, whose path dependencies live beside "
            "it (e.g. services/api next to libs/); recipe paths stay relative to --project-dir.",
        ),
        click.option(
            "--requirements",
            "-r",
            "requirements",
            multiple=True,
            metavar="FILE",
            help="Read these requirements files instead of detecting (repeatable).",
        ),
        click.option(
            "--manager", default=None, help="Force the input format instead of detecting it."
        ),
        click.option("--extra", "extras", multiple=True, help="Include this extra (repeatable)."),
        click.option("--all-extras", is_flag=True, help="Include every extra."),
        click.option(
            "--group", "groups", multiple=True, help="Include this dependency group (repeatable)."
        ),
        click.option("--all-groups", is_flag=True, help="Include every dependency group."),
        click.option(
            "--package",
            "packages",
            multiple=True,
            help="Only this local package and what it needs (repeatable).",
        ),
        click.option(
            "--frozen",
            is_flag=True,
            help="Use the lock as it is, even if it no longer matches its manifest.",
        ),
        click.option(
            "--build-constraint",
            "build_constraints",
            multiple=True,
            metavar="FILE",
            help="Pin the build environment with this constraints file, as pip's "
            "--build-constraint does (relative to --project-dir; repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _prepare(options: Dict[str, Any], explain: bool = False) -> Any:
    from chef.prepare import prepare as do_prepare
    from chef.select import Selection

    selection = Selection(options["extras"], options["groups"], options["all_extras"],
                          options["all_groups"], options["packages"])
    return do_prepare(options["project_dir"], requirements=options["requirements"],
                      manager=options["manager"], selection=selection, frozen=options["frozen"],
                      explain=explain, subdir=options["subdir"],
                      build_constraints=options["build_constraints"])


def _recipe_path(help: Optional[str] = None) -> Callable[[F], F]:
    return click.option(
        "--recipe-path",
        type=_FILE,
        default=Path("recipe.json"),
        show_default=True,
        help=help,
    )


@main.command()
@_recipe_path("Where to write the recipe.")
@_project_options
@click.option(
    "--explain",
    "-v",
    "explain",
    is_flag=True,
    help="Say which files were read, which input was chosen and why, and what was dropped.",
)
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the recipe instead of writing it.")
@click.option(
    "--layer-recipes",
    type=_DIRECTORY,
    default=None,
    metavar="DIR",
    help="Also write layer recipes into DIR: layer-1.json (the heavy packages) and layer-2.json "
    "(the others), for one cached Docker layer each; recipe.json stays as it is.",
)
@click.option(
    "--heavy",
    "heavy",
    multiple=True,
    metavar="NAME_OR_GLOB",
    help="With --layer-recipes: put these packages in layer 1 (names or globs, e.g. torch, "
    "'nvidia-*'; repeatable).",
)
@click.option(
    "--heavy-size",
    default=None,
    metavar="SIZE",
    help="With --layer-recipes: also a package whose largest Linux wheel is at least SIZE, where "
    "the lock records sizes (uv.lock, pylock.toml). Default: 10MB.",
)
@click.option(
    "--test-group",
    "test_groups",
    multiple=True,
    metavar="NAME",
    help="With --layer-recipes: also write test.json, the packages this dependency group adds "
    "on top of the production selection (repeatable).",
)
@click.option("--test-all-groups", is_flag=True,
              help="With --layer-recipes: test.json adds every dependency group.")
@output.handle_errors
def prepare(
    recipe_path: Path,
    explain: bool,
    to_stdout: bool,
    layer_recipes: Optional[Path],
    heavy: Tuple[str, ...],
    heavy_size: Optional[str],
    test_groups: Tuple[str, ...],
    test_all_groups: bool,
    **options: Any,
) -> None:
    """Write a recipe of what decides the installed dependencies."""
    from chef.recipe import write_atomic

    if layer_recipes is None and (heavy or heavy_size or test_groups or test_all_groups):
        from chef.errors import UsageError

        raise UsageError("--heavy, --heavy-size, --test-group and --test-all-groups shape the "
                         "layer recipes", hint="add --layer-recipes DIR")
    result = _prepare(options, explain)
    output.warn(result.warnings)
    layer_notes: List[str] = []
    if layer_recipes is not None:
        from chef.prepare import write_layer_recipes

        def test() -> Any:  # test.json's recipe: the production selection and these groups
            wanted = dict(options)
            wanted["groups"] = tuple(options["groups"]) + tuple(test_groups)
            wanted["all_groups"] = options["all_groups"] or test_all_groups
            return _prepare(wanted).recipe

        layer_notes = write_layer_recipes(result, Path(options["project_dir"]), layer_recipes,
                                          heavy, heavy_size,
                                          test if test_groups or test_all_groups else None)
    if to_stdout:
        click.echo(result.text, nl=False)
    else:
        write_atomic(recipe_path, result.text, project=Path(options["project_dir"]))
    if explain:
        for line in output.explained(result, layer_notes):
            output.echo_err(line)
    if not to_stdout:
        output.echo_err(output.wrote(result, recipe_path))


@main.command()
@click.argument("old", type=_FILE)
@click.argument("new", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@output.handle_errors
def diff(old: Path, new: Path, as_json: bool) -> None:
    """Explain why a cache would miss: what differs between two recipes.

    Exit code 0 when they are identical, 1 when they differ, 4 when one is not a valid recipe.
    """
    from chef.diff import diff_texts
    from chef.recipe import read_recipe_text

    changes = diff_texts(read_recipe_text(old), read_recipe_text(new), str(old), str(new))
    click.echo(output.difference(changes, str(old), str(new), as_json), nl=False)
    sys.exit(EXIT_DIFFERENT if changes else 0)


@main.command()
@_recipe_path("The committed recipe to check.")
@_project_options
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@output.handle_errors
def check(recipe_path: Path, as_json: bool, **options: Any) -> None:
    """Exit 1 (and show why) when the recipe is not what `prepare` would write now.

    For CI and pre-commit: pass the same flags as to `chef prepare`.
    """
    from chef.diff import diff_texts
    from chef.recipe import read_recipe_text

    committed = read_recipe_text(recipe_path)
    result = _prepare(options)
    output.warn(result.warnings)
    if committed == result.text:
        output.echo_err(f"chef: {recipe_path} is up to date")
        return
    changes = diff_texts(committed, result.text, str(recipe_path), "prepare now")
    click.echo(output.difference(changes, str(recipe_path), "prepare now", as_json), nl=False)
    output.echo_err(f"chef: {recipe_path} is out of date; run `chef prepare` with the same options")
    sys.exit(EXIT_DIFFERENT)


def _target_options(func: F) -> F:
    func = click.option(
        "--build-env",
        type=_DIRECTORY,
        default=None,
        help="Build environment (default: next to the venv).",
    )(func)
    func = click.option(
        "--python",
        "python",
        default=None,
        metavar="PATH",
        help="Target interpreter, instead of --venv (default: neither: the active virtualenv, "
        "else ./.venv; never chef's own environment).",
    )(func)
    func = click.option(
        "--venv",
        type=_DIRECTORY,
        default=None,
        help="Target virtual environment; created when missing (default: the active "
        "virtualenv, else ./.venv).",
    )(func)
    func = click.option(
        "--installer",
        type=click.Choice(["auto", "uv", "pip"]),
        default="auto",
        show_default=True,
        help="uv when available, else pip.",
    )(func)
    func = _recipe_path()(func)
    return func


def _layer_dir_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--layer-dir",
        type=_PATH,
        default=None,
        metavar="DIR",
        help=f"Also write the files {what} adds to (or changes in) the venv into DIR, at their "
        "absolute paths (DIR/app/.venv/...), for a runtime stage's `COPY --from=<stage> DIR/ /`. "
        "DIR must not exist or be empty; a deletion in the venv is refused.",
    )


def _exclusive(venv: Optional[Path], python: Optional[str]) -> None:
    """Checked before anything is read or created: a usage error exits 2, like click's own."""
    if venv is not None and python is not None:
        from chef.errors import UsageError

        raise UsageError("--venv and --python exclude each other",
                         hint="--venv names the app's virtualenv, --python an interpreter")


def _abs_link(link: str) -> str:
    if "://" in link or link.startswith("file:"):
        return link
    return os.path.abspath(link)


@main.command()
@_target_options
@click.option("--index-url", default=None, help="Replace the recipe's index.")
@click.option("--extra-index-url", "extra_index_urls", multiple=True, help="Add an index.")
@click.option("--find-links", "find_links", multiple=True, help="Add a wheel directory or page.")
@click.option("--no-index", is_flag=True, help="Use only --find-links.")
@click.option("--no-build-deps", is_flag=True, help="Skip the build environment.")
@click.option("--dry-run", is_flag=True, help="Print the plan and the installer commands only.")
@click.option("--quiet", "-q", is_flag=True, help="Silence the installer's progress.")
@click.option(
    "--platform",
    default=None,
    metavar="OS/ARCH",
    help="Cook for this platform, in Docker's spelling ($TARGETPLATFORM): linux/arm64, "
    "linux/amd64, linux/arm/v7, ... Runs natively: installs the target's wheels (markers "
    "evaluated for it) with this machine's interpreter of the same Python version; refuses, "
    "before installing anything, packages that have no wheel for the target.",
)
@click.option(
    "--libc",
    default="auto",
    show_default=True,
    help="With --platform: the target image's C library: auto (this machine's: the same base "
    "image), glibc-X.Y (e.g. glibc-2.36, Debian bookworm), musl (Alpine), musl-1.Y.",
)
@click.option(
    "--python-version",
    default=None,
    metavar="X.Y",
    help="With --platform: the target's Python version; it must be this machine's (checked). "
    "Default: this machine's.",
)
@click.option(
    "--credentials-file",
    type=_FILE,
    default=None,
    envvar="CHEF_CREDENTIALS_FILE",
    help="A netrc file with index credentials (e.g. a BuildKit secret); passed to the installer "
    "through its environment, never its command line. Env: CHEF_CREDENTIALS_FILE.",
)
@_layer_dir_option("this cook")
@output.handle_errors
def cook(
    recipe_path: Path,
    installer: str,
    venv: Optional[Path],
    python: Optional[str],
    build_env: Optional[Path],
    index_url: Optional[str],
    extra_index_urls: Tuple[str, ...],
    find_links: Tuple[str, ...],
    no_index: bool,
    no_build_deps: bool,
    dry_run: bool,
    quiet: bool,
    platform: Optional[str],
    libc: str,
    python_version: Optional[str],
    credentials_file: Optional[Path],
    layer_dir: Optional[Path],
) -> None:
    """Install exactly the recipe's dependencies (and the build environment).

    Into an existing venv (a later layer recipe of `chef prepare --layer-recipes`), only the
    recipe's packages are installed and no earlier file is touched."""
    _exclusive(venv, python)
    from chef.cook.plan import Overrides
    from chef.cook.run import Cross, TargetSpec
    from chef.cook.run import cook as do_cook

    cross = None
    if platform is not None:
        cross = Cross(platform, libc, python_version)
    elif libc != "auto" or python_version is not None:
        from chef.errors import UsageError

        raise UsageError("--libc and --python-version describe the target of --platform",
                         hint="add --platform OS/ARCH, or leave them out for a native cook")

    overrides = Overrides(
        index_url=index_url,
        extra_index_urls=extra_index_urls,
        find_links=tuple(_abs_link(f) for f in find_links),
        no_index=no_index,
    )
    spec = TargetSpec(venv=venv, python=python, build_env=build_env)
    result = do_cook(
        recipe_path,
        spec,
        installer=installer,
        overrides=overrides,
        build_deps=not no_build_deps,
        dry_run=dry_run,
        quiet=quiet,
        echo=click.echo if dry_run else output.echo_err,
        credentials_file=credentials_file,
        cross=cross,
        layer_dir=layer_dir,
    )
    if not dry_run and not quiet:
        output.echo_err(output.cooked(result))


@main.command("install-project")
@_target_options
@click.option(
    "--project-dir",
    type=_DIRECTORY,
    default=Path("."),
    show_default=True,
    help="The project root that `chef prepare` read (in Docker: the WORKDIR, after `COPY . .`).",
)
@click.option("--editable", "-e", is_flag=True, help="Install the local packages in editable mode.")
@click.option("--package", "packages", multiple=True, help="Only these local packages.")
@click.option("--quiet", "-q", is_flag=True)
@click.option(
    "--platform",
    default=None,
    metavar="OS/ARCH",
    help="The platform the venv was cooked for (default: what `chef cook --platform` recorded "
    "in the build environment). Pure-Python packages are built here; a compiled one is refused.",
)
@click.option(
    "--version", "project_version", default=None, metavar="VERSION",
    help="The version of the packages whose version comes from git, for a tree without .git "
    "(default: $CHEF_PROJECT_VERSION); handed to their build backend (docs/docker.md: "
    "Versions from git).",
)
@_layer_dir_option("install-project")
@output.handle_errors
def install_project(
    recipe_path: Path,
    installer: str,
    venv: Optional[Path],
    python: Optional[str],
    build_env: Optional[Path],
    project_dir: Path,
    editable: bool,
    packages: Tuple[str, ...],
    quiet: bool,
    platform: Optional[str],
    project_version: Optional[str],
    layer_dir: Optional[Path],
) -> None:
    """Build and install the project's own packages with --no-deps, offline."""
    _exclusive(venv, python)
    from chef.cook.buildenv import install_project as do_install
    from chef.cook.run import TargetSpec
    from chef.scm_version import VERSION_VARIABLE, check_version

    given = project_version or os.environ.get(VERSION_VARIABLE) or None
    version = check_version(given, "--version" if project_version else VERSION_VARIABLE) \
        if given is not None else None

    spec = TargetSpec(venv=venv, python=python, build_env=build_env)
    names = do_install(
        recipe_path,
        spec,
        project_dir=project_dir,
        editable=editable,
        installer=installer,
        packages=packages,
        quiet=quiet,
        echo=output.echo_err,
        platform=platform,
        layer_dir=layer_dir,
        version=version,
    )
    if names and not quiet:
        output.echo_err(output.installed(names))


def run() -> None:
    """The console script (`chef`, `python -m chef`): `main` with the cyclic GC off, the output
    flushed and os._exit instead of the interpreter's teardown (chef.output.run_and_exit says
    why). Library callers of `main` are unaffected."""
    output.run_and_exit(main)


if __name__ == "__main__":  # pragma: no cover
    run()
