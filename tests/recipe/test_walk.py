"""chef.select.walk: what a lock installs. An edge to a package already reached is passed over
unless it asks for an extra not reached yet (the fast path must not drop those)."""

from __future__ import annotations

from typing import Dict, Optional

from chef.model import Dep, LockedPackage, Source
from chef.select import walk


def _locked() -> Dict[str, LockedPackage]:
    def pkg(name: str, *deps: Dep, extras: tuple = ()) -> LockedPackage:  # type: ignore[type-arg]
        return LockedPackage(name, "1", Source("registry"), dependencies=deps, extras=extras,
                             key=f"{name}==1")

    return {p.key: p for p in (
        pkg("app", Dep("lib", key="lib==1"), Dep("tool", key="tool==1")),
        pkg("tool", Dep("lib", key="lib==1", extras=("fast",))),
        pkg("lib", Dep("base", key="base==1"),
            extras=(("fast", (Dep("speedups", key="speedups==1"),)),
                    ("win", (Dep("winlib", key="winlib==1", marker="os_name == 'nt'"),)))),
        pkg("base"), pkg("speedups"), pkg("winlib"),
    )}


def test_a_later_edge_with_an_extra_still_reaches_its_dependencies() -> None:
    reached = walk([Dep("app", key="app==1")], _locked())
    assert reached.locked == {"app==1": set(), "lib==1": {"fast"}, "tool==1": set(),
                              "base==1": set(), "speedups==1": set()}


def test_markers_are_evaluated_with_the_extra() -> None:
    seen = []

    def evaluate(marker: Optional[str], extra: str) -> bool:
        seen.append((marker, extra))
        return marker is None

    reached = walk([Dep("lib", key="lib==1", extras=("win", "fast"))], _locked(), evaluate)
    assert set(reached.locked) == {"lib==1", "base==1", "speedups==1"}
    assert ("os_name == 'nt'", "win") in seen
