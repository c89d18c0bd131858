"""Python interpreters for the tests: the marker environment a project accepts, and the other
interpreters of this machine, found generically (never one hard-coded path).

Searched, in this order: the running interpreter, `python3` and `python3.N` in every PATH
directory, pyenv's versions directory (`$PYENV_ROOT/versions`, default `~/.pyenv/versions`), and
the interpreters `uv python list --only-installed` knows. Each candidate is run once to learn its
version; one that does not run (a pyenv shim for a version that is not selected) is left out.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

MINORS = range(8, 16)  # python3.8 .. python3.15 on PATH


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: Tuple[int, int, int]

    @property
    def full_version(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def minor(self) -> Tuple[int, int]:
        return self.version[0], self.version[1]

    def __str__(self) -> str:
        return f"{self.path} ({self.full_version})"


@dataclass(frozen=True)
class Search:
    found: Tuple[Interpreter, ...]  # working CPython interpreters, one per real executable
    searched: Tuple[str, ...]  # what was looked at, for a skip or failure message

    def describe(self) -> str:
        found = ", ".join(map(str, self.found)) or "none"
        return f"searched {'; '.join(self.searched)}; found {found}"


def _probe(path: str) -> Optional[Tuple[Tuple[int, int, int], str]]:
    code = (
        "import sys, json; print(json.dumps([list(sys.version_info[:3]),"
        " sys.implementation.name, sys.executable]))"
    )
    try:
        done = subprocess.run(
            [path, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        version, implementation, executable = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if implementation != "cpython":
        return None
    return (int(version[0]), int(version[1]), int(version[2])), executable


def _uv_pythons() -> List[str]:
    from chef.cook.installers import find_uv

    uv = find_uv()
    if uv is None:
        return []
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV_NO_CONFIG="1", UV_OFFLINE="1", UV_PYTHON_DOWNLOADS="never")
    try:
        done = subprocess.run(
            [uv, "python", "list", "--only-installed", "--output-format", "json"],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
        return [str(d["path"]) for d in json.loads(done.stdout or "[]") if d.get("path")]
    except (OSError, subprocess.TimeoutExpired, ValueError, TypeError, KeyError):
        return []


@functools.cache
def search() -> Search:
    """Every working CPython interpreter of this machine (the running one first)."""
    candidates: List[str] = [sys.executable]
    searched = [f"the running interpreter {sys.executable}"]
    names = ["python3"] + [f"python3.{m}" for m in MINORS]
    path_dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for directory in path_dirs:
        candidates += [os.path.join(directory, n) for n in names if os.path.isfile(os.path.join(directory, n))]
    searched.append(f"python3, python3.{MINORS[0]}..python3.{MINORS[-1]} on PATH "
                    f"({len(path_dirs)} directories)")
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates += sorted(str(p) for p in pyenv.glob("*/bin/python3"))
    searched.append(f"{pyenv}/*/bin/python3")
    candidates += _uv_pythons()
    searched.append("`uv python list --only-installed`")

    found: List[Interpreter] = []
    probed_paths: Set[str] = set()
    executables: Set[str] = set()
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real in probed_paths:
            continue
        probed_paths.add(real)
        probed = _probe(candidate)
        if probed is None:
            continue
        version, executable = probed
        key = os.path.realpath(executable)  # a venv's python and its base are one interpreter
        if key in executables:
            continue
        executables.add(key)
        found.append(Interpreter(candidate, version))
    return Search(tuple(found), tuple(searched))


def others() -> Tuple[List[Interpreter], Search]:
    """Interpreters of another minor version than the running one, nearest first (newer first
    at equal distance)."""
    result = search()
    here = sys.version_info[:2]
    other = [i for i in result.found if i.minor != here]
    best: Dict[Tuple[int, int], Interpreter] = {}
    for interpreter in other:
        if interpreter.minor not in best or interpreter.version > best[interpreter.minor].version:
            best[interpreter.minor] = interpreter
    ordered = sorted(best.values(), key=lambda i: (abs(i.minor[1] - here[1]), -i.minor[1]))
    return ordered, result


def accepting(requires_python: str) -> Tuple[List[Interpreter], Search]:
    """Interpreters whose version satisfies `requires_python`, the running one first, then the
    newest first."""
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(requires_python)
    result = search()
    ok = [i for i in result.found if spec.contains(i.full_version, prereleases=True)]
    running = [i for i in ok if i.path == sys.executable]
    rest = sorted((i for i in ok if i.path != sys.executable), key=lambda i: i.version,
                  reverse=True)
    return running + rest, result


def marker_environment(interpreter: Interpreter) -> Dict[str, str]:
    """PEP 508 marker environment of `interpreter`, computed by `packaging` run inside it."""
    import packaging

    location = str(Path(packaging.__file__).resolve().parent.parent)
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "from packaging.markers import default_environment;"
        "print(json.dumps(default_environment()))"
    )
    done = subprocess.run(
        [interpreter.path, "-I", "-c", code, location],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"cannot read the marker environment of {interpreter}: {done.stderr}")
    return dict(json.loads(done.stdout))


def environment_for(requires_python: Optional[str]) -> Tuple[Dict[str, str], str]:
    """The running interpreter's marker environment, or, when the project's requires-python
    excludes it, the same environment with the lowest Python 3.x the project accepts (said in
    the returned note), so that chef and the oracle can still be compared."""
    from packaging.markers import default_environment
    from packaging.specifiers import SpecifierSet

    env: Dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    if not requires_python:
        return env, ""
    spec = SpecifierSet(requires_python)
    if spec.contains(env["python_full_version"], prereleases=True):
        return env, ""
    for minor in range(8, 20):
        version = f"3.{minor}.0"
        if spec.contains(version, prereleases=True):
            env.update(
                python_version=f"3.{minor}",
                python_full_version=version,
                implementation_version=version,
            )
            return env, f"python {version} (requires-python {requires_python})"
    raise AssertionError(f"no Python 3 satisfies {requires_python}")
