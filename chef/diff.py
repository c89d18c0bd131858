"""Why would the cache miss? The difference between two recipes, in terms of what gets installed.

Docker keys the dependency layer on the recipe's bytes, so any byte difference is a miss; this
module says what the difference *means*: packages added, removed or changed (version, hashes,
markers, source), the selection (extras, groups, packages), indexes, requires-python, build
requirements and local packages. Both recipes are validated first (`chef.recipe.loads`), then
compared in their canonical data form, so the answer does not depend on formatting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from chef.recipe import loads, to_data

# Areas in the order a human reads them: the installed set first.
AREAS = (
    "format",
    "manager",
    "packages",
    "requirements",
    "constraints",
    "selection",
    "index",
    "requires-python",
    "build-requires",
    "build-constraints",
    "layers",
    "local-packages",
    "bytes",
)


@dataclass(frozen=True)
class Change:
    """One difference. `change` is "added", "removed" or "changed"; `old`/`new` hold the JSON
    values on each side (None for the side that has nothing)."""

    area: str
    change: str
    name: str
    detail: str = ""
    old: Any = None
    new: Any = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "area": self.area,
            "change": self.change,
            "name": self.name,
            "detail": self.detail,
            "old": self.old,
            "new": self.new,
        }


def diff_texts(
    old_text: str, new_text: str, old_display: str = "old", new_display: str = "new"
) -> List[Change]:
    """Changes between two recipe texts (RecipeError if either is not a valid recipe)."""
    old = to_data(loads(old_text, old_display))
    new = to_data(loads(new_text, new_display))
    changes = diff_data(old, new)
    if not changes and old_text != new_text:
        changes.append(
            Change(
                "bytes",
                "changed",
                "recipe.json",
                "same content, different bytes (not chef's canonical form: "
                "regenerate it with `chef prepare`); the cache still misses",
            )
        )
    return changes


def diff_data(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[Change]:
    out: List[Change] = []
    for key in ("format", "manager"):
        if old.get(key) != new.get(key):
            out.append(Change(key, "changed", key, f"{old.get(key)} -> {new.get(key)}",
                              old.get(key), new.get(key)))
    out += _locked(old.get("locked"), new.get("locked"))
    out += _edges("requirements", old.get("roots") or [], new.get("roots") or [])
    out += _edges("constraints", old.get("constraints") or [], new.get("constraints") or [])
    old_sel, new_sel = old.get("selection") or {}, new.get("selection") or {}
    for kind, label in (("extras", "extra"), ("groups", "group"), ("packages", "package")):
        out += _set_changes("selection", label, old_sel.get(kind) or [], new_sel.get(kind) or [])
    out += _index(old.get("index") or {}, new.get("index") or {})
    if old.get("requires_python") != new.get("requires_python"):
        out.append(Change(
            "requires-python", "changed", "requires-python",
            f"{old.get('requires_python') or 'any'} -> {new.get('requires_python') or 'any'}",
            old.get("requires_python"), new.get("requires_python"),
        ))
    out += _locals(old.get("local_packages") or [], new.get("local_packages") or [])
    out += _edges("build-constraints", old.get("build_constraints") or [],
                  new.get("build_constraints") or [])
    out += _set_changes("layers", "from an earlier layer:", old.get("earlier_layers") or [],
                        new.get("earlier_layers") or [])
    return out


# ---------------------------------------------------------------- pieces


def edge_text(edge: Mapping[str, Any]) -> str:
    """An edge as a requirement-like line: name[extras]specifier @ url; marker (-> key)."""
    text = str(edge.get("name", "?"))
    if edge.get("extras"):
        text += "[" + ",".join(edge["extras"]) + "]"
    if edge.get("url"):
        text += " @ " + str(edge["url"])
    else:
        text += str(edge.get("specifier", ""))
    if edge.get("marker"):
        text += "; " + str(edge["marker"])
    if edge.get("key") and edge.get("key") != edge.get("name"):
        text += f" (-> {edge['key']})"
    return text


def _set_changes(area: str, label: str, old: Sequence[str], new: Sequence[str]) -> List[Change]:
    out = [Change(area, "added", f"{label} {n}", new=n) for n in sorted(set(new) - set(old))]
    out += [Change(area, "removed", f"{label} {n}", old=n) for n in sorted(set(old) - set(new))]
    return out


def _by_name(edges: Sequence[Mapping[str, Any]]) -> Dict[str, List[Mapping[str, Any]]]:
    out: Dict[str, List[Mapping[str, Any]]] = {}
    for edge in edges:
        out.setdefault(str(edge.get("name")), []).append(edge)
    return out


def _edge_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[str]:
    details = []
    for field, label in (
        ("specifier", "specifier"),
        ("extras", "extras"),
        ("marker", "marker"),
        ("url", "url"),
        ("key", "locked version"),
    ):
        a, b = old.get(field), new.get(field)
        if a != b:
            details.append(f"{label} {_plain(a)} -> {_plain(b)}")
    if old.get("hashes") != new.get("hashes"):
        details.append(_hash_detail(old.get("hashes") or [], new.get("hashes") or []))
    for field in sorted(set(old) | set(new)):
        if field not in ("name", "specifier", "extras", "marker", "url", "key", "hashes") and (
            old.get(field) != new.get(field)
        ):
            details.append(f"{field} {old.get(field)} -> {new.get(field)}")
    return details


def _hash_detail(old: Sequence[str], new: Sequence[str]) -> str:
    added = len(set(new) - set(old))
    removed = len(set(old) - set(new))
    return f"hashes changed ({added} added, {removed} removed)"


def _wheels_detail(old: Optional[Sequence[str]], new: Optional[Sequence[str]]) -> str:
    """The recorded wheel tags (recipe `wheels`; absent: a pure-Python wheel, or no file list)."""
    if old is None or new is None:
        return "wheel tags " + ("no longer recorded" if new is None else "now recorded")
    added = len(set(new) - set(old))
    removed = len(set(old) - set(new))
    return f"wheel tags changed ({added} added, {removed} removed)"


def _edges(
    area: str, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], owner: str = ""
) -> List[Change]:
    """Edges compared by name; a name with one edge on each side is one "changed"."""
    out: List[Change] = []
    prefix = f"{owner}: " if owner else ""
    old_by, new_by = _by_name(old), _by_name(new)
    for name in sorted(set(old_by) | set(new_by)):
        a = [e for e in old_by.get(name, []) if e not in new_by.get(name, [])]
        b = [e for e in new_by.get(name, []) if e not in old_by.get(name, [])]
        if len(a) == 1 and len(b) == 1:
            out.append(Change(area, "changed", prefix + name,
                              "; ".join(_edge_fields(a[0], b[0])), dict(a[0]), dict(b[0])))
            continue
        out += [Change(area, "added", prefix + edge_text(e), new=dict(e)) for e in b]
        out += [Change(area, "removed", prefix + edge_text(e), old=dict(e)) for e in a]
    return out


def _source_text(source: Optional[Mapping[str, Any]]) -> str:
    if not source:
        return "?"
    kind = str(source.get("kind"))
    if source.get("url"):
        return f"{kind} {source['url']}"
    return "default index" if kind == "registry" else kind


def _locked(
    old: Optional[Sequence[Mapping[str, Any]]], new: Optional[Sequence[Mapping[str, Any]]]
) -> List[Change]:
    if old is None and new is None:
        return []
    if old is None or new is None:
        now = "locked" if new is not None else "unlocked (the installer resolves)"
        return [Change("packages", "changed", "lock", f"the recipe is now {now}",
                       old is not None, new is not None)]
    out: List[Change] = []
    for a, b in sorted(_locked_pairs(old, new),
                       key=lambda ab: str((ab[0] or ab[1] or {}).get("key"))):
        if a is None and b is not None:
            out.append(Change("packages", "added", f"{b['name']} {b['version']}",
                              f"from {_source_text(b.get('source'))}", new=dict(b)))
        elif b is None and a is not None:
            out.append(Change("packages", "removed", f"{a['name']} {a['version']}", old=dict(a)))
        elif a is not None and b is not None:
            out.append(Change("packages", "changed", str(b.get("name")),
                              "; ".join(_package_details(a, b)), dict(a), dict(b)))
    return out


_Pair = Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]


def _locked_pairs(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> List[_Pair]:
    """The locked packages that differ, as (old, new) pairs (None on the side that lacks one),
    unsorted: pairs by key, then the leftovers paired by name."""
    old_by = {str(p["key"]): p for p in old}
    new_by = {str(p["key"]): p for p in new}
    pairs: List[_Pair] = []
    gone = [k for k in old_by if k not in new_by]
    came = [k for k in new_by if k not in old_by]
    # A key can change without the package changing identity (name -> name==version when a
    # second version appears): pair leftovers by name when there is one of each.
    gone_by_name: Dict[str, List[str]] = {}
    came_by_name: Dict[str, List[str]] = {}
    for k in gone:
        gone_by_name.setdefault(str(old_by[k]["name"]), []).append(k)
    for k in came:
        came_by_name.setdefault(str(new_by[k]["name"]), []).append(k)
    for name in sorted(set(gone_by_name) | set(came_by_name)):
        was, later = gone_by_name.get(name, []), came_by_name.get(name, [])
        if len(was) == 1 and len(later) == 1:
            pairs.append((old_by[was[0]], new_by[later[0]]))
        else:
            pairs += [(old_by[k], None) for k in was] + [(None, new_by[k]) for k in later]
    pairs += [(old_by[k], new_by[k]) for k in old_by if k in new_by and old_by[k] != new_by[k]]
    return pairs


def _package_details(a: Mapping[str, Any], b: Mapping[str, Any]) -> List[str]:
    """What changed in one locked package: version, source, files, then its edges."""
    details = []
    if a.get("version") != b.get("version"):
        details.append(f"version {a.get('version')} -> {b.get('version')}")
    if a.get("source") != b.get("source"):
        details.append(
            f"source {_source_text(a.get('source'))} -> {_source_text(b.get('source'))}"
        )
    if a.get("hashes") != b.get("hashes"):
        details.append(_hash_detail(a.get("hashes") or [], b.get("hashes") or []))
    if a.get("wheels") != b.get("wheels"):
        details.append(_wheels_detail(a.get("wheels"), b.get("wheels")))
    for change in _edges("packages", a.get("dependencies") or [], b.get("dependencies") or []):
        details.append(f"dependency {_change_text(change)}")
    details += _extras_details(a.get("extras") or {}, b.get("extras") or {})
    if a.get("key") != b.get("key") and not details:
        details.append(f"key {a.get('key')} -> {b.get('key')}")
    return details


def _extras_details(old_x: Mapping[str, Any], new_x: Mapping[str, Any]) -> List[str]:
    """A locked package's extras: which appeared, which went, and their edges' changes."""
    details = []
    for extra in sorted(set(old_x) | set(new_x)):
        if extra not in old_x:
            details.append(f"extra {extra} now selected")
        elif extra not in new_x:
            details.append(f"extra {extra} no longer selected")
        else:
            for change in _edges("packages", old_x[extra], new_x[extra]):
                details.append(f"extra {extra} dependency {_change_text(change)}")
    return details


def _index(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[Change]:
    out: List[Change] = []
    if old.get("index_url") != new.get("index_url"):
        out.append(Change(
            "index", "changed", "index-url",
            f"{old.get('index_url') or 'installer default'} -> "
            f"{new.get('index_url') or 'installer default'}",
            old.get("index_url"), new.get("index_url"),
        ))
    for field, label in (("extra_index_urls", "extra-index-url"), ("find_links", "find-links")):
        out += _set_changes("index", label, old.get(field) or [], new.get(field) or [])
    for field, label in (("no_index", "no-index"), ("pre", "pre-releases")):
        if bool(old.get(field)) != bool(new.get(field)):
            out.append(Change("index", "changed", label,
                              f"{bool(old.get(field))} -> {bool(new.get(field))}",
                              old.get(field), new.get(field)))
    return out


def _locals(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> List[Change]:
    out: List[Change] = []
    old_by = {str(p["name"]): p for p in old}
    new_by = {str(p["name"]): p for p in new}
    out += _set_changes("build-requires", "build requirement", _build(old), _build(new))
    for name in sorted(set(old_by) | set(new_by)):
        a, b = old_by.get(name), new_by.get(name)
        if a is None and b is not None:
            out.append(Change("local-packages", "added", name, f"at {b.get('path')}", new=dict(b)))
        elif b is None and a is not None:
            out.append(Change("local-packages", "removed", name, f"at {a.get('path')}",
                              old=dict(a)))
        elif a is not None and b is not None and a != b:
            details = []
            for field in sorted(set(a) | set(b)):
                if field in ("name", "build_requires", "build_requires_env"):
                    continue
                if a.get(field) != b.get(field):
                    details.append(f"{field} {_plain(a.get(field))} -> {_plain(b.get(field))}")
            if a.get("build_requires") != b.get("build_requires") or a.get(
                "build_requires_env"
            ) != b.get("build_requires_env"):
                details.append("build requirements changed")
            out.append(Change("local-packages", "changed", name, "; ".join(details),
                              dict(a), dict(b)))
    return out


def _build(packages: Sequence[Mapping[str, Any]]) -> List[str]:
    """Every build requirement, those switched on by a variable as "req (when VAR)"."""
    out = set()
    for p in packages:
        if not p.get("installable"):
            continue
        out.update(p["build_requires"])
        for variable, requirements in (p.get("build_requires_env") or {}).items():
            out.update(f"{r} (when {variable})" for r in requirements)
    return sorted(out)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return "none" if value is None or value == "" else str(value)


def _change_text(change: Change) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[change.change]
    return f"{sign}{change.name}" + (f" ({change.detail})" if change.detail else "")


# ---------------------------------------------------------------- rendering


def render_text(changes: Sequence[Change], old: str, new: str) -> str:
    if not changes:
        return f"{old} and {new} are identical: the cache hits\n"
    count = len(changes)
    lines = [f"{old} -> {new}: {count} difference{'s' if count != 1 else ''} (the cache misses)"]
    for area in AREAS:
        mine = [c for c in changes if c.area == area]
        if not mine:
            continue
        lines.append(f"{area}:")
        for c in mine:
            lines.append("  " + _change_text(c))
    return "\n".join(lines) + "\n"


def render_json(changes: Sequence[Change], old: str, new: str) -> str:
    data = {
        "old": old,
        "new": new,
        "identical": not changes,
        "changes": [c.to_json() for c in changes],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
