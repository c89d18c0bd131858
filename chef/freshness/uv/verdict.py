"""uv's verdicts and their messages: a difference chef reproduces exactly is a reason (the lock
is stale, `Verdict.refuse`); one that depends on rules chef cannot be sure the uv that wrote the
lock shares is a warning naming both values (`Verdict.warn`), ending with what `uv lock --check`
does with it and that chef goes on with the lock. The endings are written here only."""

from __future__ import annotations

from typing import Any, FrozenSet, List, Mapping, Optional

from packaging.specifiers import SpecifierSet

from chef.freshness.common import Verdict, as_list, canon, short
from chef.freshness.uv.compare import Diff, diff
from chef.freshness.uv.lower import SELF, Lowering
from chef.freshness.uv.reqs import Req, lock_req

# How a warning ends, in parentheses after what differs (`Verdict.warn(text, why)`).
FAILS = "`uv lock --check` fails on this; chef goes on"
MAY_FAIL = "`uv lock --check` may fail on this, chef goes on with the lock"
MAY_FAIL_SHORT = "`uv lock --check` may fail on this, chef goes on"
NOT_MODELLED = "`uv lock --check` may fail on this; chef does not model it and goes on"
BUILDS = "`uv lock --check` builds the metadata to compare; chef goes on"
BUILDS_IT = "`uv lock --check` builds it to compare; chef goes on with the lock"
NOT_COMPARED = "not compared with uv.lock; chef goes on with the lock"
# ... and after a colon, where the sentence goes on (the project's own version).
FAILS_ON_THAT = "`uv lock --check` fails on that, chef goes on"


def fails_but(why: str) -> str:
    """`uv lock --check` fails, and `why` chef goes on all the same."""
    return f"`uv lock --check` fails on this; {why}, chef goes on"


def may_fail(why: str) -> str:
    """`uv lock --check` may fail, and `why` chef cannot be sure."""
    return f"{why}; {MAY_FAIL}"


def report(verdict: Verdict, diffs: List[Diff], display: str, what: str, *,
           static: bool = True, lock_names: FrozenSet[str] = frozenset(),
           origin: str = "") -> None:
    """Reasons for the differences chef is sure of, warnings for the others. `static`: the
    requirements come from pyproject.toml itself (not from files a build backend reads)."""
    added: List[str] = []
    dropped: List[str] = []
    for d in diffs:
        text = _difference(d, display, what)
        if not _sure(d, static, lock_names):
            verdict.warn(text, may_fail(
                d.doubt or f"read from {origin}, which a build may report differently"))
        elif d.want and not d.have:
            added.extend(r.show() for r in d.want)
        elif d.have and not d.want:
            dropped.extend(r.show() for r in d.have)
        else:
            verdict.refuse(text)
    parts = []
    if added:
        parts.append(f"adds {short(added)} to {what}")
    if dropped:
        parts.append(f"drops {short(dropped)} from {what}")
    if parts:
        verdict.refuse(f"{display} " + " and ".join(parts))


def _sure(d: Diff, static: bool, lock_names: FrozenSet[str]) -> bool:
    if bool(d.want) != bool(d.have):
        # Present on one side only: how uv would lower it does not matter, only whether the
        # requirement is declared at all (not sure for one a build may flatten away).
        return not d.doubt.startswith(SELF) and (
            static or bool(d.want and d.name not in lock_names))
    return not d.doubt and static


def _difference(d: Diff, display: str, what: str) -> str:
    if d.want and not d.have:
        return f"{display} adds {short([r.show() for r in d.want])} to {what}"
    if d.have and not d.want:
        return f"{display} drops {short([r.show() for r in d.have])} from {what}"
    return (f"{display} changes {d.name} in {what}: "
            f"{short([r.show(True) for r in d.want])} in {display.rsplit('/', 1)[-1]} vs "
            f"{short([r.show(True) for r in d.have])} in uv.lock")


def lowering_problems(verdict: Verdict, lowering: Lowering) -> None:
    """What uv refuses to lower at all: its check fails, chef cannot tell how it would lock."""
    for text in lowering.problems:
        verdict.warn(text, FAILS)


def compare_groups(
    verdict: Verdict, display: str, expected: Mapping[str, List[Req]],
    recorded: Mapping[str, Any], requires_python: Optional[SpecifierSet], owner: str = "",
    include_empty: bool = False,
) -> None:
    """Dependency groups (`requires-dev`, or `[manifest] dependency-groups` of a virtual root)
    against the lowered ones; `include_empty`: a group without requirements counts."""
    actual = {
        canon(g): [lock_req(e, f"requires-dev.{g}") for e in as_list(items)]
        for g, items in recorded.items()
    }
    names = sorted(
        {g for g, v in expected.items() if v or include_empty}
        | {g for g, v in actual.items() if v or include_empty}
    )
    for group in names:
        what = f"{owner}'s group {group!r}" if owner else f"group {group!r}"
        if include_empty and (group in expected) != (group in actual):
            change = "adds" if group in expected else "drops"
            verdict.refuse(f"{display} {change} {what}")
            continue
        report(verdict, diff(expected.get(group, []), actual.get(group, []), requires_python),
               display, what)


def compare_default_groups(verdict: Verdict, who: str, uv: Mapping[str, Any],
                           recorded: Any) -> None:
    """`tool.uv.default-groups` as lock revision 5 records it (absent means `["dev"]`)."""
    def norm(value: Any) -> Any:
        if value == "all":
            return "all"
        if isinstance(value, list):
            return sorted({canon(str(v)) for v in value})
        return ["dev"]

    want, have = norm(uv.get("default-groups")), norm(recorded)
    if want != have:
        verdict.refuse(
            f"{who}'s default-groups are {want!r} in pyproject.toml but {have!r} in the lock"
        )
