from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write
from stability_helpers import recipe_text

from chef.errors import InputError
from chef.readers import requirements
from chef.readers.lines import logical_lines


def test_logical_lines_continuations_and_comments() -> None:
    text = "a \\\n  >=1 # trailing\n# full line\n\nb#not-a-comment\n"
    assert list(logical_lines(text)) == [(1, "a   >=1"), (5, "b#not-a-comment")]


def test_includes_options_hashes_markers(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        "--index-url https://user:secret@index.invalid/simple/\n"
        "--extra-index-url https://extra.index.invalid/simple\n"
        "-r base.txt\n"
        "-c constraints.txt\n"
        "--pre\n"
        "Foo[Bar]>=1.0 ; python_version >= '3.8' \\\n"
        "    --hash=sha256:bbbb --hash=sha256:aaaa\n"
        "pkg @ https://tok@files.index.invalid/pkg-1.0-py3-none-any.whl\n"
        "git+https://example.invalid/repo.git@abc123#egg=vcs_pkg\n",
    )
    write(tmp_path / "base.txt", "six==1.16.0\n")
    write(tmp_path / "constraints.txt", "idna<4\n")
    project = requirements.read(tmp_path, ["requirements.txt"])
    by_name = {d.name: d for d in project.roots}
    assert set(by_name) == {"foo", "pkg", "six", "vcs-pkg"}
    foo = by_name["foo"]
    assert foo.extras == ("bar",) and foo.hashes == ("sha256:aaaa", "sha256:bbbb")
    assert foo.marker == 'python_version >= "3.8"'
    assert by_name["pkg"].url == "https://files.index.invalid/pkg-1.0-py3-none-any.whl"
    assert by_name["vcs-pkg"].url == "git+https://example.invalid/repo.git@abc123#egg=vcs_pkg"
    assert [c.name for c in project.constraints] == ["idna"]
    assert project.index.index_url == "https://index.invalid/simple"
    assert project.index.extra_index_urls == ("https://extra.index.invalid/simple",)
    assert project.index.pre
    assert "secret" not in recipe_text(tmp_path, requirements=["requirements.txt"])


def test_placeholders_are_kept(tmp_path: Path) -> None:
    write(tmp_path / "r.txt", "-i https://${USER}:${TOKEN}@index.invalid/simple\nsix\n")
    project = requirements.read(tmp_path, ["r.txt"])
    assert project.index.index_url == "https://${USER}:${TOKEN}@index.invalid/simple"


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    with pytest.raises(InputError, match="cycle"):
        requirements.read(tmp_path, ["a.txt"])


def test_missing_include_names_the_line(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "six\n-r nope.txt\n")
    with pytest.raises(InputError) as info:
        requirements.read(tmp_path, ["a.txt"])
    assert "a.txt:2" in str(info.value) and "nope.txt" in str(info.value)


def test_editable_local_package(tmp_path: Path) -> None:
    write(
        tmp_path / "libs/x/pyproject.toml",
        '[project]\nname = "x"\nversion = "9"\ndependencies = ["six"]\n',
    )
    write(tmp_path / "requirements.txt", "-e ./libs/x\nidna\n")
    project = requirements.read(tmp_path, ["requirements.txt"])
    assert project.local_packages["x"].path == "libs/x"
    assert project.local_packages["x"].editable
    text = recipe_text(tmp_path, requirements=["requirements.txt"])
    assert '"six"' in text and '"9"' not in text


def test_path_outside_project(tmp_path: Path) -> None:
    write(tmp_path / "lib/pyproject.toml", '[project]\nname = "lib"\nversion = "1"\n')
    write(tmp_path / "proj/requirements.txt", "../lib\n")
    with pytest.raises(InputError, match="outside the project"):
        requirements.read(tmp_path / "proj", ["requirements.txt"])


def test_unknown_option(tmp_path: Path) -> None:
    write(tmp_path / "r.txt", "--frobnicate\n")
    with pytest.raises(InputError, match="unsupported option --frobnicate"):
        requirements.read(tmp_path, ["r.txt"])


def test_stability_and_sensitivity(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "six==1.16\nidna>=3  # why\n")
    base = recipe_text(tmp_path)
    path.write_text("# header\nidna >= 3\n\nsix == 1.16\n")
    assert recipe_text(tmp_path) == base
    write(tmp_path / "app.py", "print(1)\n")
    assert recipe_text(tmp_path) == base
    for changed in (
        "six==1.17\nidna>=3\n",
        "six==1.16\nidna>=3\nattrs\n",
        "six==1.16\n",
        "six==1.16; os_name == 'nt'\nidna>=3\n",
        "--pre\nsix==1.16\nidna>=3\n",
        "-i https://index.invalid/simple\nsix==1.16\nidna>=3\n",
        "six==1.16 --hash=sha256:00\nidna>=3\n",
    ):
        path.write_text(changed)
        assert recipe_text(tmp_path) != base, changed
