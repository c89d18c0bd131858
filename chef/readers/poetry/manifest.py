"""Poetry's pyproject.toml: what decides installs, with or without a lock.

`read_manifest` reads `[tool.poetry]` (dependencies, dev-dependencies, groups and their
include-groups, extras, sources) and poetry 2's PEP 621 `[project]` mix into a `Manifest` of
`PoetryDep`s, the declarations as written; the lock reader (chef.readers.poetry.lock) resolves
them against poetry.lock. Without a lock, `read_manifest_project` turns them into specifier edges
for the installer to resolve, with the indexes poetry would search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, NamedTuple, Optional, Set, Tuple
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from chef.errors import InputError
from chef.model import (
    Dep,
    IndexConfig,
    LocalPackage,
    Project,
    and_markers,
    canonical,
    norm_marker,
    parse_requirement,
    replace,
)
from chef.readers.poetry.constraints import python_marker, requires_python_of, single_specifier
from chef.readers.pyproject import (
    DEFAULT_BUILD_REQUIRES,
    build_requires,
    dependency_groups,
    expect,
    inside,
    outside_error,
    rel_display,
    str_list,
    tool_table,
)
from chef.readers.sources import archive_url, index_config, vcs_url
from chef.toml import load_toml
from chef.urls import strip_credentials

DepKind = Literal["registry", "git", "url", "path"]


@dataclass(frozen=True)
class PoetryDep:
    """One Poetry dependency declaration (a list form gives several)."""

    name: str
    constraint: str = "*"
    extras: Tuple[str, ...] = ()
    marker: Optional[str] = None
    optional: bool = False
    kind: DepKind = "registry"
    url: Optional[str] = None  # git (pip form) or url
    path: Optional[str] = None  # as written, relative to the declaring pyproject
    develop: bool = False


def parse_spec(name: str, spec: Any, display: str, where: str) -> List[PoetryDep]:
    """`name = "^1"`, `name = {version=..., markers=..., ...}` or a list of those."""
    name = canonical(name)
    if isinstance(spec, list):
        return [d for item in spec for d in parse_spec(name, item, display, where)]
    if isinstance(spec, str):
        return [PoetryDep(name=name, constraint=spec)]
    if not isinstance(spec, dict):
        raise InputError(f"{where}.{name} must be a string or a table", path=display)
    marker = norm_marker(spec.get("markers")) if isinstance(spec.get("markers"), str) else None
    if isinstance(spec.get("python"), str):
        marker = and_markers(marker, python_marker(spec["python"], display))
    if isinstance(spec.get("platform"), str):
        marker = and_markers(marker, norm_marker(f'sys_platform == "{spec["platform"]}"'))
    extras = tuple(sorted(canonical(e) for e in str_list(spec.get("extras", []), display, where)))
    optional = bool(spec.get("optional", False))
    develop = bool(spec.get("develop", False))
    kind: DepKind = "registry"
    url: Optional[str] = None
    if isinstance(spec.get("git"), str):
        kind = "git"
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        url = vcs_url(spec["git"], "git", ref, spec.get("subdirectory"))  # poetry: git only
    elif isinstance(spec.get("url"), str):
        kind = "url"
        url = archive_url(spec["url"], spec.get("subdirectory"))  # poetry: URLDependency.directory
    elif isinstance(spec.get("path"), str):
        return [PoetryDep(name=name, extras=extras, marker=marker, optional=optional,
                          kind="path", path=spec["path"], develop=develop)]
    else:
        return [PoetryDep(name=name, constraint=str(spec.get("version", "*")), extras=extras,
                          marker=marker, optional=optional, develop=develop)]
    return [PoetryDep(name=name, extras=extras, marker=marker, optional=optional, kind=kind,
                      url=url, develop=develop)]


def _from_pep508(text: str, display: str, where: str, optional: bool = False) -> PoetryDep:
    dep = parse_requirement(text, path=f"{display} [{where}]")
    if dep.url and dep.url.startswith(("hg+", "svn+", "bzr+")):
        # poetry-core takes only git among VCS URLs: it reads any other as a local path that
        # does not exist, and `poetry lock` fails on it
        raise InputError(
            f"{where}: poetry cannot install {dep.name} from {dep.url.partition('+')[0]}: "
            "it takes git URLs only",
            path=display,
            hint="use a git URL, or another manager",
        )
    if dep.url:
        kind: DepKind = (
            "path"
            if dep.url.startswith("file:")
            else ("git" if dep.url.startswith("git+") else "url")
        )
        path = None
        if kind == "path":
            from urllib.parse import unquote

            path = unquote(urlsplit(dep.url).path)
        return PoetryDep(
            name=dep.name,
            extras=dep.extras,
            marker=dep.marker,
            optional=optional,
            kind=kind,
            url=strip_credentials(dep.url) if kind != "path" else None,
            path=path,
        )
    return PoetryDep(
        name=dep.name,
        constraint=dep.specifier or "*",
        extras=dep.extras,
        marker=dep.marker,
        optional=optional,
    )


@dataclass
class Manifest:
    name: str
    installable: bool
    build_requires: Tuple[str, ...]
    requires_python: Optional[str]
    main: List[PoetryDep] = field(default_factory=list)
    extras: Dict[str, List[PoetryDep]] = field(default_factory=dict)
    groups: Dict[str, List[PoetryDep]] = field(default_factory=dict)
    sources: List[Dict[str, Any]] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


def read_manifest(data: Mapping[str, Any], display: str) -> Manifest:
    """The parts of a Poetry pyproject.toml that decide installs (poetry 1 and 2 layouts)."""
    tool = tool_table(data, "poetry", display)
    project = expect(data.get("project", {}), dict, display, "[project]")
    name = project.get("name") or tool.get("name")
    if not isinstance(name, str):
        name = "root"  # package-mode = false projects may have no name; never installed
    deps_table = expect(tool.get("dependencies", {}), dict, display, "tool.poetry.dependencies")
    requires_python = _requires_python(project, deps_table.get("python"), display)
    tool_deps: Dict[str, List[PoetryDep]] = {}
    for dep_name, spec in deps_table.items():
        if canonical(dep_name) == "python":
            continue
        tool_deps[canonical(dep_name)] = parse_spec(
            dep_name, spec, display, "tool.poetry.dependencies"
        )

    manifest = Manifest(
        name=canonical(name),
        installable=tool.get("package-mode", True) is not False,
        build_requires=build_requires(data, display)
        if "build-system" in data
        else DEFAULT_BUILD_REQUIRES,
        requires_python=requires_python,
        sources=[
            s for s in expect(tool.get("source") or [], list, display, "tool.poetry.source")
            if isinstance(s, dict)
        ],
    )
    manifest.main = _main_dependencies(project, tool_deps, display)
    _read_extras(manifest, project, tool, display)
    _read_groups(manifest, data, tool, display)
    _include_groups(manifest, tool, display)
    return manifest


def _requires_python(project: Mapping[str, Any], python: Any, display: str) -> Optional[str]:
    """`[project] requires-python`, else `[tool.poetry.dependencies] python` translated."""
    requires_python = project.get("requires-python")
    if isinstance(requires_python, str):
        try:
            return str(SpecifierSet(requires_python)) or None
        except InvalidSpecifier:
            raise InputError(f"invalid requires-python {requires_python!r}", path=display) from None
    return requires_python_of(python, display) if isinstance(python, str) else None


def _main_dependencies(
    project: Mapping[str, Any], tool_deps: Dict[str, List[PoetryDep]], display: str
) -> List[PoetryDep]:
    """The main group, optional ones included (`_read_extras` drops them once it has used them)."""
    dynamic = set(str_list(project.get("dynamic", []), display, "project.dynamic"))
    pep621 = "dependencies" in project or bool(project.get("optional-dependencies"))
    if not pep621 or "dependencies" in dynamic:
        return [dep for deps in tool_deps.values() for dep in deps]
    # Poetry 2: [project] decides (its optional-dependencies alone are enough: poetry-core's
    # Factory then takes no main dependency from [tool.poetry]); [tool.poetry.dependencies]
    # only adds detail (source, develop, path) to the same names.
    main = []
    for text in str_list(project.get("dependencies", []), display, "project.dependencies"):
        dep = _from_pep508(text, display, "project.dependencies")
        detail = tool_deps.get(dep.name)
        if detail and dep.kind == "registry" and detail[0].kind != "registry":
            dep = replace(
                detail[0],
                extras=dep.extras or detail[0].extras,
                marker=dep.marker or detail[0].marker,
            )
        main.append(dep)
    return main


def _read_extras(
    manifest: Manifest, project: Mapping[str, Any], tool: Mapping[str, Any], display: str
) -> None:
    """`[project.optional-dependencies]`, or `[tool.poetry.extras]` naming optional main
    dependencies; then the main group keeps only the dependencies that are not optional."""
    optional = expect(
        project.get("optional-dependencies", {}), dict, display, "optional-dependencies"
    )
    for extra, items in optional.items():
        where = f"project.optional-dependencies.{extra}"
        manifest.extras[canonical(extra)] = [
            _from_pep508(t, display, where, optional=True) for t in str_list(items, display, where)
        ]
    by_name = {d.name: d for d in manifest.main}
    tool_extras = expect(tool.get("extras", {}), dict, display, "tool.poetry.extras")
    if project.get("dependencies") or optional:
        tool_extras = {}  # poetry-core ignores [tool.poetry.extras] then
    for extra, names in tool_extras.items():
        chosen = manifest.extras.setdefault(canonical(extra), [])
        for dep_name in str_list(names, display, f"tool.poetry.extras.{extra}"):
            chosen.extend(d for d in manifest.main if d.name == canonical(dep_name))
            if canonical(dep_name) not in by_name:
                # Poetry's lock, install and export skip such a name (the extra installs
                # nothing for it; `poetry lock` writes `test = []`); only `poetry check`
                # reports it. chef does the same, with a warning.
                manifest.warnings.append(
                    f"{display}: extra {extra!r} names {dep_name!r}, which is not a dependency "
                    "of [tool.poetry.dependencies]: ignored, as poetry ignores it (`poetry check` "
                    "reports it)"
                )
    manifest.main = [d for d in manifest.main if not d.optional]


def _read_groups(
    manifest: Manifest, data: Mapping[str, Any], tool: Mapping[str, Any], display: str
) -> None:
    """Poetry 1's dev-dependencies (the "dev" group), `[tool.poetry.group.<g>]` and PEP 735
    `[dependency-groups]`, merged by group name in that order."""
    legacy_dev = tool.get("dev-dependencies")
    if isinstance(legacy_dev, dict):
        group = manifest.groups.setdefault("dev", [])
        for dep_name, spec in legacy_dev.items():
            group.extend(parse_spec(dep_name, spec, display, "tool.poetry.dev-dependencies"))
    for group_name, table in expect(
        tool.get("group", {}), dict, display, "tool.poetry.group"
    ).items():
        table = expect(table, dict, display, f"tool.poetry.group.{group_name}")
        group = manifest.groups.setdefault(canonical(group_name), [])
        deps = expect(
            table.get("dependencies", {}), dict, display, f"group.{group_name}.dependencies"
        )
        for dep_name, spec in deps.items():
            group.extend(parse_spec(dep_name, spec, display, f"tool.poetry.group.{group_name}"))
    for group_name, items in dependency_groups(data, display).items():
        group = manifest.groups.setdefault(group_name, [])
        group.extend(_from_pep508(t, display, f"dependency-groups.{group_name}") for t in items)


def _include_groups(manifest: Manifest, tool: Mapping[str, Any], display: str) -> None:
    """`[tool.poetry.group.<g>] include-groups = [...]` (Poetry 2.2): a group installs the
    groups it includes too, transitively (poetry-core's Factory; an unknown or cyclic include is
    an error there as here). Lock 2.1 already lists such packages under the including group."""
    includes: Dict[str, List[str]] = {}
    for group_name, table in tool.get("group", {}).items():
        if isinstance(table, dict) and "include-groups" in table:
            key = f"tool.poetry.group.{group_name}.include-groups"
            includes[canonical(group_name)] = [
                canonical(g) for g in str_list(table["include-groups"], display, key)]
    if not includes:
        return
    own = {name: list(deps) for name, deps in manifest.groups.items()}
    done: Dict[str, List[PoetryDep]] = {}

    def expand(name: str, stack: Tuple[str, ...]) -> List[PoetryDep]:
        if name in stack:
            raise InputError(
                "tool.poetry.group include cycle: " + " -> ".join(stack + (name,)), path=display)
        if name not in own:
            raise InputError(f"group {stack[-1]!r} includes group {name!r}, which is not defined",
                             path=display)
        if name not in done:
            deps = list(own[name])
            for included in includes.get(name, []):
                deps.extend(d for d in expand(included, stack + (name,)) if d not in deps)
            done[name] = deps
        return done[name]

    for name in includes:
        manifest.groups[name] = expand(name, ())


POETRY_BACKENDS = ("poetry.core.masonry.api", "poetry.masonry.api")


class BuiltRequirements(NamedTuple):
    """What `built_requirements` finds (a tuple still: callers index it)."""

    dependencies: List[str]
    extras: Dict[str, List[str]]  # extra -> requirements


def built_requirements(
    data: Mapping[str, Any], display: str
) -> Optional[BuiltRequirements]:
    """The Requires-Dist poetry-core writes for a pyproject.toml whose `[project]` has no
    `dependencies` (it fills them from `[tool.poetry.dependencies]` and `[tool.poetry.extras]`):
    (dependencies, extra -> requirements) as PEP 508 strings; None when one of them cannot be
    written as one (a path dependency, a `||` union)."""
    try:
        manifest = read_manifest(data, display)
    except InputError:
        return None

    def text(dep: PoetryDep) -> Optional[str]:
        if dep.kind == "path":
            return None
        try:
            specifier = "" if dep.url else single_specifier(dep.constraint, display, dep.name)
        except InputError:
            return None
        return Dep(name=dep.name, specifier=specifier, extras=dep.extras, marker=dep.marker,
                   url=dep.url).requirement_string()

    main = [text(d) for d in manifest.main]
    extras = {e: [text(d) for d in deps] for e, deps in manifest.extras.items()}
    if None in main or any(None in items for items in extras.values()):
        return None
    return BuiltRequirements([t for t in main if t],
                             {e: [t for t in items if t] for e, items in extras.items()})


def _local_target(root: Path, base: str, path: str, display: str, what: str) -> Optional[str]:
    """A path dependency as a directory inside the project, or None when it is an archive."""
    target = root / base / path
    if not target.is_dir():
        return None
    rel = inside(root, target)
    if rel is None:
        raise outside_error(display, f"{what} (path = {path!r})")
    return rel


# ---------------------------------------------------------------- unlocked (manifest only)


def _manifest_local(
    root: Path, rel: str, project: Project, seen: Set[str], editable: bool
) -> LocalPackage:
    display = rel_display(root, root / rel / "pyproject.toml")
    data = load_toml(root / rel / "pyproject.toml", display)
    manifest = read_manifest(data, display)
    project.warnings.extend(w for w in manifest.warnings if w not in project.warnings)

    def edge(dep: PoetryDep) -> Dep:
        if dep.kind == "path" and dep.path is not None:
            target = _local_target(root, rel, dep.path, display, dep.name)
            if target is None:
                raise InputError(
                    f"{dep.name} is a local archive {dep.path!r}, which chef cannot cook before "
                    "the project is copied",
                    path=display,
                    hint="publish it to an index or a find-links directory",
                )
            if target not in seen:
                seen.add(target)
                local = _manifest_local(root, target, project, seen, dep.develop)
                project.local_packages[local.name] = local
                if target != ".":
                    project.inputs.append(rel_display(root, root / target / "pyproject.toml"))
            return Dep(name=dep.name, extras=dep.extras, marker=dep.marker)
        if dep.kind in ("git", "url"):
            return Dep(name=dep.name, extras=dep.extras, marker=dep.marker, url=dep.url)
        specifier = single_specifier(dep.constraint, display, dep.name)
        return Dep(name=dep.name, specifier=specifier, extras=dep.extras, marker=dep.marker)

    def edges(deps: List[PoetryDep]) -> Tuple[Dep, ...]:
        return tuple(sorted({edge(d) for d in deps}))

    return LocalPackage(
        name=manifest.name,
        path=rel,
        build_requires=manifest.build_requires if manifest.installable else (),
        dependencies=edges(manifest.main),
        extras=tuple(sorted((k, edges(v)) for k, v in manifest.extras.items())),
        groups=tuple(sorted((k, edges(v)) for k, v in manifest.groups.items())),
        installable=manifest.installable,
        editable=editable,
    )


def read_manifest_project(root: Path, subdir: str = ".") -> Project:
    """pyproject.toml with [tool.poetry] and no poetry.lock: the installer resolves."""
    display = rel_display(root, root / subdir / "pyproject.toml")
    data = load_toml(root / subdir / "pyproject.toml", display)
    project = Project(root=root, manager="poetry", inputs=[display])
    local = _manifest_local(root, subdir, project, {subdir}, editable=False)
    project.local_packages[local.name] = local
    project.roots = [Dep(name=local.name)]
    manifest = read_manifest(data, display)
    project.requires_python = manifest.requires_python
    project.index = _index_config(manifest.sources)
    project.notes.append("no poetry.lock: the installer resolves the [tool.poetry] constraints")
    return project


def _index_config(sources: List[Dict[str, Any]]) -> IndexConfig:
    """The indexes poetry searches (poetry's Factory.create_pool): "primary" sources (the
    default priority) and "supplemental" ones; "explicit" ones serve named packages only. PyPI
    is searched only when no primary source is configured or a source named PyPI is (it has no
    url): a primary private index switches it off, so the first primary source replaces the
    installer's default index rather than adding to it (an extra index would let a public
    package of the same name in). Poetry 1.x's priority "default" (or `default = true`) replaces
    it too; its "secondary" is "supplemental"."""
    default: Optional[str] = None
    primary: List[str] = []
    extra: List[str] = []
    named_pypi = False
    for source in sources:
        url = source.get("url")
        name = source.get("name")
        if url is None and isinstance(name, str) and name.lower() == "pypi":
            named_pypi = True
            continue
        if not isinstance(url, str):
            continue
        priority = source.get("priority") or ("default" if source.get("default") else "primary")
        if source.get("secondary"):
            priority = "supplemental"
        if priority == "default":
            default = url
        elif priority == "primary":
            primary.append(url)
        elif priority == "supplemental":
            extra.append(url)
    if default is None and primary and not named_pypi:
        default, primary = primary[0], primary[1:]
    return index_config(default, primary + extra)
