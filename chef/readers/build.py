"""Build requirements beyond `[build-system].requires`, and the pins that constrain them.

A PEP 517 backend may ask for more than `[build-system].requires` through
`get_requires_for_build_wheel`; pip and uv install that into their isolated build environment.
install-project builds offline in the environment cook prepared, so what the backend will ask for
must be in the recipe. chef reads what the common backends declare statically:

- setuptools (`setuptools.build_meta`, its `__legacy__`, or no `[build-system]`): setup.cfg
  `[options] setup_requires`, which setuptools returns from `get_requires_for_build_wheel`.
- hatchling (`hatchling.build`): what its wheel builder's `config.dependencies` holds
  (hatchling/builders/config.py): `[tool.hatch.build.targets.wheel] dependencies`,
  `[tool.hatch.build] dependencies`, `require-runtime-dependencies`/`require-runtime-features`,
  and the `dependencies` of every build hook the build runs. Hooks come from
  `[tool.hatch.build.hooks.<name>]` and `[tool.hatch.build.targets.wheel.hooks.<name>]` (the
  target's table replaces the global one of the same name); a `hatch.toml` beside pyproject.toml
  replaces `[tool.hatch]`'s top-level tables key by key, as hatchling's shallow update does.
  Editable builds use the same wheel target, so the same hooks.

A hook with `enable-by-default = false` runs only when `HATCH_BUILD_HOOKS_ENABLE` or
`HATCH_BUILD_HOOK_ENABLE_<NAME>` (`<NAME>` is the hook name as written, upper-cased by
`str.upper()`: `jupyter-builder` -> `HATCH_BUILD_HOOK_ENABLE_JUPYTER-BUILDER`) is `1` or `true`
where the build runs. Its requirements are recorded under both variables
(`LocalPackage.build_requires_env`) and cook installs them when one of them is on in its own
environment: in Docker, cook and install-project run in the same stage, so an `ENV` reaches both,
and an `ENV` is part of the cache key of every later layer. `HATCH_BUILD_NO_HOOKS` is not
evaluated: cook then installs requirements the build will not use, never fewer than it needs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Sequence, Set, Tuple

from chef.errors import InputError
from chef.model import Dep, Project, canonical, replace
from chef.readers.lines import logical_lines
from chef.readers.pyproject import (
    expect,
    parse_deps,
    rel_display,
    str_list,
    table,
    tool_table,
)
from chef.toml import load_toml, read_text

if TYPE_CHECKING:
    import configparser

HATCH_BACKEND = "hatchling.build"
HOOKS_ENABLE = "HATCH_BUILD_HOOKS_ENABLE"
HOOK_ENABLE_PREFIX = "HATCH_BUILD_HOOK_ENABLE_"
# A variable name an environment can carry and a recipe may hold (hook names are TOML keys: a
# hook named outside this can still be switched on by HATCH_BUILD_HOOKS_ENABLE).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
MAX_ENV_NAME = 200  # the longest variable name a recipe holds (chef.recipe)

EnvRequires = Tuple[Tuple[str, Tuple[str, ...]], ...]


def complete(project: Project) -> None:
    """Add to every installable local package what its build asks for beyond
    `[build-system].requires` (readers read that table; this reads the rest of the build
    configuration beside it)."""
    for name, package in list(project.local_packages.items()):
        if not package.installable:
            continue
        base = project.root / package.path if package.path != "." else project.root
        if not base.is_dir():
            continue
        always, when = _extra_build_requires(project, base)
        if not always and not when:
            continue
        project.local_packages[name] = replace(
            package,
            build_requires=tuple(sorted(set(package.build_requires) | set(always))),
            build_requires_env=when,
        )


def _extra_build_requires(project: Project, base: Path) -> Tuple[Set[str], EnvRequires]:
    pyproject = base / "pyproject.toml"
    data: Mapping[str, Any] = {}
    display = rel_display(project.root, pyproject)
    if pyproject.is_file():
        data = load_toml(pyproject, display)
    system = table(data, "build-system", display)
    backend = system.get("build-backend")
    if backend is not None and not isinstance(backend, str):
        raise InputError("build-system.build-backend must be a string", path=display)
    if backend is None or backend.split(":")[0] == "setuptools.build_meta":
        return set(_setup_requires(project.root, base / "setup.cfg")), ()
    if backend == HATCH_BACKEND:
        return _hatch(project, base, data, display)
    return set(), ()


# ---------------------------------------------------------------- setuptools


def load_setup_cfg(path: Path, display: str) -> configparser.ConfigParser:
    """setup.cfg parsed as setuptools parses it (no interpolation; `#` and `;` comment lines)."""
    import configparser  # here: prepares without a setup.cfg do not pay for it

    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"))
    try:
        parser.read_string(read_text(path, display), source=display)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc).splitlines()[0]
        raise InputError(f"malformed setup.cfg: {message}", path=display, line=line) from None
    return parser


def _setup_requires(root: Path, path: Path) -> Tuple[str, ...]:
    """`[options] setup_requires`, split as setuptools splits it: one per line, or by `;` on a
    single line (setuptools' `_parse_list_semicolon`)."""
    if not path.is_file():
        return ()
    display = rel_display(root, path)
    value = load_setup_cfg(path, display).get("options", "setup_requires", fallback="")
    items = value.splitlines() if "\n" in value else value.split(";")
    lines = [item.strip() for item in items if item.strip()]
    deps = parse_deps(lines, display, "options.setup_requires")
    return tuple(sorted({d.requirement_string() for d in deps}))


# ---------------------------------------------------------------- hatchling


def _hatch(
    project: Project, base: Path, data: Mapping[str, Any], display: str
) -> Tuple[Set[str], EnvRequires]:
    metadata = _RuntimeMetadata(project, data, display)
    config: Dict[str, Any] = dict(tool_table(data, "hatch", display))
    where = "tool.hatch."
    hatch_toml = base / "hatch.toml"
    if hatch_toml.is_file():
        shown = rel_display(project.root, hatch_toml)
        own = load_toml(hatch_toml, shown)
        config.update(own)  # hatchling: hatch_config.update(config), top-level keys replaced
        if "build" in own:
            display, where = shown, ""
    build = table(config, "build", display, f"[{where}build]")
    wheel = table(table(build, "targets", display, f"[{where}build.targets]"), "wheel", display,
                  f"[{where}build.targets.wheel]")

    def requirements(items: List[str], key: str) -> Set[str]:
        return {d.requirement_string() for d in parse_deps(items, display, key)}

    key = f"{where}build.targets.wheel.dependencies"
    always = requirements(str_list(wheel.get("dependencies", []), display, key), key)
    key = f"{where}build.dependencies"
    always |= requirements(str_list(build.get("dependencies", []), display, key), key)
    # The target's require-runtime-* replace the build-wide ones (BuilderConfig).
    level, prefix = (wheel, "build.targets.wheel") if "require-runtime-dependencies" in wheel \
        else (build, "build")
    if _flag(level, "require-runtime-dependencies", display, f"{where}{prefix}"):
        always |= metadata.dependencies(f"{where}{prefix}.require-runtime-dependencies")
    level, prefix = (wheel, "build.targets.wheel") if "require-runtime-features" in wheel \
        else (build, "build")
    key = f"{where}{prefix}.require-runtime-features"
    for feature in str_list(level.get("require-runtime-features", []), display, key):
        always |= metadata.extra(feature, key)

    hooks: Dict[str, Tuple[str, Mapping[str, Any]]] = {}
    for prefix in ("build.hooks", "build.targets.wheel.hooks"):
        owner = build if prefix == "build.hooks" else wheel
        for name, hook in table(owner, "hooks", display, f"[{where}{prefix}]").items():
            expect(hook, dict, display, f"[{where}{prefix}.{name}]")
            hooks[name] = (f"{where}{prefix}.{name}", hook)  # the target's replaces the global

    when: Dict[str, Set[str]] = {}
    for name, (key, hook) in sorted(hooks.items()):
        needs = requirements(
            str_list(hook.get("dependencies", []), display, f"{key}.dependencies"),
            f"{key}.dependencies",
        )
        if _flag(hook, "require-runtime-dependencies", display, key):
            needs |= metadata.dependencies(f"{key}.require-runtime-dependencies")
        features_key = f"{key}.require-runtime-features"
        for feature in str_list(hook.get("require-runtime-features", []), display, features_key):
            needs |= metadata.extra(feature, features_key)
        if not needs:
            continue
        if hook.get("enable-by-default", True):  # hatchling tests its truth, not its type
            always |= needs
            continue
        variables = [HOOKS_ENABLE]
        variable = HOOK_ENABLE_PREFIX + name.upper()
        if ENV_NAME.fullmatch(variable) and len(variable) <= MAX_ENV_NAME:
            variables.append(variable)
        else:
            project.notes.append(
                f"{display}: build hook {name!r} can be switched on only by {HOOKS_ENABLE} here "
                f"({variable!r} is not an environment variable name chef records)"
            )
        for variable in variables:
            when.setdefault(variable, set()).update(needs)
    return always, tuple((k, tuple(sorted(v))) for k, v in sorted(when.items()))


def _flag(owner: Mapping[str, Any], key: str, display: str, where: str) -> bool:
    value = owner.get(key, False)
    return bool(expect(value, bool, display, f"{where}.{key}"))


class _RuntimeMetadata:
    """The project's own [project] dependencies and extras, for hatch's require-runtime-*."""

    def __init__(self, project: Project, data: Mapping[str, Any], display: str) -> None:
        self.project = project
        self.meta = table(data, "project", display)
        self.display = display
        self.dynamic = set(str_list(self.meta.get("dynamic", []), display, "project.dynamic"))

    def _unknown(self, what: str, key: str) -> Set[str]:
        # Computed when the build runs (a metadata hook): install-project names what is missing.
        self.project.notes.append(
            f"{self.display}: {key} asks for the project's {what}, which are dynamic: "
            "not in the build requirements"
        )
        return set()

    def dependencies(self, key: str) -> Set[str]:
        if "dependencies" in self.dynamic:
            return self._unknown("dependencies", key)
        items = str_list(self.meta.get("dependencies", []), self.display, "project.dependencies")
        return {d.requirement_string() for d in parse_deps(items, self.display, key)}

    def extra(self, feature: str, key: str) -> Set[str]:
        if "optional-dependencies" in self.dynamic:
            return self._unknown("optional dependencies", key)
        extras = {
            canonical(k): v
            for k, v in table(self.meta, "optional-dependencies", self.display,
                              "[project.optional-dependencies]").items()
        }
        if canonical(feature) not in extras:
            raise InputError(
                f"{key}: feature {feature!r} is not defined in project.optional-dependencies",
                path=self.display,
            )
        items = str_list(extras[canonical(feature)], self.display,
                         f"project.optional-dependencies.{feature}")
        # The extra's own requirements, without the `extra == ...` they would carry in metadata.
        return {d.requirement_string() for d in parse_deps(items, self.display, key)}


# ---------------------------------------------------------------- build constraints


def constraints(deps: Sequence[Dep]) -> List[Dep]:
    """Pins as constraints: a name, a specifier or URL, a marker; extras mean nothing there."""
    return sorted({Dep(name=d.name, specifier=d.specifier, marker=d.marker, url=d.url)
                   for d in deps})


def uv_build_constraints(data: Mapping[str, Any], display: str) -> List[Dep]:
    """`[tool.uv] build-constraint-dependencies` (uv reads it from the workspace root only)."""
    key = "tool.uv.build-constraint-dependencies"
    uv = tool_table(data, "uv", display)
    return constraints(parse_deps(str_list(uv.get("build-constraint-dependencies", []),
                                           display, key), display, key))


def constraint_files(root: Path, files: Sequence[str]) -> Tuple[List[Dep], List[str]]:
    """`chef prepare --build-constraint FILE`: pip-style constraints files (a name, a specifier or
    URL, a marker per line), relative to the project directory. Returns the pins and the files
    read."""
    deps: List[Dep] = []
    shown: List[str] = []
    for name in files:
        path = root / name if not os.path.isabs(name) else Path(name)
        display = rel_display(root, path)
        if not path.is_file():
            raise InputError(
                "build constraints file not found",
                path=display,
                hint="--build-constraint paths are relative to --project-dir",
            )
        lines = []
        for number, content in logical_lines(read_text(path, display)):
            if content.startswith("-"):
                raise InputError(
                    f"option {content.split()[0]} in a build constraints file",
                    path=display,
                    line=number,
                    hint="chef reads one requirement (name, version specifier, marker) per line",
                )
            lines.append(content)
        deps.extend(parse_deps(lines, display, "build constraint"))
        shown.append(display)
    return constraints(deps), shown
