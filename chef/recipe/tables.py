"""The recipe's shape, described once: one section per table (top level, selection, index, local
package, locked package, source, edge), each with

- `_parse_X`: the JSON object to the model, keys and types read by the typed getters;
- `_check_X`: the rules its values must meet, run on the model: by `_parse_X` on what a recipe
  file holds, and by `check_cookable` on what prepare is about to write (so prepare never writes
  a recipe cook refuses);
- `_dump_X`: the model back to JSON, next to the parser that reads it: the tables a recipe
  repeats (locked package, source, edge) as canonical JSON text, keys in sorted order, each
  distinct edge once; the others as data for chef.jsonout. `to_data` is that text decoded.

A new field is one edit of its table's three functions, plus its test. Markers, specifiers and
versions are parsed with packaging on load only (`_parse_X`): in prepare they were parsed by
packaging on the way in. Hand-written text, not a loop over a field table or dicts for the sorting
encoder: the text of a 1500-package recipe takes ~5 ms instead of ~9 (docs/performance.md).
"""

from __future__ import annotations

from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, Dict, List, Sequence, Tuple

from chef.errors import InputError, RecipeError
from chef.jsonout import dumps as canonical_dumps
from chef.jsonout import encode_string as _string
from chef.model import Dep, IndexConfig, LocalPackage, LockedPackage, Source
from chef.model import Recipe as Recipe  # re-exported: chef.recipe's Recipe
from chef.pep508 import marker_variables
from chef.recipe import values as v
from chef.recipe.values import Invalid, at, each, fields, get, get_list, get_object, get_objects

FORMAT = 1


def _packaging_parses(what: str, text: str) -> str:
    """`text` parses as packaging's marker, specifier or version (`what`): on load only
    (prepare's values were parsed on the way in), so packaging is imported here."""
    from packaging.markers import InvalidMarker, Marker
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    parse = {"marker": Marker, "specifier": SpecifierSet, "version": Version}[what]
    try:
        parse(text)
    except (InvalidMarker, InvalidSpecifier, InvalidVersion, RecursionError):
        raise Invalid(f"invalid {what} {text!r}") from None
    return text


_marker_parses = partial(_packaging_parses, "marker")
_specifier_parses = partial(_packaging_parses, "specifier")
_version_parses = partial(_packaging_parses, "version")


# ---------------------------------------------------------------- an edge (Dep)

_DEP_KEYS = ("specifier", "extras", "marker", "url", "key", "hashes", "groups", "marker_extra")


def _parse_dep(value: Any) -> Dep:
    d = fields(value, ("name",), _DEP_KEYS)
    dep = Dep(
        name=get(d, "name", str),
        specifier=get(d, "specifier", str, ""),
        extras=get_list(d, "extras", str),
        marker=get(d, "marker", str, None, nullable=True),
        url=get(d, "url", str, None),
        key=get(d, "key", str, None, nullable=True),
        hashes=get_list(d, "hashes", str),
        groups=get_list(d, "groups", str),
        marker_extra=get(d, "marker_extra", str, None),
    )
    _check_dep(dep)
    at("specifier", _specifier_parses, dep.specifier)
    if dep.marker is not None:
        at("marker", _marker_parses, dep.marker)
    return dep


# An edge's values and their validators, in the order they are checked (values.Rule): the
# value-by-value check reads them, and so does check_cookable's bulk check.
_DEP_RULES: Tuple[v.Rule, ...] = (
    ("name", v.name, v.ONE), ("key", v.key, v.ONE), ("marker", v.safe_marker, v.ONE),
    ("specifier", v.safe_specifier, v.ONE), ("url", v.url, v.ONE),
    ("marker_extra", v.name, v.ONE), ("extras", v.name, v.EACH), ("hashes", v.hash_, v.EACH),
    ("groups", v.name, v.EACH),
)


def _check_dep(dep: Dep) -> None:
    v.check_fields(dep, _DEP_RULES)


def _dump_dep(dep: Dep) -> str:
    """The edge as compact canonical JSON, keys in sorted order (one test per field)."""
    out = []
    if dep.extras:
        out.append('"extras": ' + _strings(dep.extras))
    if dep.groups:
        out.append('"groups": ' + _strings(dep.groups))
    if dep.hashes:
        out.append('"hashes": ' + _strings(dep.hashes))
    if dep.key and dep.key != dep.name:
        out.append('"key": ' + _string(dep.key))
    if dep.marker:
        out.append('"marker": ' + _string(dep.marker))
    if dep.marker_extra:
        out.append('"marker_extra": ' + _string(dep.marker_extra))
    out.append('"name": ' + _string(dep.name))
    if dep.specifier:
        out.append('"specifier": ' + _string(dep.specifier))
    if dep.url:
        out.append('"url": ' + _string(dep.url))
    return "{" + ", ".join(out) + "}"


def _strings(items: Sequence[str]) -> str:
    return "[" + ", ".join([_string(s) for s in items]) + "]" if items else "[]"


class _Edges:
    """`_dump_dep` of each distinct Dep object once per recipe, by identity: the readers share
    one Dep between the packages that hold the same edge, and the recipe holds every Dep while
    this lives (so no id is reused)."""

    def __init__(self) -> None:
        self.texts: Dict[int, str] = {}

    def each(self, deps: Sequence[Dep]) -> List[str]:
        texts = self.texts
        out = []
        for dep in sorted(deps):
            text = texts.get(id(dep))
            if text is None:
                text = texts[id(dep)] = _dump_dep(dep)
            out.append(text)
        return out

    def list(self, deps: Sequence[Dep]) -> str:
        return "[" + ", ".join(self.each(deps)) + "]" if deps else "[]"


def _parse_deps(value: Any) -> Tuple[Dep, ...]:
    return tuple(v.objects(value, _parse_dep))


def _check_deps(where: str, deps: Tuple[Dep, ...] | List[Dep]) -> None:
    i = 0
    try:
        for i, dep in enumerate(deps):  # noqa: B007 (i names the item in the error)
            _check_dep(dep)
    except Invalid as exc:
        raise exc.under(f"{where}[{i}]") from None


def _parse_dep_map(value: Any) -> Tuple[Tuple[str, Tuple[Dep, ...]], ...]:
    """`{extra: [edge, ...]}`, sorted by extra."""
    table: Dict[str, Any] = v.typed(value, dict)
    out = []
    for extra in sorted(table):
        at(extra, v.name, extra)
        out.append((extra, get_object(table, extra, _parse_deps)))
    return tuple(out)


def _dump_dep_map(items: Tuple[Tuple[str, Tuple[Dep, ...]], ...], edges: _Edges) -> str:
    if not items:
        return "{}"
    table = dict(items)  # a repeated name keeps its last list, as a JSON object would
    return "{" + ", ".join(
        [_string(extra) + ": " + edges.list(table[extra]) for extra in sorted(table)]
    ) + "}"


# ---------------------------------------------------------------- a build constraint


def _parse_build_constraint(value: Any) -> Dep:
    dep = _parse_dep(value)
    _check_build_constraint(dep)
    return dep


def _check_build_constraint(dep: Dep) -> None:
    if dep.key or dep.hashes or dep.groups or dep.marker_extra or dep.extras:
        raise Invalid("a build constraint is a name, a specifier or URL, and a marker")


# ---------------------------------------------------------------- index

_INDEX_KEYS = ("index_url", "extra_index_urls", "find_links", "no_index", "pre")


def _parse_index(value: Any) -> IndexConfig:
    d = fields(value, _INDEX_KEYS)
    index = IndexConfig(
        index_url=get(d, "index_url", str, nullable=True),
        extra_index_urls=get_list(d, "extra_index_urls", str),
        find_links=get_list(d, "find_links", str),
        no_index=get(d, "no_index", bool),
        pre=get(d, "pre", bool),
    )
    _check_index(index)
    return index


def _check_index(index: IndexConfig) -> None:
    if index.index_url is not None:
        at("index_url", v.url, index.index_url)
    each("extra_index_urls", v.url, index.extra_index_urls)
    each("find_links", v.location, index.find_links)


def _dump_index(index: IndexConfig) -> Dict[str, object]:
    return {
        "index_url": index.index_url,
        "extra_index_urls": list(index.extra_index_urls),
        "find_links": list(index.find_links),
        "no_index": index.no_index,
        "pre": index.pre,
    }


# ---------------------------------------------------------------- a local package

_LOCAL_KEYS = ("name", "path", "build_requires", "installable", "requires")


def _parse_local(value: Any) -> LocalPackage:
    d = fields(value, _LOCAL_KEYS, ("build_requires_env",))
    package = LocalPackage(
        name=get(d, "name", str),
        path=get(d, "path", str),
        build_requires=get_list(d, "build_requires", str),
        installable=get(d, "installable", bool),
        requires=get_list(d, "requires", str),
        build_requires_env=get_object(d, "build_requires_env", _parse_switches)
        if "build_requires_env" in d else (),
    )
    _check_local(package)
    each("build_requires", _requirement, package.build_requires)
    return package


def _parse_switches(value: Any) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """Build requirements keyed by the environment variable that switches them on."""
    table: Dict[str, Any] = v.typed(value, dict)
    out = []
    for variable in sorted(table):
        at(variable, v.env_name, variable)
        requirements = get_list(table, variable, str)
        each(variable, _requirement, requirements)
        if requirements:
            out.append((variable, requirements))
    return tuple(out)


def _requirement(text: str) -> str:
    """A build requirement as a requirements line holds it (parsed on load only)."""
    from chef.errors import ChefError
    from chef.model import parse_requirement

    try:
        parse_requirement(text)
    except ChefError:
        raise Invalid(f"invalid requirement {text!r}") from None
    if text.lstrip().startswith("-") or v.breaks_a_line(text):
        raise Invalid(f"invalid requirement {text!r}")
    return text


def _check_local(package: LocalPackage) -> None:
    at("name", v.name, package.name)
    at("path", v.relpath, package.path)
    each("requires", v.name, package.requires)
    for variable, _ in package.build_requires_env:
        at(f"build_requires_env.{variable}", v.env_name, variable)


def _dump_local(package: LocalPackage) -> Dict[str, object]:
    out: Dict[str, object] = {
        "name": package.name,
        "path": package.path,
        "build_requires": sorted(package.build_requires),
        "installable": package.installable,
        "requires": sorted(package.requires),
    }
    if package.build_requires_env:  # omitted when empty: recipes without it keep their bytes
        out["build_requires_env"] = {k: sorted(r) for k, r in package.build_requires_env}
    return out


# ---------------------------------------------------------------- a locked package's source

_SOURCE_KINDS = ("registry", "git", "url")


def _parse_source(value: Any) -> Source:
    d = fields(value, ("kind",), ("url",))
    source = Source(get(d, "kind", str), get(d, "url", str, None, nullable=True))
    _check_source(source)
    return source


def _check_source(source: Source) -> None:
    if source.kind not in _SOURCE_KINDS:
        raise Invalid(f"unknown source kind {source.kind!r}", "kind")
    if source.url is not None:
        at("url", v.location if source.kind == "registry" else v.url, source.url)
    elif source.kind != "registry":
        raise Invalid(f"a {source.kind} source needs a url")


def _dump_source(source: Source) -> str:
    if source.url is None:
        return '{"kind": ' + _string(source.kind) + "}"
    return '{"kind": ' + _string(source.kind) + ', "url": ' + _string(source.url) + "}"


# ---------------------------------------------------------------- a locked package

_LOCKED_KEYS = ("key", "name", "version", "source", "hashes", "dependencies", "extras")


def _parse_locked(value: Any) -> LockedPackage:
    d = fields(value, _LOCKED_KEYS, ("wheels",))
    package = LockedPackage(
        name=get(d, "name", str),
        version=get(d, "version", str),
        source=get_object(d, "source", _parse_source),
        hashes=get_list(d, "hashes", str),
        dependencies=get_object(d, "dependencies", _parse_deps),
        extras=get_object(d, "extras", _parse_dep_map),
        key=get(d, "key", str),
        wheels=get_list(d, "wheels", str, None),
    )
    at("version", _version_parses, package.version)
    _check_locked(package, deep=False)
    return package


# A locked package's own values (its edges: _DEP_RULES), as _DEP_RULES.
_LOCKED_RULES: Tuple[v.Rule, ...] = (
    ("key", v.key, v.ONE), ("name", v.name, v.ONE), ("version", v.version_text, v.ONE),
    ("source", _check_source, v.TABLE), ("hashes", v.hash_, v.EACH),
    ("wheels", v.wheel_tag, v.EACH),
)


def _check_locked(package: LockedPackage, deep: bool = True) -> None:
    """`deep`: its edges too (the parser checked them as it read them)."""
    v.check_fields(package, _LOCKED_RULES)
    if deep:
        if package.dependencies:
            _check_deps("dependencies", package.dependencies)
        for extra, deps in package.extras:
            at(f"extras.{extra}", v.name, extra)
            _check_deps(f"extras.{extra}", deps)


def _locked_good(packages: List[LockedPackage]) -> bool:
    """True only when `_check_locked` passes on every package, by the same rules in bulk: each
    distinct value once (values.Bulk), each distinct Dep object once (readers share one between
    the packages holding the same edge). ~1.5 ms less of a 1500-package prepare."""
    bulk = v.Bulk()
    bulk.add(packages, _LOCKED_RULES)
    extras = list(chain.from_iterable(map(attrgetter("extras"), packages)))  # (name, edges)
    edges = list(chain(chain.from_iterable(map(attrgetter("dependencies"), packages)),
                       chain.from_iterable(map(itemgetter(1), extras))))
    bulk.add(list(dict(zip(map(id, edges), edges)).values()), _DEP_RULES)
    bulk.add_values(v.name, set(map(itemgetter(0), extras)))
    return bulk.good()


def _dump_locked(package: LockedPackage, edges: _Edges) -> str:
    """One line of the recipe: the package as compact canonical JSON, keys in sorted order."""
    wheels = package.wheels
    return "".join((  # one join: `+` would copy the growing line ~15 times
        '{"dependencies": ', edges.list(package.dependencies),
        ', "extras": ', _dump_dep_map(package.extras, edges),
        ', "hashes": ', _strings(sorted(package.hashes)),
        ', "key": ', _string(package.key),
        ', "name": ', _string(package.name),
        ', "source": ', _dump_source(package.source),
        ', "version": ', _string(package.version),
        # omitted for pure-Python packages: their lines keep their bytes
        "}" if wheels is None else ', "wheels": ' + _strings(wheels) + "}",
    ))


# ---------------------------------------------------------------- top level

_TOP_KEYS = ("format", "manager", "selection", "requires_python", "index", "local_packages",
             "roots", "constraints", "locked")
_TOP_OPTIONAL = ("build_constraints", "earlier_layers")
_SELECTION_KEYS = ("extras", "groups", "packages")


def _parse_top(value: Any) -> Recipe:
    d = fields(value, _TOP_KEYS, _TOP_OPTIONAL)
    extras, groups, packages = get_object(d, "selection", _parse_selection)
    locked_items = get_objects(d, "locked", _parse_locked) if d["locked"] is not None else None
    recipe = Recipe(
        manager=get(d, "manager", str),
        extras=extras,
        groups=groups,
        packages=packages,
        requires_python=get(d, "requires_python", str, nullable=True),
        index=get_object(d, "index", _parse_index),
        local_packages={p.name: p for p in get_objects(d, "local_packages", _parse_local)},
        roots=list(get_object(d, "roots", _parse_deps)),
        constraints=list(get_object(d, "constraints", _parse_deps)),
        locked=None if locked_items is None else {p.key: p for p in locked_items},
        build_constraints=get_objects(d, "build_constraints", _parse_build_constraint)
        if "build_constraints" in d else [],
        earlier=get_list(d, "earlier_layers", str),
    )
    if recipe.requires_python is not None:
        at("requires_python", _specifier_parses, recipe.requires_python)
    _check_top(recipe, deep=False)
    _check_references(recipe)
    return recipe


def _parse_selection(value: Any) -> Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]:
    d = fields(value, _SELECTION_KEYS)
    return get_list(d, "extras", str), get_list(d, "groups", str), get_list(d, "packages", str)


def _check_top(recipe: Recipe, deep: bool = True) -> None:
    """`deep`: every table under it too (the parser checked them as it read them)."""
    at("manager", v.manager, recipe.manager)
    each("selection.extras", v.name, recipe.extras)
    each("selection.groups", v.name, recipe.groups)
    each("selection.packages", v.name, recipe.packages)
    if not deep:
        return
    try:
        _check_index(recipe.index)
    except Invalid as exc:
        raise exc.under("index") from None
    for name, package in recipe.local_packages.items():
        try:
            _check_local(package)
        except Invalid as exc:
            raise exc.under(f"local_packages.{name}") from None
    _check_deps("roots", recipe.roots)
    _check_deps("constraints", recipe.constraints)
    for i, dep in enumerate(recipe.build_constraints):
        try:
            _check_dep(dep)
            _check_build_constraint(dep)
        except Invalid as exc:
            raise exc.under(f"build_constraints[{i}]") from None
    if _locked_good(list((recipe.locked or {}).values())):
        return  # else: the first bad value, named by the value-by-value checks
    for key, locked in (recipe.locked or {}).items():
        try:
            _check_locked(locked)
        except Invalid as exc:
            raise exc.under(f"locked {key}") from None


def _check_references(recipe: Recipe) -> None:
    """Every edge lands on a locked package, and every earlier layer's key is locked: a recipe
    edited by hand (or cut short) is refused here as a bad recipe, not later as a lock that needs
    re-locking."""
    locked = recipe.locked
    if locked is not None:
        edges = [("roots", list(recipe.roots))] + [
            (f"locked {p.key}", list(p.dependencies) + [d for _, ds in p.extras for d in ds])
            for p in locked.values()
        ]
        for where, deps in edges:
            for dep in deps:
                if (dep.key or dep.name) not in locked:
                    raise Invalid(f"no locked package {dep.key or dep.name!r}", where)
    for key in recipe.earlier:
        if locked is None or key not in locked:
            raise Invalid(f"no locked package {key!r}", "earlier_layers")


def to_text(recipe: Recipe) -> str:
    """The recipe's canonical JSON text (chef.jsonout's layout), with its trailing newline."""
    edges = _Edges()
    lines: Dict[str, List[str]] = {  # one element per line: written here as text
        "roots": edges.each(recipe.roots),
        "constraints": edges.each(recipe.constraints),
    }
    data: Dict[str, Any] = {
        "format": FORMAT,
        "manager": recipe.manager,
        "selection": {
            "extras": list(recipe.extras),
            "groups": list(recipe.groups),
            "packages": list(recipe.packages),
        },
        "requires_python": recipe.requires_python,
        "index": _dump_index(recipe.index),
        "local_packages": [_dump_local(p) for p in
                           sorted(recipe.local_packages.values(), key=_by_name)],
        "locked": None,  # (the locked packages' lines, when there is a lock)
    }
    if recipe.locked is not None:
        lines["locked"] = [_dump_locked(p, edges)
                           for p in sorted(recipe.locked.values(), key=_by_key)]
    if recipe.build_constraints:  # omitted when empty, like build_requires_env
        lines["build_constraints"] = edges.each(recipe.build_constraints)
    if recipe.earlier:  # layer recipes only
        data["earlier_layers"] = sorted(recipe.earlier)
    return canonical_dumps(data, lines, end="\n")


def to_data(recipe: Recipe) -> Dict[str, Any]:
    """The recipe as JSON data: its text decoded (chef diff compares recipes as data)."""
    import json  # here: prepare writes JSON only, and never loads json.decoder

    data: Dict[str, Any] = json.loads(to_text(recipe))
    return data


def _by_key(package: LockedPackage) -> str:
    return package.key


def _by_name(package: LocalPackage) -> str:
    return package.name


# ---------------------------------------------------------------- entry points


def from_data(data: Any, display: str = "recipe.json") -> Recipe:
    """A recipe's JSON (already decoded), every value checked; RecipeError names the first that
    is wrong by its key path."""
    if not isinstance(data, dict):
        raise _recipe_error(display, Invalid("expected a JSON object"))
    version = data.get("format")
    if version != FORMAT:
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
            raise RecipeError(
                f"recipe format {version} is newer than this chef understands (format {FORMAT})",
                path=display,
                hint="use the same chef version for prepare and cook, or upgrade chef",
            )
        raise _recipe_error(display, Invalid(f"unknown recipe format {version!r}", "format"))
    try:
        return _parse_top(data)
    except Invalid as exc:
        raise _recipe_error(display, exc) from None


def _recipe_error(display: str, exc: Invalid) -> RecipeError:
    return RecipeError(
        f"invalid recipe: {exc.where or 'top level'}: {exc.message}",
        path=display,
        hint="regenerate it with `chef prepare`",
    )


def check_cookable(recipe: Recipe, display: str) -> None:
    """What `loads` would refuse in this recipe, refused now as bad input (InputError, naming
    the file): prepare must never write a recipe cook rejects. The same checks as loading, on
    the model; markers, specifiers and versions were already parsed by packaging on the way in.
    One more: a marker on PEP 751's lock-only variables, which no installer knows."""
    try:
        _check_top(recipe)
        _check_lock_only_markers(recipe)
    except Invalid as exc:
        raise InputError(f"{exc.where or 'the recipe'}: {exc.message}: it cannot reach an "
                         "installer", path=display, hint="fix or re-lock the file") from None


def _check_lock_only_markers(recipe: Recipe) -> None:
    markers = {d.marker for d in _edges(recipe)
               if d.marker and ("extras" in d.marker or "dependency_groups" in d.marker)}
    for marker in sorted(markers):
        if marker_variables(marker) & {"extras", "dependency_groups"}:
            raise Invalid(f"marker {marker!r} tests a lock-only variable")


def _edges(recipe: Recipe) -> List[Dep]:
    edges: List[Dep] = list(recipe.roots) + list(recipe.constraints)
    edges += recipe.build_constraints
    for package in (recipe.locked or {}).values():
        edges += package.dependencies
        for _, deps in package.extras:
            edges += deps
    return edges
