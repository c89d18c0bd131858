"""Bad input never crashes chef: every reader registered in chef.detect.READERS (enumerated at
test time, so a reader added later is covered too), fed mutated versions of a valid project of its
format, ends either in a recipe or in a ChefError: one line, a documented exit code, naming the
file. Never another exception.

Mutations: random bytes, truncation, inserted non-UTF-8 bytes, wrong TOML/JSON types at any key
(`dependencies = 5`), invalid requirement/specifier/marker/version strings, deleted keys.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import tomlkit
from badinput_helpers import check_error, nasty_strings, refresh_hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chef import errors
from chef.detect import READERS, Reader
from chef.errors import ChefError
from chef.prepare import prepare

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
    derandomize=True,
)

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["alpha>=1", "epsilon; sys_platform != 'win32'"]

[project.optional-dependencies]
fast = ["gamma[fast]"]

[dependency-groups]
dev = ["devtool>=1.0", {include-group = "docs"}]
docs = ["docsgen"]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"

[tool.uv]
index-url = "https://user:secret@index.invalid/simple"
"""

POETRY_MANIFEST = """\
[tool.poetry]
name = "app"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.9"
alpha = "^1.0"
gamma = {version = ">=1", extras = ["fast"], optional = true}

[tool.poetry.extras]
fast = ["gamma"]

[tool.poetry.group.dev.dependencies]
devtool = "*"

[[tool.poetry.source]]
name = "local"
url = "https://index.invalid/simple"
priority = "primary"
"""

SETUP_CFG = """\
[metadata]
name = app
version = 0.1.0

[options]
python_requires = >=3.9
install_requires =
    alpha>=1
    epsilon; sys_platform != "win32"

[options.extras_require]
fast = gamma[fast]
"""

REQUIREMENTS = """\
--index-url https://user:secret@index.invalid/simple
alpha==1.0 --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
-r more.txt
-c constraints.txt
epsilon ; sys_platform != "win32"
"""


_LOCK_BASELINES: Dict[str, Dict[str, bytes]] = {}


def _lock_baseline(kind: str) -> Dict[str, bytes]:
    if kind not in _LOCK_BASELINES:
        _LOCK_BASELINES[kind] = _make_lock_baseline(kind)
    return _LOCK_BASELINES[kind]


def _make_lock_baseline(kind: str) -> Dict[str, bytes]:
    """A project from tests/lockfixtures (the shared per-format fixtures), hashes made fresh."""
    import lockfixtures

    writer = lockfixtures.WRITERS[kind]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        writer(root, lockfixtures.Scenario())
        refresh_hashes(root)
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()
        }


def baseline(reader: Reader, uv_project: Path) -> Dict[str, bytes]:
    """Files of a valid project for `reader` (a generic one for readers this test predates)."""
    text: Dict[str, str] = {}
    if reader.name == "uv":
        return {
            p.name: p.read_bytes() for p in uv_project.iterdir() if p.is_file()
        }
    if reader.name in ("poetry", "pdm", "pipenv", "pylock"):
        return dict(_lock_baseline(reader.name))  # a copy: callers change it
    if reader.name == "pyproject":
        text = {"pyproject.toml": PYPROJECT}
    elif reader.name == "poetry-manifest":
        text = {"pyproject.toml": POETRY_MANIFEST}
    elif reader.name == "setuptools":
        text = {"setup.cfg": SETUP_CFG,
                "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'}
    elif reader.name == "requirements":
        text = {"requirements.txt": REQUIREMENTS, "more.txt": "gamma[fast]\n",
                "constraints.txt": "alpha<2\n"}
    else:  # a reader added after this test: its marker files, TOML-shaped
        text = {"pyproject.toml": PYPROJECT}
        for name in reader.marker_files:
            if "<" not in name:
                text[name] = 'version = 1\n[[package]]\nname = "alpha"\nversion = "1.0"\n'
    return {k: v.encode("utf-8") for k, v in text.items()}


# ---------------------------------------------------------------- mutations


def _paths(tree: Any, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _paths(value, prefix + (i,))
    return out


def _set(tree: Any, path: Tuple[Any, ...], value: Any, delete: bool = False) -> None:
    for key in path[:-1]:
        tree = tree[key]
    if delete:
        del tree[path[-1]]
    else:
        tree[path[-1]] = value


toml_scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(nasty_strings()),
    st.just(datetime.datetime(2020, 1, 2, 3, 4, 5)),
    st.just(datetime.date(2020, 1, 2)),
    st.just(datetime.time(3, 4, 5)),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner,
                                                     max_size=3)
    ),
    max_leaves=6,
)
json_values = st.recursive(
    st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
              st.text(max_size=30), st.sampled_from(nasty_strings())),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def _structured(name: str, raw: bytes, data: st.DataObject) -> Optional[bytes]:
    """Replace or delete one value anywhere in a TOML/JSON file (wrong types, bad strings)."""
    is_json = name.endswith(".lock") and raw.lstrip().startswith(b"{")
    is_toml = name.endswith((".toml", ".lock")) or name == "Pipfile"
    if not (is_json or is_toml):
        return None
    try:
        tree = json.loads(raw) if is_json else tomlkit.parse(raw.decode("utf-8")).unwrap()
    except Exception:
        return None
    paths = _paths(tree)
    if not paths:
        return None
    path = data.draw(st.sampled_from(paths), label="path")
    action = data.draw(st.sampled_from(["replace", "delete", "string"]), label="action")
    if action == "delete":
        _set(tree, path, None, delete=True)
    elif action == "string":
        _set(tree, path, data.draw(st.sampled_from(nasty_strings()), label="string"))
    else:
        _set(tree, path, data.draw(json_values if is_json else toml_values, label="value"))
    try:
        if is_json:
            return json.dumps(tree).encode("utf-8")
        return tomlkit.dumps(tree).encode("utf-8")
    except Exception:  # a value TOML cannot hold at that place: not an input chef can see
        return None


def _lines(raw: bytes, data: st.DataObject) -> bytes:
    """Replace one line of a text file with a hostile one."""
    lines = raw.split(b"\n")
    at = data.draw(st.integers(0, max(0, len(lines) - 1)), label="line")
    new = data.draw(st.one_of(st.sampled_from(nasty_strings()), st.text(max_size=40)),
                    label="new line")
    lines[at] = new.encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def mutate(files: Dict[str, bytes], data: st.DataObject) -> Dict[str, bytes]:
    files = dict(files)
    name = data.draw(st.sampled_from(sorted(files)), label="file")
    raw = files[name]
    kind = data.draw(
        st.sampled_from(["bytes", "truncate", "insert", "structured", "structured", "lines"]),
        label="mutation",
    )
    if kind == "bytes":
        files[name] = data.draw(st.binary(max_size=512), label="bytes")
    elif kind == "truncate":
        files[name] = raw[: data.draw(st.integers(0, len(raw)), label="cut")]
    elif kind == "insert":
        at = data.draw(st.integers(0, len(raw)), label="at")
        junk = data.draw(st.binary(min_size=1, max_size=8), label="junk")
        files[name] = raw[:at] + junk + raw[at:]
    elif kind == "structured":
        files[name] = _structured(name, raw, data) or _lines(raw, data)
    else:
        files[name] = _lines(raw, data)
    return files


def write_files(root: Path, files: Dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def attempt(root: Path, manager: str) -> Optional[ChefError]:
    """prepare must end in a recipe or a well-formed ChefError; anything else fails the test."""
    try:
        prepare(root, manager=manager)
    except ChefError as exc:
        check_error(exc, root)
        return exc
    return None


# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def uv_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    from projects import make_locked_app

    return make_locked_app(tmp_path_factory.mktemp("fuzz") / "app", index.url)


def _reader_ids() -> List[str]:
    return [r.name for r in READERS]


@pytest.mark.parametrize("name", _reader_ids())
def test_baseline_is_readable(name: str, uv_project: Path, tmp_path: Path) -> None:
    """The unmutated baseline reads (so the mutations start from a valid project)."""
    reader = next(r for r in READERS if r.name == name)
    write_files(tmp_path, baseline(reader, uv_project))
    error = attempt(tmp_path, name)
    known = ("uv", "poetry", "pdm", "pipenv", "pylock", "poetry-manifest", "pyproject",
             "setuptools", "requirements")
    if name in known:
        assert error is None, str(error)


@pytest.mark.parametrize("name", _reader_ids())
@FUZZ
@given(data=st.data())
def test_mutated_input_never_crashes(name: str, uv_project: Path, data: st.DataObject) -> None:
    reader = next(r for r in READERS if r.name == name)
    files = mutate(baseline(reader, uv_project), data)
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), files)
        attempt(Path(tmp), name)


@pytest.mark.parametrize("name", ["uv", "poetry", "pdm", "pipenv"])
@FUZZ
@given(data=st.data())
def test_mutated_input_never_crashes_the_lock_check(
    name: str, uv_project: Path, data: st.DataObject
) -> None:
    """The freshness check on its own (prepare runs it only after the reader accepted the files)."""
    from chef import freshness

    reader = next(r for r in READERS if r.name == name)
    files = mutate(baseline(reader, uv_project), data)
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), files)
        try:
            freshness.check(Path(tmp), name)
        except ChefError as exc:
            check_error(exc, Path(tmp))


@pytest.mark.parametrize("name", _reader_ids())
@FUZZ
@given(data=st.data())
def test_random_files_never_crash(name: str, data: st.DataObject) -> None:
    """Every file a reader may look at holds random bytes or random text."""
    reader = next(r for r in READERS if r.name == name)
    names = [n for n in reader.marker_files if "<" not in n]
    names += ["pyproject.toml", "Pipfile", "requirements.txt", "setup.cfg"]
    files = {}
    for n in sorted(set(names)):
        files[n] = data.draw(
            st.one_of(st.binary(max_size=300),
                      st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))),
            label=n,
        )
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), files)
        attempt(Path(tmp), name)


def test_exit_codes_are_documented() -> None:
    documented = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    for cls in (errors.ChefError, errors.InputError, errors.StaleLockError, errors.RecipeError,
                errors.TargetEnvironmentError, errors.InstallError):
        assert cls.exit_code in documented


@pytest.mark.parametrize("name", _reader_ids())
def test_directory_in_place_of_a_file(name: str, tmp_path: Path) -> None:
    reader = next(r for r in READERS if r.name == name)
    for marker in reader.marker_files:
        if "<" not in marker:
            (tmp_path / marker).mkdir()
    (tmp_path / "pyproject.toml").mkdir(exist_ok=True)
    error = attempt(tmp_path, name)
    assert error is not None

