"""Dockerfile.nomount is what scripts/nomount_dockerfile.py makes of Dockerfile.example, and has
nothing a builder without RUN --mount (Docker's legacy builder, kaniko) refuses or lacks. The
real builds: tests/docker/test_docker_legacy.py."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "nomount_dockerfile.py"
EXAMPLE = ROOT / "Dockerfile.example"
NOMOUNT = ROOT / "Dockerfile.nomount"
CREDENTIAL_ARGS = {"CHEF_CREDENTIALS_FILE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
                   "UV_INDEX_URL", "UV_EXTRA_INDEX_URL"}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nomount_dockerfile", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _instructions(text: str) -> List[str]:
    """Instructions with their continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [line.strip() for line in joined.splitlines() if line.strip()]


def _stages(text: str) -> Dict[str, List[str]]:
    """stage name -> its instructions (FROM first)."""
    stages: Dict[str, List[str]] = {}
    current: List[str] = []
    for instruction in _instructions(text):
        if instruction.upper().startswith("FROM "):
            parts = instruction.split()
            current = stages.setdefault(parts[-1] if parts[-2].upper() == "AS" else "", [])
        current.append(instruction)
    return stages


def test_committed_file_is_the_scripts_output() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert NOMOUNT.read_text(encoding="utf-8") == _script().generate(
        EXAMPLE.read_text(encoding="utf-8"))


def test_check_mode_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    stale = tmp_path / "Dockerfile.nomount"
    stale.write_text(NOMOUNT.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    monkeypatch.setattr(script, "TARGET", stale)
    assert script.main(["--check"]) == 1
    assert script.main([]) == 0 and script.main(["--check"]) == 0  # rewritten


def test_nothing_a_builder_without_buildkit_refuses() -> None:
    text = NOMOUNT.read_text(encoding="utf-8")
    instructions = _instructions(text)
    assert instructions, "no instructions"
    for bad in ("--mount", "chef.py[z]", "$BUILDPLATFORM", "TARGETPLATFORM", "--platform"):
        assert not [i for i in instructions if bad in i], bad
    assert "COPY chef.pyz /opt/chef/" in instructions


def test_same_stages_and_chef_commands_runtime_last() -> None:
    example, nomount = _stages(EXAMPLE.read_text(encoding="utf-8")), _stages(
        NOMOUNT.read_text(encoding="utf-8"))
    assert list(nomount) == ["chef", "planner", "cook-base", "cook-1", "cook-2", "builder",
                             "runtime"]
    for name in ("planner", "builder", "runtime"):  # the same instructions, word for word
        assert nomount[name][1:] == example[name][1:], name

    def chef_commands(stage: List[str]) -> List[str]:
        return [re.sub(r"\s+", " ", i.split("chef ", 1)[1]).replace(" $(cat /chef/cook-platform)", "")
                for i in stage if i.startswith("RUN ") and re.search(r"\bchef (cook|prepare|install-project)\b", i)]

    for name in ("cook-1", "cook-2"):
        assert chef_commands(nomount[name]) == chef_commands(example[name]), name
        assert len(chef_commands(nomount[name])) == 1


def test_credential_args_only_in_the_cook_stages_and_never_env() -> None:
    stages = _stages(NOMOUNT.read_text(encoding="utf-8"))
    for name, instructions in stages.items():
        declared = {i.split()[1].split("=")[0] for i in instructions if i.startswith("ARG ")}
        if name in ("cook-1", "cook-2"):
            assert declared >= CREDENTIAL_ARGS, name
        else:
            assert not CREDENTIAL_ARGS & declared, name
        envs = " ".join(i for i in instructions if i.startswith("ENV "))
        assert not [a for a in CREDENTIAL_ARGS if a in envs], name


@pytest.mark.parametrize("edit", [
    ("FROM chef AS planner", "FROM chef AS plan"),  # a stage renamed
    ("COPY chef.py[z] /opt/chef/", "COPY chef.pyz /opt/chef/"),  # a rule's exact line gone
    ("    pyz) ", "    zip) "),  # the chef stage's pyz branch gone
    ("#   CHEF_SPEC ", "#   CHEF_NEW_ARG "),  # a build arg the rules do not know
    ("$(cat /chef/cook-platform)", "$(cat /chef/platform)"),  # cook-platform left in a RUN
])
def test_an_unexpected_shape_stops_the_script(edit: tuple) -> None:  # type: ignore[type-arg]
    script = _script()
    text = EXAMPLE.read_text(encoding="utf-8")
    assert edit[0] in text
    with pytest.raises(script.ShapeError):
        script.generate(text.replace(edit[0], edit[1], 1))
