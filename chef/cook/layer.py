"""`--layer-dir`: export exactly the files a step added to (or changed in) an existing venv, and
the step itself on an existing venv (uv's compile switched off, the new modules compiled here).

A runtime image that copies the whole venv after the project is installed ships the whole venv
again on every source edit. Instead each step that adds files to the venv (a layer recipe's
cook, install-project) exports what it wrote into a directory of its own, at their absolute
paths (DIR/app/.venv/lib/python3.12/site-packages/...), and the runtime stage stacks the exports
with `COPY --from=<stage> DIR/ /`: a later layer holds only its own files, and an earlier one
keeps its bytes (its diff ID).

What changed is decided from two snapshots of the venv taken before and after the step:
(size, mtime_ns, inode, mode) per path, from one `lstat` each (no file is read or hashed). An
installer replaces a file by writing a new one (a new inode) or rewrites it in place (a new
mtime), so both are seen. A step that deleted a path cannot be exported (a COPY adds files, it
cannot remove one): that is refused.

Exported files are hard links to the venv's (the same file system: nothing is copied; a copy
when linking is refused), symbolic links are recreated, and modes are kept: directories only
as the parents of what is exported (with their modes), or when they are new and empty.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from chef.errors import TargetEnvironmentError, UsageError

# (size, mtime_ns, inode, mode) of one path, from lstat.
Entry = Tuple[int, int, int, int]
# POSIX path relative to the snapshot's root -> Entry.
Snapshot = Dict[str, Entry]


def snapshot(root: Path) -> Snapshot:
    """Every path under `root` (symbolic links not followed); {} when `root` does not exist."""
    out: Snapshot = {}
    _walk(str(root), "", out)
    return out


def rescan(root: Path, base: Snapshot, directories: Iterable[str]) -> Snapshot:
    """`base`, a snapshot of `root`, with these directories (absolute) taken again, and all
    below them: what `snapshot(root)` gives when nothing outside them changed since `base`, for
    `changes` (the entries of the directories above them, whose mtimes moved, are not
    compared). A few lstat calls instead of one per path of the venv."""
    top = os.path.abspath(root)
    relatives = sorted({os.path.relpath(d, top).replace(os.sep, "/") for d in directories})
    out = dict(base)
    prefixes = tuple(r + "/" for r in relatives)
    for key in [k for k in out if k in relatives or k.startswith(prefixes)]:
        del out[key]
    for relative in relatives:
        try:
            info = os.lstat(os.path.join(top, relative))
        except FileNotFoundError:
            continue
        out[relative] = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
        if stat.S_ISDIR(info.st_mode):
            _walk(os.path.join(top, relative), relative + "/", out)
    return out


def _walk(top: str, top_prefix: str, out: Snapshot) -> None:
    """Every path below the directory `top` into `out`, named `top_prefix` + its path below
    `top`."""
    stack: List[Tuple[str, str]] = [(top, top_prefix)]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        except NotADirectoryError:
            continue
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            relative = prefix + entry.name
            out[relative] = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
            if stat.S_ISDIR(info.st_mode):
                stack.append((entry.path, relative + "/"))


@dataclass(frozen=True)
class Changes:
    """What a step did to a tree, from its snapshots before and after (`changes`)."""

    written: Tuple[str, ...]  # files and symlinks created or changed (sorted)
    new_dirs: Tuple[str, ...]  # directories created (sorted)
    deleted: Tuple[str, ...]  # paths that existed before and are gone (or changed kind)
    changed: Tuple[str, ...]  # of `written`: paths that existed before (rewritten)


def changes(before: Snapshot, after: Snapshot) -> Changes:
    """Pure: the difference of two snapshots of one tree. A directory's own entry is not a
    change (its mtime moves whenever a child is added); a path that changed kind (a file that
    became a directory) is deleted and created."""
    written: List[str] = []
    changed: List[str] = []
    new_dirs: List[str] = []
    deleted: List[str] = []
    for path, entry in after.items():
        old = before.get(path)
        is_dir = stat.S_ISDIR(entry[3])
        if old is not None and stat.S_ISDIR(old[3]) != is_dir:
            deleted.append(path)
            old = None
        if is_dir:
            if old is None:
                new_dirs.append(path)
            continue
        if old is None:
            written.append(path)
        elif old != entry:
            written.append(path)
            changed.append(path)
    deleted += [path for path in before if path not in after]
    return Changes(tuple(sorted(written)), tuple(sorted(new_dirs)), tuple(sorted(deleted)),
                   tuple(sorted(changed)))


def check_layer_dir(layer_dir: Path, venv: Optional[Path] = None) -> None:
    """Before anything is installed: DIR must not exist, or be an empty directory, and not be
    inside the venv (the export would be part of what the next layer sees)."""
    if venv is not None:
        inside = Path(os.path.abspath(layer_dir))
        if Path(os.path.abspath(venv)) in (inside, *inside.parents):
            raise UsageError(f"--layer-dir {layer_dir} is inside the venv {venv}",
                             hint="give a directory outside it, e.g. /chef/out/NAME")
    if not os.path.lexists(layer_dir):
        return
    if not layer_dir.is_dir() or any(os.scandir(layer_dir)):
        raise UsageError(f"--layer-dir {layer_dir} exists and is not an empty directory",
                         hint="give a new (or empty) directory: it receives exactly the files "
                         "this step writes into the venv")


def exported_root(root: Path, layer_dir: Path) -> Path:
    """Where the files of `root` go below `layer_dir`: at their absolute path."""
    absolute = Path(os.path.abspath(root))
    return layer_dir / absolute.relative_to(absolute.anchor)


def export(
    root: Path, found: Changes, layer_dir: Path, what: str, after: Optional[Snapshot] = None
) -> int:
    """Copy (hard-link) what `found` says was written under `root` into `layer_dir`, at its
    absolute path; return the number of bytes exported. A deletion is refused (one line).
    `after`: the snapshot `found` was computed from (saves an lstat per path)."""
    if found.deleted:
        shown = ", ".join(found.deleted[:3])
        more = f" and {len(found.deleted) - 3} more" if len(found.deleted) > 3 else ""
        raise TargetEnvironmentError(
            f"{what} deleted {shown}{more} from {root}, which --layer-dir cannot export (a "
            "COPY of the layer adds files, it cannot remove one)",
            hint="install into a venv that does not hold these files yet (in Docker: the "
            "stage of the previous layer), or leave --layer-dir out",
        )
    source = Path(os.path.abspath(root))
    target = exported_root(source, layer_dir)
    layer_dir.mkdir(parents=True, exist_ok=True)  # even when empty: a COPY of it must work
    made: Dict[str, None] = {}

    def parent(relative: str) -> None:
        """Create the directories above (and at) `relative`, with the venv's modes."""
        parts = relative.split("/")
        for depth in range(len(parts) + 1):
            here = "/".join(parts[:depth])
            if here in made:
                continue
            made[here] = None
            destination = target / here if here else target
            destination.mkdir(parents=True, exist_ok=True)
            if here:
                known = after.get(here) if after is not None else None
                mode = known[3] if known is not None else os.lstat(source / here).st_mode
                os.chmod(destination, stat.S_IMODE(mode))

    size = 0
    for relative in found.new_dirs:
        parent(relative)
    for relative in found.written:
        head, _, _ = relative.rpartition("/")
        parent(head)
        src = source / relative
        dst = target / relative
        known = after.get(relative) if after is not None else None
        mode, length = (known[3], known[0]) if known is not None else _mode_size(src)
        if stat.S_ISLNK(mode):
            os.symlink(os.readlink(src), dst)
            continue
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)
        size += length
    return size


def _mode_size(path: Path) -> Tuple[int, int]:
    info = os.lstat(path)
    return info.st_mode, info.st_size


def site_sources(root: Path, written: Sequence[str]) -> List[str]:
    """Of the written paths, the Python sources in site-packages (what an installer compiles to
    bytecode), as absolute paths."""
    base = os.path.abspath(root)
    return [os.path.join(base, p) for p in written
            if p.endswith(".py") and "/site-packages/" in f"/{p}"]


def summary(found: Changes, size: int, layer_dir: Path) -> str:
    return (f"chef: exported {len(found.written)} files ({_human(size)}) to {layer_dir}")


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def rewritten_note(found: Changes) -> Optional[str]:
    """A warning when the step rewrote files that existed before (they are exported again,
    and shipped twice)."""
    if not found.changed:
        return None
    shown = ", ".join(found.changed[:3])
    more = f" and {len(found.changed) - 3} more" if len(found.changed) > 3 else ""
    return (f"rewrote {len(found.changed)} files that existed before ({shown}{more}): the "
            "layer holds them again")


_TRUE = ("1", "true", "yes", "on", "y", "t")


def without_uv_compile(
    env: Optional[Dict[str, str]]
) -> Tuple[Optional[Dict[str, str]], bool]:
    """uv's UV_COMPILE_BYTECODE compiles every file of site-packages after an install, so a
    cook on an existing venv would rewrite the bytecode of every earlier layer's package: taken
    out of uv's environment, and (True) chef compiles the new files itself."""
    source = env if env is not None else os.environ
    value = source.get("UV_COMPILE_BYTECODE")
    if value is None:
        return env, False
    out = {k: v for k, v in source.items() if k != "UV_COMPILE_BYTECODE"}
    return out, value.strip().lower() in _TRUE


def finish_layer(
    venv: Path, before: Dict[str, Tuple[int, int, int, int]], python: str, compile_new: bool,
    layer_dir: Optional[Path], quiet: bool, echo: Callable[[str], None], what: str = "cook",
    compile: Optional[Callable[[List[str]], Optional[List[str]]]] = None,
) -> None:
    """After the installer: compile the new modules (`compile_new`: with `compile`, by default
    `compile_files` by `python`), then export what this cook wrote into the venv to
    `layer_dir`. `compile` returns the directories it wrote into when it knows that it wrote
    nowhere else (only these are taken again), or None (the whole venv is)."""
    after = snapshot(venv)
    found = changes(before, after)
    if compile_new:
        sources = site_sources(venv, found.written)
        if sources:
            wrote = None
            if compile is not None:
                wrote = compile(sources)
            else:
                compile_files(python, sources)
            after = snapshot(venv) if wrote is None else rescan(venv, after, wrote)
            found = changes(before, after)
    note = rewritten_note(found)
    if note:
        echo(f"chef: warning: {what} {note}")
    if layer_dir is not None:
        size = export(venv, found, layer_dir, what, after)
        if not quiet:
            echo(summary(found, size, layer_dir))
    elif found.deleted:
        echo(f"chef: warning: {what} removed {len(found.deleted)} files of the venv")


def compile_files(python: str, sources: List[str]) -> None:
    """Bytecode for these modules by the target's interpreter, as uv's own compile makes it
    (compileall, the interpreter's optimization level); a file that does not compile is left
    as it is, as installers leave it. (Its interpreter runs the venv's .pth files: where it
    wrote is not known, so None.)"""
    from chef.cook import process

    argv = [python, "-I", "-m", "compileall", "-q", "-q", "-i", "-"]
    if len(sources) > 200:
        argv[4:4] = ["-j", "0"]
    process.run(process.Call(
        tuple(argv), "compiling bytecode", program="target interpreter", output="quiet",
        input="".join(s + "\n" for s in sources), check=False, error=TargetEnvironmentError,
        path=python, fix="pass --python PATH or --venv PATH",
    ))
