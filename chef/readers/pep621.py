"""The unlocked PEP 621 reader: a project (or uv workspace) read from pyproject.toml alone, with
nothing locked, so that the installer resolves."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from chef.errors import InputError
from chef.model import Dep, LocalPackage, Project, canonical
from chef.readers import root_only
from chef.readers.build import uv_build_constraints
from chef.readers.pyproject import (
    expect,
    inside,
    load_pyproject,
    local_from_pyproject,
    normalize_specifier,
    outside_error,
    rel_display,
    table,
    tool_table,
    uv_index_config,
    workspace_members,
)
from chef.readers.sources import archive_url, vcs_url
from chef.toml import load_toml


def read_project(root: Path, subdir: str = ".") -> Project:
    """The reader's entry point (chef.readers.ProjectReader): pyproject.toml at the context root
    (a uv workspace's members are read from there)."""
    root_only("pyproject", root, subdir)
    return read(root)


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
    by_name = _member_names(root, members)
    while pending:
        rel = pending.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        pdata = data if rel == "." else load_pyproject(root, rel)
        pdisplay = rel_display(root, root / rel / "pyproject.toml")
        if rel != ".":
            project.inputs.append(pdisplay)
        local = local_from_pyproject(root, rel, pdata, pdisplay, root_data=data)
        local, found = _resolve_local_edges(root, rel, pdata, pdisplay, local, data, by_name)
        project.local_packages[local.name] = local
        pending.extend(found)
    for rel in rels:
        name = next(p.name for p in project.local_packages.values() if p.path == rel)
        project.roots.append(Dep(name=name))
    project.requires_python = normalize_specifier(
        table(data, "project", display).get("requires-python"), display, "project.requires-python"
    )
    project.index = uv_index_config(data, display)
    project.build_constraints = uv_build_constraints(data, display)
    return project


def _remote(dep: Dep, src: Mapping[str, Any]) -> Dep:
    """An edge whose `[tool.uv.sources]` entry is a git repository or a URL: what uv installs
    for it. `uv add git+URL` writes `{ git = URL, rev | tag | branch = ..., subdirectory = ... }`
    and `uv add URL` writes `{ url = URL }`; uv then takes the package from there, never from an
    index (the requirement's version specifier only checks what it builds)."""
    subdirectory = src.get("subdirectory") if isinstance(src.get("subdirectory"), str) else None
    if isinstance(src.get("git"), str):
        ref = next((src[k] for k in ("rev", "tag", "branch") if isinstance(src.get(k), str)), None)
        url = vcs_url(src["git"], "git", ref, subdirectory)  # uv: git only
    else:
        url = archive_url(src["url"], subdirectory)
    return Dep(name=dep.name, extras=dep.extras, marker=dep.marker, url=url)


def _member_names(root: Path, members: List[str]) -> Dict[str, str]:
    """Workspace members by canonical name -> directory (found once per prepare, not once per
    member: the member patterns are globs)."""
    out: Dict[str, str] = {}
    for m in members:
        member_display = f"{m}/pyproject.toml"
        name = table(load_pyproject(root, m), "project", member_display).get("name", "")
        out[canonical(expect(name, str, member_display, "project.name"))] = m
    return out


def _resolve_local_edges(
    root: Path,
    rel: str,
    data: Mapping[str, Any],
    display: str,
    local: LocalPackage,
    root_data: Mapping[str, Any],
    members: Mapping[str, str],
) -> Tuple[LocalPackage, List[str]]:
    """Turn edges that point at local directories (file: URLs, `[tool.uv.sources]` paths and
    workspace members) into plain edges to local packages; return the directories found."""
    sources = dict(table(tool_table(root_data, "uv", "pyproject.toml"), "sources",
                         "pyproject.toml", "[tool.uv.sources]"))
    sources.update(table(tool_table(data, "uv", display), "sources", display, "[tool.uv.sources]"))
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
        elif isinstance(src, dict) and "marker" not in src and (
            isinstance(src.get("git"), str) or isinstance(src.get("url"), str)
        ):
            return _remote(dep, src)
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
