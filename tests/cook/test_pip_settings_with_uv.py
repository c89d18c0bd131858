"""A base image configured for pip (PIP_INDEX_URL, PIP_FIND_LINKS, ...) keeps working when cook
picks uv: chef hands uv the same settings under uv's names; uv's own variables win."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import installed, write

from chef.cook.installers import UvBackend
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file


def test_mapping_rules() -> None:
    backend = UvBackend("uv")
    assert backend.environment({"PATH": "/bin"}) is None
    env = backend.environment({"PIP_INDEX_URL": "https://a.invalid/simple", "PIP_FIND_LINKS": "/w1 /w2",
                               "PIP_EXTRA_INDEX_URL": "https://b.invalid/simple https://c.invalid/simple",
                               "PIP_NO_INDEX": "true"})
    assert env is not None
    assert env["UV_DEFAULT_INDEX"] == "https://a.invalid/simple"
    assert env["UV_FIND_LINKS"] == "/w1,/w2"
    assert env["UV_EXTRA_INDEX_URL"] == "https://b.invalid/simple https://c.invalid/simple"
    assert env["UV_NO_INDEX"] == "1"
    assert backend.environment({"PIP_INDEX_URL": "https://a.invalid", "UV_INDEX_URL": "https://u.invalid"}) is None


@pytest.mark.slow
def test_uv_cook_honours_pip_index_url(tmp_path: Path, index, isolated_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "p" / "requirements.txt", "beta==1.0\n")
    prepare_to_file(tmp_path / "p", tmp_path / "recipe.json")
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    cook(tmp_path / "recipe.json", TargetSpec(venv=tmp_path / "v"), installer="uv", quiet=True,
         echo=lambda s: None)
    assert installed(tmp_path / "v" / "bin" / "python") == {"beta": "1.0"}
