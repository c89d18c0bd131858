"""pdm: `[metadata] content_hash` ("sha256:..."), pdm's hash of the relevant pyproject content
(and of each workspace member's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Set

from packaging.version import InvalidVersion, Version

from chef.freshness.common import (
    Files,
    Verdict,
    as_list,
    canon,
    hash_json,
    hash_reason,
    locked_names,
    not_locked,
    requirement_names,
    table,
)


def _pdm_dev_dependencies(pyproject: Mapping[str, Any], merged: bool) -> Dict[str, Any]:
    settings = table(table(pyproject.get("tool")).get("pdm"))
    legacy = table(settings.get("dev-dependencies"))
    if not merged:
        return dict(legacy)
    groups: Dict[str, List[Any]] = {}
    for group, deps in table(pyproject.get("dependency-groups")).items():
        groups[canon(group)] = list(as_list(deps))
    for group, deps in legacy.items():
        groups.setdefault(canon(group), []).extend(as_list(deps))
    return groups


def pdm_content_hash(
    pyproject: Mapping[str, Any], algo: str = "sha256", *, variant: str = "current"
) -> str:
    """pdm's `PyProject.content_hash`.

    variant "current": dev-dependencies are [dependency-groups] merged with
    [tool.pdm.dev-dependencies], group names normalized (pdm 2.20+); "legacy": the raw
    [tool.pdm.dev-dependencies] (earlier 2.x); "overrides": pdm 1.x, which hashed
    [tool.pdm.overrides] where 2.x hashes [tool.pdm.resolution].
    """
    settings = table(table(pyproject.get("tool")).get("pdm"))
    metadata = table(pyproject.get("project"))
    data: Dict[str, Any] = {
        "sources": settings.get("source", []),
        "dependencies": metadata.get("dependencies", []),
        "dev-dependencies": _pdm_dev_dependencies(pyproject, merged=variant == "current"),
        "optional-dependencies": metadata.get("optional-dependencies", {}),
        "requires-python": metadata.get("requires-python", ""),
    }
    if variant == "overrides":
        data["overrides"] = settings.get("overrides", {})
    else:
        data["resolution"] = settings.get("resolution", {})
    return hash_json(data, algo)


def _pdm_variants(pyproject: Mapping[str, Any], lock_version: str) -> List[str]:
    """The hash variants that could have written this lock (never one that ignores a table the
    project now has: a lock must not pass because an old algorithm cannot see a change)."""
    variants = ["current"]
    if "dependency-groups" not in pyproject:
        variants.append("legacy")
        try:
            if Version(lock_version or "0").major < 4:
                variants.append("overrides")
        except InvalidVersion:
            variants.append("overrides")
    return variants


def declared_names(files: Files) -> Set[str]:
    """Third-party requirements pyproject.toml declares for pdm (not the project's own name)."""
    pyproject = files.toml("pyproject.toml")
    project = table(pyproject.get("project"))
    wanted = requirement_names(as_list(project.get("dependencies")))
    for items in table(project.get("optional-dependencies")).values():
        wanted |= requirement_names(as_list(items))
    for items in _pdm_dev_dependencies(pyproject, merged=True).values():
        wanted |= requirement_names(as_list(items))
    return set(not_locked(wanted, set(), [str(project.get("name", ""))]))


def check(files: Files) -> Verdict:
    import hashlib

    verdict = Verdict("pdm", "pdm.lock", fresh=True)
    lock = files.toml("pdm.lock")
    pyproject = files.toml("pyproject.toml")
    meta = table(lock.get("metadata"))
    recorded = meta.get("content_hash")
    if not isinstance(recorded, str) or ":" not in recorded:
        verdict.fresh = False
        verdict.reasons.append("the lock records no content_hash")
        return verdict
    if "project" not in pyproject:
        verdict.unchecked.append(
            "pdm converts a pyproject.toml without [project] before hashing it"
        )
        return verdict
    algo, _, value = recorded.partition(":")
    if algo not in hashlib.algorithms_available:
        verdict.unchecked.append(f"unknown hash algorithm {algo!r}")
        return verdict
    workspace = table(table(table(pyproject.get("tool")).get("pdm")).get("workspace"))
    try:
        fresh = False
        for variant in _pdm_variants(pyproject, str(meta.get("lock_version", ""))):
            digest = pdm_content_hash(pyproject, algo, variant=variant)
            if workspace:
                digest = _pdm_workspace_hash(files, pyproject, digest, algo, variant)
            if digest == value:
                fresh = True
                break
    except (TypeError, ValueError):
        verdict.unchecked.append("pyproject.toml holds values pdm cannot hash")
        return verdict
    if not fresh:
        verdict.fresh = False
        missing = sorted(declared_names(files) - locked_names(lock.get("package")))
        verdict.reasons.append(hash_reason(
            "pyproject.toml", missing, "dependencies, sources or resolution settings",
            "content_hash"))
    return verdict


def _pdm_workspace_hash(
    files: Files, pyproject: Mapping[str, Any], root_hash: str, algo: str, variant: str
) -> str:
    """pdm's `Workspace.content_hash`: the root's hash, then each member's path and hash."""
    import hashlib
    import os

    from chef.readers.boundary import inside, member_glob, outside_error

    settings = table(table(pyproject.get("tool")).get("pdm"))
    patterns = [str(p) for p in as_list(table(settings.get("workspace")).get("members"))]
    root = os.path.realpath(files.root)
    members: Set[str] = set()
    for pattern in patterns:
        for hit in member_glob(Path(files.root), pattern, "pyproject.toml",
                               "tool.pdm.workspace.members"):
            real = os.path.realpath(hit)
            if os.path.isdir(real) and os.path.isfile(os.path.join(real, "pyproject.toml")):
                if inside(Path(root), Path(real)) is None:
                    raise outside_error("pyproject.toml", pattern)
                members.add(Path(os.path.relpath(real, root)).as_posix())
    hasher = hashlib.new(algo)
    hasher.update(root_hash.encode("utf-8"))
    for rel in sorted(members):
        data = files.toml(f"{rel}/pyproject.toml")
        hasher.update(b"\0")
        hasher.update(rel.encode("utf-8"))
        hasher.update(b"\0")
        hasher.update(pdm_content_hash(data, algo, variant=variant).encode("utf-8"))
    return hasher.hexdigest()
