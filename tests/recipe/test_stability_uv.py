"""Invariants 1 and 2 on a uv project locked for real: what cannot change the installed set leaves
the recipe byte-identical; what can, changes it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Dict

import pytest
from projects import edit, make_locked_app, uv_lock
from stability_helpers import recipe_text

Change = Callable[[Path, str], None]


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    return make_locked_app(tmp_path_factory.mktemp("uvbase") / "app", index.url)


@pytest.fixture
def project(base_project: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base_project, tmp_path / "app"))


def _version_bump(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"')
    uv_lock(root, url)
    assert 'version = "0.2.0"' in (root / "uv.lock").read_text()


def _reorder(root: Path, url: str) -> None:
    text = (root / "pyproject.toml").read_text()
    text = text.replace(
        '    "alpha>=1",\n    "gamma[fast]",\n', '    "gamma[fast]",\n    "alpha>=1",\n'
    )
    head, _, tail = text.partition("[build-system]")
    build, _, rest = tail.partition("[tool.ruff]")
    text = "# a comment\n" + head + "[tool.ruff]" + rest + "\n\n[build-system]" + build
    (root / "pyproject.toml").write_text(text)
    lock = (root / "uv.lock").read_text()
    (root / "uv.lock").write_text(lock.replace("\n\n", "\n\n\n"))


def _dev_bump(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", 'dev = ["devtool==1.0"]', 'dev = ["devtool==1.1"]')
    uv_lock(root, url)


STABLE: Dict[str, Change] = {
    "source edit": lambda r, u: (r / "src/app/__init__.py").write_text("def main():\n    pass\n"),
    "new source file": lambda r, u: (r / "src/app/extra.py").write_text("X = 1\n"),
    "version bump (pyproject and lock)": _version_bump,
    "readme edit": lambda r, u: (r / "README.md").write_text("# app\n\nMore words.\n"),
    "tool.ruff edit": lambda r, u: edit(
        r / "pyproject.toml", "line-length = 100", "line-length = 88"
    ),
    "tool.pytest edit": lambda r, u: edit(r / "pyproject.toml", 'addopts = "-q"', 'addopts = "-x"'),
    "description and authors": lambda r, u: edit(r / "pyproject.toml", "demo app", "another app"),
    "scripts": lambda r, u: edit(r / "pyproject.toml", 'app = "app:main"', 'app2 = "app:main"'),
    "comments, whitespace, order": _reorder,
    "dev-group-only change in lock": _dev_bump,
}


@pytest.mark.parametrize("change", sorted(STABLE))
def test_stable(project: Path, index, change: str) -> None:  # type: ignore[no-untyped-def]
    before = recipe_text(project)
    STABLE[change](project, index.url)
    assert recipe_text(project) == before


def test_stable_across_paths_and_cwd(project: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = recipe_text(project)
    moved = Path(shutil.copytree(project, tmp_path / "elsewhere" / "deeper" / "app"))
    monkeypatch.chdir(tmp_path)
    assert recipe_text(moved) == before
    monkeypatch.chdir(moved)
    assert recipe_text(Path(".")) == before


def _add_dep(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", '"epsilon",\n', '"epsilon",\n    "zeta",\n')
    uv_lock(root, url)


def _remove_dep(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", '    "epsilon",\n', "")
    uv_lock(root, url)


def _specifier_changes_lock(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", '"alpha>=1"', '"alpha<2"')
    uv_lock(root, url)


def _marker(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", '"epsilon",', "\"epsilon; sys_platform != 'win32'\",")
    uv_lock(root, url)


def _locked_version(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", '"alpha>=1"', '"alpha>=1", "beta<2"')
    uv_lock(root, url)


def _hash(root: Path, url: str) -> None:
    lock = (root / "uv.lock").read_text()
    start = lock.index('hash = "sha256:') + len('hash = "sha256:')
    (root / "uv.lock").write_text(lock[:start] + "0" * 64 + lock[start + 64 :])


def _index(root: Path, url: str) -> None:
    edit(
        root / "pyproject.toml",
        "[tool.ruff]",
        '[[tool.uv.index]]\nname = "mirror"\nurl = "https://mirror.index.invalid/simple"\n'
        "default = true\n\n[tool.ruff]",
    )


def _requires_python(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", 'requires-python = ">=3.9"', 'requires-python = ">=3.10"')
    uv_lock(root, url)


def _build_requires(root: Path, url: str) -> None:
    edit(root / "pyproject.toml", 'requires = ["tinybuild"]', 'requires = ["tinybuild>=1"]')


SENSITIVE: Dict[str, Change] = {
    "add dependency": _add_dep,
    "remove dependency": _remove_dep,
    "specifier that changes the lock": _specifier_changes_lock,
    "marker": _marker,
    "locked version": _locked_version,
    "hash": _hash,
    "index url": _index,
    "requires-python": _requires_python,
    "build-system requires": _build_requires,
}


@pytest.mark.parametrize("change", sorted(SENSITIVE))
def test_sensitive(project: Path, index, change: str) -> None:  # type: ignore[no-untyped-def]
    before = recipe_text(project)
    SENSITIVE[change](project, index.url)
    assert recipe_text(project) != before


def test_selected_extra_and_group_change_recipe(project: Path) -> None:
    default = recipe_text(project)
    with_extra = recipe_text(project, extras=("docs",))
    with_group = recipe_text(project, groups=("dev",))
    assert len({default, with_extra, with_group}) == 3
    assert '"docsgen"' in with_extra and '"docsgen"' not in default
    assert '"devtool"' in with_group and '"devtool"' not in default
    assert recipe_text(project, all_extras=True) == with_extra
    assert recipe_text(project, all_groups=True) == with_group


def test_selected_group_member_change_changes_recipe(project: Path, index) -> None:  # type: ignore[no-untyped-def]
    before = recipe_text(project, groups=("dev",))
    _dev_bump(project, index.url)
    assert recipe_text(project, groups=("dev",)) != before


def test_local_versions_never_in_recipe(project: Path) -> None:
    text = recipe_text(project, all_extras=True, all_groups=True)
    assert "0.1.0" not in text
    assert str(project) not in text
