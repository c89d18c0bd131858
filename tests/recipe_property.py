"""A property every test checks for free: each recipe `prepare` writes anywhere in the suite is
one `chef cook --dry-run` accepts (issue "Real projects": a Pipfile source `${PRIVATE_INDEX_URL}`
gave a recipe that cook refused as "not an allowed URL").

Recipes come from two places: `chef.prepare.prepare` called in the test's process (its `dumps`
is wrapped to record each text), and recipe files a `chef prepare` subprocess wrote under the
test's tmp_path (found after the test: JSON objects with "format" and "manager", in chef's
canonical layout, which a hand-written broken recipe in a cook test is not). Each is given to
`chef.cook.run.cook(..., dry_run=True)` for this interpreter; a target that requires-python
excludes is not a refusal of the recipe.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, Iterator, List

import pytest

MAX_RECIPES_PER_TEST = 40  # enough to catch a bad writer; bounds the cost of recipe-heavy tests


def _written_by_prepare(path: Path) -> str | None:
    try:
        if path.stat().st_size > 20_000_000:
            return None
        text = path.read_text("utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "format" not in data or "manager" not in data:
        return None
    from chef.recipe import canonical_json

    try:
        return text if canonical_json(data) == text else None
    except Exception:  # not chef's layout at all
        return None


@cache
def _probe(python: str) -> Any:
    from chef.cook.target import probe

    return probe(python)


def cook_accepts(path: Path) -> None:
    """Raise (the ChefError cook would print) unless `chef cook --dry-run` accepts the recipe."""
    from chef.cook import run
    from chef.errors import TargetEnvironmentError

    real_probe = run.probe
    run.probe = _probe  # type: ignore[assignment]  # one interpreter probe per session
    try:
        run.cook(path, run.TargetSpec(python=sys.executable), dry_run=True,
                 echo=lambda _text: None)
    except TargetEnvironmentError as exc:
        if "requires-python" not in str(exc) and "requires Python" not in str(exc):
            raise
    finally:
        run.probe = real_probe  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def recipes_prepare_writes_are_cooked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if request.node.get_closest_marker("docker"):  # images, not recipes, are checked there
        yield
        return
    import chef.prepare

    texts: List[str] = []
    real_dumps = chef.prepare.dumps

    def recording_dumps(recipe: Any) -> str:
        text = real_dumps(recipe)
        texts.append(text)
        return text

    monkeypatch.setattr(chef.prepare, "dumps", recording_dumps)
    yield
    found = [t for p in sorted(tmp_path.rglob("*.json")) if (t := _written_by_prepare(p))]
    seen = set()
    checked = tmp_path.parent / f"{tmp_path.name}-recipe-property"
    checked.mkdir(exist_ok=True)
    for text in texts + found:
        if text in seen or len(seen) >= MAX_RECIPES_PER_TEST:
            continue
        seen.add(text)
        recipe = checked / f"recipe-{len(seen)}.json"
        recipe.write_text(text, encoding="utf-8")
        try:
            cook_accepts(recipe)
        except Exception as exc:
            pytest.fail(f"a recipe prepare wrote in this test is refused by `chef cook "
                        f"--dry-run`: {exc}\n{text[:2000]}", pytrace=False)
