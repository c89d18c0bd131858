"""The command line: exit codes and one-line errors, never a traceback for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from clirun import chef, chef_argv
from conftest import write

from chef import errors


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines: List[str] = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("chef: error: ")
    return lines[0]


def test_help_and_version() -> None:
    assert chef("--help").returncode == 0
    assert "chef" in chef("--version").stdout


def test_prepare_writes_recipe_and_reports(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["six"]\n',
    )
    done = chef(
        "prepare", "--project-dir", str(tmp_path), "--recipe-path", str(tmp_path / "r.json")
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["roots"] == [{"name": "six"}]
    assert [p["name"] for p in data["local_packages"]] == ["p"]
    done = chef("prepare", "--project-dir", str(tmp_path), "--stdout", "--explain")
    assert json.loads(done.stdout)["format"] == 1
    assert "read pyproject.toml" in done.stderr


def test_missing_project(tmp_path: Path) -> None:
    done = chef("prepare", "--project-dir", str(tmp_path / "nope"))
    assert done.returncode == errors.EXIT_INPUT
    assert "not found" in one_line_error(done)


def test_nothing_to_read(tmp_path: Path) -> None:
    done = chef("prepare", "--project-dir", str(tmp_path))
    assert done.returncode == errors.EXIT_INPUT
    line = one_line_error(done)
    assert "looked for" in line and "--requirements" in line


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "p"\ndependencies = [\n  "six",\n  oops\n]\n',
    )
    (tmp_path / "recipe.json").write_text("previous\n")
    done = chef(
        "prepare", "--project-dir", str(tmp_path), "--recipe-path", str(tmp_path / "recipe.json")
    )
    assert done.returncode == errors.EXIT_INPUT
    line = one_line_error(done)
    assert "pyproject.toml:5" in line and "malformed TOML" in line
    assert (tmp_path / "recipe.json").read_text() == "previous\n"  # untouched


def test_unreadable_recipe(tmp_path: Path) -> None:
    (tmp_path / "recipe.json").write_text("{")
    done = chef("cook", "--recipe-path", str(tmp_path / "recipe.json"), "--dry-run")
    assert done.returncode == errors.EXIT_RECIPE
    assert "not valid JSON" in one_line_error(done)
    done = chef("cook", "--recipe-path", str(tmp_path / "missing.json"), "--dry-run")
    assert done.returncode == errors.EXIT_RECIPE
    assert "run `chef prepare` first" in one_line_error(done)


def test_unknown_format_version(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n')
    assert (
        chef(
            "prepare", "--project-dir", str(tmp_path), "--recipe-path", str(tmp_path / "r.json")
        ).returncode
        == 0
    )
    data = json.loads((tmp_path / "r.json").read_text())
    data["format"] = 99
    (tmp_path / "r.json").write_text(json.dumps(data))
    done = chef("cook", "--recipe-path", str(tmp_path / "r.json"), "--dry-run")
    assert done.returncode == errors.EXIT_RECIPE
    assert "format 99 is newer" in one_line_error(done)


def test_missing_interpreter(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n')
    chef("prepare", "--project-dir", str(tmp_path), "--recipe-path", str(tmp_path / "r.json"))
    done = chef(
        "cook", "--recipe-path", str(tmp_path / "r.json"), "--python", str(tmp_path / "nopython")
    )
    assert done.returncode == errors.EXIT_ENVIRONMENT
    assert "interpreter not found" in one_line_error(done)


def test_dry_run_prints_plan_and_installs_nothing(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["six"]\n',
    )
    chef("prepare", "--project-dir", str(tmp_path), "--recipe-path", str(tmp_path / "r.json"))
    done = chef(
        "cook",
        "--recipe-path",
        str(tmp_path / "r.json"),
        "--venv",
        str(tmp_path / "v"),
        "--dry-run",
        "--index-url",
        "https://user:pw@index.invalid/simple",
    )
    assert done.returncode == 0, done.stderr
    assert "six" in done.stdout and "install" in done.stdout
    assert "pw@" not in done.stdout + done.stderr
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("flag", ["--extra", "--group"])
def test_unknown_extra_or_group(tmp_path: Path, flag: str) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n')
    done = chef("prepare", "--project-dir", str(tmp_path), flag, "nope", "--stdout")
    assert done.returncode == errors.EXIT_INPUT
    assert "available" in one_line_error(done)


def test_a_bug_exits_70_not_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A crash must never look like `chef check`'s "recipe out of date" (exit 1)."""

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("chef.prepare.prepare", boom)
    done = chef("prepare", "--project-dir", str(tmp_path), "--stdout")
    assert done.returncode == errors.EXIT_INTERNAL
    assert "chef: internal error" in done.stderr and "RuntimeError: bug" in done.stderr


def test_default_target_is_never_chefs_own_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from chef.cook.run import TargetSpec

    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    assert TargetSpec().with_default().venv == Path(".venv")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)  # chef's own venv, activated: not a target
    assert TargetSpec().with_default().venv == Path(".venv")
    (tmp_path / ".venv").symlink_to(sys.prefix)
    with pytest.raises(errors.TargetEnvironmentError, match="chef's own environment"):
        TargetSpec().with_default()
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "app"))
    assert TargetSpec().with_default().venv == tmp_path / "app"


def test_console_script_leaves_through_run() -> None:
    """`chef` (the console script) and `python -m chef` both go through chef.cli.run, which
    flushes and exits without tearing the interpreter down (docs/performance.md)."""
    import importlib.metadata

    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert [e.value for e in scripts if e.name == "chef"] == ["chef.cli:run"]
    assert (Path(__file__).parents[2] / "chef" / "__main__.py").read_text().strip().endswith("run()")


def test_run_turns_the_cyclic_collector_off_for_the_command_only() -> None:
    """The console script runs commands without the cyclic GC (docs/performance.md); importing
    chef or calling `main` from Python leaves the caller's collector alone."""
    code = (
        "import gc, chef.cli, chef.prepare\n"
        "assert gc.isenabled()\n"
        "chef.cli.main = lambda **kw: print('collector on' if gc.isenabled() else 'collector off')\n"
        "chef.cli.run()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "collector off"), done.stderr


def test_run_exit_status_of_every_kind_of_exit() -> None:
    from chef.output import exit_status

    assert exit_status(None) == 0
    assert exit_status(0) == 0
    assert exit_status(3) == 3
    assert exit_status("a message") == 1  # as the interpreter does for sys.exit("text")


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_output_to_a_closed_pipe_is_exit_pipe_not_a_traceback(unbuffered: str) -> None:
    """Unbuffered, the write fails inside click (which exits 1, turned into EXIT_PIPE by run);
    buffered, the flush in run fails: the same status either way (tests/cli/test_closed_pipe.py
    has every printing command)."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: `chef --help | true` after `true` has gone
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    try:
        done = subprocess.run(chef_argv("--help"), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False, env=env)
    finally:
        os.close(write_end)
    assert done.returncode == errors.EXIT_PIPE
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_run_writes_everything_before_it_exits(tmp_path: Path) -> None:
    """os._exit skips the interpreter's own flush at exit: run must flush stdout itself, also
    when stdout is a file (block-buffered) and the text is large."""
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "p"\nversion = "1"\ndependencies = ['
          + ", ".join(f'"pkg{i}>=1"' for i in range(3000)) + "]\n")
    out = tmp_path / "out.json"
    with out.open("w") as handle:
        done = subprocess.run(chef_argv("prepare", "--stdout", "--project-dir", str(tmp_path)),
                              stdout=handle, stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(out.read_text())["roots"]) == 3000


def test_a_missing_find_links_directory_stops_cook(tmp_path: Path) -> None:
    """A recipe that takes packages from a directory of the project (`--find-links wheels`)
    cooked where that directory was not copied: pip would warn and go to the index, where a
    package of the same name may be someone else's. chef refuses, and says what to copy."""
    project = tmp_path / "app"
    write(project / "requirements.txt", "--find-links wheels\n--no-index\nmylib==1.0\n")
    (project / "wheels").mkdir()
    builder = tmp_path / "chef"
    builder.mkdir()
    recipe = builder / "recipe.json"
    done = chef("prepare", "--project-dir", str(project), "--recipe-path", str(recipe))
    assert done.returncode == 0, done.stderr
    dry = chef("cook", "--recipe-path", str(recipe), "--venv", str(tmp_path / "v"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"warning: find-links directory {builder / 'wheels'} does not exist" in dry.stdout
    done = chef("cook", "--recipe-path", str(recipe), "--venv", str(tmp_path / "v"))
    assert done.returncode == errors.EXIT_ENVIRONMENT
    message = one_line_error(done)
    assert f"find-links directory {builder / 'wheels'} does not exist" in message
    assert "COPY --from=planner /app/wheels /chef/wheels" in message
    (builder / "wheels").mkdir()  # copied next to the recipe: no warning any more
    dry = chef("cook", "--recipe-path", str(recipe), "--venv", str(tmp_path / "v"), "--dry-run")
    assert dry.returncode == 0 and "warning" not in dry.stdout, dry.stdout + dry.stderr


def test_prepare_says_exactly_this(tmp_path: Path) -> None:
    """Every line `prepare --explain --layer-recipes` writes, in order: what chef.output renders
    (the explain report, the layer notes, the closing line) must not change unnoticed."""
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "p"\nversion = "1"\ndependencies = ["six>=1"]\n'
          '[project.optional-dependencies]\nfast = ["ujson"]\n'
          '[dependency-groups]\ndev = ["pytest"]\n[tool.ruff]\nline-length = 100\n')
    done = chef("prepare", "--explain", "--recipe-path", "r.json", "--layer-recipes", "L",
                "--test-group", "dev", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert done.stderr.splitlines() == [
        "chef: input: pyproject (found pyproject.toml)",
        "chef: candidate: pyproject.toml (pyproject): chosen",
        "chef: read pyproject.toml",
        "chef: dropped: unselected extras: fast (add --extra NAME to include one)",
        "chef: dropped: unselected groups: dev (add --group NAME to include one)",
        "chef: dropped: versions of the project's own packages (they do not decide installs)",
        "chef: dropped: pyproject.toml: ignored [tool.ruff] (they do not decide installs)",
        "chef: layers: an unlocked recipe (the installer resolves) is one layer: layer-1.json "
        "installs nothing, layer-2.json everything",
        "chef: layers: test.json is the whole test selection (unlocked: nothing can be left to "
        "the production layers)",
        "chef: pyproject (found pyproject.toml): wrote r.json (1 requirements, 1 local packages)",
    ]
    assert sorted(p.name for p in (tmp_path / "L").iterdir()) == [
        "layer-1.json", "layer-2.json", "test.json"]
    assert "pytest" in (tmp_path / "L" / "test.json").read_text()
    # The size is checked before the test selection is read: its error comes first.
    done = chef("prepare", "--layer-recipes", "L2", "--heavy-size", "bogus", "--test-group",
                "nope", cwd=tmp_path)
    assert done.returncode == errors.EXIT_USAGE and "--heavy-size 'bogus'" in done.stderr


def test_closing_lines_of_cook_and_install_project() -> None:
    from types import SimpleNamespace

    from chef import output

    batches = [SimpleNamespace(lines=("a", "b")), SimpleNamespace(lines=("c",))]
    assert output.cooked(SimpleNamespace(locked=True, batches=batches)) == (  # type: ignore[arg-type]
        "chef: cooked 3 packages")
    assert output.cooked(SimpleNamespace(locked=False, batches=[])) == (  # type: ignore[arg-type]
        "chef: cooked 0 requirements")
    assert output.installed(["app", "lib"]) == "chef: installed app, lib"
