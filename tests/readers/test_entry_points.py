"""Every reader is called through one signature, chef.readers.ProjectReader: read(root, subdir)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from chef.detect import READERS, SUBDIR_READERS, detect_project
from chef.errors import InputError
from chef.readers import entry_point


@pytest.mark.parametrize("reader", READERS, ids=[r.name for r in READERS])
def test_each_entry_point_takes_root_and_subdir(reader) -> None:  # type: ignore[no-untyped-def]
    read = entry_point(reader.module)
    params = list(inspect.signature(read).parameters.values())
    assert [p.name for p in params[:2]] == ["root", "subdir"], reader.module
    assert params[1].default == "."
    assert all(p.default is not inspect.Parameter.empty for p in params[1:]), reader.module


ROOT_ONLY = [r for r in READERS if r.name not in SUBDIR_READERS]


def test_the_root_only_readers() -> None:
    assert sorted(r.name for r in ROOT_ONLY) == ["pyproject", "requirements", "uv"]


@pytest.mark.parametrize("reader", ROOT_ONLY, ids=[r.name for r in ROOT_ONLY])
def test_a_root_only_reader_refuses_a_subdir(tmp_path: Path, reader) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "svc").mkdir()
    for read in (entry_point(reader.module),
                 lambda root, subdir: detect_project(root, reader.name, subdir=subdir).project):
        with pytest.raises(InputError) as caught:
            read(tmp_path, "svc")
        assert str(caught.value) == (
            f"{tmp_path / 'svc'}: the {reader.name} reader reads a project at the context root "
            "only (run chef with --project-dir on that directory)")


def test_the_requirements_entry_point_reads_requirements_txt(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("alpha==1.0\n")
    project = entry_point("chef.readers.requirements:read_project")(tmp_path)
    assert project.manager == "requirements" and project.inputs == ["requirements.txt"]
    assert [d.name for d in project.roots] == ["alpha"]
