"""Dockerfile.example for linux/arm64 on this amd64 machine: cross-cooked (chef's stages on the
build platform, `chef cook --platform $TARGETPLATFORM`) against cooked under QEMU emulation
(`CHEF_COOK_PLATFORM=linux/arm64`, the target's platform, with the arm64 base as
BUILD_PYTHON_IMAGE too: the old way), both from one Dockerfile.

The uv example: flask brings markupsafe, whose wheels carry a compiled extension (`_speedups`), so
the arm64 image must hold an aarch64 `.so`. One engine without the containerd image store cannot
keep two platforms under one tag, so the builder's base (BUILD_PYTHON_IMAGE) is the amd64 base
image and the runtime's (PYTHON_IMAGE) the arm64 one, both Debian bookworm (Python 3.11).

Needs arm64 emulation (binfmt_misc's qemu-aarch64 handler with the F flag, so that it works inside
containers) and a local arm64 base image: `.ci/qemu-setup.sh` provisions both (CI runs it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import dockerlib
import pytest
from dockerlib import Build, Docker, Project

pytestmark = pytest.mark.docker

ARM64 = "linux/arm64"
BINFMT = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
DEFAULT_ARM64_BASE = "chef-test-base:bookworm-arm64"
COOK = "chef cook"
VERSION_CHECK = "pyvenv.cfg"  # the runtime stage's Python version check

# Run in the arm64 image: the machine, every top-level module of every installed distribution
# imported, and the ELF machine (e_machine, bytes 18-19 of the header) of every extension module
# in the venv.
PROBE = r"""
import importlib, importlib.metadata as m, json, pathlib, platform
mods = sorted(n for n in m.packages_distributions() if n.isidentifier() and n != "__pycache__")
failed = {}
for name in mods:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
elf = {}
for path in sorted(pathlib.Path("/app/.venv").rglob("*.so")):
    head = path.read_bytes()[:20]
    if head[:4] == b"\x7fELF":
        elf[str(path)] = int.from_bytes(head[18:20], "little")
print(json.dumps({"machine": platform.machine(), "modules": mods, "failed": failed, "elf": elf}))
"""


def emulation_missing() -> str:
    """Why arm64 programs cannot run in containers here, or ""."""
    if not BINFMT.is_file():
        return f"no arm64 emulation: {BINFMT} is not registered (run .ci/qemu-setup.sh as root)"
    text = BINFMT.read_text()
    if not text.startswith("enabled"):
        return f"no arm64 emulation: {BINFMT} is disabled (run .ci/qemu-setup.sh as root)"
    flags = [line.split(":", 1)[1].strip() for line in text.splitlines()
             if line.startswith("flags:")]
    if not flags or "F" not in flags[0]:
        return (f"no arm64 emulation in containers: {BINFMT} lacks the F flag "
                "(run .ci/qemu-setup.sh as root)")
    return ""


@pytest.fixture(scope="module")
def bases(docker: Docker, tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, str]:
    """(BUILD_PYTHON_IMAGE, PYTHON_IMAGE): the amd64 and the arm64 base, each with this
    session's nonce (so the first builds are cold) and nothing of chef."""
    why = emulation_missing()
    if why:
        pytest.skip(f"multi-arch docker test: {why}")
    arm64 = os.environ.get("CHEF_TEST_ARM64_IMAGE", DEFAULT_ARM64_BASE)
    if not docker.has_image(arm64):
        pytest.skip(f"multi-arch docker test: no arm64 base image {arm64} "
                    "(run .ci/qemu-setup.sh as root, or set CHEF_TEST_ARM64_IMAGE)")
    amd64 = os.environ.get("CHEF_TEST_BASE_IMAGE", dockerlib.DEFAULT_BASE)
    work = tmp_path_factory.mktemp("multiarch-bases")
    return (dockerlib.pyz_base_image(docker, amd64, work),
            dockerlib.pyz_base_image(docker, arm64, work, platform=ARM64))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project.copy(dockerlib.EXAMPLES_BY_NAME["uv-app"], tmp_path_factory.mktemp("multiarch"))


@pytest.fixture(scope="module")
def images(docker: Docker, bases: Tuple[str, str], project: Project) -> Iterator[Dict[str, Build]]:
    """{"cross": build, "emulated": build} of the uv example for linux/arm64."""
    yield {variant: docker.build(project.root, docker.tag(f"multiarch-{variant}"),
                                 build_args=build_args(bases, variant), platform=ARM64)
           for variant in ("cross", "emulated")}


def build_args(bases: Tuple[str, str], variant: str) -> Dict[str, str]:
    build_base, target_base = bases
    if variant == "emulated":  # chef's stages on the target's platform, from the target's image
        return {"PYTHON_IMAGE": target_base, "BUILD_PYTHON_IMAGE": target_base,
                "CHEF_COOK_PLATFORM": ARM64}
    return {"PYTHON_IMAGE": target_base, "BUILD_PYTHON_IMAGE": build_base}


def probe(docker: Docker, tag: str) -> Dict[str, object]:
    return json.loads(docker.python(tag, PROBE))  # type: ignore[no-any-return]


def builder_machine(docker: Docker, project: Project, build: Build, args: Dict[str, str]) -> str:
    """The machine whose programs the build's `chef cook` stage holds (`uname -m` there): the
    builder stage, built again (every step cached) as an image of its own. (Not the image's
    Architecture label: the engine labels every stage of a `--platform` build with the target.)"""
    tag = build.tag.replace("chef-test-", "chef-test-builder-", 1)
    again = docker.build(project.root, tag, build_args=args, platform=ARM64, target="builder")
    assert again.all_cached(COOK), "the builder stage was built anew"
    return docker.run(tag, "uname", "-m").strip()


def test_cross_cooked_image_runs_on_arm64(docker: Docker, images: Dict[str, Build],
                                          bases: Tuple[str, str], project: Project) -> None:
    build = images["cross"]
    # chef cooked natively, in an amd64 builder, and the runtime image is arm64 ...
    assert builder_machine(docker, project, build, build_args(bases, "cross")) == "x86_64"
    arch = docker("image", "inspect", "--format", "{{.Architecture}}", build.tag).stdout.strip()
    assert arch == "arm64"
    # ... that runs (under QEMU here), with every module importable and aarch64 extensions.
    found = probe(docker, build.tag)
    assert found["machine"] == "aarch64", found
    assert found["failed"] == {}, f"modules that do not import: {found['failed']}"
    modules: List[str] = found["modules"]  # type: ignore[assignment]
    assert {"flask", "markupsafe", "requests", "rich", "app"} <= set(modules), found
    elf: Dict[str, int] = found["elf"]  # type: ignore[assignment]
    assert any("/markupsafe/" in path for path in elf), f"no markupsafe extension: {elf}"
    assert set(elf.values()) == {183}, f"extension modules not all aarch64 (183): {elf}"
    assert project.greeting() in docker.run(build.tag, "python", "-m", "app")


def test_cross_and_emulated_cooks_install_the_same_distributions(
        docker: Docker, images: Dict[str, Build], bases: Tuple[str, str],
        project: Project) -> None:
    cross = docker.installed(images["cross"].tag)
    emulated = docker.installed(images["emulated"].tag)
    assert cross == emulated, (
        f"only cross-cooked: {sorted(set(cross.items()) - set(emulated.items()))}\n"
        f"only emulated:     {sorted(set(emulated.items()) - set(cross.items()))}")
    # ... and it is the lock's set for the arm64 interpreter (plus the project itself).
    expected = project.export(docker.marker_env(images["cross"].tag))
    assert {k: v for k, v in cross.items() if k not in project.example.local} == expected
    assert probe(docker, images["emulated"].tag)["machine"] == "aarch64"
    # The emulated build cooked in a builder of the target's platform.
    assert builder_machine(docker, project, images["emulated"],
                           build_args(bases, "emulated")) == "aarch64"


def test_runtime_stage_refuses_a_venv_of_another_python(
        docker: Docker, bases: Tuple[str, str], project: Project,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """PYTHON_IMAGE whose python3 is another version than BUILD_PYTHON_IMAGE's: the build fails
    in the runtime stage's check, with its one message (built natively: the check is the same).
    The other version is a stand-in: a script that answers the check as a Python 3.10 would."""
    build_base, _ = bases
    context = tmp_path_factory.mktemp("other-python")
    (context / "Dockerfile").write_text(
        "ARG BASE\nFROM ${BASE}\n"
        "RUN printf '#!/bin/sh\\necho Python 3.10\\n' >/tmp/python3 && chmod 755 /tmp/python3"
        " && mv -f /tmp/python3 \"$(readlink -f /usr/bin/python3)\"\n")
    other = docker.tag("multiarch-other-python")
    docker.build(context, other, dockerfile=context / "Dockerfile", build_args={"BASE": build_base})
    build = docker.build(project.root, docker.tag("multiarch-mismatch"), check=False,
                         build_args={"PYTHON_IMAGE": other, "BUILD_PYTHON_IMAGE": build_base})
    assert not build.ok, build.log[-3000:]
    assert build.step(VERSION_CHECK).error, build.log[-3000:]
    message = build.step(VERSION_CHECK).output
    assert message == ["chef: the venv was made by Python 3.11 (BUILD_PYTHON_IMAGE) but its python "
                       "in PYTHON_IMAGE is Python 3.10: both images must have the same Python"], \
        build.log[-3000:]
