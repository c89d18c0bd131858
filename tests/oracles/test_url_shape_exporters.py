"""The managers' own exporters on the URL-shape locks of tests/readers/test_url_shapes.py: each
export names `demo` with the very requirement that test expects of chef's recipe (issue 18,
point 6). Verified here, on the locks url_shapes.py writes:

- Pipfile.lock: `pipenv requirements` (git https/ssh, commit/tag/branch/none, subdirectory, hg,
  svn, bzr, archive URL; the archive as a bare URL line). Not the scp-like `git@host:owner/repo`:
  pipenv exports it as `git+git@<commit>` (normalize_vcs_url splits at its last `@`), which
  nothing can install; chef writes git+ssh:// as poetry and pdm do.
- uv.lock: `uv export --frozen` (git https/ssh, refs, subdirectory, archive URL with and
  without a subdirectory).
- pdm.lock: `pdm export --no-hashes` (git https/ssh, refs, subdirectory, hg, svn, bzr, archive
  URL with and without a subdirectory).
- poetry.lock: `poetry export` (git https/ssh/scp, refs, subdirectory, archive URL with and
  without a subdirectory), with the content-hash Poetry computes (it refuses a stale lock).
- Not pipenv's archive with a subdirectory: `pipenv requirements` (and `pipenv sync`, which
  installs from the same lines) drop a `file` entry's subdirectory, so chef does too.

The unlocked inputs (requirements files, [project], [tool.poetry], Pipfile) have no exporter:
their expected requirement is the request as pip reads it (url_shapes.Shape.requested).
pylock.toml: url_shapes.write_pylock writes the `vcs` table `uv export --format pylock.toml`
writes for the same uv.lock (checked by hand: type, url, requested-revision, commit-id,
subdirectory).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, List

import pytest
import url_shapes as u
from oracle import run_exporter, tool

GIT = [s.id for s in u.SHAPES if s.vcs == "git"]
VCS = [s.id for s in u.SHAPES if s.vcs]
NO_SCP = [s for s in GIT + VCS if s != "git-scp"]
ARCHIVES = ["archive-https", "archive-subdirectory"]


def _poetry_lock(root: Path, shape: u.Shape) -> None:
    u.write_poetry_lock(root, shape)
    code = (
        "import sys; from poetry.factory import Factory; "
        "print(Factory().create_poetry(sys.argv[1]).locker._get_content_hash())"
    )
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                          text=True, check=True)
    u.write_poetry_lock(root, shape, content_hash=done.stdout.strip())


# (exporter, writer, argv after the executable, shapes)
EXPORTERS: List[tuple] = [  # type: ignore[type-arg]
    ("pipenv", u.write_pipfile_lock, ["requirements"],
     sorted(set(NO_SCP)) + ["archive-https"]),
    ("uv", u.write_uv_lock,
     ["export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project", "--no-annotate"],
     sorted(set(GIT) - {"git-scp"}) + ARCHIVES),
    ("pdm", u.write_pdm_lock, ["export", "-f", "requirements", "--no-hashes"],
     sorted(set(NO_SCP)) + ARCHIVES),
    ("poetry", _poetry_lock, ["export", "-f", "requirements.txt", "--without-hashes"],
     sorted(GIT) + ARCHIVES),
]

CASES = [
    pytest.param(name, writer, argv, u.BY_ID[shape], id=f"{name}-{shape}")
    for name, writer, argv, shapes in EXPORTERS
    for shape in shapes
]


def exported_demo(text: str) -> str:
    """The export's line for demo, without markers and hashes; a bare URL line (pipenv's
    archive) as `demo @ URL`."""
    found = []
    for line in text.splitlines():
        line = line.split(" \\")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = line.split(";")[0].strip()
        if line.startswith(("http://", "https://")):
            line = f"demo @ {line}"
        if line.split(" ")[0].split("==")[0] == "demo":
            found.append(line)
    assert len(found) == 1, text
    return found[0]


@pytest.mark.parametrize("name, writer, argv, shape", CASES)
def test_export_gives_the_expected_requirement(
    tmp_path: Path, name: str, writer: Callable[[Path, u.Shape], None], argv: List[str],
    shape: u.Shape,
) -> None:
    exe = tool(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    root = tmp_path / "project"
    writer(root, shape)
    out = run_exporter([exe, *argv], root, tmp_path / "home")
    assert exported_demo(out) == u.expected(shape, locked=True)


@pytest.mark.skipif(tool("pipenv") is None, reason="pipenv is not installed")
def test_pipenv_cannot_export_an_scp_url(tmp_path: Path) -> None:
    """Why the table's Pipfile.lock row expects git+ssh:// for `git@host:owner/repo`: pipenv's
    own export of it is not a URL at all."""
    root = tmp_path / "project"
    u.write_pipfile_lock(root, u.BY_ID["git-scp"])
    out = run_exporter([str(tool("pipenv")), "requirements"], root, tmp_path / "home")
    assert exported_demo(out) == f"demo @ git+git@{u.COMMIT}"
