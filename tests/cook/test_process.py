"""chef.cook.process: one runner starts every process of a cook, under one policy (a missing
program, a non-zero exit code, a timeout; output shown, masked, captured); `cook(runner=...)`
takes a fake one, as pypa/build's `ProjectBuilder(runner=...)` does."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from conftest import write

from chef import errors
from chef.cook import installers, process
from chef.cook.run import TargetSpec, cook
from chef.errors import InstallError, TargetEnvironmentError
from chef.prepare import prepare_to_file

HASH = "a" * 64
PY = sys.executable


def _recipe(tmp_path: Path) -> Path:
    write(tmp_path / "p" / "requirements.txt",
          "--index-url https://index.invalid/simple\n"
          f"chef-test-alpha==1.0 --hash=sha256:{HASH}\n")
    recipe = tmp_path / "p" / "recipe.json"
    prepare_to_file(tmp_path / "p", recipe)
    return recipe


class Recorder:
    """A fake runner: the target interpreter's report (captured output) runs for real; any
    other program is recorded (argv, the files its -r/-c name) and "succeeds"."""

    def __init__(self, returncode: int = 0) -> None:
        self.returncode = returncode
        self.calls: List[Tuple[process.Call, Dict[str, str]]] = []

    def __call__(self, call: process.Call) -> process.Completed:
        if call.output == "capture":
            return process.subprocess_runner(call)
        files = {flag: Path(value).read_text("utf-8")
                 for flag, value in zip(call.argv, call.argv[1:]) if flag in ("-r", "-c")}
        self.calls.append((call, files))
        return process.Completed(self.returncode)


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_cook_with_a_fake_runner_runs_no_installer(tmp_path: Path, installer: str) -> None:
    recipe = _recipe(tmp_path)
    runner = Recorder()
    shown: List[str] = []
    # Were the runner not used, the real installer would run and fail (index.invalid).
    cook(recipe, TargetSpec(python=PY), installer=installer, build_deps=False, quiet=True,
         echo=shown.append, runner=runner)
    ((call, files),) = runner.calls
    argv = list(call.argv)
    start = [str(installers.find_uv()), "pip", "install"] if installer == "uv" else [
        PY, "-m", "pip", "--python", PY, "--disable-pip-version-check", "install", "--no-input"]
    assert argv[:len(start)] == start
    assert argv[argv.index("--python") + 1] == PY
    assert "--require-hashes" in argv and argv[-1] == "--quiet"
    assert argv[argv.index("--index-url") + 1] == "https://index.invalid/simple"
    assert files == {"-r": f"chef-test-alpha==1.0 --hash=sha256:{HASH}\n"}
    assert call.what == "installing dependencies" and call.output == "quiet"
    assert call.error is InstallError and call.mask is None
    assert process.current() is process.subprocess_runner  # the cook's runner is gone after it


def test_a_failing_installer_is_one_line_from_the_runner(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    with pytest.raises(InstallError) as info:
        cook(recipe, TargetSpec(python=PY), installer="uv", build_deps=False, quiet=True,
             echo=lambda _: None, runner=Recorder(returncode=5))
    assert str(info.value) == (
        "installing dependencies failed (exit code 5); the installer's error is above")
    assert info.value.exit_code == errors.EXIT_INSTALL


def test_a_missing_program_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "bin" / "uv"
    with pytest.raises(TargetEnvironmentError) as info:
        installers.run([str(missing), "pip", "install"], "installing dependencies", quiet=True)
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT
    assert str(info.value) == (
        f"{missing}: installer not found "
        "(install it next to chef, or choose one with --installer)")

    def gone(call: process.Call) -> process.Completed:  # a runner's OSError: the same policy
        raise FileNotFoundError(2, "No such file or directory", call.argv[0])

    with pytest.raises(TargetEnvironmentError) as again:
        installers.run([str(missing)], "installing dependencies", quiet=True, runner=gone)
    assert str(again.value) == str(info.value)
    # The target interpreter: the same policy, its own fix.
    with pytest.raises(TargetEnvironmentError) as probe:
        process.run(process.Call((str(missing),), "asking", program="target interpreter",
                                 output="capture", fix="pass --python PATH or --venv PATH"))
    assert str(probe.value) == (
        f"{missing}: target interpreter not found (pass --python PATH or --venv PATH)")


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_program_that_cannot_run_says_why(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\n")  # not executable
    with pytest.raises(TargetEnvironmentError) as info:
        process.run(process.Call((str(script),), "running the tool", program="tool"))
    assert str(info.value) == f"{script}: cannot run the tool: Permission denied"


def test_exit_codes_and_captured_output() -> None:
    code = "import sys; print('out'); print('one', file=sys.stderr); " \
           "print('last words', file=sys.stderr); sys.exit(3)"
    call = process.Call((PY, "-c", code), "asking the tool", output="capture",
                        error=TargetEnvironmentError, path="/the/tool")
    with pytest.raises(TargetEnvironmentError) as info:
        process.run(call)
    assert str(info.value) == "/the/tool: asking the tool failed (exit code 3): last words"
    done = process.run(process.Call(call.argv, "asking", output="capture", check=False))
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "one\nlast words\n")


@pytest.mark.parametrize("masked", [False, True])
def test_output_shown_masked_and_collected(capfd: pytest.CaptureFixture[str],
                                           masked: bool) -> None:
    code = ("import sys; data = sys.stdin.read(); print(data.upper()); "
            "print('progress with s3cret', file=sys.stderr)")
    mask = (lambda text: text.replace("s3cret", "***")) if masked else None
    done = process.run(process.Call((PY, "-c", code), "building", output="result",
                                    input="result with s3cret", mask=mask))
    assert done.stdout == "RESULT WITH S3CRET\n"
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ("progress with ***\n" if masked else "progress with s3cret\n")
    stream = "import sys; print('s3cret out'); print('s3cret err', file=sys.stderr)"
    for output in ("stream", "quiet"):
        done = process.run(process.Call((PY, "-c", stream), "x", output=output, mask=mask))
        assert done.stdout == "" and done.returncode == 0
        out, err = capfd.readouterr()
        secret = "***" if masked else "s3cret"
        assert out == (f"{secret} out\n" if output == "stream" else "")
        assert err == f"{secret} err\n"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("output", ["capture", "stream"])
def test_a_timeout_ends_the_process_group(tmp_path: Path, output: process.Output) -> None:
    pids = tmp_path / "pids"
    code = ("import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)']); "
            f"open({str(pids)!r}, 'w').write('%d' % child.pid); time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(TargetEnvironmentError) as info:
        process.run(process.Call((PY, "-c", code), "asking the slow tool", output=output,
                                 timeout=3, error=TargetEnvironmentError,
                                 mask=(lambda t: t) if output == "stream" else None))
    assert str(info.value) == "asking the slow tool did not finish within 3 s"
    assert time.monotonic() - started < 30
    child = int(pids.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the program's child was left running"


def test_a_target_interpreter_that_does_not_answer_is_one_line() -> None:
    import subprocess

    from chef.cook.target import probe

    def hangs(call: process.Call) -> process.Completed:
        assert call.timeout is not None
        raise subprocess.TimeoutExpired(list(call.argv), call.timeout)

    with pytest.raises(TargetEnvironmentError) as info:
        probe("/venv/bin/python", runner=hangs)
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT
    assert str(info.value) == ("/venv/bin/python: asking the target interpreter for its "
                               "environment did not finish within 60 s")
