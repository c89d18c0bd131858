"""chef.pyz (scripts/build_pyz.py): one file that any python3 3.9+ runs, byte-identical for one
commit, holding chef as its wheel does plus the pinned pure-Python wheels, and writing the same
recipes as the installed chef.

The tests that need the real pinned wheels are marked `network`: pyzlib downloads them once per
set of pins (then every build reads them offline with --wheels). The build script's own checks
(pins, hashes, pure wheels, the archive's layout) run offline on wheels made here.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Sequence

import pytest
import pythons
import pyzlib
from wheelhouse import make_wheel

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BUNDLED = {"click", "packaging", "tomli", "tomlkit"}  # what scripts/pyz-requirements.txt pins


@pytest.fixture(scope="session")
def pinned_wheels() -> Path:
    return pyzlib.pinned_wheels()


@pytest.fixture(scope="session")
def chef_pyz(pinned_wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pyzlib.build_pyz(tmp_path_factory.mktemp("pyz") / "chef.pyz")


def run(argv: Sequence[str], cwd: Path = ROOT, env: Dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=600, check=False)


def interpreter(minor: int) -> str:
    found = [i for i in pythons.search().found if i.minor == (3, minor)]
    if not found:
        pytest.skip(f"no Python 3.{minor} found: {pythons.search().describe()}")
    return max(found, key=lambda i: i.version).path


# --- the build: same commit, same bytes ---------------------------------------------------------

@pytest.mark.network
def test_two_builds_of_one_commit_are_byte_identical(
        pinned_wheels: Path, chef_pyz: Path, tmp_path: Path) -> None:
    """Another output directory, working directory, umask, time zone and interpreter (3.9 when
    there is one): the same bytes."""
    env = {**os.environ, "TZ": "Pacific/Chatham"}
    env.pop("SOURCE_DATE_EPOCH", None)
    other_python = next((i.path for i in pythons.search().found if i.minor == (3, 9)),
                        sys.executable)
    old_umask = os.umask(0o077)
    try:
        second = pyzlib.build_pyz(tmp_path / "elsewhere" / "chef.pyz", env=env,
                                  python=other_python)
    finally:
        os.umask(old_umask)
    assert second.read_bytes() == chef_pyz.read_bytes()

    data = chef_pyz.read_bytes()
    assert data.startswith(b"#!/usr/bin/env python3\n")
    for needle in (str(ROOT), str(pinned_wheels), str(tmp_path)):
        assert needle.encode() not in data, f"{needle} is in the pyz"
    with zipfile.ZipFile(chef_pyz) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert not [n for n in names if n.endswith("/") or n.endswith(".pyc") or "__pycache__" in n]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16, i.create_system, i.compress_type) for i in infos} == {
        (0o100644, 3, zipfile.ZIP_STORED)}


@pytest.mark.network
def test_source_date_epoch_sets_every_timestamp(pinned_wheels: Path, chef_pyz: Path,
                                                tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}  # 2023-11-14 22:13:20 UTC
    first = pyzlib.build_pyz(tmp_path / "a.pyz", env=env)
    second = pyzlib.build_pyz(tmp_path / "b.pyz", env=env)
    assert first.read_bytes() == second.read_bytes() != chef_pyz.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


# --- what is in it ------------------------------------------------------------------------------

def _chef_wheel_files(tmp_path: Path) -> Dict[str, bytes]:
    """The chef/ files of a wheel built from the checkout, as pip builds it."""
    import shutil

    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ there
    shutil.copytree(ROOT / "chef", source / "chef",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", str(tmp_path / "wheel"), str(source)], env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "wheel").glob("chef-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("chef/")}


@pytest.mark.network
def test_pyz_holds_chef_as_its_wheel_does_and_the_pinned_pure_wheels(
        chef_pyz: Path, tmp_path: Path) -> None:
    from packaging.specifiers import SpecifierSet

    with zipfile.ZipFile(chef_pyz) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    assert {n: d for n, d in files.items() if n.startswith("chef/")} == _chef_wheel_files(tmp_path)

    tops = {n.split("/", 1)[0] for n in files}
    dists = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dists == {"__main__.py", "chef"} | BUNDLED
    pins = {m.group(1).lower(): m.group(2) for m in re.finditer(
        r"^([A-Za-z0-9_.-]+)==(\S+)", pyzlib.PINS.read_text(), re.M)}
    assert {d[:-len(".dist-info")] for d in dists} == {f"{n}-{v}" for n, v in pins.items()}
    assert not [n for n in files if n.endswith((".so", ".pyd", ".dylib", ".dll"))]
    for dist in sorted(dists):
        wheel = files[f"{dist}/WHEEL"].decode()
        assert "Root-Is-Purelib: true" in wheel, dist
        assert set(re.findall(r"^Tag: (\S+)$", wheel, re.M)) <= {"py3-none-any", "py2.py3-none-any"}
        metadata = files[f"{dist}/METADATA"].decode()
        requires = re.search(r"^Requires-Python: (.+)$", metadata, re.M)
        for version in ("3.9.0", "3.14.0"):  # chef's range: the pins must install on all of it
            assert requires is None or SpecifierSet(requires.group(1)).contains(version), (
                f"{dist} needs Python {requires.group(1)}")


# --- it runs, and writes the same recipes ---------------------------------------------------------

def _projects(tmp_path: Path) -> List[List[str]]:
    """prepare arguments: the examples as committed (pyproject, poetry manifest, pdm.lock,
    requirements, a uv workspace) and a synthetic 300-package uv.lock (parsed by tomli here)."""
    import synth

    lock = synth.write_uv_project(tmp_path / "synthetic-uv", 300)
    return [["--project-dir", str(EXAMPLES / name)] for name in
            ("uv-app", "poetry-app", "pdm-app", "requirements-app", "uv-workspace")] + [
        ["--project-dir", str(EXAMPLES / "uv-workspace"), "--package", "api"],
        ["--project-dir", str(lock)]]


def _recipe(argv: Sequence[str], args: Sequence[str], out: Path, env: Dict[str, str]) -> bytes:
    done = run([*argv, "prepare", *args, "--recipe-path", str(out)], env=env)
    assert done.returncode == 0, f"{argv} prepare {args}: {done.stderr}"
    return out.read_bytes()


@pytest.mark.network
@pytest.mark.parametrize("minor", [9, 13])
def test_pyz_on_python_3_x_writes_the_installed_chefs_recipes(
        chef_pyz: Path, tmp_path: Path, minor: int) -> None:
    python = interpreter(minor)
    installed = [sys.executable, "-m", "chef"]
    env = {k: v for k, v in os.environ.items() if k != "CHEF_TOML_READER"}
    version = run([python, str(chef_pyz), "--version"], env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout == run([*installed, "--version"], env=env).stdout
    assert run([python, str(chef_pyz), "--help"], env=env).stdout.startswith("Usage: chef ")
    for number, args in enumerate(_projects(tmp_path)):
        got = _recipe([python, str(chef_pyz)], args, tmp_path / f"pyz-{number}.json", env)
        want = _recipe(installed, args, tmp_path / f"installed-{number}.json", env)
        assert got == want, f"prepare {args}: the pyz's recipe differs from the installed chef's"
    # cook plans for the same interpreter (nothing installed): the recipe, the probe, the plan.
    recipe = tmp_path / "pyz-0.json"
    done = run([python, str(chef_pyz), "cook", "--recipe-path", str(recipe), "--python", python,
                "--installer", "pip", "--dry-run"], env=env)
    assert done.returncode == 0, done.stderr


@pytest.mark.network
def test_every_python_3_9_or_newer_here_runs_it(chef_pyz: Path, tmp_path: Path) -> None:
    """The other interpreters this machine has (3.10, 3.12, Debian's 3.11 here): --version and
    a prepare of the uv workspace, the same recipe as the installed chef's."""
    env = {k: v for k, v in os.environ.items() if k != "CHEF_TOML_READER"}
    args = ["--project-dir", str(EXAMPLES / "uv-workspace")]
    want = _recipe([sys.executable, "-m", "chef"], args, tmp_path / "installed.json", env)
    found = [i for i in pythons.search().found if i.minor >= (3, 9)]
    assert len(found) >= 2, pythons.search().describe()
    for number, python in enumerate(found):
        version = run([python.path, str(chef_pyz), "--version"], env=env)
        assert version.returncode == 0 and version.stdout.startswith("chef, version "), python
        got = _recipe([python.path, str(chef_pyz)], args, tmp_path / f"{number}.json", env)
        assert got == want, f"{python}: the pyz's recipe differs from the installed chef's"


@pytest.mark.network
def test_pyz_imports_only_what_it_bundles(chef_pyz: Path, tmp_path: Path) -> None:
    """Run by an interpreter whose site-packages has chef, toml_rs, compiled tomli, newer click
    and packaging (this venv's): every module chef uses comes from the pyz, and TOML is read by
    the bundled pure-Python tomli, as on any base image."""
    env = {k: v for k, v in os.environ.items() if k != "CHEF_TOML_READER"}
    args = _projects(tmp_path)[-1]
    done = run([sys.executable, "-v", str(chef_pyz), "prepare", *args, "--recipe-path",
                str(tmp_path / "r.json")], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    imports = dict(re.findall(r"^import '([\w.]+)' # (.*)$", done.stderr, re.M))
    assert "toml_rs" not in imports
    for name in ["chef", "chef.toml", "tomli", "tomli._parser", "click", "packaging.markers"]:
        assert f'zipimporter object "{chef_pyz}' in imports.get(name, "not imported"), name


def _too_old_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("chef: error: chef needs Python 3.9 or newer; "), stderr
    assert lines[0].endswith("(run chef.pyz with a newer python3)")


@pytest.mark.network
def test_an_interpreter_older_than_3_9_gets_one_line(chef_pyz: Path) -> None:
    """Every older python3 this machine has (pyenv's 3.6-3.8 here), and always the running one
    made to look like 3.8: exit code 6 and one line, before anything a newer Python needs."""
    for old in [i for i in pythons.search().found if i.minor < (3, 9)]:
        done = run([old.path, str(chef_pyz), "--help"])
        assert done.returncode == 6, f"{old}: {done.stderr}"
        _too_old_line(done.stderr)
        assert old.full_version in done.stderr
    code = ("import runpy, sys; sys.version_info = (3, 8, 18, 'final', 0);"
            "sys.version = '3.8.18 (pretend)'; runpy.run_path(sys.argv[1], run_name='__main__')")
    done = run([sys.executable, "-c", code, str(chef_pyz)])
    assert done.returncode == 6, done.stderr
    _too_old_line(done.stderr)


# --- the build script's checks, offline -----------------------------------------------------------

def _pins(tmp_path: Path, wheels: Sequence[Path]) -> Path:
    lines = []
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}  # pinned\n")
    return _write(tmp_path / "pins.txt", "# test pins\n" + "".join(lines))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _build(pins: Path, wheels: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return pyzlib.run_build(["--pins", str(pins), "--wheels", str(wheels), "--output", str(out)])


def test_build_from_a_wheel_directory_is_offline_and_reproducible(tmp_path: Path) -> None:
    wheels = [make_wheel(tmp_path / "wheels", "alpha", "1.0"),
              make_wheel(tmp_path / "wheels", "beta-lib", "2.0")]
    pins = _pins(tmp_path, wheels)
    first = _build(pins, tmp_path / "wheels", tmp_path / "one" / "chef.pyz")
    second = _build(pins, tmp_path / "wheels", tmp_path / "two" / "chef.pyz")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.startswith(f"wrote {tmp_path / 'one' / 'chef.pyz'} (")
    one, two = (tmp_path / "one" / "chef.pyz"), (tmp_path / "two" / "chef.pyz")
    assert one.read_bytes() == two.read_bytes()
    assert os.access(one, os.X_OK)
    with zipfile.ZipFile(one) as archive:
        names = archive.namelist()
    assert {"__main__.py", "chef/cli.py", "chef/py.typed", "alpha/__init__.py",
            "beta_lib/__init__.py", "alpha-1.0.dist-info/METADATA"} <= set(names)
    assert not [n for n in names if n.startswith(("build/", "dist/", "tests/"))]


@pytest.mark.parametrize("problem", ["compiled", "hash", "missing", "data"])
def test_build_refuses_in_one_line(tmp_path: Path, problem: str) -> None:
    wheels = tmp_path / "wheels"
    if problem == "compiled":
        wheel = make_wheel(wheels, "fast", "1.0", tag="cp311-cp311-linux_x86_64")
        pins, expected = _pins(tmp_path, [wheel]), "not a pure-Python wheel"
    elif problem == "data":
        wheel = make_wheel(wheels, "scripted", "1.0",
                           files={"scripted-1.0.data/scripts/tool": "#!python\n"})
        pins, expected = _pins(tmp_path, [wheel]), "installs files outside site-packages"
    else:
        wheel = make_wheel(wheels, "alpha", "1.0")
        pins = _pins(tmp_path, [wheel])
        if problem == "hash":
            make_wheel(wheels, "alpha", "1.0", requires=["beta"])  # same name, other bytes
            expected = "sha256 is not the one pinned"
        else:
            wheel.unlink()
            expected = "alpha==1.0 is not in"
    done = _build(pins, wheels, tmp_path / "chef.pyz")
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("build_pyz: error: ")
    assert expected in done.stderr, done.stderr
    assert not (tmp_path / "chef.pyz").exists()
    assert not list(tmp_path.glob(".chef-pyz-*"))


def test_bad_pins_are_refused_in_one_line(tmp_path: Path) -> None:
    pins = _write(tmp_path / "pins.txt", "click>=8  # not a pin\n")
    done = _build(pins, tmp_path, tmp_path / "chef.pyz")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "line 1: expected `name==version --hash=sha256:HEX`" in done.stderr


def test_the_pins_are_pure_wheels_for_python_3_9() -> None:
    """scripts/pyz-requirements.txt pins what chef needs (pyproject's dependencies that have no
    marker excluding 3.9), within chef's own ranges, with one sha256 each."""
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {}
    for text in project["dependencies"]:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"python_version": "3.9",
                                                      "python_full_version": "3.9.18"}):
            needed[req.name.lower()] = req.specifier
    pins = re.findall(r"^([a-z0-9_.-]+)==(\S+) \\\n\s+--hash=sha256:([0-9a-f]{64})$",
                      pyzlib.PINS.read_text(), re.M)
    assert {name for name, _, _ in pins} == set(needed) == BUNDLED
    for name, version, _ in pins:
        assert needed[name].contains(version), f"{name}=={version} is outside chef's {needed[name]}"


@pytest.mark.network
def test_pyz_refuses_deep_markers_and_a_missing_toml_rs_in_one_line(
        chef_pyz: Path, tmp_path: Path) -> None:
    """The bundled packaging (26.3: the newest for Python 3.9) hits the recursion limit on a
    marker nested ~900 parentheses deep where the venv's refuses it: the same exit 3 (prepare)
    and 4 (a recipe holding one), one line. CHEF_TOML_READER=toml_rs, which the pyz cannot
    bundle: exit 6, one line."""
    env = {k: v for k, v in os.environ.items() if k != "CHEF_TOML_READER"}
    deep = "(" * 900 + "python_version >= '3'" + ")" * 900
    cases = {
        "requirements.txt": f"alpha; {deep}\n",
        "pyproject.toml": f'[project]\nname = "app"\nversion = "0.1"\n'
                          f'dependencies = ["alpha; {deep}"]\n',
    }
    for chef in ([sys.executable, str(chef_pyz)], [sys.executable, "-m", "chef"]):
        for number, (name, text) in enumerate(cases.items()):
            project = tmp_path / f"{len(chef)}-{number}"
            project.mkdir()
            (project / name).write_text(text, "utf-8")
            done = run([*chef, "prepare", "--stdout", "--project-dir", str(project)], env=env)
            assert done.returncode == 3, (chef, name, done.stderr[-2000:])
            assert len(done.stderr.splitlines()) == 1, done.stderr[-2000:]
        recipe = tmp_path / f"{len(chef)}-recipe.json"
        (tmp_path / "r").mkdir(exist_ok=True)
        (tmp_path / "r" / "requirements.txt").write_text("alpha\n", "utf-8")
        assert run([*chef, "prepare", "--project-dir", str(tmp_path / "r"), "--recipe-path",
                    str(recipe)], env=env).returncode == 0
        data = recipe.read_text("utf-8").replace('{"name": "alpha"}',
                                                 '{"name": "alpha", "marker": "' + deep + '"}')
        recipe = tmp_path / f"{len(chef)}-deep.json"
        recipe.write_text(data, "utf-8")
        for args in (["cook", "--recipe-path", str(recipe), "--dry-run", "--python",
                      sys.executable], ["diff", str(recipe), str(recipe)]):
            done = run([*chef, *args], env=env)
            assert done.returncode == 4, (chef, args, done.stderr[-2000:])
            assert len(done.stderr.splitlines()) == 1, done.stderr[-2000:]
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha"]\n', "utf-8")
    # -S: not this venv's site-packages (which has toml_rs), as on a base image
    done = run([sys.executable, "-S", str(chef_pyz), "prepare", "--stdout", "--project-dir",
                str(tmp_path / "t")], env={**env, "CHEF_TOML_READER": "toml_rs"})
    assert done.returncode == 6, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        "chef: error: CHEF_TOML_READER=toml_rs but toml_rs cannot be imported here (chef.pyz "
        "bundles tomli only) (install it next to chef, or unset CHEF_TOML_READER)"]
