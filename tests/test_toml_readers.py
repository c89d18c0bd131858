"""chef's TOML readers (chef/toml.py): the fast Rust one and the fallbacks give the same results.

toml_rs is installed where it has wheels; tomli (compiled, or pure Python) and stdlib tomllib
(pure Python) are the fallbacks. Every path is run here on the same inputs, including the
documents that make toml_rs refuse or would overflow its stack.
"""

from __future__ import annotations

import importlib.metadata
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import synth
from conftest import CORPUS, needs_corpus
from packaging.requirements import Requirement

READERS = ("toml_rs", "tomli", "tomllib")


def _toml_rs_requirement() -> Requirement:
    for text in importlib.metadata.requires("chef") or []:
        requirement = Requirement(text)
        if requirement.name == "toml-rs":
            return requirement
    raise AssertionError("chef does not ask for toml-rs any more: update chef/toml.py's docs")


def _have(reader: str) -> bool:
    """Whether `reader` can run here; fails when chef's own requirements say it should be
    installed and it is not (a broken install is not a reason to skip)."""
    if reader == "tomllib":
        return sys.version_info >= (3, 11)
    try:
        __import__(reader)
    except ImportError:
        if reader == "toml_rs":
            marker = _toml_rs_requirement().marker
            assert marker is not None and not marker.evaluate(), (
                "chef asks for toml_rs on this interpreter but it is not installed"
            )
            return False
        raise AssertionError(f"{reader} is one of chef's dependencies but is not installed") from None
    return True


def _skip_unless(reader: str) -> None:
    if _have(reader):
        return
    if reader == "tomllib":
        pytest.skip("tomllib is not in the standard library before Python 3.11")
    pytest.skip("toml_rs is not a dependency of chef on this interpreter (its wheels: CPython "
                "3.11+ on 64-bit platforms; pyproject.toml)")


def _chef(reader: Optional[str], *args: str, block_toml_rs: bool = False) -> Tuple[int, str, str]:
    """`chef ARGS` in a new interpreter with CHEF_TOML_READER=reader; stdout starts with the
    name of the reader chef chose."""
    env = {k: v for k, v in os.environ.items() if k != "CHEF_TOML_READER"}
    if reader:
        env["CHEF_TOML_READER"] = reader
    code = (
        ("import sys; sys.modules['toml_rs'] = None\n" if block_toml_rs else "")
        + "import sys\nfrom chef import toml\nprint(toml.READER_NAME, flush=True)\n"
        "from chef.cli import main\nmain(sys.argv[1:], prog_name='chef')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=False)
    return done.returncode, done.stdout, done.stderr


def test_toml_rs_is_installed_where_chef_asks_for_it() -> None:
    requirement = _toml_rs_requirement()
    assert requirement.marker is not None
    code, out, err = _chef(None, "--version")
    if requirement.marker.evaluate():
        assert _have("toml_rs"), "the marker says toml-rs is installed here, but it is not"
        assert out.splitlines()[0] == "toml_rs", err
    else:
        assert out.splitlines()[0] in ("tomli", "tomllib"), err


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[Path, List[str]]]:
    base = tmp_path_factory.mktemp("toml-readers")
    uv = synth.write_uv_project(base / "uv", 300)  # ~3000 brackets: toml_rs runs in its thread
    poetry = synth.write_poetry_project(base / "poetry", 120)
    small = base / "small"
    small.mkdir()
    (small / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n'
        'dependencies = ["six>=1; os_name == \'nt\'", "idna[x] @ https://index.invalid/i.whl"]\n'
        "[project.optional-dependencies]\nfast = [\"ujson\"]\n"
    )
    return {"uv 300": (uv, []), "poetry 120": (poetry, ["--frozen", "--all-groups"]),
            "small pyproject": (small, ["--all-extras"])}


def test_every_reader_writes_the_same_recipe(projects: Dict[str, Tuple[Path, List[str]]]) -> None:
    readers = [r for r in READERS if _have(r)]
    assert "tomli" in readers
    for name, (project, args) in projects.items():
        recipes: Dict[str, str] = {}
        for reader in readers:
            code, out, err = _chef(reader, "prepare", "--stdout", "--project-dir", str(project),
                                   *args)
            chosen, _, recipe = out.partition("\n")
            assert code == 0, f"{name} with {reader}: {err}"
            assert chosen == reader
            recipes[reader] = recipe
        assert len(set(recipes.values())) == 1, f"{name}: the readers disagree"


def test_without_toml_rs_chef_falls_back_to_tomli(
    projects: Dict[str, Tuple[Path, List[str]]],
) -> None:
    """What a platform without toml_rs wheels gets: the same recipe, from tomli."""
    project, args = projects["uv 300"]
    code, out, err = _chef(None, "prepare", "--stdout", "--project-dir", str(project), *args,
                           block_toml_rs=True)
    assert code == 0, err
    chosen, _, recipe = out.partition("\n")
    assert chosen == "tomli"
    reference = _chef("tomli", "prepare", "--stdout", "--project-dir", str(project), *args)
    assert recipe == reference[1].partition("\n")[2]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("depth", [5, 100_000, 1_000_000])
def test_deep_nesting_never_crashes(reader: str, depth: int, tmp_path: Path) -> None:
    """toml_rs overflows the C stack some thousands deep (a segfault): chef must never let it.
    It parses in a thread with a stack sized for the document's brackets, or, past 1 GiB of
    stack, leaves the document to the fallback. tomli and tomllib stop at Python's recursion
    limit (a few hundred deep). So: shallow documents parse, deep ones parse or give the
    one-line error, and none crashes."""
    _skip_unless(reader)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = []\n'
        "[tool.x]\na = " + "[" * depth + "]" * depth + "\nb = " + "{c = " * depth + "1"
        + "}" * depth + "\n"
    )
    code, out, err = _chef(reader, "prepare", "--stdout", "--project-dir", str(tmp_path))
    if depth <= 100 or (reader == "toml_rs" and depth == 100_000):
        assert code == 0, err
    else:
        assert code == 3, (code, err)  # EXIT_INPUT; not -11 (SIGSEGV), not a traceback
        assert err.strip().splitlines() == [
            "chef: error: pyproject.toml: malformed TOML: nested too deeply"
        ]


@pytest.mark.parametrize("reader", [r for r in READERS if r != "tomllib"])
def test_malformed_toml_has_the_same_message_with_every_reader(reader: str, tmp_path: Path) -> None:
    _skip_unless(reader)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = \n')
    code, _, err = _chef(reader, "prepare", "--stdout", "--project-dir", str(tmp_path))
    assert code == 3
    assert err.strip() == (
        "chef: error: pyproject.toml:3: malformed TOML: Invalid value (fix the TOML syntax)"
    )


# ---------------------------------------------------------------- toml_rs against tomli


def _documents() -> List[str]:
    texts = [synth.small_uv_lock()]
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".toml", ".lock") and path.is_file() and path.stat().st_size < 4e6:
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                continue
    assert len(texts) > 50, f"too few TOML documents in {CORPUS}"
    return texts


def _parse(loads: Any, error: type, text: str) -> Tuple[bool, Any]:
    try:
        return True, loads(text)
    except error:
        return False, None
    except RecursionError:
        return False, None


@needs_corpus
def test_toml_rs_accepts_only_what_tomli_accepts_with_the_same_data() -> None:
    """The property that makes every platform read the same files the same way: as chef runs
    it (TOML 1.0), toml_rs accepts a subset of what tomli does, with equal data; the rest goes to
    tomli. Checked on every TOML file of the corpus and 4000 seeded mutations of small ones."""
    _skip_unless("toml_rs")
    import tomli

    from chef import toml as chef_toml

    os.environ.pop("CHEF_TOML_READER", None)
    fast = chef_toml._toml_rs()
    assert fast is not None
    _, fast_loads, fast_error = fast
    documents = _documents()
    for text in documents:
        ok_fast, data_fast = _parse(fast_loads, fast_error, text)
        ok_slow, data_slow = _parse(tomli.loads, tomli.TOMLDecodeError, text)
        assert ok_fast == ok_slow and data_fast == data_slow
    rng = random.Random(20261128)
    small = [t for t in documents if len(t) < 4000] or documents[:1]
    pieces = list("[]{}\"'=.,\n #\\-_ab1:+eE\t") + [
        '"""', "'''", "inf", "nan", "true", "1979-05-27", "T07:32:00Z", "0x1", "\r\n", "\x7f", "é"]
    accepted_by_tomli_only = 0
    for _ in range(4000):
        text = rng.choice(small)
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.4:
                text = text[:pos] + rng.choice(pieces) + text[pos:]
            elif roll < 0.8:
                text = text[:pos] + text[pos + rng.randint(1, 3):]
            else:
                text = text[:pos] + rng.choice(pieces) + text[pos + 1:]
        ok_fast, data_fast = _parse(fast_loads, fast_error, text)
        ok_slow, data_slow = _parse(tomli.loads, tomli.TOMLDecodeError, text)
        if ok_fast:
            assert ok_slow, f"toml_rs accepts what tomli refuses: {text!r}"
            assert data_fast == data_slow, f"toml_rs and tomli read differently: {text!r}"
        elif ok_slow:
            accepted_by_tomli_only += 1
    # The mutations do reach documents that only TOML 1.1 allows (which chef reads via tomli).
    assert accepted_by_tomli_only > 0


def test_a_file_is_read_once_per_prepare_and_again_in_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While prepare runs (a project boundary is open), a file read again is the text read the
    first time (uv.lock: reader, empty-lock detection, freshness check); a file rewritten between
    two prepares, even to the same size within one mtime tick, is read again."""
    from chef.readers import boundary
    from chef.toml import read_text

    path = tmp_path / "uv.lock"
    path.write_text("version = 1\n")
    stamp = os.stat(path).st_mtime_ns
    reads: List[int] = []
    real_open = os.open

    def counting_open(*args: Any, **kwargs: Any) -> int:
        fd = real_open(*args, **kwargs)
        reads.append(fd)
        return fd

    with boundary.project_boundary(tmp_path):
        first = read_text(path, "uv.lock")
        assert read_text(path, "uv.lock") is first  # the same text object: not decoded again
        assert boundary.TEXTS
    assert not boundary.TEXTS
    path.write_text("version = 2\n")  # same size; same mtime forced below
    os.utime(path, ns=(stamp, stamp))
    with boundary.project_boundary(tmp_path):
        assert read_text(path, "uv.lock") == "version = 2\n"
    # Outside prepare nothing is kept.
    monkeypatch.setattr(os, "open", counting_open)
    read_text(path, "uv.lock")
    assert not boundary.TEXTS and reads
    # A file that went away between two reads of one prepare is still "file not found".
    with boundary.project_boundary(tmp_path):
        read_text(path, "uv.lock")
        path.unlink()
        with pytest.raises(Exception, match="file not found"):
            read_text(path, "uv.lock")


def test_equal_text_is_parsed_once_and_a_different_one_again(tmp_path: Path) -> None:
    """chef.toml's parse cache: an equal text from another file is the same parse; a text of
    the same length, start and end (its cache key) but different in between is parsed anew."""
    from chef.toml import load_toml

    head, tail = "a = 1\n" + "# " + "x" * 300 + "\n", "# " + "y" * 300 + "\nz = 2\n"
    one, two, other = tmp_path / "one.toml", tmp_path / "two.toml", tmp_path / "other.toml"
    one.write_text(head + "b = 1\n" + tail)
    two.write_text(head + "b = 1\n" + tail)
    other.write_text(head + "b = 7\n" + tail)
    first = load_toml(one, "one.toml")
    assert load_toml(two, "two.toml") is first
    assert load_toml(other, "other.toml") == {"a": 1, "b": 7, "z": 2}
    assert load_toml(one, "one.toml") == {"a": 1, "b": 1, "z": 2}


@pytest.mark.parametrize("raw", [
    b'a = "x"\n',
    b'\xef\xbb\xbfa = "x"\n',  # a BOM is dropped
    b'\xef\xbb\xbf\xef\xbb\xbfa = 1\n',  # only the first
    b"a = 1\n\n\xff\n",
    b"\xef\xbb\xbf\n\nb = 2\n\xc3\n",  # the error's line, counted as utf-8-sig's offset gives it
    b"\xef\xbb\xbf\xff\n\n\n",
    b"\xef\xbb\n",
])
def test_read_text_decodes_as_utf_8_sig(raw: bytes, tmp_path: Path) -> None:
    from chef.errors import InputError
    from chef.toml import read_text

    path = tmp_path / "f.toml"
    path.write_bytes(raw)
    try:
        expected: object = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        expected = ("not valid UTF-8", raw[: exc.start].count(b"\n") + 1)
    try:
        got: object = read_text(path, "f.toml")
    except InputError as exc:
        got = (exc.message, exc.line)
    assert got == expected
