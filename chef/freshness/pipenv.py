"""pipenv: `_meta.hash.sha256` of the Pipfile's normalized JSON (plette's algorithm; pipenv 2025+
canonicalizes package names first, both are accepted)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Set

from chef.freshness.common import Files, Verdict, as_list, canon, hash_json, short, table

_PIPFILE_SECTIONS = frozenset(
    ("source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv")
)


def pipfile_hash(
    pipfile: Mapping[str, Any],
    *,
    canonical_names: bool = False,
    default_sources: Optional[List[Any]] = None,
) -> str:
    """plette's `Pipfile.get_hash()` (pipenv's `_meta.hash.sha256`); with `canonical_names`,
    pipenv 2025+'s `calculate_hash`, which first canonicalizes package names (PEP 503).

    A Pipfile without [[source]] is hashed with the default source pipenv inserts; that source is
    the one the lock records in `_meta.sources`, passed as `default_sources`.
    """

    def section(values: Any) -> Any:
        if canonical_names and isinstance(values, dict):
            return {canon(k): v for k, v in values.items()}
        return values

    sources = pipfile.get("source", default_sources or [])
    data: Dict[str, Any] = {
        "_meta": {"sources": sources, "requires": pipfile.get("requires", {})},
        "default": section(pipfile.get("packages", {})),
        "develop": section(pipfile.get("dev-packages", {})),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
            continue
        data[category] = section(values)
    return hash_json(data, separators=(",", ":"))


def declared_names(files: Files) -> Set[str]:
    """Packages the Pipfile declares, in every category."""
    wanted: Set[str] = set()
    for category, values in files.toml("Pipfile").items():
        if category in ("source", "requires", "scripts", "pipfile", "pipenv"):
            continue
        if isinstance(values, dict):
            wanted |= {canon(k) for k in values}
    return wanted


def check(files: Files) -> Verdict:
    verdict = Verdict("pipenv", "Pipfile.lock", fresh=True)
    lock = files.json("Pipfile.lock")
    pipfile = files.toml("Pipfile")
    meta = table(table(lock).get("_meta")) if isinstance(lock, dict) else {}
    recorded = table(meta.get("hash")).get("sha256")
    if not isinstance(recorded, str):
        verdict.fresh = False
        verdict.reasons.append("the lock records no _meta.hash.sha256")
        return verdict
    default_sources: Optional[List[Any]] = None
    if "source" not in pipfile:
        # Only pipenv's own default source may stand in for a missing [[source]]: one entry,
        # named pypi, verified; a custom source the Pipfile dropped must not pass.
        locked_sources = as_list(meta.get("sources"))
        if (
            len(locked_sources) == 1
            and isinstance(locked_sources[0], dict)
            and set(locked_sources[0]) == {"name", "url", "verify_ssl"}
            and locked_sources[0].get("name") == "pypi"
            and locked_sources[0].get("verify_ssl") is True
        ):
            default_sources = locked_sources
    try:
        fresh = any(
            pipfile_hash(pipfile, canonical_names=c, default_sources=default_sources) == recorded
            for c in (True, False)
        )
    except (TypeError, ValueError):
        verdict.unchecked.append("the Pipfile holds values pipenv cannot hash")
        return verdict
    if fresh:
        return verdict
    verdict.fresh = False
    wanted = declared_names(files)
    locked: Set[str] = set()
    for category, values in (lock.items() if isinstance(lock, dict) else ()):
        if category != "_meta" and isinstance(values, dict):
            locked |= {canon(k) for k in values}
    missing = sorted(wanted - locked)
    if missing:
        verdict.reasons.append("the Pipfile requires " + short(missing) +
                               ", which the lock does not have")
    elif pipfile.get("requires", {}) != meta.get("requires", {}):
        verdict.reasons.append("the Pipfile's [requires] differs from the lock's")
    elif "source" in pipfile and [
        s.get("name") for s in as_list(pipfile.get("source")) if isinstance(s, dict)
    ] != [s.get("name") for s in as_list(meta.get("sources")) if isinstance(s, dict)]:
        verdict.reasons.append("the Pipfile's [[source]] entries differ from the lock's")
    else:
        verdict.reasons.append("the Pipfile's packages changed since it was locked "
                               "(_meta.hash differs)")
    return verdict
