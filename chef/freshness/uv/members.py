"""Each workspace member's recorded package entry (`[package.metadata]` requires-dist,
requires-dev, provides-extras; its install mode and version) against its pyproject.toml, and the
path dependencies inside the project that uv records metadata for too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, FrozenSet, List, Mapping, Optional, Tuple

from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.freshness.common import Files, Verdict, as_list, canon, short, table
from chef.freshness.uv.compare import diff, same_versions
from chef.freshness.uv.lower import (
    Lowering,
    Workspace,
    flatten,
    group_python,
    lower_groups,
    uv_table,
)
from chef.freshness.uv.reqs import lock_req, norm_spec, posix
from chef.freshness.uv.verdict import (
    BUILDS,
    BUILDS_IT,
    FAILS,
    FAILS_ON_THAT,
    MAY_FAIL,
    MAY_FAIL_SHORT,
    NOT_COMPARED,
    compare_default_groups,
    compare_groups,
    fails_but,
    lowering_problems,
    report,
)
from chef.pep508 import normalize_specifier

if TYPE_CHECKING:
    from chef.readers.pyproject import Requirements


class LockInfo:
    """What every member's check reads from uv.lock besides its own entry: the lock's
    (version, revision) and the names of all its packages (a plain class, as Workspace)."""

    __slots__ = ("revision", "names")

    def __init__(self, revision: Tuple[Any, Any], names: FrozenSet[str]) -> None:
        self.revision = revision
        self.names = names


class Member:
    """One workspace member: its canonical name, directory (relative, "." for the root), its
    pyproject.toml as messages name it, the package entry uv.lock records for it, and whether
    another member requires it (a plain class, as Workspace)."""

    __slots__ = ("name", "rel", "display", "entry", "required")

    def __init__(self, name: str, rel: str, display: str, entry: Mapping[str, Any],
                 required: bool) -> None:
        self.name = name
        self.rel = rel
        self.display = display
        self.entry = entry
        self.required = required


def check_member(verdict: Verdict, ws: Workspace, lock: LockInfo, member: Member) -> None:
    """One member's recorded metadata against its pyproject.toml."""
    data = ws.data[member.rel]
    member_uv = uv_table(data)
    _check_mode(verdict, ws, member)
    check_version(verdict, member.name, member.display, table(data.get("project")),
                  member.entry)
    metadata = member.entry.get("metadata")
    if not isinstance(metadata, dict):
        verdict.unchecked.append(f"{member.name}: the lock records no requirements to compare")
        return
    lowering = _check_requires_dist(verdict, ws, lock, member, metadata)
    groups = lower_groups(data, member.display, lowering, member_uv.get("dev-dependencies"))
    compare_groups(verdict, member.display, groups, table(metadata.get("requires-dev")),
                   ws.requires_python, owner=member.name, include_empty=lock.revision >= (1, 1))
    lowering_problems(verdict, lowering)
    if lock.revision >= (1, 5):
        compare_default_groups(verdict, member.name, member_uv,
                               member.entry.get("default-groups"))
        _check_group_python(verdict, member, data, groups)


def _check_mode(verdict: Verdict, ws: Workspace, member: Member) -> None:
    """Virtual, editable or not: uv's check fails when it changes, no third-party package does."""
    source = table(member.entry.get("source"))
    mode = next((k for k in ("virtual", "editable", "directory") if k in source), "")
    want = "virtual" if not ws.is_package(member.rel, member.required) else (
        "editable" if ws.editability.get(member.name) is not False else "directory")
    if mode != want:
        verdict.warn(f"{member.name} is {want} per {member.display} but uv.lock records it as "
                     f"{mode}", fails_but("it changes no third-party package"))


def _check_requires_dist(verdict: Verdict, ws: Workspace, lock: LockInfo, member: Member,
                         metadata: Mapping[str, Any]) -> Lowering:
    """`requires-dist` and `provides-extras` against `[project]` (or what a build backend fills,
    as chef reads it); the member's lowering, for its groups."""
    from chef.readers.pyproject import DynamicMetadataError, project_requirements

    name, display = member.name, member.display
    data = ws.data[member.rel]
    # A [project] without dependencies beside [tool.poetry]: uv builds the metadata, which chef
    # reads as poetry-core fills it (project_requirements; another backend must report none);
    # not sure of it, so only a name the lock does not hold at all is refused, as for other
    # build-filled metadata.
    poetry = poetry_syntax(data)
    try:
        found = project_requirements(ws.root, member.rel, data, display)
    except DynamicMetadataError:
        found = None
    lowering = Lowering(ws, member.rel, display, name, found.templated if found else ())
    if found is None and poetry:
        verdict.unchecked.append(f"{name}: its metadata is built ({display}: {poetry})")
        verdict.warn(
            f"{name}'s [project] in {display} has no dependencies but a [tool.poetry] table, "
            "so uv reads its dependencies and extras from a build that chef cannot reproduce: "
            "not compared with uv.lock", f"{BUILDS} with the lock")
    elif found is None:
        verdict.unchecked.append(f"{name}: its dependencies are dynamic ({display})")
        verdict.warn(
            f"{name}'s dependencies are dynamic in {display} and chef cannot read them without "
            "a build: not compared with uv.lock", BUILDS)
    else:
        _compare_requires_dist(verdict, ws, lock, member, metadata, lowering, found)
    return lowering


def _compare_requires_dist(verdict: Verdict, ws: Workspace, lock: LockInfo, member: Member,
                           metadata: Mapping[str, Any], lowering: Lowering,
                           found: Requirements) -> None:
    name = member.name
    static = found.origin.get("dependencies") == "[project]"
    expected = lowering.lower_project(found.dependencies, found.optional)
    optional_static = found.origin.get("optional-dependencies") == "[project]"
    optional_known = found.origin.get("optional-dependencies") != \
        "dynamic, not readable statically"
    actual = [lock_req(e, f"package {name} metadata.requires-dist")
              for e in as_list(metadata.get("requires-dist"))]
    if not optional_known:  # compare what chef knows: the requirements outside extras
        actual = [r for r in actual if not (r.marker and "extra" in r.marker)]
    origin = found.origin.get("dependencies", "")
    if static and not optional_static:
        origin = found.origin.get("optional-dependencies", "")
    diffs = diff(expected, actual, ws.requires_python)
    # A dynamic package: uv also accepts the requirements with self-references flattened.
    if diffs and member.entry.get("version") is None and any(r.name == name for r in expected) \
            and any(not diff(flatten(expected, name, keep), actual, ws.requires_python)
                    for keep in (True, False)):
        diffs = []
    report(verdict, diffs, member.display, f"{name}'s dependencies",
           static=static and optional_static, lock_names=lock.names, origin=origin)
    if optional_known and (lock.revision >= (1, 1) or "provides-extras" in metadata):
        want = {canon(e) for e in found.optional}
        have = {canon(str(e)) for e in as_list(metadata.get("provides-extras"))}
        if want != have:
            text = (f"{name}'s extras are {short(sorted(want)) or 'none'} in {member.display} "
                    f"but the lock has {short(sorted(have)) or 'none'}")
            if optional_static:
                verdict.refuse(text)
            else:
                verdict.warn(text, f"read from {found.origin['optional-dependencies']}; "
                                   f"{MAY_FAIL_SHORT}")


def _check_group_python(verdict: Verdict, member: Member, data: Mapping[str, Any],
                        groups: Mapping[str, Any]) -> None:
    """`group-requires-python` (lock revision 5) against `[tool.uv.dependency-groups]`."""
    want_rp = {g: group_python(data, g) for g in groups}
    want_rp = {g: v for g, v in want_rp.items() if v}
    have_rp = {canon(g): str(v)
               for g, v in table(member.entry.get("group-requires-python")).items()}
    if want_rp.keys() != have_rp.keys() or any(
            not same_versions(normalize_specifier(v), norm_spec(have_rp[g], "uv.lock"))
            for g, v in want_rp.items()):
        verdict.warn(
            f"{member.name}'s group requires-python is {want_rp or 'none'} per "
            f"[tool.uv.dependency-groups] in {member.display} but uv.lock records "
            f"{have_rp or 'none'}", FAILS)


def check_path_packages(verdict: Verdict, files: Files, ws: Workspace,
                        packages: List[Any]) -> None:
    """Path dependencies inside the project that are not workspace members: `uv lock --check`
    compares the requirements uv.lock records for them too (built when their metadata is not
    static). chef only warns here, never refuses: such a package is a workspace of its own to
    uv, whose lowering rules chef does not reproduce exactly."""
    for entry in packages:
        # A registry package (nearly every entry) is passed over at once: this loop runs
        # over the whole lock on every prepare.
        source = entry.get("source") if isinstance(entry, dict) else None
        if not isinstance(source, dict) or ("directory" not in source
                                            and "editable" not in source):
            continue
        path = source.get("directory", source.get("editable"))
        metadata = entry.get("metadata")
        if not isinstance(path, str) or not isinstance(metadata, dict):
            continue
        name = canon(str(entry.get("name", "")))
        if name in ws.members:
            continue
        rel = posix(path)
        if rel in (".", "") or rel.startswith("../") or Path(rel).is_absolute():
            continue
        display = f"{rel}/pyproject.toml"
        if not files.exists(display):
            continue
        try:
            _check_path_package(verdict, files, ws, Member(name, rel, display, entry, False),
                                metadata)
        except InputError as exc:  # uv's check fails on it too; this check never refuses
            verdict.warn(f"{name} (a path dependency, {display}) cannot be read: {exc}",
                         NOT_COMPARED)


def _check_path_package(verdict: Verdict, files: Files, ws: Workspace, package: Member,
                        metadata: Mapping[str, Any]) -> None:
    """The warnings for one path dependency's recorded requirements (see above)."""
    from chef.readers.pyproject import DynamicMetadataError, project_requirements

    name, rel, display = package.name, package.rel, package.display
    data = files.toml(display)
    found: Optional[Requirements] = None
    built = ""
    if "project" not in data:
        found = _poetry1_requirements(data, display)
        built = "" if found else "no [project] table"
    else:
        try:
            found = project_requirements(ws.root, rel, data, display)
        except DynamicMetadataError:
            built = poetry_syntax(data) or "dynamic dependencies chef cannot read"
    if found is None:
        verdict.unchecked.append(f"{name}: its metadata is built ({display}: {built})")
        verdict.warn(f"{name} (a path dependency, {display}) has metadata a build fills "
                     f"({built}): not compared with uv.lock", BUILDS_IT)
        return
    own = Workspace(ws.root, {}, {rel: data}, {}, {}, ws.requires_python, {})
    lowering = Lowering(own, rel, display, name, found.templated)
    expected = lowering.lower_project(found.dependencies, found.optional)
    actual = [lock_req(e, f"package {name} metadata.requires-dist")
              for e in as_list(metadata.get("requires-dist"))]
    for d in diff(expected, actual, ws.requires_python):
        verdict.warn(f"{display} declares {short([r.show(True) for r in d.want]) or 'nothing'} "
                     f"for {d.name} in {name}'s dependencies but uv.lock records "
                     f"{short([r.show(True) for r in d.have]) or 'nothing'}",
                     f"a path dependency: {MAY_FAIL}")


def _poetry1_requirements(data: Mapping[str, Any], display: str) -> Optional[Requirements]:
    """A Poetry 1 layout ([tool.poetry] only) built by poetry-core: its requirements as
    poetry-core writes them (chef's poetry reader), or None."""
    from chef.readers.poetry import POETRY_BACKENDS, built_requirements
    from chef.readers.pyproject import Requirements

    backend = table(data.get("build-system")).get("build-backend")
    if "poetry" not in table(data.get("tool")) or backend not in POETRY_BACKENDS:
        return None
    found = built_requirements(data, display)
    if found is None:
        return None
    origin = "[tool.poetry] (poetry-core)"
    return Requirements(found[0], found[1], {"dependencies": origin,
                                             "optional-dependencies": origin})


def poetry_syntax(data: Mapping[str, Any]) -> str:
    """Why uv takes none of a member's metadata from its pyproject.toml although `dynamic` does
    not say so, or "": a `[project]` without `dependencies` beside any `[tool.poetry]` table is
    Poetry's syntax to uv, whose metadata the build backend fills (uv-pypi-types'
    `MetadataError::PoetrySyntax`: the project is built, as for dynamic dependencies)."""
    project = table(data.get("project"))
    if "dependencies" in project or "poetry" not in table(data.get("tool")):
        return ""
    return "[project] without dependencies beside [tool.poetry]"


def check_version(verdict: Verdict, name: str, display: str, project: Mapping[str, Any],
                  entry: Mapping[str, Any]) -> None:
    """The member's own version: uv's check fails when it changes (or turns dynamic), but it
    decides nothing chef installs: a warning."""
    version = project.get("version")
    locked = entry.get("version")
    dynamic = "version" in as_list(project.get("dynamic"))
    if isinstance(version, str) and isinstance(locked, str):
        try:
            differs = Version(version) != Version(locked)
        except InvalidVersion:
            differs = version != locked
        if differs:
            verdict.warn(
                f"{name}'s version is {version} in {display} but {locked} in the lock: "
                f"{FAILS_ON_THAT} (the project's own version decides nothing it installs; "
                "`uv lock` records the new one)"
            )
    elif isinstance(version, str) and locked is None:
        verdict.warn(
            f"{name}'s version is {version} in {display} but the lock records it as dynamic: "
            f"{FAILS_ON_THAT}")
    elif dynamic and isinstance(locked, str):
        verdict.warn(
            f"{name}'s version is dynamic in {display} but the lock records {locked} (written "
            "by a uv before 0.5): `uv lock --check` of newer uv fails on that, chef goes on")

