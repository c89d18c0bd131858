"""Where cook's index options point, in one place: a URL the installer fetches, or a directory on
this machine's disk (find-links, a flat index), and the rewrites a URL goes through between the
recipe and the installer's command line.

In order: `${NAME}` placeholders filled from cook's environment (`expanded`), credentials taken
off cook's own options (`without_userinfo`), project-relative directories made absolute
(`recipe_relative`), and credentials split off for the installer's netrc (`for_installer`).
Pure functions over data, as chef.cook.plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Mapping, Optional, Set, TypeVar

from chef.model import IndexConfig, replace

if TYPE_CHECKING:
    from chef.cook.plan import InstallPlan, Overrides
    from chef.recipe import Recipe

Fix = Callable[[str], str]
# The recipe's (and a batch's) index options, or cook's own command-line ones.
Options = TypeVar("Options", IndexConfig, "Overrides")


def is_url(link: str) -> bool:
    """A URL (`scheme://`, `file:`), not a path on this machine's disk."""
    return "://" in link or link.startswith("file:")


def project_relative(link: str) -> bool:
    """A find-links entry that is a path relative to the project (no URL, not absolute)."""
    return not is_url(link) and not Path(link).is_absolute()


def local_path(link: str, base: Path) -> Optional[Path]:
    """The directory on this machine's disk that a find-links entry (or a flat index) names: a
    `file:` URL's path, an absolute path, or a path relative to `base`, the project's directory
    (the recipe's); None for a URL the installer fetches."""
    if link.startswith("file:"):
        from urllib.parse import unquote, urlsplit

        return Path(unquote(urlsplit(link).path))
    if is_url(link):
        return None
    return base / link if project_relative(link) else Path(link)


def urls_of(options: Options) -> List[str]:
    """Every URL of index options: the index, the extra indexes, the find-links."""
    return [u for u in (options.index_url, *options.extra_index_urls, *options.find_links) if u]


def with_urls(options: Options, fix: Fix) -> Options:
    """Index options with every URL (index, extra indexes, find-links) through `fix`."""
    return replace(
        options,
        index_url=fix(options.index_url) if options.index_url else None,
        extra_index_urls=tuple(fix(u) for u in options.extra_index_urls),
        find_links=tuple(fix(u) for u in options.find_links),
    )


def without_userinfo(overrides: Overrides) -> Overrides:
    """cook's own index options keep no credentials: they go to the installer via netrc."""
    from chef.urls import strip_credentials

    return with_urls(overrides, strip_credentials)


def expanded(recipe: Recipe, environ: Mapping[str, str], *, strict: bool,
             echo: Callable[[str], None], hidden: Set[str]) -> Recipe:
    """The recipe's index URLs, find-links and registry sources with `${NAME}` placeholders
    filled from cook's environment (the installers do not expand them on a command line); the
    values that filled them are added to `hidden` (masked wherever they would show).
    A dry run says which variables a real cook will need instead of failing."""
    from chef.cook import credentials

    def fix(url: str) -> str:
        filled, values = credentials.expand_parts(url, environ, strict=strict)
        hidden.update(values)
        return filled

    recipe = replace(recipe, index=with_urls(recipe.index, fix))  # Recipe is frozen
    if recipe.locked:
        for key, package in list(recipe.locked.items()):
            if package.source.kind == "registry" and package.source.url:
                recipe.locked[key] = replace(
                    package, source=replace(package.source, url=fix(package.source.url)))
    if not strict:
        urls = urls_of(recipe.index)
        urls += [p.source.url for p in (recipe.locked or {}).values() if p.source.url]
        unset = sorted({n for u in urls for n in credentials.placeholder_names(u)})
        if unset:
            echo(f"note: cook needs {', '.join(unset)} in its environment (index URLs of the "
                 "recipe)")
    return recipe


def local_links(recipe: Recipe, overrides: Overrides) -> List[str]:
    """The recipe's find-links, cook's own, and the flat directories its lock takes packages
    from (uv's `registry` sources that are no URL), in that order."""
    links = list(recipe.index.find_links) + list(overrides.find_links)
    for package in (recipe.locked or {}).values():
        if package.source.kind == "registry" and package.source.url is not None:
            links.append(package.source.url)  # a flat find-links directory (uv)
    return links


def missing_local_links(recipe: Recipe, overrides: Overrides, recipe_path: Path) -> List[str]:
    """Directories on this machine's disk that the recipe (or --find-links) takes packages from
    and that are not there. pip only warns about one and goes on to the index, where a package
    of the same name may be someone else's. Relative paths are the project's, next to the
    recipe (as `recipe_relative` makes them for the installer)."""
    base = recipe_path.resolve().parent
    missing: List[str] = []
    for link in local_links(recipe, overrides):
        if "${" in link:  # an unset placeholder (dry run): nothing to look at yet
            continue
        local = local_path(link, base)
        if local is not None and not local.exists() and str(local) not in missing:
            missing.append(str(local))
    return missing


def local_directories(links: List[str], recipe_path: Path) -> List[Path]:
    """The directories of `links` that are on this machine's disk, each once, in order."""
    base = recipe_path.resolve().parent
    directories: List[Path] = []
    for link in links:
        local = local_path(link, base)
        if local is not None and local.is_dir() and local not in directories:
            directories.append(local)
    return directories


def recipe_relative(install_plan: InstallPlan, recipe_path: Path) -> InstallPlan:
    """find-links paths in a recipe are relative to the project, i.e. to the recipe's directory."""
    base = recipe_path.resolve().parent

    def fix(options: IndexConfig) -> IndexConfig:
        links = tuple(str(base / link) if project_relative(link) else link
                      for link in options.find_links)
        return replace(options, find_links=links)

    install_plan.map_options(fix)
    return install_plan


def plan_urls(install_plan: InstallPlan) -> List[str]:
    """Every URL the plan's installer calls are given, in order (credentials look them up)."""
    return [u for batch in install_plan.all_batches() for u in urls_of(batch.options)]


def for_installer(install_plan: InstallPlan, environ: Mapping[str, str]) -> InstallPlan:
    """The URLs as the installer gets them: without the credentials (the netrc has them); a
    dry run keeps unset placeholders as written."""
    from chef.cook.credentials import split_url

    def fix(url: str) -> str:
        return url if "${" in url else split_url(url, environ)[0]

    install_plan.map_options(lambda options: with_urls(options, fix))
    return install_plan
