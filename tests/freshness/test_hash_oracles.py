"""chef's lock hashes are the managers' own: hypothesis-generated manifests are hashed by chef and
by the installed manager (Poetry's Locker, pdm's PyProject, plette's Pipfile.get_hash and pipenv's
calculate_hash), and the two must agree byte for byte."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chef.freshness.pdm import pdm_content_hash
from chef.freshness.pipenv import pipfile_hash
from chef.freshness.poetry import poetry_content_hash
from chef.model import canonical

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

names = st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,8}", fullmatch=True)
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
scalars = st.one_of(text, st.integers(-(2**31), 2**31), st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)
    ),
    max_leaves=8,
)
requirements = st.sampled_from(
    ["requests>=2", "six", "Django[bcrypt]~=4.2; python_version >= '3.9'", "a_b.c==1.0",
     "x @ https://index.invalid/x-1.0.tar.gz", "-e ./local"]
)
req_lists = st.lists(requirements, max_size=4)
poetry_deps = st.dictionaries(
    names,
    st.one_of(
        st.sampled_from(["*", "^1.2", ">=1,<2", "~3.1"]),
        st.fixed_dictionaries(
            {"version": st.sampled_from(["^1", "*"])},
            optional={"optional": st.booleans(), "extras": st.lists(names, max_size=2),
                      "markers": st.just("sys_platform == 'linux'")},
        ),
    ),
    max_size=4,
)

pyprojects = st.fixed_dictionaries(
    {},
    optional={
        "project": st.fixed_dictionaries(
            {"name": names},
            optional={
                "requires-python": st.sampled_from([">=3.9", "~=3.11", ""]),
                "dependencies": req_lists,
                "optional-dependencies": st.dictionaries(names, req_lists, max_size=3),
                "version": st.just("1.0"),
                "description": text,
            },
        ),
        "dependency-groups": st.dictionaries(
            names,
            st.lists(st.one_of(requirements, st.fixed_dictionaries({"include-group": names})),
                     max_size=3),
            max_size=3,
        ),
        "tool": st.fixed_dictionaries(
            {},
            optional={
                "poetry": st.fixed_dictionaries(
                    {},
                    optional={
                        "name": names,
                        "dependencies": poetry_deps,
                        "dev-dependencies": poetry_deps,
                        "group": st.dictionaries(
                            names,
                            st.fixed_dictionaries({"dependencies": poetry_deps},
                                                  optional={"optional": st.booleans()}),
                            max_size=2,
                        ),
                        "extras": st.dictionaries(names, st.lists(names, max_size=2), max_size=2),
                        "source": st.lists(
                            st.fixed_dictionaries(
                                {"name": names, "url": st.just("https://index.invalid/simple")}
                            ),
                            max_size=2,
                        ),
                        "packages": values,
                    },
                ),
                "pdm": st.fixed_dictionaries(
                    {},
                    optional={
                        "source": st.lists(
                            st.fixed_dictionaries(
                                {"name": names, "url": st.just("https://index.invalid/simple")},
                                optional={"verify_ssl": st.booleans()},
                            ),
                            max_size=2,
                        ),
                        "dev-dependencies": st.dictionaries(names, req_lists, max_size=3),
                        "resolution": st.dictionaries(names, values, max_size=2),
                        "scripts": values,
                    },
                ),
                "ruff": values,
            },
        ),
    },
)


@SETTINGS
@given(pyprojects)
def test_poetry_content_hash_is_poetrys(tmp_path_factory: pytest.TempPathFactory,
                                        data: Dict[str, Any]) -> None:
    locker_module = pytest.importorskip("poetry.packages.locker")
    lock = Path("/nonexistent") / "poetry.lock"
    locker = locker_module.Locker(lock, copy.deepcopy(data))
    assert poetry_content_hash(data) == locker._content_hash
    assert poetry_content_hash(data, with_dependency_groups=False) == locker._get_content_hash(
        with_dependency_groups=False
    )


@SETTINGS
@given(pyprojects)
def test_pdm_content_hash_is_pdms(data: Dict[str, Any]) -> None:
    project_file = pytest.importorskip("pdm.project.project_file")
    termui = pytest.importorskip("pdm.termui")
    # pdm refuses a project whose dependency-groups repeat a name after normalization.
    groups = data.get("dependency-groups", {})
    assume(len({canonical(g) for g in groups}) == len(groups))
    pyproject = project_file.PyProject(Path("/nonexistent/pyproject.toml"), parse=False,
                                       ui=termui.UI())
    pyproject._data = copy.deepcopy(data)
    assert pdm_content_hash(data) == pyproject.content_hash("sha256")
    assert pdm_content_hash(data, "md5") == pyproject.content_hash("md5")


sources = st.lists(
    st.fixed_dictionaries(
        {"name": names, "url": st.just("https://index.invalid/simple"),
         "verify_ssl": st.booleans()}
    ),
    min_size=1,
    max_size=2,
)
packages = st.dictionaries(
    names,
    st.one_of(
        st.sampled_from(["*", "==1.0", ">=2"]),
        st.fixed_dictionaries(
            {"version": st.sampled_from(["*", "==1.0"])},
            optional={"markers": st.just("os_name == 'nt'"),
                      "extras": st.lists(names, max_size=2), "index": names},
        ),
    ),
    max_size=4,
)
pipfiles = st.fixed_dictionaries(
    {"source": sources},
    optional={
        "packages": packages,
        "dev-packages": packages,
        "requires": st.fixed_dictionaries({}, optional={"python_version": st.just("3.11")}),
        "scripts": st.dictionaries(names, st.just("python -m x"), max_size=1),
        "docs": packages,
    },
)


@SETTINGS
@given(pipfiles)
def test_pipfile_hash_is_plettes_and_pipenvs(
    tmp_path_factory: pytest.TempPathFactory, data: Dict[str, Any]
) -> None:
    plette = pytest.importorskip("pipenv.vendor.plette")
    pipenv_pipfile = pytest.importorskip("pipenv.utils.pipfile")
    tomlkit = pytest.importorskip("tomlkit")
    text = tomlkit.dumps(data)
    assert pipfile_hash(data) == plette.Pipfile.load(io.StringIO(text)).get_hash().value
    path = tmp_path_factory.mktemp("pipfile") / "Pipfile"
    path.write_text(text, encoding="utf-8")
    stub = SimpleNamespace(exists=True, location=str(path))
    assert pipfile_hash(data, canonical_names=True) == pipenv_pipfile.Pipfile.calculate_hash(stub)
