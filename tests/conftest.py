"""Shared fixtures: a local wheelhouse of tiny packages, a loopback index over it, and an
environment where installers see neither the machine's pip config nor the network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from index_server import IndexServer  # noqa: E402
from tinybuild import BACKEND_SOURCE  # noqa: E402
from wheelhouse import make_wheel  # noqa: E402

# Every recipe prepare writes in any test must be one `chef cook --dry-run` accepts.
pytest_plugins = ["recipe_property"]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

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



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With CHEF_REQUIRE_DOCKER=1 (set by .ci/run), a skipped docker test is a failure: CI must
    really build images, not pass by skipping them."""
    outcome = yield
    report = outcome.get_result()
    required = os.environ.get("CHEF_REQUIRE_DOCKER") == "1"
    if report.skipped and "docker" in item.keywords and required:
        report.outcome = "failed"
        report.longrepr = f"docker test skipped but CHEF_REQUIRE_DOCKER=1: {report.longrepr}"
