"""Poetry: `[tool.poetry]` (and poetry 2's PEP 621 `[project]` mix) plus poetry.lock 1.x/2.x.

Two ways to read a lock, the same two Poetry itself uses:
- lock-version 2.1 records, per package, the groups it belongs to and the marker (per group) that
  decides it. Poetry installs and exports from that list without walking anything, so chef reads
  it as a flat lock (chef.readers.flat): exact by construction.
- older locks (1.1, 2.0) have no such data; Poetry walks the dependency constraints from the
  project's requirements, choosing among locked versions of a name by constraint and by the
  Python range each version supports. chef does that walk once here, statically, and records the
  chosen version on every edge (several edges with Python markers when the choice depends on the
  interpreter), so the recipe is a plain graph.

Versions of the root and of path dependencies are never recorded (they are local packages).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.model import (
    Dep,
    IndexConfig,
    LocalPackage,
    LockedPackage,
    Project,
    Source,
    and_markers,
    canonical,
    norm_marker,
    parse_requirement,
)
from chef.readers.flat import GuardedLocals, RootBuilder
from chef.readers.locks import assign_keys, wheel_tags
from chef.readers.markers import placements, residual
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
from chef.readers.sources import archive_url, file_hashes, file_names, index_config, vcs_url
from chef.toml import load_toml
from chef.urls import normalize_index_url, strip_credentials

MAIN = "main"
_OPERATOR_CHARS = set("<>=!~^")

# ---------------------------------------------------------------- constraints


def _caret_or_tilde(op: str, text: str, display: str) -> str:
    try:
        version = Version(text)
    except InvalidVersion:
        raise InputError(f"invalid version {text!r} in constraint", path=display) from None
    release = list(version.release)
    given = len(text.lstrip("vV").split("+")[0].split("-")[0].split("."))
    given = max(1, min(given, len(release)))
    if op == "~":
        keep = 1 if given == 1 else 2
    else:  # caret: up to the first non-zero component
        keep = next((i + 1 for i, part in enumerate(release[:given]) if part != 0), given)
    upper = release[:keep]
    upper[-1] += 1
    return f">={version},<{'.'.join(str(p) for p in upper)}"


def _term(term: str, display: str) -> str:
    term = term.strip()
    if term in ("*", ""):
        return ""
    if term.startswith("^"):
        return _caret_or_tilde("^", term[1:].strip(), display)
    if term.startswith("~") and not term.startswith("~="):
        return _caret_or_tilde("~", term[1:].strip(), display)
    end = 0
    while end < len(term) and term[end] in "<>=!~":
        end += 1
    op, value = term[:end], term[end:].strip()
    if op in ("", "="):
        op = "=="
    if value.endswith(".*") and op not in ("==", "!="):
        value = value[:-2]  # ">=3.*" means ">=3"
    if value in ("*", ""):
        return ""
    return f"{op}{value}"


_CONSTRAINTS: Dict[str, List[SpecifierSet]] = {}


def _range_key(spec: SpecifierSet) -> FrozenSet[Tuple[str, object]]:
    """A specifier set as poetry-core compares parsed constraints: by the versions of its
    bounds (`^1.15.0` and `>=1.15.0,<2.0.0` are one range; `<2` and `<2.0.0` one bound), yet
    `!=` exclusions stay apart from the equivalent union of ranges, as poetry-core keeps them."""
    out = set()
    for item in spec:
        try:
            version: object = Version(item.version)
        except InvalidVersion:  # wildcards (`==1.*`) and `===` compare as written
            version = item.version
        out.add((item.operator, version))
    return frozenset(out)


def constraint_sets(text: str, display: str, what: str) -> List[SpecifierSet]:
    """A Poetry constraint (`^1.2`, `~1.2`, `>=1,<2 || ^3`, `1.2.*`, `*`) as a union of sets.

    Parsed once per distinct text (a lock repeats a few `python-versions` hundreds of times);
    the list returned is shared: callers only read it."""
    text = str(text)
    cached = _CONSTRAINTS.get(text)
    if cached is None:
        cached = _CONSTRAINTS[text] = _constraint_sets(text, display, what)
    return cached


def _constraint_sets(text: str, display: str, what: str) -> List[SpecifierSet]:
    out: List[SpecifierSet] = []
    for alternative in str(text).split("||"):
        terms: List[str] = []
        for chunk in alternative.split(","):
            tokens = chunk.split()
            merged: List[str] = []
            for token in tokens:
                if merged and set(merged[-1]) <= _OPERATOR_CHARS:
                    merged[-1] += token
                else:
                    merged.append(token)
            terms.extend(merged)
        specs = [s for s in (_term(t, display) for t in terms) if s]
        try:
            out.append(SpecifierSet(",".join(specs)))
        except InvalidSpecifier:
            raise InputError(f"{what}: invalid version constraint {text!r}", path=display) from None
    return out or [SpecifierSet()]


def allows(sets: List[SpecifierSet], version: str) -> bool:
    return any(s.contains(version, prereleases=True) for s in sets)


def single_specifier(text: str, display: str, what: str) -> str:
    sets = constraint_sets(text, display, what)
    if len(sets) != 1:
        raise InputError(
            f"{what}: constraint {text!r} is a union ('||'), which PEP 440 cannot express",
            path=display,
            hint="lock the project (poetry lock) so chef reads exact versions",
        )
    return str(sets[0])


def python_marker(text: str, display: str) -> Optional[str]:
    """`python = "^3.8"` in a dependency as a PEP 508 marker."""
    alternatives: List[str] = []
    for spec_set in constraint_sets(text, display, "python"):
        atoms = []
        for spec in sorted(spec_set, key=str):
            version = spec.version
            if version.endswith(".*"):
                var = "python_version" if version.count(".") <= 2 else "python_full_version"
            else:
                var = "python_full_version" if version.count(".") >= 2 else "python_version"
            atoms.append(f'{var} {spec.operator} "{version}"')
        if not atoms:
            return None
        alternatives.append(" and ".join(atoms))
    return norm_marker(" or ".join(f"({a})" for a in alternatives))


def requires_python_of(text: Optional[str], display: str) -> Optional[str]:
    if text is None:
        return None
    sets = constraint_sets(str(text), display, "python")
    return str(sets[0]) or None if len(sets) == 1 else None


# ---------------------------------------------------------------- the manifest


@dataclass(frozen=True)
class PoetryDep:
    """One Poetry dependency declaration (a list form gives several)."""

    name: str
    constraint: str = "*"
    extras: Tuple[str, ...] = ()
    marker: Optional[str] = None
    optional: bool = False
    kind: str = "registry"  # registry | git | url | path
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
    common = dict(
        name=name,
        extras=extras,
        marker=marker,
        optional=bool(spec.get("optional", False)),
        develop=bool(spec.get("develop", False)),
    )
    if isinstance(spec.get("git"), str):
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        url = vcs_url(spec["git"], "git", ref, spec.get("subdirectory"))  # poetry: git only
        return [PoetryDep(kind="git", url=url, **common)]  # type: ignore[arg-type]
    if isinstance(spec.get("url"), str):
        url = archive_url(spec["url"], spec.get("subdirectory"))  # poetry: URLDependency.directory
        return [PoetryDep(kind="url", url=url, **common)]  # type: ignore[arg-type]
    if isinstance(spec.get("path"), str):
        return [PoetryDep(kind="path", path=spec["path"], **common)]  # type: ignore[arg-type]
    return [PoetryDep(constraint=str(spec.get("version", "*")), **common)]  # type: ignore[arg-type]


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
        kind = (
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
    python = deps_table.get("python")
    requires_python = project.get("requires-python")
    if isinstance(requires_python, str):
        try:
            requires_python = str(SpecifierSet(requires_python)) or None
        except InvalidSpecifier:
            raise InputError(f"invalid requires-python {requires_python!r}", path=display) from None
    else:
        requires_python = requires_python_of(python, display) if isinstance(python, str) else None

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
    dynamic = set(str_list(project.get("dynamic", []), display, "project.dynamic"))
    pep621 = "dependencies" in project or bool(project.get("optional-dependencies"))
    if pep621 and "dependencies" not in dynamic:
        # Poetry 2: [project] decides (its optional-dependencies alone are enough: poetry-core's
        # Factory then takes no main dependency from [tool.poetry]); [tool.poetry.dependencies]
        # only adds detail (source, develop, path) to the same names.
        for text in str_list(project.get("dependencies", []), display, "project.dependencies"):
            dep = _from_pep508(text, display, "project.dependencies")
            detail = tool_deps.get(dep.name)
            if detail and dep.kind == "registry" and detail[0].kind != "registry":
                dep = replace(
                    detail[0],
                    extras=dep.extras or detail[0].extras,
                    marker=dep.marker or detail[0].marker,
                )
            manifest.main.append(dep)
    else:
        for deps in tool_deps.values():
            manifest.main.extend(deps)

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
    _include_groups(manifest, tool, display)
    return manifest


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


def built_requirements(
    data: Mapping[str, Any], display: str
) -> Optional[Tuple[List[str], Dict[str, List[str]]]]:
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
    return ([t for t in main if t],
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


# ---------------------------------------------------------------- the lock


@dataclass
class _Entry:
    name: str
    version: str
    source: Dict[str, Any]
    hashes: Tuple[str, ...]
    raw: Mapping[str, Any]
    python: List[SpecifierSet]
    local: Optional[str] = None  # relative path for directory sources
    key: str = ""
    wheels: Optional[Tuple[str, ...]] = None  # chef.readers.locks.wheel_tags


def _source_id(source: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={source[k]}" for k in sorted(source) if k != "reference")


def _locked_source(entry: _Entry, display: str) -> Source:
    source = entry.source
    kind = source.get("type")
    url = source.get("url")
    if not kind or kind == "pypi":
        return Source("registry", None)
    if not isinstance(url, str):
        raise InputError(f"package {entry.name} has a {kind} source without a url", path=display)
    if kind == "legacy":
        return Source("registry", normalize_index_url(url))
    if kind == "git":
        ref = source.get("resolved_reference") or source.get("reference")
        return Source("git", vcs_url(url, "git", ref, source.get("subdirectory")))
    if kind in ("url", "file") and "://" in url and not url.startswith("file:"):
        return Source("url", archive_url(url, source.get("subdirectory")))
    if kind == "file":
        raise InputError(
            f"{entry.name} comes from a local file {url!r}, which chef cannot cook before the "
            "project is copied",
            path=display,
            hint="publish it to an index or a find-links directory",
        )
    raise InputError(f"package {entry.name} has an unknown source type {kind!r}", path=display)


_SAMPLES = ["2.7"] + [f"3.{minor}" for minor in range(0, 31)]


def _python_split(candidates: List[_Entry]) -> List[Tuple[_Entry, Optional[str]]]:
    """For each Python minor version, the highest candidate that supports it (Poetry's walker
    splits on the Python ranges of the candidates the same way); as (entry, marker) runs."""
    ordered = sorted(candidates, key=lambda e: Version(e.version), reverse=True)
    chosen = [next((c for c in ordered if allows(c.python, v)), None) for v in _SAMPLES]
    out: List[Tuple[_Entry, Optional[str]]] = []
    start = 0
    while start < len(_SAMPLES):
        end = start
        while end + 1 < len(_SAMPLES) and chosen[end + 1] is chosen[start]:
            end += 1
        entry = chosen[start]
        if entry is not None:
            atoms = []
            if start > 0:
                atoms.append(f'python_version >= "{_SAMPLES[start]}"')
            if end + 1 < len(_SAMPLES):
                atoms.append(f'python_version < "{_SAMPLES[end + 1]}"')
            out.append((entry, norm_marker(" and ".join(atoms)) if atoms else None))
        start = end + 1
    return out


def _hashes(files: List[Any]) -> Tuple[str, ...]:
    # the oldest locks stored bare sha256 digests (poetry-plugin-export reads them as sha256)
    return file_hashes(files, bare="sha256")


def _files(
    raw: Mapping[str, Any], legacy_files: Mapping[str, Any], legacy_hashes: Mapping[str, Any]
) -> List[Any]:
    """A package's files as Poetry reads them from the three generations of poetry.lock:
    per package (2.x), `[metadata.files]` by name (1.x, every version of the name; only the
    named file for a `file` source; none for git/url/directory sources), `metadata.hashes`."""
    if isinstance(raw.get("files"), list):
        return list(raw["files"])
    name = str(raw.get("name", ""))
    if name in legacy_hashes:
        return [{"hash": h} for h in legacy_hashes[name] or []]
    source = raw.get("source", {}) or {}
    kind = source.get("type")
    if kind in ("git", "directory", "url"):
        return []
    files = legacy_files.get(name, legacy_files.get(canonical(name), [])) or []
    if kind == "file":
        filename = str(source.get("url", "")).replace("\\", "/").rsplit("/", 1)[-1]
        return [f for f in files if isinstance(f, dict) and f.get("file") == filename]
    return list(files)


def _wheels(files: List[Any], version: str, legacy: bool) -> Optional[Tuple[str, ...]]:
    """`wheel_tags` of the files poetry lists (None for a lock that names none of them). A 1.x
    lock's `[metadata.files]` lists every locked version of the name: only this version's."""
    names = file_names(files, ("file",))
    if not names:
        return None
    if legacy:
        wanted = _file_version(f"x-{version}.zip")
        names = [n for n in names if _file_version(n) == wanted]
        if not names:
            return None
    return wheel_tags(names)


def _file_version(filename: str) -> Optional[str]:
    """The version a distribution file's name gives, as a normalized string (None: unknown)."""
    stem = filename[:-4] if filename.endswith(".whl") else filename
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            parts = stem.rsplit("-", 1)
            break
    else:
        parts = stem.split("-")
    if len(parts) < 2:
        return None
    try:
        return str(Version(parts[1]))
    except InvalidVersion:
        return None


class _LockReader:
    def __init__(
        self, root: Path, subdir: str, lock: Mapping[str, Any], manifest: Manifest
    ) -> None:
        self.root = root
        self.subdir = subdir
        self.display = rel_display(root, root / subdir / "poetry.lock")
        self.outside: Dict[str, InputError] = {}
        self.outside_entries: List[_Entry] = []
        self.manifest = manifest
        self.notes: List[str] = []
        metadata = expect(lock.get("metadata", {}), dict, self.display, "[metadata]")
        self.lock_version = str(metadata.get("lock-version", "1.0"))
        legacy_files = metadata.get("files", {}) if isinstance(metadata.get("files"), dict) else {}
        legacy_hashes = metadata.get("hashes") if isinstance(metadata.get("hashes"), dict) else {}
        self.entries: List[_Entry] = []
        for raw in expect(lock.get("package", []), list, self.display, "package"):
            expect(raw, dict, self.display, "[[package]]")
            name = canonical(expect(raw.get("name"), str, self.display, "package.name"))
            version = str(raw.get("version", ""))
            files = _files(raw, legacy_files, legacy_hashes)
            hashes = _hashes(files)
            source = expect(raw.get("source") or {}, dict, self.display, f"package {name} source")
            entry = _Entry(
                name=name,
                version=version,
                source=dict(source),
                hashes=hashes,
                raw=raw,
                python=constraint_sets(str(raw.get("python-versions", "*")), self.display, name),
                wheels=_wheels(files, version, legacy=not isinstance(raw.get("files"), list)),
            )
            if source.get("type") == "directory":
                rel = inside(root, root / subdir / str(source.get("url", "")))
                if rel is None:
                    self.outside[name] = outside_error(
                        self.display, f"{name} (directory {source.get('url')!r})"
                    )
                    self.outside_entries.append(entry)
                    continue
                entry.local = rel
            self.entries.append(entry)
        keys = assign_keys([(e.name, e.version, _source_id(e.source)) for e in self.entries])
        for entry in self.entries:
            entry.key = keys[(entry.name, entry.version, _source_id(entry.source))]
        self.by_name: Dict[str, List[_Entry]] = {}
        for entry in self.entries:
            self.by_name.setdefault(entry.name, []).append(entry)
        self.local_names = (
            {e.name for e in self.entries if e.local is not None}
            | {manifest.name}
            | set(self.outside)
        )

    @functools.cached_property
    def flat(self) -> bool:  # asked once per package: the lock-version is parsed once
        try:
            return Version(self.lock_version) >= Version("2.1")
        except InvalidVersion:
            raise InputError(
                f"unsupported lock-version {self.lock_version!r}", path=self.display
            ) from None

    def locked(self) -> Dict[str, LockedPackage]:
        out: Dict[str, LockedPackage] = {}
        for entry in self.entries:
            if entry.local is not None:
                continue
            deps: Tuple[Dep, ...] = ()
            extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...] = ()
            if not self.flat:
                deps, extras = self._package_edges(entry)
            out[entry.key] = LockedPackage(
                name=entry.name,
                version=entry.version,
                source=_locked_source(entry, self.display),
                hashes=entry.hashes,
                dependencies=deps,
                extras=extras,
                key=entry.key,
                wheels=entry.wheels
                if entry.source.get("type") not in ("git", "url", "file", "directory")
                else None,
            )
        return out

    # -- graph mode (lock 1.x, 2.0)

    def resolve(self, dep: PoetryDep, where: str) -> List[Dep]:
        if dep.name in self.local_names:
            return [Dep(name=dep.name, extras=dep.extras, marker=dep.marker)]
        candidates = self.by_name.get(dep.name, [])
        if dep.kind == "git":
            candidates = [c for c in candidates if c.source.get("type") == "git"]
        elif dep.kind == "url":
            candidates = [c for c in candidates if c.source.get("type") in ("url", "file")]
        elif dep.kind == "registry":
            sets = constraint_sets(dep.constraint, self.display, f"{where} {dep.name}")
            candidates = [
                c
                for c in candidates
                if c.source.get("type") not in ("git", "url", "file", "directory")
                and allows(sets, c.version)
            ] or [c for c in candidates if allows(sets, c.version)]
        if not candidates:
            self.notes.append(
                f"{where}: no locked {dep.name} matches {dep.constraint!r}; skipped "
                "(Poetry skips it too: its markers never apply to this project)"
            )
            return []
        if len(candidates) == 1:
            return [Dep(name=dep.name, extras=dep.extras, marker=dep.marker, key=candidates[0].key)]
        return [
            Dep(name=dep.name, extras=dep.extras, marker=and_markers(dep.marker, m), key=c.key)
            for c, m in _python_split(candidates)
        ]

    def resolve_all(self, deps: List[PoetryDep], where: str) -> Tuple[Dep, ...]:
        return tuple(sorted({e for d in deps for e in self.resolve(d, where)}))

    def _package_edges(
        self, entry: _Entry
    ) -> Tuple[Tuple[Dep, ...], Tuple[Tuple[str, Tuple[Dep, ...]], ...]]:
        where = f"package {entry.name}"
        table = expect(entry.raw.get("dependencies", {}) or {}, dict, self.display, where)
        required: List[PoetryDep] = []
        optional: Dict[str, List[PoetryDep]] = {}
        for dep_name, spec in table.items():
            for dep in parse_spec(dep_name, spec, self.display, where):
                if dep.optional:
                    optional.setdefault(dep.name, []).append(dep)
                else:
                    required.append(dep)
        if entry.local is None:
            # A third-party package that needs a local one (often the root project itself:
            # a plugin of it). Poetry's walker skips the root; install-project builds locals.
            required = [d for d in required if d.name not in self.local_names]
            optional = {n: ds for n, ds in optional.items() if n not in self.local_names}
        extras: Dict[str, Tuple[Dep, ...]] = {}
        raw_extras = expect(
            entry.raw.get("extras", {}) or {}, dict, self.display, where + " extras"
        )
        for extra, items in raw_extras.items():
            chosen: List[PoetryDep] = []
            for text in str_list(items, self.display, f"{where} extras.{extra}"):
                chosen.extend(d for d in self._extra_members(text, optional) if d not in chosen)
            extras[canonical(extra)] = self.resolve_all(chosen, f"{where} extra {extra}")
        return self.resolve_all(required, where), tuple(sorted(extras.items()))

    def _extra_members(self, text: str, optional: Dict[str, List[PoetryDep]]) -> List[PoetryDep]:
        """The optional dependencies an entry of `[package.extras]` activates.

        Poetry's export walker matches them by equality of the whole requirement: name, extras
        and the constraint as poetry-core parses it. So `azure-identity (>=1.15.0,<2.0.0)`
        activates a dependency locked as `^1.15.0` (one range), while `uvloop (>=0.14,!=0.15.0)`
        does not activate one locked as `>=0.14,<0.15.0 || >0.15.0` (poetry-core keeps the
        exclusion and the union apart). chef follows the exporter, the oracle of these locks;
        `poetry install` matches by name alone and may install such a dependency too
        (docs/inputs.md)."""
        try:
            req = Requirement(text)
        except InvalidRequirement:
            name = canonical(text.split()[0].split("[")[0].split("(")[0])
            return optional.get(name, [])
        wanted_specs = {_range_key(req.specifier)}
        wanted_extras = tuple(sorted(canonical(e) for e in req.extras))
        out = []
        for dep in optional.get(canonical(req.name), []):
            sets = {_range_key(s) for s in constraint_sets(dep.constraint, self.display, dep.name)}
            if dep.kind != "registry" or (sets == wanted_specs and dep.extras == wanted_extras):
                out.append(dep)
        return out

    # -- both modes

    def local_packages(self) -> Dict[str, LocalPackage]:
        out: Dict[str, LocalPackage] = {}
        for entry in self.entries:
            if entry.local is None:
                continue
            deps: Tuple[Dep, ...] = ()
            extras: Tuple[Tuple[str, Tuple[Dep, ...]], ...] = ()
            if not self.flat:
                deps, extras = self._package_edges(entry)
            pyproject = self.root / entry.local / "pyproject.toml"
            if pyproject.is_file():
                display = rel_display(self.root, pyproject)
                build = build_requires(load_toml(pyproject, display), display)
            else:
                build = DEFAULT_BUILD_REQUIRES
            out[entry.name] = LocalPackage(
                name=entry.name,
                path=entry.local,
                build_requires=build,
                dependencies=deps,
                extras=extras,
                installable=True,
                editable=bool(entry.raw.get("develop", False)),
            )
        return out

    def flat_root(self) -> LocalPackage:
        builder = RootBuilder()
        builder.declare(self.manifest.extras, self.manifest.groups)
        # Outside directories take part too: their edge fails only when walked.
        for entry in self.entries + self.outside_entries:
            # The edge to this entry, with the marker of each placement (built directly: this
            # runs per locked package, and dataclasses.replace costs several times more).
            key = None if entry.local is not None or entry.name in self.outside else entry.key
            groups = entry.raw.get("groups") or [MAIN]
            markers = entry.raw.get("markers")
            for group in str_list(groups, self.display, f"package {entry.name} groups"):
                marker = markers.get(group) if isinstance(markers, dict) else markers
                if marker is not None and not isinstance(marker, str):
                    raise InputError(
                        f"package {entry.name}: markers must be strings", path=self.display
                    )
                if group == MAIN:
                    for place in placements(marker, self.display, groups_allowed=False):
                        builder.add(place.kind, place.name,
                                    Dep(name=entry.name, key=key, marker=place.marker))
                    continue
                value = residual(marker, self.display)
                if value is not False:
                    builder.add(
                        "group",
                        canonical(group),
                        Dep(name=entry.name, key=key, marker=None if value is True else value),
                    )
        return builder.package(
            self.manifest.name,
            self.subdir,
            installable=self.manifest.installable,
            build_requires=self.manifest.build_requires,
        )

    def graph_root(self) -> LocalPackage:
        m = self.manifest
        return LocalPackage(
            name=m.name,
            path=self.subdir,
            build_requires=m.build_requires if m.installable else (),
            dependencies=self.resolve_all(m.main, "pyproject.toml dependencies"),
            extras=tuple(
                sorted(
                    (k, self.resolve_all(v, f"pyproject.toml extra {k}"))
                    for k, v in m.extras.items()
                )
            ),
            groups=tuple(
                sorted(
                    (k, self.resolve_all(v, f"pyproject.toml group {k}"))
                    for k, v in m.groups.items()
                )
            ),
            installable=m.installable,
        )


def read(root: Path, subdir: str = ".") -> Project:
    """poetry.lock + pyproject.toml in `root/subdir`; local paths are relative to `root`, which
    is the Docker build context (a monorepo root may hold several Poetry projects)."""
    base = root / subdir
    display = rel_display(root, base / "poetry.lock")
    pyproject_display = rel_display(root, base / "pyproject.toml")
    if not (base / "poetry.lock").is_file() and (base / "pyproject.toml").is_file():
        return read_manifest_project(root, subdir)
    lock = load_toml(base / "poetry.lock", display)
    if not (base / "pyproject.toml").is_file():
        raise InputError(
            "poetry.lock without a pyproject.toml next to it",
            path=display,
            hint="run chef in the directory that holds both",
        )
    data = load_toml(base / "pyproject.toml", pyproject_display)
    manifest = read_manifest(data, pyproject_display)
    reader = _LockReader(root, subdir, lock, manifest)
    major = reader.lock_version.split(".")[0]
    if major not in ("1", "2"):
        raise InputError(
            f"unsupported poetry.lock lock-version {reader.lock_version!r}",
            path=display,
            hint="chef reads lock-version 1.1, 2.0 and 2.1; upgrade chef",
        )
    project = Project(root=root, manager="poetry", inputs=[pyproject_display, display])
    locals_ = GuardedLocals(reader.local_packages())
    locals_.outside.update(reader.outside)
    root_package = reader.flat_root() if reader.flat else reader.graph_root()
    # The project itself may be locked as a path dependency of one of its members (a cycle).
    locals_.pop(root_package.name, None)
    locals_[root_package.name] = root_package
    for local in locals_.values():
        if local.path != subdir and (root / local.path / "pyproject.toml").is_file():
            project.inputs.append(rel_display(root, root / local.path / "pyproject.toml"))
    project.local_packages = locals_
    project.locked = reader.locked()
    project.roots = [Dep(name=root_package.name)]
    project.requires_python = manifest.requires_python
    project.index = IndexConfig()
    project.warnings.extend(manifest.warnings)
    project.notes.extend(reader.notes)
    project.notes.append(
        f"{display} {reader.lock_version}: "
        + (
            "flat (groups and markers per package)"
            if reader.flat
            else "graph walked from pyproject"
        )
    )
    return project
