"""The workspace-wide parts of uv.lock: `[manifest]` (constraints, overrides, build constraints,
excludes, a virtual root's dependency groups, dependency metadata) and the uv settings that make
`uv lock --check` re-resolve (environments, conflicts, resolution modes, exclude-newer)."""

from __future__ import annotations

from typing import Any, Callable, FrozenSet, Mapping, Optional, Set, Tuple

from packaging.specifiers import SpecifierSet

from chef.freshness.common import Verdict, as_list, canon, short, table
from chef.freshness.uv.compare import diff, same_markers
from chef.freshness.uv.lower import Lowering, Workspace, constraints, lower_groups, uv_table
from chef.freshness.uv.reqs import lock_req
from chef.freshness.uv.verdict import (
    NOT_MODELLED,
    compare_default_groups,
    compare_groups,
    fails_but,
    lowering_problems,
    report,
)

Warn = Callable[[str, Any, Any], None]  # (setting, its value in pyproject.toml, in uv.lock)


def check_manifest(verdict: Verdict, ws: Workspace, root_data: Mapping[str, Any],
                   manifest: Mapping[str, Any], lock_rp: Optional[SpecifierSet],
                   revision: Tuple[Any, Any]) -> None:
    """`[manifest]`: the workspace's constraints, overrides, build constraints, excludes and
    (for a root without `[project]`) dependency groups."""
    root_uv = uv_table(root_data)
    lowering = Lowering(ws, ".", "pyproject.toml", None)
    for key, setting in (
        ("constraints", "constraint-dependencies"),
        ("overrides", "override-dependencies"),
        ("build-constraints", "build-constraint-dependencies"),
    ):
        expected = lowering.lower_all(root_uv.get(setting, []), f"tool.uv.{setting}")
        actual = [lock_req(e, f"manifest.{key}") for e in as_list(manifest.get(key))]
        if key != "overrides":
            expected, actual = constraints(expected), constraints(actual)
        report(verdict, diff(expected, actual, lock_rp), "pyproject.toml",
               f"tool.uv.{setting}")
    excludes = root_uv.get("exclude-dependencies", [])
    want = {canon(str(e)) for e in as_list(excludes)}
    have = {canon(str(e)) for e in as_list(manifest.get("excludes"))}
    if want != have:
        verdict.refuse(
            f"tool.uv.exclude-dependencies is {short(sorted(want)) or 'empty'} but the lock "
            f"has {short(sorted(have)) or 'none'}"
        )
    if "project" not in root_data:  # a virtual workspace root keeps its groups in the manifest
        groups = lower_groups(root_data, "pyproject.toml", lowering,
                              root_uv.get("dev-dependencies"))
        compare_groups(verdict, "pyproject.toml", groups,
                       table(manifest.get("dependency-groups")), lock_rp)
        if revision >= (1, 5):
            compare_default_groups(verdict, "the workspace root", root_uv,
                                   manifest.get("default-groups"))
    metadata = [canon(str(table(e).get("name"))) for e in as_list(
        root_uv.get("dependency-metadata"))]
    recorded = [canon(str(table(e).get("name"))) for e in as_list(
        manifest.get("dependency-metadata"))]
    if sorted(metadata) != sorted(recorded):
        verdict.warn(
            f"tool.uv.dependency-metadata names {short(sorted(metadata)) or 'nothing'} but "
            f"uv.lock records {short(sorted(recorded)) or 'nothing'}",
            fails_but("it decides no version chef installs"))
    lowering_problems(verdict, lowering)


def check_settings(verdict: Verdict, root_uv: Mapping[str, Any],
                   member_data: Mapping[str, Mapping[str, Any]],
                   lock: Mapping[str, Any]) -> None:
    """uv settings that make `uv lock --check` re-resolve but that chef does not reproduce:
    a warning naming both values when they visibly differ."""
    def warn(field: str, want: Any, have: Any) -> None:
        verdict.warn(f"tool.uv.{field} is {want!r} in pyproject.toml but uv.lock records "
                     f"{have!r}", NOT_MODELLED)

    for field, key in (("environments", "supported-markers"),
                       ("required-environments", "required-markers")):
        raw = root_uv.get(field)
        want = [raw] if isinstance(raw, str) else [str(m) for m in as_list(raw)]
        have = [str(m) for m in as_list(lock.get(key))]
        if want != have and not same_markers(want, have):
            warn(field, want, have)
    conflicts = _conflicts(root_uv, member_data)
    recorded = {
        frozenset((canon(str(item.get("package", ""))),
                   "extra" if "extra" in item else "group",
                   canon(str(item.get("extra", item.get("group", "")))))
                  for item in as_list(group) if isinstance(item, dict))
        for group in as_list(lock.get("conflicts"))
    }
    if conflicts != recorded:
        warn("conflicts", sorted(sorted(c) for c in conflicts),
             sorted(sorted(c) for c in recorded))
    options = table(lock.get("options"))
    for field, key in (("resolution", "resolution-mode"), ("prerelease", "prerelease-mode"),
                       ("fork-strategy", "fork-strategy")):
        setting, recorded_setting = root_uv.get(field), options.get(key)
        default = {"resolution": "highest", "prerelease": "if-necessary-or-explicit",
                   "fork-strategy": "requires-python"}[field]
        if (setting or default) != (recorded_setting or default):
            warn(field, setting, recorded_setting)
    _check_exclude_newer(root_uv, options, warn)


def _conflicts(root_uv: Mapping[str, Any], member_data: Mapping[str, Mapping[str, Any]]
               ) -> Set[FrozenSet[Tuple[str, str, str]]]:
    """`tool.uv.conflicts` of every member, as uv.lock records them: (package, "extra" or
    "group", its name) per item, an item without `package` naming its own project."""
    conflicts: Set[FrozenSet[Tuple[str, str, str]]] = set()
    for data in member_data.values() if member_data else [{"tool": {"uv": root_uv}}]:
        owner = canon(str(table(data.get("project")).get("name", "")))
        for group in as_list(uv_table(data).get("conflicts")):
            conflicts.add(frozenset(
                (canon(str(item.get("package", owner))),
                 "extra" if "extra" in item else "group",
                 canon(str(item.get("extra", item.get("group", "")))))
                for item in as_list(group) if isinstance(item, dict)))
    return conflicts


def _check_exclude_newer(root_uv: Mapping[str, Any], options: Mapping[str, Any],
                         warn: Warn) -> None:
    """`exclude-newer`: an instant (compared), or a span such as "3 days" that uv records as
    `exclude-newer-span` (only its presence is compared: uv ignores the moving instant)."""
    want = root_uv.get("exclude-newer")
    if want is None:
        if options.get("exclude-newer") is not None or options.get("exclude-newer-span"):
            warn("exclude-newer", None, options.get("exclude-newer-span")
                 or options.get("exclude-newer"))
    elif _instant(want) is None:
        if not options.get("exclude-newer-span"):
            warn("exclude-newer", want, options.get("exclude-newer"))
    elif _instant(want) != _instant(options.get("exclude-newer")):
        warn("exclude-newer", want, options.get("exclude-newer"))
    packages = {canon(k) for k in table(root_uv.get("exclude-newer-package"))}
    recorded = {canon(k) for k in table(options.get("exclude-newer-package"))}
    if packages != recorded:
        warn("exclude-newer-package", sorted(packages), sorted(recorded))


def _instant(value: Any) -> Any:
    """An RFC 3339 timestamp or date as a datetime; None for anything else (a span)."""
    from datetime import datetime

    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
