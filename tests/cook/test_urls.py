"""chef.cook.urls: where an index option points (a URL, or a directory on this machine), and the
rewrites between the recipe and the installer's command line, for every batch of a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from chef.cook import urls
from chef.cook.plan import Batch, InstallPlan, Line, Overrides
from chef.model import IndexConfig

BASE = Path("/project")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("wheels", BASE / "wheels"),
        ("./sub/wheels", BASE / "sub/wheels"),
        ("/srv/wheels", Path("/srv/wheels")),
        ("file:///srv/my%20wheels", Path("/srv/my wheels")),
        ("file:/srv/wheels", Path("/srv/wheels")),
        ("https://index.invalid/wheels/", None),
        ("http://index.invalid/simple", None),
    ],
)
def test_local_path(link: str, expected: object) -> None:
    assert urls.local_path(link, BASE) == expected
    assert urls.is_url(link) == (expected is None or link.startswith("file:"))
    assert urls.project_relative(link) == (not urls.is_url(link) and not link.startswith("/"))


def _plan() -> InstallPlan:
    options = IndexConfig(
        index_url="https://user:secret@index.invalid/simple",
        extra_index_urls=("https://${TOKEN}@extra.invalid/simple",),
        find_links=("wheels", "/srv/wheels", "https://links.invalid/"),
    )
    line = (Line("alpha==1.0"),)
    return InstallPlan(
        locked=True,
        batches=[Batch(line, options, no_deps=True, require_hashes=False)],
        build_batch=Batch(line, options, no_deps=False, require_hashes=False,
                          purpose="build requirements"),
    )


def test_every_batch_and_the_build_batch_are_rewritten() -> None:
    install_plan = urls.recipe_relative(_plan(), BASE / "recipe.json")
    assert [b.purpose for b in install_plan.all_batches()] == ["dependencies",
                                                               "build requirements"]
    for batch in install_plan.all_batches():
        # Only find-links paths are the project's; URLs and absolute paths stay as written.
        assert batch.options.find_links == ("/project/wheels", "/srv/wheels",
                                            "https://links.invalid/")
        assert batch.options.index_url == "https://user:secret@index.invalid/simple"
    assert urls.plan_urls(install_plan) == 2 * [
        "https://user:secret@index.invalid/simple", "https://${TOKEN}@extra.invalid/simple",
        "/project/wheels", "/srv/wheels", "https://links.invalid/",
    ]
    urls.for_installer(install_plan, {})
    for batch in install_plan.all_batches():
        # Credentials go to the netrc; an unset placeholder (a dry run) stays as written.
        assert batch.options.index_url == "https://index.invalid/simple"
        assert batch.options.extra_index_urls == ("https://${TOKEN}@extra.invalid/simple",)


def test_cooks_own_options_keep_no_credentials() -> None:
    overrides = Overrides(index_url="https://u:p@mirror.invalid/simple",
                          extra_index_urls=("https://u:p@extra.invalid/simple",),
                          find_links=("https://u:p@links.invalid/",), no_index=True)
    assert urls.urls_of(overrides) == ["https://u:p@mirror.invalid/simple",
                                       "https://u:p@extra.invalid/simple",
                                       "https://u:p@links.invalid/"]
    assert urls.without_userinfo(overrides) == Overrides(
        index_url="https://mirror.invalid/simple",
        extra_index_urls=("https://extra.invalid/simple",),
        find_links=("https://links.invalid/",), no_index=True,
    )


def test_local_directories_are_the_existing_ones_once_in_order(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    links = ["b", str(tmp_path / "a"), "missing", f"file://{tmp_path / 'b'}", "https://x.invalid/"]
    assert urls.local_directories(links, tmp_path / "recipe.json") == [tmp_path / "b",
                                                                       tmp_path / "a"]
