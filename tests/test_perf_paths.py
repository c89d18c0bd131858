"""Shortcuts taken for speed give what the long way gives (docs/performance.md)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chef.model import Dep, sorted_deps
from chef.readers.requirements import _split


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=-_.:/# \t\r\n\x0b\x0c\xa0é'\"\\")), max_size=30))
@example("--hash=sha256:abc \\\n --hash=sha256:def")
@example("-i https://index.invalid/simple --trusted-host x")
@example("a\x0bb c")
def test_requirement_line_split_is_shlex(line: str) -> None:
    try:
        expected = shlex.split(line, posix=True)
    except ValueError:
        return  # unbalanced quotes: the slow path reports it
    assert _split(line, "requirements.txt", 1) == expected


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_uv_spelling_of_python_version_is_the_same_condition(op: str) -> None:
    """The freshness check skips evaluating markers whose uv spelling is equal: the rewrite must
    hold on every release the check samples."""
    from packaging.markers import Marker

    from chef.freshness.uv import _uv_spelling

    for minor in range(6, 15):
        marker = f'python_version {op} "3.{minor}"'
        spelled = _uv_spelling(marker)
        assert spelled is not None and spelled.startswith("python_full_version")
        for other in range(4, 17):
            for micro in (0, 1, 12):
                env = {"python_version": f"3.{other}", "python_full_version": f"3.{other}.{micro}"}
                assert Marker(marker).evaluate(env) == Marker(spelled).evaluate(env), (marker, env)


DEPS = st.builds(
    Dep,
    name=st.sampled_from(["a", "b", "c", "a-b"]),
    specifier=st.sampled_from(["", ">=1", "<2"]),
    extras=st.sampled_from([(), ("x",), ("x", "y")]),
    marker=st.sampled_from([None, 'os_name == "nt"', 'sys_platform == "linux"']),
    key=st.sampled_from([None, "a==1", "a==2"]),
)


@settings(max_examples=1500, deadline=None)
@given(st.sets(DEPS, max_size=30))
def test_sorted_deps_is_sorted(deps: set) -> None:  # type: ignore[type-arg]
    assert sorted_deps(deps) == tuple(sorted(deps))


def test_constraint_sets_are_parsed_once_and_shared() -> None:
    from chef.readers.poetry import constraint_sets

    first = constraint_sets(">=3.8,<4.0 || ^2.7", "poetry.lock", "x")
    assert [str(s) for s in first] == ["<4.0,>=3.8", "<3,>=2.7"]
    assert constraint_sets(">=3.8,<4.0 || ^2.7", "poetry.lock", "y") is first


VERSIONS = st.builds(
    lambda major, minor, micro, parts: ".".join(str(p) for p in (major, minor, micro)[:parts]),
    st.sampled_from([2, 3]), st.integers(0, 16), st.integers(0, 12), st.sampled_from([1, 2, 3]),
)
ATOMS = st.builds(
    lambda var, op, version: f'{var} {op} "{version}"',
    st.sampled_from(["python_version", "python_full_version"]),
    st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    VERSIONS,
)
PY_MARKERS = st.lists(ATOMS, min_size=1, max_size=3).flatmap(
    lambda atoms: st.sampled_from([" and ".join(atoms), " or ".join(atoms)]))


def _dense_pythons() -> list:  # type: ignore[type-arg]
    """Every release the generated markers can tell apart: X.Y.Z for X 2-3, Y 0-17, Z 0-13."""
    return [f"{major}.{minor}.{micro}" for major in (2, 3) for minor in range(0, 18)
            for micro in range(0, 14)]


@settings(max_examples=200, deadline=None)
@given(PY_MARKERS, PY_MARKERS, st.sampled_from([None, ">=3.8", ">=3.10,<3.14"]))
def test_sampled_pythons_tell_markers_apart_as_every_release_does(
    a: str, b: str, requires: object
) -> None:
    """The freshness check compares markers on a few sampled Python releases (each mentioned
    version and its neighbours): two markers agree there exactly when they agree on every
    release (checked on every 2.0.0-3.17.13)."""
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    from chef.freshness.markers import python_versions as _python_versions

    spec = SpecifierSet(requires) if requires else None
    ma, mb = Marker(a), Marker(b)
    mentioned = [atom.split('"')[1] for atom in (a + " and " + b).replace(" or ", " and ").split(" and ")]

    def vector(marker: Marker, pythons: list) -> tuple:  # type: ignore[type-arg]
        return tuple(marker.evaluate({"python_version": ".".join(v.split(".")[:2]),
                                      "python_full_version": v}) for v in pythons)

    dense = [v for v in _dense_pythons() if spec is None or spec.contains(v, prereleases=True)]
    sampled = _python_versions(mentioned, spec)
    if not dense:
        return
    assert (vector(ma, sampled) == vector(mb, sampled)) == (vector(ma, dense) == vector(mb, dense))


def test_detection_does_not_import_the_pylock_reader(tmp_path: Path) -> None:
    """Listing a directory's pylock files is part of detecting every project; importing the
    pylock reader for it (its marker module, packaging.version) cost a uv prepare ~1 ms."""
    import subprocess
    import sys

    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "pylock.dev.toml").write_text("")
    code = ("import sys; from pathlib import Path; from chef.detect import candidates; "
            f"print([c.file for c in candidates(Path({str(tmp_path)!r}))]); "
            "print(sorted(m for m in sys.modules if m.startswith('chef.readers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "['uv.lock', 'pylock.dev.toml']"
    assert "chef.readers.pylock" not in out[1] and "chef.readers.markers" not in out[1], out[1]


def test_a_uv_prepare_imports_only_the_uv_reader(tmp_path: Path) -> None:
    """A uv.lock prepare loads the uv reader and what it calls, not the flat-lock helpers
    (chef.readers.flat, ~0.3 ms) or another manager's reader."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parent.parent / "bench"
    code = (f"import sys; sys.path.insert(0, {str(bench)!r}); import synth; "
            "from pathlib import Path; from chef.prepare import prepare; "
            f"root = synth.write_small_uv_project(Path({str(tmp_path)!r})); "
            "assert prepare(root).recipe.locked; "
            "print(sorted(m for m in sys.modules if m.startswith('chef.readers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "chef.readers.uv_lock" in out, out
    for name in ("flat", "pylock", "poetry", "pdm", "pipenv", "requirements", "markers"):
        assert f"'chef.readers.{name}'" not in out and f"'chef.readers.{name}." not in out, out
