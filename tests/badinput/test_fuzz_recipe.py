"""recipe.json is input too (it crosses a Docker build boundary and may be edited or forged):
loading validates every field before any of it reaches an installer.

Property: any text either fails to load with a one-line RecipeError (exit code 4, naming the
file), or loads into a recipe whose install plan renders only safe installer input: requirement
lines that cannot be read as options or split into several lines, and option values that cannot
be read as options.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from badinput_helpers import check_error, nasty_strings
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_readers import _paths, _set

from chef import errors
from chef.cook import installers
from chef.cook.plan import InstallPlan, Overrides, plan
from chef.errors import ChefError, RecipeError
from chef.prepare import prepare
from chef.recipe import dumps, loads
from chef.select import Selection

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)

ENV = {
    "implementation_name": "cpython", "implementation_version": "3.11.7", "os_name": "posix",
    "platform_machine": "x86_64", "platform_release": "6.0", "platform_system": "Linux",
    "platform_version": "#1", "python_full_version": "3.11.7",
    "platform_python_implementation": "CPython", "python_version": "3.11", "sys_platform": "linux",
}

INJECTIONS = [
    "--index-url=https://evil.invalid/simple", "-e .", "foo --index-url https://evil.invalid/s",
    "os_name == ' --index-url=https://evil.invalid/simple'", "os_name == ' #x'",
    "1.0\n", "1.0 --pre", "https://index.invalid/x.whl\\", "https://index.invalid/x y.whl",
    "https://index.invalid/x'.whl", "../outside", "/abs/path", "C:/x", "\\\\server\\share",
    "file:///etc/passwd", "x\ny", "-", "--", "sha256:" + "0" * 64 + " --pre", ">=1 --pre",
    ">=1; os_name == 'nt'",
]


@pytest.fixture(scope="module")
def valid_recipes(tmp_path_factory: pytest.TempPathFactory, index) -> List[str]:  # type: ignore[no-untyped-def]
    """Recipes of every shape: locked (uv), unlocked with hashes, indexes and constraints."""
    from projects import make_locked_app

    base = tmp_path_factory.mktemp("recipes")
    app = make_locked_app(base / "app", index.url)
    out = [prepare(app, selection=Selection(all_extras=True, all_groups=True)).text]
    req = base / "req"
    write(req / "requirements.txt",
          "--index-url https://index.invalid/simple\n--extra-index-url https://x.invalid/simple\n"
          "--find-links wheels\n--pre\n-c constraints.txt\n"
          f"alpha==1.0 --hash=sha256:{'a' * 64}\n"
          "gamma[fast]>=1; sys_platform != 'win32'\n"
          "urlpkg @ https://files.index.invalid/urlpkg-1.0-py3-none-any.whl\n")
    write(req / "constraints.txt", "beta<2\n")
    (req / "wheels").mkdir()
    out.append(prepare(req).text)
    return out


def _safe_plan(result: InstallPlan) -> None:
    batches = result.batches + ([result.build_batch] if result.build_batch else [])
    for batch in batches:
        for line in batch.lines + batch.constraints:
            text = line.render()
            assert "\n" not in text and "\r" not in text and "\\" not in text, text
            tokens = text.split()
            assert not tokens[0].startswith("-"), text
            # After the requirement, only --hash options: nothing that pip/uv read as another
            # option, nothing that starts a comment.
            for token in tokens[1:]:
                assert not token.startswith("#"), text
                if token.startswith("-"):
                    assert token.startswith("--hash="), text
        files = installers.BatchFiles(Path("/tmp/req.txt"), Path("/tmp/c.txt"))
        for backend in (installers.UvBackend("uv"), installers.PipBackend()):
            argv = backend.install("/venv/bin/python", files, batch, False)
            for option, value in zip(argv, argv[1:]):
                if option in ("--index-url", "--extra-index-url", "--find-links"):
                    assert not value.startswith("-"), argv
                    assert "://" in value or value.startswith(("file:", "/")), argv


def _load_and_plan(text: str) -> None:
    try:
        recipe = loads(text, "recipe.json")
    except RecipeError as exc:
        message = check_error(exc, codes=(errors.EXIT_RECIPE,))
        assert exc.exit_code == errors.EXIT_RECIPE
        assert message.startswith("recipe.json")
        return
    try:
        result = plan(recipe, ENV, Overrides())
    except ChefError as exc:
        check_error_or_pathless(exc)
        return
    from chef.cook.urls import recipe_relative

    _safe_plan(recipe_relative(result, Path("/project/recipe.json")))


def check_error_or_pathless(exc: ChefError) -> None:
    text = str(exc)
    assert "\n" not in text and exc.exit_code in (errors.EXIT_RECIPE, errors.EXIT_ENVIRONMENT)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_random_text(text: str) -> None:
    _load_and_plan(text)


@FUZZ
@given(data=st.data())
def test_mutated_recipes(valid_recipes: List[str], data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(valid_recipes), label="recipe")
    tree = json.loads(text)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(tree)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        action = data.draw(st.sampled_from(["value", "string", "delete", "extra key"]),
                           label="action")
        if action == "delete":
            _set(tree, path, None, delete=True)
        elif action == "extra key":
            target: Any = tree
            for key in path[:-1]:
                target = target[key]
            if isinstance(target, dict):
                target["unexpected"] = 1
        elif action == "string":
            _set(tree, path, data.draw(st.sampled_from(INJECTIONS + nasty_strings()),
                                       label="string"))
        else:
            _set(tree, path, data.draw(st.one_of(
                st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                st.text(max_size=10), st.lists(st.text(max_size=5), max_size=2),
                st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
            ), label="value"))
    _load_and_plan(json.dumps(tree))


def test_valid_recipes_round_trip(valid_recipes: List[str]) -> None:
    for text in valid_recipes:
        assert dumps(loads(text)) == text
        _load_and_plan(text)


def _edge(**fields: Any) -> Dict[str, Any]:
    return {"name": "alpha", **fields}


INJECTED_EDGES: List[Tuple[str, Dict[str, Any]]] = [
    ("option as name", {"name": "--index-url=https://evil.invalid/simple"}),
    ("name with a newline", {"name": "alpha\n"}),
    ("hash with a newline", _edge(hashes=["sha256:" + "0" * 64 + "\n"])),
    ("key with a newline", _edge(key="alpha\n")),
    ("marker with an option", _edge(marker="os_name == ' --index-url=https://evil.invalid/s'")),
    ("marker with a comment", _edge(marker="os_name == ' #x'")),
    ("marker with a newline", _edge(marker="os_name == 'a\nb'")),
    ("specifier with an option", _edge(specifier=">=1 --pre")),
    ("url with a space", _edge(url="https://index.invalid/a b")),
    ("url with a backslash", _edge(url="https://index.invalid/a\\")),
    ("url not a url", _edge(url="--index-url=https://evil.invalid")),
    ("hash with an option", _edge(hashes=["sha256:00 --pre"])),
]


@pytest.mark.parametrize("edge", [e for _, e in INJECTED_EDGES], ids=[i for i, _ in INJECTED_EDGES])
def test_injected_edges_are_refused(valid_recipes: List[str], edge: Dict[str, Any]) -> None:
    data = json.loads(valid_recipes[1])
    data["roots"] = [edge]
    with pytest.raises(RecipeError) as info:
        loads(json.dumps(data), "recipe.json")
    check_error(info.value, codes=(errors.EXIT_RECIPE,))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("path", "../outside"), ("path", "/abs"), ("path", "C:/x"), ("path", "a\\..\\b"),
        ("path", "-e"), ("path", "a/../../b"), ("path", ""),
        ("build_requires", ["--index-url=https://evil.invalid"]),
        ("build_requires", ["tinybuild; os_name == ' --pre'"]),
        ("name", "-e"),
    ],
)
def test_local_package_fields_are_validated(
    valid_recipes: List[str], field: str, value: Any
) -> None:
    data = json.loads(valid_recipes[0])
    data["local_packages"][0][field] = value
    with pytest.raises(RecipeError) as info:
        loads(json.dumps(data), "recipe.json")
    check_error(info.value, codes=(errors.EXIT_RECIPE,))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "1.0\n"), ("version", "1.0 --pre"), ("version", " 1.0"),
        ("key", "--pre"), ("source", {"kind": "registry", "url": "-x"}),
        ("source", {"kind": "url", "url": "https://a.invalid/x y"}),
        ("source", {"kind": "registry", "url": "../wheels"}),
        ("source", {"kind": "shell", "url": "https://a.invalid"}),
    ],
)
def test_locked_package_fields_are_validated(
    valid_recipes: List[str], field: str, value: Any
) -> None:
    data = json.loads(valid_recipes[0])
    data["locked"][0][field] = value
    with pytest.raises(RecipeError) as info:
        loads(json.dumps(data), "recipe.json")
    check_error(info.value, codes=(errors.EXIT_RECIPE,))


def test_manager_is_a_plain_name(valid_recipes: List[str]) -> None:
    data = json.loads(valid_recipes[0])
    data["manager"] = "uv\x1b[31m"
    with pytest.raises(RecipeError):
        loads(json.dumps(data), "recipe.json")
