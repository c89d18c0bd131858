"""cook asks chef's own interpreter binary for its markers in chef's process (no probe process):
the answer must be exactly the probe's, and any other interpreter must still be probed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from chef.cook import run
from chef.cook.target import Target, probe, venv_python


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return venv_python(path)


def _spy(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    calls: List[str] = []

    def spy(python: str) -> Target:
        calls.append(python)
        return probe(python)

    monkeypatch.setattr(run, "probe", spy)
    return calls


@pytest.mark.skipif(sys.platform == "win32", reason="a venv's python.exe is a copy there")
def test_a_venv_of_chefs_interpreter_is_answered_in_process_as_the_probe_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = str(_venv(tmp_path / "venv"))
    probed = probe(python)
    calls = _spy(monkeypatch)
    assert run._probe(python) == probed
    assert calls == []


def test_chefs_own_interpreter_is_answered_in_process_as_the_probe_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probed = probe(sys.executable)
    calls = _spy(monkeypatch)
    answered = run._probe(sys.executable)
    assert calls == []
    assert answered == probed


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the interpreter")
def test_another_interpreter_is_probed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    calls = _spy(monkeypatch)
    target = run._probe(str(wrapper))
    assert calls == [str(wrapper)]
    assert target.python == str(wrapper) and target.env == probe(sys.executable).env


def test_a_missing_interpreter_is_left_to_the_probe(tmp_path: Path) -> None:
    from chef.errors import TargetEnvironmentError

    with pytest.raises(TargetEnvironmentError, match="target interpreter not found"):
        run._probe(str(tmp_path / "nowhere" / "python"))
