"""PEP 621 `[project]`, PEP 735 `[dependency-groups]` and `[build-system]` of a pyproject.toml.

Also the base for every reader: a local package (root or workspace member) is read from its
pyproject.toml here, whatever manager locks it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from chef import pep508
from chef.errors import InputError
from chef.model import Dep, LocalPackage, Project, canonical, norm_marker, parse_requirement
from chef.toml import load_toml

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
            f"{key}: invalid marker {text!r}: {exc}".replace("\n", " "), path=display
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
        if name in stack:
            chain = " -> ".join(stack + (name,))
            raise InputError(f"dependency group include cycle: {chain}", path=display)
        if name not in groups:
            raise InputError(f"dependency group {name!r} is included but not defined", path=display)
        result: List[str] = []
        for item in groups[name]:
            if isinstance(item, str):
                result.append(item)
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                result.extend(expand(canonical(item["include-group"]), stack + (name,)))
            else:
                raise InputError(
                    f"dependency-groups.{name} has an invalid entry {item!r}", path=display
                )
        return result

    for name in groups:
        out[name] = expand(name, ())
    return out


def build_requires(data: Mapping[str, Any], display: str) -> Tuple[str, ...]:
    system = data.get("build-system")
    if system is None:
        return DEFAULT_BUILD_REQUIRES
    system = expect(system, dict, display, "[build-system]")
    items = str_list(system.get("requires", []), display, "build-system.requires")
    return tuple(
        sorted({d.requirement_string() for d in parse_deps(items, display, "build-system")})
    )


def dynamic_file_deps(
    root: Path, rel: str, data: Mapping[str, Any], display: str, field: str
) -> Optional[List[str]]:
    """setuptools `dynamic = ["dependencies"]` with `[tool.setuptools.dynamic]` file = [...]."""
    dynamic = table(tool_table(data, "setuptools", display), "dynamic", display,
                    "[tool.setuptools.dynamic]")
    dyn = dynamic.get(field)
    if not isinstance(dyn, dict) or "file" not in dyn:
        return None
    return _dynamic_lines(root, rel, dyn["file"], display, f"tool.setuptools.dynamic.{field}")


def _dynamic_lines(root: Path, rel: str, files: Any, display: str, key: str) -> List[str]:
    """Requirement lines of setuptools `file = ...` entries (each inside the project)."""
    from chef.readers.requirements import plain_requirement_lines

    files = [files] if isinstance(files, str) else str_list(files, display, key + ".file")
    lines: List[str] = []
    for name in files:
        path = root / rel / name
        if inside(root, path, display) is None:
            raise outside_error(display, f"{key}.file {name!r}")
        lines.extend(plain_requirement_lines(path, rel_display(root, path)))
    return lines


def read_local_package(root: Path, rel: str, *, editable: bool = False) -> LocalPackage:
    """Read the local package at `root/rel` from its pyproject.toml (PEP 621)."""
    data = load_pyproject(root, rel)
    display = rel_display(root, (root / rel / "pyproject.toml"))
    return local_from_pyproject(root, rel, data, display, editable=editable)


def local_from_pyproject(
    root: Path, rel: str, data: Mapping[str, Any], display: str, *, editable: bool = False
) -> LocalPackage:
    project = expect(data.get("project"), dict, display, "[project]")
    name = expect(project.get("name"), str, display, "project.name")
    dynamic = set(str_list(project.get("dynamic", []), display, "project.dynamic"))

    if "dependencies" in dynamic:
        lines = dynamic_file_deps(root, rel, data, display, "dependencies")
        if lines is None:
            raise InputError(
                "project.dependencies is dynamic and cannot be read statically",
                path=display,
                hint="list them in [project] or [tool.setuptools.dynamic] dependencies = {file = "
                "[...]}, or point chef at a lock/requirements file with --requirements",
            )
        dependencies = parse_deps(lines, display, "dependencies")
    else:
        dependencies = parse_deps(
            str_list(project.get("dependencies", []), display, "project.dependencies"),
            display,
            "project.dependencies",
        )

    extras: Dict[str, Tuple[Dep, ...]] = {}
    if "optional-dependencies" in dynamic:
        dyn = table(tool_table(data, "setuptools", display), "dynamic", display,
                    "[tool.setuptools.dynamic]")
        opt = table(dyn, "optional-dependencies", display,
                    "tool.setuptools.dynamic.optional-dependencies")
        for extra, spec in opt.items():
            key = f"tool.setuptools.dynamic.optional-dependencies.{extra}"
            spec = expect(spec, dict, display, key)
            lines = _dynamic_lines(root, rel, spec.get("file", []), display, key)
            extras[canonical(extra)] = parse_deps(lines, display, f"extra {extra}")
    else:
        opt = expect(
            project.get("optional-dependencies", {}), dict, display, "optional-dependencies"
        )
        for extra, items in opt.items():
            key = f"project.optional-dependencies.{extra}"
            extras[canonical(extra)] = parse_deps(str_list(items, display, key), display, key)

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


def inside(root: Path, target: Path, display: Optional[str] = None) -> Optional[str]:
    """`target` as a POSIX path relative to `root`, or None when it is outside."""
    try:
        real_root = Path(os.path.realpath(root))
        real = Path(os.path.realpath(target))
    except (ValueError, OSError) as exc:  # NUL bytes, symlink loops (strict platforms)
        raise InputError(
            f"invalid path {str(target)!r}: {exc}", path=display or str(root)
        ) from None
    try:
        rel = real.relative_to(real_root)
    except ValueError:
        return None
    text = PurePosixPath(rel.as_posix()).as_posix()
    return text if text else "."


def outside_error(display: str, what: str) -> InputError:
    return InputError(
        f"local dependency {what} points outside the project directory",
        path=display,
        hint="run chef with --project-dir on a directory that contains it (and widen the Docker "
        "build context to match), or vendor it into the project",
    )


def workspace_members(root: Path, data: Mapping[str, Any], display: str) -> List[str]:
    """Members of a `[tool.uv.workspace]`: globs minus excludes, only dirs with a pyproject.toml."""
    ws = table(tool_table(data, "uv", display), "workspace", display, "[tool.uv.workspace]")
    if not ws:
        return []
    members: Set[str] = set()
    for pattern in str_list(ws.get("members", []), display, "tool.uv.workspace.members"):
        for hit in _glob(root, pattern, display):
            if (Path(hit) / "pyproject.toml").is_file():
                rel = inside(root, Path(hit), display)
                if rel is None:
                    raise outside_error(display, pattern)
                members.add(rel)
    for pattern in str_list(ws.get("exclude", []), display, "tool.uv.workspace.exclude"):
        for hit in _glob(root, pattern, display):
            members.discard(inside(root, Path(hit), display) or "")
    return sorted(members)


def _glob(root: Path, pattern: str, display: str) -> List[str]:
    if "\x00" in pattern:
        raise InputError(f"invalid path pattern {pattern!r}", path=display)
    return sorted(glob.glob(str(root / pattern)))


def read(root: Path) -> Project:
    """A project from pyproject.toml alone: nothing locked, the installer resolves."""
    display = "pyproject.toml"
    data = load_toml(root / "pyproject.toml", display)
    project = Project(root=root, manager="pyproject", inputs=[display])
    rels: List[str] = []
    if "project" in data:
        rels.append(".")
    members = workspace_members(root, data, display)
    rels.extend(m for m in members if m != ".")
    if not rels:
        raise InputError(
            "no [project] table and no workspace members",
            path=display,
            hint="add a [project] table, or point chef at a lock or requirements file",
        )
    pending = list(rels)
    seen: Set[str] = set()
    while pending:
        rel = pending.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        pdata = data if rel == "." else load_pyproject(root, rel)
        pdisplay = rel_display(root, root / rel / "pyproject.toml")
        if rel != ".":
            project.inputs.append(pdisplay)
        local = local_from_pyproject(root, rel, pdata, pdisplay)
        local, found = _resolve_local_edges(root, rel, pdata, pdisplay, local, data)
        project.local_packages[local.name] = local
        pending.extend(found)
    for rel in rels:
        name = next(p.name for p in project.local_packages.values() if p.path == rel)
        project.roots.append(Dep(name=name))
    project.requires_python = normalize_specifier(
        table(data, "project", display).get("requires-python"), display, "project.requires-python"
    )
    from chef.readers.uv_lock import uv_index_config

    project.index = uv_index_config(data, display)
    return project


def _resolve_local_edges(
    root: Path,
    rel: str,
    data: Mapping[str, Any],
    display: str,
    local: LocalPackage,
    root_data: Mapping[str, Any],
) -> Tuple[LocalPackage, List[str]]:
    """Turn edges that point at local directories (file: URLs, `[tool.uv.sources]` paths and
    workspace members) into plain edges to local packages; return the directories found."""
    sources = dict(table(tool_table(root_data, "uv", "pyproject.toml"), "sources",
                         "pyproject.toml", "[tool.uv.sources]"))
    sources.update(table(tool_table(data, "uv", display), "sources", display, "[tool.uv.sources]"))
    members = {}
    for m in workspace_members(root, root_data, "pyproject.toml"):
        member_display = f"{m}/pyproject.toml"
        name = table(load_pyproject(root, m), "project", member_display).get("name", "")
        members[canonical(expect(name, str, member_display, "project.name"))] = m
    found: List[str] = []

    def fix(dep: Dep) -> Dep:
        target: Optional[str] = None
        src = sources.get(dep.name) or next(
            (v for k, v in sources.items() if canonical(k) == dep.name), None
        )
        if isinstance(src, dict) and isinstance(src.get("path"), str):
            path = root / rel / src["path"]
            if path.is_dir():
                target = inside(root, path, display)
                if target is None:
                    raise outside_error(display, f"{dep.name} = {src['path']!r}")
        elif isinstance(src, dict) and src.get("workspace") is True:
            target = members.get(dep.name)
            if target is None:
                raise InputError(f"{dep.name} is a workspace source but not a member", path=display)
        elif dep.url and dep.url.startswith("file:"):
            from urllib.parse import unquote, urlsplit

            path = Path(unquote(urlsplit(dep.url).path))
            if not path.is_absolute():
                path = root / rel / path
            if path.is_dir():
                target = inside(root, path, display)
                if target is None:
                    raise outside_error(display, dep.url)
        if target is None:
            return dep
        found.append(target)
        return Dep(name=dep.name, extras=dep.extras, marker=dep.marker)

    def fix_all(deps: Tuple[Dep, ...]) -> Tuple[Dep, ...]:
        return tuple(sorted(fix(d) for d in deps))

    fixed = LocalPackage(
        name=local.name,
        path=local.path,
        build_requires=local.build_requires,
        dependencies=fix_all(local.dependencies),
        extras=tuple((k, fix_all(v)) for k, v in local.extras),
        groups=tuple((k, fix_all(v)) for k, v in local.groups),
        installable=local.installable,
        editable=local.editable,
    )
    return fixed, found
