"""`chef diff` explains a cache miss; `chef check` fails when the committed recipe is stale."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from clirun import chef
from conftest import write

from chef import errors
from chef.diff import diff_texts, render_json, render_text
from chef.prepare import prepare
from chef.recipe import canonical_json
from chef.select import Selection

ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1", "gamma[fast]; sys_platform == 'linux'"]

[project.optional-dependencies]
docs = ["docsgen"]

[dependency-groups]
dev = ["devtool==1.0"]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"
"""


def recipe_of(tmp: Path, text: str, **selection: Any) -> str:
    root = tmp / f"p{len(list(tmp.iterdir()))}"
    write(root / "pyproject.toml", text)
    return prepare(root, selection=Selection(**selection)).text


def kinds(old: str, new: str) -> List[str]:
    return [f"{c.area}:{c.change}:{c.name}" for c in diff_texts(old, new)]


def test_identical(tmp_path: Path) -> None:
    a = recipe_of(tmp_path, PYPROJECT)
    assert diff_texts(a, a) == []
    assert "identical" in render_text([], "a", "b")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"alpha>=1"', '"alpha>=2"', "requirements:changed:alpha"),
        ('"alpha>=1", ', '"alpha>=1", "zeta", ', "requirements:added:zeta"),
        ('"alpha>=1", ', "", "requirements:removed:alpha>=1"),
        ("sys_platform == 'linux'", "sys_platform == 'darwin'", "requirements:changed:gamma"),
        ('requires-python = ">=3.9"', 'requires-python = ">=3.10"',
         "requires-python:changed:requires-python"),
        ('requires = ["tinybuild"]', 'requires = ["tinybuild>=2"]',
         "build-requires:added:build requirement tinybuild>=2"),
        ('[build-system]', '[tool.uv]\nindex-url = "https://index.invalid/simple"\n\n'
         '[build-system]', "index:changed:index-url"),
    ],
)
def test_each_kind_of_change_is_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    a = recipe_of(tmp_path, PYPROJECT)
    assert old in PYPROJECT
    b = recipe_of(tmp_path, PYPROJECT.replace(old, new))
    assert expected in kinds(a, b)


def test_selection_changes(tmp_path: Path) -> None:
    a = recipe_of(tmp_path, PYPROJECT)
    b = recipe_of(tmp_path, PYPROJECT, extras=("docs",), groups=("dev",))
    got = kinds(a, b)
    assert "selection:added:extra docs" in got and "selection:added:group dev" in got
    assert "requirements:added:devtool==1.0" in got


def _locked_recipe(**packages: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "format": 1, "manager": "uv", "requires_python": None,
        "selection": {"extras": [], "groups": [], "packages": []},
        "index": {"index_url": None, "extra_index_urls": [], "find_links": [], "no_index": False,
                  "pre": False},
        "local_packages": [], "constraints": [],
        "roots": [{"name": n} for n in sorted(packages)],
        "locked": [
            {"key": n, "name": n, "dependencies": [], "extras": {}, **p}
            for n, p in sorted(packages.items())
        ],
    }


def _pkg(version: str, hashes: List[str], url: str | None = None) -> Dict[str, Any]:
    source: Dict[str, Any] = {"kind": "registry"}
    if url:
        source["url"] = url
    return {"version": version, "hashes": hashes, "source": source}


def test_locked_package_changes() -> None:
    h1, h2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    old = _locked_recipe(alpha=_pkg("1.0", [h1]), beta=_pkg("1.0", [h1]))
    new = _locked_recipe(alpha=_pkg("2.0", [h2]), gamma=_pkg("1.0", []),
                         beta=_pkg("1.0", [h1], "https://index.invalid/simple"),
                         zeta=_pkg("1.0", []))
    new["locked"][0]["dependencies"] = [{"name": "zeta", "marker": 'os_name == "nt"'}]
    changes = diff_texts(canonical_json(old), canonical_json(new))
    text = render_text(changes, "old.json", "new.json")
    assert "~alpha (version 1.0 -> 2.0; hashes changed (1 added, 1 removed); " \
           "dependency +zeta; os_name == \"nt\")" in text
    assert "~beta (source default index -> registry https://index.invalid/simple)" in text
    assert "+gamma 1.0 (from default index)" in text
    data = json.loads(render_json(changes, "old.json", "new.json"))
    assert data["identical"] is False
    alpha = next(c for c in data["changes"] if c["name"] == "alpha")
    assert alpha["old"]["version"] == "1.0" and alpha["new"]["version"] == "2.0"


def test_locked_package_extras_and_key_changes() -> None:
    """A locked package's extras (one appears, one goes, one's edge changes) and a key that
    changes alone (pair by name: name -> name==version when a second version appears)."""
    h1 = "sha256:" + "a" * 64
    old = _locked_recipe(alpha=_pkg("1.0", [h1]), beta=_pkg("1.0", [h1]), zeta=_pkg("1.0", []))
    new = _locked_recipe(alpha=_pkg("1.0", [h1]), beta=_pkg("1.0", [h1]), zeta=_pkg("1.0", []))
    old["locked"][0]["extras"] = {"fast": [{"name": "zeta"}], "slow": [{"name": "zeta"}]}
    new["locked"][0]["extras"] = {"fast": [{"name": "zeta", "marker": 'os_name == "nt"'}],
                                  "quick": [{"name": "zeta"}]}
    new["locked"][1]["key"] = new["roots"][1]["key"] = "beta==1.0"
    changes = [c for c in diff_texts(canonical_json(old), canonical_json(new))
               if c.area == "packages"]
    assert [(c.change, c.name, c.detail) for c in changes] == [
        ("changed", "alpha", 'extra fast dependency ~zeta (marker none -> os_name == "nt"); '
         "extra quick now selected; extra slow no longer selected"),
        ("changed", "beta", "key beta -> beta==1.0"),
    ]


def test_a_hash_only_change_is_a_package_change(tmp_path: Path) -> None:
    """Same version, same source, other hashes (a re-uploaded file, a wheel added to the lock):
    what gets installed may differ, so the diff names the package and its hashes, not "bytes"."""
    h1, h2, h3 = ("sha256:" + c * 64 for c in "abc")
    old = canonical_json(_locked_recipe(alpha=_pkg("1.0", [h1]), beta=_pkg("1.0", [h1])))
    new = canonical_json(_locked_recipe(alpha=_pkg("1.0", [h2, h3]), beta=_pkg("1.0", [h1])))
    changes = diff_texts(old, new)
    assert [(c.area, c.change, c.name, c.detail) for c in changes] == [
        ("packages", "changed", "alpha", "hashes changed (2 added, 1 removed)")]
    assert changes[0].old["hashes"] == [h1] and changes[0].new["hashes"] == [h2, h3]
    write(tmp_path / "old.json", old)
    write(tmp_path / "new.json", new)
    done = chef("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    assert done.returncode == errors.EXIT_DIFFERENT, done.stderr
    assert "packages:\n  ~alpha (hashes changed (2 added, 1 removed))" in done.stdout
    assert "bytes" not in done.stdout
    done = chef("diff", "--json", str(tmp_path / "old.json"), str(tmp_path / "new.json"))
    assert done.returncode == errors.EXIT_DIFFERENT
    assert [(c["area"], c["name"]) for c in json.loads(done.stdout)["changes"]] == [
        ("packages", "alpha")]


def test_a_hash_only_change_of_a_hashed_requirement(tmp_path: Path) -> None:
    """The unlocked side: a requirements file pinned with --hash whose hash alone changes."""
    h1, h2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    texts = []
    for i, digest in enumerate((h1, h2)):
        root = tmp_path / f"r{i}"
        write(root / "requirements.txt", f"alpha==1.0 --hash={digest}\nbeta==1.0 --hash={h1}\n")
        texts.append(prepare(root).text)
    changes = diff_texts(*texts)
    assert [(c.area, c.change, c.name, c.detail) for c in changes] == [
        ("requirements", "changed", "alpha", "hashes changed (1 added, 1 removed)")]


def test_same_content_other_bytes_still_misses(tmp_path: Path) -> None:
    a = recipe_of(tmp_path, PYPROJECT)
    b = json.dumps(json.loads(a))  # valid, same data, not canonical
    changes = diff_texts(a, b)
    assert [c.area for c in changes] == ["bytes"]


# ---------------------------------------------------------------- command line


def test_diff_command_exit_codes_and_json(tmp_path: Path) -> None:
    write(tmp_path / "a.json", recipe_of(tmp_path, PYPROJECT))
    write(tmp_path / "b.json", recipe_of(tmp_path, PYPROJECT.replace("alpha>=1", "alpha>=2")))
    same = chef("diff", str(tmp_path / "a.json"), str(tmp_path / "a.json"))
    assert same.returncode == 0 and "identical" in same.stdout
    done = chef("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert done.returncode == errors.EXIT_DIFFERENT
    assert "~alpha (specifier >=1 -> >=2)" in done.stdout
    done = chef("diff", "--json", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert done.returncode == errors.EXIT_DIFFERENT
    assert json.loads(done.stdout)["changes"][0]["name"] == "alpha"


@pytest.mark.parametrize("content", [None, "{", "\xff", '{"format": 99}', "[]"])
def test_diff_bad_input_is_one_line_exit_4(tmp_path: Path, content: str | None) -> None:
    write(tmp_path / "a.json", recipe_of(tmp_path, PYPROJECT))
    bad = tmp_path / "bad.json"
    if content == "\xff":
        bad.write_bytes(b"\xff\xfe")
    elif content is not None:
        bad.write_text(content)
    done = chef("diff", str(tmp_path / "a.json"), str(bad))
    assert done.returncode == errors.EXIT_RECIPE
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"chef: error: {bad}")


def test_check_command(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write(project / "pyproject.toml", PYPROJECT)
    recipe = project / "recipe.json"
    missing = chef("check", "--project-dir", str(project), "--recipe-path", str(recipe))
    assert missing.returncode == errors.EXIT_RECIPE and "chef prepare" in missing.stderr
    assert chef("prepare", "--project-dir", str(project), "--recipe-path", str(recipe),
                "--group", "dev").returncode == 0
    ok = chef("check", "--project-dir", str(project), "--recipe-path", str(recipe),
              "--group", "dev")
    assert ok.returncode == 0, ok.stderr
    assert "up to date" in ok.stderr
    # Same files, other selection: the committed recipe is not what prepare would write.
    other = chef("check", "--project-dir", str(project), "--recipe-path", str(recipe))
    assert other.returncode == errors.EXIT_DIFFERENT
    assert "-group dev" in other.stdout and "out of date" in other.stderr
    write(project / "pyproject.toml", PYPROJECT.replace('"alpha>=1", ', '"alpha>=1", "zeta", '))
    done = chef("check", "--project-dir", str(project), "--recipe-path", str(recipe),
                "--group", "dev")
    assert done.returncode == errors.EXIT_DIFFERENT
    assert "+zeta" in done.stdout
    assert recipe.read_text() == recipe.read_text()  # check never writes
    as_json = chef("check", "--project-dir", str(project), "--recipe-path", str(recipe),
                   "--group", "dev", "--json")
    assert json.loads(as_json.stdout)["identical"] is False


def test_pre_commit_hook_definition() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert re.search(r"^- id: chef-check$", text, re.M)
    assert re.search(r"^  entry: chef check$", text, re.M)
    assert re.search(r"^  language: python$", text, re.M)
    assert re.search(r"^  pass_filenames: false$", text, re.M)
    files = re.search(r"^  files: (.+)$", text, re.M)
    assert files is not None
    pattern = re.compile(files.group(1))
    for path in ("pyproject.toml", "uv.lock", "sub/poetry.lock", "Pipfile", "Pipfile.lock",
                 "requirements.txt", "requirements/dev.in", "recipe.json", "pylock.toml",
                 "pylock.dev.toml", "pdm.lock", "setup.cfg"):
        assert pattern.search(path), path
    for path in ("README.md", "src/app.py"):
        assert not pattern.search(path), path
