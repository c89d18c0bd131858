"""Every lock in ../shared/corpus is judged the way its manager judges it.

The corpus README says each lock is fresh at its commit unless its MANIFEST note says otherwise.
Two facts of the stored copies matter here:

- The corpus replaced the public index's host names with `index.invalid` /
  `files.index.invalid` in every file. Hash-based checks (pipenv hashes the Pipfile's [[source]]
  URLs) must see the upstream text, so the files are read with the substitution undone, in memory
  only, using pip's own constants for the default index (the name is never written here).
- pydantic-core/uv.lock is not the lock uv uses: pydantic-core is a member of the parent workspace
  (pydantic/pyproject.toml [tool.uv.workspace]), so `uv lock --check` there checks ../uv.lock. Read
  on its own, the leftover file no longer matches its pyproject.toml (requires-python >=3.9 vs
  >=3.10, groups renamed), and chef says so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Mapping

import pytest
from conftest import CORPUS, corpus_params, needs_corpus

from chef import freshness

pytestmark = needs_corpus

MANAGER = {"uv.lock": "uv", "poetry.lock": "poetry", "pdm.lock": "pdm", "Pipfile.lock": "pipenv"}

# lock -> what the reason names; every lock not listed is expected fresh. The managers' own
# verdicts, as MANIFEST.toml's notes record them (uv 0.13.9 `lock --check`, poetry 2.5.1
# `check --lock`, pdm 2.29.4 `lock --check`).
STALE = {
    "pydantic__pydantic/pydantic-core/uv.lock": "requires-python",
    "567-labs__instructor/uv.lock": "openai",
    "567-labs__instructor/poetry.lock": "which the lock does not have",
    "Zipstack__unstract/tool-sidecar/pdm.lock": "unstract-core",
    "Zipstack__unstract/unstract/flags/pdm.lock": "content_hash",
    "microsoft__graphrag/unified-search-app/uv.lock": "requires-python",
    "nautobot__nautobot/examples/example_app/poetry.lock": "content-hash",
}
# lock -> what chef cannot check statically (the manager itself had to build metadata). Empty
# since chef reads dynamic dependencies from the files their metadata hooks read: pydantic-ai's
# members fill theirs through uv-dynamic-versioning, whose templates chef reads, and with the
# self-referencing extras flattened as a build reports them the lock matches (fresh, as the
# corpus README says of every lock its MANIFEST note does not call stale).
UNCHECKED: Dict[str, str] = {}


def _hosts() -> Dict[str, str]:
    from pip._internal.models.index import PyPI  # pip is in every venv the suite runs in

    return {"files.index.invalid": PyPI.file_storage_domain, "index.invalid": PyPI.netloc}


class UpstreamFiles(freshness.Files):
    """The corpus files as they were upstream (host-name substitution undone, in memory)."""

    def text(self, rel: str) -> str:
        text = super().text(rel)
        for placeholder, host in _hosts().items():
            text = text.replace(placeholder, host)
        return text

    def toml(self, rel: str) -> Mapping[str, Any]:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        return tomllib.loads(self.text(rel))


def _locks() -> list:  # type: ignore[type-arg]
    if not CORPUS.is_dir():
        return []
    return sorted(
        p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.name in MANAGER
    )


def test_the_corpus_has_every_kind_of_lock() -> None:
    kinds = {MANAGER[Path(p).name] for p in _locks()}
    assert kinds == {"uv", "poetry", "pdm", "pipenv"}


@pytest.mark.parametrize("lock", corpus_params(_locks(), 1))
def test_corpus_lock_verdict(lock: str) -> None:
    path = CORPUS / lock
    verdict = freshness.check(path.parent, MANAGER[path.name], UpstreamFiles(path.parent))
    assert verdict is not None
    if lock in UNCHECKED:
        assert UNCHECKED[lock] in "; ".join(verdict.unchecked)
    else:
        assert not verdict.unchecked, verdict.unchecked
    if lock in STALE:
        assert not verdict.fresh
        assert STALE[lock] in "; ".join(verdict.reasons)
    else:
        assert verdict.fresh, verdict.reasons


def test_stored_pipfile_differs_from_upstream_and_chef_sees_it() -> None:
    """Read as stored (index host replaced in the Pipfile's [[source]]), checkov's Pipfile.lock
    does not match: the check looks at sources, as pipenv does."""
    root = CORPUS / "bridgecrewio__checkov"
    verdict = freshness.check(root, "pipenv")
    assert verdict is not None and not verdict.fresh
