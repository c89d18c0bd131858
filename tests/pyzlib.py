"""chef.pyz for the tests: the pinned wheels (downloaded once, then reused offline) and pyz builds
with the repository's one build command, `scripts/build_pyz.py`.

The pinned wheels (scripts/pyz-requirements.txt) come from the package index once per set of
pins, with the user's pip configuration, into a cache outside the repository
(`~/.cache/chef-tests`, or CHEF_TEST_TOOLS); every later build, in any session, reads that
directory with `--wheels`, offline. Tests that use them are marked `network`: the first session
on a machine downloads.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
BUILD_PYZ = ROOT / "scripts" / "build_pyz.py"
PINS = ROOT / "scripts" / "pyz-requirements.txt"


class PyzError(AssertionError):
    pass


def run_build(args: Sequence[str], env: Optional[Mapping[str, str]] = None,
              python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """`python scripts/build_pyz.py ARGS` as a user runs it (cwd: the checkout)."""
    return subprocess.run([python, str(BUILD_PYZ), *args], cwd=ROOT, capture_output=True,
                          text=True, env=dict(env) if env is not None else None, timeout=600,
                          check=False)


def pinned_wheels() -> Path:
    """A directory holding exactly the pinned wheels (hash-checked by the build script)."""
    base = Path(os.environ.get("CHEF_TEST_TOOLS") or Path.home() / ".cache" / "chef-tests")
    digest = hashlib.sha256(PINS.read_bytes()).hexdigest()[:12]
    wheels = base / f"pyz-wheels-{digest}"
    stamp = wheels / "complete"
    if stamp.exists():
        return wheels
    import fcntl

    base.mkdir(parents=True, exist_ok=True)
    with open(base / "pyz-wheels.lock", "w") as lock:  # concurrent sessions: one downloads
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            done = run_build(["--download", str(wheels)])
            if done.returncode != 0:
                raise PyzError(f"downloading the pinned wheels failed:\n{done.stdout}{done.stderr}")
            stamp.write_text(PINS.read_text())
    return wheels


def build_pyz(output: Path, env: Optional[Dict[str, str]] = None,
              python: str = sys.executable) -> Path:
    """Build chef.pyz from this checkout and the pinned wheels, offline; returns `output`."""
    done = run_build(["--wheels", str(pinned_wheels()), "--output", str(output)], env=env,
                     python=python)
    if done.returncode != 0:
        raise PyzError(f"scripts/build_pyz.py failed ({done.returncode}):\n"
                       f"{done.stdout}{done.stderr}")
    return output
