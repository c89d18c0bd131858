"""Shapes under 1 KB that made prepare exponential (issue 19): extras that require their own
package under two markers per level, chains of path packages with two marker edges each, PEP 735
include-group diamonds, `-r` diamonds, workspace member globs through self-pointing symlinks.

Each is generated at sizes 2..30, and the work prepare does (chef.limits.WORK: states expanded,
files read, groups expanded, directories listed) and the size of the recipe must stay within a
polynomial (here linear or quadratic) bound of n; what cannot be made polynomial (a lattice of
packages whose path markers really are exponential) is refused by a documented cap. Counted
work, not time: the bounds hold on any machine."""

from __future__ import annotations

import itertools
import os
import signal
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chef import limits, select
from chef.errors import InputError
from chef.prepare import prepare
from chef.select import Selection


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    """A regression that turns a shape exponential again fails here instead of hanging (each
    test takes a second or two)."""
    def expired(signum: int, frame: object) -> None:
        raise AssertionError("over 60 s: prepare's work is exponential again?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def extras(root: Path, n: int) -> Dict[str, Any]:
    """Extra e<i> requires p[e<i+1>] twice, under two markers: 2^n paths to the leaf."""
    lines = [f'e{i} = [\'p[e{i + 1}]; python_version >= "3.{i}"\', '
             f'\'p[e{i + 1}]; sys_platform == "s{i}"\']' for i in range(n)]
    write(root / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n'
          '[project.optional-dependencies]\n' + "\n".join(lines) + f'\ne{n} = ["leaf"]\n')
    return {"manager": "pyproject", "selection": Selection(extras=("e0",))}


def _package(name: str, deps: Dict[str, str], base: str) -> str:
    if not deps:
        return f'[project]\nname = "{name}"\nversion = "1"\ndependencies = ["leaf"]\n'
    listed = ", ".join(f"'{dep}; {marker}'" for dep, marker in deps.items())
    sources = "".join(f'{dep.split("@")[0]} = {{ path = "{base}{dep.split("@")[0]}" }}\n'
                      for dep in deps)
    return (f'[project]\nname = "{name}"\nversion = "1"\ndependencies = [{listed}]\n'
            f"[tool.uv.sources]\n{sources}")


def chain(root: Path, n: int) -> Dict[str, Any]:
    """Path package p<i> requires p<i+1> under two markers: 2^n paths to the leaf."""
    for i in range(n + 1):
        if i == n:
            text = f'[project]\nname = "p{i}"\nversion = "1"\ndependencies = ["leaf"]\n'
        else:
            text = (f'[project]\nname = "p{i}"\nversion = "1"\ndependencies = ['
                    f'\'p{i + 1}; python_version >= "3.{i}"\', '
                    f'\'p{i + 1}; sys_platform == "s{i}"\']\n[tool.uv.sources]\n'
                    f'p{i + 1} = {{ path = "{"libs/" if i == 0 else "../"}p{i + 1}" }}\n')
        write(root / ("." if i == 0 else f"libs/p{i}") / "pyproject.toml", text)
    return {"manager": "pyproject"}


def groups(root: Path, n: int) -> Dict[str, Any]:
    """a<i> and b<i> each include a<i+1> and b<i+1>: 2^n copies of the leaves."""
    lines = [f'{x}{i} = ["x{i}{x}", {{include-group = "a{i + 1}"}}, '
             f'{{include-group = "b{i + 1}"}}]' for i in range(n) for x in "ab"]
    write(root / "pyproject.toml", '[project]\nname = "p"\nversion = "1"\n'
          '[dependency-groups]\n' + "\n".join(lines) + f'\na{n} = ["leaf"]\nb{n} = ["leaf2"]\n')
    return {"manager": "pyproject", "selection": Selection(groups=("a0",))}


def includes(root: Path, n: int) -> Dict[str, Any]:
    """a<i>.txt and b<i>.txt each include a<i+1>.txt and b<i+1>.txt."""
    for i, x in itertools.product(range(n), "ab"):
        write(root / f"{x}{i}.txt", f"x{i}{x}\n-r a{i + 1}.txt\n-r b{i + 1}.txt\n")
    write(root / f"a{n}.txt", "leaf\n--index-url https://index.invalid/simple\n")
    write(root / f"b{n}.txt", "leaf2\n")
    write(root / "requirements.txt", "-r a0.txt\n")
    return {}


def globs(root: Path, n: int) -> Dict[str, Any]:
    """Members `*/*/.../*` (n levels) in a directory with three links to itself."""
    write(root / "pyproject.toml",
          '[tool.uv.workspace]\nmembers = ["' + "/".join(["*"] * n) + '"]\n')
    for name in "abc":
        os.symlink(".", root / name)
    write(root / "m" / "pyproject.toml",
          '[project]\nname = "m"\nversion = "1"\ndependencies = ["leaf"]\n')
    return {"manager": "pyproject"}


# shape -> (generator, counter, bound on the counted work, bound on the recipe's roots)
SHAPES: Dict[str, Tuple[Callable[[Path, int], Dict[str, Any]], str, Callable[[int], int],
                        Callable[[int], int]]] = {
    "extras": (extras, "flatten_states", lambda n: 16 * (n + 2) + 128, lambda n: 4 * n + 64),
    "chain": (chain, "flatten_states", lambda n: 16 * (n + 2) + 128, lambda n: 4 * n + 64),
    "groups": (groups, "group_expansions", lambda n: 2 * n + 2, lambda n: 2 * n + 2),
    "includes": (includes, "requirements_files", lambda n: 2 * n + 3, lambda n: 2 * n + 2),
    "globs": (globs, "glob_directories", lambda n: 2 * n + 2, lambda n: 1),
}


def _prepare(shape: str, root: Path, n: int) -> Tuple[int, int, int]:
    """(counted work, recipe roots, recipe bytes) of one prepare of `shape` at size `n`."""
    make, counter, _, _ = SHAPES[shape]
    kwargs = make(root, n)
    limits.reset()
    result = prepare(root, frozen=True, **kwargs)
    return limits.WORK.get(counter, 0), len(result.recipe.roots), len(result.text)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(min_value=2, max_value=30))
def test_prepare_work_grows_polynomially(shape: str, n: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp(shape)
    work, roots, size = _prepare(shape, root, n)
    _, _, work_bound, roots_bound = SHAPES[shape]
    assert 0 < work <= work_bound(n), (shape, n, work)
    assert roots <= roots_bound(n), (shape, n, roots)
    assert size <= 400 * (n + 2) ** 2, (shape, n, size)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_size_30(shape: str, tmp_path: Path) -> None:
    """The largest size of the property test, always run (hypothesis may not draw it)."""
    work, roots, _ = _prepare(shape, tmp_path, 30)
    _, _, work_bound, roots_bound = SHAPES[shape]
    assert work <= work_bound(30) and roots <= roots_bound(30)


def _applies(marker: str, env: Dict[str, str]) -> bool:
    from packaging.markers import Marker

    return Marker(marker).evaluate(env)


ENVS = [{"python_version": f"3.{v}", "sys_platform": f"s{p}", "extra": ""}
        for v in range(0, 9) for p in range(0, 9)]


@pytest.mark.parametrize("shape", ["extras", "chain"])
def test_small_shapes_keep_every_path_and_joined_ones_mean_the_same(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the budget every path marker is its own edge, as always (2^4 leaf edges for n=4);
    over it, edges to one local package are joined with `or`: one leaf edge, and in every
    environment it applies exactly when one of the 2^n paths does (no marker edge lost)."""
    n = 4
    make = SHAPES[shape][0]
    kwargs = make(tmp_path, n)
    exact = [d.marker for d in prepare(tmp_path, frozen=True, **kwargs).recipe.roots
             if d.name == "leaf"]
    assert len(exact) == 2 ** n and all(m is not None for m in exact)
    monkeypatch.setattr(select, "_EXACT_PER_NODE", 0)
    monkeypatch.setattr(select, "_EXACT_BASE", 0)
    joined = [d.marker for d in prepare(tmp_path, frozen=True, **kwargs).recipe.roots
              if d.name == "leaf"]
    assert len(joined) == 1 and joined[0] is not None
    for env in ENVS:
        assert _applies(joined[0], env) == any(_applies(m, env) for m in exact if m), env


def lattice(root: Path, n: int) -> Dict[str, Any]:
    """a<i> and b<i> each require a<i+1> and b<i+1> under different markers: 2^n really
    different path markers reach the leaf (no `or` of one list's edges shortens them)."""
    for i in range(n + 1):
        for x in "ab":
            deps = {} if i == n else {f"a{i + 1}": f'python_version >= "3.{i}"',
                                      f"b{i + 1}": f'sys_platform == "s{i}"'}
            if i == 0 and x == "b":
                continue
            where = "." if i == 0 else f"libs/{x}{i}"
            write(root / where / "pyproject.toml",
                  _package(f"{x}{i}", deps, "libs/" if i == 0 else "../"))
    return {"manager": "pyproject"}


def test_what_stays_exponential_is_refused_by_the_cap(tmp_path: Path) -> None:
    lattice(tmp_path, 30)
    limits.reset()
    with pytest.raises(InputError) as info:
        prepare(tmp_path, manager="pyproject", frozen=True)
    message = str(info.value)
    assert "MAX_FLATTEN_STATES" in message and "\n" not in message
    nodes = 2 * 30 + 1
    assert limits.WORK["flatten_states"] <= limits.MAX_FLATTEN_STATES + 8 * nodes + 64 + 2
    small = tmp_path / "small"
    lattice(small, 3)
    assert len(prepare(small, manager="pyproject", frozen=True).recipe.roots) == 2 ** 3


def test_repeated_includes_keep_the_last_index_url(tmp_path: Path) -> None:
    """A file included twice is read once; its --index-url is replayed where it is included
    again, so the last one wins as before."""
    write(tmp_path / "x.txt", "alpha\n--index-url https://x.invalid/simple\n")
    write(tmp_path / "requirements.txt",
          "-r x.txt\n--index-url https://y.invalid/simple\n-r x.txt\n")
    limits.reset()
    result = prepare(tmp_path, frozen=True)
    assert result.recipe.index.index_url == "https://x.invalid/simple"
    assert limits.WORK["requirements_files"] == 2
    write(tmp_path / "requirements.txt", "-r x.txt\n--index-url https://y.invalid/simple\n")
    assert prepare(tmp_path, frozen=True).recipe.index.index_url == "https://y.invalid/simple"
