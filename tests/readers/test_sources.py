"""chef.readers.sources: the helpers every reader shares (issue 18, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import url_shapes as u

from chef.detect import read_project
from chef.readers.sources import (
    archive_url,
    file_hashes,
    index_config,
    installer_hashes,
    locked_wheels,
    vcs_entry,
    vcs_url,
)

SHA = "ab" * 32
MD5 = "cd" * 16


@pytest.mark.parametrize(
    "args, want",
    [
        (("https://h.invalid/r.git",), "git+https://h.invalid/r.git"),
        (("git+https://h.invalid/r.git", "git", "abc"), "git+https://h.invalid/r.git@abc"),
        (("hg+https://h.invalid/r", "git", "abc"), "hg+https://h.invalid/r@abc"),  # prefix wins
        (("https://h.invalid/r", "svn", "12"), "svn+https://h.invalid/r@12"),
        (("git@h.invalid:o/r.git", "git", "v1"), "git+ssh://git@h.invalid/o/r.git@v1"),
        (("ssh://git@h.invalid/o/r.git",), "git+ssh://git@h.invalid/o/r.git"),
        (("https://u:tok@h.invalid/r.git", "git", "v1"), "git+https://h.invalid/r.git@v1"),
        # pipenv/pdm: a ref in the URL's path is a fallback; the recorded one replaces it
        (("https://h.invalid/r.git@v1",), "git+https://h.invalid/r.git@v1"),
        (("https://h.invalid/r.git@v1", "git", "abc"), "git+https://h.invalid/r.git@abc"),
        (("ssh://git@h.invalid/r.git@v1", "git", "abc"), "git+ssh://git@h.invalid/r.git@abc"),
        (("https://h.invalid/r.git", "git", "abc", "sub/p"),
         "git+https://h.invalid/r.git@abc#subdirectory=sub/p"),
        # a fragment stays after the ref; an explicit subdirectory replaces the URL's
        (("https://h.invalid/r.git#egg=demo", "git", "abc"),
         "git+https://h.invalid/r.git@abc#egg=demo"),
        (("https://h.invalid/r.git#subdirectory=a", "git", "abc", "b"),
         "git+https://h.invalid/r.git@abc#subdirectory=b"),
    ],
)
def test_vcs_url(args: tuple, want: str) -> None:  # type: ignore[type-arg]
    assert vcs_url(*args) == want


def test_archive_url() -> None:
    assert archive_url("https://u:t@f.invalid/a.zip") == "https://f.invalid/a.zip"
    assert archive_url("https://f.invalid/a.zip", "pkg") == "https://f.invalid/a.zip#subdirectory=pkg"
    assert archive_url("https://f.invalid/a.zip#subdirectory=x&egg=a", "pkg") == (
        "https://f.invalid/a.zip#egg=a&subdirectory=pkg"
    )
    assert archive_url("https://f.invalid/a.zip#sha256=ab") == "https://f.invalid/a.zip#sha256=ab"


def test_vcs_entry() -> None:
    assert vcs_entry({"hg": "https://h.invalid/r", "ref": "x"}) == ("hg", "https://h.invalid/r")
    assert vcs_entry({"hg": "https://h.invalid/r"}, ("git",)) is None
    assert vcs_entry({"version": "==1"}) is None


def test_installer_hashes() -> None:
    # pip refuses md5 (and anything but sha256/384/512) in --hash: never passed on
    values = [f"sha256:{SHA}", f"md5:{MD5}", f"sha1:{MD5}", f"sha512:{SHA}", f"SHA256:{SHA}",
              SHA, "", None, "sha256:"]
    assert installer_hashes(values) == (f"sha256:{SHA}", f"sha512:{SHA}")
    # poetry's oldest locks: a bare digest is sha256
    assert installer_hashes([SHA], bare="sha256") == (f"sha256:{SHA}",)
    assert file_hashes([{"hash": f"md5:{MD5}"}, {"hash": f"sha384:{SHA}"}, "x"]) == (
        f"sha384:{SHA}",
    )


def test_locked_wheels() -> None:
    files = [{"file": "demo-1.0.tar.gz"}, {"url": "https://f.invalid/demo-1.0-py3-none-any.whl"}]
    assert locked_wheels(files, ("file", "url")) is None  # pure Python: nothing to record
    linux = [{"name": "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"}]
    assert locked_wheels(linux, ("name",)) == ("cp311-cp311-manylinux_2_17_x86_64",)
    assert locked_wheels([], ("name",)) is None
    assert locked_wheels([], ("name",), sdist=True) == ()


def test_index_config() -> None:
    config = index_config(
        "https://u:p@a.invalid/simple/", ["https://c.invalid/", "https://b.invalid", "https://c.invalid"],
        ["./wheels/"], pre=True,
    )
    assert config.index_url == "https://a.invalid/simple"
    assert config.extra_index_urls == ("https://b.invalid", "https://c.invalid")
    assert config.find_links == ("./wheels/",)  # paths as the reader resolved them
    assert config.pre and not config.no_index


@pytest.mark.parametrize("manager, writer", [
    ("pdm", u.write_pdm_lock), ("uv", u.write_uv_lock), ("pylock", u.write_pylock),
    ("poetry", u.write_poetry_lock), ("pipenv", u.write_pipfile_lock),
])
def test_md5_never_reaches_a_recipe(tmp_path: Path, manager: str, writer: object) -> None:
    """A lock that records an md5 beside the sha256 (pdm kept it, poetry dropped it): every
    reader keeps only what pip's --hash accepts."""
    writer(tmp_path, u.BY_ID["archive-https"])  # type: ignore[operator]
    for name in ("pdm.lock", "uv.lock", "pylock.toml", "poetry.lock", "Pipfile.lock"):
        path = tmp_path / name
        if path.is_file():
            text = path.read_text()
            digest = u.ARCHIVE_HASH.split(":")[1]
            if name == "pylock.toml":
                text = text.replace(f'sha256 = "{digest}"', f'sha256 = "{digest}", md5 = "{MD5}"')
            elif name == "Pipfile.lock":
                text = text.replace(f'"{u.ARCHIVE_HASH}"', f'"{u.ARCHIVE_HASH}", "md5:{MD5}"')
            else:
                text = text.replace(f'hash = "{u.ARCHIVE_HASH}"}}',
                                    f'hash = "{u.ARCHIVE_HASH}"}}, {{file = "demo-1.0.zip", '
                                    f'url = "{u.ARCHIVE}.zip", hash = "md5:{MD5}"}}')
                text = text.replace(f'hash = "{u.ARCHIVE_HASH}" }}', f'hash = "md5:{MD5}" }}')
            assert "md5" in text, name
            path.write_text(text)
    project, _ = read_project(tmp_path, manager=manager)
    hashes = {h for p in (project.locked or {}).values() for h in p.hashes}
    assert not any(h.startswith("md5:") for h in hashes), hashes
