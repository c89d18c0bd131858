"""Build requirements beyond [build-system].requires, and build constraints, in the recipe:
hatch build hooks (by hatchling's rules), setup.cfg setup_requires, uv's
build-constraint-dependencies and `prepare --build-constraint`. What changes them changes the
recipe; what cannot change the build environment leaves it byte-identical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from conftest import CORPUS, write
from projects import edit
from stability_helpers import recipe_text

from chef.errors import InputError, RecipeError
from chef.prepare import prepare
from chef.recipe import dumps, loads

HATCH = """\
[project]
name = "app"
version = "0.1.0"
dependencies = ["six"]

[project.optional-dependencies]
speed = ["ujson"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.version]
path = "app/__init__.py"

[tool.hatch.build.hooks.mypyc]
dependencies = ["hatch-mypyc>=0.16"]
enable-by-default = false
require-runtime-features = ["speed"]

[tool.hatch.build.hooks.version]
path = "app/_version.py"

[tool.hatch.build.hooks.jupyter-builder]
dependencies = ["hatch-jupyter-builder>=0.5"]
build-function = "hatch_jupyter_builder.npm_builder"

[tool.hatch.build.targets.sdist.hooks.only-sdist]
dependencies = ["never-for-wheels"]
"""


def local(root: Path, **kw: Any) -> Dict[str, Any]:
    data = json.loads(recipe_text(root, **kw))
    (package,) = [p for p in data["local_packages"] if p["installable"]]
    return package  # type: ignore[no-any-return]


def test_hatch_hooks_by_hatchlings_rules(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH)
    package = local(tmp_path)
    # enable-by-default (the default): always needed; the sdist target's hooks never run for
    # a wheel; the version hook is built in and needs nothing.
    assert package["build_requires"] == ["hatch-jupyter-builder>=0.5", "hatchling"]
    # Off by default: keyed by the two variables that switch it on (NAME upper-cased as written);
    # require-runtime-features brings the extra's requirements along.
    assert package["build_requires_env"] == {
        "HATCH_BUILD_HOOKS_ENABLE": ["hatch-mypyc>=0.16", "ujson"],
        "HATCH_BUILD_HOOK_ENABLE_MYPYC": ["hatch-mypyc>=0.16", "ujson"],
    }


def test_hook_name_keeps_its_spelling_upper_cased(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH.replace(
        'dependencies = ["hatch-jupyter-builder>=0.5"]\n',
        'dependencies = ["hatch-jupyter-builder>=0.5"]\nenable-by-default = false\n',
    ))
    env = local(tmp_path)["build_requires_env"]
    assert env["HATCH_BUILD_HOOK_ENABLE_JUPYTER-BUILDER"] == ["hatch-jupyter-builder>=0.5"]
    assert "hatch-jupyter-builder>=0.5" in env["HATCH_BUILD_HOOKS_ENABLE"]


def test_wheel_target_hooks_replace_global_ones_and_add_dependencies(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH + """
[tool.hatch.build]
dependencies = ["build-wide"]

[tool.hatch.build.targets.wheel]
dependencies = ["wheel-only"]
require-runtime-dependencies = true

[tool.hatch.build.targets.wheel.hooks.mypyc]
dependencies = ["hatch-mypyc==0.17"]
""")
    package = local(tmp_path)
    # The target's mypyc table replaces the global one: on by default now, its own pin.
    assert package["build_requires"] == [
        "build-wide", "hatch-jupyter-builder>=0.5", "hatch-mypyc==0.17", "hatchling", "six",
        "wheel-only",
    ]
    assert "build_requires_env" not in package


def test_hatch_toml_replaces_the_build_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH)
    write(tmp_path / "hatch.toml", "[build.hooks.cython]\ndependencies = ['hatch-cython']\n"
          "enable-by-default = false\n")
    package = local(tmp_path)
    # hatchling updates [tool.hatch] with hatch.toml key by key: its [build] replaces all of
    # pyproject's [tool.hatch.build], hooks included.
    assert package["build_requires"] == ["hatchling"]
    assert package["build_requires_env"] == {
        "HATCH_BUILD_HOOKS_ENABLE": ["hatch-cython"],
        "HATCH_BUILD_HOOK_ENABLE_CYTHON": ["hatch-cython"],
    }


def test_hatch_tables_mean_nothing_to_other_backends(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH.replace(
        'requires = ["hatchling"]\nbuild-backend = "hatchling.build"',
        'requires = ["flit_core>=3"]\nbuild-backend = "flit_core.buildapi"',
    ))
    package = local(tmp_path)
    assert package["build_requires"] == ["flit-core>=3"]
    assert "build_requires_env" not in package


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('require-runtime-features = ["speed"]', 'require-runtime-features = ["nope"]',
         "feature 'nope' is not defined"),
        ('enable-by-default = false', 'enable-by-default = false\nrequire-runtime-dependencies = "yes"',
         "require-runtime-dependencies must be a boolean"),
        ('dependencies = ["hatch-mypyc>=0.16"]', 'dependencies = ["hatch mypyc >"]',
         "invalid requirement"),
        ('dependencies = ["hatch-mypyc>=0.16"]', 'dependencies = "hatch-mypyc"',
         "must be an array"),
    ],
)
def test_bad_hatch_configuration_is_one_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", HATCH.replace(old, new, 1))
    with pytest.raises(InputError, match=message) as info:
        recipe_text(tmp_path)
    assert "pyproject.toml" in str(info.value) and "\n" not in str(info.value)


def test_dynamic_runtime_dependencies_are_a_note(tmp_path: Path) -> None:
    # A lock reader takes dynamic dependencies from the lock; hatch's require-runtime-dependencies
    # then asks for what only the build computes: noted, left to install-project's check.
    from chef.model import LocalPackage, Project
    from chef.readers.build import complete

    text = HATCH.replace('dependencies = ["six"]\n', 'dynamic = ["dependencies"]\n', 1)
    text += "\n[tool.hatch.build.targets.wheel]\nrequire-runtime-dependencies = true\n"
    write(tmp_path / "pyproject.toml", text)
    project = Project(root=tmp_path, manager="uv")
    project.local_packages["app"] = LocalPackage("app", ".", build_requires=("hatchling",))
    complete(project)
    assert project.local_packages["app"].build_requires == (
        "hatch-jupyter-builder>=0.5", "hatchling"
    )
    assert any("dynamic" in note and "require-runtime-dependencies" in note
               for note in project.notes)


SETUP_CFG = """\
[metadata]
name = cfgapp
version = 1.0

[options]
install_requires = six
setup_requires =
    setuptools_scm>=6
    cython; python_version >= "3"
"""


def test_setup_requires_of_setup_cfg(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", SETUP_CFG)
    package = local(tmp_path)
    assert package["build_requires"] == [
        'cython; python_version >= "3"', "setuptools-scm>=6", "setuptools>=40.8.0"
    ]


def test_setup_requires_on_one_line_splits_at_semicolons(tmp_path: Path) -> None:
    # setuptools' own rule for a one-line list value (`_parse_list_semicolon`)
    write(tmp_path / "setup.cfg", SETUP_CFG.split("setup_requires")[0]
          + "setup_requires = setuptools_scm; wheel\n")
    write(tmp_path / "pyproject.toml",
          '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n')
    assert local(tmp_path)["build_requires"] == ["setuptools-scm", "setuptools>=61", "wheel"]


def test_setup_requires_of_a_pep621_project_with_setuptools(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n'
          '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n')
    write(tmp_path / "setup.cfg", "[options]\nsetup_requires = setuptools_scm\n")
    assert local(tmp_path)["build_requires"] == ["setuptools-scm", "setuptools>=61"]
    # Another backend never reads setup.cfg.
    edit(tmp_path / "pyproject.toml", "setuptools.build_meta", "flit_core.buildapi")
    assert local(tmp_path)["build_requires"] == ["setuptools>=61"]


UV = """\
[project]
name = "p"
version = "1"
dependencies = ["six"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.uv]
build-constraint-dependencies = ["hatchling<1.32", "packaging[extra]>=24; python_version >= '3.9'"]
"""


def test_uv_build_constraint_dependencies(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", UV)
    data = json.loads(recipe_text(tmp_path))
    # Constraints carry no extras (pip refuses them, they mean nothing there).
    assert data["build_constraints"] == [
        {"name": "hatchling", "specifier": "<1.32"},
        {"name": "packaging", "specifier": ">=24", "marker": 'python_version >= "3.9"'},
    ]
    assert dumps(loads(recipe_text(tmp_path))) == recipe_text(tmp_path)


def test_prepare_build_constraint_files(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "pyproject.toml",
          '[project]\nname = "lib"\nversion = "1"\n[build-system]\nrequires = ["hatchling"]\n'
          'build-backend = "hatchling.build"\n')
    write(tmp_path / "requirements.txt", "./lib\nsix\n")
    write(tmp_path / "build-constraints.txt", "# pins\nhatchling==1.27.0\n")
    write(tmp_path / "more.txt", "editables<1\n")
    result = prepare(tmp_path, build_constraints=["build-constraints.txt", "more.txt"])
    data = json.loads(result.text)
    assert data["build_constraints"] == [
        {"name": "editables", "specifier": "<1"}, {"name": "hatchling", "specifier": "==1.27.0"}
    ]
    assert "build-constraints.txt" in result.inputs


@pytest.mark.parametrize(
    "content, files, message",
    [
        ("-r other.txt\n", ["c.txt"], "option -r in a build constraints file"),
        ("hatchling >>> 1\n", ["c.txt"], "invalid requirement"),
        ("", ["missing.txt"], "build constraints file not found"),
    ],
)
def test_bad_build_constraint_files(tmp_path: Path, content: str, files: list, message: str) -> None:  # type: ignore[type-arg]
    write(tmp_path / "requirements.txt", "six\n")
    write(tmp_path / "c.txt", content)
    with pytest.raises(InputError, match=message):
        prepare(tmp_path, build_constraints=files)


def test_build_constraints_only_where_something_is_built(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six\n")
    write(tmp_path / "c.txt", "hatchling<2\n")
    assert "build_constraints" not in json.loads(prepare(tmp_path, build_constraints=["c.txt"]).text)


def test_recipes_without_them_keep_their_bytes(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n'
          '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    text = recipe_text(tmp_path)
    assert "build_requires_env" not in text and "build_constraints" not in text
    assert json.loads(text)["local_packages"][0] == {
        "build_requires": ["hatchling"], "installable": True, "name": "p", "path": ".",
        "requires": [],
    }


# ---------------------------------------------------------------- stability and sensitivity

Change = Callable[[Path], None]

STABLE: Dict[str, Change] = {
    "a hook's other options": lambda r: edit(r / "pyproject.toml", 'path = "app/_version.py"',
                                             'path = "app/_v.py"'),
    "the sdist target's hooks": lambda r: edit(r / "pyproject.toml", '"never-for-wheels"',
                                               '"still-never"'),
    "hatch envs and version": lambda r: (r / "pyproject.toml").write_text(
        (r / "pyproject.toml").read_text().replace('path = "app/__init__.py"', 'path = "x.py"')
        + '\n[tool.hatch.envs.default]\ndependencies = ["pytest"]\n'),
    "hook order and formatting": lambda r: (r / "pyproject.toml").write_text(
        (r / "pyproject.toml").read_text().replace(
            'dependencies = ["hatch-mypyc>=0.16"]\nenable-by-default = false',
            'enable-by-default   =   false\ndependencies = [ "hatch-mypyc >= 0.16" ]')),
    "a uv setting that is not a build constraint": lambda r: (r / "pyproject.toml").write_text(
        (r / "pyproject.toml").read_text() + '\n[tool.uv]\ncompile-bytecode = true\n'),
}

CHANGES: Dict[str, Change] = {
    "a hook's dependencies": lambda r: edit(r / "pyproject.toml", "hatch-mypyc>=0.16",
                                            "hatch-mypyc>=0.17"),
    "a hook switched on by default": lambda r: edit(r / "pyproject.toml",
                                                    "enable-by-default = false",
                                                    "enable-by-default = true"),
    "a new hook": lambda r: (r / "pyproject.toml").write_text(
        (r / "pyproject.toml").read_text()
        + '\n[tool.hatch.build.targets.wheel.hooks.vcs]\ndependencies = ["hatch-vcs"]\n'),
    "uv build constraints": lambda r: (r / "pyproject.toml").write_text(
        (r / "pyproject.toml").read_text()
        + '\n[tool.uv]\nbuild-constraint-dependencies = ["hatchling<1.32"]\n'),
    "a hatch.toml": lambda r: write(r / "hatch.toml", "[build]\ndependencies = ['cython']\n"),
}


@pytest.mark.parametrize("change", sorted(STABLE))
def test_stable(tmp_path: Path, change: str) -> None:
    write(tmp_path / "pyproject.toml", HATCH)
    before = recipe_text(tmp_path)
    STABLE[change](tmp_path)
    assert recipe_text(tmp_path) == before


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_sensitive(tmp_path: Path, change: str) -> None:
    write(tmp_path / "pyproject.toml", HATCH)
    before = recipe_text(tmp_path)
    CHANGES[change](tmp_path)
    assert recipe_text(tmp_path) != before


def test_build_constraint_file_edits_change_the_recipe(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", HATCH)
    write(tmp_path / "c.txt", "hatchling<2\n")
    before = prepare(tmp_path, build_constraints=["c.txt"]).text
    write(tmp_path / "c.txt", "# a comment\nhatchling <2\n")
    assert prepare(tmp_path, build_constraints=["c.txt"]).text == before
    write(tmp_path / "c.txt", "hatchling<1.32\n")
    assert prepare(tmp_path, build_constraints=["c.txt"]).text != before


# ---------------------------------------------------------------- validation


def _recipe(tmp_path: Path) -> Dict[str, Any]:
    write(tmp_path / "pyproject.toml", HATCH + '\n[tool.uv]\nbuild-constraint-dependencies = ["x<2"]\n')
    return json.loads(recipe_text(tmp_path))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["local_packages"][0]["build_requires_env"].update({"A=B": ["x"]}),
         "not an environment variable name"),
        (lambda d: d["local_packages"][0]["build_requires_env"].update({"X": ["--index-url=http://e"]}),
         "invalid requirement"),
        (lambda d: d["local_packages"][0].update(build_requires_env=["X"]), "expected dict"),
        (lambda d: d["build_constraints"].append({"name": "x", "hashes": ["sha256:00"]}),
         "a build constraint is a name"),
        (lambda d: d["build_constraints"].append({"name": "-x"}), "package name"),
        (lambda d: d["build_constraints"].append({"name": "x", "specifier": "<2 --pre"}),
         "specifier"),
    ],
)
def test_validation(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = _recipe(tmp_path)
    mutate(data)
    with pytest.raises(RecipeError, match=message):
        loads(json.dumps(data))


def test_round_trip(tmp_path: Path) -> None:
    data = _recipe(tmp_path)
    assert data["build_constraints"] == [{"name": "x", "specifier": "<2"}]
    text = recipe_text(tmp_path)
    assert dumps(loads(text)) == text


# ---------------------------------------------------------------- real projects


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent (a user's clone)")
def test_corpus_projects() -> None:
    def recipe(entry: str) -> Dict[str, Any]:
        return json.loads(prepare(CORPUS / entry, frozen=True).text)  # type: ignore[no-any-return]

    core = {p["name"]: p for p in recipe("jupyterlab__jupyterlab-git")["local_packages"]}
    assert "hatch-jupyter-builder>=0.5" in core["jupyterlab-git-core"]["build_requires"]
    assert recipe("pydantic__pydantic-ai")["build_constraints"] == [
        {"name": "hatchling", "specifier": "<1.32"}
    ]
    (dateutil,) = recipe("dateutil__dateutil")["local_packages"]
    assert "setuptools-scm" in dateutil["build_requires"]  # setup.cfg setup_requires


def test_diff_explains_build_changes(tmp_path: Path) -> None:
    from chef.diff import diff_texts, render_text

    write(tmp_path / "pyproject.toml", HATCH)
    before = recipe_text(tmp_path)
    CHANGES["a hook's dependencies"](tmp_path)
    CHANGES["uv build constraints"](tmp_path)
    text = render_text(diff_texts(before, recipe_text(tmp_path)), "old", "new")
    assert "+build requirement hatch-mypyc>=0.17 (when HATCH_BUILD_HOOKS_ENABLE)" in text
    assert "-build requirement hatch-mypyc>=0.16 (when HATCH_BUILD_HOOK_ENABLE_MYPYC)" in text
    assert "build-constraints:\n  +hatchling" in text
