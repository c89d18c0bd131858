"""uv projects of many shapes for the freshness oracle: each `SHAPES` entry writes a project
(not locked) that `uv lock` can lock offline against the loopback index of tests/conftest.py.

Members are built by `tinybuild` (shipped as a wheel by the index) or, where a shape needs
metadata that only a build knows (dynamic version or dependencies), by `dynbuild`, an in-tree
backend (`backend-path`) that fills `dynamic` fields the way setuptools does: the version from a
VERSION file, dependencies from `[tool.setuptools.dynamic] dependencies = {file = [...]}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Tuple

from conftest import write
from tinybuild import BACKEND_SOURCE

DYNBUILD_SOURCE = BACKEND_SOURCE.replace(
    '''    if tomllib is None:
        return _mini_toml(data.decode())["project"]
    return tomllib.loads(data.decode())["project"]''',
    '''    config = tomllib.loads(data.decode())
    project = dict(config["project"])
    dynamic = project.get("dynamic", [])
    if "version" in dynamic:
        project["version"] = open("VERSION").read().strip() if os.path.exists("VERSION") else "0.1.0"
    if "dependencies" in dynamic:
        spec = config["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
        lines = []
        for name in [spec] if isinstance(spec, str) else spec:
            lines += [l.split("#")[0].strip() for l in open(name)]
        project["dependencies"] = [l for l in lines if l]
    return project''',
)
assert DYNBUILD_SOURCE != BACKEND_SOURCE

TINY = '[build-system]\nrequires = ["tinybuild"]\nbuild-backend = "tinybuild"\n'
DYN = '[build-system]\nrequires = []\nbuild-backend = "dynbuild"\nbackend-path = ["_build"]\n'


def project(root: Path, rel: str, text: str, backend: str = TINY) -> None:
    """pyproject.toml (`text` + a build system) and a package directory for the project at
    `root/rel`; the name is read from `name = "..."` in `text`."""
    name = text.split('name = "', 1)[1].split('"', 1)[0] if 'name = "' in text else "root"
    write(root / rel / "pyproject.toml", text.rstrip("\n") + "\n\n" + backend)
    write(root / rel / "src" / name.replace("-", "_") / "__init__.py", "")
    if backend == DYN:
        write(root / rel / "_build" / "dynbuild.py", DYNBUILD_SOURCE)


def member(root: Path, rel: str, name: str, deps: str, extra: str = "",
           version: str = 'version = "1.0"') -> None:
    project(root, rel, f'[project]\nname = "{name}"\n{version}\nrequires-python = ">=3.9"\n'
                       f"dependencies = [{deps}]\n{extra}")


def app(root: Path, _git: str) -> None:
    """A single project: dependencies with extras and markers, extras, groups (one included by
    another), constraint/override/build-constraint/exclude settings."""
    project(root, ".", '''[project]
name = "app"
version = "0.1.0"
description = "demo"
requires-python = ">=3.9"
dependencies = [
    "alpha>=1",
    "gamma[fast]",
    "epsilon; sys_platform != 'win32'",
]

[project.optional-dependencies]
docs = ["docsgen"]
tools = ["devtool>=1.0"]

[dependency-groups]
dev = ["devtool==1.0", {include-group = "lint"}]
lint = ["zeta"]

[tool.uv]
constraint-dependencies = ["beta<3"]
override-dependencies = ["delta>=1"]
build-constraint-dependencies = ["tinybuild<2"]

[tool.ruff]
line-length = 100
''')


def ws_root(root: Path, _git: str) -> None:
    """A root project `pkg` whose `[tool.uv.sources]` apply to the members: `a` and `b` depend
    on `pkg` with no sources of their own, `c` depends on `a` and shadows the root's entry."""
    project(root, ".", '''[project]
name = "pkg"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[tool.uv.workspace]
members = ["members/*"]

[tool.uv.sources]
pkg = { workspace = true }
a = { workspace = true }
''')
    member(root, "members/a", "a", '"pkg", "beta>=1"')
    member(root, "members/b", "b", '"pkg", "gamma"',
           '\n[dependency-groups]\ntest = ["zeta", "a"]\n')
    member(root, "members/c", "c", '"a", "delta"',
           '\n[tool.uv.sources]\na = { workspace = true }\n')


def ws_virtual(root: Path, _git: str) -> None:
    """A virtual root (no [project]) with groups and default-groups; members depending on
    members through their own sources; one member excluded."""
    write(root / "pyproject.toml", '''[tool.uv.workspace]
members = ["packages/*"]
exclude = ["packages/skip"]

[dependency-groups]
dev = ["devtool==1.0", {include-group = "docs"}]
docs = ["docsgen"]

[tool.uv]
default-groups = ["dev"]
''')
    member(root, "packages/lib-a", "lib-a", '"alpha>=1"')
    member(root, "packages/lib-b", "lib-b", '"lib-a", "gamma[fast]"',
           '\n[tool.uv.sources]\nlib-a = { workspace = true }\n')
    member(root, "packages/skip", "skip", '"zeta"')


def ws_dynamic(root: Path, _git: str) -> None:
    """The shape of the issue: a root `pkg` with `dynamic = ["version", "dependencies"]` and
    `pkg = { workspace = true }` in its sources; members depend on `pkg` without sources of their
    own; one member's dependencies are dynamic too (read from a file, as setuptools does)."""
    project(root, ".", '''[project]
name = "pkg"
dynamic = ["version", "dependencies"]
requires-python = ">=3.9"

[tool.setuptools.dynamic]
dependencies = {file = ["requirements.txt"]}

[tool.uv.workspace]
members = ["members/*"]

[tool.uv.sources]
pkg = { workspace = true }
''', DYN)
    write(root / "requirements.txt", "alpha>=1\n")
    member(root, "members/x", "x", '"pkg", "beta"')
    member(root, "members/y", "y", '"pkg", "gamma"')
    project(root, "members/z", '''[project]
name = "z"
dynamic = ["version", "dependencies"]
requires-python = ">=3.9"

[tool.setuptools.dynamic]
dependencies = {file = ["requirements.txt"]}
''', DYN)
    write(root / "members/z/requirements.txt", "pkg\ndelta\n")


def sources(root: Path, git: str) -> None:
    """A project whose sources are a path, a git repository, a named index, a source under a
    marker and one for an extra only."""
    project(root, ".", f'''[project]
name = "src-app"
version = "1.0"
requires-python = ">=3.9"
dependencies = [
    "sib",
    "gitpkg",
    "beta",
    "gamma",
]

[project.optional-dependencies]
extra-sib = ["sib2"]

[tool.uv.sources]
sib = {{ path = "libs/sib" }}
gitpkg = {{ git = "{git}" }}
beta = {{ index = "local" }}
gamma = {{ path = "libs/gamma", marker = "sys_platform == 'linux'" }}
sib2 = {{ path = "libs/sib2", extra = "extra-sib" }}

[[tool.uv.index]]
name = "local"
url = "INDEX_URL"
explicit = true
''')
    member(root, "libs/sib", "sib", '"zeta"')
    member(root, "libs/sib2", "sib2", "")
    member(root, "libs/gamma", "gamma", "")


def settings(root: Path, _git: str) -> None:
    """uv settings recorded in the lock: environments, required environments, conflicts,
    pre-release mode, group requires-python."""
    project(root, ".", '''[project]
name = "tuned"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["alpha"]

[project.optional-dependencies]
one = ["beta<2"]
two = ["beta>=2"]

[dependency-groups]
modern = ["zeta"]

[tool.uv]
environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]
required-environments = ["sys_platform == 'linux'"]
conflicts = [[{ extra = "one" }, { extra = "two" }]]

[tool.uv.dependency-groups]
modern = { requires-python = ">=3.10" }
''')


# Build-filled metadata (issue 18.2): real backends repacked from the test venv and served by the
# module's own index (tests/backendwheels.py); hatch-requirements-txt by a stand-in (below).
POETRY_CORE = ('[build-system]\nrequires = ["poetry-core>=2.0"]\n'
               'build-backend = "poetry.core.masonry.api"\n')
POETRY_CORE_1 = ('[build-system]\nrequires = ["poetry-core>=1.0"]\n'
                 'build-backend = "poetry.core.masonry.api"\n')
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'

# hatchling with hatch-requirements-txt is not installed here and the tests have no network: a
# stand-in backend that reports what the hook reports (`files` of
# [tool.hatch.metadata.hooks.requirements_txt], lines starting with an option skipped, options
# after a requirement dropped, `optional-dependencies` tables of files).
HATCHREQ_SOURCE = BACKEND_SOURCE.replace(
    '''    if tomllib is None:
        return _mini_toml(data.decode())["project"]
    return tomllib.loads(data.decode())["project"]''',
    '''    config = tomllib.loads(data.decode())
    project = dict(config["project"])
    hook = config["tool"]["hatch"]["metadata"]["hooks"]["requirements_txt"]

    def read(names):
        out = []
        for name in names:
            for line in open(name):
                line = line.split("#")[0].strip()
                if not line or line.startswith("-"):
                    continue
                words = line.split()
                cut = next((i for i, w in enumerate(words) if i and w.startswith("-")), len(words))
                out.append(" ".join(words[:cut]))
        return out

    if "dependencies" in project.get("dynamic", []):
        project["dependencies"] = read(hook.get("files", ["requirements.txt"]))
    if "optional-dependencies" in project.get("dynamic", []):
        project["optional-dependencies"] = {
            extra: read(names) for extra, names in hook.get("optional-dependencies", {}).items()}
    return project''',
)
assert HATCHREQ_SOURCE != BACKEND_SOURCE
HATCHREQ = '[build-system]\nrequires = []\nbuild-backend = "hatchreq"\nbackend-path = ["_build"]\n'


def poetry2(root: Path, _git: str) -> None:
    """The issue's shape (Poetry 2 layout): `[project]` without `dependencies` beside
    `[tool.poetry.dependencies]`, built by poetry-core; uv reads the metadata from the build. Its
    `[dependency-groups]` uv still reads from pyproject.toml."""
    write(root / "pyproject.toml", '''[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"

[tool.poetry.dependencies]
alpha = ">=1"
gamma = { version = "*", optional = true }

[tool.poetry.extras]
fast = ["gamma"]

[dependency-groups]
dev = ["devtool"]

''' + POETRY_CORE)
    write(root / "demo" / "__init__.py", "")


def poetry1_path(root: Path, _git: str) -> None:
    """A Poetry 1 layout (`[tool.poetry]` only, no `[project]`: uv cannot lock it as a project
    of its own, so it is a path dependency of one), and a Poetry 2 layout beside it."""
    project(root, ".", '''[project]
name = "uses-poetry"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["legacy", "modern"]

[tool.uv.sources]
legacy = { path = "libs/legacy" }
modern = { path = "libs/modern" }
''')
    write(root / "libs/legacy/pyproject.toml", '''[tool.poetry]
name = "legacy"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = ">=3.9"
alpha = "^1.0"

''' + POETRY_CORE_1)
    write(root / "libs/legacy/legacy/__init__.py", "")
    write(root / "libs/modern/pyproject.toml", '''[project]
name = "modern"
version = "0.1.0"
requires-python = ">=3.9"

[tool.poetry.dependencies]
gamma = "*"

''' + POETRY_CORE)
    write(root / "libs/modern/modern/__init__.py", "")


def setuptools_file(root: Path, _git: str) -> None:
    """`dynamic = ["dependencies", "optional-dependencies"]` filled by the real setuptools from
    `[tool.setuptools.dynamic]` files."""
    write(root / "pyproject.toml", '''[project]
name = "st-app"
version = "1.0"
requires-python = ">=3.9"
dynamic = ["dependencies", "optional-dependencies"]

[tool.setuptools]
packages = ["st_app"]

[tool.setuptools.dynamic]
dependencies = {file = ["requirements.txt"]}
optional-dependencies.docs = {file = ["docs.txt"]}

''' + SETUPTOOLS)
    write(root / "st_app" / "__init__.py", "")
    write(root / "requirements.txt", "alpha>=1\nepsilon\n")
    write(root / "docs.txt", "docsgen\n")


def hatch_requirements(root: Path, _git: str) -> None:
    """`dynamic = ["dependencies", "optional-dependencies"]` filled by hatch-requirements-txt
    (the stand-in above)."""
    write(root / "pyproject.toml", '''[project]
name = "hr-app"
version = "1.0"
requires-python = ">=3.9"
dynamic = ["dependencies", "optional-dependencies"]

[tool.hatch.metadata.hooks.requirements_txt]
files = ["requirements.txt"]

[tool.hatch.metadata.hooks.requirements_txt.optional-dependencies]
fast = ["fast.txt"]

''' + HATCHREQ)
    write(root / "src" / "hr_app" / "__init__.py", "")
    write(root / "_build" / "hatchreq.py", HATCHREQ_SOURCE)
    write(root / "requirements.txt", "alpha>=1\n--index-url http://index.invalid/simple\n"
                                      "beta --hash=sha256:00\n")
    write(root / "fast.txt", "gamma[fast]\n")


SHAPES: Dict[str, Callable[[Path, str], None]] = {
    "app": app,
    "ws-root-sources": ws_root,
    "ws-virtual": ws_virtual,
    "ws-dynamic-root": ws_dynamic,
    "sources": sources,
    "settings": settings,
    "poetry2": poetry2,
    "poetry1-path": poetry1_path,
    "setuptools-file": setuptools_file,
    "hatch-requirements": hatch_requirements,
}

# Shapes whose build backend the oracle's index must serve (repacked from the test venv).
BACKENDS: Dict[str, Tuple[str, ...]] = {
    "poetry2": ("poetry-core",),
    "poetry1-path": ("poetry-core",),
    "setuptools-file": ("setuptools",),
}
