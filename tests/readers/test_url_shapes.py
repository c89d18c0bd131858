"""Every URL shape a manager writes, handed to every reader that can meet it (issue 18, point 6):
the recipe installs what the manager's export installs.

The table: reader -> the shapes its manager writes (url_shapes.SHAPES). The expected requirement
(`url_shapes.expected`) is what the export gives; tests/oracles/test_url_shape_exporters.py runs
the real exporters (`pipenv requirements`, `uv export`, `pdm export`, `poetry export`) on the
same lock files and checks them against the same strings. Shapes a manager cannot write are
refused with one line (test_shapes_a_manager_cannot_write).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, FrozenSet, List, Tuple

import pytest
import url_shapes as u

from chef.cook.plan import plan
from chef.detect import read_project
from chef.errors import InputError
from chef.recipe import check_cookable, dumps, from_project, loads
from chef.select import Selection

ENV = {
    "implementation_name": "cpython", "implementation_version": "3.11.7", "os_name": "posix",
    "platform_machine": "x86_64", "platform_python_implementation": "CPython",
    "platform_release": "", "platform_system": "Linux", "platform_version": "",
    "python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux",
}

ALL = frozenset(s.id for s in u.SHAPES)
SCP = frozenset({"git-scp"})
GIT = frozenset(s.id for s in u.SHAPES if s.vcs == "git")
OTHER_VCS = frozenset({"hg-https", "svn-https", "bzr-https"})
ARCHIVE = frozenset({"archive-https", "archive-subdirectory"})

# (row, --manager, writer, locked, shapes the manager writes)
TABLE: List[Tuple[str, str, Callable[[Path, u.Shape], None], bool, FrozenSet[str]]] = [
    # pip: any VCS, https or ssh; an scp-like URL is not a VCS link to pip (Link.is_vcs is
    # False for `git+git@host:...`), so nobody writes it in a requirement
    ("requirements.txt", "requirements", u.write_requirements, False, ALL - SCP),
    ("requirements.txt #egg=", "requirements", u.write_requirements_egg, False,
     ALL - SCP - ARCHIVE),
    ("[project] (pip, uv)", "pyproject", u.write_pep621, False, ALL - SCP),
    # uv: `uv add git+URL` / `uv add URL` write the name plus a [tool.uv.sources] entry
    ("[tool.uv.sources]", "pyproject", u.write_uv_sources, False, GIT - SCP | ARCHIVE),
    # poetry-core: git only (VCSDependency); `git@host:owner/repo` in [tool.poetry], which it
    # exports as git+ssh:// (ParsedUrl.format)
    ("[tool.poetry]", "poetry-manifest", u.write_poetry_manifest, False, GIT | ARCHIVE),
    ("poetry [project]", "poetry-manifest", u.write_poetry_pep508, False,
     GIT - SCP | ARCHIVE),
    ("poetry.lock", "poetry", u.write_poetry_lock, True, GIT | ARCHIVE),
    # pdm: git, hg, svn, bzr (VCS_SCHEMA); it turns git@host:owner/repo into ssh:// before
    # locking (add_ssh_scheme_to_git_uri), so a lock never holds the scp form
    ("pdm.lock", "pdm", u.write_pdm_lock, True, ALL - SCP),
    # pipenv: git, svn, hg, bzr (VCS_LIST). An scp-like URL is accepted and written as
    # git+ssh:// (pipenv's export keeps `git+git@host:...`, which pip cannot install)
    # (a `file` entry's subdirectory: pipenv's export and sync ignore it, so does chef)
    ("Pipfile", "pipenv", u.write_pipfile, False, ALL - {"archive-subdirectory"}),
    ("Pipfile.lock", "pipenv", u.write_pipfile_lock, True, ALL - {"archive-subdirectory"}),
    # uv: git only, https or ssh (no scp form: uv takes URLs only)
    ("uv.lock", "uv", u.write_uv_lock, True, GIT - SCP | ARCHIVE),
    # PEP 751: vcs.type is any VCS pip knows; vcs.url a URL
    ("pylock.toml", "pylock", u.write_pylock, True, ALL - SCP),
]

CASES = [
    pytest.param(row, manager, writer, locked, u.BY_ID[shape], id=f"{row}-{shape}")
    for row, manager, writer, locked, shapes in TABLE
    for shape in sorted(shapes)
]


def demo_line(root: Path, manager: str) -> str:
    """The line cook installs `demo` with (through a recipe written and read back)."""
    project, _ = read_project(root, manager=manager)
    recipe = from_project(project, Selection(), "test")
    check_cookable(recipe, "test")
    recipe = loads(dumps(recipe))
    lines = [
        line.requirement
        for batch in plan(recipe, ENV, build_deps=False).batches
        for line in batch.lines
        if line.requirement.split(" ")[0].split("==")[0] == "demo"
    ]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("row, manager, writer, locked, shape", CASES)
def test_recipe_installs_what_the_export_installs(
    tmp_path: Path,
    row: str,
    manager: str,
    writer: Callable[[Path, u.Shape], None],
    locked: bool,
    shape: u.Shape,
) -> None:
    writer(tmp_path, shape)
    want = u.expected(shape, locked)
    if writer is u.write_requirements_egg:  # the URL as written: pip reads the name from #egg=
        want += ("&" if "#" in want else "#") + "egg=demo"
    assert demo_line(tmp_path, manager) == want


def test_expected_strings() -> None:
    """A few expectations spelled out (the table computes them)."""
    assert u.expected(u.BY_ID["git-https-tag"], False) == (
        "demo @ git+https://git.invalid/owner/demo.git@v1.0"
    )
    assert u.expected(u.BY_ID["git-scp"], True) == (
        f"demo @ git+ssh://git@git.invalid/owner/demo.git@{u.COMMIT}"
    )
    assert u.expected(u.BY_ID["git-subdirectory"], True) == (
        f"demo @ git+https://git.invalid/owner/mono.git@{u.COMMIT}#subdirectory=packages/demo"
    )
    assert u.expected(u.BY_ID["svn-https"], True) == "demo @ svn+https://svn.invalid/demo/trunk@1234"


def test_table_covers_every_shape_and_reader() -> None:
    covered = set().union(*(shapes for *_, shapes in TABLE))
    assert covered == set(ALL)
    assert {m for _, m, *_ in TABLE} == {
        "requirements", "pyproject", "poetry-manifest", "poetry", "pdm", "pipenv", "uv", "pylock"
    }


# Shapes a manager cannot write: one line, never a traceback.
REFUSED = [
    # poetry-core reads `name @ hg+...` as a local path that does not exist; `poetry lock` fails
    ("poetry [project]", "poetry-manifest", u.write_poetry_pep508, "hg-https", "git URLs only"),
    ("poetry [project]", "poetry-manifest", u.write_poetry_pep508, "svn-https", "git URLs only"),
    ("poetry [project]", "poetry-manifest", u.write_poetry_pep508, "bzr-https", "git URLs only"),
    # uv locks git only: any other source key is not a uv.lock
    ("uv.lock", "uv", u.write_uv_lock, "hg-https", "unknown source"),
]


@pytest.mark.parametrize("row, manager, writer, shape, message", REFUSED,
                         ids=[f"{r[0]}-{r[3]}" for r in REFUSED])
def test_shapes_a_manager_cannot_write(
    tmp_path: Path,
    row: str,
    manager: str,
    writer: Callable[[Path, u.Shape], None],
    shape: str,
    message: str,
) -> None:
    writer(tmp_path, u.BY_ID[shape])
    with pytest.raises(InputError) as caught:
        read_project(tmp_path, manager=manager)
    text = str(caught.value)
    assert message in text and "\n" not in text
