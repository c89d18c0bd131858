"""Issue 4 on real monorepos: every uv workspace in ../shared/corpus is read, and `--package` on
each member agrees with `uv export --package NAME --no-emit-workspace`, for the running
interpreter's marker environment or, when the member's requires-python excludes it, the lowest
Python it accepts (tests/pythons.py `environment_for`). A chef error or a failing `uv export` is
a failure, never a skip."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from conftest import CORPUS, corpus_params, needs_corpus, uv_bin
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pythons import environment_for

from chef.cook.plan import plan
from chef.prepare import prepare
from chef.select import Selection

WORKSPACES: List[str] = ["pydantic__pydantic", "microsoft__autogen/python"]


def _members(root: Path) -> List[str]:
    from chef.readers.uv_lock import read

    project = read(root)
    # A virtual workspace root (no [project]) has no name uv would accept for --package.
    return sorted(
        d.name
        for d in project.roots
        if project.local_packages[d.name].installable or project.local_packages[d.name].path != "."
    )


def _cases() -> List[Tuple[str, str]]:
    if not CORPUS.is_dir():
        return []
    return [(ws, m) for ws in WORKSPACES for m in _members(CORPUS / ws)]


def _exported(root: Path, package: str, env: Dict[str, str]) -> Dict[str, str]:
    done = subprocess.run(
        [
            uv_bin(),
            "export",
            "--frozen",
            "--offline",
            "--package",
            package,
            "--no-emit-workspace",
            "--no-default-groups",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"uv export --package {package} failed: {done.stderr}"
    out: Dict[str, str] = {}
    for line in done.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            version = str(req.specifier).lstrip("=") if not req.url else req.url
            out[str(canonicalize_name(req.name))] = version
    return out


@needs_corpus
@pytest.mark.parametrize("workspace, member", corpus_params(_cases(), 2))
def test_package_agrees_with_uv_export(workspace: str, member: str) -> None:
    root = CORPUS / workspace
    recipe = prepare(root, selection=Selection(packages=(member,))).recipe
    env, _ = environment_for(recipe.requires_python)
    install_plan = plan(recipe, env)
    ours: Dict[str, str] = {}
    for batch in install_plan.batches:
        for line in batch.lines:
            req = Requirement(line.requirement)
            ours[str(canonicalize_name(req.name))] = (
                str(req.specifier).lstrip("=") if not req.url else req.url
            )
    theirs = _exported(root, member, env)
    for name in [k for k, v in ours.items() if v.startswith("git+")]:
        # uv spells git URLs its own way: the same package, from the same commit
        assert name in theirs, f"chef installs {name} from git, uv export does not"
        assert _commit(ours.pop(name)) == _commit(theirs.pop(name)), name
    assert ours == theirs


def _commit(url: str) -> Optional[str]:
    found = re.search(r"\b[0-9a-f]{40}\b", url)
    return found.group(0) if found else None
