"""`${NAME}` placeholders in every URL field of a recipe reach the installer filled in from
cook's environment: the index URL, extra index URLs, find-links, the registry sources of locked
packages (uv.lock, poetry.lock, pdm, Pipfile.lock, pylock.toml), and build constraints.

prepare keeps each placeholder as written (the recipe holds no value and no secret); cook fills
it in. Each test prepares a project of one manager, cooks it in-process with the installer
replaced by a recorder (its argv, its environment and the files named on its command line), and
looks for the filled-in URL there. A field cook forgot to expand reaches the installer as
`${NAME}` literally: the installer would ask a host called `${NAME}`, or fail.

Build constraints are the exception: they reach the installer in a constraints file, whose
`${NAME}` pip and uv expand themselves (as in any requirements file); the test checks that the
placeholder is written there as is, that the variable is in the installer's environment, and
(with the real installers) that they do expand it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest
from conftest import write
from lockfixtures import (
    Scenario,
    pdm_project,
    poetry_project,
    pylock_project,
)

from chef.cook import installers
from chef.cook.plan import Overrides
from chef.cook.run import TargetSpec, cook
from chef.prepare import prepare_to_file

SECRET = "tok-5e3c1a9b7d"
ENV = {
    "IDX_USER": "me",
    "IDX_TOKEN": SECRET,
    "MAIN_HOST": "main.invalid",
    "EXTRA_HOST": "extra.invalid",
    "EXTRA2_HOST": "extra2.invalid",
    "LINKS_HOST": "links.invalid",
    "LOCK_HOST": "lock.invalid",
    "BUILD_HOST": "build.invalid",
}
MAIN = "https://${IDX_USER}:${IDX_TOKEN}@${MAIN_HOST}/simple"
EXTRA = "https://${EXTRA_HOST}/simple"
EXTRA2 = "https://${EXTRA2_HOST}/simple"
LINKS = "https://${LINKS_HOST}/wheels"
LOCKED = "https://${IDX_USER}:${IDX_TOKEN}@${LOCK_HOST}/simple"
NETRC_MAIN = f"machine main.invalid login me password {SECRET}"
NETRC_LOCK = f"machine lock.invalid login me password {SECRET}"


# Where an installer can be given an index URL or find-links: its options, and its variables.
URL_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--default-index", "--index",
               "-i", "-f")
URL_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "UV_INDEX_URL",
                 "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS")


@dataclass
class Call:
    argv: List[str]
    env: Dict[str, str]
    files: Dict[str, str]  # argv items that are files (requirements, constraints) -> their text

    def urls(self) -> Set[str]:
        """Every index URL and find-links the installer was given, on its command line or in
        its URL variables (so the test holds however cook chooses to pass them)."""
        found = {v for o, v in zip(self.argv, self.argv[1:]) if o in URL_OPTIONS}
        found |= {a.split("=", 1)[1] for a in self.argv
                  if a.startswith("--") and a.split("=", 1)[0] in URL_OPTIONS and "=" in a}
        for name in URL_VARIABLES:
            for item in self.env.get(name, "").replace(",", " ").split():
                head, eq, tail = item.partition("=")
                found.add(tail if eq and "://" not in head else item)
        return found

    def requirements(self) -> str:
        return "".join(self.files.values())


@dataclass
class Seen:
    """What the installer was given, over every call cook made."""

    calls: List[Call] = field(default_factory=list)
    netrc: List[str] = field(default_factory=list)

    def urls(self) -> Set[str]:
        return {u for c in self.calls for u in c.urls()}

    def args(self) -> str:
        return "\n".join(" ".join(c.argv) for c in self.calls)


def cook_recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, recipe: Path,
                  installer: str = "pip", build_deps: bool = False) -> Seen:
    seen = Seen()

    def fake_run(argv: Any, what: str, quiet: bool, *args: Any, **kwargs: Any) -> None:
        env = kwargs.get("env") or (args[0] if args else None) or dict(os.environ)
        files = {str(a): Path(str(a)).read_text("utf-8") for a in argv
                 if str(a).endswith(".txt") and os.path.isfile(str(a))}
        seen.calls.append(Call([str(a) for a in argv], dict(env), files))
        if env.get("NETRC") and os.path.isfile(env["NETRC"]):
            seen.netrc.append(Path(env["NETRC"]).read_text("utf-8"))

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.delenv("CHEF_CREDENTIALS_FILE", raising=False)
    monkeypatch.setattr(installers, "run", fake_run)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), venv / "bin" / "python")
    printed: List[str] = []
    cook(recipe, TargetSpec(venv=venv), installer=installer, build_deps=build_deps,
         overrides=Overrides(), echo=printed.append)
    assert seen.calls, "the installer was not called"
    assert not any(SECRET in line for line in printed), printed
    assert SECRET not in seen.args()
    return seen


def recipe_of(root: Path, **kwargs: Any) -> Path:
    recipe = root / "recipe.json"
    prepare_to_file(root, recipe, **kwargs)
    assert SECRET not in recipe.read_text("utf-8")
    return recipe


def _no_placeholder_reached(seen: Seen) -> None:
    assert not any("${" in u for u in seen.urls()), seen.urls()
    assert not any("${" in a for c in seen.calls for a in c.argv), seen.args()


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_requirements_index_extra_indexes_and_find_links(
    installer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    root = tmp_path / "p"
    write(root / "requirements.txt",
          f"--index-url {MAIN}\n--extra-index-url {EXTRA}\n--extra-index-url {EXTRA2}\n"
          f"--find-links {LINKS}\nalpha==1.0\n")
    recipe = recipe_of(root)
    index = json.loads(recipe.read_text("utf-8"))["index"]
    assert (index["index_url"], index["extra_index_urls"], index["find_links"]) == (
        MAIN, sorted([EXTRA, EXTRA2]), [LINKS])  # kept as written (extra indexes sorted)
    seen = cook_recorded(monkeypatch, tmp_path, recipe, installer)
    assert seen.urls() == {"https://main.invalid/simple", "https://extra.invalid/simple",
                           "https://extra2.invalid/simple", "https://links.invalid/wheels"}
    assert any(NETRC_MAIN in text for text in seen.netrc), seen.netrc
    _no_placeholder_reached(seen)


def test_pdm_sources_are_the_index_and_extra_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    """pdm expands `${NAME}` in [[tool.pdm.source]] urls; the first is the index, the others
    extra indexes."""
    root = pdm_project(tmp_path / "p", Scenario(index=MAIN, remote=False))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8").replace(
        "[build-system]",
        f'[[tool.pdm.source]]\nname = "extra"\nurl = "{EXTRA}"\n\n[build-system]'), "utf-8")
    recipe = recipe_of(root, frozen=True)
    index = json.loads(recipe.read_text("utf-8"))["index"]
    assert (index["index_url"], index["extra_index_urls"]) == (MAIN, [EXTRA])
    seen = cook_recorded(monkeypatch, tmp_path, recipe)
    assert seen.urls() == {"https://main.invalid/simple", "https://extra.invalid/simple"}
    assert any(NETRC_MAIN in text for text in seen.netrc), seen.netrc
    _no_placeholder_reached(seen)


def _locked_sources(recipe: Path) -> List[Optional[str]]:
    return sorted({p["source"].get("url") or "" for p in json.loads(recipe.read_text("utf-8"))
                   ["locked"] if p["source"]["kind"] == "registry"})


def _check_locked(seen: Seen) -> None:
    """Every locked registry package is installed from the filled-in index."""
    assert seen.urls() == {"https://lock.invalid/simple"}, seen.args()
    assert any(NETRC_LOCK in text for text in seen.netrc), seen.netrc
    _no_placeholder_reached(seen)


@pytest.mark.parametrize("manager", ["poetry", "pylock"])
def test_locked_registry_sources_of_poetry_and_pylock(
    manager: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    make = {"poetry": poetry_project, "pylock": pylock_project}[manager]
    root = make(tmp_path / "p", Scenario(index=LOCKED, remote=False))
    recipe = recipe_of(root, frozen=True)
    assert _locked_sources(recipe) == [LOCKED]
    _check_locked(cook_recorded(monkeypatch, tmp_path, recipe))


UV_PYPROJECT = f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha", "beta"]

[[tool.uv.index]]
name = "private"
url = "{LOCKED}"
explicit = true

[tool.uv.sources]
alpha = {{ index = "private" }}
"""

UV_LOCK = f"""\
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [{{ name = "alpha" }}, {{ name = "beta" }}]

[[package]]
name = "alpha"
version = "1.0"
source = {{ registry = "{LOCKED}" }}
wheels = [{{ url = "https://lock.invalid/files/alpha-1.0-py3-none-any.whl", hash = "sha256:01" }}]

[[package]]
name = "beta"
version = "1.0"
source = {{ registry = "https://index.invalid/simple" }}
wheels = [{{ url = "https://files.index.invalid/beta-1.0-py3-none-any.whl", hash = "sha256:02" }}]
"""


def test_locked_registry_source_of_a_uv_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    root = tmp_path / "p"
    write(root / "pyproject.toml", UV_PYPROJECT)
    write(root / "uv.lock", UV_LOCK)
    recipe = recipe_of(root, frozen=True)
    assert _locked_sources(recipe) == ["", LOCKED]
    seen = cook_recorded(monkeypatch, tmp_path, recipe)
    (alpha,) = [c for c in seen.calls if "alpha==1.0" in c.requirements()]
    assert alpha.urls() == {"https://lock.invalid/simple"}, alpha.argv
    assert seen.urls() == {"https://lock.invalid/simple"}  # beta: the installer's default
    assert any(NETRC_LOCK in text for text in seen.netrc), seen.netrc
    _no_placeholder_reached(seen)


def test_locked_registry_source_of_a_pipfile_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    """pipenv expands `${NAME}` in a [[source]] url; a package locked to the second source is
    installed from it, the first source is the index."""
    root = tmp_path / "p"
    write(root / "Pipfile",
          f'[[source]]\nname = "main"\nurl = "{MAIN}"\nverify_ssl = true\n\n'
          f'[[source]]\nname = "private"\nurl = "{LOCKED}"\nverify_ssl = true\n\n'
          '[packages]\nalpha = {version = "*", index = "private"}\nbeta = "*"\n')
    digest = "sha256:" + "0" * 64
    lock = {
        "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {},
                  "sources": [{"name": "main", "url": MAIN, "verify_ssl": True},
                              {"name": "private", "url": LOCKED, "verify_ssl": True}]},
        "default": {"alpha": {"hashes": [digest], "index": "private", "version": "==1.0"},
                    "beta": {"hashes": [digest], "index": "main", "version": "==1.0"}},
        "develop": {},
    }
    write(root / "Pipfile.lock", json.dumps(lock))
    recipe = recipe_of(root, frozen=True)
    assert _locked_sources(recipe) == ["", LOCKED]
    assert json.loads(recipe.read_text("utf-8"))["index"]["index_url"] == MAIN
    seen = cook_recorded(monkeypatch, tmp_path, recipe)
    (alpha,) = [c for c in seen.calls if "alpha==1.0" in c.requirements()]
    assert alpha.urls() == {"https://lock.invalid/simple"}, alpha.argv
    assert seen.urls() == {"https://main.invalid/simple", "https://lock.invalid/simple"}
    assert any(NETRC_LOCK in t and NETRC_MAIN in t for t in seen.netrc), seen.netrc
    _no_placeholder_reached(seen)


BUILD_WHEEL = "https://${BUILD_HOST}/files/tinybuild-1.0-py3-none-any.whl"


def test_build_constraints_keep_the_placeholder_for_the_installer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    root = tmp_path / "p"
    write(root / "pyproject.toml",
          '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["alpha"]\n\n'
          '[build-system]\nrequires = ["tinybuild", "helper"]\nbuild-backend = "tinybuild"\n')
    write(root / "build-constraints.txt", f"tinybuild @ {BUILD_WHEEL}\n")
    write(root / "app" / "__init__.py", "")
    recipe = recipe_of(root, build_constraints=["build-constraints.txt"])
    constraints = json.loads(recipe.read_text("utf-8"))["build_constraints"]
    assert [c.get("url") for c in constraints] == [BUILD_WHEEL]
    seen = cook_recorded(monkeypatch, tmp_path, recipe, build_deps=True)
    (build,) = [c for c in seen.calls if f"tinybuild @ {BUILD_WHEEL}\n" in c.files.values()]
    # Written as is into the constraints file, which the installer expands from its environment.
    assert "helper\ntinybuild\n" in build.files.values()  # the build requirements, beside
    assert build.env.get("BUILD_HOST") == "build.invalid"


@pytest.mark.slow
@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_the_installers_expand_a_placeholder_in_a_constraints_file(
    installer: str, tmp_path: Path, wheelhouse: Path, isolated_env: Dict[str, str]
) -> None:
    """What the test above relies on: pip and uv fill in `${NAME}` in a constraints file (a
    dry run of the real installers, offline, against a file URL of the test wheelhouse)."""
    write(tmp_path / "requirements.txt", "tinybuild\n")
    write(tmp_path / "constraints.txt",
          "tinybuild @ file://${WHEELS_DIR}/tinybuild-1.0-py3-none-any.whl\n")
    env = {**os.environ, "WHEELS_DIR": str(wheelhouse)}
    if installer == "pip":
        argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                "--ignore-installed", "-r", "requirements.txt", "-c", "constraints.txt"]
    else:
        uv = installers.find_uv()
        assert uv is not None
        argv = [uv, "pip", "install", "--dry-run", "--no-index", "--python", sys.executable,
                "--reinstall", "-r", "requirements.txt", "-c", "constraints.txt"]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tinybuild" in (done.stdout + done.stderr).lower()
    unset = subprocess.run(argv, cwd=tmp_path, env={**env, "WHEELS_DIR": str(tmp_path)},
                           capture_output=True, text=True, check=False)
    assert unset.returncode != 0  # the other directory has no such wheel: the value was used
