"""Reading pyproject.toml, shared by every reader: PEP 621 `[project]`, PEP 735
`[dependency-groups]`, `[build-system]`, `[tool.uv]` index settings and workspace members, and
the checks on values and paths that go with them.

A local package (root or workspace member) is read from its pyproject.toml here, whatever manager
locks it. Readers import this module and never each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from chef import pep508
from chef.errors import InputError
from chef.limits import count
from chef.model import Dep, IndexConfig, LocalPackage, canonical, norm_marker, parse_requirement

# re-exported: readers import the boundary's check and error from here, as they always did
from chef.readers.boundary import inside as inside
from chef.readers.boundary import member_glob
from chef.readers.boundary import outside_error as outside_error
from chef.toml import load_toml, read_text
from chef.urls import normalize_index_url

# What pip and build use when a project has no [build-system] (PEP 518).
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0",)


def rel_display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def load_pyproject(root: Path, rel: str) -> Dict[str, Any]:
    path = root / rel / "pyproject.toml" if rel != "." else root / "pyproject.toml"
    return load_toml(path, rel_display(root, path))


def expect(value: Any, kind: type, display: str, key: str) -> Any:
    if not isinstance(value, kind):
        names = {list: "an array", dict: "a table", str: "a string", bool: "a boolean"}
        raise InputError(
            f"{key} must be {names.get(kind, kind.__name__)}, not {type(value).__name__}",
            path=display,
        )
    return value


def table(data: Mapping[str, Any], key: str, display: str, where: str = "") -> Mapping[str, Any]:
    """`data[key]` as a table ({} when absent); anything else is an InputError naming the key."""
    value = data.get(key)
    if value is None:
        return {}
    return expect(value, dict, display, where or f"[{key}]")  # type: ignore[no-any-return]


def tool_table(data: Mapping[str, Any], name: str, display: str) -> Mapping[str, Any]:
    """`[tool.<name>]` ({} when absent), type-checked on the way down."""
    return table(table(data, "tool", display), name, display, f"[tool.{name}]")


def str_list(value: Any, display: str, key: str) -> List[str]:
    items = expect(value, list, display, key)
    for item in items:
        expect(item, str, display, key + "[]")
    return list(items)


def marker_text(value: Any, display: str, key: str) -> Optional[str]:
    """A marker from a file, normalized; None when absent or empty. A bad one is an InputError."""
    if value is None:
        return None
    text = expect(value, str, display, key)
    try:
        return norm_marker(text)
    except (ValueError, RecursionError) as exc:  # packaging's InvalidMarker is a ValueError
        raise InputError(
            f"{key}: invalid marker {text!r}: {pep508.one_line(exc)}", path=display
        ) from None


def parse_deps(items: List[str], display: str, key: str) -> Tuple[Dep, ...]:
    deps = {parse_requirement(text, path=f"{display} [{key}]") for text in items}
    return tuple(sorted(deps))


def normalize_specifier(value: Any, display: str, key: str) -> Optional[str]:
    if value is None:
        return None
    text = expect(value, str, display, key)
    from packaging.specifiers import InvalidSpecifier

    try:
        return pep508.normalize_specifier(text)
    except InvalidSpecifier:
        raise InputError(
            f"{key} is not a valid version specifier: {text!r}", path=display
        ) from None


def dependency_groups(data: Mapping[str, Any], display: str) -> Dict[str, List[str]]:
    """PEP 735 groups with `{include-group = ...}` expanded; names canonical; cycles refused."""
    raw = expect(data.get("dependency-groups", {}), dict, display, "[dependency-groups]")
    groups = {
        canonical(k): expect(v, list, display, f"dependency-groups.{k}") for k, v in raw.items()
    }
    out: Dict[str, List[str]] = {}

    def expand(name: str, stack: Tuple[str, ...]) -> List[str]:
        # Each group is expanded once, its requirements without repeats (parse_deps makes a
        # set of them anyway): include diamonds doubled the work per level.
        if name in out:
            return out[name]
        if name in stack:
            chain = " -> ".join(stack + (name,))
            raise InputError(f"dependency group include cycle: {chain}", path=display)
        if name not in groups:
            raise InputError(f"dependency group {name!r} is included but not defined", path=display)
        count("group_expansions")
        result: Dict[str, None] = {}
        for item in groups[name]:
            if isinstance(item, str):
                result[item] = None
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                result.update(dict.fromkeys(expand(canonical(item["include-group"]),
                                                   stack + (name,))))
            else:
                raise InputError(
                    f"dependency-groups.{name} has an invalid entry {item!r}", path=display
                )
        out[name] = list(result)
        return out[name]

    for name in groups:
        expand(name, ())
    return {name: out[name] for name in groups}


def build_requires(data: Mapping[str, Any], display: str) -> Tuple[str, ...]:
    system = data.get("build-system")
    if system is None:
        return DEFAULT_BUILD_REQUIRES
    system = expect(system, dict, display, "[build-system]")
    items = str_list(system.get("requires", []), display, "build-system.requires")
    return tuple(
        sorted({d.requirement_string() for d in parse_deps(items, display, "build-system")})
    )


class DynamicMetadataError(InputError):
    """A dynamic `[project]` field that no metadata hook chef knows fills from static files."""


class Requirements:
    """A project's requirement strings as its build backend will report them: from `[project]`,
    or for dynamic fields from the static files a known metadata hook reads (setuptools'
    `[tool.setuptools.dynamic]`, hatch-requirements-txt, uv-dynamic-versioning's templates).
    Immutable by convention (a plain class: a dataclass costs ~0.4 ms of every prepare to
    define)."""

    __slots__ = ("dependencies", "optional", "origin", "templated")

    def __init__(self, dependencies: List[str], optional: Dict[str, List[str]],
                 origin: Dict[str, str], templated: Tuple[str, ...] = ()) -> None:
        self.dependencies = dependencies
        self.optional = optional  # extra names as written
        # "dependencies" / "optional-dependencies" -> where they were read
        self.origin = origin
        # Canonical names whose version specifier was a `{{ version }}` template (the project's
        # own version, known only to the build): kept without a specifier, as uv records a
        # local dependency; only acceptable for the project's own local packages.
        self.templated = templated


def project_requirements(
    root: Path, rel: str, data: Mapping[str, Any], display: str
) -> Requirements:
    """The requirement strings of the project at `root/rel` (DynamicMetadataError when a field
    is dynamic and no hook chef knows fills it from files in the project)."""
    project = expect(data.get("project"), dict, display, "[project]")
    dynamic = set(str_list(project.get("dynamic", []), display, "project.dynamic"))
    origin: Dict[str, str] = {}
    templated: Set[str] = set()

    poetry = _poetry_core_fills(project, data, display)
    if "dependencies" in dynamic:
        found = _dynamic_field(root, rel, data, display, "dependencies")
        if found is None:
            raise _dynamic_error(display, "dependencies")
        origin["dependencies"], raw = found
        dependencies = _untemplate(expect(raw, list, display, "dependencies"), display, templated)
    elif poetry is not None:
        dependencies = poetry[0]
        origin["dependencies"] = "[tool.poetry] (poetry-core)"
    else:
        dependencies = str_list(project.get("dependencies", []), display, "project.dependencies")
        origin["dependencies"] = "[project]"

    optional: Dict[str, List[str]] = {}
    if "optional-dependencies" in dynamic:
        found = _dynamic_field(root, rel, data, display, "optional-dependencies")
        if found is None:  # extras are opt-in: unknown ones fail only when one is selected
            origin["optional-dependencies"] = "dynamic, not readable statically"
        else:
            origin["optional-dependencies"], raw = found
            for extra, items in expect(raw, dict, display, "optional-dependencies").items():
                optional[extra] = _untemplate(items, display, templated)
    elif poetry is not None:
        optional = dict(poetry[1])
        origin["optional-dependencies"] = "[tool.poetry] (poetry-core)"
    else:
        opt = expect(project.get("optional-dependencies", {}), dict, display,
                     "optional-dependencies")
        for extra, items in opt.items():
            optional[extra] = str_list(items, display, f"project.optional-dependencies.{extra}")
        origin["optional-dependencies"] = "[project]"
    return Requirements(dependencies, optional, origin, tuple(sorted(templated)))


def _poetry_core_fills(
    project: Mapping[str, Any], data: Mapping[str, Any], display: str
) -> Optional[Tuple[List[str], Dict[str, List[str]]]]:
    """A `[project]` without `dependencies` and `optional-dependencies` beside `[tool.poetry]`,
    built by poetry-core: the backend fills the dependencies and extras from `[tool.poetry]`,
    as chef's poetry reader reads them (None: not this shape). Raises
    DynamicMetadataError when they cannot be written as PEP 508 requirements."""
    if "dependencies" in project or "poetry" not in table(data, "tool", display):
        return None
    if project.get("optional-dependencies"):
        # poetry-core then takes the main group from [project] (no dependencies) and uses
        # [tool.poetry.dependencies] only to enrich it: the static reading is right.
        return None
    from chef.readers.poetry import POETRY_BACKENDS, built_requirements

    backend = table(data, "build-system", display).get("build-backend")
    if backend not in POETRY_BACKENDS:
        return None  # another backend: no dependencies, as [project] says
    found = built_requirements(data, display)
    if found is None:
        raise DynamicMetadataError(
            "project.dependencies is absent, so poetry-core fills them from "
            "[tool.poetry.dependencies], which chef cannot write as PEP 508 requirements "
            "(a path dependency or a '||' union)",
            path=display,
            hint="list them in [project] dependencies, or point chef at the lock "
            "(--manager poetry) or a requirements file (--requirements)",
        )
    return found


def _dynamic_error(display: str, field: str) -> DynamicMetadataError:
    return DynamicMetadataError(
        f"project.{field} is dynamic and cannot be read statically",
        path=display,
        hint=f"list them in [project], or have setuptools ([tool.setuptools.dynamic] {field} = "
        "{file = [...]}) or hatch-requirements-txt read them from a file, or point chef at a "
        "lock or requirements file (--requirements)",
    )


def _dynamic_field(
    root: Path, rel: str, data: Mapping[str, Any], display: str, field: str
) -> Optional[Tuple[str, Any]]:
    """(origin, value) of a dynamic dependencies field from the first known hook that fills it:
    a list of strings for "dependencies", a table of lists for "optional-dependencies"."""
    setuptools = table(tool_table(data, "setuptools", display), "dynamic", display,
                       "[tool.setuptools.dynamic]")
    spec = setuptools.get(field)
    if isinstance(spec, dict):
        key = f"tool.setuptools.dynamic.{field}"
        if field == "dependencies" and "file" in spec:
            return "[tool.setuptools.dynamic]", _setuptools_lines(root, rel, spec["file"],
                                                                   display, key)
        if field == "optional-dependencies":
            return "[tool.setuptools.dynamic]", {
                extra: _setuptools_lines(
                    root, rel, expect(value, dict, display, f"{key}.{extra}").get("file", []),
                    display, f"{key}.{extra}")
                for extra, value in spec.items()
            }
    hooks, hooks_display = _hatch_metadata_hooks(root, rel, data, display)
    requirements_txt = hooks.get("requirements_txt")
    if isinstance(requirements_txt, dict):
        found = _requirements_txt(root, rel, requirements_txt, hooks_display, field)
        if found is not None:
            return "hatch-requirements-txt", found
    versioning = hooks.get("uv-dynamic-versioning")
    if isinstance(versioning, dict) and field in versioning:
        key = f"tool.hatch.metadata.hooks.uv-dynamic-versioning.{field}"
        value = versioning[field]
        if field == "dependencies":
            return "uv-dynamic-versioning", str_list(value, hooks_display, key)
        return "uv-dynamic-versioning", {
            extra: str_list(items, hooks_display, f"{key}.{extra}")
            for extra, items in expect(value, dict, hooks_display, key).items()
        }
    return None


def _hatch_metadata_hooks(
    root: Path, rel: str, data: Mapping[str, Any], display: str
) -> Tuple[Mapping[str, Any], str]:
    """`[tool.hatch.metadata.hooks]`, or `[metadata.hooks]` of a hatch.toml beside it (which
    hatch prefers when both exist)."""
    hatch_toml = root / rel / "hatch.toml"
    if hatch_toml.is_file():
        shown = rel_display(root, hatch_toml)
        config = load_toml(hatch_toml, shown)
        hooks = table(table(config, "metadata", shown), "hooks", shown, "[metadata.hooks]")
        if hooks:
            return hooks, shown
    hatch = tool_table(data, "hatch", display)
    metadata = table(hatch, "metadata", display, "[tool.hatch.metadata]")
    return table(metadata, "hooks", display, "[tool.hatch.metadata.hooks]"), display


def _requirements_txt(
    root: Path, rel: str, config: Mapping[str, Any], display: str, field: str
) -> Any:
    """What hatch-requirements-txt puts in `field`: `files` (or the older `filename`, or
    requirements.txt by default) for dependencies, `optional-dependencies` tables of files."""
    key = "tool.hatch.metadata.hooks.requirements_txt"
    if field == "dependencies":
        if "files" in config:
            files = str_list(config["files"], display, f"{key}.files")
        elif "filename" in config:
            files = [expect(config["filename"], str, display, f"{key}.filename")]
        else:
            files = ["requirements.txt"]
        return [line for name in files for line in _hook_file(root, rel, name, display, key)]
    spec = config.get("optional-dependencies")
    if spec is None:
        return None
    out: Dict[str, List[str]] = {}
    for extra, files in expect(spec, dict, display, f"{key}.optional-dependencies").items():
        names = str_list(files, display, f"{key}.optional-dependencies.{extra}")
        out[extra] = [line for name in names for line in _hook_file(root, rel, name, display, key)]
    return out


def _hook_file(root: Path, rel: str, name: str, display: str, key: str) -> List[str]:
    """Requirement lines of a file read by hatch-requirements-txt: as the hook reads them,
    lines that start with an option (`-r`, `--index-url`, `-e`) are skipped, not followed, and
    options after a requirement (`--hash=...`) are dropped."""
    from chef.readers.lines import logical_lines

    path = root / rel / name
    if inside(root, path, display) is None:
        raise outside_error(display, f"{key} file {name!r}")
    shown = rel_display(root, path)
    out = []
    for _, line in logical_lines(read_text(path, shown)):
        if line.startswith("-"):
            continue
        words = line.split()
        cut = next((i for i, w in enumerate(words) if i and w.startswith("-") and len(w) > 1
                    and (w[1].isalpha() or (w[1] == "-" and w[2:3].isalpha()))), len(words))
        out.append(" ".join(words[:cut]))
    return out


def _setuptools_lines(root: Path, rel: str, files: Any, display: str, key: str) -> List[str]:
    """Requirement lines of setuptools `file = ...` entries (each inside the project)."""
    from chef.readers.lines import plain_requirement_lines

    files = [files] if isinstance(files, str) else str_list(files, display, key + ".file")
    lines: List[str] = []
    for name in files:
        path = root / rel / name
        if inside(root, path, display) is None:
            raise outside_error(display, f"{key}.file {name!r}")
        lines.extend(plain_requirement_lines(path, rel_display(root, path)))
    return lines


def _untemplate(items: List[Any], display: str, templated: Set[str]) -> List[str]:
    """uv-dynamic-versioning's `name=={{ version }}`: the requirement without its templated
    specifier (the project's own version, known only when it is built); names recorded."""
    out = []
    for item in items:
        text = expect(item, str, display, "dependencies[]")
        if "{{" not in text:
            out.append(text)
            continue
        filled = _fill_templates(text)
        dep = parse_requirement(filled, path=display)
        templated.add(dep.name)
        out.append(Dep(name=dep.name, extras=dep.extras, marker=dep.marker,
                       url=dep.url).requirement_string())
    return out


def _fill_templates(text: str) -> str:
    """Every `{{ ... }}` replaced by a version that parses (only the name, extras and marker of
    the result are used)."""
    out, rest = "", text
    while "{{" in rest and "}}" in rest.split("{{", 1)[1]:
        before, _, after = rest.partition("{{")
        out += before + "0"
        rest = after.partition("}}")[2]
    return out + rest


def read_local_package(root: Path, rel: str, *, editable: bool = False) -> LocalPackage:
    """Read the local package at `root/rel` from its pyproject.toml (PEP 621)."""
    data = load_pyproject(root, rel)
    display = rel_display(root, (root / rel / "pyproject.toml"))
    return local_from_pyproject(root, rel, data, display, editable=editable)


def local_sources(data: Mapping[str, Any], display: str) -> Set[str]:
    """Names `[tool.uv.sources]` points at a workspace member or a local path."""
    sources = table(tool_table(data, "uv", display), "sources", display, "[tool.uv.sources]")
    out = set()
    for name, source in sources.items():
        entries = source if isinstance(source, list) else [source]
        if any(isinstance(s, dict) and (s.get("workspace") is True or "path" in s)
               for s in entries):
            out.add(canonical(name))
    return out


def local_from_pyproject(
    root: Path,
    rel: str,
    data: Mapping[str, Any],
    display: str,
    *,
    editable: bool = False,
    root_data: Optional[Mapping[str, Any]] = None,
) -> LocalPackage:
    """A local package from its pyproject.toml. `root_data`: the workspace root's, whose
    `[tool.uv.sources]` apply to members too."""
    project = expect(data.get("project"), dict, display, "[project]")
    name = expect(project.get("name"), str, display, "project.name")
    found = project_requirements(root, rel, data, display)
    if found.templated:
        local = local_sources(data, display)
        if root_data is not None:
            local |= local_sources(root_data, "pyproject.toml")
        unknown = sorted(set(found.templated) - local)
        if unknown:
            raise DynamicMetadataError(
                f"the versions of {', '.join(unknown)} come from a `{{{{ version }}}}` template "
                f"({found.origin['dependencies']}), which only a build can fill",
                path=display,
                hint="point chef at the lock (uv.lock) or a requirements file (--requirements)",
            )
    dependencies = parse_deps(found.dependencies, display, "dependencies")
    extras = {
        canonical(extra): parse_deps(items, display, f"optional-dependencies.{extra}")
        for extra, items in found.optional.items()
    }
    groups = {
        g: parse_deps(items, display, f"dependency-groups.{g}")
        for g, items in dependency_groups(data, display).items()
    }
    installable = tool_table(data, "uv", display).get("package") is not False
    return LocalPackage(
        name=canonical(name),
        path=rel,
        build_requires=build_requires(data, display),
        dependencies=dependencies,
        extras=tuple(sorted(extras.items())),
        groups=tuple(sorted(groups.items())),
        installable=installable,
        editable=editable,
    )


def workspace_members(root: Path, data: Mapping[str, Any], display: str) -> List[str]:
    """Members of a `[tool.uv.workspace]`: globs minus excludes, only dirs with a pyproject.toml."""
    ws = table(tool_table(data, "uv", display), "workspace", display, "[tool.uv.workspace]")
    if not ws:
        return []
    members: Set[str] = set()
    key = "tool.uv.workspace.members"
    for pattern in str_list(ws.get("members", []), display, key):
        for hit in member_glob(root, pattern, display, key):
            if (Path(hit) / "pyproject.toml").is_file():
                rel = inside(root, Path(hit), display)
                if rel is None:
                    raise outside_error(display, pattern)
                members.add(rel)
    key = "tool.uv.workspace.exclude"
    for pattern in str_list(ws.get("exclude", []), display, key):
        for hit in member_glob(root, pattern, display, key):
            members.discard(inside(root, Path(hit), display) or "")
    return sorted(members)


def _url_list(uv: Mapping[str, Any], key: str, display: str) -> List[str]:
    return [normalize_index_url(u) for u in str_list(uv.get(key, []), display, f"tool.uv.{key}")]


def uv_index_config(data: Mapping[str, Any], display: str) -> IndexConfig:
    """Index settings from `[tool.uv]` (index, index-url, extra-index-url, find-links)."""
    uv = tool_table(data, "uv", display)
    if not uv:
        return IndexConfig()
    default: Optional[str] = None
    extra: List[str] = []
    for entry in expect(uv.get("index", []), list, display, "tool.uv.index"):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise InputError("each [[tool.uv.index]] needs a url", path=display)
        url = normalize_index_url(entry["url"])
        if entry.get("format") == "flat":
            continue
        if entry.get("default"):
            default = url
        elif not entry.get("explicit"):
            extra.append(url)
    if uv.get("index-url") is not None:
        default = normalize_index_url(expect(uv["index-url"], str, display, "tool.uv.index-url"))
    extra.extend(_url_list(uv, "extra-index-url", display))
    flat = [
        normalize_index_url(e["url"])
        for e in uv.get("index", []) or []
        if isinstance(e, dict) and e.get("format") == "flat"
    ]
    flat += _url_list(uv, "find-links", display)
    from chef.readers.sources import index_config

    return index_config(
        default, extra, flat, no_index=bool(uv.get("no-index", False)),
        pre=uv.get("prerelease") == "allow",
    )
