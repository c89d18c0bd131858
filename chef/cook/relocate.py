"""pip's cross-platform installs, moved into the venv.

pip accepts `--platform` only together with `--target DIR`: it installs with a home scheme into a
temporary directory and moves the result into DIR, modules and data alike (`DIR/bin` holds the
scripts, whose `#!` line already names the venv's python, since pip runs under it with
`--python`). The RECORD files list those scripts and data as `../../bin/x`, relative to the home
scheme's `lib/python`. Here DIR is a fresh directory next to the venv's site-packages: modules go
to site-packages, scripts to the venv's `bin`, headers and data to the venv's own places, and
every RECORD is rewritten for where its files now are, as if pip had installed into the venv.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List

from chef.errors import EnvironmentError_, InstallError

_PATHS = (
    "import json, sys, sysconfig;"
    "print(json.dumps({**sysconfig.get_paths(), 'version': '%d.%d' % sys.version_info[:2]}))"
)


def venv_paths(python: str) -> Dict[str, str]:
    """The target environment's install paths (sysconfig, with site: a venv's own prefix)."""
    try:
        done = subprocess.run([python, "-I", "-c", _PATHS], capture_output=True, text=True,
                              check=False, timeout=60)
    except OSError as exc:
        raise EnvironmentError_(f"cannot run the target interpreter: {exc}", path=python) from None
    if done.returncode != 0:
        raise EnvironmentError_("the target interpreter did not report its paths", path=python)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@contextlib.contextmanager
def staging(paths: Dict[str, str]) -> Iterator[Path]:
    """An empty directory beside site-packages (one file system: moves are renames), removed
    afterwards whatever happens."""
    parent = Path(paths["purelib"]).parent
    directory = Path(tempfile.mkdtemp(prefix=".chef-target-", dir=parent))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _destination(relative: str, paths: Dict[str, str]) -> Path:
    """Where a RECORD path of pip's home scheme (relative to `<home>/lib/python`) belongs."""
    if not relative.startswith("../../"):
        return Path(paths["purelib"]) / relative
    rest = relative[len("../../"):]
    if rest.startswith("bin/"):
        return Path(paths["scripts"]) / rest[len("bin/"):]
    if rest.startswith("include/python/"):  # headers: <home>/include/python/<dist>
        headers = Path(paths["data"]) / "include" / "site" / f"python{paths['version']}"
        return headers / rest[len("include/python/"):]
    return Path(paths["data"]) / rest


def into_venv(target: Path, paths: Dict[str, str]) -> List[Path]:
    """Move what pip installed into `target` into the venv; return the module paths moved into
    site-packages (for bytecode)."""
    purelib = Path(paths["purelib"])
    data_roots = set()
    records = sorted(target.glob("*.dist-info/RECORD"))
    for record in records:
        rows = list(csv.reader(io.StringIO(record.read_text("utf-8"))))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            if row and row[0].startswith("../../"):
                data_roots.add(row[0][len("../../"):].split("/", 1)[0])
                row = [os.path.relpath(_destination(row[0], paths), purelib), *row[1:]]
            writer.writerow(row)
        record.write_text(out.getvalue(), "utf-8")
    moved: List[Path] = []
    for entry in sorted(target.iterdir()):
        if entry.name in data_roots:
            for path in sorted(p for p in entry.rglob("*") if not p.is_dir()):
                relative = "../../" + path.relative_to(target).as_posix()
                _move(path, _destination(relative, paths))
            continue
        destination = purelib / entry.name
        if destination.is_dir() and not destination.is_symlink():
            shutil.rmtree(destination)
        elif destination.exists() or destination.is_symlink():
            destination.unlink()
        _move(entry, destination)
        moved.append(destination)
    return moved


def _move(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_file() or destination.is_symlink():
        destination.unlink()
    shutil.move(str(source), str(destination))  # a rename: the same file system


def compile_bytecode(python: str, paths: List[Path]) -> None:
    """`.pyc` files for the moved modules, by the venv's interpreter (the build machine's, of the
    target's Python version: bytecode does not depend on the machine), with their final paths.
    Like pip, a file that does not compile is left as it is."""
    sources = [str(p) for p in paths if p.is_dir() or p.suffix == ".py"]
    if not sources:
        return
    try:
        subprocess.run([python, "-I", "-m", "compileall", "-q", "-q", *sources],
                       stdout=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise InstallError(f"cannot compile bytecode: {exc}", path=python) from None
