"""uv: the requirements uv.lock records for the root and the workspace members
(`[package.metadata]` requires-dist, requires-dev, provides-extras; `[manifest]` members,
constraints, overrides, build constraints, excludes, dependency groups) against their
pyproject.toml, and the workspace's requires-python, compared as `uv lock --check` compares them
(`Lock::satisfies`): pyproject requirements lowered through `[tool.uv.sources]` the way uv lowers
them (a member's own entry shadows the root's, per package; source markers split a requirement
and leave the rest of the marker space to the index; `extra`/`group` sources apply only there),
then compared by meaning (markers over sample environments, specifiers by the versions they
accept, several declarations of a package as their combination).

The verdict only refuses on evidence chef reproduces exactly: a member set or requires-python
that differs, a requirement, extra or group added or dropped, a specifier, marker, extras or
remote source of a static third-party requirement that changed. Whatever depends on lowering
rules chef cannot be sure the uv that wrote the lock shares (local and workspace sources,
editable or not; metadata a build backend fills; uv settings chef does not model) is a warning
naming both values: `uv lock --check` may fail on it, chef goes on with the lock.

By job: reqs.py (a requirement as uv records it, read from the lock), lower.py (pyproject.toml
-> uv's requirements: sources, members, groups), compare.py (by meaning), verdict.py (reasons,
warnings and how they end), manifest.py (`[manifest]`, uv settings) and members.py (each
member's package entry); `check` here runs them in order.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from packaging.specifiers import SpecifierSet

from chef.freshness.common import Files, Verdict, as_list, canon, short, table
from chef.freshness.uv.compare import same_python_range
from chef.freshness.uv.lower import (
    Workspace,
    discover_members,
    index_names,
    required_members,
    requires_python,
    sources,
    uv_table,
)
from chef.freshness.uv.manifest import check_manifest, check_settings
from chef.freshness.uv.members import LockInfo, Member, check_member, check_path_packages
from chef.freshness.uv.reqs import uv_spelling as _uv_spelling  # tests/test_perf_paths.py


def check(files: Files) -> Verdict:
    """The verdict on uv.lock against the workspace's pyproject.toml files."""
    verdict = Verdict("uv", "uv.lock", fresh=True)
    lock = files.toml("uv.lock")
    root_data = files.toml("pyproject.toml")
    lock_rp = requires_python(lock.get("requires-python"), "uv.lock")

    members, member_data = discover_members(files, root_data)
    manifest = table(lock.get("manifest"))
    _check_members_list(verdict, members, manifest)
    _check_requires_python(verdict, member_data, lock.get("requires-python"), lock_rp)
    editability = required_members(root_data, members, member_data)
    ws = Workspace(files.root, members, member_data, sources(root_data),
                   index_names(root_data), lock_rp, editability)
    revision = (lock.get("version"), lock.get("revision", 0))
    if not (isinstance(revision[0], int) and isinstance(revision[1], int)):
        revision = (1, 0)

    check_manifest(verdict, ws, root_data, manifest, lock_rp, revision)
    check_settings(verdict, uv_table(root_data), member_data, lock)

    packages = as_list(lock.get("package"))
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for entry in packages:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            by_name.setdefault(canon(entry["name"]), []).append(entry)
    info = LockInfo(revision, frozenset(by_name))
    for name, rel in sorted(members.items()):
        entries = [
            e for e in by_name.get(name, [])
            if any(k in table(e.get("source")) for k in ("editable", "virtual", "directory"))
        ]
        display = "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"
        if not entries:
            verdict.refuse(f"{name} ({display}) is not in the lock")
            continue
        check_member(verdict, ws, info, Member(name, rel, display, entries[0],
                                               name in editability))
    check_path_packages(verdict, files, ws, packages)
    verdict.fresh = not verdict.reasons
    return verdict


def _check_members_list(verdict: Verdict, members: Mapping[str, str],
                        manifest: Mapping[str, Any]) -> None:
    """`[manifest] members` against the members uv discovers."""
    locked_members = {canon(str(m)) for m in as_list(manifest.get("members"))}
    if locked_members or len(members) > 1:
        expected = set(members)
        if locked_members != expected:
            add = sorted(expected - locked_members)
            gone = sorted(locked_members - expected)
            parts = []
            if add:
                parts.append("adds " + short(add))
            if gone:
                parts.append("no longer has " + short(gone))
            verdict.refuse("the workspace " + " and ".join(parts) + " (members)")


def _check_requires_python(verdict: Verdict, member_data: Mapping[str, Mapping[str, Any]],
                           lock_rp_text: Any, lock_rp: Optional[SpecifierSet]) -> None:
    """The lock's requires-python against the intersection of every member's."""
    specs = []
    for rel, data in member_data.items():
        spec = requires_python(table(data.get("project")).get("requires-python"),
                               f"{rel}/pyproject.toml".lstrip("./"))
        if spec is not None:
            specs.append(spec)
    if specs and lock_rp is not None:
        wanted = SpecifierSet(",".join(str(s) for s in specs if str(s)))
        if not same_python_range(wanted, lock_rp):
            verdict.refuse(
                f"requires-python is {str(wanted) or 'any'!r} but the lock has {lock_rp_text!r}"
            )


__all__ = ["_uv_spelling", "check"]
