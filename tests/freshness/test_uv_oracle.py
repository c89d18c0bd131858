"""chef's uv.lock check against `uv lock --check` itself, on many shapes and many edits.

Each shape of tests/uvshapes.py is locked once by the real uv against the loopback index; each
mutation copies the locked tree, edits it (pyproject.toml or the lock), and asks both uv
(`uv lock --check --offline`) and chef. The contract:

- uv passes -> chef never refuses (no reasons; warnings are allowed: chef may be unsure);
- uv fails -> chef says stale, by a reason or at least a warning.

The table printed at the end shows every case (shape, mutation, uv's verdict, chef's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
from backendwheels import repack
from conftest import uv_bin, write
from index_server import IndexServer
from uvshapes import BACKENDS, SHAPES
from workspace import git_package

from chef import freshness
from chef.errors import ChefError

pytestmark = pytest.mark.slow

Edit = Callable[[Path], None]


def sub(old: str, new: str, rel: str = "pyproject.toml") -> Edit:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def append(text: str, rel: str = "pyproject.toml") -> Edit:
    def apply(root: Path) -> None:
        path = root / rel
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(old + text, encoding="utf-8")

    return apply


def lock_sub(package: str, old: str, new: str) -> Edit:
    """Edit uv.lock inside one `[[package]]` entry (what an older or newer uv may write)."""
    def apply(root: Path) -> None:
        path = root / "uv.lock"
        text = path.read_text(encoding="utf-8")
        head, sep, rest = text.partition(f'[[package]]\nname = "{package}"\n')
        assert sep and old in rest, f"{old!r} not in {package}'s entry"
        path.write_text(head + sep + rest.replace(old, new, 1), encoding="utf-8")

    return apply


def both(*edits: Edit) -> Edit:
    def apply(root: Path) -> None:
        for e in edits:
            e(root)

    return apply


def remove(rel: str) -> Edit:
    return lambda root: shutil.rmtree(root / rel)


def copy(src: str, dst: str) -> Edit:
    def apply(root: Path) -> None:
        shutil.copytree(root / src, root / dst)

    return apply


def new_member(rel: str, name: str, deps: str = "") -> Edit:
    def apply(root: Path) -> None:
        write(root / rel / "pyproject.toml",
              f'[project]\nname = "{name}"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
              f'dependencies = [{deps}]\n\n[build-system]\nrequires = ["tinybuild"]\n'
              'build-backend = "tinybuild"\n')
        write(root / rel / "src" / name.replace("-", "_") / "__init__.py", "")

    return apply


def nothing(root: Path) -> None:
    return None


MUTATIONS: List[Tuple[str, str, Edit]] = [
    # --- a single project
    ("app", "nothing", nothing),
    ("app", "add dependency", sub('"alpha>=1",', '"alpha>=1",\n    "delta",')),
    ("app", "drop dependency", sub('    "gamma[fast]",\n', "")),
    ("app", "bump specifier", sub('"alpha>=1"', '"alpha>=2"')),
    ("app", "same range respelled", sub('"alpha>=1"', '"alpha>=1.0,>=0.5"')),
    ("app", "range split over two lines", sub('"alpha>=1",', '"alpha>=1",\n    "alpha<9",')),
    ("app", "drop extras of a dependency", sub('"gamma[fast]"', '"gamma"')),
    ("app", "add marker", sub('"alpha>=1"', "\"alpha>=1; python_version >= '3.10'\"")),
    ("app", "marker implied by requires-python", sub('"alpha>=1"',
                                                     "\"alpha>=1; python_version >= '3.9'\"")),
    ("app", "marker respelled (platform_system)", sub(
        "\"epsilon; sys_platform != 'win32'\"", "\"epsilon; platform_system != 'Windows'\"")),
    ("app", "marker meaning changed", sub("sys_platform != 'win32'", "sys_platform == 'win32'")),
    ("app", "reorder, respell, comments", sub('''    "alpha>=1",
    "gamma[fast]",''', '''    "Gamma [FAST]",  # fast
    # a comment
    "alpha >= 1",''')),
    ("app", "description and tool table", both(sub('description = "demo"', 'description = "x"'),
                                               sub("line-length = 100", "line-length = 90"))),
    ("app", "version bump", sub('version = "0.1.0"', 'version = "0.2.0"')),
    ("app", "requires-python", sub('requires-python = ">=3.9"', 'requires-python = ">=3.10"')),
    ("app", "add extra", sub('docs = ["docsgen"]', 'docs = ["docsgen"]\nfast = ["zeta"]')),
    ("app", "drop extra", sub('tools = ["devtool>=1.0"]\n', "")),
    ("app", "change extra's specifier", sub('"devtool>=1.0"', '"devtool>=1.1"')),
    ("app", "add group dependency", sub('lint = ["zeta"]', 'lint = ["zeta", "beta"]')),
    ("app", "new empty group", sub('lint = ["zeta"]', 'lint = ["zeta"]\nempty = []')),
    ("app", "drop include-group", sub(', {include-group = "lint"}', "")),
    ("app", "inline the included group", sub('{include-group = "lint"}', '"zeta"')),
    ("app", "legacy dev-dependencies", sub("[tool.uv]\n",
                                           '[tool.uv]\ndev-dependencies = ["docsgen"]\n')),
    ("app", "default-groups", sub("[tool.uv]\n", '[tool.uv]\ndefault-groups = ["lint"]\n')),
    ("app", "constraint changed", sub('"beta<3"', '"beta<2"')),
    ("app", "constraint added", sub('"beta<3"', '"beta<3", "zeta<9"')),
    ("app", "override changed", sub('"delta>=1"', '"delta>=0.5"')),
    ("app", "build constraint dropped", sub('build-constraint-dependencies = ["tinybuild<2"]\n',
                                            "")),
    ("app", "exclude-dependencies", sub("[tool.uv]\n",
                                        '[tool.uv]\nexclude-dependencies = ["zeta"]\n')),
    ("app", "prerelease setting", sub("[tool.uv]\n", '[tool.uv]\nprerelease = "allow"\n')),
    ("app", "exclude-newer setting", sub("[tool.uv]\n",
                                         '[tool.uv]\nexclude-newer = "2030-01-01T00:00:00Z"\n')),
    ("app", "root becomes package = false", sub("[tool.uv]\n", "[tool.uv]\npackage = false\n")),
    ("app", "lock: marker respelled by hand", lock_sub(
        "app", "marker = \"sys_platform != 'win32'\"", "marker = 'sys_platform != \"win32\"'")),
    ("app", "lock: specifier dropped", lock_sub("app", '{ name = "alpha", specifier = ">=1" }',
                                                '{ name = "alpha" }')),
    # --- root sources apply to members
    ("ws-root-sources", "nothing", nothing),
    ("ws-root-sources", "member adds a third-party dependency", sub(
        '"pkg", "beta>=1"', '"pkg", "beta>=1", "zeta"', "members/a/pyproject.toml")),
    ("ws-root-sources", "member drops the root dependency", sub(
        '"pkg", "gamma"', '"gamma"', "members/b/pyproject.toml")),
    ("ws-root-sources", "member adds a member dependency", sub(
        '"pkg", "gamma"', '"pkg", "gamma", "a"', "members/b/pyproject.toml")),
    ("ws-root-sources", "member dependency without any source", sub(
        '"pkg", "beta>=1"', '"pkg", "beta>=1", "b"', "members/a/pyproject.toml")),
    ("ws-root-sources", "member shadows the root source identically", append(
        "\n[tool.uv.sources]\npkg = { workspace = true }\n", "members/a/pyproject.toml")),
    ("ws-root-sources", "root source moved into the member", both(
        sub("a = { workspace = true }\n", ""),
        append("\n[tool.uv.sources]\na = { workspace = true }\n", "members/b/pyproject.toml"))),
    ("ws-root-sources", "member source points at the root by path", append(
        '\n[tool.uv.sources]\npkg = { path = "../..", editable = true }\n',
        "members/a/pyproject.toml")),
    ("ws-root-sources", "member workspace source not editable", sub(
        "a = { workspace = true }", "a = { workspace = true, editable = false }",
        "members/c/pyproject.toml")),
    ("ws-root-sources", "workspace source not editable", sub(
        "pkg = { workspace = true }", "pkg = { workspace = true, editable = false }")),
    ("ws-root-sources", "member becomes package = false", append(
        "\n[tool.uv]\npackage = false\n", "members/b/pyproject.toml")),
    ("ws-root-sources", "member requires-python", sub(
        'requires-python = ">=3.9"', 'requires-python = ">=3.11"', "members/a/pyproject.toml")),
    ("ws-root-sources", "member version bump", sub(
        'version = "1.0"', 'version = "1.1"', "members/c/pyproject.toml")),
    ("ws-root-sources", "member group gains a dependency", sub(
        'test = ["zeta", "a"]', 'test = ["zeta", "a", "delta"]', "members/b/pyproject.toml")),
    ("ws-root-sources", "new member", new_member("members/d", "d", '"zeta"')),
    ("ws-root-sources", "member removed", both(remove("members/c"))),
    ("ws-root-sources", "member unmanaged", append("\n[tool.uv]\nmanaged = false\n",
                                                   "members/c/pyproject.toml")),
    ("ws-root-sources", "lock: pkg without source in a member (issue)", lock_sub(
        "a", '{ name = "pkg", editable = "." }', '{ name = "pkg" }')),
    ("ws-root-sources", "lock: member dependency not editable", lock_sub(
        "c", '{ name = "a", editable = "members/a" }', '{ name = "a", directory = "members/a" }')),
    # --- virtual root, excluded member, default groups
    ("ws-virtual", "nothing", nothing),
    ("ws-virtual", "root group gains a dependency", sub('docs = ["docsgen"]',
                                                        'docs = ["docsgen", "zeta"]')),
    ("ws-virtual", "root group specifier", sub('"devtool==1.0"', '"devtool==1.1"')),
    ("ws-virtual", "root group drops include", sub(', {include-group = "docs"}', "")),
    ("ws-virtual", "root default-groups", sub('default-groups = ["dev"]',
                                              'default-groups = ["dev", "docs"]')),
    ("ws-virtual", "exclude lifted", sub('exclude = ["packages/skip"]\n', "")),
    ("ws-virtual", "member excluded", sub('exclude = ["packages/skip"]',
                                          'exclude = ["packages/skip", "packages/lib-b"]')),
    ("ws-virtual", "member extras changed", sub(
        '"gamma[fast]"', '"gamma"', "packages/lib-b/pyproject.toml")),
    ("ws-virtual", "member source removed", sub(
        "[tool.uv.sources]\nlib-a = { workspace = true }\n", "", "packages/lib-b/pyproject.toml")),
    ("ws-virtual", "comment in the root", sub("[tool.uv.workspace]",
                                              "# the workspace\n[tool.uv.workspace]")),
    # --- the shape: dynamic root metadata
    ("ws-dynamic-root", "nothing", nothing),
    ("ws-dynamic-root", "lock: pkg without source in a member (issue)", lock_sub(
        "x", '{ name = "pkg", editable = "." }', '{ name = "pkg" }')),
    ("ws-dynamic-root", "lock: pkg without source in two members", both(
        lock_sub("x", '{ name = "pkg", editable = "." }', '{ name = "pkg" }'),
        lock_sub("y", '{ name = "pkg", editable = "." }', '{ name = "pkg" }'))),
    ("ws-dynamic-root", "root requirements file changed", sub("alpha>=1", "alpha>=2",
                                                              "requirements.txt")),
    ("ws-dynamic-root", "dynamic member's file gains a dependency", sub(
        "delta\n", "delta\nzeta\n", "members/z/requirements.txt")),
    ("ws-dynamic-root", "dynamic member's file drops one", sub(
        "delta\n", "", "members/z/requirements.txt")),
    ("ws-dynamic-root", "static member adds a dependency", sub(
        '"pkg", "beta"', '"pkg", "beta", "zeta"', "members/x/pyproject.toml")),
    ("ws-dynamic-root", "root version file", append("2.0\n", "VERSION")),
    # --- sources of every kind
    ("sources", "nothing", nothing),
    ("sources", "path source moved", both(
        copy("libs/sib", "libs/sib-new"),
        sub('path = "libs/sib" }', 'path = "libs/sib-new" }'))),
    ("sources", "path source editable", sub('path = "libs/sib" }',
                                            'path = "libs/sib", editable = true }')),
    ("sources", "git source gains a branch", sub('gitpkg = { git = "', 'gitpkg = { branch = '
                                                 '"main", git = "')),
    ("sources", "index source dropped", sub('beta = { index = "local" }\n', "")),
    ("sources", "index url changed", sub('url = "http://127.0.0.1:', 'url = "http://localhost:')),
    ("sources", "source marker changed", sub("marker = \"sys_platform == 'linux'\"",
                                             "marker = \"sys_platform == 'darwin'\"")),
    ("sources", "extra-only source made global", sub(', extra = "extra-sib"', "")),
    ("sources", "dependency spelled differently", sub('"sib",', '"Sib",')),
    ("sources", "path dependency gains a dependency", sub('"zeta"', '"zeta", "delta"',
                                                          "libs/sib/pyproject.toml")),
    ("sources", "path dependency's requirement unreadable", sub('"zeta"', '"zeta >>> 1"',
                                                                "libs/sib/pyproject.toml")),
    # --- settings uv records
    ("settings", "nothing", nothing),
    ("settings", "environments changed", sub(
        "environments = [\"sys_platform == 'linux'\", \"sys_platform == 'darwin'\"]",
        "environments = [\"sys_platform == 'linux'\"]")),
    ("settings", "environments respelled", sub(
        "\"sys_platform == 'darwin'\"]", "\"platform_system == 'Darwin'\"]")),
    ("settings", "conflicts dropped", sub(
        'conflicts = [[{ extra = "one" }, { extra = "two" }]]\n', "")),
    ("settings", "group requires-python changed", sub(
        'modern = { requires-python = ">=3.10" }', 'modern = { requires-python = ">=3.11" }')),
    ("settings", "group gains a dependency", sub('modern = ["zeta"]', 'modern = ["zeta", "delta"]')),
    # --- metadata a build fills (issue 18.2): uv builds it, chef warns and uses the lock where
    # it cannot read what the backend reads
    ("poetry2", "nothing", nothing),
    ("poetry2", "tool.poetry dependency added", sub('alpha = ">=1"\n', 'alpha = ">=1"\nbeta = "*"\n')),
    ("poetry2", "tool.poetry dependency bumped", sub('alpha = ">=1"', 'alpha = ">=2"')),
    ("poetry2", "tool.poetry extra dropped", sub('fast = ["gamma"]\n', "")),
    ("poetry2", "group gains a dependency", sub('dev = ["devtool"]', 'dev = ["devtool", "zeta"]')),
    ("poetry2", "tool.poetry dependency new to the lock", sub(
        'alpha = ">=1"\n', 'alpha = ">=1"\nzeta = "*"\n')),
    ("poetry2", "[project] gains optional-dependencies (poetry-core reads [project] alone)", sub(
        'requires-python = ">=3.9"\n',
        'requires-python = ">=3.9"\n\n[project.optional-dependencies]\nfast = ["gamma"]\n')),
    ("poetry2", "[project] gains dependencies", sub('requires-python = ">=3.9"\n',
                                                    'requires-python = ">=3.9"\n'
                                                    'dependencies = ["alpha>=1"]\n')),
    ("poetry1-path", "nothing", nothing),
    ("poetry1-path", "poetry 1 path dependency gains a dependency", sub(
        'alpha = "^1.0"\n', 'alpha = "^1.0"\nzeta = "*"\n', "libs/legacy/pyproject.toml")),
    ("poetry1-path", "poetry 2 path dependency bumps one", sub(
        'gamma = "*"', 'gamma = ">=1"', "libs/modern/pyproject.toml")),
    ("setuptools-file", "nothing", nothing),
    ("setuptools-file", "requirements file gains a dependency", append("zeta\n",
                                                                       "requirements.txt")),
    ("setuptools-file", "requirements file drops one", sub("epsilon\n", "", "requirements.txt")),
    ("setuptools-file", "requirements file comment", append("# a comment\n", "requirements.txt")),
    ("setuptools-file", "extra's file changed", sub("docsgen", "docsgen>=1", "docs.txt")),
    ("hatch-requirements", "nothing", nothing),
    ("hatch-requirements", "requirements file gains a dependency", append("zeta\n",
                                                                          "requirements.txt")),
    ("hatch-requirements", "option line added (the hook skips it)", append(
        "-r other.txt\n", "requirements.txt")),
    ("hatch-requirements", "hash option respelled", sub("--hash=sha256:00", "--hash=sha256:11",
                                                        "requirements.txt")),
    ("hatch-requirements", "extra's file changed", sub("gamma[fast]", "gamma", "fast.txt")),
]


EXPECTED: Dict[Tuple[str, str], Tuple[str, str]] = {
    # (shape, mutation): (uv's verdict, chef's). chef refuses only what it reproduces exactly;
    # where uv fails and chef only warns, the comment says what chef cannot be sure of.
    ("app", "nothing"): ("fresh", "fresh"),
    ("app", "add dependency"): ("stale", "refuses"),
    ("app", "drop dependency"): ("stale", "refuses"),
    ("app", "bump specifier"): ("stale", "refuses"),
    ("app", "same range respelled"): ("fresh", "fresh"),
    ("app", "range split over two lines"): ("stale", "refuses"),
    ("app", "drop extras of a dependency"): ("stale", "refuses"),
    ("app", "add marker"): ("stale", "refuses"),
    ("app", "marker implied by requires-python"): ("fresh", "fresh"),
    ("app", "marker respelled (platform_system)"): ("fresh", "fresh"),
    ("app", "marker meaning changed"): ("stale", "refuses"),
    ("app", "reorder, respell, comments"): ("fresh", "fresh"),
    ("app", "description and tool table"): ("fresh", "fresh"),
    ("app", "version bump"): ("stale", "warns"),  # the project's own version: installs nothing third-party
    ("app", "requires-python"): ("stale", "refuses"),
    ("app", "add extra"): ("stale", "refuses"),
    ("app", "drop extra"): ("stale", "refuses"),
    ("app", "change extra's specifier"): ("stale", "refuses"),
    ("app", "add group dependency"): ("stale", "refuses"),
    ("app", "new empty group"): ("stale", "refuses"),
    ("app", "drop include-group"): ("stale", "refuses"),
    ("app", "inline the included group"): ("fresh", "fresh"),
    ("app", "legacy dev-dependencies"): ("stale", "refuses"),
    ("app", "default-groups"): ("stale", "refuses"),
    ("app", "constraint changed"): ("stale", "refuses"),
    ("app", "constraint added"): ("stale", "refuses"),
    ("app", "override changed"): ("stale", "refuses"),
    ("app", "build constraint dropped"): ("stale", "refuses"),
    ("app", "exclude-dependencies"): ("stale", "refuses"),
    ("app", "prerelease setting"): ("stale", "warns"),  # a uv setting chef does not model
    ("app", "exclude-newer setting"): ("stale", "warns"),  # a uv setting chef does not model
    ("app", "root becomes package = false"): ("stale", "warns"),  # install mode of the project itself
    ("app", "lock: marker respelled by hand"): ("fresh", "fresh"),
    ("app", "lock: specifier dropped"): ("stale", "refuses"),
    ("ws-root-sources", "nothing"): ("fresh", "fresh"),
    ("ws-root-sources", "member adds a third-party dependency"): ("stale", "refuses"),
    ("ws-root-sources", "member drops the root dependency"): ("stale", "refuses"),
    ("ws-root-sources", "member adds a member dependency"): ("stale", "refuses"),
    ("ws-root-sources", "member dependency without any source"): ("stale", "refuses"),
    ("ws-root-sources", "member shadows the root source identically"): ("fresh", "fresh"),
    ("ws-root-sources", "root source moved into the member"): ("fresh", "fresh"),
    ("ws-root-sources", "member source points at the root by path"): ("stale", "warns"),  # local source lowering
    ("ws-root-sources", "member workspace source not editable"): ("fresh", "fresh"),
    ("ws-root-sources", "workspace source not editable"): ("fresh", "fresh"),
    ("ws-root-sources", "member becomes package = false"): ("stale", "warns"),  # install mode of a member
    ("ws-root-sources", "member requires-python"): ("stale", "refuses"),
    ("ws-root-sources", "member version bump"): ("stale", "warns"),  # a member's own version
    ("ws-root-sources", "member group gains a dependency"): ("stale", "refuses"),
    ("ws-root-sources", "new member"): ("stale", "refuses"),
    ("ws-root-sources", "member removed"): ("stale", "refuses"),
    ("ws-root-sources", "member unmanaged"): ("stale", "refuses"),
    ("ws-root-sources", "lock: pkg without source in a member (issue)"): ("stale", "warns"),  # local source lowering
    ("ws-root-sources", "lock: member dependency not editable"): ("stale", "warns"),  # install mode of a member
    ("ws-virtual", "nothing"): ("fresh", "fresh"),
    ("ws-virtual", "root group gains a dependency"): ("stale", "refuses"),
    ("ws-virtual", "root group specifier"): ("stale", "refuses"),
    ("ws-virtual", "root group drops include"): ("stale", "refuses"),
    ("ws-virtual", "root default-groups"): ("stale", "refuses"),
    ("ws-virtual", "exclude lifted"): ("stale", "refuses"),
    ("ws-virtual", "member excluded"): ("stale", "refuses"),
    ("ws-virtual", "member extras changed"): ("stale", "refuses"),
    ("ws-virtual", "member source removed"): ("stale", "warns"),  # local source lowering
    ("ws-virtual", "comment in the root"): ("fresh", "fresh"),
    ("ws-dynamic-root", "nothing"): ("fresh", "fresh"),
    ("ws-dynamic-root", "lock: pkg without source in a member (issue)"): ("stale", "warns"),  # local source lowering
    ("ws-dynamic-root", "lock: pkg without source in two members"): ("stale", "warns"),  # local source lowering
    ("ws-dynamic-root", "root requirements file changed"): ("stale", "warns"),  # a built root's metadata
    ("ws-dynamic-root", "dynamic member's file gains a dependency"): ("stale", "refuses"),
    ("ws-dynamic-root", "dynamic member's file drops one"): ("stale", "warns"),  # read from a file a build reads
    ("ws-dynamic-root", "static member adds a dependency"): ("stale", "refuses"),
    ("ws-dynamic-root", "root version file"): ("fresh", "fresh"),
    ("sources", "nothing"): ("fresh", "fresh"),
    ("sources", "path source moved"): ("stale", "warns"),  # local source lowering
    ("sources", "path source editable"): ("stale", "warns"),  # local source lowering
    ("sources", "git source gains a branch"): ("stale", "refuses"),
    ("sources", "index source dropped"): ("stale", "refuses"),
    ("sources", "index url changed"): ("stale", "refuses"),
    ("sources", "source marker changed"): ("stale", "warns"),  # a local source's marker
    ("sources", "extra-only source made global"): ("fresh", "fresh"),
    ("sources", "dependency spelled differently"): ("fresh", "fresh"),
    ("sources", "path dependency gains a dependency"): ("stale", "warns"),  # a path dependency
    ("sources", "path dependency's requirement unreadable"): ("stale", "warns"),  # path dependency
    ("settings", "nothing"): ("fresh", "fresh"),
    ("settings", "environments changed"): ("stale", "warns"),  # a uv setting chef does not model
    ("settings", "environments respelled"): ("fresh", "fresh"),
    ("settings", "conflicts dropped"): ("stale", "warns"),  # a uv setting chef does not model
    ("settings", "group requires-python changed"): ("stale", "warns"),  # a uv setting chef does not model
    ("settings", "group gains a dependency"): ("stale", "refuses"),
    ("poetry2", "nothing"): ("fresh", "fresh"),  # read as poetry-core fills it
    ("poetry2", "tool.poetry dependency added"): ("stale", "warns"),  # beta is locked already; built
    ("poetry2", "tool.poetry dependency bumped"): ("stale", "warns"),  # read as poetry-core fills it
    ("poetry2", "tool.poetry extra dropped"): ("stale", "warns"),  # read as poetry-core fills it
    ("poetry2", "group gains a dependency"): ("stale", "refuses"),
    ("poetry2", "tool.poetry dependency new to the lock"): ("stale", "refuses"),
    ("poetry2", "[project] gains optional-dependencies (poetry-core reads [project] alone)"): (
        "stale", "refuses"),
    ("poetry2", "[project] gains dependencies"): ("stale", "refuses"),
    ("poetry1-path", "nothing"): ("fresh", "fresh"),  # read as poetry-core fills it
    ("poetry1-path", "poetry 1 path dependency gains a dependency"): ("stale", "warns"),  # a path dependency: warnings only
    ("poetry1-path", "poetry 2 path dependency bumps one"): ("stale", "warns"),  # a path dependency: warnings only
    ("setuptools-file", "nothing"): ("fresh", "fresh"),
    ("setuptools-file", "requirements file gains a dependency"): ("stale", "warns"),  # zeta is locked already; a file setuptools reads
    ("setuptools-file", "requirements file drops one"): ("stale", "warns"),  # read from a file a build reads
    ("setuptools-file", "requirements file comment"): ("fresh", "fresh"),
    ("setuptools-file", "extra's file changed"): ("stale", "warns"),  # read from a file a build reads
    ("hatch-requirements", "nothing"): ("fresh", "fresh"),
    ("hatch-requirements", "requirements file gains a dependency"): ("stale", "refuses"),
    ("hatch-requirements", "option line added (the hook skips it)"): ("fresh", "fresh"),
    ("hatch-requirements", "hash option respelled"): ("fresh", "fresh"),
    ("hatch-requirements", "extra's file changed"): ("stale", "warns"),  # read from a file a build reads
}


@dataclass
class Row:
    shape: str
    mutation: str
    uv: str  # "fresh" / "stale"
    chef: str  # "fresh" / "warns" / "refuses" / "error"
    detail: str


def _env(home: Path, cache: Path) -> Dict[str, str]:
    """The machine's uv settings out of the way (pyproject.toml's [tool.uv] still counts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), UV_CACHE_DIR=str(cache),
               UV_PYTHON_DOWNLOADS="never")
    return env


def _uv(root: Path, env: Dict[str, str], index_url: str, *args: str) -> Tuple[int, str]:
    done = subprocess.run([uv_bin(), "lock", *args, "--index-url", index_url], cwd=root,
                          env=env, capture_output=True, text=True, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[IndexServer]:
    """The test wheelhouse plus the real build backends the build-filled shapes need
    (repacked from this venv: no network), on a loopback index of the module's own."""
    directory = tmp_path_factory.mktemp("oracle-wheels")
    for wheel in wheelhouse.iterdir():
        shutil.copy2(wheel, directory / wheel.name)
    for name in sorted({b for names in BACKENDS.values() for b in names}):
        repack(name, directory)
    with IndexServer(directory) as server:
        yield server


def _missing_backends(shape: str, index: IndexServer) -> List[str]:
    from packaging.utils import canonicalize_name

    have = {str(canonicalize_name(p.name.split("-")[0])) for p in index.wheelhouse.iterdir()}
    return [b for b in BACKENDS.get(shape, ()) if str(canonicalize_name(b)) not in have]


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory, index) -> Iterator[Tuple[  # type: ignore[no-untyped-def]
        Dict[str, Path], Dict[str, str]]]:
    """Every shape written and locked once (one uv cache for the whole module)."""
    top = tmp_path_factory.mktemp("oracle")
    env = _env(top / "home", top / "uv-cache")
    git = git_package(top / "gitpkg")
    out: Dict[str, Path] = {}
    for name, make in SHAPES.items():
        if _missing_backends(name, index):
            continue  # the rows of this shape are skipped, and say why
        root = top / "bases" / name
        make(root, git)
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace("INDEX_URL", index.url))
        code, text = _uv(root, env, index.url)
        assert code == 0, f"{name}: uv lock failed:\n{text}"
        out[name] = root
    yield out, env


def _chef(root: Path) -> Tuple[str, str]:
    try:
        verdict = freshness.check(root, "uv")
    except ChefError as exc:
        return "error", str(exc)
    assert verdict is not None
    if verdict.reasons:
        return "refuses", "; ".join(verdict.reasons)
    if verdict.warnings:
        return "warns", "; ".join(verdict.warnings)
    return "fresh", ""


def _table(rows: List[Row]) -> str:
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("shape", "mutation")]
    lines = [f"{'shape':<{widths[0]}}  {'mutation':<{widths[1]}}  uv      chef"]
    for r in rows:
        lines.append(f"{r.shape:<{widths[0]}}  {r.mutation:<{widths[1]}}  {r.uv:<6}  {r.chef}")
    return "\n".join(lines)


def test_chef_agrees_with_uv_lock_check(bases, index, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    roots, env = bases
    rows: List[Row] = []
    for shape, mutation, apply in MUTATIONS:
        if shape not in roots:
            rows.append(Row(shape, mutation, "skip", "skip",
                            "no wheel of " + ", ".join(_missing_backends(shape, index))))
            continue
        root = tmp_path / f"{len(rows):03d}"
        shutil.copytree(roots[shape], root, symlinks=True)
        apply(root)
        code, text = _uv(root, env, index.url, "--check", "--offline")
        chef, detail = _chef(root)
        rows.append(Row(shape, mutation, "fresh" if code == 0 else "stale", chef,
                        detail if code == 0 else text.splitlines()[-1] if text else ""))
    with capsys.disabled():
        print("\nchef vs `uv lock --check` (uv " + _uv_version() + "):\n" + _table(rows))
    skipped = [r for r in rows if r.uv == "skip"]
    rows = [r for r in rows if r.uv != "skip"]
    wrong = [r for r in rows if (r.uv == "fresh" and r.chef in ("refuses", "error"))
             or (r.uv == "stale" and r.chef == "fresh")]
    assert not wrong, "\n".join(f"{r.shape} / {r.mutation}: uv {r.uv}, chef {r.chef}: "
                                f"{r.detail}" for r in wrong)
    unexpected = [r for r in rows if EXPECTED[(r.shape, r.mutation)] != (r.uv, r.chef)]
    assert not unexpected, "\n".join(
        f"{r.shape} / {r.mutation}: expected uv/chef {EXPECTED[(r.shape, r.mutation)]}, got "
        f"{r.uv}/{r.chef}: {r.detail}" for r in unexpected)
    if skipped:
        pytest.skip("; ".join(sorted({f"{r.shape}: {r.detail}" for r in skipped})))


def _uv_version() -> str:
    done = subprocess.run([uv_bin(), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split()[1] if done.stdout else "?"

