"""Lint and types are part of the suite, so CI's one test command checks them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff() -> None:
    paths = [p for p in ("chef", "tests", "bench", "examples", "scripts") if (ROOT / p).is_dir()]
    done = subprocess.run([_tool("ruff"), "check", *paths], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr




def test_test_helper_module_names_are_unique() -> None:
    """pytest's `pythonpath` (pyproject.toml) puts several folders on sys.path for the whole
    run: a helper module name found in two of them, or one that is a standard-library module,
    would import whichever folder comes first. conftest.py files are loaded by pytest from their
    path (tests/docker's as docker.conftest); `from conftest import` names tests/conftest.py."""
    from chef.toml import load_toml

    config = load_toml(ROOT / "pyproject.toml", "pyproject.toml")
    folders = config["tool"]["pytest"]["ini_options"]["pythonpath"]
    assert folders[0] == "tests"
    seen: dict[str, str] = {}
    for folder in folders:
        assert (ROOT / folder).is_dir(), folder
        for path in sorted((ROOT / folder).glob("*.py")):
            if path.stem in ("__init__", "conftest"):
                continue
            assert path.stem not in seen, f"{folder}/{path.name} and {seen[path.stem]}/{path.name}"
            seen[path.stem] = folder
    stdlib = getattr(sys, "stdlib_module_names", frozenset())  # Python 3.10+
    assert not set(seen) & set(stdlib), sorted(set(seen) & set(stdlib))


# Rooms a newcomer can hold in their head (issue 21): a module of chef/ is at most this long.
MAX_MODULE_LINES = 600


def test_no_module_over_the_size_limit() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted((ROOT / "chef").rglob("*.py"))}
    big = {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not big, f"split these by job (at most {MAX_MODULE_LINES} lines): {big}"


def test_one_module_starts_processes() -> None:
    """chef/cook/process.py starts every process (one policy for missing programs, exit codes,
    output, timeouts; a runner tests can replace): no other module of chef/ calls subprocess."""
    runner = ROOT / "chef" / "cook" / "process.py"
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in sorted((ROOT / "chef").rglob("*.py")) if p != runner
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if "subprocess." in line or "import subprocess" in line or "os.system(" in line
             or "os.exec" in line or "os.spawn" in line or "os.popen(" in line]
    assert not found, "start processes through chef.cook.process:\n" + "\n".join(found)
