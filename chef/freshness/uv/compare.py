"""The lock's recorded requirements against the lowered ones, compared as `uv lock --check`
compares them (`Lock::satisfies`): by meaning (markers over sample environments, specifiers by
the versions they accept, several declarations of a package as their combination), not by
spelling."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from chef.freshness.markers import environments, marker_vector, python_versions
from chef.freshness.uv.reqs import Req, Source

if TYPE_CHECKING:
    from packaging.markers import Marker


@lru_cache(maxsize=1024)
def same_versions(a: str, b: str) -> bool:
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


def _state(reqs: List[Req], vectors: Mapping[Optional[str], Tuple[bool, ...]],
           index: int) -> Dict[Tuple[Source, str], Tuple[FrozenSet[str], str]]:
    """What the requirements ask for in one environment: per source, the union of extras and
    the combined specifier (uv combines several declarations of a package)."""
    out: Dict[Tuple[Source, str], Tuple[Set[str], List[str]]] = {}
    for req in reqs:
        if not vectors[req.marker][index]:
            continue
        extras, specs = out.setdefault((req.source, req.mode), (set(), []))
        extras.update(req.extras)
        if req.specifier:
            specs.append(req.specifier)
    return {k: (frozenset(e), ",".join(sorted(s))) for k, (e, s) in out.items()}


def _same_meaning(want: List[Req], have: List[Req],
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
            if extras != b[key][0] or not same_versions(spec, b[key][1]):
                return False
    return True


class Diff:
    """One package's difference: as pyproject.toml declares it (lowered) and as uv.lock records
    it, and why chef cannot be sure uv sees it ("" when it can). A plain class with slots: a
    dataclass costs its creation on every uv prepare."""

    __slots__ = ("name", "want", "have", "doubt")

    def __init__(self, name: str, want: List[Req], have: List[Req], doubt: str) -> None:
        self.name, self.want, self.have, self.doubt = name, want, have, doubt


def diff(expected: List[Req], actual: List[Req],
         requires_python: Optional[SpecifierSet]) -> List[Diff]:
    """Per package name, what differs between the lowered pyproject requirements and the
    recorded ones, compared by meaning."""
    by_name: Dict[str, Tuple[List[Req], List[Req]]] = {}
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
        if not doubt and want and have and any(r.source.kind == "local" for r in want + have):
            doubt = ("chef cannot tell whether the uv that wrote the lock lowers local and "
                     "workspace sources the same way")
        out.append(Diff(name, want, have, doubt))
    return out


def same_python_range(a: SpecifierSet, b: SpecifierSet) -> bool:
    mentioned = [s.version for spec in (a, b) for s in spec]
    return all(
        a.contains(v, prereleases=True) == b.contains(v, prereleases=True)
        for v in python_versions(mentioned, None)
    )


def same_markers(a: List[str], b: List[str]) -> bool:
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
