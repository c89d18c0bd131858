"""Cooking for another platform: Docker's `--platform` spelling -> markers and wheel tags.

A cross-cook runs natively on the build machine (in Docker: a stage `FROM --platform=$BUILDPLATFORM`
of the same base image) and installs the wheels of the target platform (`$TARGETPLATFORM`) into a
venv created by the build machine's interpreter. That venv works once copied into the target image
because nothing in it is machine code of the build machine: `bin/python` is a symlink to the base
image's interpreter (the same path on every platform of one image), scripts are Python with a
`#!<venv>/bin/python` line, `.pyc` files depend on the Python version only, and every extension
module comes from a wheel of the target. So the build machine's interpreter must be CPython of the
target's version (it is: the same image), and every package needs a wheel for the target: nothing
can be built from source (an sdist would be compiled for the build machine).

Spelling: `linux/amd64`, `linux/arm64` (`linux/arm64/v8`), `linux/arm/v7`, `linux/arm/v6`,
`linux/386`, `linux/ppc64le`, `linux/s390x`, `linux/riscv64`, as `$TARGETPLATFORM` gives them; the
C library is `--libc`: `auto` (the build machine's, i.e. the same base image's), `glibc-2.36`,
`musl` (`musl-1.2`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Dict, FrozenSet, List, Literal, Mapping, Optional, Tuple

from chef.errors import TargetEnvironmentError, UsageError

# Docker's architecture (and variant) -> platform.machine() on that platform, which is also the
# architecture of its wheel tags.
_MACHINES: Dict[Tuple[str, str], str] = {
    ("amd64", ""): "x86_64",
    ("arm64", ""): "aarch64",
    ("arm", "v7"): "armv7l",
    ("arm", "v6"): "armv6l",
    ("386", ""): "i686",
    ("ppc64le", ""): "ppc64le",
    ("s390x", ""): "s390x",
    ("riscv64", ""): "riscv64",
}
_VARIANTS = {  # variants that change nothing chef sees, and what an omitted one means
    "amd64": ("v1", "v2", "v3", "v4"),
    "arm64": ("v8",),
}
_DEFAULT_VARIANT = {"arm": "v7"}  # as Docker: linux/arm is linux/arm/v7
_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm",
            "i386": "386", "i686": "386"}
_DOCKER_NAMES = {machine: (arch, variant) for (arch, variant), machine in _MACHINES.items()}
# The oldest glibc of a manylinux tag per architecture (PEP 600: x86 from manylinux1, the rest
# from manylinux2014), and the legacy names of PEP 513/571/599.
_LEGACY = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
# uv's `--python-platform` names (uv 0.8 and later): glibc versions it knows per architecture.
_UV_GLIBC = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
_UV_ARCHES = ("x86_64", "aarch64")


LibcFamily = Literal["glibc", "musl"]


@dataclass(frozen=True)
class Libc:
    family: LibcFamily
    version: Tuple[int, int]

    def __str__(self) -> str:
        return f"{self.family}-{self.version[0]}.{self.version[1]}"


@dataclass(frozen=True)
class TargetPlatform:
    """A Linux platform to cook for, with the CPython version of the build machine's
    interpreter (which must be the target's)."""

    docker: str  # "linux/arm64", as normalized from the command line
    machine: str  # platform_machine there: "aarch64"
    libc: Libc
    python: str = ""  # the interpreter's full version, "3.12.7"

    @property
    def python_tuple(self) -> Tuple[int, int]:
        major, minor = self.python.split(".")[:2]
        return int(major), int(minor)

    def describe(self) -> str:
        return f"{self.docker} ({self.machine}, {self.libc}, CPython {self.python})"

    def platform_tags(self) -> List[str]:
        """The wheel platform tags the target accepts, most specific first."""
        arch = self.machine
        out: List[str] = []
        if self.libc.family == "glibc":
            major, newest = self.libc.version
            oldest = 5 if arch in ("x86_64", "i686") else 17
            for minor in range(newest, oldest - 1, -1):
                out.append(f"manylinux_{major}_{minor}_{arch}")
                legacy = _LEGACY.get((major, minor))
                if legacy:
                    out.append(f"{legacy}_{arch}")
        else:
            major, newest = self.libc.version
            out += [f"musllinux_{major}_{minor}_{arch}" for minor in range(newest, -1, -1)]
        out.append(f"linux_{arch}")
        return out

    @functools.cached_property
    def supported(self) -> FrozenSet[object]:
        """Every packaging.tags.Tag a CPython of this version installs here."""
        from packaging.tags import compatible_tags, cpython_tags

        version = self.python_tuple
        abi = f"cp{version[0]}{version[1]}"
        platforms = self.platform_tags()
        return frozenset(
            list(cpython_tags(version, abis=[abi], platforms=platforms))
            + list(compatible_tags(version, abi, platforms))
        )

    def accepts(self, tags: str) -> bool:
        """Does a wheel with these tags (`cp312-abi3-manylinux_2_17_aarch64`, compressed sets
        allowed) install here?"""
        from packaging.tags import parse_tag

        try:
            return not parse_tag(tags).isdisjoint(self.supported)
        except ValueError:
            return False

    def marker_env(self, native: Mapping[str, str]) -> Dict[str, str]:
        """The target's marker environment: the build machine's interpreter (same version, same
        implementation) on the target's machine. The kernel (`platform_release`,
        `platform_version`) is the build machine's, as it is under emulation too."""
        return {
            **native,
            "platform_machine": self.machine,
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
        }

    def uv_name(self) -> Optional[str]:
        """uv's `--python-platform` for this target, or None when uv has none. A glibc version
        uv has no name for is rounded down to one it has (fewer wheels, never a wrong one); the
        plan uses the same version (`for_uv`)."""
        if self.machine not in _UV_ARCHES:
            return None
        if self.libc.family == "musl":
            # uv's musl targets accept musllinux_1_2 wheels (and 1_1, 1_0).
            return f"{self.machine}-unknown-linux-musl" if self.libc.version >= (1, 2) else None
        major, minor = self.libc.version
        known = [v for v in _UV_GLIBC if v <= minor] if major == 2 else []
        if not known:
            return None
        return f"{self.machine}-manylinux_2_{known[-1]}"

    def for_uv(self) -> TargetPlatform:
        """The target as uv will see it (`uv_name`): the same, or an older glibc."""
        name = self.uv_name()
        if name is None or self.libc.family != "glibc":
            return self
        minor = int(name.rsplit("_", 1)[1])
        return replace(self, libc=Libc("glibc", (2, minor)))

    def pip_args(self) -> List[str]:
        """pip's spelling: one --platform per accepted platform tag (pip does not expand a
        manylinux_2_X tag to the older ones), CPython of this version, wheels only."""
        version = self.python_tuple
        args: List[str] = []
        for tag in self.platform_tags():
            args += ["--platform", tag]
        return args + [
            "--implementation", "cp",
            "--python-version", f"{version[0]}.{version[1]}",
            "--abi", f"cp{version[0]}{version[1]}",
            "--only-binary", ":all:",
        ]


def parse_platform(text: str) -> Tuple[str, str]:
    """Docker's `os/arch[/variant]` -> (normalized spelling, platform machine)."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(
            f"--platform {text!r} is not os/arch[/variant]",
            hint="Docker's spelling, e.g. linux/arm64 or linux/amd64 ($TARGETPLATFORM)",
        )
    system, arch = parts[0], _ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else _DEFAULT_VARIANT.get(arch, "")
    if system != "linux":
        raise UsageError(f"--platform {text!r}: chef cooks Linux images only",
                         hint="use linux/<arch>, e.g. linux/arm64")
    if variant in _VARIANTS.get(arch, ()):
        variant = ""
    machine = _MACHINES.get((arch, variant))
    if machine is None:
        known = ", ".join(
            "linux/" + a + (f"/{v}" if v else "") for a, v in sorted(_MACHINES)
        )
        raise UsageError(f"--platform {text!r} is not a platform chef knows",
                         hint=f"one of {known}")
    return "linux/" + arch + (f"/{variant}" if variant else ""), machine


def docker_platform(machine: str) -> str:
    """Docker's name for a platform.machine() value (`x86_64` -> `linux/amd64`), or the machine."""
    arch, variant = _DOCKER_NAMES.get(machine, (machine, ""))
    return "linux/" + arch + (f"/{variant}" if variant else "")


def parse_libc(text: str) -> Optional[Libc]:
    """`auto` -> None (the build machine's); `glibc-2.36`, `musl`, `musl-1.2`; also the wheel
    tags' spelling, `manylinux_2_36` and `musllinux_1_2`."""
    value = text.strip().lower()
    if value == "auto":
        return None
    if value == "musl":
        return Libc("musl", (1, 2))
    spellings: Tuple[Tuple[str, LibcFamily, str], ...] = (
        ("glibc-", "glibc", "."), ("musl-", "musl", "."),
        ("manylinux_", "glibc", "_"), ("musllinux_", "musl", "_"),
    )
    for prefix, family, sep in spellings:
        if value.startswith(prefix):
            major, _, minor = value[len(prefix):].partition(sep)
            if major.isdigit() and minor.isdigit():
                version = (int(major), int(minor))
                if family == "glibc" and version >= (2, 5) or family == "musl" and version[0] == 1:
                    return Libc(family, version)
    raise UsageError(f"--libc {text!r} is not a C library chef knows",
                     hint="auto (the build machine's), glibc-X.Y (e.g. glibc-2.36 for Debian "
                     "bookworm), musl (Alpine) or musl-1.Y")


def native_libc(glibc: Optional[str], python: str) -> Optional[Libc]:
    """The build machine's C library: `glibc` is what the interpreter's
    os.confstr("CS_GNU_LIBC_VERSION") said ("glibc 2.36"), else musl is looked for the way
    packaging does (the interpreter's ELF loader); None when neither."""
    if glibc:
        _, _, version = glibc.partition(" ")
        major, _, minor = version.partition(".")
        minor = "".join(c for c in minor.split(".")[0] if c.isdigit())
        if major.isdigit() and minor:
            return Libc("glibc", (int(major), int(minor)))
    try:
        from packaging._musllinux import _get_musl_version

        found = _get_musl_version(python)
    except Exception:  # a private helper of packaging's: absent or changed, nothing is known
        return None
    return Libc("musl", (found.major, found.minor)) if found is not None else None


def target_platform(
    platform: str,
    libc: str,
    python_version: Optional[str],
    native: Mapping[str, str],
    native_glibc: Optional[str],
    python: str,
    abiflags: str = "",
) -> Tuple[TargetPlatform, bool]:
    """The target, and whether it is this machine's own platform (then the cook is native: no
    wheel-only restriction, markers as probed). `native` is the marker environment of the
    interpreter that owns (or will create) the venv."""
    docker, machine = parse_platform(platform)
    wanted_libc = parse_libc(libc)
    if native.get("implementation_name") != "cpython":
        raise TargetEnvironmentError(
            f"cooking for {docker} needs CPython on the build machine, not "
            f"{native.get('implementation_name')}", path=python,
        )
    if "t" in abiflags:
        raise TargetEnvironmentError(
            f"cooking for {docker} with a free-threaded CPython is not supported", path=python,
            hint="cook in a stage of the target platform, without --platform",
        )
    full = native["python_full_version"]
    if python_version is not None:
        wanted = python_version.strip()
        if not wanted or not all(p.isdigit() for p in wanted.split(".")) or (
            wanted.split(".") != full.split(".")[: len(wanted.split("."))]
        ):
            raise TargetEnvironmentError(
                f"--python-version {python_version} is not the build machine's Python {full}",
                path=python,
                hint="a cross-cook installs with the build machine's interpreter into a venv "
                "that the target's interpreter runs: use the same base image for both stages "
                "(FROM --platform=$BUILDPLATFORM ${PYTHON_IMAGE}), or --python with a "
                "matching interpreter",
            )
    here = native_libc(native_glibc, python) if native.get("sys_platform") == "linux" else None
    if wanted_libc is None:
        if here is None:
            raise TargetEnvironmentError(
                "cannot tell the build machine's C library, which --libc auto takes for the "
                "target's", path=python,
                hint="pass --libc glibc-X.Y (the target image's glibc) or --libc musl",
            )
        wanted_libc = here
    target = TargetPlatform(docker, machine, wanted_libc, full)
    same = (
        native.get("sys_platform") == "linux"
        and native.get("platform_machine") == machine
        and here == wanted_libc
    )
    return target, same
