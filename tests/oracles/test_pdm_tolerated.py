"""pdm ignores an extra or group name the project does not have (`pdm install -G nosuch`,
`pdm export -G nosuch`: "Ignoring non-existing groups: nosuch"); chef does the same for pdm,
with a warning, and plans what pdm exports (issue 18.1's audit). uv and poetry refuse such a
name, and chef refuses it for them (tests/oracles/test_poetry_tolerated.py). Real pdm against
the loopback index; offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
from oracle import chef_packages, environment_for, parse_export, run_exporter, tool

from chef.detect import read_project
from chef.errors import InputError
from chef.prepare import prepare
from chef.select import Selection

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1"]

[project.optional-dependencies]
fast = ["gamma[fast]"]

[dependency-groups]
dev = ["devtool"]

[tool.pdm]
distribution = false

[[tool.pdm.source]]
name = "pypi"
url = "{index}"
verify_ssl = false
"""


def _pdm() -> str:
    exe = tool("pdm")
    if exe is None:
        pytest.skip("pdm is not installed (pip install -e '.[test]')")
    return exe


def _export(project: Path, home: Path, *args: str) -> Dict[str, str]:
    env, _ = environment_for(">=3.9")
    out = run_exporter([_pdm(), "export", "--no-hashes", *args], project, home)
    return {name: pin for name, (pin, _) in parse_export(out, env).packages.items()}


def test_unknown_names_are_ignored_as_pdm_ignores_them(tmp_path: Path, index) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT.format(index=index.url), encoding="utf-8")
    home = tmp_path / "home"
    run_exporter([_pdm(), "lock"], project, home)
    env, _ = environment_for(">=3.9")
    plain = _export(project, home, "--prod")
    assert _export(project, home, "--prod", "-G", "nosuch") == plain  # pdm: ignored
    assert _export(project, home, "--prod", "-G", "fast", "-G", "nosuch") == \
        _export(project, home, "--prod", "-G", "fast")
    read, _ = read_project(project, manager="pdm")
    base = prepare(project, manager="pdm")
    for selection, same_as in (
        (Selection(groups=("nosuch",)), Selection()),
        (Selection(extras=("nosuch",)), Selection()),
        (Selection(extras=("fast", "nosuch")), Selection(extras=("fast",))),
    ):
        result = prepare(project, manager="pdm", selection=selection)
        assert result.text == prepare(project, manager="pdm", selection=same_as).text
        assert [w for w in result.warnings if "nosuch" in w] == result.warnings != []
        assert len(result.warnings) == 1 and "ignored, as `pdm install -G nosuch`" in \
            result.warnings[0]
    mine = chef_packages(read, Selection(), env)
    assert {n: pin for n, (pin, _) in mine.items()} == plain
    assert base.warnings == []
    # a name known as the other kind is still refused, with the right option in the hint
    with pytest.raises(InputError, match="available groups: dev"):
        prepare(project, manager="pdm", selection=Selection(groups=("fast",)))
