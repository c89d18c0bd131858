"""Reading pyproject.toml, shared by every reader: PEP 621 `[project]`, PEP 735
`[dependency-groups]`, `[build-system]`, `[tool.uv]` index settings and workspace members, and
the checks on values and paths that go with them.

A local package (root or workspace member) is read from its pyproject.toml here, whatever manager
locks it. Readers import this module and never each other.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from chef import pep508
from chef.errors import InputError
from chef.model import Dep, IndexConfig, LocalPackage, canonical, norm_marker, parse_requirement
from chef.toml import load_toml
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
    from chef.readers.lines import plain_requirement_lines

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
    return IndexConfig(
        index_url=default,
        extra_index_urls=tuple(sorted(set(extra))),
        find_links=tuple(sorted(set(flat))),
        no_index=bool(uv.get("no-index", False)),
        pre=uv.get("prerelease") == "allow",
    )
