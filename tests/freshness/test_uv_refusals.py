"""The uv check refuses (not only warns) on the differences it reproduces exactly: each edit below
makes `uv lock --check` fail, and chef must name it as a reason, not a warning (issue 19.7:
turning any of these into a warning passed every test before).

Shapes from tests/uvshapes.py, locked once by the real uv against the loopback index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict

import pytest
from conftest import uv_bin
from uvshapes import SHAPES

from chef import freshness

pytestmark = pytest.mark.slow


def _env(home: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               UV_CACHE_DIR=str(home / "uv-cache"), UV_PYTHON_DOWNLOADS="never")
    return env


def _lock(root: Path, env: Dict[str, str], index_url: str, *args: str) -> int:
    done = subprocess.run([uv_bin(), "lock", *args, "--index-url", index_url], cwd=root,
                          env=env, capture_output=True, text=True, check=False)
    return done.returncode


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, index) -> Callable[[str, Path], Path]:  # type: ignore[no-untyped-def]
    top = tmp_path_factory.mktemp("uv-refusals")
    env = _env(top / "home")
    bases: Dict[str, Path] = {}
    for name in ("app", "ws-root-sources", "ws-virtual"):
        root = top / name
        SHAPES[name](root, "")
        assert _lock(root, env, index.url) == 0, name
        bases[name] = root

    def copy(name: str, dst: Path) -> Path:
        shutil.copytree(bases[name], dst, symlinks=True)
        return dst

    copy.env = env  # type: ignore[attr-defined]
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CASES = [
    # (shape, file, old, new, words of the reason)
    ("app", "pyproject.toml", "[tool.uv]\n", '[tool.uv]\nexclude-dependencies = ["zeta"]\n',
     "tool.uv.exclude-dependencies is zeta but the lock has none"),
    ("ws-virtual", "pyproject.toml", 'exclude = ["packages/skip"]',
     'exclude = ["packages/skip", "packages/lib-b"]', "no longer has lib-b (members)"),
    ("ws-root-sources", "members/c/pyproject.toml", "[tool.uv.sources]",
     "[tool.uv]\nmanaged = false\n\n[tool.uv.sources]", "no longer has c (members)"),
    ("app", "pyproject.toml", "[tool.uv]\n", '[tool.uv]\ndefault-groups = ["lint"]\n',
     "app's default-groups are ['lint'] in pyproject.toml but ['dev'] in the lock"),
    ("ws-virtual", "pyproject.toml", 'default-groups = ["dev"]',
     'default-groups = ["dev", "docs"]',
     "the workspace root's default-groups are ['dev', 'docs'] in pyproject.toml but ['dev']"),
]


@pytest.mark.parametrize("shape, rel, old, new, reason", CASES,
                         ids=["exclude-dependencies", "member excluded", "member unmanaged",
                              "default-groups", "root default-groups"])
def test_refused_with_its_reason(locked, index, tmp_path: Path, shape: str, rel: str,  # type: ignore[no-untyped-def]
                                 old: str, new: str, reason: str) -> None:
    root = locked(shape, tmp_path / "p")
    _edit(root / rel, old, new)
    assert _lock(root, locked.env, index.url, "--check", "--offline") != 0  # uv refuses it
    verdict = freshness.check(root, "uv")
    assert verdict is not None
    assert any(reason in r for r in verdict.reasons), (verdict.reasons, verdict.warnings)
