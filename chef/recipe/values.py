"""The recipe's values and how they are read: validators shared by loading and by prepare's
cookability check, and typed getters in the style of packaging's pylock.py.

A validator takes a value already of the right type and returns it, or raises `Invalid` with
what is wrong. The getters check the type, run the validator, and add the key to the error's
path on the way up, so that a message names the value: `locked[3].hashes[0]: invalid hash ...`.
"""

from __future__ import annotations

import re
from itertools import chain
from operator import attrgetter
from pathlib import PurePosixPath
from typing import Any, Callable, Collection, Dict, Iterable, List, Sequence, Set, Tuple, TypeVar

from chef.pep508 import canonical_name
from chef.urls import PLACEHOLDER, URL_SCHEMES

T = TypeVar("T")

_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")
_ALGORITHMS = "sha256|sha384|sha512|md5|sha1|sha224|blake2b"
_HASH = re.compile(rf"^({_ALGORITHMS}):[0-9a-fA-F]+$")
_KEY = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(==[A-Za-z0-9.+!_-]+(@[0-9]+)?)?$")
_URL_FORBIDDEN = set("\\\"'<>`")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")  # = chef.readers.build.ENV_NAME
_MAX_ENV_NAME = 200  # = chef.readers.build.MAX_ENV_NAME
# What could end, continue or comment out a requirements-file line, or start an option in it:
# control characters, a backslash, every other character `str.splitlines` breaks a line at (pip
# reads requirements files with it), or whitespace followed by `-` or `#`. (`\s` of a str
# pattern is `str.isspace`.) One regex: a per-character loop cost ~10 ms of a 1500-package
# prepare.
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x1f\s]")
# Values already found good, per process: a lock repeats its names, keys, markers and wheel tags
# on thousands of edges (prepare checks ~3,500 edges of a 1500-package lock, and cook reads them).
# Only good values are kept, so the sets hold what the recipe holds.
_GOOD_NAMES: Set[str] = set()
_GOOD_KEYS: Set[str] = set()
_GOOD_MARKERS: Set[str] = set()
_GOOD_TAGS: Set[str] = set()
_LINE_BREAKER = re.compile("[\x00-\x1f\x7f\\\\\x85\u2028\u2029]|\\s[-#]")


class Invalid(Exception):
    """A value the recipe must not hold: `message` says what is wrong, `where` is the key path
    from the object being read (empty: that object itself), filled in on the way up."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def under(self, key: str) -> Invalid:
        """The same error, seen from the object that holds `key` ("": itself)."""
        if not key:
            return self
        if not self.where:
            return Invalid(self.message, key)
        joint = "" if self.where.startswith("[") else "."
        return Invalid(self.message, f"{key}{joint}{self.where}")


# ---------------------------------------------------------------- validators


def breaks_a_line(text: str) -> bool:
    return _LINE_BREAKER.search(text) is not None


def relpath_ok(text: str) -> bool:
    """A path relative to the project: not absolute, no `..`, nothing a URL or option starts
    with."""
    if "://" in text or text.startswith(("file:", "${")):
        return False
    pure = PurePosixPath(text)
    return bool(text) and not (
        pure.is_absolute() or "\\" in text or ".." in pure.parts or text.startswith("-")
        or any(ord(c) < 32 for c in text) or (len(text) > 1 and text[1] == ":")
    )


def allowed_url(text: str) -> bool:
    """Starts with a scheme chef passes to installers (or a placeholder for one), and holds
    nothing that could end, continue or comment out a requirements line or start an option."""
    probe = PLACEHOLDER.sub("x", text)
    return (
        (text.startswith(URL_SCHEMES) or (text.startswith("${") and bool(probe)))
        and "${" not in probe
        and not any(c.isspace() or c in _URL_FORBIDDEN for c in probe)
        and not breaks_a_line(probe)
    )


def name(text: str) -> str:
    """A package, extra or group name, normalized (PEP 503)."""
    if text in _GOOD_NAMES:
        return text
    if not _NAME.fullmatch(text) or canonical_name(text) != text:
        raise Invalid(f"not a normalized package name: {text!r}")
    _GOOD_NAMES.add(text)
    return text


def manager(text: str) -> str:
    if not text or len(text) > 40 or not all(c.isascii() and (c.isalnum() or c in "-_")
                                             for c in text):
        raise Invalid(f"not a manager name: {text!r}")
    return text


def hash_(text: str) -> str:
    if not _HASH.fullmatch(text):
        raise Invalid(f"invalid hash {text!r}")
    return text


def key(text: str) -> str:
    """A locked package's key: its name, or `name==version` (`@n` for a fork of one version)."""
    if text in _GOOD_KEYS or text in _GOOD_NAMES:  # a good name is a good key
        return text
    if not _KEY.fullmatch(text):
        raise Invalid(f"invalid key {text!r}")
    _GOOD_KEYS.add(text)
    return text


def url(text: str) -> str:
    """A URL an installer may be given; `${NAME}` placeholders (cook expands them, and checks
    the result again) may stand for any part of it, the scheme included."""
    if not allowed_url(text):
        raise Invalid(f"not an allowed URL: {text!r}")
    return text


def relpath(text: str) -> str:
    if not relpath_ok(text):
        raise Invalid(f"path must be relative and inside the project: {text!r}")
    return text


def location(text: str) -> str:
    """A URL, or a relative path inside the project (find-links, flat registries)."""
    if "://" in text or text.startswith(("file:", "${")):
        return url(text)
    return relpath(text)


def env_name(text: str) -> str:
    """A build switch's variable: cook reads it from its environment, so it must be a name an
    environment holds."""
    if len(text) > _MAX_ENV_NAME or not _ENV_NAME.fullmatch(text):
        raise Invalid(f"not an environment variable name for a build switch: {text!r}")
    return text


def safe_marker(text: str) -> str:
    if text in _GOOD_MARKERS:
        return text
    if breaks_a_line(text):
        raise Invalid(f"unsafe marker {text!r}")
    _GOOD_MARKERS.add(text)
    return text


def safe_specifier(text: str) -> str:
    if not text:  # most edges of a lock: no regex call
        return text
    if breaks_a_line(text):
        raise Invalid(f"unsafe specifier {text!r}")
    return text


def version_text(text: str) -> str:
    if _SPACE_OR_CONTROL.search(text):
        raise Invalid(f"invalid version {text!r}")
    return text


def wheel_tag(text: str) -> str:
    if text in _GOOD_TAGS:
        return text
    from chef.readers.locks import WHEEL_TAG

    if not WHEEL_TAG.fullmatch(text):
        raise Invalid(f"not a wheel tag: {text!r}")
    _GOOD_TAGS.add(text)
    return text


# ---------------------------------------------------------------- checks on a built value


def at(key_: str, check: Callable[[str], str], value: str) -> None:
    """Run `check` on the value held at `key_`, the key added to its error."""
    try:
        check(value)
    except Invalid as exc:
        raise exc.under(key_) from None


def each(key_: str, check: Callable[[str], str], values: Collection[str]) -> None:
    """Run `check` on every item of the list at `key_`, `key_[i]` added to its error."""
    known = _KNOWN_GOOD.get(check)
    if known is not None and known.issuperset(values):  # in C: most lists of a lock repeat
        return
    i = 0
    try:
        for i, value in enumerate(values):  # noqa: B007 (i names the item in the error)
            check(value)
    except Invalid as exc:
        raise exc.under(f"{key_}[{i}]") from None


# Values each validator found good (`each` skips a list of them in one set operation).
_KNOWN_GOOD: Dict[Callable[[str], str], Set[str]] = {
    name: _GOOD_NAMES, key: _GOOD_KEYS, safe_marker: _GOOD_MARKERS, wheel_tag: _GOOD_TAGS}


# ---------------------------------------------------------------- a record's values by rules

# A rule: a field of a model record, its validator, and what the field holds: ONE value, EACH
# value of a list, or a TABLE (a record checked by the validator, its errors under the field). A
# None field holds nothing to check. tables.py lists each repeated table's fields once as rules;
# the value-by-value check and prepare's bulk check both read them.
ONE, EACH, TABLE = "one", "each", "table"
Rule = Tuple[str, Callable[[Any], Any], str]


def check_fields(record: object, rules: Sequence[Rule]) -> None:
    """Every rule on `record`, in order: Invalid names the field (and item) of the first bad
    value."""
    for field, check, holds in rules:
        value = getattr(record, field)
        if value is None:
            continue
        if holds is EACH:
            if value:
                each(field, check, value)
        else:
            try:
                check(value)
            except Invalid as exc:
                raise exc.under(field) from None


class Bulk:
    """The values of many records, gathered by validator and checked once each: a lock repeats
    its names, keys, markers and wheel tags, and its hashes and versions are checked on their
    joined text. `good()` answers True only when `check_fields` would pass on every record
    added; False sends the caller to `check_fields`, which names the first bad value."""

    def __init__(self) -> None:
        # names first: a good name is a good key (`key` looks in _GOOD_NAMES)
        self.values: Dict[Callable[[Any], Any], Set[Any]] = {name: set()}
        self.tables: Dict[Callable[[Any], Any], Dict[int, object]] = {}
        self.unhashable = False  # a value no set holds (not a string): not good

    def add(self, records: Sequence[object], rules: Sequence[Rule]) -> None:
        # map/filter/chain over attrgetter: the loops run in C (a comprehension calling getattr
        # took ~40% longer over a 1500-package recipe)
        for field, check, holds in rules:
            got = map(attrgetter(field), records)
            if holds is TABLE:  # few distinct (a lock's registry sources are shared): by id
                tables = [t for t in got if t is not None]
                self.tables.setdefault(check, {}).update(zip(map(id, tables), tables))
            elif holds is EACH:
                self.add_values(check, chain.from_iterable(filter(None, got)))
            else:
                self.add_values(check, got)

    def add_values(self, check: Callable[[str], str], values: Iterable[Any]) -> None:
        try:
            self.values.setdefault(check, set()).update(values)
        except TypeError:
            self.unhashable = True

    def good(self) -> bool:
        if self.unhashable:
            return False
        try:
            for check, values in self.values.items():
                values.discard(None)
                joined = _JOINED.get(check)
                if joined is not None:
                    if not joined(values):
                        return False
                else:
                    each("", check, values)
            for check, tables in self.tables.items():
                for table in tables.values():
                    check(table)
        except (Invalid, TypeError, AttributeError):  # bad, or not even a string
            return False
        return True


_HASHES = re.compile(rf"(?:(?:{_ALGORITHMS}):[0-9a-fA-F]+ )*(?:{_ALGORITHMS}):[0-9a-fA-F]+")


def _hashes_good(hashes: Collection[str]) -> bool:
    """`hash_` passes on each of `hashes`: one match of their space-joined text (when no hash
    holds a space, so that the text splits back into exactly the values)."""
    if not hashes:
        return True
    joined = " ".join(hashes)
    return joined.count(" ") == len(hashes) - 1 and _HASHES.fullmatch(joined) is not None


def _versions_good(versions: Collection[str]) -> bool:
    """`version_text` passes on each of `versions`: a forbidden character in any of them is one
    in their concatenation."""
    return _SPACE_OR_CONTROL.search("".join(versions)) is None


# Validators checked on the joined text of all their values (Bulk.good).
_JOINED: Dict[Callable[[Any], Any], Callable[[Collection[str]], bool]] = {
    hash_: _hashes_good, version_text: _versions_good}


# ---------------------------------------------------------------- typed getters on JSON

_MISSING: Any = object()


def typed(value: Any, kind: type) -> Any:
    if kind is str and isinstance(value, str):
        return value
    if kind is not str and isinstance(value, kind) and not (kind is int
                                                            and isinstance(value, bool)):
        return value
    raise Invalid(f"expected {kind.__name__}, got {type(value).__name__}")


def fields(value: Any, required: Tuple[str, ...], optional: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """A JSON object holding every required key and no key beyond the optional ones."""
    table: Dict[str, Any] = typed(value, dict)
    unknown = set(table) - set(required) - set(optional)
    if unknown:
        raise Invalid(f"unknown field(s) {', '.join(sorted(unknown))}")
    missing = set(required) - set(table)
    if missing:
        raise Invalid(f"missing field(s) {', '.join(sorted(missing))}")
    return table


def get(d: Dict[str, Any], key_: str, kind: type, default: Any = _MISSING,
        nullable: bool = False) -> Any:
    """`d[key_]` of type `kind`; `default` when the key is absent (required keys were checked
    by `fields`), None when `nullable` and the value is null."""
    value = d.get(key_, _MISSING)
    if value is _MISSING:
        return default
    if value is None and nullable:
        return None
    try:
        return typed(value, kind)
    except Invalid as exc:
        raise exc.under(key_) from None


def get_list(d: Dict[str, Any], key_: str, kind: type, default: Any = ()) -> Tuple[Any, ...]:
    """`d[key_]`, a list whose items are all of type `kind`, as a tuple."""
    items = get(d, key_, list, _MISSING)
    if items is _MISSING:
        return default  # type: ignore[no-any-return]
    for i, item in enumerate(items):
        try:
            typed(item, kind)
        except Invalid as exc:
            raise exc.under(f"{key_}[{i}]") from None
    return tuple(items)


def get_object(d: Dict[str, Any], key_: str, parse: Callable[[Any], T]) -> T:
    """`parse` of the object at `key_`, its errors placed under `key_`."""
    try:
        return parse(d[key_])
    except Invalid as exc:
        raise exc.under(key_) from None


def objects(value: Any, parse: Callable[[Any], T]) -> List[T]:
    """`parse` of every item of a JSON list, its errors placed under `[i]`."""
    items = typed(value, list)
    out: List[T] = []
    for i, item in enumerate(items):
        try:
            out.append(parse(item))
        except Invalid as exc:
            raise exc.under(f"[{i}]") from None
    return out


def get_objects(d: Dict[str, Any], key_: str, parse: Callable[[Any], T]) -> List[T]:
    """`parse` of every item of the list at `key_`, its errors placed under `key_[i]`."""
    return get_object(d, key_, lambda value: objects(value, parse))
