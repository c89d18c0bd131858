"""Markers compared by meaning, as uv compares them: evaluated over sample environments that
cover every distinction the markers draw (uv rewrites `platform_system == "Windows"` as
`sys_platform == 'win32'` and drops what requires-python implies, so spellings differ)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple, Union

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from chef import markertree

if TYPE_CHECKING:  # packaging.markers is imported only when a check needs it
    from packaging.markers import Marker

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


def marker_atoms(marker: Marker) -> List[Tuple[str, str]]:
    """(variable, value) pairs a marker compares (walks the tree `packaging` parsed)."""
    out: List[Tuple[str, str]] = []
    for atom in markertree.atoms(markertree.tree(marker)):
        if atom.lhs.variable:
            out.append((atom.lhs.value, atom.rhs.value))
        elif atom.rhs.variable:
            out.append((atom.rhs.value, atom.lhs.value))
    return out


def python_versions(
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


def environments(
    markers: Iterable[Marker], requires_python: Optional[SpecifierSet]
) -> List[Dict[str, str]]:
    """Sample environments covering every distinction the markers draw, projected onto the
    variables they use (few markers test more than one or two variables)."""
    atoms = [a for m in markers for a in marker_atoms(m)]
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
        pythons = python_versions(mentioned, requires_python)
    else:
        pythons = python_versions((), requires_python)[-1:]
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


def marker_variables(marker: Marker) -> Tuple[str, ...]:
    """Every variable a marker reads (its value depends on nothing else)."""
    return tuple(sorted(markertree.variables(markertree.tree(marker))))


def marker_vector(marker: Optional[Marker], envs: List[Dict[str, str]]) -> Tuple[bool, ...]:
    if marker is None:
        return tuple(True for _ in envs)
    # Environments that agree on the marker's variables agree on the marker: evaluate each such
    # projection once (the grid repeats them across the variables the marker does not read).
    names = marker_variables(marker)
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


_NEGATED_OP = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
               "in": "not in", "not in": "in"}


def negate_marker(text: str) -> Optional[str]:
    """The marker true exactly where `text` is false (De Morgan over packaging's parsed tree), as
    uv computes the space a `[tool.uv.sources]` marker leaves to the index; None for a marker
    with an operator that has no negation (`~=`, `===`)."""

    def atom(item: Union[markertree.Atom, markertree.Tree]) -> str:
        if not isinstance(item, markertree.Atom):
            return f"({negate(item)})"
        flipped = _NEGATED_OP.get(item.op)
        if flipped is None:
            raise KeyError(item.op)
        return f"{item.lhs.serialize()} {flipped} {item.rhs.serialize()}"

    def negate(items: markertree.Tree) -> str:
        # `a and b or c` is `(a and b) or c`: not that is `(not a or not b) and not c`.
        groups: List[List[Union[markertree.Atom, markertree.Tree]]] = [[]]
        for item in items:
            if item == "or":
                groups.append([])
            elif item != "and":
                groups[-1].append(item)
        return " and ".join("(" + " or ".join(atom(i) for i in g) + ")" for g in groups)

    try:
        return negate(markertree.parse(text))
    except (KeyError, ValueError, TypeError):
        return None


def marker_and(*texts: Optional[str]) -> Optional[str]:
    """The conjunction of markers (None stands for "always")."""
    parts = [t for t in texts if t]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({t})" for t in parts)


def never(text: Optional[str], requires_python: Optional[SpecifierSet]) -> bool:
    """True when the marker holds in none of the sampled environments (uv drops such a
    requirement: its marker algebra knows it is false)."""
    if text is None:
        return False
    from packaging.markers import Marker

    marker = Marker(text)
    return not any(marker_vector(marker, environments([marker], requires_python)))
