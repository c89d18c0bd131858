from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import write
from stability_helpers import recipe_text

from chef.errors import RecipeError
from chef.recipe import FORMAT, canonical_json, dumps, load, loads, write_atomic

PYPROJECT = '[project]\nname = "p"\nversion = "1"\ndependencies = ["six>=1", "idna"]\n'


def test_canonical_json(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    text = recipe_text(tmp_path)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["format"] == FORMAT
    assert canonical_json(data) == text
    assert dumps(loads(text)) == text  # round trip


def test_unknown_future_format(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", PYPROJECT)
    data = json.loads(recipe_text(tmp_path))
    data["format"] = FORMAT + 1
    with pytest.raises(RecipeError, match="newer than this chef"):
        loads(json.dumps(data))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["roots"].append({"name": "--index-url=http://evil"}), "package name"),
        (lambda d: d["local_packages"][0].update(path="../outside"), "inside the project"),
        (lambda d: d["local_packages"][0].update(path="/abs"), "inside the project"),
        (lambda d: d["index"].update(index_url="-i http://x"), "URL"),
        (lambda d: d["local_packages"][0]["build_requires"].append("--pre"), "invalid requirement"),
        (lambda d: d["roots"].append({"name": "x", "marker": "os_name == "}), "marker"),
        (lambda d: d.update(extra_field=1), "unknown field"),
        (lambda d: d.pop("roots"), "missing field"),
        (lambda d: d["roots"].append({"name": "x", "url": "https://a b"}), "URL"),
    ],
)
def test_validation(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "pyproject.toml", PYPROJECT)
    data = json.loads(recipe_text(tmp_path))
    mutate(data)
    with pytest.raises(RecipeError, match=message):
        loads(json.dumps(data))


def test_unreadable_recipe(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not found"):
        load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RecipeError, match="not valid JSON"):
        load(tmp_path / "bad.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe")
    with pytest.raises(RecipeError, match="UTF-8"):
        load(tmp_path / "bin.json")


def test_write_atomic_leaves_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "recipe.json"
    target.write_text("old\n")

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(RecipeError, match="cannot write the recipe: disk full"):
        write_atomic(target, "new\n")  # one line, exit 4: not a traceback
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["recipe.json"]


def test_write_atomic_gives_the_usual_permissions(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a build stage running as another user must be able to read it."""
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "recipe.json", "{}\n")
    finally:
        os.umask(old)
    assert (tmp_path / "recipe.json").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["recipe.json"]


def test_write_atomic_writes_into_a_fifo_instead_of_replacing_it(tmp_path: Path) -> None:
    """--recipe-path /dev/null (or /dev/stdout, a FIFO): written into, never renamed over. The
    rename replaced /dev/null itself with a regular file when chef ran as root."""
    import stat
    import threading

    fifo = tmp_path / "recipe.fifo"
    os.mkfifo(fifo)
    received: list = []  # type: ignore[type-arg]
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "{}\n")
    reader.join(timeout=30)
    assert received == ["{}\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["recipe.fifo"]


def test_write_atomic_keeps_a_symlink(tmp_path: Path) -> None:
    """A symlinked recipe.json (or /dev/stdout redirected to a file) keeps its link: the file it
    points at is replaced atomically, as any recipe is."""
    (tmp_path / "real.json").write_text("old\n")
    (tmp_path / "recipe.json").symlink_to("real.json")
    write_atomic(tmp_path / "recipe.json", "{}\n")
    assert (tmp_path / "recipe.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.json", "recipe.json"]


def test_write_atomic_replaces_a_link_out_of_the_project(tmp_path: Path) -> None:
    """A repository that ships `recipe.json -> ../victim/important.conf`: prepare (told the
    project directory) replaces the link with a regular file; the victim is never written."""
    project, victim = tmp_path / "app", tmp_path / "victim"
    project.mkdir()
    victim.mkdir()
    (victim / "important.conf").write_text("keep me\n")
    (project / "recipe.json").symlink_to("../victim/important.conf")
    write_atomic(project / "recipe.json", "{}\n", project=project)
    assert (victim / "important.conf").read_text() == "keep me\n"
    assert not (project / "recipe.json").is_symlink()
    assert (project / "recipe.json").read_text() == "{}\n"
    # the same through a relative project path and a relative recipe path
    (project / "recipe.json").unlink()
    (project / "recipe.json").symlink_to(victim / "important.conf")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        write_atomic(Path("app/recipe.json"), "{}\n", project=Path("app"))
    finally:
        os.chdir(cwd)
    assert (victim / "important.conf").read_text() == "keep me\n"
    assert not (project / "recipe.json").is_symlink()


def test_write_atomic_never_writes_a_device_through_a_link_in_the_project(tmp_path: Path) -> None:
    """A link in the project to a device outside it is replaced, not written into; the device
    named directly (outside the project) is still written into."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "recipe.json").symlink_to(os.devnull)
    write_atomic(project / "recipe.json", "{}\n", project=project)
    assert not (project / "recipe.json").is_symlink()
    assert (project / "recipe.json").read_text() == "{}\n"
    write_atomic(Path(os.devnull), "{}\n", project=project)
    assert Path(os.devnull).is_char_device()


def test_write_atomic_refuses_a_linked_directory_out_of_the_project(tmp_path: Path) -> None:
    project, victim = tmp_path / "app", tmp_path / "victim"
    project.mkdir()
    victim.mkdir()
    (project / "out").symlink_to(victim)
    with pytest.raises(RecipeError, match="leads outside the project") as info:
        write_atomic(project / "out" / "recipe.json", "{}\n", project=project)
    assert "\n" not in str(info.value)
    assert list(victim.iterdir()) == []


def test_write_atomic_follows_links_inside_the_project_and_paths_outside(tmp_path: Path) -> None:
    project = tmp_path / "app"
    (project / "build").mkdir(parents=True)
    (project / "build" / "recipe.json").write_text("old\n")
    (project / "recipe.json").symlink_to("build/recipe.json")
    write_atomic(project / "recipe.json", "{}\n", project=project)
    assert (project / "recipe.json").is_symlink()
    assert (project / "build" / "recipe.json").read_text() == "{}\n"
    # outside the project: as always (the target is replaced, the link stays)
    (tmp_path / "real.json").write_text("old\n")
    (tmp_path / "elsewhere.json").symlink_to("real.json")
    write_atomic(tmp_path / "elsewhere.json", "{}\n", project=project)
    assert (tmp_path / "elsewhere.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "{}\n"


def test_an_edge_to_a_package_missing_from_locked_is_a_bad_recipe() -> None:
    """Found by tests/badinput/test_fuzz_recipe.py: a locked package deleted from the recipe made
    cook say "re-lock the project" (exit 3) instead of "invalid recipe" (exit 4)."""
    package = {"dependencies": [{"name": "beta"}], "extras": {}, "hashes": [], "key": "alpha",
               "name": "alpha", "source": {"kind": "registry"}, "version": "1.0"}
    data = {"constraints": [], "format": FORMAT, "local_packages": [], "manager": "uv",
            "index": {"extra_index_urls": [], "find_links": [], "index_url": None,
                      "no_index": False, "pre": False},
            "locked": [package], "requires_python": None, "roots": [{"name": "alpha"}],
            "selection": {"extras": [], "groups": [], "packages": []}}
    with pytest.raises(RecipeError, match="locked alpha: no locked package 'beta'") as info:
        loads(json.dumps(data))
    assert info.value.exit_code == 4
    package["dependencies"] = []
    data["roots"] = [{"name": "alpha"}, {"extras": ["x"], "name": "gamma"}]
    with pytest.raises(RecipeError, match="roots: no locked package 'gamma'"):
        loads(json.dumps(data))
    data["roots"] = [{"name": "alpha"}]
    assert loads(json.dumps(data)).locked is not None
