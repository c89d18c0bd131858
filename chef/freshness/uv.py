"""uv: the requirements uv.lock records for the root and the workspace members
(`[package.metadata]` requires-dist, requires-dev, provides-extras; `[manifest]` members,
constraints, overrides, dependency groups) against their pyproject.toml, and the workspace's
requires-python, compared as `uv lock --check` compares them (parsed and normalized, markers by
meaning)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple
from urllib.parse import urlsplit, urlunsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.freshness.common import Files, Verdict, as_list, canon, short, table
from chef.freshness.markers import environments, marker_vector, python_versions
from chef.pep508 import normalize_marker, normalize_specifier
from chef.urls import normalize_index_url, strip_credentials

if TYPE_CHECKING:
    from packaging.markers import Marker

@dataclass(frozen=True)
class _UvReq:
    """A requirement as uv records it, reduced to what uv compares."""

    name: str
    extras: Tuple[str, ...]
    specifier: str
    source: Tuple[str, ...]
    marker: Optional[str]
    display: str

    def key(self) -> Tuple[str, Tuple[str, ...], str, Tuple[str, ...]]:
        return (self.name, self.extras, self.specifier, self.source)


def _norm_spec(text: str, where: str) -> str:
    try:
        return normalize_specifier(text)
    except InvalidSpecifier:
        raise InputError(f"invalid specifier {text!r}", path=where) from None


def _norm_marker(text: Optional[str], where: str) -> Optional[str]:
    if text is None or not str(text).strip():
        return None
    from packaging.markers import InvalidMarker

    try:
        return normalize_marker(str(text))
    except InvalidMarker:
        raise InputError(f"invalid marker {text!r}", path=where) from None


def _git_parts(url: str) -> Tuple[str, str]:
    """(repository, reference) of a git URL in any of the spellings uv and PEP 508 use."""
    url = strip_credentials(url)
    if url.startswith("git+"):
        url = url[4:]
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    path = parts.path
    ref = query.get("rev") or query.get("tag") or query.get("branch") or ""
    if "@" in path:
        path, _, at_ref = path.rpartition("@")
        ref = ref or at_ref
    if parts.fragment and "=" not in parts.fragment:
        ref = ref or parts.fragment
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", "")), ref


def _remote_source(entry: Mapping[str, Any]) -> Tuple[str, ...]:
    """("git", repository, reference) or ("url", url) of a uv source table, in the same form
    whether it comes from uv.lock or from `[tool.uv.sources]`; () for any other source."""
    if "git" in entry:
        repo, ref = _git_parts(str(entry["git"]))
        ref = str(entry.get("rev") or entry.get("tag") or entry.get("branch") or ref)
        return ("git", repo, ref)
    if "url" in entry:
        return ("url", strip_credentials(str(entry["url"])).split("#")[0])
    return ()


def _lock_source(entry: Mapping[str, Any]) -> Tuple[str, ...]:
    remote = _remote_source(entry)
    if remote:
        return remote
    if any(k in entry for k in ("path", "editable", "directory", "virtual")):
        return ("local",)
    if "index" in entry:
        return ("index", normalize_index_url(str(entry["index"])))
    return ()


def _lock_req(entry: Any, where: str) -> _UvReq:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InputError(f"{where}: each requirement needs a name", path="uv.lock")
    name = canon(entry["name"])
    extras = tuple(sorted(canon(str(e)) for e in as_list(entry.get("extras"))))
    source = _lock_source(entry)
    spec = _norm_spec(str(entry.get("specifier", "")), "uv.lock")
    if source and source[0] != "index":
        spec = ""
    marker = _norm_marker(entry.get("marker"), "uv.lock")
    display = name + (f"[{','.join(extras)}]" if extras else "") + spec
    if marker:
        display += f"; {marker}"
    return _UvReq(name, extras, spec, source, marker, display)


class _Lowering:
    """pyproject requirements as uv records them: `[tool.uv.sources]` applied (a source drops the
    version specifier unless it is an index), workspace members local."""

    def __init__(self, sources: Mapping[str, Any], indexes: Mapping[str, str], display: str):
        self.sources = {canon(k): v for k, v in sources.items()}
        self.indexes = indexes
        self.display = display

    def _source(self, src: Mapping[str, Any]) -> Tuple[str, ...]:
        remote = _remote_source(src)
        if remote:
            return remote
        if "path" in src or src.get("workspace") is True:
            return ("local",)
        if "index" in src:
            name = str(src["index"])
            return ("index", self.indexes.get(name, name))
        return ()

    def lower(self, text: Any, key: str, extra: Optional[str] = None) -> List[_UvReq]:
        if not isinstance(text, str):
            if isinstance(text, dict) and "include-group" in text:
                return []
            raise InputError(f"{key} must hold strings, not {type(text).__name__}",
                             path=self.display)
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise InputError(
                f"invalid requirement {text!r} in {key}: {exc}".replace("\n", " "),
                path=self.display,
            ) from None
        name = canon(req.name)
        extras = tuple(sorted(canon(e) for e in req.extras))
        marker: Optional[str] = str(req.marker) if req.marker else None
        specifier, url = str(req.specifier), req.url
        if extra is not None:
            marker = f"({marker}) and extra == '{extra}'" if marker else f"extra == '{extra}'"
        options: List[Tuple[Tuple[str, ...], Optional[str]]] = []
        src = self.sources.get(name)
        if url:
            if url.startswith("git+"):
                repo, ref = _git_parts(url)
                options.append((("git", repo, ref), marker))
            elif url.startswith("file:"):
                options.append((("local",), marker))
            else:
                options.append((("url", strip_credentials(url).split("#")[0]), marker))
        elif isinstance(src, dict):
            options.append((self._source(src), marker))
        elif isinstance(src, list):  # several sources, each under its own marker
            for item in src:
                if not isinstance(item, dict):
                    continue
                m = item.get("marker")
                both = f"({marker}) and ({m})" if marker and m else (marker or m)
                options.append((self._source(item), both))
        else:
            options.append(((), marker))
        out = []
        for source, mark in options:
            spec = specifier if not source or source[0] == "index" else ""
            spec = _norm_spec(spec, self.display)
            mark = _norm_marker(mark, self.display)
            display = name + (f"[{','.join(extras)}]" if extras else "") + spec
            if mark:
                display += f"; {mark}"
            out.append(_UvReq(name, extras, spec, source, mark, display))
        return out

    def lower_all(self, items: Any, key: str, extra: Optional[str] = None) -> List[_UvReq]:
        if not isinstance(items, list):
            raise InputError(f"{key} must be an array", path=self.display)
        return [r for item in items for r in self.lower(item, key, extra)]


_PY_VERSION_ATOM = re.compile(r'python_version (<=|>=|==|!=|<|>) "([0-9]+)\.([0-9]+)"')


def _uv_atom(match: re.Match[str]) -> str:
    op, major, minor = match.group(1), match.group(2), int(match.group(3))
    if op in ("<", ">="):
        return f'python_full_version {op} "{major}.{minor}"'
    if op in ("==", "!="):
        return f'python_full_version {op} "{major}.{minor}.*"'
    # <= X.Y is < X.(Y+1); > X.Y is >= X.(Y+1) (on the final releases the check samples)
    return f'python_full_version {"<" if op == "<=" else ">="} "{major}.{minor + 1}"'


def _uv_spelling(marker: Optional[str]) -> Optional[str]:
    """A normalized marker with `python_version OP "X.Y"` written as uv writes it in a lock
    (`python_full_version ...`): the same condition, so equal spellings need no evaluation and
    no packaging.markers import; anything else is compared by meaning below."""
    return None if marker is None else _PY_VERSION_ATOM.sub(_uv_atom, marker)


def _compare_reqs(
    expected: List[_UvReq], actual: List[_UvReq], requires_python: Optional[SpecifierSet]
) -> Tuple[List[str], List[str]]:
    """(added, removed) requirement texts; markers compared by meaning."""
    groups: Dict[Any, Tuple[Set[Optional[str]], Set[Optional[str]]]] = {}
    shown: Dict[Tuple[Any, Optional[str], int], str] = {}
    for side, reqs in ((0, expected), (1, actual)):
        for req in reqs:
            groups.setdefault(req.key(), (set(), set()))[side].add(req.marker)
            shown[(req.key(), req.marker, side)] = req.display
    added: List[str] = []
    removed: List[str] = []
    parsed: Dict[str, Marker] = {}

    def marker_of(text: Optional[str]) -> Optional[Marker]:
        if text is None:
            return None
        if text not in parsed:
            from packaging.markers import Marker

            parsed[text] = Marker(text)
        return parsed[text]

    for key in sorted(groups, key=repr):
        want, have = groups[key]
        if want == have or {_uv_spelling(m) for m in want} == {_uv_spelling(m) for m in have}:
            continue
        want_only, have_only = want - have, have - want
        markers = [marker_of(m) for m in want_only | have_only]
        envs = environments([m for m in markers if m is not None], requires_python)
        have_vectors = {m: marker_vector(marker_of(m), envs) for m in have_only}
        want_vectors = {m: marker_vector(marker_of(m), envs) for m in want_only}
        # Requirements under several markers install under their union: compare unions first
        # (uv may split or merge the same requirement), then each side's leftovers.
        if _union(want_vectors.values(), len(envs)) == _union(have_vectors.values(), len(envs)):
            continue
        for m, vec in sorted(want_vectors.items(), key=lambda kv: str(kv[0])):
            if vec not in have_vectors.values():
                added.append(shown[(key, m, 0)])
        for m, vec in sorted(have_vectors.items(), key=lambda kv: str(kv[0])):
            if vec not in want_vectors.values():
                removed.append(shown[(key, m, 1)])
        if not added and not removed:
            added.append(shown[(key, sorted(want_only, key=str)[0], 0)] if want_only else key[0])
    return added, removed


def _union(vectors: Iterable[Tuple[bool, ...]], size: int) -> Tuple[bool, ...]:
    items = list(vectors)
    return tuple(any(v[i] for v in items) for i in range(size))


def _describe(
    manifest: str, what: str, added: List[str], removed: List[str]
) -> Optional[str]:
    """"pyproject.toml adds requests>=2 to app's dependencies" (added: in the manifest, not in
    the lock; removed: in the lock, no longer in the manifest)."""
    parts = []
    if added:
        parts.append(f"adds {short(added)} to {what}")
    if removed:
        parts.append(f"drops {short(removed)} from {what}")
    if not parts:
        return None
    return f"{manifest} " + " and ".join(parts)


def _python_grid(*specs: SpecifierSet) -> List[str]:
    mentioned = [s.version for spec in specs for s in spec]
    return python_versions(mentioned, None)


def _same_python_range(a: SpecifierSet, b: SpecifierSet) -> bool:
    return all(
        a.contains(v, prereleases=True) == b.contains(v, prereleases=True)
        for v in _python_grid(a, b)
    )


def _uv_index_names(data: Mapping[str, Any]) -> Dict[str, str]:
    uv = table(table(data.get("tool")).get("uv"))
    out: Dict[str, str] = {}
    for entry in as_list(uv.get("index")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(
            entry.get("url"), str
        ):
            out[entry["name"]] = normalize_index_url(entry["url"])
    return out


def check(files: Files) -> Verdict:
    from chef.readers.pyproject import dependency_groups, workspace_members

    verdict = Verdict("uv", "uv.lock", fresh=True)
    lock = files.toml("uv.lock")
    root_data = files.toml("pyproject.toml")
    root_uv = table(table(root_data.get("tool")).get("uv"))
    lock_rp_text = lock.get("requires-python")
    lock_rp: Optional[SpecifierSet] = None
    if isinstance(lock_rp_text, str):
        try:
            lock_rp = SpecifierSet(lock_rp_text)
        except InvalidSpecifier:
            raise InputError(f"invalid requires-python {lock_rp_text!r}", path="uv.lock") from None

    # Workspace members by name -> relative path (the root first, when it is a project).
    members: Dict[str, str] = {}
    member_data: Dict[str, Mapping[str, Any]] = {}
    if isinstance(root_data.get("project"), dict):
        name = root_data["project"].get("name")
        if isinstance(name, str):
            members[canon(name)] = "."
            member_data["."] = root_data
    rels = workspace_members(files.root, root_data, "pyproject.toml") if isinstance(
        root_uv.get("workspace"), dict) else []
    for rel in rels:
        if rel == ".":
            continue
        data = files.toml(f"{rel}/pyproject.toml")
        name = table(data.get("project")).get("name")
        if isinstance(name, str):
            members[canon(name)] = rel
            member_data[rel] = data

    manifest = table(lock.get("manifest"))
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
            verdict.reasons.append("the workspace " + " and ".join(parts) + " (members)")

    # requires-python: the intersection of every member's.
    specs = []
    for rel, data in member_data.items():
        text = table(data.get("project")).get("requires-python")
        if isinstance(text, str):
            try:
                specs.append(SpecifierSet(text))
            except InvalidSpecifier:
                raise InputError(f"invalid requires-python {text!r}",
                                 path=f"{rel}/pyproject.toml".lstrip("./")) from None
    if specs and lock_rp is not None:
        wanted = SpecifierSet(",".join(str(s) for s in specs if str(s)))
        if not _same_python_range(wanted, lock_rp):
            verdict.reasons.append(
                f"requires-python is {str(wanted) or 'any'!r} but the lock has {lock_rp_text!r}"
            )

    root_sources = table(root_uv.get("sources"))
    indexes = _uv_index_names(root_data)

    # Manifest-level requirements of the workspace root.
    root_lowering = _Lowering(root_sources, indexes, "pyproject.toml")
    for key, setting in (
        ("constraints", "constraint-dependencies"),
        ("overrides", "override-dependencies"),
        ("build-constraints", "build-constraint-dependencies"),
    ):
        expected_reqs = root_lowering.lower_all(
            root_uv.get(setting, []), f"tool.uv.{setting}"
        )
        actual_reqs = [_lock_req(e, f"manifest.{key}") for e in as_list(manifest.get(key))]
        described = _describe("pyproject.toml", f"tool.uv.{setting}",
                              *_compare_reqs(expected_reqs, actual_reqs, lock_rp))
        if described:
            verdict.reasons.append(described)
    if "project" not in root_data:  # a virtual workspace root keeps its groups in the manifest
        groups = dependency_groups(root_data, "pyproject.toml")
        _compare_groups(
            verdict, "pyproject.toml", groups, table(manifest.get("dependency-groups")),
            root_lowering, lock_rp, legacy=None, include_empty=False,
        )
    # Lock version 1 revision 1 added provides-extras and empty groups to member metadata.
    revision = (lock.get("version"), lock.get("revision", 0))
    newer = isinstance(revision[0], int) and isinstance(revision[1], int) and revision >= (1, 1)

    # Each member's recorded metadata.
    packages = as_list(lock.get("package"))
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for entry in packages:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            by_name.setdefault(canon(entry["name"]), []).append(entry)
    for name, rel in sorted(members.items()):
        entries = [
            e for e in by_name.get(name, [])
            if any(k in table(e.get("source")) for k in ("editable", "virtual", "directory"))
        ]
        display = "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"
        if not entries:
            verdict.reasons.append(f"{name} ({display}) is not in the lock")
            continue
        data = member_data[rel]
        project = table(data.get("project"))
        metadata = entries[0].get("metadata")
        if not isinstance(metadata, dict):
            verdict.unchecked.append(f"{name}: the lock records no requirements to compare")
            continue
        dynamic = set(as_list(project.get("dynamic")))
        if dynamic & {"dependencies", "optional-dependencies"}:
            # uv builds the metadata to compare; chef cannot without running a build backend.
            verdict.unchecked.append(f"{name}: its dependencies are dynamic ({display})")
            continue
        member_uv = table(table(data.get("tool")).get("uv"))
        sources = dict(root_sources)
        sources.update(table(member_uv.get("sources")))
        lowering = _Lowering(sources, {**indexes, **_uv_index_names(data)}, display)
        expected_reqs = lowering.lower_all(project.get("dependencies", []),
                                           "project.dependencies")
        optional = project.get("optional-dependencies", {})
        if not isinstance(optional, dict):
            raise InputError("project.optional-dependencies must be a table", path=display)
        for extra, items in optional.items():
            expected_reqs += lowering.lower_all(
                items, f"project.optional-dependencies.{extra}", extra=canon(extra)
            )
        actual_reqs = [
            _lock_req(e, f"package {name} metadata.requires-dist")
            for e in as_list(metadata.get("requires-dist"))
        ]
        described = _describe(display, f"{name}'s dependencies",
                              *_compare_reqs(expected_reqs, actual_reqs, lock_rp))
        if described:
            verdict.reasons.append(described)
        if newer or "provides-extras" in metadata:
            want = {canon(e) for e in optional}
            have = {canon(str(e)) for e in as_list(metadata.get("provides-extras"))}
            if want != have:
                verdict.reasons.append(
                    f"{name}'s extras are {short(sorted(want)) or 'none'} but the lock has "
                    f"{short(sorted(have)) or 'none'}"
                )
        groups = dependency_groups(data, display)
        legacy = member_uv.get("dev-dependencies")
        _compare_groups(
            verdict, display, groups, table(metadata.get("requires-dev")), lowering, lock_rp,
            legacy=legacy, owner=name, include_empty=newer,
        )
        version = project.get("version")
        locked_version = entries[0].get("version")
        if isinstance(version, str) and isinstance(locked_version, str):
            try:
                differs = Version(version) != Version(locked_version)
            except InvalidVersion:
                differs = version != locked_version
            if differs:
                verdict.warnings.append(
                    f"{name}'s version is {version} in {display} but {locked_version} in the "
                    "lock: `uv lock --check` fails on that, chef goes on (the project's own "
                    "version decides nothing it installs; `uv lock` records the new one)"
                )
    verdict.fresh = not verdict.reasons
    return verdict


def _compare_groups(
    verdict: Verdict,
    display: str,
    groups: Mapping[str, List[Any]],
    recorded: Mapping[str, Any],
    lowering: _Lowering,
    requires_python: Optional[SpecifierSet],
    legacy: Any,
    owner: str = "",
    include_empty: bool = False,
) -> None:
    expected: Dict[str, List[_UvReq]] = {}
    for group, items in groups.items():
        expected.setdefault(group, []).extend(
            lowering.lower_all(items, f"dependency-groups.{group}")
        )
    if legacy is not None:
        expected.setdefault("dev", []).extend(
            lowering.lower_all(legacy, "tool.uv.dev-dependencies")
        )
    actual = {
        canon(g): [_lock_req(e, f"requires-dev.{g}") for e in as_list(items)]
        for g, items in recorded.items()
    }
    names = sorted(
        {g for g, v in expected.items() if v or include_empty}
        | {g for g, v in actual.items() if v or include_empty}
    )
    for group in names:
        what = f"{owner}'s group {group!r}" if owner else f"group {group!r}"
        if include_empty and (group in expected) != (group in actual):
            change = "adds" if group in expected else "drops"
            verdict.reasons.append(f"{display} {change} {what}")
            continue
        added, removed = _compare_reqs(expected.get(group, []), actual.get(group, []),
                                       requires_python)
        described = _describe(display, what, added, removed)
        if described:
            verdict.reasons.append(described)
