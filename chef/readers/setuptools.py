"""setuptools static metadata: setup.cfg `[options]` install_requires / extras_require /
python_requires (with `file:` directives), the build requirements of pyproject.toml (setup_requires
is added with every local package's other build requirements, chef.readers.build).

Nothing is locked: the installer resolves, as `pip install .` would. A setup.py is code and is
never run: when the dependencies are not in setup.cfg, chef says so and how to go on.
(pyproject `dynamic = ["dependencies"]` with `[tool.setuptools.dynamic]` is the pyproject reader's.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from chef.errors import InputError
from chef.model import Dep, LocalPackage, Project, canonical
from chef.readers.boundary import project_file
from chef.readers.build import load_setup_cfg
from chef.readers.lines import plain_requirement_lines
from chef.readers.pyproject import DEFAULT_BUILD_REQUIRES, build_requires, parse_deps, rel_display
from chef.toml import load_toml

SETUP_PY_HINT = (
    "chef never runs setup.py: move install_requires to setup.cfg [options] or pyproject "
    "[project], or point chef at a requirements file (--requirements) or a lock"
)


def _setup_py_error(display: str, why: str) -> InputError:
    return InputError(
        f"{why}: the dependencies are in setup.py, which cannot be read statically",
        path=display,
        hint=SETUP_PY_HINT,
    )


def _lines(value: str, base: Path, root: Path, display: str, key: str) -> List[str]:
    """A setup.cfg list value: one requirement per line, or a `file:` directive (each file
    inside the project, chef.readers.boundary)."""
    text = value.strip()
    if text.startswith("file:"):
        out: List[str] = []
        for name in text[len("file:") :].split(","):
            path = project_file(root, base / name.strip(), display, f"{key} file: {name.strip()}")
            out.extend(plain_requirement_lines(path, rel_display(root, path)))
        return out
    if text.startswith("attr:"):
        raise InputError(
            f"{text!r} needs the package's code to be imported", path=display, hint=SETUP_PY_HINT
        )
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def read(root: Path, subdir: str = ".") -> Project:
    base = root / subdir
    display = rel_display(root, base / "setup.cfg")
    has_setup_py = (base / "setup.py").is_file()
    if not (base / "setup.cfg").is_file():
        raise _setup_py_error(rel_display(root, base / "setup.py"), "no setup.cfg")
    parser = load_setup_cfg(base / "setup.cfg", display)
    if not parser.has_option("options", "install_requires"):
        if has_setup_py:
            raise _setup_py_error(display, "setup.cfg has no [options] install_requires")
        if not parser.has_section("metadata"):
            raise InputError(
                "setup.cfg has no [metadata] or [options]: not a package",
                path=display,
                hint="point chef at a requirements file or a lock",
            )
    name = parser.get("metadata", "name", fallback=None)
    if not name:
        raise InputError(
            "setup.cfg has no [metadata] name", path=display, hint="add name = ... to [metadata]"
        )
    deps = parse_deps(
        _lines(parser.get("options", "install_requires", fallback=""), base, root, display,
               "options.install_requires"),
        display,
        "options.install_requires",
    )
    extras: Dict[str, Tuple[Dep, ...]] = {}
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            key = f"options.extras_require.{extra}"
            lines = _lines(value, base, root, display, key)
            extras[canonical(extra)] = parse_deps(lines, display, key)
    requires_python: Optional[str] = None
    if parser.has_option("options", "python_requires"):
        text = parser.get("options", "python_requires")
        try:
            requires_python = str(SpecifierSet(text.strip())) or None
        except InvalidSpecifier:
            raise InputError(f"invalid python_requires {text.strip()!r}", path=display) from None
    build: Tuple[str, ...] = DEFAULT_BUILD_REQUIRES
    inputs = [display]
    if (base / "pyproject.toml").is_file():
        shown = rel_display(root, base / "pyproject.toml")
        build = build_requires(load_toml(base / "pyproject.toml", shown), shown)
        inputs.insert(0, shown)
    package = LocalPackage(
        name=canonical(name),
        path=subdir,
        build_requires=build,
        dependencies=deps,
        extras=tuple(sorted(extras.items())),
    )
    project = Project(root=root, manager="setuptools", inputs=inputs)
    project.local_packages = {package.name: package}
    project.roots = [Dep(name=package.name)]
    project.requires_python = requires_python
    if has_setup_py:
        project.notes.append("setup.py is not run: dependencies come from setup.cfg only")
    return project
