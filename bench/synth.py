"""Synthetic but realistic lockfiles for the benchmarks: uv.lock and poetry.lock of N packages.

Deterministic (seeded) so that every run measures the same bytes. Shaped like real locks: a root
project, a dependency DAG in which every package is reachable, edges with markers and extras, a few
packages locked twice (a fork on the Python version), one sdist and one to a dozen wheels with
sha256 hashes per package (about 0.8 kB of uv.lock per package, like real locks of that size).
Index hosts are `index.invalid`: nothing here is ever fetched.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

INDEX = "https://index.invalid/simple"
FILES = "https://files.index.invalid/packages"

MARKERS = (
    "python_full_version < '3.11'",
    "sys_platform == 'win32'",
    "platform_python_implementation != 'PyPy'",
    "sys_platform == 'darwin'",
    "platform_machine == 'x86_64' and sys_platform == 'linux'",
    "(platform_machine != 'aarch64' and sys_platform == 'linux') or sys_platform == 'darwin'",
    "implementation_name == 'cpython'",
    "python_full_version >= '3.12'",
)
FORK = ("python_full_version < '3.11'", "python_full_version >= '3.11'")
BINARY_TAGS = (
    "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp311-cp311-musllinux_1_2_x86_64",
    "cp311-cp311-macosx_11_0_arm64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp311-cp311-win_amd64",
    "cp312-cp312-win_amd64",
    "cp310-cp310-win32",
)


@dataclass
class Edge:
    target: int  # package index
    marker: Optional[str] = None
    extras: Tuple[str, ...] = ()


@dataclass
class Pkg:
    name: str
    version: str
    wheels: List[str]  # platform tags
    deps: List[Edge] = field(default_factory=list)
    extras: Dict[str, List[Edge]] = field(default_factory=dict)
    fork: Optional[int] = None  # index of the other version of the same name
    fork_marker: Optional[str] = None


@dataclass
class Graph:
    packages: List[Pkg]  # index 0 is the root project
    dev: List[Edge]


def _hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 30)}.{rng.randint(0, 20)}.{rng.randint(0, 12)}"


def graph(count: int, seed: int = 7) -> Graph:
    """A root project and `count` locked packages (forks included in the count)."""
    rng = random.Random(seed * 100003 + count)
    packages: List[Pkg] = [Pkg("app", "0.1.0", [])]
    forks = max(1, count // 100)
    names = count - forks
    for i in range(1, names + 1):
        binary = rng.random() < 0.2
        tags = (
            sorted(rng.sample(BINARY_TAGS, rng.randint(2, 6))) if binary else ["py3-none-any"]
        )
        packages.append(Pkg(f"pkg-{i:05d}", _version(rng), tags))
    # every package is reachable: each picks a parent before it (0 = the root)
    for i in range(1, names + 1):
        parent = 0 if i <= max(3, names // 20) else rng.randint(1, i - 1)
        marker = rng.choice(MARKERS) if rng.random() < 0.08 else None
        packages[parent].deps.append(Edge(i, marker))
    # more edges forward (a DAG), some with markers
    for i in range(1, names):
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            target = rng.randint(i + 1, names)
            if all(e.target != target for e in packages[i].deps):
                marker = rng.choice(MARKERS) if rng.random() < 0.1 else None
                packages[i].deps.append(Edge(target, marker))
    # extras: some packages offer one, some edges ask for it
    for i in range(1, names, 20):
        later = [j for j in range(i + 1, min(names, i + 50) + 1)]
        if len(later) < 2:
            continue
        packages[i].extras["speedups"] = [Edge(j) for j in rng.sample(later, 2)]
        asker = rng.randint(0, i - 1) if i > 1 else 0
        packages[asker].deps = [e for e in packages[asker].deps if e.target != i]
        packages[asker].deps.append(Edge(i, None, ("speedups",)))
    # forks: a second version of a name, chosen by the Python version
    for n in range(forks):
        original = 1 + (n * 37) % names
        pkg = packages[original]
        other = len(packages)
        packages.append(Pkg(pkg.name, _version(rng), pkg.wheels, list(pkg.deps)))
        pkg.fork, pkg.fork_marker = other, FORK[1]
        packages[other].fork, packages[other].fork_marker = original, FORK[0]
    dev = [Edge(j) for j in rng.sample(range(1, names + 1), min(5, names))]
    return Graph(packages, dev)


def _targets(g: Graph, edge: Edge) -> List[Tuple[int, Optional[str]]]:
    """An edge to a forked name becomes one edge per version, each with its fork marker."""
    pkg = g.packages[edge.target]
    if pkg.fork is None:
        return [(edge.target, edge.marker)]
    out = []
    for index in (edge.target, pkg.fork):
        fork_marker = g.packages[index].fork_marker
        marker = fork_marker if edge.marker is None else f"({edge.marker}) and {fork_marker}"
        out.append((index, marker))
    return out


# ---------------------------------------------------------------- uv.lock


def _uv_edge(g: Graph, edge: Edge) -> List[str]:
    out = []
    for index, marker in _targets(g, edge):
        pkg = g.packages[index]
        fields = [f'name = "{pkg.name}"']
        if pkg.fork is not None:
            fields.append(f'version = "{pkg.version}"')
            fields.append(f'source = {{ registry = "{INDEX}" }}')
        if edge.extras:
            fields.append("extra = [" + ", ".join(f'"{e}"' for e in edge.extras) + "]")
        if marker:
            fields.append(f'marker = "{marker}"')
        out.append("    { " + ", ".join(fields) + " },")
    return out


def _uv_edges(g: Graph, edges: List[Edge]) -> List[str]:
    lines: List[str] = []
    for edge in sorted(edges, key=lambda e: g.packages[e.target].name):
        lines += _uv_edge(g, edge)
    return lines


def uv_lock(g: Graph) -> str:
    out = ["version = 1", "revision = 3", 'requires-python = ">=3.9"']
    out += ["resolution-markers = [", f'    "{FORK[1]}",', f'    "{FORK[0]}",', "]", ""]
    order = sorted(range(len(g.packages)), key=lambda i: (g.packages[i].name, i))
    for i in order:
        pkg = g.packages[i]
        out += ["[[package]]", f'name = "{pkg.name}"', f'version = "{pkg.version}"']
        if i == 0:
            out.append('source = { editable = "." }')
        else:
            if pkg.fork_marker:
                out += ["resolution-markers = [", f'    "{pkg.fork_marker}",', "]"]
            out.append(f'source = {{ registry = "{INDEX}" }}')
        if pkg.deps:
            out += ["dependencies = ["] + _uv_edges(g, pkg.deps) + ["]"]
        if i != 0:
            dist = pkg.name.replace("-", "_")
            digest = _hash(pkg.name, pkg.version, "sdist")
            out.append(
                f'sdist = {{ url = "{FILES}/{digest[:2]}/{digest[2:4]}/{digest[4:]}/'
                f'{dist}-{pkg.version}.tar.gz", hash = "sha256:{digest}", size = '
                f'{int(digest[:5], 16)}, upload-time = "2025-04-02T02:17:44.74Z" }}'
            )
            out.append("wheels = [")
            for tag in pkg.wheels:
                digest = _hash(pkg.name, pkg.version, tag)
                out.append(
                    f'    {{ url = "{FILES}/{digest[:2]}/{digest[2:4]}/{digest[4:]}/'
                    f'{dist}-{pkg.version}-{tag}.whl", hash = "sha256:{digest}", size = '
                    f'{int(digest[:5], 16)}, upload-time = "2025-04-02T02:15:15.439Z" }},'
                )
            out.append("]")
        if pkg.extras:
            out += ["", "[package.optional-dependencies]"]
            for extra, edges in sorted(pkg.extras.items()):
                out += [f"{extra} = ["] + _uv_edges(g, edges) + ["]"]
        if i == 0:
            out += ["", "[package.dev-dependencies]", "dev = ["] + _uv_edges(g, g.dev) + ["]"]
            out += ["", "[package.metadata]", "requires-dist = ["]
            for edge in sorted(pkg.deps, key=lambda e: g.packages[e.target].name):
                out.append("    " + _uv_requirement(g, edge) + ",")
            out += ["]", "", "[package.metadata.requires-dev]", "dev = ["]
            for edge in sorted(g.dev, key=lambda e: g.packages[e.target].name):
                out.append("    " + _uv_requirement(g, edge) + ",")
            out.append("]")
        out.append("")
    return "\n".join(out)


def _uv_requirement(g: Graph, edge: Edge) -> str:
    fields = [f'name = "{g.packages[edge.target].name}"']
    if edge.extras:
        fields.append("extras = [" + ", ".join(f'"{e}"' for e in edge.extras) + "]")
    if edge.marker:
        fields.append(f'marker = "{edge.marker}"')
    fields.append('specifier = ">=0.1"')
    return "{ " + ", ".join(fields) + " }"


def uv_pyproject(g: Graph) -> str:
    root = g.packages[0]
    lines = ["[project]", 'name = "app"', 'version = "0.1.0"', 'requires-python = ">=3.9"']
    lines.append("dependencies = [")
    for edge in sorted(root.deps, key=lambda e: g.packages[e.target].name):
        lines.append("    " + json.dumps(_pep508(g, edge)) + ",")
    lines += ["]", "", "[dependency-groups]", "dev = ["]
    for edge in sorted(g.dev, key=lambda e: g.packages[e.target].name):
        lines.append("    " + json.dumps(_pep508(g, edge)) + ",")
    # A build system makes the root a package, which uv locks as `editable = "."` (without one
    # it would be `virtual`), as uv_lock writes it.
    lines += ["]", "", "[build-system]", 'requires = ["hatchling"]',
              'build-backend = "hatchling.build"', ""]
    return "\n".join(lines)


def _pep508(g: Graph, edge: Edge) -> str:
    text = g.packages[edge.target].name
    if edge.extras:
        text += "[" + ",".join(edge.extras) + "]"
    text += ">=0.1"
    if edge.marker:
        text += "; " + edge.marker
    return text


# ---------------------------------------------------------------- poetry.lock (2.1)


def _poetry_marker(marker: str) -> str:
    return marker.replace("'", '\\"')


def poetry_lock(g: Graph, content_hash: str = "0" * 64) -> str:
    out: List[str] = []
    dev = {e.target for e in g.dev}
    order = sorted(range(1, len(g.packages)), key=lambda i: (g.packages[i].name, i))
    for i in order:
        pkg = g.packages[i]
        dist = pkg.name.replace("-", "_")
        out += [
            "[[package]]",
            f'name = "{pkg.name}"',
            f'version = "{pkg.version}"',
            f'description = "Synthetic package {pkg.name}"',
            "optional = false",
            'python-versions = ">=3.9"',
            'groups = ["dev", "main"]' if i in dev else 'groups = ["main"]',
        ]
        if pkg.fork_marker:
            out.append(f'markers = "{_poetry_marker(pkg.fork_marker)}"')
        out.append("files = [")
        for tag in pkg.wheels:
            digest = _hash(pkg.name, pkg.version, tag)
            wheel = f"{dist}-{pkg.version}-{tag}.whl"
            out.append(f'    {{file = "{wheel}", hash = "sha256:{digest}"}},')
        digest = _hash(pkg.name, pkg.version, "sdist")
        out.append(f'    {{file = "{dist}-{pkg.version}.tar.gz", hash = "sha256:{digest}"}},')
        out.append("]")
        if pkg.deps:
            out += ["", "[package.dependencies]"]
            out += _poetry_deps(g, pkg.deps)
        if pkg.extras:
            out += ["", "[package.extras]"]
            for extra, edges in sorted(pkg.extras.items()):
                reqs = ", ".join(f'"{g.packages[e.target].name} (>=0.1)"' for e in edges)
                out.append(f"{extra} = [{reqs}]")
        out.append("")
    out += [
        "[metadata]",
        'lock-version = "2.1"',
        'python-versions = ">=3.9"',
        f'content-hash = "{content_hash}"',
        "",
    ]
    return "\n".join(out)


def _poetry_deps(g: Graph, edges: List[Edge]) -> List[str]:
    by_name: Dict[str, List[Tuple[Edge, int, Optional[str]]]] = {}
    for edge in edges:
        for index, marker in _targets(g, edge):
            by_name.setdefault(g.packages[index].name, []).append((edge, index, marker))
    lines = []
    for name in sorted(by_name):
        items = []
        for edge, index, marker in by_name[name]:
            fields = [f'version = "{_range(g.packages[index].version)}"' if len(by_name[name]) == 1
                      else f'version = "{g.packages[index].version}"']
            if marker:
                fields.append(f'markers = "{_poetry_marker(marker)}"')
            if edge.extras:
                fields.append("extras = [" + ", ".join(f'"{e}"' for e in edge.extras) + "]")
            items.append("{" + ", ".join(fields) + "}")
        if len(items) == 1 and items[0].count("=") == 2 and "," in items[0][:-2]:
            lines.append(f"{name} = {items[0][len('{version = '):-1]}")
        elif len(items) == 1:
            lines.append(f"{name} = {items[0]}")
        else:
            lines.append(f"{name} = [{', '.join(items)}]")
    return lines


def _range(version: str) -> str:
    """A constraint like real locks hold (`>=2.31,<3`), satisfied by the locked version."""
    major, minor = version.split(".")[:2]
    return f">={major}.{minor},<{int(major) + 1}"


def poetry_pyproject(g: Graph) -> str:
    root = g.packages[0]
    lines = [
        "[project]",
        'name = "app"',
        'version = "0.1.0"',
        'requires-python = ">=3.9"',
        "dependencies = [",
    ]
    for edge in sorted(root.deps, key=lambda e: g.packages[e.target].name):
        lines.append("    " + json.dumps(_pep508(g, edge)) + ",")
    lines += [
        "]",
        "",
        "[tool.poetry]",
        "package-mode = false",
        "",
        "[tool.poetry.group.dev.dependencies]",
    ]
    for edge in sorted(g.dev, key=lambda e: g.packages[e.target].name):
        lines.append(f'{g.packages[edge.target].name} = ">=0.1"')
    lines.append("")
    return "\n".join(lines)


def write_uv_project(directory: Path, count: int) -> Path:
    g = graph(count)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(uv_pyproject(g), encoding="utf-8")
    (directory / "uv.lock").write_text(uv_lock(g), encoding="utf-8")
    return directory


def write_poetry_project(directory: Path, count: int, content_hash: str = "0" * 64) -> Path:
    g = graph(count)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(poetry_pyproject(g), encoding="utf-8")
    (directory / "poetry.lock").write_text(poetry_lock(g, content_hash), encoding="utf-8")
    return directory


# ---------------------------------------------------------------- a small, hand-shaped project

# name -> (version, dependencies as (name, uv marker or None)); "app" is the project itself.
SMALL = {
    "app": ("0.1.0", [("requests", None), ("rich", None), ("tomli", "python_full_version < '3.11'"),
                      ("colorama", "sys_platform == 'win32'")]),
    "requests": ("2.32.4", [("certifi", None), ("charset-normalizer", None), ("idna", None),
                            ("urllib3", None)]),
    "certifi": ("2025.6.15", []),
    "charset-normalizer": ("3.4.2", []),
    "idna": ("3.10", []),
    "urllib3": ("2.5.0", []),
    "rich": ("14.0.0", [("markdown-it-py", None), ("pygments", None),
                        ("typing-extensions", "python_full_version < '3.11'")]),
    "markdown-it-py": ("3.0.0", [("mdurl", None)]),
    "mdurl": ("0.1.2", []),
    "pygments": ("2.19.2", []),
    "typing-extensions": ("4.14.0", []),
    "tomli": ("2.2.1", []),
    "colorama": ("0.4.6", []),
    "pytest": ("8.4.1", [("colorama", "sys_platform == 'win32'"),
                         ("exceptiongroup", "python_full_version < '3.11'"), ("iniconfig", None),
                         ("packaging", None), ("pluggy", None),
                         ("tomli", "python_full_version < '3.11'")]),
    "exceptiongroup": ("1.3.0", [("typing-extensions", "python_full_version < '3.13'")]),
    "iniconfig": ("2.1.0", []),
    "packaging": ("25.0", []),
    "pluggy": ("1.6.0", []),
}
SMALL_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [
    "requests>=2.31",
    "rich>=13",
    'tomli>=2; python_version < "3.11"',
    'colorama; sys_platform == "win32"',
]

[dependency-groups]
dev = ["pytest>=8"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.ruff]
line-length = 100
"""


def small_uv_lock() -> str:
    """uv.lock of SMALL_PYPROJECT, spelled as uv spells it (python_full_version, single quotes),
    so the freshness check compares markers by meaning, as it does for most real projects."""
    out = ["version = 1", "revision = 3", 'requires-python = ">=3.9"', ""]
    specs = {"requests": ">=2.31", "rich": ">=13", "tomli": ">=2"}
    for name in sorted(SMALL):
        version, deps = SMALL[name]
        out += ["[[package]]", f'name = "{name}"', f'version = "{version}"']
        out.append('source = { editable = "." }' if name == "app" else
                   f'source = {{ registry = "{INDEX}" }}')
        if deps:
            out.append("dependencies = [")
            for dep, marker in sorted(deps):
                out.append(f'    {{ name = "{dep}"' + (f', marker = "{marker}"' if marker else "")
                           + " },")
            out.append("]")
        if name == "app":
            out += ["", "[package.dev-dependencies]", 'dev = [', '    { name = "pytest" },', "]",
                    "", "[package.metadata]", "requires-dist = ["]
            for dep, marker in sorted(deps):
                fields = [f'name = "{dep}"'] + ([f'marker = "{marker}"'] if marker else [])
                fields += [f'specifier = "{specs[dep]}"'] if dep in specs else []
                out.append("    { " + ", ".join(fields) + " },")
            out += ["]", "", "[package.metadata.requires-dev]",
                    'dev = [{ name = "pytest", specifier = ">=8" }]', ""]
            continue
        dist = name.replace("-", "_")
        digest = _hash(name, version, "sdist")
        out.append(f'sdist = {{ url = "{FILES}/{digest[:2]}/{dist}-{version}.tar.gz", '
                   f'hash = "sha256:{digest}", size = {int(digest[:5], 16)} }}')
        digest = _hash(name, version, "py3-none-any")
        out += ["wheels = [", f'    {{ url = "{FILES}/{digest[:2]}/{dist}-{version}-py3-none-any'
                f'.whl", hash = "sha256:{digest}", size = {int(digest[:5], 16)} }},', "]", ""]
    return "\n".join(out)


def write_small_uv_project(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(SMALL_PYPROJECT, encoding="utf-8")
    (directory / "uv.lock").write_text(small_uv_lock(), encoding="utf-8")
    return directory
