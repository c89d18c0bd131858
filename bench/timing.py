"""Whole-process timing for the benchmarks: wall time and peak memory of each run, medians.

Each run is a fresh process started with subprocess; its own resource usage (peak RSS) comes from
os.wait4, the operating system's accounting of that one child. Commands compared with each other
run in turn (A B A B ...) so that a drift in the machine's speed hits all of them alike. Nothing
here judges a number: the benchmarks print tables and never assert on time.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple


@dataclass
class Runs:
    """The counted runs of one command."""

    walls: List[float] = field(default_factory=list)  # seconds
    cpus: List[float] = field(default_factory=list)  # user + system seconds
    peaks: List[int] = field(default_factory=list)  # KiB
    failure: Optional[str] = None  # why the command could not be measured

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.walls)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.walls) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpus) * 1000

    @property
    def spread_ms(self) -> float:
        """Half the distance between the quartiles: how noisy the runs were."""
        if len(self.walls) < 4:
            return 0.0
        q = statistics.quantiles(self.walls, n=4)
        return (q[2] - q[0]) / 2 * 1000

    @property
    def peak_mib(self) -> float:
        return max(self.peaks) / 1024


@dataclass
class Command:
    name: str
    argv: List[str]
    cwd: Optional[Path] = None
    env: Optional[Mapping[str, str]] = None
    before: Optional[Callable[[], None]] = None  # untimed setup before each run (a fresh venv)


# A forked child's peak RSS starts at its parent's (the pages it shares until exec), so the peak
# of a command is taken by /usr/bin/time, a small process, when it is there.
TIME = Path("/usr/bin/time")


def clean_environ(drop_prefixes: Tuple[str, ...]) -> Dict[str, str]:
    """This process's environment for a timed command, without the variables of the tools named
    by `drop_prefixes` (their user config) and without PYTHONPATH and PYTHONHOME: each timed
    chef runs the package its own venv holds (with PYTHONPATH naming a checkout, REV's venv and
    the tree's would both import that checkout's chef, and time one chef against itself)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(drop_prefixes)
        and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONHOME")
    }


def run_once(command: Command) -> Tuple[float, float, int, int, str]:
    """(wall seconds, cpu seconds, peak RSS KiB, exit code, stderr tail) of one run."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak_file:
        argv = list(command.argv)
        if TIME.exists():
            argv = [str(TIME), "-f", "%M", "-o", peak_file.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=command.cwd,
            env=dict(command.env) if command.env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace").strip()
        peak = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
        measured = peak_file.read().split()
        if measured and measured[-1].isdigit():
            peak = int(measured[-1])
    return wall, usage.ru_utime + usage.ru_stime, peak, proc.returncode, tail


def measure(commands: Sequence[Command], runs: int, warmup: int = 1) -> Dict[str, Runs]:
    """Run the commands in turn, `warmup` uncounted rounds then `runs` counted ones."""
    results = {c.name: Runs() for c in commands}
    for round_ in range(warmup + runs):
        for command in commands:
            result = results[command.name]
            if result.failure is not None:
                continue
            if command.before is not None:
                command.before()
            wall, cpu, peak, code, tail = run_once(command)
            if code != 0:
                last = tail.splitlines()[-1] if tail else "no output"
                result.failure = f"exit {code}: {last}"
                continue
            if round_ >= warmup:
                result.walls.append(wall)
                result.cpus.append(cpu)
                result.peaks.append(peak)
    return results


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores ({cpu}), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    )


def fmt_ms(runs: Runs) -> str:
    if not runs.ok:
        return "—"
    spread = runs.spread_ms
    return f"{runs.median_ms:.0f}" + (f" ±{spread:.0f}" if spread >= 1 else "")


def fmt_ratio(a: Runs, b: Runs) -> str:
    if not (a.ok and b.ok):
        return "—"
    return f"{a.median_ms / b.median_ms:.2f}×"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; numeric-looking columns right-aligned."""
    align = []
    for i in range(len(headers)):
        cells = [r[i] for r in rows if r[i] not in ("", "—")]
        numeric = bool(cells) and all(c[:1].isdigit() for c in cells)
        align.append("---:" if numeric else "---")
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_INSTALLED: List[str] = []

_SCRIPT = """#!{python}
import sys
from chef.cli import run
if __name__ == "__main__":
    sys.exit(run())
"""


def install_chef(workdir: Path, source: Optional[Path] = None) -> List[str]:
    """chef as an install leaves it, so that the timings are what users get: a venv holding a
    copy of this checkout's `chef` package with compiled bytecode and a console script like
    pip's, its dependencies reached through a .pth line to this interpreter's site-packages. The
    development venv would add the editable finder (~8 ms a run here) and the .pth files of
    every test tool. Afterwards chef_argv() returns that console script.
    `source`: another copy's `chef` package directory instead (an earlier commit's, to compare
    with: bench/compare.py, bench/cook.py --against); its console script is returned, and
    chef_argv() stays this checkout's."""
    import compileall
    import shutil
    import sysconfig

    import chef

    venv = workdir / ("chef-venv" if source is None else f"chef-venv-{source.parent.name}")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    site = Path(purelib)
    shutil.copytree(source or Path(chef.__file__).parent, site / "chef",
                    ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(str(site / "chef"), quiet=1)
    (site / "chef-bench-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = venv / "bin" / "chef"
    script.write_text(_SCRIPT.format(python=python))
    script.chmod(0o755)
    if source is not None:
        return [str(script)]
    _INSTALLED[:] = [str(script)]
    return list(_INSTALLED)


def chef_argv() -> List[str]:
    """The chef command the benchmarks time: install_chef's when it ran, else the `chef`
    console script of this interpreter's environment."""
    if _INSTALLED:
        return list(_INSTALLED)
    script = Path(sys.executable).parent / "chef"
    return [str(script)] if script.exists() else [sys.executable, "-m", "chef"]


# ---------------------------------------------------------------- chef.pyz

def build_pyz(workdir: Path, wheels: Optional[Path] = None) -> Path:
    """chef.pyz of this checkout, built by the repository's one command (scripts/build_pyz.py):
    from `wheels` offline, else with the pinned wheels downloaded by pip."""
    root = Path(__file__).resolve().parent.parent
    out = workdir / "chef.pyz"
    argv = [sys.executable, str(root / "scripts" / "build_pyz.py"), "--output", str(out)]
    if wheels is not None:
        argv += ["--wheels", str(wheels)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError("scripts/build_pyz.py failed: " + (done.stderr or done.stdout).strip())
    return out


def bare_python(workdir: Path) -> str:
    """A python3 with an empty site-packages (a venv of this interpreter's base, no pip): what
    a base image's python3 gives chef.pyz, without this machine's site-packages and .pth files."""
    venv = workdir / "bare-python"
    if not venv.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    return str(venv / "bin" / "python")


def unpack_pyz(pyz: Path, python: str, directory: Path) -> Path:
    """chef.pyz unpacked and its bytecode compiled by `python`, as Dockerfile.example does."""
    import zipfile

    with zipfile.ZipFile(pyz) as archive:
        archive.extractall(directory)
    subprocess.run([python, "-m", "compileall", "-q", str(directory)], check=True)
    return directory
