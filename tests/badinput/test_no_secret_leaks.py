"""No credential written in any URL of any input format ever reaches the recipe, chef's stdout or
stderr, or a `chef cook --dry-run` plan.

For every reader in chef.detect.READERS, a project of its format with URLs in every place the
format has them (index options and sources, URL and VCS requirements, lock entries' registry,
file and VCS URLs, pylock indexes) gets a generated credential written into each URL; lock hashes
are recomputed so the project is fresh. prepare (as a function and through the CLI with
--explain) and cook --dry-run must not show the credential in any spelling, and neither must the
errors of projects broken around such URLs.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Dict, List
from urllib.parse import quote

import pytest
from badinput_helpers import refresh_hashes
from clirun import chef
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_readers import baseline, write_files

from chef import errors
from chef.detect import READERS
from chef.errors import ChefError
from chef.prepare import prepare

LEAKS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)

REQUIREMENTS = """\
--index-url https://index.invalid/simple
--extra-index-url https://extra.invalid/simple
--find-links https://links.invalid/wheels/
alpha==1.0
urlpkg @ https://files.index.invalid/packages/urlpkg-1.0-py3-none-any.whl
git+https://git.invalid/gitpkg.git@v1.0#egg=gitpkg
"""

PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
dependencies = ["alpha>=1", "urlpkg @ https://files.index.invalid/packages/urlpkg-1.0.tar.gz"]

[tool.uv]
index-url = "https://index.invalid/simple"
extra-index-url = ["https://extra.invalid/simple"]
find-links = ["https://links.invalid/wheels/"]

[[tool.uv.index]]
name = "corp"
url = "https://corp.invalid/simple"
"""

SETUP_CFG = """\
[metadata]
name = app
version = 0.1.0

[options]
install_requires =
    alpha>=1
    urlpkg @ https://files.index.invalid/packages/urlpkg-1.0.tar.gz

[options.extras_require]
git = gitpkg @ git+https://git.invalid/gitpkg.git@v1
"""

_URL = re.compile(r"(https?|git\+https)://(?![^/\s\"']*@)")


def with_credentials(files: Dict[str, bytes], userinfo: str) -> Dict[str, bytes]:
    """Write `userinfo@` into every http(s) URL of every file (lock hashes made fresh again)."""
    out = {}
    for name, raw in files.items():
        text = raw.decode("utf-8", "surrogateescape")
        out[name] = _URL.sub(lambda m: f"{m.group(0)}{userinfo}@", text).encode(
            "utf-8", "surrogateescape")
    with tempfile.TemporaryDirectory() as tmp:
        write_files(Path(tmp), out)
        refresh_hashes(Path(tmp))
        return {p.relative_to(tmp).as_posix(): p.read_bytes()
                for p in Path(tmp).rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def uv_project(tmp_path_factory: pytest.TempPathFactory, index) -> Path:  # type: ignore[no-untyped-def]
    from projects import make_locked_app

    return make_locked_app(tmp_path_factory.mktemp("leaks") / "app", index.url)


def project_files(name: str, uv_project: Path) -> Dict[str, bytes]:
    reader = next(r for r in READERS if r.name == name)
    if name == "requirements":
        return {"requirements.txt": REQUIREMENTS.encode()}
    if name == "pyproject":
        return {"pyproject.toml": PYPROJECT.encode()}
    if name == "setuptools":
        return {"setup.cfg": SETUP_CFG.encode()}
    if name in ("poetry", "pdm", "pipenv", "pylock"):
        import lockfixtures

        with tempfile.TemporaryDirectory() as tmp:
            scenario = lockfixtures.Scenario(index="https://index.invalid/simple")
            lockfixtures.WRITERS[name](Path(tmp), scenario)
            return {p.relative_to(tmp).as_posix(): p.read_bytes()
                    for p in Path(tmp).rglob("*") if p.is_file()}
    return baseline(reader, uv_project)


def spellings(secret: str) -> List[str]:
    return [secret, quote(secret, safe=""), secret.replace("-", "%2D")]


def assert_clean(text: str, secret: str, where: str) -> None:
    for spelling in spellings(secret):
        assert spelling not in text, f"{where} shows the credential:\n{text}"


userinfos = st.tuples(
    st.sampled_from(["", "builder:", "__token__:", "user%40corp:"]),
    st.from_regex(r"[A-Za-z0-9]{4,10}-[A-Za-z0-9]{6,12}", fullmatch=True),
)


@pytest.mark.parametrize("name", [r.name for r in READERS])
@LEAKS
@given(userinfo=userinfos)
def test_no_credential_reaches_any_output(name: str, uv_project: Path, userinfo: tuple) -> None:  # type: ignore[type-arg]
    prefix, secret = userinfo
    files = with_credentials(project_files(name, uv_project), prefix + secret)
    assert any(secret.encode() in raw for raw in files.values()), "nothing was injected"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_files(root, files)
        try:
            text = prepare(root, manager=name).text
        except ChefError as exc:
            assert_clean(str(exc), secret, "the error")
            text = ""
        assert_clean(text, secret, "the recipe")
        recipe = Path(tmp) / "recipe.json"
        done = chef("prepare", "--project-dir", str(root), "--manager", name, "--recipe-path",
                    str(recipe), "--explain")
        assert_clean(done.stdout + done.stderr, secret, "prepare's output")
        if done.returncode == 0:
            assert_clean(recipe.read_text(encoding="utf-8"), secret, "recipe.json")
            done = chef("cook", "--recipe-path", str(recipe), "--dry-run", "--python",
                        __import__("sys").executable)
            assert_clean(done.stdout + done.stderr, secret, "cook --dry-run")


BROKEN = [
    ("requirements.txt", "pkg @ https://me:{s}@files.invalid/pkg-1.0.whl ; (\n"),
    ("requirements.txt", "--index-url\n"),
    ("requirements.txt", "-r https://me:{s}@files.invalid/more.txt\n"),
    ("requirements.txt", "https://me:{s}@files.invalid/no-name-here\n"),
    ("requirements.txt", "--frobnicate https://me:{s}@files.invalid/\n"),
    ("pyproject.toml", '[project]\nname = "a"\nversion = "1"\n'
                       'dependencies = ["x @ https://me:{s}@h.invalid/x.whl ; ("]\n'),
    ("pyproject.toml", '[project]\nname = "a"\nversion = "1"\n'
                       '[tool.uv]\nindex-url = ["https://me:{s}@h.invalid/simple"]\n'),
]


@pytest.mark.parametrize(("filename", "content"), BROKEN)
def test_errors_around_credentials_do_not_show_them(filename: str, content: str,
                                                    tmp_path: Path) -> None:
    secret = "Sup3r-s3cr3t-t0ken"
    write(tmp_path / filename, content.format(s=secret))
    done = chef("prepare", "--project-dir", str(tmp_path), "--stdout")
    assert done.returncode == errors.EXIT_INPUT, done.stdout + done.stderr
    assert_clean(done.stdout + done.stderr, secret, "the error")
