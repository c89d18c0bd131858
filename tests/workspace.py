"""A uv workspace the tests write and lock for real: a virtual root, four members (one library
depending on another, two services), a git source."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import write
from projects import uv_lock


def member(root: Path, rel: str, name: str, deps: str, sources: str = "") -> None:
    write(
        root / rel / "pyproject.toml",
        f'[project]\nname = "{name}"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n'
        f"dependencies = [{deps}]\n\n"
        '[build-system]\nrequires = ["tinybuild"]\nbuild-backend = "tinybuild"\n' + sources,
    )
    module = name.replace("-", "_")
    write(root / rel / "src" / module / "__init__.py", f"NAME = {name!r}\n")


def git_package(directory: Path) -> str:
    """A git repository holding package `gitpkg`; returns its git+file URL."""
    member(directory, ".", "gitpkg", "")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "HOME": str(directory),
        "PATH": "/usr/bin:/bin",
    }
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "init"],
    ):
        subprocess.run(argv, cwd=directory, env=env, check=True)
    return f"git+file://{directory}"


def make_workspace(root: Path, index_url: str, git_url: str) -> Path:
    write(
        root / "pyproject.toml",
        '[tool.uv.workspace]\nmembers = ["packages/*", "services/*"]\n\n'
        "[tool.ruff]\nline-length = 100\n",
    )
    member(root, "packages/lib-a", "lib-a", '"alpha>=1"')
    member(
        root,
        "packages/lib-b",
        "lib-b",
        '"lib-a", "gamma[fast]"',
        "\n[tool.uv.sources]\nlib-a = { workspace = true }\n",
    )
    member(
        root,
        "services/svc-one",
        "svc-one",
        '"lib-b", "epsilon"',
        "\n[tool.uv.sources]\nlib-b = { workspace = true }\n",
    )
    member(root, "services/svc-two", "svc-two", f'"beta<2", "gitpkg @ {git_url}"')
    uv_lock(root, index_url)
    return root
