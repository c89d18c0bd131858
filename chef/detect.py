"""Which reader applies to a directory, and why.

Precedence (first match wins; README "Supported inputs" is generated from READERS and this order):
explicit `--requirements` files > `--manager` > uv.lock > poetry.lock > pdm.lock > Pipfile.lock >
pylock.toml (or pylock.<name>.toml) > pyproject.toml with [tool.poetry] > pyproject.toml with
[project] or a uv workspace > setup.cfg/setup.py > requirements.txt. A lock wins over the manifest
it was made from because it is what the manager installs.

An input that holds nothing (a lock without a package, a uv.lock without the project, a manifest
that declares no dependency) loses to the first one that holds something (`detect_project`), with
a warning: a placeholder lock must never become an empty recipe. A stale lock beside a fresh
lock of the same manifest gives way to it, with a warning (`fresh_lock`, called by prepare).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from chef.errors import ChefError, InputError
from chef.model import Dep, Project, Record


class Reader(Record):
    """(Plain classes here, immutable by convention: a dataclass costs ~0.4 ms of every prepare
    to define.)"""

    __slots__ = ("name", "module", "marker_files", "description", "example")
    _FIELDS = __slots__

    def __init__(self, name: str, module: str, marker_files: Tuple[str, ...], description: str,
                 example: str) -> None:
        self.name = name
        self.module = module
        self.marker_files = marker_files  # any of these present means the reader may apply
        self.description = description
        self.example = example  # a `chef prepare` command line, shown in the README's table


READERS: Tuple[Reader, ...] = (
    Reader("uv", "chef.readers.uv_lock:read_project", ("uv.lock",), "uv.lock + pyproject.toml",
           "chef prepare --group dev --package api"),
    Reader(
        "poetry",
        "chef.readers.poetry",
        ("poetry.lock",),
        "poetry.lock 1.1/2.0/2.1 + [tool.poetry] or PEP 621 (groups, extras, sources)",
        "chef prepare --group docs --extra postgres",
    ),
    Reader(
        "pdm",
        "chef.readers.pdm",
        ("pdm.lock",),
        "pdm.lock 4.x + PEP 621, [tool.pdm] sources and dev-dependencies",
        "chef prepare --group test",
    ),
    Reader(
        "pipenv",
        "chef.readers.pipenv",
        ("Pipfile.lock",),
        "Pipfile.lock (categories, indexes); Pipfile alone with --manager pipenv",
        "chef prepare --group dev-packages",
    ),
    Reader(
        "pylock",
        "chef.readers.pylock",
        ("pylock.toml", "pylock.<name>.toml"),
        "PEP 751 lock (markers on extras/dependency groups, index/vcs/archive/directory)",
        "chef prepare --extra cli",
    ),
    Reader(
        "poetry-manifest",
        "chef.readers.poetry:read_manifest_project",
        ("pyproject.toml",),
        "[tool.poetry] without a lock (unlocked)",
        "chef prepare --manager poetry-manifest",
    ),
    Reader(
        "pyproject",
        "chef.readers.pep621:read_project",
        ("pyproject.toml",),
        "PEP 621 [project], PEP 735 [dependency-groups], uv workspace (unlocked)",
        "chef prepare --all-extras",
    ),
    Reader(
        "setuptools",
        "chef.readers.setuptools",
        ("setup.cfg", "setup.py"),
        "setup.cfg install_requires/extras_require/python_requires (setup.py is never run)",
        "chef prepare --extra test",
    ),
    Reader(
        "requirements",
        "chef.readers.requirements:read_project",
        ("requirements.txt",),
        "pip requirements files (-r/-c, hashes, indexes)",
        "chef prepare -r requirements/prod.txt",
    ),
)

_PRECEDENCE = (
    "uv",
    "poetry",
    "pdm",
    "pipenv",
    "pylock",
    "poetry-manifest",
    "pyproject",
    "setuptools",
    "requirements",
)


def readers() -> Dict[str, Reader]:
    return {r.name: r for r in READERS}


def _has_table(path: Path, table: str) -> bool:
    # Cheap text probe before a full parse; the chosen reader validates properly.
    from chef.readers.boundary import check_read

    check_read(path, path.name)  # a project file linked out of the project is never read
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.strip().startswith(f"[{table}") for line in text.splitlines())


class Candidate(Record):
    """An input that may describe the project: a reader whose files are present."""

    __slots__ = ("reader", "file")
    _FIELDS = __slots__

    def __init__(self, reader: Reader, file: str) -> None:
        self.reader = reader
        self.file = file  # the file that made it a candidate (as the user names it)


def candidates(root: Path) -> List[Candidate]:
    """Every reader whose files are present in `root`, in precedence order."""
    if not root.is_dir():
        raise InputError("project directory not found", path=root)
    known = readers()
    found: List[Candidate] = []
    for name in _PRECEDENCE:
        reader = known.get(name)
        if reader is None:
            continue
        if name == "pylock":  # (not chef.readers.pylock: it imports the whole reader)
            from chef.readers.locks import lock_files

            present = lock_files(root)
        else:
            present = [f for f in reader.marker_files if (root / f).is_file()]
        if not present:
            continue
        if name == "poetry-manifest" and not _has_table(root / "pyproject.toml", "tool.poetry"):
            continue
        if name == "pyproject" and not (
            _has_table(root / "pyproject.toml", "project")
            or _has_table(root / "pyproject.toml", "tool.uv.workspace")
        ):
            continue
        found.append(Candidate(reader, present[0]))
    return found


def _no_inputs(root: Path) -> InputError:
    looked = sorted({f for r in READERS for f in r.marker_files})
    return InputError(
        "no supported project files found",
        path=str(root),
        hint=f"looked for {', '.join(looked)}; "
        "pass --project-dir, --requirements FILE or --manager",
    )


def detect(root: Path, manager: Optional[str] = None) -> Tuple[Reader, str]:
    """The reader of highest precedence for `root` (before any file is read), with a reason."""
    known = readers()
    if manager is not None:
        return _named(manager), f"--manager {manager}"
    found = candidates(root)
    if not found:
        raise _no_inputs(root)
    return known[found[0].reader.name], f"found {found[0].file}"


def _named(manager: str) -> Reader:
    known = readers()
    if manager not in known:
        from chef.errors import UsageError

        raise UsageError(
            f"unknown manager {manager!r}", hint="choose one of: " + ", ".join(sorted(known))
        )
    return known[manager]


# Readers that can read a project in a subdirectory of the build context (`subdir`), with local
# paths relative to the context: a monorepo whose services each keep their own lock.
SUBDIR_READERS = ("poetry", "poetry-manifest", "pdm", "pipenv", "pylock", "setuptools")


class Detected:
    """The project as read from the chosen input, and how it was chosen."""

    __slots__ = ("project", "chosen", "considered", "warnings", "later")

    def __init__(self, project: Project, chosen: str, considered: Optional[List[str]] = None,
                 warnings: Optional[List[str]] = None,
                 later: Optional[List[Candidate]] = None) -> None:
        self.project = project
        self.chosen = chosen  # "<reader> (<why>)"
        self.considered = [] if considered is None else considered  # every candidate, its fate
        self.warnings = [] if warnings is None else warnings  # the chosen input is not the first
        # Candidates not read because the chosen one comes first (precedence order): where
        # `fresh_lock` looks when the chosen lock is stale.
        self.later = [] if later is None else later


def _read_with(reader: Reader, root: Path, subdir: str) -> Project:
    from chef.readers import entry_point, root_only

    read = entry_point(reader.module)
    if reader.name not in SUBDIR_READERS:
        root_only(reader.name, root, subdir)
    return read(root, subdir)


def detect_project(
    root: Path,
    manager: Optional[str] = None,
    requirements: Sequence[str] = (),
    subdir: str = ".",
) -> Detected:
    """Read the project in `root/subdir` (`root` is the build context) from the input that
    really describes it.

    Candidates are tried in precedence order; one that holds nothing (a lock without a
    package, a uv.lock without the project, a manifest that declares no dependency) loses to the
    first one that holds something, and the choice is explained, never silent.
    """
    where = root / subdir if subdir not in (".", "") else root
    shown = "" if subdir in (".", "") else f" in {subdir}"
    if requirements:
        if subdir not in (".", ""):
            raise InputError("--requirements reads files relative to --project-dir; "
                             "--subdir does not apply to them", path=str(where))
        from chef.readers import requirements as req_reader

        project = req_reader.read(root, list(requirements))
        return Detected(project, "--requirements " + " ".join(requirements))
    if manager is not None:
        reader = _named(manager)
        return Detected(_read_with(reader, root, subdir), f"{reader.name} (--manager {manager})")
    found = candidates(where)
    if not found:
        raise _no_inputs(where)
    considered: List[str] = []
    unreadable: List[str] = []
    lost: List[Tuple[Candidate, str]] = []
    first: Optional[Tuple[Candidate, Project]] = None
    chosen: Optional[Tuple[Candidate, Project]] = None
    later: List[Candidate] = []
    for candidate in found:
        if chosen is not None:
            later.append(candidate)
            considered.append(f"{candidate.file} ({candidate.reader.name}): not read, "
                              f"{chosen[0].file} comes first (--manager "
                              f"{candidate.reader.name} reads it)")
            continue
        if first is None:
            project = _read_with(candidate.reader, root, subdir)
            first = (candidate, project)
        else:  # a fallback: one that cannot be read does not turn a readable project into an error
            try:
                project = _read_with(candidate.reader, root, subdir)
            except ChefError as exc:
                considered.append(f"{candidate.file} ({candidate.reader.name}): passed over, "
                                  f"cannot be read: {exc}")
                unreadable.append(f"{candidate.file}{shown} cannot be read: {exc}")
                continue
        empty = holds_nothing(project, candidate.reader.name, where)
        if empty is None:
            chosen = (candidate, project)
            considered.append(f"{candidate.file} ({candidate.reader.name}): chosen")
        else:
            lost.append((candidate, empty))
            considered.append(f"{candidate.file} ({candidate.reader.name}): passed over, {empty}")
    warnings: List[str] = []
    if chosen is None:  # nothing holds anything: the first, as always (prepare checks the rest)
        assert first is not None
        chosen = first
        considered = [c.replace(": passed over, ", ": chosen although ", 1)
                      if c.startswith(f"{first[0].file} (") else c for c in considered]
        why = f"found {chosen[0].file}{shown}"
        warnings.extend(unreadable)
    else:
        why = f"found {chosen[0].file}{shown}"
        if lost:
            why += "; " + "; ".join(f"{c.file} {reason}" for c, reason in lost)
            for candidate, reason in lost:
                warnings.append(
                    f"{candidate.file}{shown} {reason}: reading {chosen[0].file} instead "
                    f"(--manager {candidate.reader.name} reads {candidate.file} anyway)"
                )
    return Detected(chosen[1], f"{chosen[0].reader.name} ({why})", considered, warnings, later)


def fresh_lock(root: Path, detected: Detected, subdir: str = ".") -> Tuple[Detected, Any]:
    """The detected input, checked for freshness: (the input to use, its freshness Verdict or
    None when it is not a lock chef checks).

    A stale lock that another lock of the same manifest stands beside (uv.lock and poetry.lock
    or pdm.lock for one pyproject.toml) gives way to the first of them, in precedence order,
    that its own manager's check passes on, reads, and holds something: the build goes on from
    the fresh lock, with a warning that names both and `--manager` to choose. When every such
    lock is stale, the refusal (StaleLockError) names each and what its manager says; a lone
    stale lock is refused as before. Only for detection: an explicit `--manager` is checked by
    the caller (`ensure_fresh`) and never falls back.
    """
    from chef.freshness import CHECK_COMMAND, LOCK_FILE, MANIFEST, check

    where = root / subdir if subdir not in (".", "") else root
    manager = detected.project.manager
    verdict = check(where, manager, where=subdir)
    if verdict is None or verdict.fresh:
        return detected, verdict
    stale = [verdict]
    tried: Dict[str, str] = {}  # lock file -> its fate, for --explain
    for candidate in detected.later:
        name = candidate.reader.name
        if name == manager or MANIFEST.get(name) != MANIFEST[manager] or \
                candidate.file != LOCK_FILE.get(name):
            continue
        label = f"{candidate.file} ({name})"
        try:
            other = check(where, name, where=subdir)
        except ChefError as exc:
            tried[candidate.file] = f"{label}: passed over, cannot be checked: {exc}"
            continue
        if other is None:
            continue
        if not other.fresh:
            stale.append(other)
            tried[candidate.file] = (f"{label}: passed over, stale too: {other.what()} "
                                     f"(`{CHECK_COMMAND[name]}` fails)")
            continue
        try:
            project = _read_with(candidate.reader, root, subdir)
        except ChefError as exc:
            tried[candidate.file] = f"{label}: passed over, fresh but cannot be read: {exc}"
            continue
        empty = holds_nothing(project, name, where)
        if empty is not None:
            tried[candidate.file] = f"{label}: passed over, fresh but {empty}"
            continue
        return _from_fresh(detected, verdict, other, candidate, project, tried), other
    if len(stale) == 1:
        raise verdict.error()
    from chef.errors import StaleLockError

    first, rest = stale[0], stale[1:]
    said = "; ".join(f"{v.lock} is stale too: {v.what(2)} (`{CHECK_COMMAND[v.manager]}` "
                     "fails)" for v in rest)
    relock = ", ".join(f"`{v.relock}`" for v in stale[:-1]) + f" or `{stale[-1].relock}`"
    raise StaleLockError(
        f"stale lock: {first.what(2)} (`{CHECK_COMMAND[first.manager]}` fails); {said}",
        path=first.lock,
        hint=f"re-lock with {relock}; or pass --frozen to use {first.lock} as it is, "
        "--manager NAME --frozen for another",
    )


def _from_fresh(
    detected: Detected, stale: Any, fresh: Any, candidate: Candidate, project: Project,
    tried: Dict[str, str],
) -> Detected:
    """`detected` with the fresh lock beside a stale one chosen instead, and why."""
    from chef.freshness import CHECK_COMMAND, LOCK_FILE, MANIFEST

    old, new = stale.manager, candidate.reader.name
    reason = (f"{stale.lock} is stale ({stale.what(1)}; `{CHECK_COMMAND[old]}` fails) and "
              f"{fresh.lock} matches {MANIFEST[new]}")
    considered: List[str] = []
    for line in detected.considered:
        file = line.split(" (", 1)[0]
        if file == candidate.file:
            considered.append(f"{candidate.file} ({new}): chosen, {reason}")
        elif file in tried:
            considered.append(tried[file])
        elif line.endswith(": chosen") and line.startswith(f"{LOCK_FILE[old]} ("):
            considered.append(f"{LOCK_FILE[old]} ({old}): passed over, stale: {stale.what()} "
                              f"(`{CHECK_COMMAND[old]}` fails)")
        elif any(line.startswith(f"{c.file} (") for c in detected.later):
            considered.append(line.replace(f"{LOCK_FILE[old]} comes first",
                                           f"{candidate.file} comes first"))
        else:
            considered.append(line)
    warning = (f"{reason}: reading {fresh.lock}; pass --manager {new} or --manager {old} to "
               f"choose (`{stale.relock}` re-locks {stale.lock})")
    chosen = f"{new} (found {fresh.lock}; {stale.lock} is stale)"
    return Detected(project, chosen, considered, detected.warnings + [warning],
                    [c for c in detected.later if c is not candidate])


def read_project(
    root: Path,
    manager: Optional[str] = None,
    requirements: Sequence[str] = (),
    subdir: str = ".",
) -> Tuple[Project, str]:
    """Read the project in `root/subdir`; `root` is the build context (default: the same)."""
    detected = detect_project(root, manager, requirements, subdir)
    return detected.project, detected.chosen


def third_party_edges(project: Project) -> Dict[str, List[str]]:
    """Where the project declares third-party requirements: "main", "extra X", "group G" ->
    names (edges to the project's own local packages are not third-party)."""
    own = set(project.local_packages)
    out: Dict[str, List[str]] = {}

    def add(kind: str, deps: Sequence[Dep]) -> None:
        names = sorted({d.name for d in deps if d.name not in own or d.url})
        if names:
            out.setdefault(kind, [])
            out[kind] = sorted(set(out[kind]) | set(names))

    add("main", project.roots)
    for local in project.local_packages.values():
        add("main", local.dependencies)
        for extra, deps in local.extras:
            add(f"extra {extra}", deps)
        for group, deps in local.groups:
            add(f"group {group}", deps)
    return out


def holds_nothing(project: Project, reader: str, where: Path) -> Optional[str]:
    """Why the input a reader read cannot be the project's (None: it holds something)."""
    if reader == "uv":
        return _uv_holds_nothing(where)
    if project.locked:
        return None
    declared = third_party_edges(project)
    if project.locked is not None:  # an empty lock
        names = sorted(set(manifest_names(where, reader)) | {
            n for deps in declared.values() for n in deps})
        if names:
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4
                                             else "")
            return f"holds no package although the project declares dependencies ({shown})"
        return "holds no package"
    if declared:
        return None
    return "declares no dependency"


def manifest_names(where: Path, reader: str) -> List[str]:
    """Third-party requirements the manifest beside a lock declares (the lock's readers take
    them from the lock, which may be empty)."""
    import importlib

    from chef.freshness import MANIFEST, Files

    if reader not in ("poetry", "pdm", "pipenv") or not (where / MANIFEST[reader]).is_file():
        return []
    module = importlib.import_module(f"chef.freshness.{reader}")
    return sorted(module.declared_names(Files(where)))


def _uv_holds_nothing(where: Path) -> Optional[str]:
    """A uv.lock always holds the project itself (or, for a virtual root, its members): one
    without them is a placeholder or another project's lock."""
    from chef.model import canonical
    from chef.toml import load_toml

    lock = load_toml(where / "uv.lock", "uv.lock")
    packages = lock.get("package")
    if not isinstance(packages, list) or not packages:
        return "holds no package"
    local: Set[str] = set()
    for p in packages:  # (plain tests, no generator per package: ~4 ms at 1500 packages)
        source = p.get("source") if isinstance(p, dict) else None
        if isinstance(source, dict) and ("editable" in source or "virtual" in source
                                         or "directory" in source):
            package_name = p.get("name")
            if isinstance(package_name, str):
                local.add(canonical(package_name))
    pyproject = where / "pyproject.toml"
    data = load_toml(pyproject, "pyproject.toml") if pyproject.is_file() else {}
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str):
        if canonical(name) not in local:
            return f"does not hold the project ({canonical(name)})"
        return None
    members = lock.get("manifest", {}).get("members") if isinstance(
        lock.get("manifest"), dict) else None
    if not local and not members:
        return "holds no package of this project"
    return None


def supported_inputs() -> List[Reader]:
    return list(READERS)


def inputs_table() -> str:
    """The README's "Supported inputs" table, generated from READERS (a test keeps them equal)."""
    order = {name: i for i, name in enumerate(_PRECEDENCE)}
    rows = [
        "| precedence | `--manager` | files | what is read | example |",
        "|---|---|---|---|---|",
    ]
    ranked = sorted(READERS, key=lambda r: order.get(r.name, len(order)))
    for rank, reader in enumerate(ranked, start=1):
        files = ", ".join(f"`{f}`" for f in reader.marker_files)
        rows.append(
            f"| {rank} | `{reader.name}` | {files} | {reader.description} | `{reader.example}` |"
        )
    return "\n".join(rows) + "\n"
