"""poetry.lock (1.1, 2.0, 2.1) and [tool.poetry] manifests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lockfixtures import GIT_SHA, URL_WHEEL, Scenario, poetry_project, write
from lockhelpers import PY39_WIN, PY311, bump, installed, recipe, recipe_text

from chef.errors import InputError
from chef.readers.poetry import constraint_sets, python_marker
from chef.select import Selection

VERSIONS = ["2.1", "2.0", "1.1"]


def _write(version: str):  # type: ignore[no-untyped-def]
    def writer(directory: Path, scenario: Scenario, own_version: str = "0.1.0") -> Path:
        return poetry_project(directory, scenario, version, own_version)

    return writer


@pytest.mark.parametrize("version", VERSIONS)
def test_default_selection_is_main_only(tmp_path: Path, version: str) -> None:
    poetry_project(tmp_path, Scenario(), version)
    rec = recipe(tmp_path, "poetry")
    names = {p.name for p in (rec.locked or {}).values()}
    assert names == {"alpha", "beta", "epsilon", "zeta", "gitpkg", "urlpkg"}
    assert set(rec.local_packages) == {"app"}
    # several locked versions of one name, chosen by the target's Python
    assert installed(rec, PY311)["beta"] == "2.0"
    assert installed(rec, PY39_WIN)["beta"] == "1.0"
    assert "zeta" in installed(rec, PY39_WIN) and "zeta" not in installed(rec, PY311)


@pytest.mark.parametrize("version", VERSIONS)
def test_extras_and_groups(tmp_path: Path, version: str) -> None:
    poetry_project(tmp_path, Scenario(), version)
    fast = {
        p.name
        for p in (recipe(tmp_path, "poetry", Selection(extras=("fast",))).locked or {}).values()
    }
    assert {"gamma", "delta"} <= fast and "devtool" not in fast
    dev = {
        p.name
        for p in (recipe(tmp_path, "poetry", Selection(groups=("dev",))).locked or {}).values()
    }
    assert "devtool" in dev and "docsgen" not in dev and "gamma" not in dev
    every = recipe(tmp_path, "poetry", Selection(all_groups=True, all_extras=True))
    assert {"devtool", "docsgen", "gamma", "delta"} <= {
        p.name for p in (every.locked or {}).values()
    }
    assert every.groups == ("dev", "docs") and every.extras == ("fast",)


@pytest.mark.parametrize("version", VERSIONS)
def test_git_and_url_sources(tmp_path: Path, version: str) -> None:
    poetry_project(tmp_path, Scenario(), version)
    locked = recipe(tmp_path, "poetry").locked or {}
    assert locked["gitpkg"].source.kind == "git"
    assert locked["gitpkg"].source.url == f"git+https://git.invalid/gitpkg.git@{GIT_SHA}"
    assert locked["urlpkg"].source.kind == "url" and locked["urlpkg"].source.url == URL_WHEEL
    assert locked["alpha"].source.kind == "registry" and locked["alpha"].source.url is None


@pytest.mark.parametrize("version", VERSIONS)
def test_dev_bump_keeps_default_recipe_identical(tmp_path: Path, version: str) -> None:
    assert not bump(tmp_path, _write(version), "poetry", {"devtool": "1.0"})
    assert bump(
        tmp_path / "g", _write(version), "poetry", {"devtool": "1.0"}, Selection(groups=("dev",))
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_main_bump_changes_recipe(tmp_path: Path, version: str) -> None:
    assert bump(tmp_path, _write(version), "poetry", {"alpha": "2.0"})


def test_own_version_never_in_recipe(tmp_path: Path) -> None:
    poetry_project(tmp_path / "a", Scenario(), "2.1", own_version="0.1.0")
    poetry_project(tmp_path / "b", Scenario(), "2.1", own_version="9.9.9")
    assert recipe_text(tmp_path / "a", "poetry") == recipe_text(tmp_path / "b", "poetry")


def test_explicit_source_keeps_its_url_and_credentials_are_stripped(tmp_path: Path) -> None:
    poetry_project(
        tmp_path, Scenario(index="https://user:secret@index.invalid/private/simple", remote=False)
    )
    rec = recipe_text(tmp_path, "poetry")
    assert "secret" not in rec and "user" not in rec
    assert '"url": "https://index.invalid/private/simple"' in rec


def test_markers_per_group_table(tmp_path: Path) -> None:
    """lock 2.1: `markers` as a table gives each group its own marker."""
    poetry_project(tmp_path, Scenario(remote=False), "2.1")
    lock = (tmp_path / "poetry.lock").read_text()
    lock = lock.replace(
        'name = "devtool"\nversion = "1.1"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["dev"]\n',
        'name = "devtool"\nversion = "1.1"\ndescription = ""\noptional = false\npython-versions = "*"\n'
        'groups = ["main", "dev"]\nmarkers = {main = "sys_platform == \\"win32\\"", dev = "python_version >= \\"3.8\\""}\n',
    )
    write(tmp_path / "poetry.lock", lock)
    main = recipe(tmp_path, "poetry")
    assert "devtool" in installed(main, PY39_WIN) and "devtool" not in installed(main, PY311)
    dev = recipe(tmp_path, "poetry", Selection(groups=("dev",)))
    assert "devtool" in installed(dev, PY311)


def test_path_dependency_is_local_and_outside_fails_only_when_selected(tmp_path: Path) -> None:
    poetry_project(tmp_path, Scenario(remote=False), "2.1")
    write(
        tmp_path / "libs" / "inner" / "pyproject.toml", '[project]\nname = "inner"\nversion = "3"\n'
    )
    lock = (tmp_path / "poetry.lock").read_text()
    lock = lock.replace(
        "[metadata]",
        """[[package]]
name = "inner"
version = "3"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []
develop = true

[package.source]
type = "directory"
url = "libs/inner"

[[package]]
name = "outside"
version = "1"
description = ""
optional = false
python-versions = "*"
groups = ["dev"]
files = []

[package.source]
type = "directory"
url = "../elsewhere"

[metadata]""",
    )
    write(tmp_path / "poetry.lock", lock)
    rec = recipe(tmp_path, "poetry")
    assert rec.local_packages["inner"].path == "libs/inner"
    assert rec.locked is not None and "inner" not in rec.locked
    with pytest.raises(InputError, match="outside the project"):
        recipe(tmp_path, "poetry", Selection(groups=("dev",)))


def test_manifest_without_lock_is_unlocked(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """[tool.poetry]
name = "svc"
version = "1.0"
[tool.poetry.dependencies]
python = "^3.9"
alpha = "^1.2"
beta = {version = "~2.1", markers = "sys_platform == 'linux'", python = "<3.12"}
gamma = {version = "*", extras = ["fast"], optional = true}
[tool.poetry.extras]
fast = ["gamma"]
[tool.poetry.group.dev.dependencies]
devtool = ">=1"
""",
    )
    rec = recipe(tmp_path, "poetry")
    assert rec.locked is None
    roots = {d.name: d for d in rec.roots}
    assert roots["alpha"].specifier == "<2,>=1.2"
    assert roots["beta"].specifier == "<2.2,>=2.1"
    assert roots["beta"].marker == 'sys_platform == "linux" and python_version < "3.12"'
    assert rec.requires_python == "<4,>=3.9"
    assert "gamma" not in roots and "devtool" not in roots


@pytest.mark.parametrize(
    "text,inside,outside",
    [
        ("^1.2.3", ["1.2.3", "1.9"], ["2.0", "1.2.2"]),
        ("^0.2.3", ["0.2.9"], ["0.3.0"]),
        ("~1.2", ["1.2.9"], ["1.3"]),
        (">=1,<2 || >=3", ["1.5", "3.1"], ["2.5"]),
        ("1.2.*", ["1.2.7"], ["1.3"]),
        ("*", ["0.1"], []),
        (">= 1.0 < 2.0", ["1.5"], ["2.0"]),
        ("^v0.30.0", ["0.30.5"], ["0.31"]),
    ],
)
def test_poetry_constraints(text: str, inside: list, outside: list) -> None:  # type: ignore[type-arg]
    sets = constraint_sets(text, "x", "x")
    for v in inside:
        assert any(s.contains(v) for s in sets), (text, v)
    for v in outside:
        assert not any(s.contains(v) for s in sets), (text, v)


def test_python_marker() -> None:
    assert python_marker("^3.8", "x") == 'python_version < "4" and python_version >= "3.8"'


def test_bad_lock_is_a_one_line_error(tmp_path: Path) -> None:
    poetry_project(tmp_path, Scenario(remote=False))
    write(tmp_path / "poetry.lock", "[[package]\nname =")
    with pytest.raises(InputError) as err:
        recipe(tmp_path, "poetry")
    assert "poetry.lock:1" in str(err.value) and "\n" not in str(err.value)


LEGACY_EXTRAS_LOCK = """\
[[package]]
name = "server"
version = "1.0"
description = ""
optional = false
python-versions = "*"

[package.dependencies]
caret = {version = "^1.15.0", optional = true}
spelled = {version = ">=0.14.0,<0.15.0 || >0.15.0", optional = true}

[package.extras]
std = ["caret (>=1.15.0,<2.0.0)", "spelled (>=0.14.0,!=0.15.0)"]

[[package]]
name = "caret"
version = "1.16.0"
description = ""
optional = true
python-versions = "*"

[[package]]
name = "spelled"
version = "0.21.0"
description = ""
optional = true
python-versions = "*"

[metadata]
lock-version = "2.0"
python-versions = "^3.9"
content-hash = "0"

[metadata.files]
"""


def test_legacy_extras_match_as_the_exporter_parses_constraints(tmp_path: Path) -> None:
    """A lock-version 2.0 extra activates an optional dependency when poetry-core parses both
    constraints to the same one: `^1.15.0` is `>=1.15.0,<2.0.0` (kserve[storage]'s azure and
    boto packages were dropped while chef compared the texts `<2,>=1.15.0` and
    `<2.0.0,>=1.15.0`), but `!=0.15.0` is not the union `<0.15.0 || >0.15.0` (poetry export
    leaves uvicorn[standard]'s uvloop out)."""
    write(tmp_path / "pyproject.toml",
          '[tool.poetry]\nname = "app"\nversion = "1"\ndescription = ""\nauthors = []\n\n'
          '[tool.poetry.dependencies]\npython = "^3.9"\nserver = {version = "1.0", extras = '
          '["std"]}\n')
    write(tmp_path / "poetry.lock", LEGACY_EXTRAS_LOCK)
    rec = recipe(tmp_path, "poetry")  # frozen: the fixture's content-hash is a placeholder
    assert rec.locked is not None
    assert sorted(rec.locked) == ["caret", "server"]


POOL_CASES = {
    # sources -> (index_url, extra_index_urls) the recipe must hold
    "one primary source: PyPI off": (
        [("private", "https://one.index.invalid/simple", "primary")],
        ("https://one.index.invalid/simple", ()),
    ),
    "no priority means primary": (
        [("private", "https://one.index.invalid/simple", None)],
        ("https://one.index.invalid/simple", ()),
    ),
    "two primaries, supplemental": (
        [("a", "https://one.index.invalid/simple", "primary"),
         ("b", "https://two.index.invalid/simple", "primary"),
         ("c", "https://three.index.invalid/simple", "supplemental")],
        ("https://one.index.invalid/simple",
         ("https://three.index.invalid/simple", "https://two.index.invalid/simple")),
    ),
    "PyPI named: it stays": (
        [("PyPI", None, "primary"), ("private", "https://one.index.invalid/simple", "primary")],
        (None, ("https://one.index.invalid/simple",)),
    ),
    "supplemental only: PyPI stays": (
        [("private", "https://one.index.invalid/simple", "supplemental")],
        (None, ("https://one.index.invalid/simple",)),
    ),
    "explicit only: PyPI stays": (
        [("private", "https://one.index.invalid/simple", "explicit")],
        (None, ()),
    ),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
def test_manifest_sources_search_what_poetry_searches(tmp_path: Path, case: str) -> None:
    """Without a lock, the recipe's indexes are poetry's pool: a primary private source switches
    PyPI off (poetry's Factory.create_pool), so it must replace the installer's default index,
    never sit beside it as an extra one (a public package of the same name could win)."""
    sources, (index_url, extras) = POOL_CASES[case]
    text = '[tool.poetry]\nname = "svc"\nversion = "1.0"\n[tool.poetry.dependencies]\n' \
        'python = "^3.9"\nalpha = "^1.2"\n'
    for name, url, priority in sources:
        text += f'[[tool.poetry.source]]\nname = "{name}"\n'
        text += f'url = "{url}"\n' if url else ""
        text += f'priority = "{priority}"\n' if priority else ""
    write(tmp_path / "pyproject.toml", text)
    index = recipe(tmp_path, "poetry").index
    assert (index.index_url, index.extra_index_urls) == (index_url, extras)
    # the oracle: poetry's own pool for the same sources
    from poetry.config.config import Config
    from poetry.factory import Factory
    from poetry.repositories.repository_pool import Priority

    pool = Factory.create_pool(Config(), [
        {"name": n, **({"url": u} if u else {}), **({"priority": p} if p else {})}
        for n, u, p in sources])
    searched = {r.name.lower() for r in pool.all_repositories
                if pool.get_priority(r.name) is not Priority.EXPLICIT}
    assert ("pypi" in searched) == (index_url is None)
