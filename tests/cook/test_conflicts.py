"""uv's conflicting extras: lock markers that test the *set* of selected extras are evaluated as
uv does, checked against `uv export` for each selection."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict

import pytest
from conftest import uv_bin, write
from packaging.markers import default_environment
from packaging.requirements import Requirement
from projects import uv_lock

from chef.cook.plan import plan
from chef.prepare import prepare
from chef.select import Selection

PYPROJECT = """\
[project]
name = "cf"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha"]

[project.optional-dependencies]
cpu = ["beta==1.0"]
gpu = ["beta==2.0"]

[tool.uv]
conflicts = [[{ extra = "cpu" }, { extra = "gpu" }]]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("conflicts")
    write(root / "pyproject.toml", PYPROJECT)
    uv_lock(root, index.url)
    assert "extra-2-cf-cpu" in (root / "uv.lock").read_text()
    return root


def _ours(root: Path, extras: tuple) -> Dict[str, str]:  # type: ignore[type-arg]
    recipe = prepare(root, selection=Selection(extras=extras)).recipe
    out = {}
    for batch in plan(recipe, dict(default_environment())).batches:
        for line in batch.lines:
            name, _, version = line.requirement.partition("==")
            out[name] = version
    return out


def _uv_export(root: Path, extras: tuple) -> Dict[str, str]:  # type: ignore[type-arg]
    argv = [uv_bin(), "export", "--frozen", "--offline", "--no-hashes", "--no-header",
            "--no-annotate", "--no-emit-project"]
    for extra in extras:
        argv += ["--extra", extra]
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=True)
    out = {}
    for line in done.stdout.splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(dict(default_environment())):
                out[req.name] = str(req.specifier).lstrip("=")
    return out


@pytest.mark.parametrize("extras", [(), ("cpu",), ("gpu",)])
def test_conflicting_extras_match_uv_export(project: Path, extras: tuple) -> None:  # type: ignore[type-arg]
    ours = _ours(project, extras)
    assert ours == _uv_export(project, extras)
    if extras == ("cpu",):
        assert ours == {"alpha": "1.0", "beta": "1.0"}
    else:
        assert ours == {"alpha": "2.0", "beta": "2.0"}


def test_a_selection_holding_both_sides_is_refused(project: Path) -> None:
    """uv refuses to export or sync both sides of a declared conflict; chef planned beta 1.0 and
    2.0 side by side. Now prepare refuses the selection, naming both sides."""
    from chef.errors import InputError

    done = subprocess.run([uv_bin(), "export", "--frozen", "--offline", "--all-extras"],
                          cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "incompatible" in done.stderr
    with pytest.raises(InputError, match="cf's extra cpu and cf's extra gpu, which the lock "
                                         "declares conflicting"):
        prepare(project, selection=Selection(all_extras=True))
