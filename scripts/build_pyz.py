"""Build chef.pyz: chef and its pure-Python dependencies in one file that any python3 3.9 or
newer runs, with no pip, no venv and no package index entry for chef.

    python3 scripts/build_pyz.py                  # -> dist/chef.pyz, pinned wheels from the index
    python3 scripts/build_pyz.py --wheels DIR     # the same, offline, from a directory of wheels
    python3 scripts/build_pyz.py --download DIR   # only fetch the pinned wheels into DIR
    python3 dist/chef.pyz --help

What goes in: chef's own modules (the files chef's wheel holds: every .py and py.typed) and the
wheels pinned in scripts/pyz-requirements.txt (click, packaging, tomlkit, tomli: pure Python
only, checked here), plus a `__main__.py` that refuses interpreters older than 3.9 in one line.
Wheels come from the package index through the user's own pip (configuration included), or from
`--wheels DIR`; either way each one's sha256 must be the pinned one.

The same commit gives the same bytes: entries sorted by name, every timestamp the same
(1980-01-01, or SOURCE_DATE_EPOCH when set), every mode 0644, stored uncompressed (the output of
zlib can change with its version), no .pyc, no directory entries, nothing from the machine (no
absolute path, user or host name). Standard library only: any python3 3.9+ runs this script;
pip is needed only to download.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chef"
PINS = ROOT / "scripts" / "pyz-requirements.txt"
OUTPUT = ROOT / "dist" / "chef.pyz"

# chef's own files: what chef's wheel holds (setuptools takes the modules; pyproject's
# [tool.setuptools.package-data] adds py.typed). tests/test_pyz.py compares the two.
PACKAGE_DATA = ("py.typed",)
# Wheels whose tags say "any Python 3, any platform": nothing compiled.
PURE_TAGS = ("py3-none-any", "py2.py3-none-any")
COMPILED = (".so", ".pyd", ".dylib", ".dll")
# The oldest timestamp a zip can hold: what every entry gets unless SOURCE_DATE_EPOCH says.
ZIP_EPOCH = 315532800  # 1980-01-01 00:00:00 UTC
SHEBANG = b"#!/usr/bin/env python3\n"

# ASCII and Python-2-compatible syntax up to the version check, so that any python3 (or even
# python2) reaches it and prints one line instead of a SyntaxError or a traceback.
MAIN = '''\
# chef.pyz: chef and its pure-Python dependencies in one file (built by scripts/build_pyz.py).
# Run it with any python3 3.9 or newer: python3 chef.pyz --help
import sys

if sys.version_info < (3, 9):
    sys.stderr.write(
        "chef: error: chef needs Python 3.9 or newer; %s is Python %s "
        "(run chef.pyz with a newer python3)\\n"
        % (sys.executable or "this interpreter", sys.version.split()[0])
    )
    sys.exit(6)  # EXIT_ENVIRONMENT, as for any other unusable interpreter

import os

# The TOML readers bundled here (tomli, pure Python), never a toml_rs from the interpreter's
# site-packages: chef.pyz reads the same way on every base image. CHEF_TOML_READER=toml_rs
# still forces it.
if os.environ.get("CHEF_TOML_READER") != "toml_rs":
    sys.modules["toml_rs"] = None

from chef.cli import run

run()
'''


class BuildError(Exception):
    """One line for the user: what is wrong and what to do."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: Tuple[str, ...]  # sha256 hex digests

    @property
    def key(self) -> str:
        return canonical(self.name)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- the pins ------------------------------------------------------------------------------------

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")


def read_pins(path: Path) -> List[Pin]:
    """`name==version --hash=sha256:HEX ...` lines (backslash continuations, # comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BuildError(f"cannot read the pins {path}: {exc.strerror or exc}") from None
    pins: List[Pin] = []
    for number, line in enumerate(re.sub(r"\\\n", " ", text).splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", line)  # a comment, as pip reads it
        words = line.split()
        if not words:
            continue
        match = _PIN.match(words[0])
        hashes = tuple(w[len("--hash=sha256:"):].lower() for w in words[1:]
                       if w.startswith("--hash=sha256:"))
        if not match or len(hashes) != len(words) - 1 or not hashes:
            raise BuildError(f"{path.name}: line {number}: expected `name==version "
                             f"--hash=sha256:HEX`, got {line.strip()!r}")
        pins.append(Pin(match.group(1), match.group(2), hashes))
    if not pins:
        raise BuildError(f"{path.name}: no pinned wheel")
    if len({p.key for p in pins}) != len(pins):
        raise BuildError(f"{path.name}: a distribution is pinned twice")
    return pins


# --- the wheels ----------------------------------------------------------------------------------

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_wheel(pin: Pin, directory: Path) -> Path:
    """The wheel of `pin` in `directory`: right name and version, and a pinned hash."""
    wrong: List[str] = []
    for path in sorted(directory.glob("*.whl")):
        parts = path.name[:-len(".whl")].split("-")
        if len(parts) < 5 or canonical(parts[0]) != pin.key or parts[1] != pin.version:
            continue
        if sha256(path) in pin.hashes:
            return path
        wrong.append(path.name)
    if wrong:
        raise BuildError(f"{directory}/{wrong[0]}: sha256 is not the one pinned in "
                         f"{PINS.name} (a different file under the same name)")
    raise BuildError(f"{pin.name}=={pin.version} is not in {directory} (fetch the pinned "
                     f"wheels with: python3 scripts/build_pyz.py --download {directory})")


def download(pins_file: Path, pins: Sequence[Pin], dest: Path) -> Dict[str, Path]:
    """Fetch the pinned wheels with the user's pip (its index and configuration), hash-checked."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        import pip  # noqa: F401
    except ImportError:
        raise BuildError("pip is needed to download the pinned wheels: install it, or pass "
                         "--wheels DIR with the wheels of " + pins_file.name) from None
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--require-hashes", "--only-binary=:all:",
            # pure wheels only: what runs on every Python 3.9+ and every platform
            "--platform", "any", "--implementation", "py", "--abi", "none",
            "--python-version", "3.9", "--dest", str(dest), "-r", str(pins_file)]
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout)
        raise BuildError(f"pip could not download the pinned wheels (exit {done.returncode}; "
                         "its output is above)")
    return {pin.key: find_wheel(pin, dest) for pin in pins}


def wheel_files(path: Path) -> List[Tuple[str, bytes]]:
    """The files a pure wheel installs (its .dist-info included, for the licenses and
    importlib.metadata); refuses anything compiled or installed outside site-packages."""
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        metadata = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/WHEEL", n)]
        if len(metadata) != 1:
            raise BuildError(f"{path.name}: not a wheel (no single .dist-info/WHEEL)")
        fields = wheel.read(metadata[0]).decode("utf-8").splitlines()
        tags = [f.split(":", 1)[1].strip() for f in fields if f.startswith("Tag:")]
        purelib = any(f.replace(" ", "").lower() == "root-is-purelib:true" for f in fields)
        if not purelib or not tags or any(t not in PURE_TAGS for t in tags):
            raise BuildError(f"{path.name}: not a pure-Python wheel (tags {', '.join(tags)}): "
                             "chef.pyz bundles nothing compiled")
        files: List[Tuple[str, bytes]] = []
        for name in names:
            if name.endswith("/") or "/__pycache__/" in f"/{name}" or name.endswith(".pyc"):
                continue
            if name.endswith(COMPILED):
                raise BuildError(f"{path.name}: holds compiled code ({name})")
            if re.match(r"[^/]+\.data/", name):
                raise BuildError(f"{path.name}: installs files outside site-packages ({name})")
            files.append((name, wheel.read(name)))
    return files


def chef_files(package: Path = PACKAGE) -> List[Tuple[str, bytes]]:
    files = []
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package.parent).as_posix()
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py" or path.name in PACKAGE_DATA:
            files.append((rel, path.read_bytes()))
    if not any(name == "chef/cli.py" for name, _ in files):
        raise BuildError(f"no chef package in {package}")
    return files


# --- the archive ---------------------------------------------------------------------------------

def timestamp() -> Tuple[int, int, int, int, int, int]:
    """SOURCE_DATE_EPOCH when set (clamped to what a zip can hold), else 1980-01-01."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        epoch = ZIP_EPOCH
    elif raw.isdigit():
        epoch = min(max(int(raw), ZIP_EPOCH), 4354819199)  # 2107-12-31 23:59:59
    else:
        raise BuildError(f"SOURCE_DATE_EPOCH must be a number of seconds, not {raw!r}")
    t = time.gmtime(epoch)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def write_pyz(entries: Dict[str, bytes], output: Path) -> None:
    date_time = timestamp()
    if output.is_dir():
        raise BuildError(f"--output {output}: is a directory (name the file, e.g. chef.pyz)")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".chef-pyz-", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(SHEBANG)
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for name in sorted(entries):
                    info = zipfile.ZipInfo(name, date_time)
                    info.create_system = 3  # Unix, whatever the building machine
                    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
                    info.compress_type = zipfile.ZIP_STORED
                    archive.writestr(info, entries[name])
        os.chmod(tmp, 0o755)  # the shebang makes it executable: ./chef.pyz --help
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


def build(output: Path, wheels: Optional[Path], pins_file: Path = PINS,
          package: Path = PACKAGE) -> str:
    """Build the pyz; returns a one-line summary."""
    pins = read_pins(pins_file)
    with tempfile.TemporaryDirectory(prefix="chef-pyz-wheels-") as tmp:
        if wheels is None:
            found = download(pins_file, pins, Path(tmp))
        else:
            if not wheels.is_dir():
                raise BuildError(f"--wheels {wheels}: not a directory")
            found = {pin.key: find_wheel(pin, wheels) for pin in pins}
        entries: Dict[str, bytes] = {"__main__.py": MAIN.encode("ascii")}
        for source, files in [("chef", chef_files(package))] + [
                (found[pin.key].name, wheel_files(found[pin.key])) for pin in pins]:
            for name, data in files:
                if name in entries:
                    raise BuildError(f"{source}: {name} is already in the pyz")
                entries[name] = data
    write_pyz(entries, output)
    version = re.search(r'__version__ = "([^"]+)"', entries["chef/__init__.py"].decode())
    bundled = ", ".join(f"{p.name} {p.version}" for p in pins)
    size = output.stat().st_size
    return (f"wrote {output} ({size // 1024} KiB, sha256 {sha256(output)[:16]}): chef "
            f"{version.group(1) if version else '?'} with {bundled}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build_pyz.py", description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT,
                        help="where to write the pyz (default: dist/chef.pyz)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wheels", type=Path, default=None, metavar="DIR",
                        help="take the pinned wheels from DIR, offline (default: download them "
                             "with pip from the configured index)")
    source.add_argument("--download", type=Path, default=None, metavar="DIR",
                        help="only download the pinned wheels into DIR (for --wheels later)")
    parser.add_argument("--pins", type=Path, default=PINS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.download is not None:
            pins = read_pins(args.pins)
            found = download(args.pins, pins, args.download)
            print(f"downloaded {len(found)} pinned wheels into {args.download}: "
                  + ", ".join(sorted(p.name for p in found.values())))
            return 0
        print(build(args.output, args.wheels, args.pins))
    except BuildError as exc:
        sys.stderr.write(f"build_pyz: error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
