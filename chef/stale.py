"""Is the lock still the lock of this manifest? Each manager's own freshness check, reproduced.

A lock that no longer matches its manifest is a false cache hit waiting to happen: a commit adds a
dependency to pyproject.toml without re-locking, and a tool that trusts the lock ships an image
without it. `chef prepare` refuses such a lock (StaleLockError, naming what differs and the command
that re-locks) unless `--frozen` says to take the lock as it is.

Each check is the manager's own, so chef agrees with `uv lock --check`, `poetry check --lock`,
`pdm lock --check` and `pipenv verify`:

- uv: the root's and members' requirements recorded in uv.lock (`[package.metadata]`
  requires-dist, requires-dev, provides-extras; `[manifest]` members, constraints, overrides,
  dependency groups) against their pyproject.toml, and the workspace's requires-python. Compared
  as uv compares them: parsed and normalized, markers by meaning (uv rewrites
  `platform_system == "Windows"` as `sys_platform == 'win32'` and drops what requires-python
  implies), not by spelling.
- poetry: `[metadata] content-hash`, the sha256 of the relevant pyproject sections (per the Poetry
  version that wrote the lock: before 2.3 it did not cover `[dependency-groups]`).
- pdm: `[metadata] content_hash` ("sha256:..."), pdm's hash of the relevant pyproject content
  (and of each workspace member's).
- pipenv: `_meta.hash.sha256` of the Pipfile's normalized JSON (plette's algorithm; pipenv 2025+
  canonicalizes package names first, both are accepted).

Files are read through a `Files` object (by default `chef.toml`, which parses each file once per
process, so the reader's parse is reused here for free).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Set,
    Tuple,
)
from urllib.parse import urlsplit, urlunsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.errors import ChefError, InputError, StaleLockError
from chef.pep508 import canonical_name, normalize_marker, normalize_specifier
from chef.toml import load_toml, read_text
from chef.urls import normalize_index_url, strip_credentials

if TYPE_CHECKING:  # packaging.markers/.requirements are imported only when a check needs them
    from packaging.markers import Marker

RELOCK = {
    "uv": "uv lock",
    "poetry": "poetry lock",
    "pdm": "pdm lock",
    "pipenv": "pipenv lock",
}
LOCK_FILE = {"uv": "uv.lock", "poetry": "poetry.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}
MANIFEST = {"uv": "pyproject.toml", "poetry": "pyproject.toml", "pdm": "pyproject.toml",
            "pipenv": "Pipfile"}


class Files:
    """Read project files relative to a root; the corpus tests substitute their own."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def text(self, rel: str) -> str:
        return read_text(self.root / rel, rel)

    def toml(self, rel: str) -> Mapping[str, Any]:
        return load_toml(self.root / rel, rel)

    def json(self, rel: str) -> Any:
        text = self.text(rel)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InputError(
                f"not valid JSON: {getattr(exc, 'msg', exc)}",
                path=rel,
                line=getattr(exc, "lineno", None),
            ) from None


@dataclass
class Verdict:
    """The outcome of one lock check."""

    manager: str
    lock: str
    fresh: bool
    reasons: List[str] = field(default_factory=list)  # what differs (when stale)
    unchecked: List[str] = field(default_factory=list)  # what chef could not verify, and why
    ignored: List[str] = field(default_factory=list)  # differences that do not decide installs

    @property
    def relock(self) -> str:
        return RELOCK[self.manager]

    def error(self) -> StaleLockError:
        what = "; ".join(self.reasons[:3]) or "the manifest changed since it was locked"
        if len(self.reasons) > 3:
            what += f"; and {len(self.reasons) - 3} more differences"
        return StaleLockError(
            f"stale lock: {what}",
            path=self.lock,
            hint=f"run `{self.relock}`, or pass --frozen to use the lock as it is",
        )

    def notes(self) -> List[str]:
        out = [f"{self.lock}: not checked: {why}" for why in self.unchecked]
        out += [f"{self.lock}: ignored: {what}" for what in self.ignored]
        if not self.fresh:
            out.append(f"{self.lock} is stale: " + "; ".join(self.reasons))
        elif not self.unchecked:
            out.append(f"{self.lock} matches {MANIFEST[self.manager]} (checked as "
                       f"`{self.relock}` would)")
        return out


def check(
    root: Path, manager: str, files: Optional[Files] = None, where: str = "."
) -> Optional[Verdict]:
    """The verdict for the lock `manager` reads in `root`, or None when it reads no lock.
    `where`: the project's directory as the user names it (a subdirectory of the build context),
    for messages."""
    checker = _CHECKS.get(manager)
    if checker is None:
        return None
    files = files or Files(root)
    if not files.exists(LOCK_FILE[manager]) or not files.exists(MANIFEST[manager]):
        return None
    verdict = checker(files)
    if where not in (".", ""):
        verdict.lock = f"{where.rstrip('/')}/{verdict.lock}"
    return verdict


def ensure_fresh(
    root: Path, manager: str, files: Optional[Files] = None, where: str = "."
) -> Optional[Verdict]:
    """`check`, raising StaleLockError for a stale lock."""
    verdict = check(root, manager, files, where)
    if verdict is not None and not verdict.fresh:
        raise verdict.error()
    return verdict


# ================================================================ helpers


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _canon(name: str) -> str:
    return canonical_name(name)


def _short(items: Iterable[str], limit: int = 6) -> str:
    items = list(items)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text


def _requirement_names(items: Iterable[Any]) -> Set[str]:
    """Canonical names of PEP 508 strings (anything unparsable is left to the reader to report)."""
    names: Set[str] = set()
    for item in items:
        if isinstance(item, str) and not item.lstrip().startswith("-"):
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                names.add(_canon(Requirement(item).name))
            except InvalidRequirement:
                continue
    return names


def _hash_json(data: Any, algo: str = "sha256", **kwargs: Any) -> str:
    import hashlib  # only poetry, pdm and pipenv checks hash (2 ms of every uv prepare otherwise)

    hasher = hashlib.new(algo)
    hasher.update(json.dumps(data, sort_keys=True, **kwargs).encode("utf-8"))
    return hasher.hexdigest()


# ================================================================ markers by meaning

# Platforms as they really occur: the variables that describe one platform move together (uv's
# marker algebra knows `platform_system == "Windows"` is `sys_platform == "win32"`).
_PLATFORMS: Tuple[Dict[str, str], ...] = tuple(
    {"sys_platform": s, "platform_system": p, "os_name": o, "platform_machine": m}
    for s, p, o, machines in (
        ("linux", "Linux", "posix", ("x86_64", "aarch64")),
        ("darwin", "Darwin", "posix", ("arm64", "x86_64")),
        ("win32", "Windows", "nt", ("AMD64", "ARM64", "x86")),
        ("emscripten", "Emscripten", "posix", ("wasm32",)),
    )
    for m in machines
)
_IMPLEMENTATIONS = (("cpython", "CPython"), ("pypy", "PyPy"), ("graalpy", "GraalVM"))
_PLATFORM_VARS = ("sys_platform", "platform_system", "os_name", "platform_machine")
_IMPL_VARS = ("implementation_name", "platform_python_implementation")
_PYTHON_VARS = ("python_version", "python_full_version", "implementation_version")


def _atoms(marker: Marker) -> List[Tuple[str, str]]:
    """(variable, value) pairs a marker compares (walks the tree `packaging` parsed)."""
    out: List[Tuple[str, str]] = []

    def visit(items: Any) -> None:
        for item in items:
            if isinstance(item, list):
                visit(item)
            elif isinstance(item, tuple) and len(item) == 3:
                lhs, _, rhs = item
                if type(lhs).__name__ == "Variable":
                    out.append((str(lhs), str(rhs)))
                elif type(rhs).__name__ == "Variable":
                    out.append((str(rhs), str(lhs)))

    visit(getattr(marker, "_markers", []))
    return out


def _python_versions(
    mentioned: Iterable[str], requires_python: Optional[SpecifierSet]
) -> List[str]:
    """Python versions to sample: each version the markers (or specifiers) mention and
    requires-python's bounds, with a release on either side. A comparison only changes value at
    a version it mentions, so this puts a sample in every interval between them (a fixed grid of
    every 3.x was 48 releases, and on pydantic's uv.lock 1152 environments to evaluate)."""
    bounds = list(mentioned) + [spec.version for spec in (requires_python or ())]
    found: Set[Tuple[int, ...]] = {(2, 7, 18), (3, 12, 0)}
    for text in bounds:
        try:
            release = Version(text.rstrip("*").rstrip(".")).release
        except InvalidVersion:
            continue
        major, minor, micro = (tuple(release) + (0, 0))[:3]
        for m in (micro - 1, micro, micro + 1, 10):
            if m >= 0:
                found.add((major, minor, m))
        found.add((major, minor + 1, 0))
        if minor > 0:
            found.add((major, minor - 1, 10))  # below X.Y.0, where X.Y.-1 does not exist
    out = []
    for version in sorted(found):
        text = ".".join(str(p) for p in version)
        if requires_python is None or requires_python.contains(text, prereleases=True):
            out.append(text)
    return out or ["3.12.0"]


def _environments(
    markers: Iterable[Marker], requires_python: Optional[SpecifierSet]
) -> List[Dict[str, str]]:
    """Sample environments covering every distinction the markers draw, projected onto the
    variables they use (few markers test more than one or two variables)."""
    atoms = [a for m in markers for a in _atoms(m)]
    variables = {v for v, _ in atoms}
    values: Dict[str, Set[str]] = {}
    for var, value in atoms:
        values.setdefault(var, set()).add(value)
    platforms: List[Dict[str, str]] = [dict(p) for p in _PLATFORMS]
    for var in _PLATFORM_VARS:  # values no known platform has: one variant each
        for value in sorted(values.get(var, ())):
            if not any(p[var] == value for p in _PLATFORMS):
                platforms.append({**_PLATFORMS[0], var: value})
    impls = [dict(zip(_IMPL_VARS, pair)) for pair in _IMPLEMENTATIONS]
    for var in _IMPL_VARS:
        for value in sorted(values.get(var, ())):
            if not any(i[var] == value for i in impls):
                impls.append({**impls[0], var: value})
    if not variables & set(_PLATFORM_VARS):
        platforms = platforms[:1]
    if not variables & set(_IMPL_VARS):
        impls = impls[:1]
    if variables & set(_PYTHON_VARS):
        mentioned = [v for var, v in atoms if var in _PYTHON_VARS]
        pythons = _python_versions(mentioned, requires_python)
    else:
        pythons = _python_versions((), requires_python)[-1:]
    extras = [""] + sorted(values.get("extra", set())) if "extra" in variables else [""]
    others = {
        var: sorted(vals)
        for var, vals in values.items()
        if var not in _PLATFORM_VARS + _IMPL_VARS + _PYTHON_VARS + ("extra",)
    }
    envs: List[Dict[str, str]] = []
    for python in pythons:
        parts = python.split(".")
        for platform in platforms:
            for impl in impls:
                for extra in extras:
                    env = {
                        **platform,
                        **impl,
                        "python_version": ".".join(parts[:2]),
                        "python_full_version": python,
                        "implementation_version": python,
                        "platform_release": "",
                        "platform_version": "",
                        "extra": extra,
                    }
                    envs.append(env)
    for var, vals in others.items():  # rare variables: each value once, on the first env
        for value in [""] + vals:
            envs.append({**envs[0], var: value})
    return envs


def _variables(marker: Marker) -> Tuple[str, ...]:
    """Every variable a marker reads (its value depends on nothing else)."""
    found: Set[str] = set()

    def visit(items: Any) -> None:
        for item in items:
            if isinstance(item, (list, tuple)):
                visit(item)
            elif type(item).__name__ == "Variable":
                found.add(str(item))

    visit(getattr(marker, "_markers", []))
    return tuple(sorted(found))


def _marker_vector(marker: Optional[Marker], envs: List[Dict[str, str]]) -> Tuple[bool, ...]:
    if marker is None:
        return tuple(True for _ in envs)
    # Environments that agree on the marker's variables agree on the marker: evaluate each such
    # projection once (the grid repeats them across the variables the marker does not read).
    names = _variables(marker)
    seen: Dict[Tuple[Optional[str], ...], bool] = {}
    out = []
    for env in envs:
        key = tuple(env.get(n) for n in names)
        value = seen.get(key)
        if value is None:
            try:
                value = bool(marker.evaluate(env))
            except Exception:  # a comparison packaging cannot make (e.g. version op on a name)
                value = False
            seen[key] = value
        out.append(value)
    return tuple(out)


# ================================================================ uv


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
    name = _canon(entry["name"])
    extras = tuple(sorted(_canon(str(e)) for e in _list(entry.get("extras"))))
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
        self.sources = {_canon(k): v for k, v in sources.items()}
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
        name = _canon(req.name)
        extras = tuple(sorted(_canon(e) for e in req.extras))
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
        envs = _environments([m for m in markers if m is not None], requires_python)
        have_vectors = {m: _marker_vector(marker_of(m), envs) for m in have_only}
        want_vectors = {m: _marker_vector(marker_of(m), envs) for m in want_only}
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
        parts.append(f"adds {_short(added)} to {what}")
    if removed:
        parts.append(f"drops {_short(removed)} from {what}")
    if not parts:
        return None
    return f"{manifest} " + " and ".join(parts)


def _python_grid(*specs: SpecifierSet) -> List[str]:
    mentioned = [s.version for spec in specs for s in spec]
    return _python_versions(mentioned, None)


def _same_python_range(a: SpecifierSet, b: SpecifierSet) -> bool:
    return all(
        a.contains(v, prereleases=True) == b.contains(v, prereleases=True)
        for v in _python_grid(a, b)
    )


def _uv_index_names(data: Mapping[str, Any]) -> Dict[str, str]:
    uv = _table(_table(data.get("tool")).get("uv"))
    out: Dict[str, str] = {}
    for entry in _list(uv.get("index")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(
            entry.get("url"), str
        ):
            out[entry["name"]] = normalize_index_url(entry["url"])
    return out


def _check_uv(files: Files) -> Verdict:
    from chef.readers.pyproject import dependency_groups, workspace_members

    verdict = Verdict("uv", "uv.lock", fresh=True)
    lock = files.toml("uv.lock")
    root_data = files.toml("pyproject.toml")
    root_uv = _table(_table(root_data.get("tool")).get("uv"))
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
            members[_canon(name)] = "."
            member_data["."] = root_data
    rels = workspace_members(files.root, root_data, "pyproject.toml") if isinstance(
        root_uv.get("workspace"), dict) else []
    for rel in rels:
        if rel == ".":
            continue
        data = files.toml(f"{rel}/pyproject.toml")
        name = _table(data.get("project")).get("name")
        if isinstance(name, str):
            members[_canon(name)] = rel
            member_data[rel] = data

    manifest = _table(lock.get("manifest"))
    locked_members = {_canon(str(m)) for m in _list(manifest.get("members"))}
    if locked_members or len(members) > 1:
        expected = set(members)
        if locked_members != expected:
            add = sorted(expected - locked_members)
            gone = sorted(locked_members - expected)
            parts = []
            if add:
                parts.append("adds " + _short(add))
            if gone:
                parts.append("no longer has " + _short(gone))
            verdict.reasons.append("the workspace " + " and ".join(parts) + " (members)")

    # requires-python: the intersection of every member's.
    specs = []
    for rel, data in member_data.items():
        text = _table(data.get("project")).get("requires-python")
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

    root_sources = _table(root_uv.get("sources"))
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
        actual_reqs = [_lock_req(e, f"manifest.{key}") for e in _list(manifest.get(key))]
        described = _describe("pyproject.toml", f"tool.uv.{setting}",
                              *_compare_reqs(expected_reqs, actual_reqs, lock_rp))
        if described:
            verdict.reasons.append(described)
    if "project" not in root_data:  # a virtual workspace root keeps its groups in the manifest
        groups = dependency_groups(root_data, "pyproject.toml")
        _compare_groups(
            verdict, "pyproject.toml", groups, _table(manifest.get("dependency-groups")),
            root_lowering, lock_rp, legacy=None, include_empty=False,
        )
    # Lock version 1 revision 1 added provides-extras and empty groups to member metadata.
    revision = (lock.get("version"), lock.get("revision", 0))
    newer = isinstance(revision[0], int) and isinstance(revision[1], int) and revision >= (1, 1)

    # Each member's recorded metadata.
    packages = _list(lock.get("package"))
    by_name: Dict[str, List[Mapping[str, Any]]] = {}
    for entry in packages:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            by_name.setdefault(_canon(entry["name"]), []).append(entry)
    for name, rel in sorted(members.items()):
        entries = [
            e for e in by_name.get(name, [])
            if any(k in _table(e.get("source")) for k in ("editable", "virtual", "directory"))
        ]
        display = "pyproject.toml" if rel == "." else f"{rel}/pyproject.toml"
        if not entries:
            verdict.reasons.append(f"{name} ({display}) is not in the lock")
            continue
        data = member_data[rel]
        project = _table(data.get("project"))
        metadata = entries[0].get("metadata")
        if not isinstance(metadata, dict):
            verdict.unchecked.append(f"{name}: the lock records no requirements to compare")
            continue
        dynamic = set(_list(project.get("dynamic")))
        if dynamic & {"dependencies", "optional-dependencies"}:
            # uv builds the metadata to compare; chef cannot without running a build backend.
            verdict.unchecked.append(f"{name}: its dependencies are dynamic ({display})")
            continue
        member_uv = _table(_table(data.get("tool")).get("uv"))
        sources = dict(root_sources)
        sources.update(_table(member_uv.get("sources")))
        lowering = _Lowering(sources, {**indexes, **_uv_index_names(data)}, display)
        expected_reqs = lowering.lower_all(project.get("dependencies", []),
                                           "project.dependencies")
        optional = project.get("optional-dependencies", {})
        if not isinstance(optional, dict):
            raise InputError("project.optional-dependencies must be a table", path=display)
        for extra, items in optional.items():
            expected_reqs += lowering.lower_all(
                items, f"project.optional-dependencies.{extra}", extra=_canon(extra)
            )
        actual_reqs = [
            _lock_req(e, f"package {name} metadata.requires-dist")
            for e in _list(metadata.get("requires-dist"))
        ]
        described = _describe(display, f"{name}'s dependencies",
                              *_compare_reqs(expected_reqs, actual_reqs, lock_rp))
        if described:
            verdict.reasons.append(described)
        if newer or "provides-extras" in metadata:
            want = {_canon(e) for e in optional}
            have = {_canon(str(e)) for e in _list(metadata.get("provides-extras"))}
            if want != have:
                verdict.reasons.append(
                    f"{name}'s extras are {_short(sorted(want)) or 'none'} but the lock has "
                    f"{_short(sorted(have)) or 'none'}"
                )
        groups = dependency_groups(data, display)
        legacy = member_uv.get("dev-dependencies")
        _compare_groups(
            verdict, display, groups, _table(metadata.get("requires-dev")), lowering, lock_rp,
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
                verdict.ignored.append(
                    f"{name} is {version} in {display} but {locked_version} in the lock "
                    "(`uv lock --check` fails on that; chef does not: the project's own version "
                    "decides nothing it installs)"
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
        _canon(g): [_lock_req(e, f"requires-dev.{g}") for e in _list(items)]
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


# ================================================================ poetry


def poetry_content_hash(
    pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True
) -> str:
    """Poetry's `Locker._get_content_hash`: sha256 of the sorted JSON of the relevant sections.

    [project] requires-python/dependencies/optional-dependencies, [dependency-groups] (Poetry
    2.3+), and [tool.poetry] dependencies/source/extras/dev-dependencies/group. The four legacy
    keys are hashed even when absent (as null) for a [tool.poetry]-only project, and the whole
    [tool.poetry] part then sits at the top level, which keeps Poetry 1.x hashes valid.
    """
    legacy_keys = ("dependencies", "source", "extras", "dev-dependencies")
    relevant_keys = legacy_keys + ("group",)
    project_keys = ("requires-python", "dependencies", "optional-dependencies")
    project = _table(pyproject.get("project"))
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    poetry = _table(_table(pyproject.get("tool")).get("poetry"))
    relevant_project = {k: project[k] for k in project_keys if project.get(k) is not None}
    relevant_poetry: Dict[str, Any] = {}
    for key in relevant_keys:
        data = poetry.get(key)
        if data is None and (key not in legacy_keys or relevant_project or groups):
            continue
        relevant_poetry[key] = data
    content: Dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return _hash_json(content)


def _poetry_writer_version(lock_text: str) -> Optional[Version]:
    """The Poetry version named in the lock's first line ("@generated by Poetry 1.8.3 ...")."""
    first = lock_text.split("\n", 1)[0]
    words = first.split()
    for i, word in enumerate(words[:-1]):
        if word == "Poetry":
            try:
                return Version(words[i + 1])
            except InvalidVersion:
                return None
    return None


def _poetry_names(pyproject: Mapping[str, Any]) -> Set[str]:
    """Direct dependencies named in pyproject (poetry tables and PEP 621/735)."""
    from chef.readers.pyproject import dependency_groups

    names: Set[str] = set()
    project = _table(pyproject.get("project"))
    names |= _requirement_names(_list(project.get("dependencies")))
    for items in _table(project.get("optional-dependencies")).values():
        names |= _requirement_names(_list(items))
    try:
        for items in dependency_groups(pyproject, "pyproject.toml").values():
            names |= _requirement_names(items)
    except ChefError:
        pass
    poetry = _table(_table(pyproject.get("tool")).get("poetry"))
    tables = [_table(poetry.get("dependencies")), _table(poetry.get("dev-dependencies"))]
    tables += [_table(_table(g).get("dependencies")) for g in _table(poetry.get("group")).values()]
    for table in tables:
        names |= {_canon(k) for k in table if k.lower() != "python"}
    return names


def _locked_names(packages: Any) -> Set[str]:
    return {
        _canon(p["name"]) for p in _list(packages)
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def _not_locked(wanted: Set[str], locked: Set[str], own: Iterable[str] = ()) -> List[str]:
    return sorted(wanted - locked - {_canon(n) for n in own})


def _check_poetry(files: Files) -> Verdict:
    verdict = Verdict("poetry", "poetry.lock", fresh=True)
    lock = files.toml("poetry.lock")
    pyproject = files.toml("pyproject.toml")
    recorded = _table(lock.get("metadata")).get("content-hash")
    if not isinstance(recorded, str):
        verdict.fresh = False
        verdict.reasons.append("the lock records no content-hash")
        return verdict
    try:
        fresh = poetry_content_hash(pyproject) == recorded
        if not fresh:
            writer = _poetry_writer_version(files.text("poetry.lock"))
            if writer is not None and writer < Version("2.3.0"):
                fresh = poetry_content_hash(pyproject, with_dependency_groups=False) == recorded
    except (TypeError, ValueError):  # values JSON cannot hold (TOML dates): Poetry fails too
        verdict.unchecked.append("pyproject.toml holds values Poetry cannot hash")
        return verdict
    if not fresh:
        verdict.fresh = False
        own = [str(_table(_table(pyproject.get("tool")).get("poetry")).get("name", "")),
               str(_table(pyproject.get("project")).get("name", ""))]
        missing = _not_locked(_poetry_names(pyproject), _locked_names(lock.get("package")), own)
        verdict.reasons.append(_hash_reason("pyproject.toml", missing, "dependency sections",
                                            "content-hash"))
    return verdict


def _hash_reason(manifest: str, missing: List[str], what: str, field: str) -> str:
    """Why a content hash differs: the requirements the lock lacks when some are absent from it
    entirely (the common stale lock), else only that the hashed sections changed."""
    if missing:
        return f"{manifest} requires {_short(missing)}, which the lock does not have"
    return f"{manifest}'s {what} changed since it was locked ({field} differs)"


# ================================================================ pdm


def _pdm_dev_dependencies(pyproject: Mapping[str, Any], merged: bool) -> Dict[str, Any]:
    settings = _table(_table(pyproject.get("tool")).get("pdm"))
    legacy = _table(settings.get("dev-dependencies"))
    if not merged:
        return dict(legacy)
    groups: Dict[str, List[Any]] = {}
    for group, deps in _table(pyproject.get("dependency-groups")).items():
        groups[_canon(group)] = list(_list(deps))
    for group, deps in legacy.items():
        groups.setdefault(_canon(group), []).extend(_list(deps))
    return groups


def pdm_content_hash(
    pyproject: Mapping[str, Any], algo: str = "sha256", *, variant: str = "current"
) -> str:
    """pdm's `PyProject.content_hash`.

    variant "current": dev-dependencies are [dependency-groups] merged with
    [tool.pdm.dev-dependencies], group names normalized (pdm 2.20+); "legacy": the raw
    [tool.pdm.dev-dependencies] (earlier 2.x); "overrides": pdm 1.x, which hashed
    [tool.pdm.overrides] where 2.x hashes [tool.pdm.resolution].
    """
    settings = _table(_table(pyproject.get("tool")).get("pdm"))
    metadata = _table(pyproject.get("project"))
    data: Dict[str, Any] = {
        "sources": settings.get("source", []),
        "dependencies": metadata.get("dependencies", []),
        "dev-dependencies": _pdm_dev_dependencies(pyproject, merged=variant == "current"),
        "optional-dependencies": metadata.get("optional-dependencies", {}),
        "requires-python": metadata.get("requires-python", ""),
    }
    if variant == "overrides":
        data["overrides"] = settings.get("overrides", {})
    else:
        data["resolution"] = settings.get("resolution", {})
    return _hash_json(data, algo)


def _pdm_variants(pyproject: Mapping[str, Any], lock_version: str) -> List[str]:
    """The hash variants that could have written this lock (never one that ignores a table the
    project now has: a lock must not pass because an old algorithm cannot see a change)."""
    variants = ["current"]
    if "dependency-groups" not in pyproject:
        variants.append("legacy")
        try:
            if Version(lock_version or "0").major < 4:
                variants.append("overrides")
        except InvalidVersion:
            variants.append("overrides")
    return variants


def _check_pdm(files: Files) -> Verdict:
    import hashlib

    verdict = Verdict("pdm", "pdm.lock", fresh=True)
    lock = files.toml("pdm.lock")
    pyproject = files.toml("pyproject.toml")
    meta = _table(lock.get("metadata"))
    recorded = meta.get("content_hash")
    if not isinstance(recorded, str) or ":" not in recorded:
        verdict.fresh = False
        verdict.reasons.append("the lock records no content_hash")
        return verdict
    if "project" not in pyproject:
        verdict.unchecked.append(
            "pdm converts a pyproject.toml without [project] before hashing it"
        )
        return verdict
    algo, _, value = recorded.partition(":")
    if algo not in hashlib.algorithms_available:
        verdict.unchecked.append(f"unknown hash algorithm {algo!r}")
        return verdict
    workspace = _table(_table(_table(pyproject.get("tool")).get("pdm")).get("workspace"))
    try:
        fresh = False
        for variant in _pdm_variants(pyproject, str(meta.get("lock_version", ""))):
            digest = pdm_content_hash(pyproject, algo, variant=variant)
            if workspace:
                digest = _pdm_workspace_hash(files, pyproject, digest, algo, variant)
            if digest == value:
                fresh = True
                break
    except (TypeError, ValueError):
        verdict.unchecked.append("pyproject.toml holds values pdm cannot hash")
        return verdict
    if not fresh:
        verdict.fresh = False
        project = _table(pyproject.get("project"))
        wanted = _requirement_names(_list(project.get("dependencies")))
        for items in _table(project.get("optional-dependencies")).values():
            wanted |= _requirement_names(_list(items))
        for items in _pdm_dev_dependencies(pyproject, merged=True).values():
            wanted |= _requirement_names(_list(items))
        missing = _not_locked(wanted, _locked_names(lock.get("package")),
                              [str(project.get("name", ""))])
        verdict.reasons.append(_hash_reason(
            "pyproject.toml", missing, "dependencies, sources or resolution settings",
            "content_hash"))
    return verdict


def _pdm_workspace_hash(
    files: Files, pyproject: Mapping[str, Any], root_hash: str, algo: str, variant: str
) -> str:
    """pdm's `Workspace.content_hash`: the root's hash, then each member's path and hash."""
    import glob
    import hashlib
    import os

    settings = _table(_table(pyproject.get("tool")).get("pdm"))
    patterns = [str(p) for p in _list(_table(settings.get("workspace")).get("members"))]
    root = os.path.realpath(files.root)
    members: Set[str] = set()
    for pattern in patterns:
        hits = glob.glob(os.path.join(files.root, pattern)) if any(
            c in pattern for c in "*?[") else [os.path.join(files.root, pattern)]
        for hit in hits:
            real = os.path.realpath(hit)
            if os.path.isdir(real) and os.path.isfile(os.path.join(real, "pyproject.toml")):
                members.add(Path(os.path.relpath(real, root)).as_posix())
    hasher = hashlib.new(algo)
    hasher.update(root_hash.encode("utf-8"))
    for rel in sorted(members):
        data = files.toml(f"{rel}/pyproject.toml")
        hasher.update(b"\0")
        hasher.update(rel.encode("utf-8"))
        hasher.update(b"\0")
        hasher.update(pdm_content_hash(data, algo, variant=variant).encode("utf-8"))
    return hasher.hexdigest()


# ================================================================ pipenv

_PIPFILE_SECTIONS = frozenset(
    ("source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv")
)


def pipfile_hash(
    pipfile: Mapping[str, Any],
    *,
    canonical_names: bool = False,
    default_sources: Optional[List[Any]] = None,
) -> str:
    """plette's `Pipfile.get_hash()` (pipenv's `_meta.hash.sha256`); with `canonical_names`,
    pipenv 2025+'s `calculate_hash`, which first canonicalizes package names (PEP 503).

    A Pipfile without [[source]] is hashed with the default source pipenv inserts; that source is
    the one the lock records in `_meta.sources`, passed as `default_sources`.
    """

    def section(values: Any) -> Any:
        if canonical_names and isinstance(values, dict):
            return {_canon(k): v for k, v in values.items()}
        return values

    sources = pipfile.get("source", default_sources or [])
    data: Dict[str, Any] = {
        "_meta": {"sources": sources, "requires": pipfile.get("requires", {})},
        "default": section(pipfile.get("packages", {})),
        "develop": section(pipfile.get("dev-packages", {})),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
            continue
        data[category] = section(values)
    return _hash_json(data, separators=(",", ":"))


def _check_pipenv(files: Files) -> Verdict:
    verdict = Verdict("pipenv", "Pipfile.lock", fresh=True)
    lock = files.json("Pipfile.lock")
    pipfile = files.toml("Pipfile")
    meta = _table(_table(lock).get("_meta")) if isinstance(lock, dict) else {}
    recorded = _table(meta.get("hash")).get("sha256")
    if not isinstance(recorded, str):
        verdict.fresh = False
        verdict.reasons.append("the lock records no _meta.hash.sha256")
        return verdict
    default_sources: Optional[List[Any]] = None
    if "source" not in pipfile:
        # Only pipenv's own default source may stand in for a missing [[source]]: one entry,
        # named pypi, verified; a custom source the Pipfile dropped must not pass.
        locked_sources = _list(meta.get("sources"))
        if (
            len(locked_sources) == 1
            and isinstance(locked_sources[0], dict)
            and set(locked_sources[0]) == {"name", "url", "verify_ssl"}
            and locked_sources[0].get("name") == "pypi"
            and locked_sources[0].get("verify_ssl") is True
        ):
            default_sources = locked_sources
    try:
        fresh = any(
            pipfile_hash(pipfile, canonical_names=c, default_sources=default_sources) == recorded
            for c in (True, False)
        )
    except (TypeError, ValueError):
        verdict.unchecked.append("the Pipfile holds values pipenv cannot hash")
        return verdict
    if fresh:
        return verdict
    verdict.fresh = False
    wanted: Set[str] = set()
    locked: Set[str] = set()
    for category, values in pipfile.items():
        if category in ("source", "requires", "scripts", "pipfile", "pipenv"):
            continue
        if isinstance(values, dict):
            wanted |= {_canon(k) for k in values}
    for category, values in (lock.items() if isinstance(lock, dict) else ()):
        if category != "_meta" and isinstance(values, dict):
            locked |= {_canon(k) for k in values}
    missing = sorted(wanted - locked)
    if missing:
        verdict.reasons.append("the Pipfile requires " + _short(missing) +
                               ", which the lock does not have")
    elif pipfile.get("requires", {}) != meta.get("requires", {}):
        verdict.reasons.append("the Pipfile's [requires] differs from the lock's")
    elif "source" in pipfile and [
        s.get("name") for s in _list(pipfile.get("source")) if isinstance(s, dict)
    ] != [s.get("name") for s in _list(meta.get("sources")) if isinstance(s, dict)]:
        verdict.reasons.append("the Pipfile's [[source]] entries differ from the lock's")
    else:
        verdict.reasons.append("the Pipfile's packages changed since it was locked "
                               "(_meta.hash differs)")
    return verdict


_CHECKS: Dict[str, Callable[[Files], Verdict]] = {
    "uv": _check_uv,
    "poetry": _check_poetry,
    "pdm": _check_pdm,
    "pipenv": _check_pipenv,
}

__all__ = [
    "Files",
    "Verdict",
    "check",
    "ensure_fresh",
    "pdm_content_hash",
    "pipfile_hash",
    "poetry_content_hash",
]
