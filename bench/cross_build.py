"""Cooking for another platform against cooking natively, on this machine; with --docker, a
linux/arm64 image built on amd64 with the cook under QEMU emulation against the cross-cook.

    .venv/bin/python bench/cross_build.py [--runs 3] [--platform linux/arm64]
        [--package numpy --package ...] [--installer uv|pip] [--out FILE]
    .venv/bin/python bench/cross_build.py --docker [--runs 1] [--package ...] [--out FILE]
        [--build-image chef-test-base:bookworm] [--target-image chef-test-base:bookworm-arm64]

Locks a uv project of real packages from the package registry (network; default: a small
data-science set with compiled wheels), prepares its recipe, then times, into a fresh venv each
run (created by cook, inside the timing: a Docker build does the same) with warm installer
caches after one uncounted round: `chef cook` for this machine's platform, and `chef cook
--platform PLATFORM` (the cross-cook: the target's wheels, at this machine's native speed). It
also reports what the cross-cooked venv holds: its extension modules and their ELF machine.
Prints Markdown tables; asserts nothing.

The Docker half (--docker): `docker build --platform linux/arm64` of Dockerfile.example on this
(amd64) machine, two ways from the same Dockerfile: `CHEF_COOK_PLATFORM=linux/arm64` (chef's stages
on the target's platform: chef, uv and the cook run under QEMU user emulation, the way before
cross-cooking) and the default (chef's stages on $BUILDPLATFORM, natively, `chef cook --platform
$TARGETPLATFORM`). For the uv example (examples/uv-app) and the project above (numpy, pandas,
...). Every timed build is `--no-cache` (all steps run, so the dependency step is cold) after one
uncounted build of each variant (the installers' download caches, BuildKit cache mounts, are
warm: installing is timed, not downloading). Reports BuildKit's duration of the `chef cook` step
(`#N DONE 12.3s` in `--progress plain`) and the whole `docker build` wall time, median of --runs.
Needs Docker with BuildKit, arm64 emulation (binfmt_misc with qemu-aarch64, F flag) and both base
images; on one engine without the containerd image store the builder's base (--build-image,
amd64) and the runtime's (--target-image, arm64) are two local tags of the same Debian release
(`.ci/docker-setup.sh`, `.ci/qemu-setup.sh`).
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
from typing import Dict, List, Mapping, Sequence, Tuple

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


# name, Dockerfile.example's build args
DOCKER_VARIANTS: Tuple[Tuple[str, Mapping[str, str]], ...] = (
    # chef's stages under QEMU, the old way: CHEF_COOK_PLATFORM (the target's platform) and
    # BUILD_PYTHON_IMAGE (the target's base) are set in docker_bench
    ("emulated", {}),
    ("cross", {}),  # the default: chef's stages native, `chef cook --platform`
)


def docker_bench(args: argparse.Namespace, packages: Sequence[str]) -> str:
    """The Docker half: Markdown tables of the cook step and the whole build, both variants."""
    import statistics
    import time

    sys.path.insert(0, str(ROOT / "tests" / "docker"))
    import dockerlib  # the tests' Docker helpers: build log parsing, chef.pyz in the context

    docker, why = dockerlib.Docker.find()
    if docker is None:
        raise SystemExit(f"cross_build --docker: {why}")
    for image in (args.build_image, args.target_image):
        if not docker.has_image(image):
            raise SystemExit(f"cross_build --docker: no image {image} (.ci/docker-setup.sh, "
                             ".ci/qemu-setup.sh)")
    started = time.monotonic()
    rows: List[List[str]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="chef-cross-docker-") as tmp:
            work = Path(tmp)
            build_base = dockerlib.pyz_base_image(docker, args.build_image, work, fresh=False)
            target_base = dockerlib.pyz_base_image(docker, args.target_image, work, fresh=False,
                                                   platform=args.platform)
            projects: List[Tuple[str, Path]] = [
                ("uv example (examples/uv-app)",
                 dockerlib.Project.copy(dockerlib.EXAMPLES_BY_NAME["uv-app"], work).root),
                (", ".join(packages), make_project(work / "project", packages)),
            ]
            for label, root in projects:
                # The virtual project has no `app` module; its image is never run.
                found: Dict[str, List[Tuple[float, float]]] = {}
                for name, extra in DOCKER_VARIANTS:
                    build_args = {"PYTHON_IMAGE": target_base, "BUILD_PYTHON_IMAGE": build_base,
                                  **extra}
                    if name == "emulated":
                        build_args.update(CHEF_COOK_PLATFORM=args.platform,
                                          BUILD_PYTHON_IMAGE=target_base)
                    tag = docker.tag(f"cross-bench-{name}")
                    docker.build(root, tag, build_args=build_args, platform=args.platform)
                    found[name] = []
                    for _ in range(args.runs):
                        build = docker.build(root, tag, build_args=build_args,
                                             platform=args.platform, no_cache=True)
                        # Every dependency layer's chef cook (Dockerfile.example has two).
                        times = [s.seconds for s in build.matching("chef cook")]
                        cook = None if None in times else sum(t or 0.0 for t in times)
                        found[name].append((cook if cook is not None else float("nan"),
                                            build.seconds))
                        print(f"# {label}, {name}: cook {cook} s, build {build.seconds:.1f} s",
                              file=sys.stderr)
                (cook_e, build_e), (cook_c, build_c) = (
                    (statistics.median(c for c, _ in found[n]),
                     statistics.median(b for _, b in found[n])) for n, _ in DOCKER_VARIANTS)
                rows.append([label, f"{cook_e:.1f}", f"{cook_c:.1f}", f"{cook_e / cook_c:.1f}×",
                             f"{build_e:.1f}", f"{build_c:.1f}", f"{build_e / build_c:.1f}×"])
    finally:
        docker.remove_images()
    return "\n".join([
        f"Docker, `docker build --platform {args.platform}` of Dockerfile.example: {machine()}; "
        f"Docker {docker('version', '--format', '{{.Server.Version}}').stdout.strip()} "
        f"(BuildKit), QEMU user emulation; build image {args.build_image}, target image "
        f"{args.target_image}; median of {args.runs} `--no-cache` build(s) per variant after one "
        "uncounted build, installer download caches warm; seconds "
        f"(bench run {time.monotonic() - started:.0f} s).",
        "",
        table(["project", "cook step, emulated", "cook step, cross", "emulated / cross",
               "whole build, emulated", "whole build, cross", "emulated / cross"], rows),
        "",
        "Emulated: `CHEF_COOK_PLATFORM=linux/arm64`, chef's stages on the target's platform (under "
        "QEMU), `chef cook` without --platform; cross: the default, chef's stages on "
        f"$BUILDPLATFORM, `chef cook --platform {args.platform}`.",
    ]) + "\n"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--platform", default="linux/arm64")
    parser.add_argument("--package", action="append", dest="packages")
    parser.add_argument("--installer", default="uv", choices=("uv", "pip"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--docker", action="store_true",
                        help="the Docker half: emulated cook against cross-cook, image builds")
    parser.add_argument("--build-image", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                                "chef-test-base:bookworm"),
                        help="--docker: the build machine's base (BUILD_PYTHON_IMAGE)")
    parser.add_argument("--target-image", default=os.environ.get("CHEF_TEST_ARM64_IMAGE",
                                                                 "chef-test-base:bookworm-arm64"),
                        help="--docker: the target platform's base (PYTHON_IMAGE)")
    args = parser.parse_args(list(argv) or None)
    packages = args.packages or list(DEFAULT_PACKAGES)
    if args.docker:
        text = docker_bench(args, packages)
        print(text, end="")
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return 0
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
