"""cook against an index that requires basic auth (the loopback server in auth mode): credentials
from netrc, a BuildKit-style secret file, the installers' own variables, uv's per-index variables
or cook's --index-url reach the installer through a private netrc, never its command line, and
never show in chef's output."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from clirun import chef
from conftest import installed, write
from index_server import IndexServer

from chef import errors

pytestmark = pytest.mark.slow

USER, PASSWORD = "builder", "s3cret-Tok3n-xyz"


@pytest.fixture(scope="module")
def auth_index(wheelhouse: Path) -> Iterator[IndexServer]:
    with IndexServer(wheelhouse, auth=(USER, PASSWORD)) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, isolated_env, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """No ~/.netrc or NETRC of the machine running the tests."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.delenv("CHEF_CREDENTIALS_FILE", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def _recipe(tmp_path: Path, index_url: str) -> Path:
    project = tmp_path / "project"
    write(project / "requirements.txt", f"--index-url {index_url}\ngamma[fast]==1.0\n")
    done = chef("prepare", "--project-dir", str(project), "--recipe-path",
                str(project / "recipe.json"))
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in (project / "recipe.json").read_text()
    return project / "recipe.json"


def cook(recipe: Path, venv: Path, installer: str, *args: str,
         env: Dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = chef("cook", "--recipe-path", str(recipe), "--venv", str(venv), "--installer",
                installer, "--no-build-deps", *args, env=env, process=True)
    assert PASSWORD not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def netrc_file(path: Path, host: str = "127.0.0.1") -> Path:
    write(path, f"machine {host}\n  login {USER}\n  password {PASSWORD}\n")
    path.chmod(0o600)
    return path


def _ok(done: subprocess.CompletedProcess[str], venv: Path) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    got = installed(venv / "bin" / "python")
    assert got.get("gamma") == "1.0" and got.get("delta") == "1.0", got


INSTALLERS = ["uv", "pip"]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_without_credentials_the_index_refuses(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    recipe = _recipe(tmp_path, auth_index.url)
    done = cook(recipe, tmp_path / "venv", installer, "--quiet")
    assert done.returncode == errors.EXIT_INSTALL


@pytest.mark.parametrize("installer", INSTALLERS)
def test_netrc_the_installers_read_natively(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    recipe = _recipe(tmp_path, auth_index.url)
    netrc = netrc_file(tmp_path / "netrc")
    _ok(cook(recipe, tmp_path / "venv", installer, env={"NETRC": str(netrc)}), tmp_path / "venv")


@pytest.mark.parametrize("installer", INSTALLERS)
@pytest.mark.parametrize("how", ["option", "environment"])
def test_credentials_file_as_a_build_secret(
    installer: str, how: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """`RUN --mount=type=secret,id=netrc chef cook --credentials-file /run/secrets/netrc`."""
    recipe = _recipe(tmp_path, auth_index.url)
    secret = netrc_file(tmp_path / "run" / "secrets" / "netrc")
    if how == "option":
        done = cook(recipe, tmp_path / "venv", installer, "--credentials-file", str(secret))
    else:
        done = cook(recipe, tmp_path / "venv", installer,
                    env={"CHEF_CREDENTIALS_FILE": str(secret)})
    _ok(done, tmp_path / "venv")


def _with_creds(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{PASSWORD}@")


ENV_CASES: List[Tuple[str, str]] = [
    ("pip", "PIP_INDEX_URL"),
    ("uv", "UV_INDEX_URL"),
    ("uv", "UV_DEFAULT_INDEX"),
    ("pip", "PIP_EXTRA_INDEX_URL"),
    ("uv", "UV_INDEX"),
]


@pytest.mark.parametrize(("installer", "variable"), ENV_CASES)
def test_installer_variables_with_credentials(
    installer: str, variable: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """The recipe names the index (without credentials) and so does the variable (with them):
    chef's --index-url would hide the variable from the installer, so chef passes the
    credentials on through netrc."""
    recipe = _recipe(tmp_path, auth_index.url)
    value = _with_creds(auth_index.url)
    if variable == "UV_INDEX":
        value = f"corp={value}"
    _ok(cook(recipe, tmp_path / "venv", installer, env={variable: value}), tmp_path / "venv")


@pytest.mark.parametrize("installer", INSTALLERS)
def test_uv_per_index_variables(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    recipe = _recipe(tmp_path, auth_index.url)
    env = {"UV_INDEX": f"private-corp={auth_index.url}",
           "UV_INDEX_PRIVATE_CORP_USERNAME": USER, "UV_INDEX_PRIVATE_CORP_PASSWORD": PASSWORD}
    _ok(cook(recipe, tmp_path / "venv", installer, env=env), tmp_path / "venv")


@pytest.mark.parametrize("installer", INSTALLERS)
def test_credentials_in_cooks_index_url(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    recipe = _recipe(tmp_path, "https://index.invalid/simple")
    venv = tmp_path / "venv"
    dry = cook(recipe, venv, installer, "--dry-run", "--index-url", _with_creds(auth_index.url))
    assert dry.returncode == 0 and "credentials for 127.0.0.1" in dry.stdout
    assert f"{USER}:" not in dry.stdout
    _ok(cook(recipe, venv, installer, "--index-url", _with_creds(auth_index.url)), venv)


@pytest.mark.parametrize("installer", INSTALLERS)
def test_placeholders_in_the_recipe(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """`${VAR}` userinfo is kept in the recipe (not a secret) and expanded at cook time."""
    placeholder = auth_index.url.replace("http://", "http://${IDX_USER}:${IDX_TOKEN}@")
    recipe = _recipe(tmp_path, placeholder)
    assert "${IDX_TOKEN}" in recipe.read_text()
    missing = cook(recipe, tmp_path / "venv", installer)
    assert missing.returncode == errors.EXIT_ENVIRONMENT and "IDX_TOKEN" in missing.stderr
    _ok(cook(recipe, tmp_path / "venv", installer,
             env={"IDX_USER": USER, "IDX_TOKEN": PASSWORD}), tmp_path / "venv")


def _pipenv_recipe(tmp_path: Path, source_url: str) -> Path:
    """A Pipfile whose [[source]] url pipenv expands from the environment (the reported case:
    `url = "${PRIVATE_INDEX_URL}"`), and its Pipfile.lock."""
    import json

    from chef.freshness.pipenv import pipfile_hash
    from chef.toml import load_toml

    project = tmp_path / "project"
    write(project / "Pipfile", f'[[source]]\nname = "private"\nurl = "{source_url}"\n'
          'verify_ssl = true\n\n[packages]\ngamma = {version = "==1.0", extras = ["fast"]}\n')
    pin = {"index": "private", "version": "==1.0"}
    lock = {"_meta": {"hash": {"sha256": pipfile_hash(load_toml(project / "Pipfile", "Pipfile"))},
                      "pipfile-spec": 6, "requires": {},
                      "sources": [{"name": "private", "url": source_url, "verify_ssl": True}]},
            "default": {"gamma": {**pin, "extras": ["fast"]}, "delta": pin}, "develop": {}}
    write(project / "Pipfile.lock", json.dumps(lock, indent=4) + "\n")
    done = chef("prepare", "--project-dir", str(project), "--recipe-path",
                str(project / "recipe.json"))
    assert done.returncode == 0, done.stderr
    return project / "recipe.json"


@pytest.mark.parametrize("spelling", ["${PRIVATE_INDEX_URL}", "$PRIVATE_INDEX_URL"])
@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_whole_index_url_from_the_environment(
    installer: str, spelling: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """Before: prepare kept `${PRIVATE_INDEX_URL}` and cook refused its own recipe ("not an
    allowed URL"). Now the recipe keeps the placeholder in one spelling, a dry run names the
    variable cook will need, and cook fills it in, credentials and all, which reach the
    installer through the private netrc, never its command line."""
    recipe = _pipenv_recipe(tmp_path, spelling)
    assert '"index_url": "${PRIVATE_INDEX_URL}"' in recipe.read_text()
    dry = cook(recipe, tmp_path / "venv", installer, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "cook needs PRIVATE_INDEX_URL in its environment" in dry.stdout + dry.stderr
    missing = cook(recipe, tmp_path / "venv", installer)
    assert missing.returncode == errors.EXIT_ENVIRONMENT
    assert "needs PRIVATE_INDEX_URL from the environment" in missing.stderr
    assert not (tmp_path / "venv").exists()  # refused before anything was created
    with_secret = auth_index.url.replace("http://", f"http://{USER}:{PASSWORD}@")
    _ok(cook(recipe, tmp_path / "venv", installer, env={"PRIVATE_INDEX_URL": with_secret}),
        tmp_path / "venv")


def test_a_placeholder_host_and_a_bad_value(
    auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """Any part of the URL may be a placeholder (pip expands `${NAME}` anywhere in a requirements
    line); a value that would not make a URL is refused naming the variable, not passed on."""
    host_port = auth_index.url.split("://")[1].split("/")[0]
    recipe = _recipe(tmp_path, "http://${IDX_USER}:${IDX_TOKEN}@${IDX_HOST}/simple")
    env = {"IDX_USER": USER, "IDX_TOKEN": PASSWORD, "IDX_HOST": host_port}
    _ok(cook(recipe, tmp_path / "venv", "uv", env=env), tmp_path / "venv")
    bad = cook(recipe, tmp_path / "venv2", "uv", env={**env, "IDX_HOST": "x --trusted-host y"})
    assert bad.returncode == errors.EXIT_ENVIRONMENT, bad.stderr
    assert "not a URL chef passes to an installer" in bad.stderr


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_placeholder_host_reaches_the_real_installer_out_of_sight(
    installer: str, auth_index: IndexServer, tmp_path: Path, home: Path
) -> None:
    """A host from the environment is a secret (issue 19): the real pip and uv get the index
    URL in their environment (PIP_INDEX_URL, UV_INDEX_URL), install from it, and nothing they
    or chef print holds the host (pip says "Looking in indexes: http://***/simple")."""
    host_port = auth_index.url.split("://")[1].split("/")[0]
    recipe = _recipe(tmp_path, "http://${IDX_USER}:${IDX_TOKEN}@${IDX_HOST}/simple")
    env = {"IDX_USER": USER, "IDX_TOKEN": PASSWORD, "IDX_HOST": host_port}
    done = cook(recipe, tmp_path / "venv", installer, env=env)
    _ok(done, tmp_path / "venv")
    assert host_port not in done.stdout + done.stderr, done.stdout + done.stderr
    if installer == "pip":
        assert "Looking in indexes: http://***/simple" in done.stdout, done.stdout


def test_pip_expands_only_upper_case_placeholders(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "--index-url https://${host}/simple\nalpha\n")
    done = chef("prepare", "--stdout", cwd=tmp_path)
    assert done.returncode == errors.EXIT_INPUT
    assert "pip does not expand ${host} (only upper-case letters, digits and _)" in done.stderr
