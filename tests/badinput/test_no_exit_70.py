"""Inputs that used to end in exit 70 (a traceback, "internal error"), each now one line with the
documented exit code (docs/exit-codes.md): names over the OS limit, wrong types in Pipfile,
Pipfile.lock and pdm.lock tables, JSON integers over Python's 4300 digits, markers that break a
requirements line for pip (U+2028, U+0085), a hatch hook name too long for a recipe, an unknown
CHEF_TOML_READER. (chef.pyz's older packaging on deep markers and its missing toml_rs:
tests/test_pyz.py.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest
from clirun import chef
from conftest import write

from chef import errors
from chef.model import LocalPackage
from chef.recipe import check_cookable, loads

LONG = "x" * 5000
PIPFILE = ('[[source]]\nurl = "https://index.invalid/simple"\nverify_ssl = true\nname = "p"\n\n'
           '[packages]\nalpha = "*"\n')
ALPHA = {"version": "==1.0", "hashes": ["sha256:" + "a" * 64]}


def pipfile_lock(sources: object = None, entry: Optional[Dict[str, object]] = None,
                 extra: str = "") -> str:
    text = json.dumps({
        "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {},
                  "sources": sources if sources is not None else [
                      {"name": "p", "url": "https://index.invalid/simple", "verify_ssl": True}]},
        "default": {"alpha": entry if entry is not None else ALPHA}, "develop": {}})
    return text[:-1] + extra + "}"


PDM_LOCK = """\
[metadata]
groups = ["default"]
strategy = ["inherit_metadata"]
lock_version = "4.5.0"
content_hash = "sha256:0"

[[package]]
name = "alpha"
version = "1.0"
groups = ["default"]
files = 1
"""

PYPROJECT = '[project]\nname = "app"\nversion = "0.1"\ndependencies = [{}]\n'


def one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("chef: error: "), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert len(lines[0]) < 1500, len(lines[0])
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


PREPARE_CASES: Dict[str, Dict[str, str]] = {
    "-r too long (in a file)": {"requirements.txt": f"alpha\n-r {LONG}\n"},
    "path source too long": {"requirements.txt": f"./{LONG}\n"},
    "file: URL too long": {"pyproject.toml": PYPROJECT.format(f'"alpha @ file:///{LONG}"')},
    "Pipfile.lock _meta.sources = 1": {"Pipfile": PIPFILE, "Pipfile.lock": pipfile_lock(1)},
    "Pipfile.lock hashes = x": {"Pipfile": PIPFILE, "Pipfile.lock": pipfile_lock(
        entry={"version": "==1.0", "hashes": "x"})},
    "Pipfile.lock markers = 5": {"Pipfile": PIPFILE, "Pipfile.lock": pipfile_lock(
        entry={**ALPHA, "markers": 5})},
    "Pipfile.lock integer over 4300 digits": {
        "Pipfile": PIPFILE, "Pipfile.lock": pipfile_lock(extra=', "x": ' + "9" * 5000)},
    "pdm.lock files = 1": {"pyproject.toml": PYPROJECT.format('"alpha"'), "pdm.lock": PDM_LOCK},
    "U+2028 in a marker literal": {"pyproject.toml": PYPROJECT.format(
        '"alpha; platform_release == \'a\\u2028b\'"')},
    "U+0085 in a marker literal": {"pyproject.toml": PYPROJECT.format(
        '"alpha; platform_release == \'a\\u0085b\'"')},
}
PREPARE_WORDS = {
    "-r too long (in a file)": ("longer than this system allows",),
    "path source too long": ("longer than this system allows",),
    "file: URL too long": ("longer than this system allows",),
    "Pipfile.lock _meta.sources = 1": ("Pipfile.lock", "sources"),
    "Pipfile.lock hashes = x": ("Pipfile.lock", "default.alpha.hashes"),
    "Pipfile.lock markers = 5": ("Pipfile.lock", "default.alpha.markers"),
    "Pipfile.lock integer over 4300 digits": ("Pipfile.lock", "4300"),
    "pdm.lock files = 1": ("pdm.lock", "files"),
    "U+2028 in a marker literal": ("pyproject.toml", "marker"),
    "U+0085 in a marker literal": ("pyproject.toml", "marker"),
}


@pytest.mark.parametrize("case", sorted(PREPARE_CASES))
def test_prepare(case: str, tmp_path: Path) -> None:
    for name, text in PREPARE_CASES[case].items():
        write(tmp_path / name, text)
    done = chef("prepare", "--frozen", "--recipe-path", "recipe.json", cwd=tmp_path)
    one_line(done, errors.EXIT_INPUT, *PREPARE_WORDS[case])
    assert not (tmp_path / "recipe.json").exists()


def test_requirements_option_too_long(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha\n")
    one_line(chef("prepare", "--stdout", "-r", LONG, cwd=tmp_path), errors.EXIT_INPUT,
             "longer than this system allows")


def test_pipfile_source_not_a_table(tmp_path: Path) -> None:
    write(tmp_path / "Pipfile", 'source = 1\n[packages]\nalpha = "*"\n')
    one_line(chef("prepare", "--stdout", "--manager", "pipenv", cwd=tmp_path), errors.EXIT_INPUT,
             "Pipfile", "sources")


def test_the_recipe_with_an_integer_over_4300_digits(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha==1.0\n")
    assert chef("prepare", cwd=tmp_path).returncode == 0
    good = (tmp_path / "recipe.json").read_text()
    write(tmp_path / "big.json", good.replace('"format": ', '"x": ' + "9" * 5000 + ', "format": '))
    for args in (("cook", "--recipe-path", "big.json", "--dry-run", "--venv", "v"),
                 ("diff", "big.json", "recipe.json"), ("diff", "recipe.json", "big.json"),
                 ("check", "--recipe-path", "big.json")):
        one_line(chef(*args, cwd=tmp_path), errors.EXIT_RECIPE, "big.json", "4300")


@pytest.mark.parametrize("args", [("cook", "--recipe-path", "{long}", "--dry-run"),
                                  ("diff", "{long}", "recipe.json"),
                                  ("check", "--recipe-path", "{long}")])
def test_a_recipe_path_too_long(tmp_path: Path, args: Sequence[str]) -> None:
    write(tmp_path / "requirements.txt", "alpha==1.0\n")
    assert chef("prepare", cwd=tmp_path).returncode == 0
    argv = [a.format(long=str(tmp_path / LONG)) for a in args]
    one_line(chef(*argv, cwd=tmp_path), errors.EXIT_RECIPE)


def test_credentials_file_name_too_long(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha==1.0\n")
    assert chef("prepare", cwd=tmp_path).returncode == 0
    done = chef("cook", "--recipe-path", "recipe.json", "--dry-run", "--venv", "v",
                env={"CHEF_CREDENTIALS_FILE": str(tmp_path / LONG)}, cwd=tmp_path)
    one_line(done, errors.EXIT_ENVIRONMENT, "credentials file")


def test_unknown_toml_reader(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "alpha==1.0\n")
    done = chef("prepare", "--stdout", env={"CHEF_TOML_READER": "bogus"}, cwd=tmp_path,
                process=True)  # read when chef.toml is imported: a fresh process
    one_line(done, errors.EXIT_ENVIRONMENT, "CHEF_TOML_READER")


def test_a_hatch_hook_name_too_long_for_a_recipe(tmp_path: Path) -> None:
    """A hook switched on by HATCH_BUILD_HOOK_ENABLE_<300 characters>: recorded under
    HATCH_BUILD_HOOKS_ENABLE only, and the recipe cooks; check_cookable refuses the long name."""
    hook = "h" * 300
    write(tmp_path / "pyproject.toml", PYPROJECT.format('"alpha"') + (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        f'[tool.hatch.build.hooks.{hook}]\nenable-by-default = false\ndependencies = ["beta"]\n'))
    assert chef("prepare", cwd=tmp_path).returncode == 0
    recipe = (tmp_path / "recipe.json").read_text()
    assert hook.upper() not in recipe and "HATCH_BUILD_HOOKS_ENABLE" in recipe
    done = chef("cook", "--recipe-path", "recipe.json", "--dry-run", "--venv", "v", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    parsed = loads(recipe)
    app = parsed.local_packages["app"]
    parsed.local_packages["app"] = LocalPackage(
        name=app.name, path=app.path, build_requires=app.build_requires,
        build_requires_env=(("HATCH_BUILD_HOOK_ENABLE_" + hook.upper(), ("beta",)),))
    with pytest.raises(errors.InputError) as info:
        check_cookable(parsed, "pyproject.toml")
    assert "build switch" in str(info.value)


def test_a_marker_nested_900_deep(tmp_path: Path) -> None:
    deep = "(" * 900 + "python_version >= '3'" + ")" * 900
    write(tmp_path / "requirements.txt", f"alpha; {deep}\n")
    # In a fresh process: how deep the parsers may recurse depends on the stack they start on.
    one_line(chef("prepare", "--stdout", cwd=tmp_path, process=True), errors.EXIT_INPUT,
             "requirements.txt:1")


def test_recursion_in_packaging_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """What chef.pyz's packaging (26.3) does on such a marker, here in-process: the parsers
    raise RecursionError, which chef reports as an invalid requirement or marker."""
    import packaging.markers
    import packaging.requirements

    from chef import pep508
    from chef.errors import InputError
    from chef.model import parse_requirement
    from chef.readers.markers import _parse

    def recurse(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(packaging.requirements.Requirement, "__init__", recurse)
    monkeypatch.setattr(packaging.markers.Marker, "__init__", recurse)
    pep508.normalize_marker.cache_clear()
    with pytest.raises(InputError, match="nested too deeply"):
        parse_requirement("alpha; (python_version >= '3')", path="requirements.txt", line=1)
    with pytest.raises(packaging.markers.InvalidMarker):
        pep508.normalize_marker("(python_version >= '3.1')")
    with pytest.raises(InputError, match="nested too deeply"):
        _parse("(python_version >= '3.2')", "pyproject.toml")
    pep508.normalize_marker.cache_clear()
