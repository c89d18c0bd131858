"""Small things a user meets first (issue "Real projects", case 6): help that says what the
defaults really are, errors with a line number at the end of a file, packaging's caret diagram
kept readable on one line, and usage errors that exit 2 as docs/exit-codes.md says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from clirun import chef
from conftest import write

from chef import errors


def test_cook_help_names_the_real_default_target(tmp_path: Path) -> None:
    text = " ".join(chef("cook", "--help", cwd=tmp_path).stdout.split())
    assert "the one running chef" not in text
    assert "--python PATH Target interpreter, instead of --venv (default: neither: the active " \
        "virtualenv, else ./.venv; never chef's own environment)." in text


def test_toml_error_at_the_end_of_a_file_has_a_line(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "x"\nversion = "1"\ndependencies = ["a"\n')
    done = chef("prepare", "--stdout", cwd=tmp_path)
    assert done.returncode == errors.EXIT_INPUT
    assert done.stderr == ("chef: error: pyproject.toml:4: malformed TOML: Unclosed array (at the "
                           "end of the file) (fix the TOML syntax)\n")


@pytest.mark.parametrize("text, shown", [
    ("a >= = 1", 'Expected semicolon (after name with no version specifier) or end, at column '
                 '3: ">= = 1"'),
    ("b; os_name ==", "Expected a marker variable or quoted string, at column 14: the end"),
])
def test_packaging_caret_diagram_stays_readable(text: str, shown: str, tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", text + "\n")
    done = chef("prepare", "--stdout", cwd=tmp_path)
    assert done.returncode == errors.EXIT_INPUT
    assert done.stderr == (f"chef: error: requirements.txt:1: invalid requirement {text!r}: "
                           f"{shown}\n")


@pytest.mark.parametrize("args", [
    ("prepare", "--manager", "bogus", "--stdout"),
    ("cook", "--venv", "v", "--python", sys.executable, "--dry-run"),
    ("install-project", "--venv", "v", "--python", sys.executable),
])
def test_usage_errors_exit_2_on_one_line_and_create_nothing(args: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    write(tmp_path / "requirements.txt", "alpha\n")
    done = chef(*args, cwd=tmp_path)
    assert done.returncode == errors.EXIT_USAGE, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("chef: error: ")
    assert not (tmp_path / "v").exists()
