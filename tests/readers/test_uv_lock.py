from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, needs_corpus, write
from stability_helpers import recipe_text

from chef.errors import InputError
from chef.model import Source
from chef.readers import uv_lock

PYPROJECT = """\
[project]
name = "app"
version = "3.1.4"
dependencies = ["multi", "gitdep", "urldep", "tok"]

[[tool.uv.index]]
name = "private"
url = "https://user:pw@private.index.invalid/simple/"
explicit = true

[tool.uv.sources]
tok = { index = "private" }
"""

LOCK = """\
version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "app"
version = "3.1.4"
source = { editable = "." }
dependencies = [
    { name = "multi", version = "1.0", source = { registry = "https://index.invalid/simple" }, marker = "python_full_version < '3.12'" },
    { name = "multi", version = "2.0", source = { registry = "https://index.invalid/simple" }, marker = "python_full_version >= '3.12'" },
    { name = "gitdep" },
    { name = "urldep" },
    { name = "tok" },
]

[[package]]
name = "multi"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
sdist = { url = "https://files.index.invalid/multi-1.0.tar.gz", hash = "sha256:11", size = 1 }
wheels = [{ url = "https://files.index.invalid/multi-1.0-py3-none-any.whl", hash = "sha256:12", size = 1 }]

[[package]]
name = "multi"
version = "2.0"
source = { registry = "https://index.invalid/simple" }
wheels = [{ url = "https://files.index.invalid/multi-2.0-py3-none-any.whl", hash = "sha256:22", size = 1 }]

[[package]]
name = "gitdep"
version = "0.1"
source = { git = "https://user:token@git.invalid/org/gitdep?rev=main#0123456789abcdef" }

[[package]]
name = "urldep"
version = "1.0"
source = { url = "https://files.invalid/urldep-1.0-py3-none-any.whl" }
wheels = [{ url = "https://files.invalid/urldep-1.0-py3-none-any.whl", hash = "sha256:33" }]

[[package]]
name = "tok"
version = "1.0"
source = { registry = "https://private.index.invalid/simple" }
wheels = [{ url = "https://private.index.invalid/files/tok-1.0-py3-none-any.whl", hash = "sha256:44" }]
"""


def test_reads_sources_keys_and_hashes(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "uv.lock", LOCK)
    project = uv_lock.read(tmp_path)
    assert project.locked is not None
    assert set(project.locked) == {"multi==1.0", "multi==2.0", "gitdep", "urldep", "tok"}
    assert project.locked["multi==1.0"].hashes == ("sha256:11", "sha256:12")
    assert project.locked["multi==1.0"].source == Source("registry", None)  # the default index
    assert project.locked["tok"].source == Source("registry", "https://private.index.invalid/simple")
    assert project.locked["gitdep"].source == Source("git", "git+https://git.invalid/org/gitdep@0123456789abcdef")
    assert project.locked["urldep"].source.kind == "url"
    assert project.requires_python == ">=3.10"
    text = recipe_text(tmp_path)
    assert "token" not in text and "pw@" not in text and "3.1.4" not in text


def test_unsupported_version(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "uv.lock", LOCK.replace("version = 1\n", "version = 2\n", 1))
    with pytest.raises(InputError, match="unsupported uv.lock version 2"):
        uv_lock.read(tmp_path)


def test_ambiguous_edge(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "uv.lock", LOCK.replace('{ name = "multi", version = "1.0", source = { registry = "https://index.invalid/simple" }, marker', '{ name = "multi", marker'))
    with pytest.raises(InputError, match="cannot tell which 'multi'"):
        uv_lock.read(tmp_path)


def test_local_file_source_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    write(tmp_path / "uv.lock", LOCK.replace('source = { url = "https://files.invalid/urldep-1.0-py3-none-any.whl" }', 'source = { path = "dist/urldep-1.0-py3-none-any.whl" }'))
    with pytest.raises(InputError, match="local file"):
        uv_lock.read(tmp_path)


@needs_corpus
@pytest.mark.parametrize("root", ["microsoft__autogen/python/samples/gitty", "mozilla-services__socorro", "pydantic__pydantic", "pydantic__pydantic/pydantic-core"])
def test_corpus_revisions_read(root: str) -> None:
    """uv.lock version 1 without revision, revisions 2 and 3; virtual roots; custom indexes."""
    project = uv_lock.read(CORPUS / root)
    assert project.locked and project.local_packages
    assert all("@" not in (p.source.url or "").split("//")[-1].split("/")[0] for p in project.locked.values())


SHARED = """\
version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "1"
source = { editable = "." }
dependencies = [{ name = "zed" }, { name = "alpha", extra = ["fast"] }, { name = "zed" }]

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
dependencies = [{ name = "zed", marker = "os_name == 'nt'" }, { name = "beta", extra = ["fast"] }]

[[package]]
name = "beta"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
dependencies = [{ name = "alpha", extra = ["fast"] }, { name = "zed" }]

[[package]]
name = "zed"
version = "1.0"
source = { registry = "https://index.invalid/simple" }
"""


def test_repeated_edges_unsorted_and_duplicate_edges(tmp_path: Path) -> None:
    """Each distinct edge is resolved once and reused; edges come out sorted and unique
    whatever the lock's order (uv sorts them; a hand-edited lock may not)."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n')
    write(tmp_path / "uv.lock", SHARED)
    project = uv_lock.read(tmp_path)
    assert [d.name for d in project.local_packages["app"].dependencies] == ["alpha", "zed"]
    alpha = next(p for p in project.locked.values() if p.name == "alpha")
    beta = next(p for p in project.locked.values() if p.name == "beta")
    assert [(d.name, d.marker) for d in alpha.dependencies] == [
        ("beta", None), ("zed", 'os_name == "nt"')]
    assert beta.dependencies[0] is project.local_packages["app"].dependencies[0]  # shared


@pytest.mark.parametrize("bad", ['extra = "fast"', "extra = [1]", "marker = 3", "version = 1"])
def test_a_malformed_repeat_of_a_good_edge_is_still_an_error(tmp_path: Path, bad: str) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n')
    lock = SHARED.replace('dependencies = [{ name = "alpha", extra = ["fast"] }, { name = "zed" }]',
                          f'dependencies = [{{ name = "alpha", {bad} }}, {{ name = "zed" }}]')
    assert lock != SHARED
    write(tmp_path / "uv.lock", lock)
    if bad == "version = 1":  # a number where uv writes a string: read as the same version
        uv_lock.read(tmp_path)
        return
    with pytest.raises(InputError):
        uv_lock.read(tmp_path)
