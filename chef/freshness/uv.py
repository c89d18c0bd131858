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
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    FrozenSet,
    List,
    Mapping,
    Optional,
    Set,
    Tuple,
)
from urllib.parse import urlsplit, urlunsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import InputError
from chef.freshness.common import Files, Verdict, as_list, canon, short, table
from chef.freshness.markers import (
    environments,
    marker_and,
    marker_vector,
    negate_marker,
    never,
    python_versions,
)
from chef.limits import MAX_FLATTEN_STATES
from chef.pep508 import normalize_marker, normalize_specifier
from chef.urls import normalize_index_url, strip_credentials

if TYPE_CHECKING:
    from packaging.markers import Marker

# How uv.lock records a local requirement's source: the key names the install mode.
_LOCAL_KINDS = ("editable", "directory", "virtual", "path")
_LOCAL_TEXT = {"editable": "editable", "directory": "directory", "virtual": "virtual",
               "path": "file"}


@dataclass(frozen=True)
class _Req:
    """A requirement as uv records it, reduced to what uv compares."""

    name: str
    extras: Tuple[str, ...]
    specifier: str  # normalized; "" for every source but an index
    source: Tuple[str, ...]  # () default index, ("index", url), ("git", repo, ref), ("url", u),
    #                           ("local", path relative to the workspace root)
    kind: str  # a local source's install mode (editable, directory, virtual, path); "" otherwise
    marker: Optional[str]
    doubt: str = ""  # why chef cannot be sure uv records it this way ("" when it can)
    # From `[project.optional-dependencies]`: the extra, and the marker before `extra == ...`
    # was added (what flattening a self-reference needs).
    extra: Optional[str] = None
    base: Optional[str] = None

    def fast_key(self) -> Tuple[Any, ...]:
        return (self.name, self.extras, self.specifier, self.source, self.kind,
                _uv_spelling(self.marker))

    def show(self, with_source: bool = False) -> str:
        text = self.name + (f"[{','.join(self.extras)}]" if self.extras else "") + self.specifier
        if self.marker:
            text += f"; {self.marker}"
        if self.source[:1] == ("local",):
            text += f" ({_LOCAL_TEXT.get(self.kind, self.kind)} {self.source[1]})"
        elif self.source[:1] == ("git",):
            ref = f"@{self.source[2]}" if self.source[2] else ""
            text += f" (git {self.source[1]}{ref})"
        elif self.source[:1] == ("url",):
            text += f" ({self.source[1]})"
        elif self.source[:1] == ("index",):
            text += f" (index {self.source[1]})"
        elif with_source:
            text += " (no source)"
        return text


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


def _posix(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")) if path else "."


def _lock_req(entry: Any, where: str) -> _Req:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InputError(f"{where}: each requirement needs a name", path="uv.lock")
    name = canon(entry["name"])
    extras = tuple(sorted({canon(str(e)) for e in as_list(entry.get("extras"))}))
    source = _remote_source(entry)
    kind = ""
    if not source:
        kind = next((k for k in _LOCAL_KINDS if k in entry), "")
        if kind:
            source = ("local", _posix(str(entry[kind])))
        elif "index" in entry:
            source = ("index", normalize_index_url(str(entry["index"])))
    spec = _norm_spec(str(entry.get("specifier", "")), "uv.lock")
    if source and source[0] != "index":
        spec = ""
    return _Req(name, extras, spec, source, kind, _norm_marker(entry.get("marker"), "uv.lock"))


_SELF = "it names the project itself, whose extras a build backend may flatten"


class _Workspace:
    """What lowering needs to know about the whole workspace (a plain class: a dataclass costs
    its creation on every prepare)."""

    def __init__(self, root: Path, members: Dict[str, str],
                 data: Dict[str, Mapping[str, Any]], root_sources: Dict[str, Any],
                 root_indexes: Dict[str, str], requires_python: Optional[SpecifierSet],
                 editability: Dict[str, Optional[bool]]) -> None:
        self.root = root
        self.members = members  # canonical name -> relative path (the root project as ".")
        self.data = data  # relative path -> pyproject.toml
        self.root_sources = root_sources
        self.root_indexes = root_indexes
        self.requires_python = requires_python
        self.editability = editability  # required members -> their `editable` setting

    def is_package(self, rel: str, required: bool) -> bool:
        """uv's `is_package`: `tool.uv.package` when set, else a build system (not needed when
        another member depends on it)."""
        data = self.data.get(rel, {})
        package = _uv_table(data).get("package")
        if isinstance(package, bool):
            return package
        return "build-system" in data or required


def _uv_table(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return table(table(data.get("tool")).get("uv"))


def _sources(data: Mapping[str, Any]) -> Dict[str, Any]:
    return {canon(k): v for k, v in table(_uv_table(data).get("sources")).items()}


class _Lowering:
    """pyproject requirements of one project as uv records them (uv-distribution's
    `LoweredRequirement::from_requirement`)."""

    def __init__(self, ws: _Workspace, rel: str, display: str, project: Optional[str],
                 templated: Tuple[str, ...] = ()) -> None:
        self.ws = ws
        self.rel = rel
        self.display = display
        self.project = project
        self.templated = templated
        data = ws.data.get(rel, {})
        self.own = _sources(data) if rel != "." else {}
        self.indexes = {**ws.root_indexes, **_uv_index_names(data)}
        # What uv refuses to lower at all (`uv lock` and its check fail with an error).
        self.problems: List[str] = []

    def lower(self, text: Any, key: str, extra: Optional[str] = None,
              group: Optional[str] = None, marker_from_group: Optional[str] = None,
              doubt: str = "") -> List[_Req]:
        if not isinstance(text, str):
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
        extras = tuple(sorted({canon(e) for e in req.extras}))
        marker = plain = str(req.marker) if req.marker else None
        if extra is not None:
            marker = marker_and(marker, f"extra == '{extra}'")
        marker = marker_and(marker, marker_from_group)
        if name in self.templated:
            doubt = doubt or "its version is a `{{ version }}` template that only a build fills"
        elif name == self.project:
            doubt = doubt or _SELF

        def make(source: Tuple[str, ...], kind: str, mark: Optional[str], why: str) -> _Req:
            spec = str(req.specifier) if not source or source[0] == "index" else ""
            return _Req(name, extras, _norm_spec(spec, self.display), source, kind,
                        _norm_marker(mark, self.display), why or doubt, extra, plain)

        if req.url:
            url = req.url
            if url.startswith("git+"):
                return [make(("git",) + _git_parts(url), "", marker, "")]
            if url.startswith("file:"):
                return [make(("local", _posix(urlsplit(url).path)), "directory", marker,
                             "a file: URL is resolved against a directory chef cannot know")]
            return [make(("url", strip_credentials(url).split("#")[0]), "", marker, "")]

        found, base = self.own.get(name), self.rel
        if found is None:
            found, base = self.ws.root_sources.get(name), "."
        entries: Optional[List[Mapping[str, Any]]] = None
        if found is not None:
            entries = [
                e for e in (found if isinstance(found, list) else [found])
                if isinstance(e, dict)
                and (e.get("extra") is None or canon(str(e["extra"])) == extra)
                and (e.get("group") is None or canon(str(e["group"])) == group)
            ]
        member = name in self.ws.members and name != self.project
        if entries is None:
            why = ""
            if member:
                why = (f"{name} is a workspace member without a [tool.uv.sources] entry, which "
                       "uv refuses to lock")
                self._problem(why)
            return [make((), "", marker, why)]
        if member and any(e.get("workspace") is not True for e in entries):
            self._problem(f"{name} is a workspace member but its [tool.uv.sources] entry is not "
                          "`{ workspace = true }`, which uv refuses to lock")
        out = []
        for entry in entries:
            source, kind, why = self._source(entry, name, base)
            out.append(make(source, kind, marker_and(entry.get("marker"), marker), why))
        # uv leaves the space no source marker covers to the index.
        source_markers = [entry.get("marker") for entry in entries]
        if not entries:
            out.append(make((), "", marker, ""))
        elif all(isinstance(m, str) and m.strip() for m in source_markers):
            rest = negate_marker(" or ".join(f"({m})" for m in source_markers))
            if rest is None:
                out.append(make((), "", marker, "a source marker chef cannot negate"))
            else:
                remaining = marker_and(rest, marker)
                if not never(remaining, self.ws.requires_python):
                    out.append(make((), "", remaining, ""))
        return out

    def _problem(self, text: str) -> None:
        text = f"{self.display}: {text}"
        if text not in self.problems:
            self.problems.append(text)

    def _source(self, entry: Mapping[str, Any], name: str,
                base: str) -> Tuple[Tuple[str, ...], str, str]:
        """(source, install mode, doubt) of one `[tool.uv.sources]` entry."""
        remote = _remote_source(entry)
        if remote:
            return remote, "", ""
        if "path" in entry:
            target = self._path(str(entry["path"]), base)
            if entry.get("editable") is True:
                return ("local", target), "editable", ""
            if re.search(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz)$", target):
                return ("local", target), "path", ""
            package = entry.get("package")
            if not isinstance(package, bool):
                package = self.ws.is_package(target, required=True) if target in self.ws.data \
                    else True
            return ("local", target), "directory" if package else "virtual", ""
        if entry.get("workspace") is True:
            member = self.ws.members.get(name)
            if member is None:
                why = f"{name} has a workspace source but is not a workspace member"
                self._problem(why + ", which uv refuses to lock")
                return ("local", "?"), "editable", why
            if not self.ws.is_package(member, required=name in self.ws.editability):
                return ("local", member), "virtual", ""
            editable = self.ws.editability.get(name) is not False
            return ("local", member), "editable" if editable else "directory", ""
        if "index" in entry:
            index = str(entry["index"])
            url = self.indexes.get(index)
            if url is None:
                return ("index", index), "", (
                    f"index {index!r} is not defined in pyproject.toml (uv may take it from its "
                    "configuration)")
            return ("index", url), "", ""
        return (), "", "a source chef does not model"

    def _path(self, text: str, base: str) -> str:
        if Path(text).is_absolute():
            try:
                return _posix(Path(text).resolve().relative_to(
                    self.ws.root.resolve()).as_posix())
            except (ValueError, OSError):
                return _posix(text)
        return _posix(posixpath.join(base, text.replace("\\", "/")))

    def lower_all(self, items: Any, key: str, extra: Optional[str] = None,
                  group: Optional[str] = None) -> List[_Req]:
        if not isinstance(items, list):
            raise InputError(f"{key} must be an array", path=self.display)
        return [r for item in items for r in self.lower(item, key, extra, group)]


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


@lru_cache(maxsize=1024)
def _same_versions(a: str, b: str) -> bool:
    """Do two specifier sets accept the same versions (uv compares ranges, not spellings)? Each
    version either mentions and its neighbours are sampled: a set only changes its verdict at a
    version it mentions, so a difference shows at one of them."""
    if a == b:
        return True
    try:
        left, right = SpecifierSet(a), SpecifierSet(b)
    except InvalidSpecifier:
        return False
    samples: Set[str] = {"0", "0.0.1", "99999"}
    for spec in list(left) + list(right):
        text = spec.version.rstrip("*").rstrip(".")
        try:
            version = Version(text)
        except InvalidVersion:
            return False
        release = list(version.release)
        samples.update({str(version), text, f"{text}.0", f"{text}.1", f"{text}.dev0",
                        f"{text}a1", f"{text}.post1"})
        for i in range(len(release)):
            for step in (-1, 1):
                bumped = release[:i] + [release[i] + step]
                if bumped[-1] >= 0:
                    samples.add(".".join(map(str, bumped)))
                    samples.add(".".join(map(str, bumped + [9])))
    return all(left.contains(v, prereleases=True) == right.contains(v, prereleases=True)
               for v in samples)


def _state(reqs: List[_Req], vectors: Mapping[Optional[str], Tuple[bool, ...]],
           index: int) -> Dict[Tuple[Tuple[str, ...], str], Tuple[FrozenSet[str], str]]:
    """What the requirements ask for in one environment: per source, the union of extras and
    the combined specifier (uv combines several declarations of a package)."""
    out: Dict[Tuple[Tuple[str, ...], str], Tuple[Set[str], List[str]]] = {}
    for req in reqs:
        if not vectors[req.marker][index]:
            continue
        extras, specs = out.setdefault((req.source, req.kind), (set(), []))
        extras.update(req.extras)
        if req.specifier:
            specs.append(req.specifier)
    return {k: (frozenset(e), ",".join(sorted(s))) for k, (e, s) in out.items()}


def _same_meaning(want: List[_Req], have: List[_Req],
                  requires_python: Optional[SpecifierSet]) -> bool:
    from packaging.markers import Marker

    texts = {r.marker for r in want + have}
    parsed: Dict[str, Marker] = {t: Marker(t) for t in texts if t is not None}
    envs = environments(list(parsed.values()), requires_python)
    vectors = {t: marker_vector(parsed.get(t) if t else None, envs) for t in texts}
    for i in range(len(envs)):
        a, b = _state(want, vectors, i), _state(have, vectors, i)
        if a.keys() != b.keys():
            return False
        for key, (extras, spec) in a.items():
            if extras != b[key][0] or not _same_versions(spec, b[key][1]):
                return False
    return True


def _flatten(reqs: List[_Req], project: str, keep_self: bool) -> List[_Req]:
    """Self-references (`project[a]` in extra `b`) expanded into the requirements of the extras
    they name, as uv accepts for a dynamic package (uv-distribution's FlatRequiresDist, which
    keeps a self-reference with a source as a bare constraint: `keep_self`) and as hatchling
    reports them in built metadata (no self-reference at all)."""
    by_extra: Dict[Optional[str], List[_Req]] = {}
    for req in reqs:
        by_extra.setdefault(req.extra, []).append(req)
    out = list(reqs)
    queue = [(e, r.marker) for r in reqs if r.name == project for e in r.extras]
    seen: Set[Tuple[str, Optional[str]]] = set()
    while queue:
        extra, marker = queue.pop(0)
        if (extra, marker) in seen:
            continue
        seen.add((extra, marker))
        if len(seen) > MAX_FLATTEN_STATES:  # markers doubling per level: not flattened (stale)
            break
        for req in by_extra.get(extra, []):
            mark = _norm_marker(marker_and(marker, req.base), "uv.lock")
            flat = _Req(req.name, req.extras, req.specifier, req.source, req.kind, mark,
                        req.doubt)
            if req.name == project:
                queue.extend((e, mark) for e in req.extras)
            out.append(flat)
    kept = [_Req(r.name, (), r.specifier, r.source, r.kind, r.marker, r.doubt)
            for r in out if keep_self and r.name == project and (r.specifier or r.source)]
    return [r for r in out if r.name != project] + kept


class _Diff:
    """One package's difference: as pyproject.toml declares it (lowered) and as uv.lock records
    it, and why chef cannot be sure uv sees it ("" when it can)."""

    __slots__ = ("name", "want", "have", "doubt")

    def __init__(self, name: str, want: List[_Req], have: List[_Req], doubt: str) -> None:
        self.name, self.want, self.have, self.doubt = name, want, have, doubt


def _diff(expected: List[_Req], actual: List[_Req],
          requires_python: Optional[SpecifierSet]) -> List[_Diff]:
    """Per package name, what differs between the lowered pyproject requirements and the
    recorded ones, compared by meaning."""
    by_name: Dict[str, Tuple[List[_Req], List[_Req]]] = {}
    for side, reqs in ((0, expected), (1, actual)):
        for req in reqs:
            by_name.setdefault(req.name, ([], []))[side].append(req)
    out = []
    for name in sorted(by_name):
        want, have = by_name[name]
        if {r.fast_key() for r in want} == {r.fast_key() for r in have}:
            continue
        if want and have and _same_meaning(want, have, requires_python):
            continue
        doubt = next((r.doubt for r in want + have if r.doubt), "")
        if not doubt and want and have and any(r.source[:1] == ("local",) for r in want + have):
            doubt = ("chef cannot tell whether the uv that wrote the lock lowers local and "
                     "workspace sources the same way")
        out.append(_Diff(name, want, have, doubt))
    return out


def _report(verdict: Verdict, diffs: List[_Diff], display: str, what: str, *,
            static: bool = True, lock_names: FrozenSet[str] = frozenset(),
            origin: str = "") -> None:
    """Reasons for the differences chef is sure of, warnings for the others. `static`: the
    requirements come from pyproject.toml itself (not from files a build backend reads)."""
    added: List[str] = []
    dropped: List[str] = []
    for d in diffs:
        if bool(d.want) != bool(d.have):
            # Present on one side only: how uv would lower it does not matter, only whether the
            # requirement is declared at all (not sure for one a build may flatten away).
            sure = not d.doubt.startswith(_SELF) and (
                static or bool(d.want and d.name not in lock_names))
        else:
            sure = not d.doubt and static
        if d.want and not d.have:
            text = f"{display} adds {short([r.show() for r in d.want])} to {what}"
        elif d.have and not d.want:
            text = f"{display} drops {short([r.show() for r in d.have])} from {what}"
        else:
            text = (f"{display} changes {d.name} in {what}: "
                    f"{short([r.show(True) for r in d.want])} in {display.rsplit('/', 1)[-1]} vs "
                    f"{short([r.show(True) for r in d.have])} in uv.lock")
        if sure:
            if d.want and not d.have:
                added.extend(r.show() for r in d.want)
            elif d.have and not d.want:
                dropped.extend(r.show() for r in d.have)
            else:
                verdict.reasons.append(text)
            continue
        why = d.doubt or f"read from {origin}, which a build may report differently"
        verdict.warnings.append(f"{text} ({why}; `uv lock --check` may fail on this, chef goes "
                                "on with the lock)")
    parts = []
    if added:
        parts.append(f"adds {short(added)} to {what}")
    if dropped:
        parts.append(f"drops {short(dropped)} from {what}")
    if parts:
        verdict.reasons.append(f"{display} " + " and ".join(parts))


def _python_grid(*specs: SpecifierSet) -> List[str]:
    mentioned = [s.version for spec in specs for s in spec]
    return python_versions(mentioned, None)


def _same_python_range(a: SpecifierSet, b: SpecifierSet) -> bool:
    return all(
        a.contains(v, prereleases=True) == b.contains(v, prereleases=True)
        for v in _python_grid(a, b)
    )


def _uv_index_names(data: Mapping[str, Any]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for entry in as_list(_uv_table(data).get("index")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(
            entry.get("url"), str
        ):
            out[entry["name"]] = normalize_index_url(entry["url"])
    return out


def _requires_python(text: Any, where: str) -> Optional[SpecifierSet]:
    if not isinstance(text, str):
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise InputError(f"invalid requires-python {text!r}", path=where) from None


def _python_marker(spec: Optional[SpecifierSet]) -> Optional[str]:
    """A requires-python as the marker uv adds to a group's requirements."""
    if spec is None or not str(spec):
        return None
    return " and ".join(f"python_full_version {s.operator} '{s.version}'" for s in spec)


def _flat_groups(
    data: Mapping[str, Any], display: str
) -> Dict[str, List[Tuple[Any, Optional[str], bool]]]:
    """PEP 735 groups with includes expanded (uv's FlatDependencyGroups), each item with the
    requires-python marker `[tool.uv.dependency-groups]` puts on it and whether one did."""
    from chef.readers.pyproject import dependency_groups

    dependency_groups(data, display)  # validates: include cycles, undefined groups
    raw = table(data.get("dependency-groups"))
    groups = {canon(k): as_list(v) for k, v in raw.items()}
    settings = {canon(k): table(v) for k, v in table(
        _uv_table(data).get("dependency-groups")).items()}

    def own_python(group: str) -> Optional[str]:
        return _python_marker(_requires_python(settings.get(group, {}).get("requires-python"),
                                               display))

    done: Dict[str, List[Tuple[Any, Optional[str], bool]]] = {}

    def expand(group: str, seen: Tuple[str, ...]) -> List[Tuple[Any, Optional[str], bool]]:
        # Once per group (the includes were checked for cycles above), without repeats: include
        # diamonds doubled the work per level.
        if group in done:
            return done[group]
        mark = own_python(group)
        out: Dict[str, Tuple[Any, Optional[str], bool]] = {}
        for item in groups.get(group, []):
            if isinstance(item, dict) and isinstance(item.get("include-group"), str):
                target = canon(item["include-group"])
                if target not in seen:
                    for i, m, d in expand(target, seen + (target,)):
                        entry = (i, marker_and(m, mark), d or mark is not None)
                        out.setdefault(repr(entry), entry)
            else:
                entry = (item, mark, mark is not None)
                out.setdefault(repr(entry), entry)
        done[group] = list(out.values())
        return done[group]

    return {group: expand(group, (group,)) for group in groups}


def _lower_groups(
    data: Mapping[str, Any], display: str, lowering: _Lowering, legacy: Any
) -> Dict[str, List[_Req]]:
    out: Dict[str, List[_Req]] = {}
    for group, items in _flat_groups(data, display).items():
        reqs = out.setdefault(group, [])
        for item, mark, involved in items:
            why = "its group has a requires-python in [tool.uv.dependency-groups]" if involved \
                else ""
            reqs.extend(lowering.lower(item, f"dependency-groups.{group}", group=group,
                                       marker_from_group=mark, doubt=why))
    if legacy is not None:
        if not isinstance(legacy, list):
            raise InputError("tool.uv.dev-dependencies must be an array", path=display)
        out.setdefault("dev", []).extend(
            r for item in legacy
            for r in lowering.lower(item, "tool.uv.dev-dependencies", group="dev"))
    return out


def _compare_groups(
    verdict: Verdict, display: str, expected: Mapping[str, List[_Req]],
    recorded: Mapping[str, Any], requires_python: Optional[SpecifierSet], owner: str = "",
    include_empty: bool = False,
) -> None:
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
        _report(verdict, _diff(expected.get(group, []), actual.get(group, []), requires_python),
                display, what)


def _constraints(reqs: List[_Req]) -> List[_Req]:
    """uv compares constraints without extras and without those that constrain nothing."""
    return [
        _Req(r.name, (), r.specifier, r.source, r.kind, r.marker, r.doubt)
        for r in reqs if r.specifier or (r.source and r.source[0] != "index")
    ]


def _members(files: Files, root_data: Mapping[str, Any]) -> Tuple[
        Dict[str, str], Dict[str, Mapping[str, Any]]]:
    """Workspace members by canonical name -> relative path (the root first, when it is a
    project), as uv discovers them: member globs less `exclude`, less `managed = false`."""
    from chef.readers.pyproject import workspace_members

    members: Dict[str, str] = {}
    member_data: Dict[str, Mapping[str, Any]] = {}
    if isinstance(root_data.get("project"), dict):
        name = root_data["project"].get("name")
        if isinstance(name, str):
            members[canon(name)] = "."
            member_data["."] = root_data
    if not isinstance(_uv_table(root_data).get("workspace"), dict):
        return members, member_data
    for rel in workspace_members(files.root, root_data, "pyproject.toml"):
        if rel == ".":
            continue
        data = files.toml(f"{rel}/pyproject.toml")
        if _uv_table(data).get("managed") is False:
            continue
        name = table(data.get("project")).get("name")
        if isinstance(name, str):
            members[canon(name)] = rel
            member_data[rel] = data
    return members, member_data


def check(files: Files) -> Verdict:
    verdict = Verdict("uv", "uv.lock", fresh=True)
    lock = files.toml("uv.lock")
    root_data = files.toml("pyproject.toml")
    root_uv = _uv_table(root_data)
    lock_rp_text = lock.get("requires-python")
    lock_rp = _requires_python(lock_rp_text, "uv.lock")

    members, member_data = _members(files, root_data)
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
        spec = _requires_python(table(data.get("project")).get("requires-python"),
                                f"{rel}/pyproject.toml".lstrip("./"))
        if spec is not None:
            specs.append(spec)
    if specs and lock_rp is not None:
        wanted = SpecifierSet(",".join(str(s) for s in specs if str(s)))
        if not _same_python_range(wanted, lock_rp):
            verdict.reasons.append(
                f"requires-python is {str(wanted) or 'any'!r} but the lock has {lock_rp_text!r}"
            )

    # uv's `required_members`: members that a `{ workspace = true }` source names (the root's
    # entry for itself and a member's for itself do not count), with the editability the last
    # such entry gives (None: not said), the root's sources first, then every member's (the
    # root project among them) in name order.
    editability: Dict[str, Optional[bool]] = {}
    owners = [(canon(str(table(root_data.get("project")).get("name", ""))), root_data)] + [
        (name, member_data[rel]) for name, rel in sorted(members.items())]
    for owner, data in owners:
        for name, source in _sources(data).items():
            for entry in source if isinstance(source, list) else [source]:
                if name != owner and isinstance(entry, dict) and entry.get("workspace") is True:
                    value = entry.get("editable")
                    editability[name] = value if isinstance(value, bool) else None
    required = set(editability)
    ws = _Workspace(files.root, members, member_data, _sources(root_data),
                    _uv_index_names(root_data), lock_rp, editability)
    revision = (lock.get("version"), lock.get("revision", 0))
    if not (isinstance(revision[0], int) and isinstance(revision[1], int)):
        revision = (1, 0)

    _check_manifest(verdict, ws, root_data, manifest, lock_rp, revision)
    _check_settings(verdict, root_uv, member_data, lock)

    packages = as_list(lock.get("package"))
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for entry in packages:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            by_name.setdefault(canon(entry["name"]), []).append(entry)
    lock_names = frozenset(by_name)
    for name, rel in sorted(members.items()):
        entries = [
            e for e in by_name.get(name, [])
            if any(k in table(e.get("source")) for k in ("editable", "virtual", "directory"))
        ]
        display = "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"
        if not entries:
            verdict.reasons.append(f"{name} ({display}) is not in the lock")
            continue
        _check_member(verdict, ws, name, rel, display, entries[0], revision, lock_names,
                      name in required)
    _check_path_packages(verdict, files, ws, packages)
    verdict.fresh = not verdict.reasons
    return verdict


def _check_manifest(verdict: Verdict, ws: _Workspace, root_data: Mapping[str, Any],
                    manifest: Mapping[str, Any], lock_rp: Optional[SpecifierSet],
                    revision: Tuple[Any, Any]) -> None:
    """`[manifest]`: the workspace's constraints, overrides, build constraints, excludes and
    (for a root without `[project]`) dependency groups."""
    root_uv = _uv_table(root_data)
    lowering = _Lowering(ws, ".", "pyproject.toml", None)
    for key, setting in (
        ("constraints", "constraint-dependencies"),
        ("overrides", "override-dependencies"),
        ("build-constraints", "build-constraint-dependencies"),
    ):
        expected = lowering.lower_all(root_uv.get(setting, []), f"tool.uv.{setting}")
        actual = [_lock_req(e, f"manifest.{key}") for e in as_list(manifest.get(key))]
        if key != "overrides":
            expected, actual = _constraints(expected), _constraints(actual)
        _report(verdict, _diff(expected, actual, lock_rp), "pyproject.toml",
                f"tool.uv.{setting}")
    excludes = root_uv.get("exclude-dependencies", [])
    want = {canon(str(e)) for e in as_list(excludes)}
    have = {canon(str(e)) for e in as_list(manifest.get("excludes"))}
    if want != have:
        verdict.reasons.append(
            f"tool.uv.exclude-dependencies is {short(sorted(want)) or 'empty'} but the lock "
            f"has {short(sorted(have)) or 'none'}"
        )
    if "project" not in root_data:  # a virtual workspace root keeps its groups in the manifest
        groups = _lower_groups(root_data, "pyproject.toml", lowering,
                               root_uv.get("dev-dependencies"))
        _compare_groups(verdict, "pyproject.toml", groups,
                        table(manifest.get("dependency-groups")), lock_rp)
        if revision >= (1, 5):
            _compare_default_groups(verdict, "the workspace root", root_uv,
                                    manifest.get("default-groups"))
    metadata = [canon(str(table(e).get("name"))) for e in as_list(
        root_uv.get("dependency-metadata"))]
    recorded = [canon(str(table(e).get("name"))) for e in as_list(
        manifest.get("dependency-metadata"))]
    if sorted(metadata) != sorted(recorded):
        verdict.warnings.append(
            f"tool.uv.dependency-metadata names {short(sorted(metadata)) or 'nothing'} but "
            f"uv.lock records {short(sorted(recorded)) or 'nothing'} (`uv lock --check` fails "
            "on this; it decides no version chef installs, chef goes on)")
    _lowering_problems(verdict, lowering)


def _lowering_problems(verdict: Verdict, lowering: _Lowering) -> None:
    for text in lowering.problems:
        verdict.warnings.append(f"{text} (`uv lock --check` fails on this; chef goes on)")


def _compare_default_groups(verdict: Verdict, who: str, uv: Mapping[str, Any],
                            recorded: Any) -> None:
    """`tool.uv.default-groups` as lock revision 5 records it (absent means `["dev"]`)."""
    def norm(value: Any) -> Any:
        if value == "all":
            return "all"
        if isinstance(value, list):
            return sorted({canon(str(v)) for v in value})
        return ["dev"]

    want, have = norm(uv.get("default-groups")), norm(recorded)
    if want != have:
        verdict.reasons.append(
            f"{who}'s default-groups are {want!r} in pyproject.toml but {have!r} in the lock"
        )


def _same_markers(a: List[str], b: List[str]) -> bool:
    """Two marker lists that hold in the same environments, one by one (uv simplifies the
    markers of `environments` before it records them)."""
    from packaging.markers import InvalidMarker, Marker

    if len(a) != len(b):
        return False
    try:
        # uv reads markers spread over lines; packaging wants them on one
        left, right = [Marker(" ".join(t.split())) for t in a], [
            Marker(" ".join(t.split())) for t in b]
    except (InvalidMarker, RecursionError):
        return False
    envs = environments(left + right, None)
    return sorted(marker_vector(m, envs) for m in left) == sorted(
        marker_vector(m, envs) for m in right)


def _check_settings(verdict: Verdict, root_uv: Mapping[str, Any],
                    member_data: Mapping[str, Mapping[str, Any]],
                    lock: Mapping[str, Any]) -> None:
    """uv settings that make `uv lock --check` re-resolve but that chef does not reproduce:
    a warning naming both values when they visibly differ."""
    def warn(field: str, want: Any, have: Any) -> None:
        verdict.warnings.append(
            f"tool.uv.{field} is {want!r} in pyproject.toml but uv.lock records {have!r} "
            "(`uv lock --check` may fail on this; chef does not model it and goes on)")

    for field, key in (("environments", "supported-markers"),
                       ("required-environments", "required-markers")):
        raw = root_uv.get(field)
        want = [raw] if isinstance(raw, str) else [str(m) for m in as_list(raw)]
        have = [str(m) for m in as_list(lock.get(key))]
        if want != have and not _same_markers(want, have):
            warn(field, want, have)
    conflicts: Set[FrozenSet[Tuple[str, str, str]]] = set()
    for data in member_data.values() if member_data else [{"tool": {"uv": root_uv}}]:
        owner = canon(str(table(data.get("project")).get("name", "")))
        for group in as_list(_uv_table(data).get("conflicts")):
            conflicts.add(frozenset(
                (canon(str(item.get("package", owner))),
                 "extra" if "extra" in item else "group",
                 canon(str(item.get("extra", item.get("group", "")))))
                for item in as_list(group) if isinstance(item, dict)))
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
    _check_exclude_newer(verdict, root_uv, options, warn)


def _check_exclude_newer(verdict: Verdict, root_uv: Mapping[str, Any],
                         options: Mapping[str, Any], warn: Any) -> None:
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


def _check_member(verdict: Verdict, ws: _Workspace, name: str, rel: str, display: str,
                  entry: Mapping[str, Any], revision: Tuple[Any, Any],
                  lock_names: FrozenSet[str], required: bool) -> None:
    """One member's recorded metadata against its pyproject.toml."""
    from chef.readers.pyproject import DynamicMetadataError, project_requirements

    data = ws.data[rel]
    project = table(data.get("project"))
    member_uv = _uv_table(data)
    newer = revision >= (1, 1)
    source = table(entry.get("source"))
    kind = next((k for k in ("virtual", "editable", "directory") if k in source), "")
    want_kind = "virtual" if not ws.is_package(rel, required) else (
        "editable" if ws.editability.get(name) is not False else "directory")
    if kind != want_kind:
        verdict.warnings.append(
            f"{name} is {want_kind} per {display} but uv.lock records it as {kind} "
            "(`uv lock --check` fails on this; it changes no third-party package, chef goes on)")
    _check_version(verdict, name, display, project, entry)

    metadata = entry.get("metadata")
    if not isinstance(metadata, dict):
        verdict.unchecked.append(f"{name}: the lock records no requirements to compare")
        return
    # A [project] without dependencies beside [tool.poetry]: uv builds the metadata, which chef
    # reads as poetry-core fills it (project_requirements; another backend must report none);
    # not sure of it, so only a name the lock does not hold at all is refused, as for other
    # build-filled metadata.
    poetry = _poetry_syntax(data)
    try:
        found = project_requirements(ws.root, rel, data, display)
    except DynamicMetadataError:
        found = None
    lowering = _Lowering(ws, rel, display, name, found.templated if found else ())
    if found is None and poetry:
        verdict.unchecked.append(f"{name}: its metadata is built ({display}: {poetry})")
        verdict.warnings.append(
            f"{name}'s [project] in {display} has no dependencies but a [tool.poetry] table, "
            "so uv reads its dependencies and extras from a build that chef cannot reproduce: "
            "not compared with uv.lock (`uv lock --check` builds the metadata to compare; "
            "chef goes on with the lock)")
    elif found is None:
        verdict.unchecked.append(f"{name}: its dependencies are dynamic ({display})")
        verdict.warnings.append(
            f"{name}'s dependencies are dynamic in {display} and chef cannot read them without "
            "a build: not compared with uv.lock (`uv lock --check` builds the metadata to "
            "compare; chef goes on)")
    else:
        static = found.origin.get("dependencies") == "[project]"
        expected = lowering.lower_all(found.dependencies, "project.dependencies")
        optional_static = found.origin.get("optional-dependencies") == "[project]"
        optional_known = found.origin.get("optional-dependencies") != \
            "dynamic, not readable statically"
        for extra, items in found.optional.items():
            expected += lowering.lower_all(items, f"project.optional-dependencies.{extra}",
                                           extra=canon(extra))
        actual = [_lock_req(e, f"package {name} metadata.requires-dist")
                  for e in as_list(metadata.get("requires-dist"))]
        if not optional_known:  # compare what chef knows: the requirements outside extras
            actual = [r for r in actual if not (r.marker and "extra" in r.marker)]
        origin = found.origin.get("dependencies", "")
        if static and not optional_static:
            origin = found.origin.get("optional-dependencies", "")
        diffs = _diff(expected, actual, ws.requires_python)
        # A dynamic package: uv also accepts the requirements with self-references flattened.
        if diffs and entry.get("version") is None and any(r.name == name for r in expected) \
                and any(not _diff(_flatten(expected, name, keep), actual, ws.requires_python)
                        for keep in (True, False)):
            diffs = []
        _report(verdict, diffs, display, f"{name}'s dependencies",
                static=static and optional_static, lock_names=lock_names, origin=origin)
        if optional_known and (newer or "provides-extras" in metadata):
            want = {canon(e) for e in found.optional}
            have = {canon(str(e)) for e in as_list(metadata.get("provides-extras"))}
            if want != have:
                text = (f"{name}'s extras are {short(sorted(want)) or 'none'} in {display} but "
                        f"the lock has {short(sorted(have)) or 'none'}")
                if optional_static:
                    verdict.reasons.append(text)
                else:
                    verdict.warnings.append(
                        f"{text} (read from {found.origin['optional-dependencies']}; "
                        "`uv lock --check` may fail on this, chef goes on)")
    groups = _lower_groups(data, display, lowering, member_uv.get("dev-dependencies"))
    _compare_groups(verdict, display, groups, table(metadata.get("requires-dev")),
                    ws.requires_python, owner=name, include_empty=newer)
    _lowering_problems(verdict, lowering)
    if revision >= (1, 5):
        _compare_default_groups(verdict, name, member_uv, entry.get("default-groups"))
        want_rp = {g: _group_python(data, g, display) for g in groups}
        want_rp = {g: v for g, v in want_rp.items() if v}
        have_rp = {canon(g): str(v) for g, v in table(entry.get("group-requires-python")).items()}
        if want_rp.keys() != have_rp.keys() or any(
                not _same_versions(normalize_specifier(v), _norm_spec(have_rp[g], "uv.lock"))
                for g, v in want_rp.items()):
            verdict.warnings.append(
                f"{name}'s group requires-python is {want_rp or 'none'} per "
                f"[tool.uv.dependency-groups] in {display} but uv.lock records "
                f"{have_rp or 'none'} (`uv lock --check` fails on this; chef goes on)")


def _check_path_packages(verdict: Verdict, files: Files, ws: _Workspace,
                         packages: List[Any]) -> None:
    """Path dependencies inside the project that are not workspace members: `uv lock --check`
    compares the requirements uv.lock records for them too (built when their metadata is not
    static). chef only warns here, never refuses: such a package is a workspace of its own to
    uv, whose lowering rules chef does not reproduce exactly."""
    for entry in packages:
        if not isinstance(entry, dict):
            continue
        name = canon(str(entry.get("name", "")))
        source = table(entry.get("source"))
        path = source.get("directory", source.get("editable"))
        metadata = entry.get("metadata")
        if name in ws.members or not isinstance(path, str) or not isinstance(metadata, dict):
            continue
        rel = _posix(path)
        if rel in (".", "") or rel.startswith("../") or Path(rel).is_absolute():
            continue
        display = f"{rel}/pyproject.toml"
        if not files.exists(display):
            continue
        try:
            verdict.warnings.extend(_path_package_warnings(verdict, files, ws, name, rel,
                                                           display, metadata))
        except InputError as exc:  # uv's check fails on it too; this check never refuses
            verdict.warnings.append(
                f"{name} (a path dependency, {display}) cannot be read: {exc} (not compared "
                "with uv.lock; chef goes on with the lock)")


def _path_package_warnings(verdict: Verdict, files: Files, ws: _Workspace, name: str,
                           rel: str, display: str, metadata: Mapping[str, Any]) -> List[str]:
    """The warnings for one path dependency's recorded requirements (see above)."""
    from chef.readers.pyproject import DynamicMetadataError, Requirements, project_requirements

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
            built = _poetry_syntax(data) or "dynamic dependencies chef cannot read"
    if found is None:
        verdict.unchecked.append(f"{name}: its metadata is built ({display}: {built})")
        return [f"{name} (a path dependency, {display}) has metadata a build fills ({built}): "
                "not compared with uv.lock (`uv lock --check` builds it to compare; chef goes "
                "on with the lock)"]
    own = _Workspace(ws.root, {}, {rel: data}, {}, {}, ws.requires_python, {})
    lowering = _Lowering(own, rel, display, name, found.templated)
    expected = lowering.lower_all(found.dependencies, "project.dependencies")
    for extra, items in found.optional.items():
        expected += lowering.lower_all(items, f"project.optional-dependencies.{extra}",
                                       extra=canon(extra))
    actual = [_lock_req(e, f"package {name} metadata.requires-dist")
              for e in as_list(metadata.get("requires-dist"))]
    return [f"{display} declares {short([r.show(True) for r in d.want]) or 'nothing'} for "
            f"{d.name} in {name}'s dependencies but uv.lock records "
            f"{short([r.show(True) for r in d.have]) or 'nothing'} (a path dependency: "
            "`uv lock --check` may fail on this, chef goes on with the lock)"
            for d in _diff(expected, actual, ws.requires_python)]


def _poetry1_requirements(data: Mapping[str, Any], display: str) -> Any:
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


def _poetry_syntax(data: Mapping[str, Any]) -> str:
    """Why uv takes none of a member's metadata from its pyproject.toml although `dynamic` does
    not say so, or "": a `[project]` without `dependencies` beside any `[tool.poetry]` table is
    Poetry's syntax to uv, whose metadata the build backend fills (uv-pypi-types'
    `MetadataError::PoetrySyntax`: the project is built, as for dynamic dependencies)."""
    project = table(data.get("project"))
    if "dependencies" in project or "poetry" not in table(data.get("tool")):
        return ""
    return "[project] without dependencies beside [tool.poetry]"


def _group_python(data: Mapping[str, Any], group: str, display: str) -> str:
    """A group's effective requires-python: its own and those of the groups it includes."""
    settings = {canon(k): table(v) for k, v in table(
        _uv_table(data).get("dependency-groups")).items()}
    groups = {canon(k): as_list(v) for k, v in table(data.get("dependency-groups")).items()}
    specs: List[str] = []
    seen: Set[str] = set()
    todo = [group]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        text = settings.get(current, {}).get("requires-python")
        if isinstance(text, str) and text.strip():
            specs.append(text)
        todo.extend(canon(str(i["include-group"])) for i in groups.get(current, [])
                    if isinstance(i, dict) and "include-group" in i)
    return ",".join(specs)


def _check_version(verdict: Verdict, name: str, display: str, project: Mapping[str, Any],
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
            verdict.warnings.append(
                f"{name}'s version is {version} in {display} but {locked} in the "
                "lock: `uv lock --check` fails on that, chef goes on (the project's own "
                "version decides nothing it installs; `uv lock` records the new one)"
            )
    elif isinstance(version, str) and locked is None:
        verdict.warnings.append(
            f"{name}'s version is {version} in {display} but the lock records it as dynamic: "
            "`uv lock --check` fails on that, chef goes on")
    elif dynamic and isinstance(locked, str):
        verdict.warnings.append(
            f"{name}'s version is dynamic in {display} but the lock records {locked} (written "
            "by a uv before 0.5): `uv lock --check` of newer uv fails on that, chef goes on")
