"""pyproject.toml -> the requirements uv records: how uv lowers a project's metadata through
`[tool.uv.sources]` (uv-distribution's `LoweredRequirement::from_requirement`: a member's own
entry shadows the root's, per package; source markers split a requirement and leave the rest of
the marker space to the index; `extra`/`group` sources apply only there), which workspace members
it discovers, how it flattens dependency groups and self-referencing extras."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Set, Tuple
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from chef.errors import InputError
from chef.freshness.common import Files, as_list, canon, table
from chef.freshness.markers import marker_and, negate_marker, never
from chef.freshness.uv.reqs import (
    DEFAULT_INDEX,
    Req,
    Source,
    git_parts,
    is_archive,
    norm_marker,
    norm_spec,
    posix,
    remote_source,
)
from chef.limits import MAX_FLATTEN_STATES
from chef.urls import normalize_index_url, strip_credentials

if TYPE_CHECKING:
    from packaging.requirements import Requirement

SELF = "it names the project itself, whose extras a build backend may flatten"


def uv_table(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return table(table(data.get("tool")).get("uv"))


def sources(data: Mapping[str, Any]) -> Dict[str, Any]:
    return {canon(k): v for k, v in table(uv_table(data).get("sources")).items()}


def index_names(data: Mapping[str, Any]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for entry in as_list(uv_table(data).get("index")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(
            entry.get("url"), str
        ):
            out[entry["name"]] = normalize_index_url(entry["url"])
    return out


def requires_python(text: Any, where: str) -> Optional[SpecifierSet]:
    if not isinstance(text, str):
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise InputError(f"invalid requires-python {text!r}", path=where) from None


class Workspace:
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
        package = uv_table(data).get("package")
        if isinstance(package, bool):
            return package
        return "build-system" in data or required


class _Declared:
    """One parsed pyproject requirement, turned into recorded requirements per source (a plain
    class, as Workspace)."""

    __slots__ = ("name", "extras", "specifier", "plain", "extra", "doubt", "display")

    def __init__(self, req: Requirement, name: str, plain: Optional[str], extra: Optional[str],
                 doubt: str, display: str) -> None:
        self.name = name
        self.extras = tuple(sorted({canon(e) for e in req.extras}))
        self.specifier = str(req.specifier)
        self.plain = plain  # the marker as written, before `extra == ...` and a group's
        self.extra = extra
        self.doubt = doubt
        self.display = display

    def make(self, source: Source, mode: str, marker: Optional[str], why: str) -> Req:
        spec = self.specifier if source.is_index else ""
        return Req(self.name, self.extras, norm_spec(spec, self.display), source, mode,
                   norm_marker(marker, self.display), why or self.doubt, self.extra, self.plain)


class Lowering:
    """pyproject requirements of one project as uv records them (uv-distribution's
    `LoweredRequirement::from_requirement`)."""

    def __init__(self, ws: Workspace, rel: str, display: str, project: Optional[str],
                 templated: Tuple[str, ...] = ()) -> None:
        self.ws = ws
        self.rel = rel
        self.display = display
        self.project = project
        self.templated = templated
        data = ws.data.get(rel, {})
        self.own = sources(data) if rel != "." else {}
        self.indexes = {**ws.root_indexes, **index_names(data)}
        # What uv refuses to lower at all (`uv lock` and its check fail with an error).
        self.problems: List[str] = []

    def lower(self, text: Any, key: str, extra: Optional[str] = None,
              group: Optional[str] = None, marker_from_group: Optional[str] = None,
              doubt: str = "") -> List[Req]:
        req = self._parse(text, key)
        name = canon(req.name)
        marker = plain = str(req.marker) if req.marker else None
        if extra is not None:
            marker = marker_and(marker, f"extra == '{extra}'")
        marker = marker_and(marker, marker_from_group)
        if name in self.templated:
            doubt = doubt or "its version is a `{{ version }}` template that only a build fills"
        elif name == self.project:
            doubt = doubt or SELF
        declared = _Declared(req, name, plain, extra, doubt, self.display)
        if req.url:
            return [self._direct(declared, req.url, marker)]
        return self._through_sources(declared, marker, extra, group)

    def _parse(self, text: Any, key: str) -> Requirement:
        if not isinstance(text, str):
            raise InputError(f"{key} must hold strings, not {type(text).__name__}",
                             path=self.display)
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            return Requirement(text)
        except InvalidRequirement as exc:
            raise InputError(
                f"invalid requirement {text!r} in {key}: {exc}".replace("\n", " "),
                path=self.display,
            ) from None

    @staticmethod
    def _direct(declared: _Declared, url: str, marker: Optional[str]) -> Req:
        """A PEP 508 direct reference (`name @ url`)."""
        if url.startswith("git+"):
            return declared.make(Source("git", *git_parts(url)), "", marker, "")
        if url.startswith("file:"):
            return declared.make(Source("local", posix(urlsplit(url).path)), "directory", marker,
                                 "a file: URL is resolved against a directory chef cannot know")
        return declared.make(Source("url", strip_credentials(url).split("#")[0]), "", marker, "")

    def _through_sources(self, declared: _Declared, marker: Optional[str],
                         extra: Optional[str], group: Optional[str]) -> List[Req]:
        """The requirement lowered through the `[tool.uv.sources]` entries that apply to it
        (the member's own, else the root's), the rest of the marker space left to the index."""
        name = declared.name
        found, base = self.own.get(name), self.rel
        if found is None:
            found, base = self.ws.root_sources.get(name), "."
        member = name in self.ws.members and name != self.project
        if found is None:
            why = ""
            if member:
                why = (f"{name} is a workspace member without a [tool.uv.sources] entry, which "
                       "uv refuses to lock")
                self._problem(why)
            return [declared.make(DEFAULT_INDEX, "", marker, why)]
        entries: List[Mapping[str, Any]] = [
            e for e in (found if isinstance(found, list) else [found])
            if isinstance(e, dict)
            and (e.get("extra") is None or canon(str(e["extra"])) == extra)
            and (e.get("group") is None or canon(str(e["group"])) == group)
        ]
        if member and any(e.get("workspace") is not True for e in entries):
            self._problem(f"{name} is a workspace member but its [tool.uv.sources] entry is not "
                          "`{ workspace = true }`, which uv refuses to lock")
        out = []
        for entry in entries:
            source, mode, why = self._source(entry, name, base)
            out.append(declared.make(source, mode, marker_and(entry.get("marker"), marker), why))
        # uv leaves the space no source marker covers to the index.
        source_markers = [entry.get("marker") for entry in entries]
        if not entries:
            out.append(declared.make(DEFAULT_INDEX, "", marker, ""))
        elif all(isinstance(m, str) and m.strip() for m in source_markers):
            rest = negate_marker(" or ".join(f"({m})" for m in source_markers))
            if rest is None:
                out.append(declared.make(DEFAULT_INDEX, "", marker,
                                         "a source marker chef cannot negate"))
            else:
                remaining = marker_and(rest, marker)
                if not never(remaining, self.ws.requires_python):
                    out.append(declared.make(DEFAULT_INDEX, "", remaining, ""))
        return out

    def _problem(self, text: str) -> None:
        text = f"{self.display}: {text}"
        if text not in self.problems:
            self.problems.append(text)

    def _source(self, entry: Mapping[str, Any], name: str,
                base: str) -> Tuple[Source, str, str]:
        """(source, install mode, doubt) of one `[tool.uv.sources]` entry."""
        remote = remote_source(entry)
        if remote is not None:
            return remote, "", ""
        if "path" in entry:
            return self._path_source(entry, base)
        if entry.get("workspace") is True:
            return self._workspace_source(name)
        if "index" in entry:
            index = str(entry["index"])
            url = self.indexes.get(index)
            if url is None:
                return Source("index", index), "", (
                    f"index {index!r} is not defined in pyproject.toml (uv may take it from its "
                    "configuration)")
            return Source("index", url), "", ""
        return DEFAULT_INDEX, "", "a source chef does not model"

    def _path_source(self, entry: Mapping[str, Any], base: str) -> Tuple[Source, str, str]:
        target = self._path(str(entry["path"]), base)
        if entry.get("editable") is True:
            return Source("local", target), "editable", ""
        if is_archive(target):
            return Source("local", target), "path", ""
        package = entry.get("package")
        if not isinstance(package, bool):
            package = self.ws.is_package(target, required=True) if target in self.ws.data \
                else True
        return Source("local", target), "directory" if package else "virtual", ""

    def _workspace_source(self, name: str) -> Tuple[Source, str, str]:
        member = self.ws.members.get(name)
        if member is None:
            why = f"{name} has a workspace source but is not a workspace member"
            self._problem(why + ", which uv refuses to lock")
            return Source("local", "?"), "editable", why
        if not self.ws.is_package(member, required=name in self.ws.editability):
            return Source("local", member), "virtual", ""
        editable = self.ws.editability.get(name) is not False
        return Source("local", member), "editable" if editable else "directory", ""

    def _path(self, text: str, base: str) -> str:
        if Path(text).is_absolute():
            try:
                return posix(Path(text).resolve().relative_to(
                    self.ws.root.resolve()).as_posix())
            except (ValueError, OSError):
                return posix(text)
        return posix(posixpath.join(base, text.replace("\\", "/")))

    def lower_all(self, items: Any, key: str, extra: Optional[str] = None,
                  group: Optional[str] = None) -> List[Req]:
        if not isinstance(items, list):
            raise InputError(f"{key} must be an array", path=self.display)
        return [r for item in items for r in self.lower(item, key, extra, group)]

    def lower_project(self, dependencies: Any, optional: Mapping[str, Any]) -> List[Req]:
        """`[project]` dependencies and optional dependencies, as requires-dist records them."""
        expected = self.lower_all(dependencies, "project.dependencies")
        for extra, items in optional.items():
            expected += self.lower_all(items, f"project.optional-dependencies.{extra}",
                                       extra=canon(extra))
        return expected


def _python_marker(spec: Optional[SpecifierSet]) -> Optional[str]:
    """A requires-python as the marker uv adds to a group's requirements."""
    if spec is None or not str(spec):
        return None
    return " and ".join(f"python_full_version {s.operator} '{s.version}'" for s in spec)


class GroupItem:
    """One item of a flattened dependency group: the requirement as written, the requires-python
    marker `[tool.uv.dependency-groups]` puts on it, and whether one did (`involved`). Frozen;
    a plain class, as Workspace."""

    __slots__ = ("item", "marker", "involved")
    item: Any
    marker: Optional[str]
    involved: bool

    def __init__(self, item: Any, marker: Optional[str], involved: bool) -> None:
        object.__setattr__(self, "item", item)
        object.__setattr__(self, "marker", marker)
        object.__setattr__(self, "involved", involved)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"GroupItem is frozen: cannot set {name}")

    def key(self) -> str:
        """What makes two items one (the spelling the include expansion deduplicates by)."""
        return repr((self.item, self.marker, self.involved))


def flat_groups(data: Mapping[str, Any], display: str) -> Dict[str, List[GroupItem]]:
    """PEP 735 groups with includes expanded (uv's FlatDependencyGroups), each item with the
    requires-python marker `[tool.uv.dependency-groups]` puts on it and whether one did."""
    from chef.readers.pyproject import dependency_groups

    dependency_groups(data, display)  # validates: include cycles, undefined groups
    raw = table(data.get("dependency-groups"))
    groups = {canon(k): as_list(v) for k, v in raw.items()}
    settings = {canon(k): table(v) for k, v in table(
        uv_table(data).get("dependency-groups")).items()}

    def own_python(group: str) -> Optional[str]:
        return _python_marker(requires_python(settings.get(group, {}).get("requires-python"),
                                              display))

    done: Dict[str, List[GroupItem]] = {}

    def expand(group: str, seen: Tuple[str, ...]) -> List[GroupItem]:
        # Once per group (the includes were checked for cycles above), without repeats: include
        # diamonds doubled the work per level.
        if group in done:
            return done[group]
        mark = own_python(group)
        out: Dict[str, GroupItem] = {}
        for item in groups.get(group, []):
            if isinstance(item, dict) and isinstance(item.get("include-group"), str):
                target = canon(item["include-group"])
                if target not in seen:
                    for inner in expand(target, seen + (target,)):
                        entry = GroupItem(inner.item, marker_and(inner.marker, mark),
                                          inner.involved or mark is not None)
                        out.setdefault(entry.key(), entry)
            else:
                entry = GroupItem(item, mark, mark is not None)
                out.setdefault(entry.key(), entry)
        done[group] = list(out.values())
        return done[group]

    return {group: expand(group, (group,)) for group in groups}


def lower_groups(
    data: Mapping[str, Any], display: str, lowering: Lowering, legacy: Any
) -> Dict[str, List[Req]]:
    """Every dependency group lowered, `tool.uv.dev-dependencies` (`legacy`) as group "dev"."""
    out: Dict[str, List[Req]] = {}
    for group, items in flat_groups(data, display).items():
        reqs = out.setdefault(group, [])
        for entry in items:
            why = "its group has a requires-python in [tool.uv.dependency-groups]" \
                if entry.involved else ""
            reqs.extend(lowering.lower(entry.item, f"dependency-groups.{group}", group=group,
                                       marker_from_group=entry.marker, doubt=why))
    if legacy is not None:
        if not isinstance(legacy, list):
            raise InputError("tool.uv.dev-dependencies must be an array", path=display)
        out.setdefault("dev", []).extend(
            r for item in legacy
            for r in lowering.lower(item, "tool.uv.dev-dependencies", group="dev"))
    return out


def group_python(data: Mapping[str, Any], group: str) -> str:
    """A group's effective requires-python: its own and those of the groups it includes."""
    settings = {canon(k): table(v) for k, v in table(
        uv_table(data).get("dependency-groups")).items()}
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


def constraints(reqs: List[Req]) -> List[Req]:
    """uv compares constraints without extras and without those that constrain nothing."""
    return [r.as_constraint() for r in reqs if r.specifier or not r.source.is_index]


def flatten(reqs: List[Req], project: str, keep_self: bool) -> List[Req]:
    """Self-references (`project[a]` in extra `b`) expanded into the requirements of the extras
    they name, as uv accepts for a dynamic package (uv-distribution's FlatRequiresDist, which
    keeps a self-reference with a source as a bare constraint: `keep_self`) and as hatchling
    reports them in built metadata (no self-reference at all)."""
    by_extra: Dict[Optional[str], List[Req]] = {}
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
            mark = norm_marker(marker_and(marker, req.base), "uv.lock")
            if req.name == project:
                queue.extend((e, mark) for e in req.extras)
            out.append(req.with_marker(mark))
    kept = [r.as_constraint() for r in out
            if keep_self and r.name == project and (r.specifier or r.source.kind)]
    return [r for r in out if r.name != project] + kept


def discover_members(files: Files, root_data: Mapping[str, Any]) -> Tuple[
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
    if not isinstance(uv_table(root_data).get("workspace"), dict):
        return members, member_data
    for rel in workspace_members(files.root, root_data, "pyproject.toml"):
        if rel == ".":
            continue
        data = files.toml(f"{rel}/pyproject.toml")
        if uv_table(data).get("managed") is False:
            continue
        name = table(data.get("project")).get("name")
        if isinstance(name, str):
            members[canon(name)] = rel
            member_data[rel] = data
    return members, member_data


def required_members(root_data: Mapping[str, Any], members: Mapping[str, str],
                     member_data: Mapping[str, Mapping[str, Any]]) -> Dict[str, Optional[bool]]:
    """uv's `required_members`: members that a `{ workspace = true }` source names (the root's
    entry for itself and a member's for itself do not count), with the editability the last
    such entry gives (None: not said), the root's sources first, then every member's (the root
    project among them) in name order."""
    editability: Dict[str, Optional[bool]] = {}
    owners = [(canon(str(table(root_data.get("project")).get("name", ""))), root_data)] + [
        (name, member_data[rel]) for name, rel in sorted(members.items())]
    for owner, data in owners:
        for name, source in sources(data).items():
            for entry in source if isinstance(source, list) else [source]:
                if name != owner and isinstance(entry, dict) and entry.get("workspace") is True:
                    value = entry.get("editable")
                    editability[name] = value if isinstance(value, bool) else None
    return editability
