"""Helpers for the exporter oracles: what chef would install vs what the manager exports.

Both sides become {name: (version or URL, hashes)} for one marker environment, so a difference
is a readable diff of packages, versions and hashes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pythons import environment_for  # noqa: F401  (re-exported for the oracle tests)

from chef.cook.plan import plan
from chef.model import Project
from chef.readers.lines import logical_lines
from chef.recipe import from_project
from chef.select import Selection

Packages = Dict[str, Tuple[str, FrozenSet[str]]]

ALL = Selection(all_extras=True, all_groups=True)
DEFAULT = Selection()


@dataclass(frozen=True)
class Exported:
    packages: Packages
    locals: Tuple[str, ...]  # editable/path lines (the project's own packages)


def _pin(req: Requirement) -> str:
    if req.url:
        return req.url
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "==="):
        return specs[0].version
    raise AssertionError(f"not a pin: {req}")


def _url_name(url: str) -> str:
    from urllib.parse import urlsplit

    from packaging.utils import parse_wheel_filename

    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        if part.startswith("egg="):
            return part[4:]
    return str(parse_wheel_filename(urlsplit(url).path.rsplit("/", 1)[-1])[0])


def parse_export(text: str, env: Mapping[str, str]) -> Exported:
    """A requirements.txt from an exporter, evaluated for `env` (pip's line rules)."""
    packages: Packages = {}
    locals_: List[str] = []
    for _, line in logical_lines(text):
        if line.startswith("-e ") or line.startswith("--editable"):
            locals_.append(line.split(None, 1)[1])
            continue
        if line.startswith("-"):
            continue  # --index-url, --extra-index-url, --trusted-host ...
        head, *rest = line.split(" --hash")
        hashes = frozenset(h.strip().lstrip("=").strip() for h in rest)
        head = head.strip()
        if head.startswith(("http://", "https://", "git+")):  # a bare URL line (pipenv)
            head = f"{_url_name(head.split(';')[0].strip())} @ {head}"
        req = Requirement(head)
        if req.marker is not None and not req.marker.evaluate(dict(env)):
            continue
        if req.url and req.url.startswith("file:"):
            locals_.append(req.url)
            continue
        name = str(canonicalize_name(req.name))
        packages[name] = (_pin(req), hashes)
    return Exported(packages, tuple(sorted(locals_)))


def chef_packages(project: Project, selection: Selection, env: Mapping[str, str]) -> Packages:
    """What `chef cook` would install for `env`: gathered from the plan's batches."""
    recipe = from_project(project, selection, "oracle")
    out: Packages = {}
    for batch in plan(recipe, env, build_deps=False).batches:
        for line in batch.lines:
            req = Requirement(line.requirement)
            name = str(canonicalize_name(req.name))
            assert name not in out, f"chef installs {name} twice"
            out[name] = (_pin(req), frozenset(line.hashes))
    return out


def diff(chef: Packages, oracle: Packages, oracle_name: str) -> List[str]:
    """Readable differences; empty when they agree."""
    lines: List[str] = []
    for name in sorted(set(chef) | set(oracle)):
        mine, theirs = chef.get(name), oracle.get(name)
        if mine == theirs:
            continue
        if mine is None:
            lines.append(f"- {name}=={theirs[0]}  (only in {oracle_name})")  # type: ignore[index]
        elif theirs is None:
            lines.append(f"+ {name}=={mine[0]}  (only in chef)")
        elif mine[0] != theirs[0]:
            lines.append(f"~ {name}: chef {mine[0]} vs {oracle_name} {theirs[0]}")
        else:
            only_c = sorted(mine[1] - theirs[1])
            only_o = sorted(theirs[1] - mine[1])
            lines.append(
                f"~ {name}=={mine[0]}: hashes differ "
                f"(chef only: {len(only_c)} {only_c[:2]}, {oracle_name} only: {len(only_o)} {only_o[:2]})"
            )
    return lines


def tool(name: str) -> Optional[str]:
    """An exporter's executable next to the running interpreter (the test venv), or on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    return shutil.which(name)


def run_exporter(
    argv: Sequence[str], cwd: Path, home: Path, extra_env: Optional[Mapping[str, str]] = None
) -> str:
    """Run an exporter offline with its caches and config in `home` (never the user's);
    `extra_env` last (e.g. PDM_PYTHON, VIRTUAL_ENV)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "POETRY_", "PDM_", "PIPENV_"))
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        POETRY_CACHE_DIR=str(home / "poetry-cache"),
        POETRY_CONFIG_DIR=str(home / "poetry-config"),
        POETRY_DATA_DIR=str(home / "poetry-data"),
        PDM_HOME=str(home / "pdm"),
        POETRY_DYNAMIC_VERSIONING_COMMANDS="",  # the plugin off (tests/conftest.py)
        PDM_CHECK_UPDATE="false",
        PDM_IGNORE_ACTIVE_VENV="1",
        PDM_USE_VENV="0",
        PDM_PYTHON=sys.executable,
        PIPENV_VERBOSITY="-1",
        PIPENV_YES="1",
        PIPENV_NOSPIN="1",
        PIPENV_IGNORE_VIRTUALENVS="1",
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_CACHE_DIR=str(home / "uv-cache"),
        NO_COLOR="1",
    )
    env.update(extra_env or {})
    done = subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "deprecated" not in line), "no output")
        raise ExporterFailed(f"{Path(argv[0]).name} {argv[1]} exit {done.returncode}: {reason}")
    return done.stdout


class ExporterFailed(Exception):
    pass


def env_marker_true(marker: Optional[str], env: Mapping[str, str]) -> bool:
    return marker is None or Marker(marker).evaluate(dict(env))


def pylock_packages(
    path: Path,
    env: Mapping[str, str],
    selection: Selection,
    all_extras: Sequence[str] = (),
    all_groups: Sequence[str] = (),
) -> Packages:
    """The reference PEP 751 installer (`packaging.pylock.Pylock.select`): name -> (pin, hashes
    of the one artifact it picked)."""
    from packaging.pylock import Pylock, PylockSelectError
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    from chef.toml import load_toml

    lock = Pylock.from_dict(load_toml(path, path.name))
    extras = list(all_extras) if selection.all_extras else list(selection.extras)
    groups = list(all_groups) if selection.all_groups else list(selection.groups)
    tags = list(sys_tags())
    try:
        selected = list(
            lock.select(environment=dict(env), tags=tags, extras=extras, dependency_groups=groups)
        )
    except PylockSelectError as exc:
        if "No wheel found" not in str(exc):
            raise
        # A lock for another platform (e.g. pyodide): accept any wheel it lists.
        tags = sorted(
            {
                t
                for p in lock.packages
                for w in p.wheels or []
                for t in parse_wheel_filename(w.filename)[-1]
            },
            key=str,
        )
        selected = list(
            lock.select(environment=dict(env), tags=tags, extras=extras, dependency_groups=groups)
        )
    out: Packages = {}
    for package, dist in selected:
        if type(dist).__name__ == "PackageDirectory":
            continue  # the project's own packages: install-project builds them
        hashes = frozenset(f"{k}:{v}" for k, v in (getattr(dist, "hashes", None) or {}).items())
        url = getattr(dist, "url", None)
        pin = str(package.version) if package.version is not None else str(url)
        out[str(package.name)] = (pin, hashes)
    return out


def within(chef: Packages, picked: Packages) -> Packages:
    """chef pins every artifact's hash; keep, per package, the ones the reference picked (and a
    URL pin as the version, when chef installs that artifact by URL)."""
    out: Packages = {}
    for name, (pin, hashes) in chef.items():
        theirs = picked.get(name)
        if theirs is None:
            out[name] = (pin, hashes)
            continue
        kept = hashes & theirs[1] if theirs[1] <= hashes else hashes
        out[name] = (theirs[0] if "://" in pin else pin, kept)
    return out
