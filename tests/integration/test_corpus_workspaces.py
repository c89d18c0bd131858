"""Issue 4 on real monorepos: every uv workspace in ../shared/corpus is read, and `--package` on
each member agrees with `uv export --package NAME --no-emit-workspace` for this interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from conftest import CORPUS, uv_bin
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from chef.cook.plan import plan
from chef.errors import EnvironmentError_
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


def _exported(root: Path, package: str) -> Dict[str, str]:
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
    if done.returncode != 0:
        pytest.skip(f"uv export cannot run here: {done.stderr.strip().splitlines()[-1]}")
    env = default_environment()
    out: Dict[str, str] = {}
    for line in done.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(dict(env)):
            version = str(req.specifier).lstrip("=") if not req.url else req.url
            out[str(canonicalize_name(req.name))] = version
    return out


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent (a user's clone)")
@pytest.mark.parametrize("workspace, member", _cases())
def test_package_agrees_with_uv_export(workspace: str, member: str) -> None:
    root = CORPUS / workspace
    recipe = prepare(root, selection=Selection(packages=(member,))).recipe
    try:
        install_plan = plan(recipe, dict(default_environment()))
    except EnvironmentError_ as exc:
        pytest.skip(str(exc))
    ours: Dict[str, str] = {}
    for batch in install_plan.batches:
        for line in batch.lines:
            req = Requirement(line.requirement)
            ours[str(canonicalize_name(req.name))] = (
                str(req.specifier).lstrip("=") if not req.url else req.url
            )
    theirs = _exported(root, member)
    git_ours = {k: v for k, v in ours.items() if v.startswith("git+")}
    for name in git_ours:  # uv prints git URLs in its own spelling; compare names only
        theirs.pop(name, None)
        ours.pop(name, None)
    assert ours == theirs
