"""install-project: build the project's own local packages in the build environment that cook
prepared and install them with `--no-deps`, offline.

The PEP 517 hooks are called directly in the build environment's interpreter (no build isolation:
isolation would download the build requirements again, defeating the cached layer).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from chef.cook import installers
from chef.cook.run import TargetSpec, resolve_target
from chef.cook.target import venv_python
from chef.errors import EnvironmentError_, InputError, InstallError
from chef.model import LocalPackage
from chef.recipe import load
from chef.toml import load_toml

_HOOK = r"""
import importlib, json, os, sys
cfg = json.loads(sys.argv[1])
sys.path[:0] = [os.path.abspath(p) for p in cfg["backend_path"]]
module, _, attr = cfg["backend"].partition(":")
backend = importlib.import_module(module)
for part in filter(None, attr.split(".")):
    backend = getattr(backend, part)
result = {}
get_requires = getattr(backend, "get_requires_for_build_" + cfg["kind"], None)
result["requires"] = list(get_requires({})) if get_requires else []
hook = getattr(backend, "build_" + cfg["kind"], None)
if hook is None:
    result["error"] = "the build backend has no build_" + cfg["kind"] + " hook (PEP 660)"
else:
    result["wheel"] = hook(cfg["outdir"], {}, None)
with open(cfg["result"], "w") as f:
    json.dump(result, f)
"""

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

Echo = Callable[[str], None]


def build_order(packages: Dict[str, LocalPackage]) -> List[LocalPackage]:
    """Local packages, dependencies first (ties by name, cycles broken by name)."""
    order: List[LocalPackage] = []
    state: Dict[str, int] = {}

    def deps_of(p: LocalPackage) -> List[str]:
        return sorted(n for n in p.requires if n in packages and n != p.name)

    def visit(name: str) -> None:
        if state.get(name):
            return
        state[name] = 1
        for dep in deps_of(packages[name]):
            visit(dep)
        state[name] = 2
        order.append(packages[name])

    for name in sorted(packages):
        visit(name)
    return order


def _backend(source_dir: Path, display: str) -> tuple[str, List[str]]:
    pyproject = source_dir / "pyproject.toml"
    if not pyproject.is_file():
        if (source_dir / "setup.py").is_file():
            return LEGACY_BACKEND, []
        raise InputError("no pyproject.toml or setup.py to build", path=display)
    system = load_toml(pyproject, display).get("build-system") or {}
    backend = system.get("build-backend") or LEGACY_BACKEND
    backend_path = system.get("backend-path") or []
    if not isinstance(backend, str) or not isinstance(backend_path, list):
        raise InputError("invalid [build-system] build-backend/backend-path", path=display)
    return backend, [str(p) for p in backend_path]


def build_wheel(
    build_python: str, source_dir: Path, outdir: Path, editable: bool, display: str, quiet: bool
) -> Path:
    backend, backend_path = _backend(source_dir, display)
    kind = "editable" if editable else "wheel"
    with tempfile.TemporaryDirectory(prefix="chef-hook-") as tmp:
        result_file = Path(tmp) / "result.json"
        cfg = {
            "backend": backend,
            "backend_path": backend_path,
            "kind": kind,
            "outdir": str(outdir),
            "result": str(result_file),
        }
        # PEP 517: the build requirements' scripts must be on PATH (uv_build runs `uv-build`).
        scripts = str(Path(build_python).parent)
        env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", "")}
        done = subprocess.run(
            [build_python, "-c", _HOOK, json.dumps(cfg)],
            cwd=source_dir,
            env=env,
            stdout=subprocess.DEVNULL if quiet else None,
            check=False,
        )
        if done.returncode != 0 or not result_file.exists():
            raise InstallError(
                f"building {display} with {backend} failed; the backend's error is above",
                hint="are its build requirements in the recipe? run `chef cook` first",
            )
        result = json.loads(result_file.read_text("utf-8"))
    if "error" in result:
        raise InstallError(result["error"], path=display)
    return outdir / str(result["wheel"])


def install_project(
    recipe_path: Path,
    spec: TargetSpec = TargetSpec(),
    *,
    project_dir: Optional[Path] = None,
    editable: bool = False,
    installer: str = "auto",
    packages: Sequence[str] = (),
    quiet: bool = False,
    echo: Echo = print,
) -> List[str]:
    recipe = load(recipe_path)
    root = (project_dir or recipe_path.resolve().parent).resolve()
    backend = installers.choose(installer)
    spec = spec.with_default()
    target = resolve_target(spec, backend, echo, create=True)
    build_env = spec.default_build_env()
    build_python = venv_python(build_env)
    local = {n: p for n, p in recipe.local_packages.items() if p.installable}
    if packages:
        from chef.model import canonical

        wanted = {canonical(p) for p in packages}
        unknown = wanted - set(local)
        if unknown:
            raise InputError(
                f"no installable local package {', '.join(sorted(unknown))} in the recipe",
                path=str(recipe_path),
            )
        local = {n: p for n, p in local.items() if n in wanted}
    if not local:
        echo("chef: the recipe has no local package to install")
        return []
    if not build_python.exists():
        raise EnvironmentError_(
            f"no build environment at {build_env}",
            hint="run `chef cook` first with the same --venv/--python (or --build-env)",
        )
    wheels: List[str] = []
    names: List[str] = []
    with tempfile.TemporaryDirectory(prefix="chef-wheels-") as tmp:
        for package in build_order(local):
            source = root / package.path
            display = package.path if package.path != "." else "."
            if not source.is_dir():
                raise InputError(
                    f"local package {package.name} not found at {display}",
                    hint="COPY the project before install-project",
                )
            if not quiet:
                echo(f"chef: building {package.name} ({display})")
            wheels.append(
                str(build_wheel(str(build_python), source, Path(tmp), editable, display, quiet))
            )
            names.append(package.name)
        installers.run(
            backend.install_paths(target.python, wheels, quiet), "installing the project", quiet
        )
    return names
