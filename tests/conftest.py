"""Shared fixtures: a local wheelhouse of tiny packages, a loopback index over it, and an
environment where installers see neither the machine's pip config nor the network."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest
from index_server import IndexServer
from tinybuild import BACKEND_SOURCE
from wheelhouse import make_wheel

# Every recipe prepare writes in any test must be one `chef cook --dry-run` accepts.
pytest_plugins = ["recipe_property"]

# The test extras install poetry-dynamic-versioning (a real build backend for
# tests/integration/test_scm_versions.py). Beside poetry it is also a poetry plugin, which would
# set a project's version from git during the oracles' `poetry export`/`lock`/`check` (and fail
# without git, as on the corpus's airbyte-cdk): switched off for every poetry command. Oracle
# environments that drop POETRY_* put it back (tests/oracles/oracle.py).
POETRY_PLUGINS_OFF = {"POETRY_DYNAMIC_VERSIONING_COMMANDS": ""}
os.environ.update(POETRY_PLUGINS_OFF)

ROOT = Path(__file__).resolve().parent.parent

# The real-world corpus (../shared/corpus beside the checkout; README.md there). Every test that
# reads it uses this path, and, when it is absent, skips with this one reason (a failure in CI:
# see STRICT_SKIPS below).
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_MISSING = f"the corpus is absent: no {CORPUS} (../shared/corpus beside the checkout)"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=CORPUS_MISSING)


def corpus_params(cases: Sequence[Any], width: int) -> List[Any]:
    """Parameters read from the corpus, or one test skipped with CORPUS_MISSING (never an empty
    parameter set, whose skip would not say why)."""
    if cases:
        return list(cases)
    return [pytest.param(*(["-"] * width), marks=pytest.mark.skip(reason=CORPUS_MISSING))]

# name, version, requires, extras
PACKAGES = [
    ("alpha", "1.0", ["beta>=1"], None),
    ("alpha", "2.0", ["beta>=2"], None),
    ("beta", "1.0", [], None),
    ("beta", "2.0", [], None),
    ("gamma", "1.0", [], {"fast": ["delta"]}),
    ("delta", "1.0", [], None),
    ("epsilon", "1.0", ["zeta; sys_platform == 'win32'"], None),
    ("zeta", "1.0", [], None),
    ("devtool", "1.0", [], None),
    ("devtool", "1.1", [], None),
    ("docsgen", "1.0", [], None),
]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheelhouse")
    for name, version, requires, extras in PACKAGES:
        make_wheel(directory, name, version, requires, extras)
    make_wheel(directory, "tinybuild", "1.0", files={"tinybuild.py": BACKEND_SOURCE})
    return directory


@pytest.fixture(scope="session")
def index(wheelhouse: Path) -> Iterator[IndexServer]:
    with IndexServer(wheelhouse) as server:
        yield server


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Dict[str, str]:
    """Installers must see only what a test gives them: no machine pip/uv config, own caches."""
    for key in list(os.environ):
        if key.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "pip-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    return dict(os.environ)


def uv_bin() -> str:
    from chef.cook.installers import find_uv

    found = find_uv()
    if not found:
        pytest.skip("uv is not installed (pip install -e '.[test]')")
    return found


def run(
    argv: List[str], cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{argv} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def installed(python: Path) -> Dict[str, str]:
    """name -> version of every distribution in an environment (importlib.metadata)."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name'].lower().replace('_','-'): d.version"
        " for d in m.distributions()}))"
    )
    import json

    return json.loads(run([str(python), "-I", "-c", code]).stdout)  # type: ignore[no-any-return]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst



# ---------------------------------------------------------------- strict skips (CI)

# With CHEF_STRICT_SKIPS=1 (set by .ci/run), a skipped test (or xfail) is a failure unless its
# reason starts with one of these: reasons CI cannot meet by provisioning anything. Keep this list
# short; every entry needs its justification. (The corpus, Docker, the managers, uv and a second
# Python are all things CI provides: their skips fail there.)
STRICT_SKIP_ALLOWED = (
    # chef asks for toml_rs only where it has wheels (CPython 3.11+ on 64-bit platforms, see
    # pyproject.toml's marker): on another interpreter it is, by design, not installed.
    "toml_rs is not a dependency of chef on this interpreter",
    # tomllib is in the standard library from Python 3.11 on; chef supports 3.9 and 3.10.
    "tomllib is not in the standard library before Python 3.11",
)


def strict_skips() -> bool:
    return os.environ.get("CHEF_STRICT_SKIPS") == "1"


def _skip_reason(longrepr: Any) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text[len("Skipped: "):] if text.startswith("Skipped: ") else text


def _forbidden_skip(reason: str, docker: bool) -> Optional[str]:
    """Why this skip must be a failure here, or None."""
    if docker and os.environ.get("CHEF_REQUIRE_DOCKER") == "1":
        return "docker test skipped but CHEF_REQUIRE_DOCKER=1"
    if strict_skips() and not reason.startswith(STRICT_SKIP_ALLOWED):
        return "skipped but CHEF_STRICT_SKIPS=1 and the reason is not one CI cannot meet " \
               "(tests/conftest.py STRICT_SKIP_ALLOWED)"
    return None


def pytest_report_header(config: pytest.Config) -> List[str]:
    if strict_skips():
        return ["strict skips: a skip fails unless its reason starts with one of "
                + "; ".join(repr(r) for r in STRICT_SKIP_ALLOWED)]
    return []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A skipped test fails when CHEF_STRICT_SKIPS=1 (CI) and its reason is not allowed, and a
    skipped docker test fails when CHEF_REQUIRE_DOCKER=1: CI must really run them."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        reason = f"xfail: {report.wasxfail}"
    else:
        reason = _skip_reason(report.longrepr)
    why = _forbidden_skip(reason, "docker" in item.keywords)
    if why:
        report.outcome = "failed"
        report.longrepr = f"{why}: {reason}"


_FORBIDDEN_COLLECT_SKIPS: List[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # type: ignore[no-untyped-def]
    """The same for a whole module skipped at collection (pytest.skip(allow_module_level=True),
    a module-level importorskip): recorded here, the session fails at its end (a collection
    error would stop every other test from running)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped:
        reason = _skip_reason(report.longrepr)
        why = _forbidden_skip(reason, False)
        if why:
            _FORBIDDEN_COLLECT_SKIPS.append(f"{report.nodeid}: {why}: {reason}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _FORBIDDEN_COLLECT_SKIPS:
        terminalreporter.write_line(f"FAILED (module skipped) {line}", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _FORBIDDEN_COLLECT_SKIPS and exitstatus in (0, 5):
        session.exitstatus = 1


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Every test under tests/docker carries the `docker` marker: `-m "not docker"` deselects
    them all, and CHEF_REQUIRE_DOCKER sees them all."""
    docker_dir = ROOT / "tests" / "docker"
    unmarked = [
        item.nodeid for item in items
        if docker_dir in Path(str(item.path)).parents and item.get_closest_marker("docker") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests under tests/docker without the docker marker (add "
            "`pytestmark = pytest.mark.docker`): " + ", ".join(unmarked)
        )
