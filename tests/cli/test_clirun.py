"""tests/clirun.py, the one way tests run `chef`: in this process and in a fresh one, the same
exit code and the same text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clirun import chef
from conftest import write

from chef import errors


@pytest.mark.parametrize("args", [("--version",), ("prepare", "--stdout"), ("prepare",),
                                  ("cook", "--dry-run", "--venv", "v", "--python", "x")])
def test_in_process_is_what_the_process_shows(tmp_path: Path, args: tuple) -> None:  # type: ignore[type-arg]
    write(tmp_path / "requirements.txt", "alpha==1.0\n")
    inside = chef(*args, cwd=tmp_path)
    (tmp_path / "recipe.json").unlink(missing_ok=True)
    fresh = chef(*args, cwd=tmp_path, process=True)
    assert (inside.returncode, inside.stdout, inside.stderr) == (
        fresh.returncode, fresh.stdout, fresh.stderr)
    assert "Traceback" not in inside.stderr


def test_in_process_runs_in_cwd_and_comes_back(tmp_path: Path) -> None:
    before = os.getcwd()
    done = chef("prepare", "--stdout", cwd=tmp_path)
    assert done.returncode == errors.EXIT_INPUT and str(tmp_path) not in done.stderr
    assert "looked for" in done.stderr and os.getcwd() == before


def test_an_exception_that_escapes_shows_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the interpreter would: an exception click does not catch (here in the group, outside
    any command's error handling) is not swallowed by the in-process runner."""
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outside any command")

    monkeypatch.setattr("chef.cli._Main.invoke", boom)
    done = chef("--version")
    assert done.returncode == 0  # --version ends before invoke
    done = chef("prepare", "--stdout")
    assert done.returncode == 1 and "RuntimeError: outside any command" in done.stderr
    with pytest.raises(TypeError, match="process=True"):
        chef("--version", timeout=5)
