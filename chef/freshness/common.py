"""What every freshness check shares: how files are read, the verdict, small helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, List, Mapping, Set

from chef.errors import InputError, StaleLockError, json_error
from chef.pep508 import canonical_name
from chef.toml import load_toml, read_text

RELOCK = {
    "uv": "uv lock",
    "poetry": "poetry lock",
    "pdm": "pdm lock",
    "pipenv": "pipenv lock",
}
# The manager's own freshness check, named in messages ("what its manager would say").
CHECK_COMMAND = {
    "uv": "uv lock --check",
    "poetry": "poetry check --lock",
    "pdm": "pdm lock --check",
    "pipenv": "pipenv verify",
}
LOCK_FILE = {"uv": "uv.lock", "poetry": "poetry.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}
MANIFEST = {"uv": "pyproject.toml", "poetry": "pyproject.toml", "pdm": "pyproject.toml",
            "pipenv": "Pipfile"}


class Files:
    """Read project files relative to a root; the corpus tests substitute their own."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def text(self, rel: str) -> str:
        return read_text(self.root / rel, rel)

    def toml(self, rel: str) -> Mapping[str, Any]:
        return load_toml(self.root / rel, rel)

    def json(self, rel: str) -> Any:
        import json  # only pipenv's check reads JSON (json.decoder: ~1 ms of a uv prepare)

        text = self.text(rel)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InputError(
                f"not valid JSON: {json_error(exc)}",
                path=rel,
                line=getattr(exc, "lineno", None),
            ) from None


class Verdict:
    """The outcome of one lock check. (A plain class: a dataclass costs ~0.4 ms of every
    prepare to define.)"""

    __slots__ = ("manager", "lock", "fresh", "reasons", "unchecked", "ignored", "warnings")

    def __init__(self, manager: str, lock: str, fresh: bool) -> None:
        self.manager = manager
        self.lock = lock
        self.fresh = fresh
        self.reasons: List[str] = []  # what differs (when stale)
        self.unchecked: List[str] = []  # what chef could not verify, and why
        self.ignored: List[str] = []  # differences that do not decide installs
        # Differences chef cannot be sure the manager would refuse: printed on stderr on every
        # prepare (the lock is used), each naming the field and both values.
        self.warnings: List[str] = []

    def refuse(self, reason: str) -> None:
        """A difference chef is sure the manager refuses: the lock is stale."""
        self.reasons.append(reason)
        self.fresh = False

    def warn(self, text: str, why: str = "") -> None:
        """A difference chef cannot be sure the manager refuses (the lock is used); `why`, when
        given, follows in parentheses: what the manager's check does and that chef goes on."""
        self.warnings.append(f"{text} ({why})" if why else text)

    @property
    def relock(self) -> str:
        return RELOCK[self.manager]

    def what(self, limit: int = 3) -> str:
        """The differences, shortened: what a message about this stale lock says."""
        what = "; ".join(self.reasons[:limit]) or "the manifest changed since it was locked"
        if len(self.reasons) > limit:
            what += f"; and {len(self.reasons) - limit} more differences"
        return what

    def error(self) -> StaleLockError:
        what = self.what()
        return StaleLockError(
            f"stale lock: {what}",
            path=self.lock,
            hint=f"run `{self.relock}`, or pass --frozen to use the lock as it is",
        )

    def warning_lines(self) -> List[str]:
        """What `prepare` prints as `chef: warning: ...`, one line each."""
        return [f"{self.lock}: {what}" for what in self.warnings]

    def notes(self) -> List[str]:
        out = [f"{self.lock}: not checked: {why}" for why in self.unchecked]
        out += [f"{self.lock}: ignored: {what}" for what in self.ignored]
        if not self.fresh:
            out.append(f"{self.lock} is stale: " + "; ".join(self.reasons))
        elif not self.unchecked:
            out.append(f"{self.lock} matches {MANIFEST[self.manager]} (checked as "
                       f"`{self.relock}` would)")
        return out


def table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def canon(name: str) -> str:
    return canonical_name(name)


def short(items: Iterable[str], limit: int = 6) -> str:
    items = list(items)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text


def requirement_names(items: Iterable[Any]) -> Set[str]:
    """Canonical names of PEP 508 strings (anything unparsable is left to the reader to report)."""
    names: Set[str] = set()
    for item in items:
        if isinstance(item, str) and not item.lstrip().startswith("-"):
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                names.add(canon(Requirement(item).name))
            except InvalidRequirement:
                continue
    return names


def hash_json(data: Any, algo: str = "sha256", **kwargs: Any) -> str:
    import hashlib  # only poetry, pdm and pipenv checks hash (2 ms of every uv prepare otherwise)
    import json

    hasher = hashlib.new(algo)
    hasher.update(json.dumps(data, sort_keys=True, **kwargs).encode("utf-8"))
    return hasher.hexdigest()


def locked_names(packages: Any) -> Set[str]:
    return {
        canon(p["name"]) for p in as_list(packages)
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def not_locked(wanted: Set[str], locked: Set[str], own: Iterable[str] = ()) -> List[str]:
    return sorted(wanted - locked - {canon(n) for n in own})


def hash_reason(manifest: str, missing: List[str], what: str, field: str) -> str:
    """Why a content hash differs: the requirements the lock lacks when some are absent from it
    entirely (the common stale lock), else only that the hashed sections changed."""
    if missing:
        return f"{manifest} requires {short(missing)}, which the lock does not have"
    return f"{manifest}'s {what} changed since it was locked ({field} differs)"
