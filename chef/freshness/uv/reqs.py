"""A requirement as uv records it in uv.lock, reduced to what `uv lock --check` compares, and how
chef reads one from the lock (`[package.metadata]`, `[manifest]`)."""

from __future__ import annotations

import posixpath
import re
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from packaging.specifiers import InvalidSpecifier

from chef.errors import InputError
from chef.freshness.common import as_list, canon
from chef.pep508 import normalize_marker, normalize_specifier
from chef.urls import normalize_index_url, strip_credentials

# How uv.lock records a local requirement's source: the key names the install mode.
LOCAL_MODES = ("editable", "directory", "virtual", "path")
_LOCAL_TEXT = {"editable": "editable", "directory": "directory", "virtual": "virtual",
               "path": "file"}


class Source:
    """Where a requirement comes from: `kind` "" (the default index), "index" (`location`: its
    URL), "git" (`location`: the repository, `ref`: the reference), "url" (`location`) or
    "local" (`location`: the path relative to the workspace root). Frozen. A plain class with
    slots: a dataclass costs its creation on every uv prepare."""

    __slots__ = ("kind", "location", "ref")
    kind: str
    location: str
    ref: str

    def __init__(self, kind: str = "", location: str = "", ref: str = "") -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "location", location)
        object.__setattr__(self, "ref", ref)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Source is frozen: cannot set {name}")

    def _key(self) -> Tuple[str, str, str]:
        return (self.kind, self.location, self.ref)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Source({self.kind!r}, {self.location!r}, {self.ref!r})"

    @property
    def is_index(self) -> bool:
        """The default index or a named one: the only sources whose requirement has a
        specifier."""
        return self.kind in ("", "index")

    def show(self, with_source: bool) -> str:
        """How a message names it: " (git repo@ref)" and so on; "" for the default index unless
        `with_source`."""
        if self.kind == "git":
            ref = f"@{self.ref}" if self.ref else ""
            return f" (git {self.location}{ref})"
        if self.kind in ("url", "index"):
            return f" ({'index ' if self.kind == 'index' else ''}{self.location})"
        if self.kind == "":
            return " (no source)" if with_source else ""
        return ""


DEFAULT_INDEX = Source()


class Req:
    """A requirement as uv records it, reduced to what uv compares. Frozen, equal by value; a
    plain class with slots, as Source (as a @dataclass it cost 0.6 ms of every uv prepare)."""

    __slots__ = ("name", "extras", "specifier", "source", "mode", "marker", "doubt", "extra",
                 "base")
    name: str
    extras: Tuple[str, ...]
    specifier: str  # normalized; "" for every source but an index
    source: Source
    mode: str  # a local source's install mode (editable, directory, virtual, path); "" otherwise
    marker: Optional[str]
    doubt: str  # why chef cannot be sure uv records it this way ("" when it can)
    # From `[project.optional-dependencies]`: the extra, and the marker before `extra == ...`
    # was added (what flattening a self-reference needs).
    extra: Optional[str]
    base: Optional[str]

    def __init__(self, name: str, extras: Tuple[str, ...], specifier: str, source: Source,
                 mode: str, marker: Optional[str], doubt: str = "", extra: Optional[str] = None,
                 base: Optional[str] = None) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "name", name)
        setattr_(self, "extras", extras)
        setattr_(self, "specifier", specifier)
        setattr_(self, "source", source)
        setattr_(self, "mode", mode)
        setattr_(self, "marker", marker)
        setattr_(self, "doubt", doubt)
        setattr_(self, "extra", extra)
        setattr_(self, "base", base)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Req is frozen: cannot set {name}")

    def _key(self) -> Tuple[Any, ...]:
        return (self.name, self.extras, self.specifier, self.source, self.mode, self.marker,
                self.doubt, self.extra, self.base)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Req) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Req{self._key()!r}"

    def fast_key(self) -> Tuple[Any, ...]:
        return (self.name, self.extras, self.specifier, self.source, self.mode,
                uv_spelling(self.marker))

    def show(self, with_source: bool = False) -> str:
        text = self.name + (f"[{','.join(self.extras)}]" if self.extras else "") + self.specifier
        if self.marker:
            text += f"; {self.marker}"
        if self.source.kind == "local":
            text += f" ({_LOCAL_TEXT.get(self.mode, self.mode)} {self.source.location})"
        return text + self.source.show(with_source)

    def with_marker(self, marker: Optional[str]) -> Req:
        """The requirement under another marker, no longer tied to the extra it came from (a
        flattened self-reference)."""
        return Req(self.name, self.extras, self.specifier, self.source, self.mode, marker,
                   self.doubt)

    def as_constraint(self) -> Req:
        """Without extras, as uv compares constraints (and self-references it keeps)."""
        return Req(self.name, (), self.specifier, self.source, self.mode, self.marker,
                   self.doubt)


_PY_VERSION_ATOM = re.compile(r'python_version (<=|>=|==|!=|<|>) "([0-9]+)\.([0-9]+)"')


def _uv_atom(match: re.Match[str]) -> str:
    op, major, minor = match.group(1), match.group(2), int(match.group(3))
    if op in ("<", ">="):
        return f'python_full_version {op} "{major}.{minor}"'
    if op in ("==", "!="):
        return f'python_full_version {op} "{major}.{minor}.*"'
    # <= X.Y is < X.(Y+1); > X.Y is >= X.(Y+1) (on the final releases the check samples)
    return f'python_full_version {"<" if op == "<=" else ">="} "{major}.{minor + 1}"'


def uv_spelling(marker: Optional[str]) -> Optional[str]:
    """A normalized marker with `python_version OP "X.Y"` written as uv writes it in a lock
    (`python_full_version ...`): the same condition, so equal spellings need no evaluation and
    no packaging.markers import; anything else is compared by meaning (compare.py)."""
    return None if marker is None else _PY_VERSION_ATOM.sub(_uv_atom, marker)


def norm_spec(text: str, where: str) -> str:
    try:
        return normalize_specifier(text)
    except InvalidSpecifier:
        raise InputError(f"invalid specifier {text!r}", path=where) from None


def norm_marker(text: Optional[str], where: str) -> Optional[str]:
    if text is None or not str(text).strip():
        return None
    from packaging.markers import InvalidMarker

    try:
        return normalize_marker(str(text))
    except InvalidMarker:
        raise InputError(f"invalid marker {text!r}", path=where) from None


def git_parts(url: str) -> Tuple[str, str]:
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


def remote_source(entry: Mapping[str, Any]) -> Optional[Source]:
    """The git or URL source of a uv source table, in the same form whether it comes from
    uv.lock or from `[tool.uv.sources]`; None for any other source."""
    if "git" in entry:
        repo, ref = git_parts(str(entry["git"]))
        ref = str(entry.get("rev") or entry.get("tag") or entry.get("branch") or ref)
        return Source("git", repo, ref)
    if "url" in entry:
        return Source("url", strip_credentials(str(entry["url"])).split("#")[0])
    return None


def posix(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")) if path else "."


def lock_req(entry: Any, where: str) -> Req:
    """One requirement as uv.lock records it (`requires-dist`, `requires-dev`, `[manifest]`)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InputError(f"{where}: each requirement needs a name", path="uv.lock")
    name = canon(entry["name"])
    extras = tuple(sorted({canon(str(e)) for e in as_list(entry.get("extras"))}))
    source = remote_source(entry)
    mode = ""
    if source is None:
        mode = next((k for k in LOCAL_MODES if k in entry), "")
        if mode:
            source = Source("local", posix(str(entry[mode])))
        elif "index" in entry:
            source = Source("index", normalize_index_url(str(entry["index"])))
        else:
            source = DEFAULT_INDEX
    spec = norm_spec(str(entry.get("specifier", "")), "uv.lock")
    if not source.is_index:
        spec = ""
    return Req(name, extras, spec, source, mode, norm_marker(entry.get("marker"), "uv.lock"))


def is_archive(path: str) -> bool:
    """A path uv installs as a file (a wheel or an sdist), not as a directory."""
    return re.search(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz)$", path) is not None
