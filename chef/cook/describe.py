"""The dry run's text (`chef cook --dry-run`): what would be installed, from where, and the
installer command, without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from chef.cook import credentials, installers
from chef.cook.plan import InstallPlan


def describe(
    install_plan: InstallPlan, backend: installers.Backend, python: str, build_python: str,
    hidden: Optional[credentials.Credentials] = None,
) -> List[str]:
    """The dry-run text: what would be installed, from where, and the installer command."""
    out: List[str] = []
    mode = (
        "locked: exact versions, no resolution"
        if install_plan.locked
        else "unlocked: the installer resolves"
    )
    out.append(f"plan ({mode}), installer {backend.name}, target {python}")
    if install_plan.platform is not None:
        out.append(f"cross-cook for {install_plan.platform.describe()}: its wheels only, "
                   "markers evaluated for it; the build environment is this machine's")
    for batch in install_plan.all_batches():
        where = installers.mask(batch.options.index_url or "installer's default index")
        if batch.options.no_index:
            where = "no index"
        if batch.options.find_links:
            where += " + find-links " + " ".join(
                installers.mask(u) for u in batch.options.find_links
            )
        target = build_python if batch.purpose == "build requirements" else python
        out.append(
            f"- {batch.purpose} from {where}" + (" (hash-checked)" if batch.require_hashes else "")
        )
        for line in batch.lines:
            out.append(f"    {line.label or line.requirement}")
        for line in batch.constraints:
            out.append(f"    constraint {line.requirement}")
        files = installers.BatchFiles(
            Path("<requirements.txt>"), Path("<constraints.txt>") if batch.constraints else None,
            urls_in_env=installers.hides_urls(batch, hidden))
        out.append("    $ " + installers.display_argv(backend.install(target, files, batch, False))
                   + (" (index URLs in its environment: they hold values from the environment)"
                      if files.urls_in_env else ""))
    if install_plan.earlier:
        out.append("from an earlier layer (left out when the venv holds them, at these versions; "
                   "installed here when it does not): "
                   + ", ".join(f"{n}=={v}" for n, v in install_plan.earlier))
    if install_plan.skipped:
        out.append("not for this target (markers): " + ", ".join(install_plan.skipped))
    if install_plan.build_off:
        out.append("build requirements not switched on: " + ", ".join(install_plan.build_off))
    if install_plan.target_wheels:
        out.append("wheels for the target from --find-links: "
                   + ", ".join(install_plan.target_wheels))
    if install_plan.no_wheel:
        out.append("no wheel for the target (cook will refuse before installing anything): "
                   + ", ".join(install_plan.no_wheel))
    if install_plan.unknown_files and install_plan.platform is not None:
        out.append("note: the recipe lists no wheel files (its input has no file list): a "
                   "package without a wheel for the target is refused by the installer, not "
                   "before (cook then removes the venv it created)")
    return out
