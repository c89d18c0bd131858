"""Ask the target interpreter for its marker environment.

Markers must be evaluated for the interpreter that will run the app, which is rarely the one
running chef (chef lives in its own venv, the target may even be another Python version). The probe
is plain stdlib code, so the target needs nothing installed; it mirrors
`packaging.markers.default_environment()`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from chef.cook import process
from chef.errors import TargetEnvironmentError

# Defines `marker_env()` in the interpreter it runs in (shared with install-project's hook).
MARKER_ENV = r"""
import os as _os, platform as _platform, sys as _sys
def _fmt(info):
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version
def marker_env():
    return {
        "implementation_name": _sys.implementation.name,
        "implementation_version": _fmt(_sys.implementation.version),
        "os_name": _os.name,
        "platform_machine": _platform.machine(),
        "platform_release": _platform.release(),
        "platform_system": _platform.system(),
        "platform_version": _platform.version(),
        "python_full_version": _platform.python_version(),
        "platform_python_implementation": _platform.python_implementation(),
        "python_version": ".".join(_platform.python_version_tuple()[:2]),
        "sys_platform": _sys.platform,
    }
"""

_PROBE = MARKER_ENV + r"""
import json, sys
try:
    glibc = _os.confstr("CS_GNU_LIBC_VERSION")
except (AttributeError, ValueError, OSError):
    glibc = None
print(json.dumps({
    "env": marker_env(),
    "executable": sys.executable,
    "glibc": glibc,
    "abiflags": getattr(sys, "abiflags", ""),
}))
"""


@dataclass(frozen=True)
class Target:
    python: str  # path to the interpreter
    env: Dict[str, str]
    glibc: Optional[str] = None  # "glibc 2.36" (os.confstr), None elsewhere (musl, macOS)
    abiflags: str = ""  # sys.abiflags: "t" for a free-threaded build


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def probe(python: str, runner: Optional[process.Runner] = None) -> Target:
    done = process.run(process.Call(
        (python, "-I", "-S", "-c", _PROBE), "asking the target interpreter for its environment",
        program="target interpreter", output="capture", timeout=60, error=TargetEnvironmentError,
        path=python, fix="pass --python PATH or --venv PATH",
    ), runner)
    data = json.loads(done.stdout)
    return Target(
        python=python,
        env=data["env"],
        glibc=data.get("glibc"),
        abiflags=data.get("abiflags") or "",
    )
