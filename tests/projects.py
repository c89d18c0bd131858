"""Small projects the tests write and lock for real (uv against the loopback index)."""

from __future__ import annotations

from pathlib import Path
from typing import List

from conftest import run, uv_bin, write

APP_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
description = "demo app"
readme = "README.md"
authors = [{ name = "Someone" }]
requires-python = ">=3.9"
dependencies = [
    "alpha>=1",
    "gamma[fast]",
    "epsilon",
]

[project.optional-dependencies]
docs = ["docsgen"]

[project.scripts]
app = "app:main"

[dependency-groups]
dev = ["devtool==1.0"]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
addopts = "-q"
"""


def make_app(root: Path, pyproject: str = APP_PYPROJECT) -> Path:
    write(root / "pyproject.toml", pyproject)
    write(root / "README.md", "# app\n")
    write(root / "src" / "app" / "__init__.py", "def main():\n    print('hello')\n")
    return root


def uv_lock(root: Path, index_url: str, *extra: str) -> None:
    run([uv_bin(), "lock", "--index-url", index_url, "--no-config", *extra], cwd=root)


def make_locked_app(root: Path, index_url: str, pyproject: str = APP_PYPROJECT) -> Path:
    make_app(root, pyproject)
    uv_lock(root, index_url)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def lines(*items: str) -> str:
    return "".join(i + "\n" for i in items)


__all__: List[str] = ["make_app", "make_locked_app", "uv_lock", "edit", "lines", "APP_PYPROJECT"]
