"""Hostile project layouts, one by one: unknown lock versions, missing referenced files, include
cycles and deep chains, symlink loops, FIFOs and devices, huge and deeply nested files, non-UTF-8.
Each ends in a one-line ChefError naming the file (and line or key where known)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, List, Optional

import pytest
import tomlkit
from badinput_helpers import check_error
from conftest import write
from test_fuzz_readers import baseline, write_files

from chef import errors
from chef.detect import READERS
from chef.errors import ChefError
from chef.prepare import prepare


def fails(root: Path, manager: Optional[str] = None, **kwargs: Any) -> str:
    with pytest.raises(ChefError) as info:
        prepare(root, manager=manager, **kwargs)
    return check_error(info.value, root)


@pytest.fixture(scope="module")
def uv_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    from projects import make_locked_app

    return make_locked_app(tmp_path_factory.mktemp("bad") / "app", index.url)


LOCK_VERSIONS = [
    ("uv", "uv.lock", ["version"]),
    ("poetry", "poetry.lock", ["metadata", "lock-version"]),
    ("pdm", "pdm.lock", ["metadata", "lock_version"]),
    ("pipenv", "Pipfile.lock", ["_meta", "pipfile-spec"]),
    ("pylock", "pylock.toml", ["lock-version"]),
]


@pytest.mark.parametrize(("manager", "lock", "key"), LOCK_VERSIONS, ids=[c[0] for c in LOCK_VERSIONS])
@pytest.mark.parametrize("value", [99, "9.0", "0.1", "abc"])
def test_unknown_lock_version(
    manager: str, lock: str, key: List[str], value: Any, uv_project: Path, tmp_path: Path
) -> None:
    reader = next((r for r in READERS if r.name == manager), None)
    if reader is None:
        pytest.skip(f"no {manager} reader registered")
    files = baseline(reader, uv_project)
    is_json = files[lock].lstrip().startswith(b"{")
    doc: Any = json.loads(files[lock]) if is_json else tomlkit.parse(files[lock].decode())
    table = doc
    for part in key[:-1]:
        table = table[part]
    table[key[-1]] = value
    files[lock] = (json.dumps(doc) if is_json else tomlkit.dumps(doc)).encode()
    write_files(tmp_path, files)
    message = fails(tmp_path, manager)
    assert message.startswith(f"{lock}: ") and "version" in message or "spec" in message


# ---------------------------------------------------------------- requirements files


def test_missing_include(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha\n-r missing.txt\n")
    message = fails(tmp_path)
    assert message.startswith("requirements.txt:2: ") and "missing.txt" in message
    write(tmp_path / "requirements.txt", "-c nope/constraints.txt\n")
    assert "nope/constraints.txt" in fails(tmp_path)


def test_missing_local_path(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "./libs/missing\n")
    assert "does not exist" in fails(tmp_path)


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r a.txt\n")
    write(tmp_path / "a.txt", "alpha\n-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    message = fails(tmp_path)
    assert "include cycle" in message and "a.txt -> b.txt -> a.txt" in message
    write(tmp_path / "requirements.txt", "-r requirements.txt\n")
    assert "include cycle" in fails(tmp_path)


def test_deep_include_chains(tmp_path: Path) -> None:
    from chef.readers.requirements import MAX_INCLUDE_DEPTH

    depth = MAX_INCLUDE_DEPTH + 5
    write(tmp_path / "requirements.txt", "-r r1.txt\n")
    for i in range(1, depth):
        write(tmp_path / f"r{i}.txt", f"pkg{i}\n-r r{i + 1}.txt\n")
    write(tmp_path / f"r{depth}.txt", "last\n")
    assert "nested too deeply" in fails(tmp_path)
    # Within the limit, a long chain reads fine.
    write(tmp_path / "requirements.txt", f"-r r{depth - MAX_INCLUDE_DEPTH + 2}.txt\n")
    assert "last" in prepare(tmp_path).text


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").symlink_to("loop.txt")
    (tmp_path / "loop.txt").symlink_to("requirements.txt")
    assert fails(tmp_path, "requirements")
    (tmp_path / "pyproject.toml").symlink_to("pyproject.toml")
    assert fails(tmp_path, "pyproject").startswith("pyproject.toml: ")
    write(tmp_path / "other" / "requirements.txt", "-r loop/requirements.txt\nalpha\n")
    (tmp_path / "other" / "loop").symlink_to(".")
    message = fails(tmp_path, requirements=["other/requirements.txt"])
    assert "include cycle" in message


def test_workspace_glob_through_a_symlink_loop(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "root"\nversion = "1"\n\n'
          '[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    write(tmp_path / "packages" / "a" / "pyproject.toml",
          '[project]\nname = "a"\nversion = "1"\ndependencies = ["alpha"]\n')
    (tmp_path / "packages" / "loop").symlink_to("../packages")
    text = prepare(tmp_path).text  # the loop is not a member (no pyproject.toml): no hang
    assert '"alpha"' in text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_devices_are_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "requirements.txt")
    start = time.monotonic()
    assert fails(tmp_path, "requirements")
    assert fails(tmp_path, requirements=["requirements.txt"])
    os.unlink(tmp_path / "requirements.txt")
    if os.path.exists("/dev/zero"):
        (tmp_path / "pyproject.toml").symlink_to("/dev/zero")
        assert "not a regular file" in fails(tmp_path, "pyproject")
    assert time.monotonic() - start < 30


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chef import toml

    monkeypatch.setattr(toml, "MAX_FILE_BYTES", 1024)
    write(tmp_path / "requirements.txt", "alpha\n" * 1000)
    assert "larger than" in fails(tmp_path)


def test_huge_but_real_files_read(tmp_path: Path) -> None:
    """100,000 pinned, hashed lines (about 10 MB) read in reasonable time."""
    digest = "a" * 64
    lines = "".join(f"pkg{i}==1.0 --hash=sha256:{digest}\n" for i in range(100_000))
    write(tmp_path / "requirements.txt", lines)
    start = time.monotonic()
    text = prepare(tmp_path).text
    assert text.count('"name": "pkg') == 100_000
    assert time.monotonic() - start < 120


def test_huge_single_line_error_stays_short(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha" + ">" * 2_000_000 + "\n")
    message = fails(tmp_path)
    assert message.startswith("requirements.txt:1: ") and len(message) < 3000


def test_deeply_nested_toml_and_json(tmp_path: Path) -> None:
    from chef import toml

    write(tmp_path / "pyproject.toml", "[project]\nname = 'a'\nx = " + "[" * 50_000 + "]" * 50_000
          + "\n")
    if toml.READER_NAME == "toml_rs":  # parses it, on a stack sized for it (test_toml_readers)
        prepare(tmp_path, manager="pyproject")
    else:  # Python's recursion limit: a clear error
        assert fails(tmp_path, "pyproject").startswith("pyproject.toml")
    write(tmp_path / "Pipfile", "[packages]\nalpha = '*'\n")
    write(tmp_path / "Pipfile.lock", "[" * 200_000 + "]" * 200_000)
    if any(r.name == "pipenv" for r in READERS):
        assert fails(tmp_path, "pipenv").startswith("Pipfile.lock")


@pytest.mark.parametrize("name", [r.name for r in READERS])
def test_non_utf8_names_file_and_line(name: str, tmp_path: Path) -> None:
    reader = next(r for r in READERS if r.name == name)
    main = next((m for m in reader.marker_files if "<" not in m), "pyproject.toml")
    write(tmp_path / main, "# ok\n")
    with open(tmp_path / main, "ab") as handle:
        handle.write(b"name = '\xff\xfe'\n")
    message = fails(tmp_path, name)
    if main in message:
        assert "UTF-8" in message and f"{main}:2" in message


@pytest.mark.parametrize("name", [r.name for r in READERS])
def test_empty_files(name: str, tmp_path: Path) -> None:
    reader = next(r for r in READERS if r.name == name)
    for marker in reader.marker_files:
        if "<" not in marker:
            write(tmp_path / marker, "")
    write(tmp_path / "pyproject.toml", "")
    try:
        prepare(tmp_path, manager=name)
    except ChefError as exc:
        check_error(exc, tmp_path)


def test_dynamic_dependency_file_outside_the_project(tmp_path: Path) -> None:
    write(tmp_path / "secret.txt", "root:x:0:0\n")
    write(tmp_path / "p" / "pyproject.toml",
          '[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n\n'
          '[tool.setuptools.dynamic]\ndependencies = {file = ["../secret.txt"]}\n')
    message = fails(tmp_path / "p")
    assert "outside the project" in message and "root:x" not in message


def test_wrong_types_name_the_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\ndependencies = 5\n')
    message = fails(tmp_path)
    assert message.startswith("pyproject.toml: ") and "project.dependencies" in message
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\n[tool]\nuv = 3\n')
    assert "[tool.uv]" in fails(tmp_path)


# ---------------------------------------------------------------- the command line


def chef(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chef", *args], capture_output=True, text=True,
                          check=False)


BROKEN = {
    "malformed": '[project\nname = "a"\n',
    "wrong type": '[project]\nname = "a"\nversion = "1"\ndependencies = 5\n',
    "bad requirement": '[project]\nname = "a"\nversion = "1"\ndependencies = ["a >= >= 1"]\n',
    "non-utf8": None,
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_failed_prepare_leaves_the_recipe_untouched(case: str, tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\n')
    recipe = tmp_path / "recipe.json"
    assert chef("prepare", "--project-dir", str(tmp_path), "--recipe-path",
                str(recipe)).returncode == 0
    before = recipe.read_bytes()
    content = BROKEN[case]
    if content is None:
        (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "\xff"\n')
    else:
        write(tmp_path / "pyproject.toml", content)
    done = chef("prepare", "--project-dir", str(tmp_path), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_INPUT
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("chef: error: pyproject.toml"), done.stderr
    assert recipe.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml", "recipe.json"]
