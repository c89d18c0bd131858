"""Cooking for another platform against cooking natively, on this machine (no Docker here).

    .venv/bin/python bench/cross_build.py [--runs 3] [--platform linux/arm64]
        [--package numpy --package ...] [--installer uv|pip] [--out FILE]

Locks a uv project of real packages from the package registry (network; default: a small
data-science set with compiled wheels), prepares its recipe, then times, into a fresh venv each
run (created by cook, inside the timing: a Docker build does the same) with warm installer
caches after one uncounted round: `chef cook` for this machine's platform, and `chef cook
--platform PLATFORM` (the cross-cook: the target's wheels, at this machine's native speed). It
also reports what the cross-cooked venv holds: its extension modules and their ELF machine.
Prints Markdown tables; asserts nothing.

The Docker half (`docker build --platform linux/arm64` with the cook under QEMU emulation,
against Dockerfile.example's builder stage on $BUILDPLATFORM cooking for $TARGETPLATFORM) comes
with Dockerfile.example's multi-arch stages; `cook_commands` below gives it the same project and
recipe.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from timing import Command, chef_argv, fmt_ms, fmt_ratio, install_chef, machine, measure, table  # noqa: E402

DEFAULT_PACKAGES = ("numpy", "pandas", "pydantic", "pyyaml", "sqlalchemy")
ELF_MACHINES = {3: "i386", 20: "ppc", 21: "ppc64", 22: "s390", 40: "arm", 62: "x86_64",
                183: "aarch64", 243: "riscv"}


def make_project(directory: Path, packages: Sequence[str]) -> Path:
    """A virtual uv project (no build system: nothing of its own to build) locked by uv."""
    from chef.cook.installers import find_uv

    uv = find_uv()
    if uv is None:
        raise SystemExit("uv is needed to lock the project (pip install uv)")
    directory.mkdir(parents=True)
    deps = "".join(f'    "{p}",\n' for p in packages)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "crossbench"\nversion = "0.1.0"\nrequires-python = ">={version}"\n'
        f"dependencies = [\n{deps}]\n", encoding="utf-8")
    subprocess.run([uv, "lock", "--python", sys.executable], cwd=directory, check=True,
                   capture_output=True)
    return directory


def cook_commands(recipe: Path, venv: Path, platform: str, installer: str) -> List[Command]:
    """`chef cook` natively and for `platform`, each into a fresh `venv`."""
    def fresh() -> None:
        shutil.rmtree(venv, ignore_errors=True)
        shutil.rmtree(venv.parent / (venv.name + ".chef-build"), ignore_errors=True)

    base = chef_argv() + ["cook", "--recipe-path", str(recipe), "--venv", str(venv),
                          "--installer", installer, "--quiet"]
    env = {**os.environ, "UV_COMPILE_BYTECODE": "1", "UV_LINK_MODE": "copy"}
    return [
        Command("chef cook (this machine's platform)", base, env=env, before=fresh),
        Command(f"chef cook --platform {platform}", base + ["--platform", platform], env=env,
                before=fresh),
    ]


def elf_summary(venv: Path) -> Dict[str, int]:
    """Extension modules of a venv by the machine their ELF header names."""
    counts: Counter[str] = Counter()
    for path in venv.rglob("*.so*"):
        if not path.is_file():
            continue
        header = path.read_bytes()[:20]
        if header[:4] != b"\x7fELF":
            continue
        number = int.from_bytes(header[18:20], "little")
        counts[ELF_MACHINES.get(number, f"machine {number}")] += 1
    return dict(counts)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default="linux/arm64")
    parser.add_argument("--package", action="append", dest="packages")
    parser.add_argument("--installer", default="uv", choices=("uv", "pip"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(list(argv) or None)
    packages = args.packages or list(DEFAULT_PACKAGES)
    with tempfile.TemporaryDirectory(prefix="chef-cross-bench-") as tmp:
        work = Path(tmp)
        install_chef(work)
        project = make_project(work / "project", packages)
        recipe = work / "recipe.json"
        subprocess.run(chef_argv() + ["prepare", "--project-dir", str(project),
                                      "--recipe-path", str(recipe)],
                       check=True, capture_output=True)
        venv = work / "venv"
        commands = cook_commands(recipe, venv, args.platform, args.installer)
        results = measure(commands, args.runs)
        native, cross = (results[c.name] for c in commands)
        rows = [[c.name, fmt_ms(results[c.name]),
                 results[c.name].failure or ""] for c in commands]
        lines = [
            f"Cross-cook against native cook: {machine()}; {args.installer}; packages "
            f"{', '.join(packages)}; median of {args.runs} run(s) after one warm-up round, a "
            "fresh venv each run, installer caches warm.",
            "",
            table(["command", "wall ms", "failure"], rows),
            "",
            f"cross / native: {fmt_ratio(cross, native)}",
        ]
        if cross.ok:  # the last run's venv is the cross-cook's
            summary = elf_summary(venv)
            lines += ["", "Extension modules of the cross-cooked venv, by ELF machine: "
                      + (", ".join(f"{k}: {v}" for k, v in sorted(summary.items())) or "none")]
        text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
