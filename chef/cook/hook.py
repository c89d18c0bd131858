"""install-project's build hook: the PEP 517 backend of one local package, called in the build
environment's interpreter (no build isolation), as one process that answers chef's commands
("requires", "build", "compile") for the whole install-project (chef.cook.buildenv)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from chef import scm_version
from chef.cook import process
from chef.cook.target import MARKER_ENV
from chef.errors import InputError, InstallError, TargetEnvironmentError
from chef.model import LocalPackage
from chef.scm_version import ScmVersion
from chef.toml import load_toml

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

# Runs in the build environment, one process per local package, for the whole install-project:
# it answers the commands chef writes to its stdin, one JSON line each, with one JSON line on the
# original stdout: "requires" (what the backend asks for, checked by chef before anything is
# built), "build" (the wheel), then, when it is the target's own interpreter, "compile" (the
# bytecode of the project's new modules): one interpreter start and one backend import instead of
# one per step. The backend's own output (and its subprocesses') goes to stderr, or nowhere when
# quiet, so it never mixes with the results; its stdin is the null device (as pip gives it), the
# pipe being chef's. EOF on stdin: exit.
_HOOK = MARKER_ENV + r"""
import importlib, json, os, sys
cfg = json.loads(sys.argv[1])
commands = os.fdopen(os.dup(0), "r")
null_in = os.open(os.devnull, os.O_RDONLY)
os.dup2(null_in, 0)
os.close(null_in)
result_fd = os.dup(1)
if cfg["quiet"]:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
else:
    os.dup2(2, 1)
results = os.fdopen(result_fd, "w")

def reply(result):
    sys.stdout.flush()
    results.write(json.dumps(result) + "\n")
    results.flush()

sys.path[:0] = [os.path.abspath(p) for p in cfg["backend_path"]]
module, _, attr = cfg["backend"].partition(":")
try:
    backend = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        backend = getattr(backend, part)
except (ImportError, AttributeError) as exc:
    reply({"import_error": "%s: %s" % (type(exc).__name__, exc)})
    sys.exit(0)
kind = cfg["kind"]

def requires():
    if getattr(backend, "build_" + kind, None) is None:
        return {"error": "the build backend has no build_" + kind + " hook (PEP 660)"}
    get_requires = getattr(backend, "get_requires_for_build_" + kind, None)
    requires = [str(r) for r in get_requires({})] if get_requires else []
    from importlib import metadata
    installed = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in installed:  # the first on sys.path, as an import finds it
            installed[name] = dist.version
    return {"requires": requires, "installed": installed, "env": marker_env()}

def compile_files(files):
    # As `python -I -m compileall -q -q -i -` makes them, which ignores PYTHONOPTIMIZE and
    # PYTHONPYCACHEPREFIX: with either in effect here chef runs that command instead.
    if sys.flags.optimize or getattr(sys, "pycache_prefix", None):
        return {"compiled": False}
    import compileall
    for name in files:
        compileall.compile_file(name, quiet=2)
    return {"compiled": True}

for line in commands:
    command = json.loads(line)
    step = command["step"]
    if step == "requires":
        reply(requires())
    elif step == "build":
        reply({"wheel": getattr(backend, "build_" + kind)(command["outdir"], {}, None)})
    elif step == "compile":
        reply(compile_files(command["files"]))
"""


@dataclass(frozen=True)
class _Build:
    """One local package to build: where, with which backend, and the path errors show."""

    package: LocalPackage
    source: Path  # absolute
    display: str  # absolute: the pyproject.toml (or directory) errors name
    backend: str
    backend_path: Tuple[str, ...]
    scm: Optional[ScmVersion] = None  # the version comes from git (chef.scm_version)
    version: Optional[str] = None  # install-project --version: handed to that tool


def _backend(source_dir: Path) -> Tuple[str, Tuple[str, ...], str]:
    """(backend, backend-path, display) of the package at `source_dir` (absolute)."""
    pyproject = source_dir / "pyproject.toml"
    if not pyproject.is_file():
        if (source_dir / "setup.py").is_file():
            return LEGACY_BACKEND, (), str(source_dir / "setup.py")
        raise InputError(
            "no pyproject.toml or setup.py to build",
            path=str(source_dir),
            hint="COPY the whole project before install-project; --project-dir, the current "
            "directory by default, is the directory `chef prepare` read",
        )
    display = str(pyproject)
    system = load_toml(pyproject, display).get("build-system") or {}
    if not isinstance(system, dict):
        raise InputError("[build-system] must be a table", path=display)
    backend = system.get("build-backend") or LEGACY_BACKEND
    backend_path = system.get("backend-path") or []
    if (
        not isinstance(backend, str)
        or not isinstance(backend_path, list)
        or not all(isinstance(p, str) for p in backend_path)
    ):
        raise InputError("invalid [build-system] build-backend/backend-path", path=display)
    return backend, tuple(backend_path), display


class _Hook:
    """The build environment's interpreter running `_HOOK` for one package: `ask` sends one
    command and returns the backend's answer. Used as a context manager: on exit its stdin is
    closed and it is waited for (killed when chef leaves on an error)."""

    def __init__(self, build_python: str, build: _Build, kind: str, quiet: bool) -> None:
        self.build = build
        self.python = build_python
        self.sent = False
        cfg = {
            "backend": build.backend,
            "backend_path": list(build.backend_path),
            "kind": kind,
            "quiet": quiet,
        }
        # PEP 517: the build requirements' scripts must be on PATH (uv_build runs `uv-build`).
        scripts = str(Path(build_python).parent)
        env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
        # A version from git without .git: the tool's variables (and versioningit's PKG-INFO)
        # for as long as the hook runs (chef.scm_version).
        self.version = contextlib.ExitStack()
        env.update(self.version.enter_context(
            scm_version.handed(build.source, build.scm, build.version)))
        try:
            self.process = process.spawn(process.Call(
                (build_python, "-c", _HOOK, json.dumps(cfg)), f"building {build.package.name}",
                program="build environment's interpreter", env=env, cwd=str(build.source),
                error=TargetEnvironmentError, path=build_python,
                fix="run `chef cook` again to recreate it"))
        except BaseException:
            self.version.close()
            raise

    def ask(self, step: str, **arguments: Any) -> Dict[str, Any]:
        """The answer to one command (`send`, then `answer`)."""
        self.send(step, **arguments)
        return self.answer(step)

    def send(self, step: str, **arguments: Any) -> None:
        """One command: the hook works on it while chef does something else."""
        process = self.process
        self.sent = False
        if process.stdin is not None:
            try:
                process.stdin.write(json.dumps({"step": step, **arguments}).encode() + b"\n")
                process.stdin.flush()
                self.sent = True
            except OSError:  # the process is gone: `answer` says so
                pass

    def answer(self, step: str) -> Dict[str, Any]:
        """The answer to the command sent; a backend that failed (it printed its error) or a
        process that is gone: one line, InstallError."""
        process = self.process
        result: Any = None
        if self.sent and process.stdout is not None:
            try:
                result = json.loads(process.stdout.readline().decode("utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                result = None
        if not isinstance(result, dict):
            self.close(wait=True)
            what = "asking" if step == "requires" else ("building" if step == "build"
                                                         else "compiling")
            build = self.build
            raise InstallError(
                f"{what} {build.package.name} with {build.backend} failed; the backend's error "
                "is above",
                path=build.display,
                hint=scm_version.HOW if build.scm is not None and build.version is None
                else "are its build requirements in the recipe? run `chef cook` first",
            )
        return result

    def close(self, wait: bool = True) -> None:
        process = self.process
        if process.stdin is not None and not process.stdin.closed:
            try:
                process.stdin.close()
            except OSError:
                pass
        if not wait:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self.version.close()

    def __enter__(self) -> _Hook:
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        self.close(wait=kind is None)
