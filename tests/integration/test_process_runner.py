"""A real cook and install-project with a runner of the test's own (chef.cook.process): every
process they start goes through it, and one that records without running installs nothing."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from conftest import installed
from projects import make_locked_app

from chef.cook import process
from chef.cook.buildenv import install_project
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file

pytestmark = pytest.mark.slow


def test_every_process_of_a_cook_goes_through_the_runner(tmp_path: Path, index, isolated_env) -> None:  # type: ignore[no-untyped-def]
    project = make_locked_app(tmp_path / "app", index.url)
    recipe = project / "recipe.json"
    prepare_to_file(project, recipe)
    seen: List[process.Call] = []

    def passing(call: process.Call) -> process.Completed:
        seen.append(call)
        return process.subprocess_runner(call)

    venv = tmp_path / "venv"
    cook(recipe, TargetSpec(venv=venv), installer="uv", overrides=Overrides(index_url=index.url),
         quiet=True, echo=lambda s: None, runner=passing)
    assert {"alpha", "gamma", "epsilon"} <= set(installed(venv / "bin" / "python"))
    whats = [call.what for call in seen]
    # The venv's interpreter is chef's own binary: its markers are read in chef's process
    # (chef.cook.run._probe), so no probe process; any other interpreter is probed through it.
    assert whats == ["creating the venv", "installing dependencies", "creating the build env",
                     "installing build requirements"], whats
    assert seen[1].argv[:3] == (seen[0].argv[0], "pip", "install")

    # install-project: the build hooks still run on their own (chef/cook/buildenv.py); the
    # install of the built wheel goes through the runner, which here only records it.
    recorded: List[process.Call] = []

    def recording(call: process.Call) -> process.Completed:
        if call.output == "capture":
            return process.subprocess_runner(call)
        recorded.append(call)
        return process.Completed(0)

    names = install_project(recipe, TargetSpec(venv=venv), project_dir=project, installer="uv",
                            quiet=True, echo=lambda s: None, runner=recording)
    assert names == ["app"]
    (call,) = recorded
    assert call.what == "installing the project"
    assert "--no-deps" in call.argv and "--no-index" in call.argv
    assert call.argv[-2].endswith(".whl") and Path(call.argv[-2]).name.startswith("app-")
    assert "app" not in installed(venv / "bin" / "python")
    assert process.current() is process.subprocess_runner
