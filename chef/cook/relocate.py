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
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

from chef.cook import process
from chef.errors import InstallError, TargetEnvironmentError

_PATHS = (
    "import json, sys, sysconfig;"
    "print(json.dumps({**sysconfig.get_paths(), 'version': '%d.%d' % sys.version_info[:2]}))"
)


def venv_paths(python: str, runner: Optional[process.Runner] = None) -> Dict[str, str]:
    """The target environment's install paths (sysconfig, with site: a venv's own prefix)."""
    done = process.run(process.Call(
        (python, "-I", "-c", _PATHS), "asking the target interpreter for its install paths",
        program="target interpreter", output="capture", timeout=60, error=TargetEnvironmentError,
        path=python, fix="pass --python PATH or --venv PATH",
    ), runner)
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
    """Move what pip installed into `target` into the venv, as pip itself would have installed it
    there; return the module paths moved into site-packages (for bytecode).

    - Directories are merged, never replaced: two distributions sharing a namespace package
      (`company/a`, `company/b`) or a data directory keep each other's files.
    - A distribution already in the venv (an upgrade, a reinstall) is uninstalled first, as pip
      does: the files its RECORD lists and its dist-info go.
    - Every RECORD row must name a file this install put in `target` (a path without `..`, or one
      of pip's `../../<data>` paths whose top directory is not a package's): a row pointing
      anywhere else is refused before anything is moved."""
    purelib = Path(paths["purelib"])
    records = sorted(target.glob("*.dist-info/RECORD"))
    parsed = {record: _read_record(record) for record in records}
    modules = {row.split("/", 1)[0] for rows in parsed.values() for row in _paths(rows)
               if not row.startswith("../../")}
    data_roots = set()
    for record, rows in parsed.items():
        for row in _paths(rows):
            _check_row(row, record, target, modules)
            if row.startswith("../../"):
                data_roots.add(row[len("../../"):].split("/", 1)[0])
    for record in records:
        _uninstall_previous(record.parent.name, paths)
    for record, rows in parsed.items():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for fields in rows:
            if fields and fields[0].startswith("../../"):
                fields = [os.path.relpath(_destination(fields[0], paths), purelib), *fields[1:]]
            writer.writerow(fields)
        record.write_text(out.getvalue(), "utf-8")
    moved: List[Path] = []
    for entry in sorted(target.iterdir()):
        if entry.name in data_roots:
            for path in sorted(p for p in entry.rglob("*") if not p.is_dir()):
                relative = "../../" + path.relative_to(target).as_posix()
                _move(path, _destination(relative, paths))
            continue
        destination = purelib / entry.name
        _merge(entry, destination)
        moved.append(destination)
    return moved


def _read_record(record: Path) -> List[List[str]]:
    try:
        return list(csv.reader(io.StringIO(record.read_text("utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstallError(f"cannot read the RECORD pip wrote: {exc}", path=str(record)) from None


def _paths(rows: List[List[str]]) -> List[str]:
    return [row[0] for row in rows if row and row[0]]


def _check_row(row: str, record: Path, target: Path, modules: Set[str]) -> None:
    """A RECORD row of this install: a clean relative path to a file in `target`."""
    rest = row[len("../../"):] if row.startswith("../../") else row
    parts = rest.split("/")
    bad = (
        "\\" in row or rest.startswith("/") or any(p in ("", ".", "..") for p in parts)
        or (row.startswith("../../") and parts[0] in modules)
        or not (target / rest).is_file() or (target / rest).is_symlink()
    )
    if bad:
        raise InstallError(
            f"{record.parent.name}'s RECORD lists {row!r}, which is not one of the files pip "
            "installed for it: chef does not move it into the venv",
            hint="the wheel is malformed or hostile; build or take it from a source you trust, "
            "or cook on the target platform (without --platform)",
        )


def _uninstall_previous(dist_info: str, paths: Dict[str, str]) -> None:
    """Remove every installed version of the distribution `dist_info` names, as pip does before
    it installs over it: the files its RECORD lists (inside the venv, with their bytecode), the
    directories that leaves empty, and its dist-info."""
    from packaging.utils import canonicalize_name

    name = canonicalize_name(dist_info[: -len(".dist-info")].split("-")[0])
    root = Path(paths["data"]).resolve()
    libs = sorted({Path(paths["purelib"]), Path(paths["platlib"])})
    keep = {root, root / "include", Path(paths["scripts"]).resolve()}
    for lib in libs:  # site-packages and its parents (lib/pythonX.Y, lib)
        keep.update(p for p in [lib.resolve(), *lib.resolve().parents] if root in p.parents)
    for lib in libs:
        if not lib.is_dir():
            continue
        for old in sorted(lib.glob("*.dist-info")):
            if canonicalize_name(old.name[: -len(".dist-info")].split("-")[0]) != name:
                continue
            record = old / "RECORD"
            rows = _paths(_read_record(record)) if record.is_file() else []
            parents: Set[Path] = set()
            for row in rows:
                path = Path(os.path.normpath(lib / row))
                if root not in path.parents or old in path.parents:
                    continue  # outside the venv (pip refuses to touch it too); dist-info below
                victims = [path]
                if path.suffix == ".py":
                    victims += list((path.parent / "__pycache__").glob(path.stem + ".*.pyc"))
                    victims.append(path.with_suffix(".pyc"))
                for victim in victims:
                    if victim.is_file() or victim.is_symlink():
                        victim.unlink()
                        parents.add(victim.parent)
            shutil.rmtree(old, ignore_errors=True)
            for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
                _prune(parent, keep)


def _prune(directory: Path, keep: Set[Path]) -> None:
    """Remove `directory` and its parents while they are empty (never a venv's own directory)."""
    while directory.resolve() not in keep and directory.is_dir() and not directory.is_symlink():
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _merge(source: Path, destination: Path) -> None:
    """Move `source` to `destination`, merging into a directory already there (a namespace
    package another distribution has files in); a file replaces a file."""
    if source.is_dir() and not source.is_symlink() and destination.is_dir() \
            and not destination.is_symlink():
        for child in sorted(source.iterdir()):
            _merge(child, destination / child.name)
        source.rmdir()
        return
    if destination.is_dir() and not destination.is_symlink():
        shutil.rmtree(destination)  # a directory where this install has a file (pip does too)
    _move(source, destination)


def _move(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_file() or destination.is_symlink():
        destination.unlink()
    shutil.move(str(source), str(destination))  # a rename: the same file system


def compile_bytecode(
    python: str, paths: List[Path], runner: Optional[process.Runner] = None
) -> None:
    """`.pyc` files for the moved modules, by the venv's interpreter (the build machine's, of the
    target's Python version: bytecode does not depend on the machine), with their final paths.
    Like pip, a file that does not compile is left as it is (its exit code is not checked)."""
    sources = [str(p) for p in paths if p.is_dir() or p.suffix == ".py"]
    if not sources:
        return
    process.run(process.Call(
        (python, "-I", "-m", "compileall", "-q", "-q", *sources), "compiling bytecode",
        program="venv's interpreter", output="quiet", check=False,
    ), runner)
