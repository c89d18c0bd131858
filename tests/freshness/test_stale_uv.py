"""uv.lock freshness, judged against `uv lock --check` itself on projects locked for real against
the loopback index: every edit of pyproject.toml gets the same verdict from chef and from uv."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable, List, Tuple

import pytest
from clirun import chef
from conftest import run, uv_bin, write
from projects import APP_PYPROJECT, edit, make_locked_app
from workspace import git_package, make_workspace

from chef import errors, freshness

pytestmark = pytest.mark.slow

Edit = Callable[[Path], None]


def _replace(old: str, new: str, rel: str = "pyproject.toml") -> Edit:
    return lambda root: edit(root / rel, old, new)


def _append(text: str, rel: str = "pyproject.toml") -> Edit:
    def apply(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return apply


APP_EDITS: List[Tuple[str, Edit, bool, str]] = [
    # (id, edit, fresh for uv and chef?, a word the reason must name when stale)
    ("nothing", lambda root: None, True, ""),
    ("add dependency", _replace('"epsilon",', '"epsilon",\n    "delta",'), False, "delta"),
    ("bump specifier", _replace('"alpha>=1"', '"alpha>=2"'), False, "alpha>=2"),
    ("drop dependency", _replace('    "epsilon",\n', ""), False, "epsilon"),
    ("add extra", _replace('docs = ["docsgen"]', 'docs = ["docsgen"]\nfast = ["zeta"]'), False,
     "zeta"),
    ("add marker", _replace('"epsilon",', "\"epsilon; sys_platform == 'linux'\","), False,
     "epsilon"),
    ("add group dep", _replace('dev = ["devtool==1.0"]', 'dev = ["devtool==1.0", "zeta"]'),
     False, "zeta"),
    ("new empty group", _replace('dev = ["devtool==1.0"]', 'dev = ["devtool==1.0"]\nlint = []'),
     False, "lint"),
    ("requires-python", _replace('requires-python = ">=3.9"', 'requires-python = ">=3.10"'),
     False, "requires-python"),
    ("reorder and respell", _replace('"alpha>=1",\n    "gamma[fast]",',
                                     '"Gamma [FAST]",\n    "alpha >= 1",'), True, ""),
    ("tool table", _replace("line-length = 100", "line-length = 120"), True, ""),
    ("description", _replace('description = "demo app"', 'description = "x"'), True, ""),
]


def uv_check(root: Path, index_url: str) -> bool:
    done = subprocess.run(
        [uv_bin(), "lock", "--check", "--index-url", index_url, "--no-config", "--offline"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def locked_app(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    return make_locked_app(tmp_path_factory.mktemp("stale") / "app", index.url)


@pytest.mark.parametrize("case", APP_EDITS, ids=[c[0] for c in APP_EDITS])
def test_chef_agrees_with_uv_lock_check(
    case: Tuple[str, Edit, bool, str], locked_app: Path, tmp_path: Path, index, isolated_env  # type: ignore[no-untyped-def]
) -> None:
    _, apply, fresh, word = case
    root = tmp_path / "app"
    import shutil

    shutil.copytree(locked_app, root)
    apply(root)
    assert uv_check(root, index.url) is fresh, "the case's expectation is not uv's"
    verdict = freshness.check(root, "uv")
    assert verdict is not None
    assert verdict.fresh is fresh, verdict.reasons
    if not fresh:
        assert word in "; ".join(verdict.reasons)


def test_own_version_is_not_staleness(locked_app: Path, tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    """uv's check also fails when the project's own version changes; chef's does not (the own
    version decides nothing chef installs) but warns on every prepare, naming both versions."""
    import shutil

    root = tmp_path / "app"
    shutil.copytree(locked_app, root)
    edit(root / "pyproject.toml", 'version = "0.1.0"', 'version = "9.9.9"')
    assert not uv_check(root, index.url)
    verdict = freshness.check(root, "uv")
    assert verdict is not None and verdict.fresh
    assert verdict.warnings and "9.9.9" in verdict.warnings[0] and "0.1.0" in verdict.warnings[0]
    done = chef("prepare", "--project-dir", str(root), "--recipe-path", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "chef: warning: uv.lock: app's version is 9.9.9 in pyproject.toml but 0.1.0" in done.stderr
    assert "`uv lock --check`" in done.stderr


def test_markers_are_compared_by_meaning(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    """uv records `platform_system == "Windows"` as `sys_platform == 'win32'` and drops what
    requires-python implies: the same requirement, not a change."""
    text = APP_PYPROJECT.replace(
        '"epsilon",',
        "\"epsilon; platform_system == 'Windows' and python_version >= '3.8'\",\n"
        "    \"zeta; python_version == '3.12'\",",
    )
    root = make_locked_app(tmp_path / "app", index.url, text)
    lock = (root / "uv.lock").read_text(encoding="utf-8")
    assert "sys_platform == 'win32'" in lock  # uv really rewrote it
    verdict = freshness.check(root, "uv")
    assert verdict is not None and verdict.fresh, verdict.reasons
    # Respelled by hand the way uv would: still fresh for both.
    edit(root / "pyproject.toml", "platform_system == 'Windows'", "sys_platform == 'win32'")
    assert uv_check(root, index.url)
    assert freshness.check(root, "uv").fresh  # type: ignore[union-attr]
    # A real change of meaning: stale for both.
    edit(root / "pyproject.toml", "python_version == '3.12'", "python_version == '3.13'")
    assert not uv_check(root, index.url)
    verdict = freshness.check(root, "uv")
    assert verdict is not None and not verdict.fresh
    assert "zeta" in "; ".join(verdict.reasons)


def test_workspace_member_edits(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    root = make_workspace(tmp_path / "ws", index.url, git_package(tmp_path / "gitpkg"))
    assert uv_check(root, index.url)
    verdict = freshness.check(root, "uv")
    assert verdict is not None and verdict.fresh, verdict.reasons
    edit(root / "services/svc-one/pyproject.toml", '"epsilon"', '"epsilon", "zeta"')
    assert not uv_check(root, index.url)
    verdict = freshness.check(root, "uv")
    assert verdict is not None and not verdict.fresh
    assert "svc-one" in verdict.reasons[0] and "zeta" in verdict.reasons[0]


def test_new_member_is_stale(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    root = make_workspace(tmp_path / "ws", index.url, git_package(tmp_path / "gitpkg"))
    write(root / "packages/lib-c/pyproject.toml",
          '[project]\nname = "lib-c"\nversion = "1"\ndependencies = []\n')
    assert not uv_check(root, index.url)
    verdict = freshness.check(root, "uv")
    assert verdict is not None and not verdict.fresh
    assert "lib-c" in "; ".join(verdict.reasons)


# ---------------------------------------------------------------- the command line


def test_prepare_refuses_a_stale_lock_and_frozen_accepts_it(
    locked_app: Path, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "app"
    shutil.copytree(locked_app, root)
    recipe = root / "recipe.json"
    assert chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe)).returncode == 0
    before = recipe.read_bytes()
    edit(root / "pyproject.toml", '"epsilon",', '"epsilon",\n    "delta>=1",')
    done = chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_STALE
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("chef: error: uv.lock: stale lock:")
    assert "delta>=1" in lines[0] and "`uv lock`" in lines[0] and "--frozen" in lines[0]
    assert recipe.read_bytes() == before  # a refused prepare leaves the recipe untouched

    done = chef("prepare", "--project-dir", str(root), "--recipe-path", str(recipe), "--frozen",
                "--explain")
    assert done.returncode == 0, done.stderr
    assert "not checked (--frozen)" in done.stderr
    assert recipe.read_bytes() == before  # the lock as it is: delta is not in it

    done = chef("check", "--project-dir", str(root), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_STALE
    done = chef("check", "--project-dir", str(root), "--recipe-path", str(recipe), "--frozen")
    assert done.returncode == 0, done.stdout + done.stderr


def test_explain_reports_the_check(locked_app: Path) -> None:
    done = chef("prepare", "--project-dir", str(locked_app), "--stdout", "--explain")
    assert done.returncode == 0, done.stderr
    assert "uv.lock matches pyproject.toml" in done.stderr


# ---------------------------------------------------------------- the workspace


def test_member_recording_the_root_without_its_source_is_a_warning(
    tmp_path: Path, index, isolated_env  # type: ignore[no-untyped-def]
) -> None:
    """The reported false refusal: a root `pkg` with dynamic version and dependencies and
    `pkg = { workspace = true }` in its sources; members depend on `pkg` with no sources of their
    own, and the lock records `{ name = "pkg" }` for some of them but `{ name = "pkg", editable =
    "." }` for another. uv 0.13.9 writes editable for all (so the lock text is edited here, as an
    older or other uv left it); chef used to refuse with "adds pkg ... and drops pkg ...". It
    cannot tell how the uv that wrote the lock lowered the root's source: a warning naming both
    values, not a refusal."""
    from uvshapes import ws_dynamic

    root = tmp_path / "ws"
    ws_dynamic(root, "")
    run([uv_bin(), "lock", "--index-url", index.url, "--no-config"], cwd=root)
    lock = root / "uv.lock"
    text = lock.read_text(encoding="utf-8")
    for member in ("x", "y"):  # z keeps `editable = "."`
        head, sep, rest = text.partition(f'[[package]]\nname = "{member}"\n')
        assert '{ name = "pkg", editable = "." }' in rest.split("[[package]]")[0]
        text = head + sep + rest.replace('{ name = "pkg", editable = "." }', '{ name = "pkg" }', 1)
    lock.write_text(text, encoding="utf-8")
    verdict = freshness.check(root, "uv")
    assert verdict is not None and verdict.fresh, verdict.reasons
    shown = "; ".join(verdict.warnings)
    for member in ("x", "y"):
        assert (f"members/{member}/pyproject.toml changes pkg in {member}'s dependencies: "
                "pkg (editable .) in pyproject.toml vs pkg (no source) in uv.lock") in shown
    assert "drops pkg" not in shown and "adds pkg" not in shown
    done = chef("prepare", "--project-dir", str(root), "--recipe-path",
                str(tmp_path / "recipe.json"))
    assert done.returncode == 0, done.stderr
    assert "chef: warning: uv.lock: members/x/pyproject.toml changes pkg" in done.stderr
