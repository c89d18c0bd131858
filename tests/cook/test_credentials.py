"""Where cook finds credentials, how it hands them over (a private netrc in the installer's
environment) and that they never reach a command line or an output."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import write

from chef import errors
from chef.cook import credentials, installers
from chef.cook.credentials import collect, installer_env, netrc_text, split_url
from chef.errors import ChefError

SECRET = "tok-9f8e7d6c5b4a"


def test_split_url() -> None:
    assert split_url("https://u:p%40ss@h.invalid:8443/simple", {}) == (
        "https://h.invalid:8443/simple", ("h.invalid", "u", "p@ss"))
    assert split_url("https://h.invalid/simple", {}) == ("https://h.invalid/simple", None)
    assert split_url("git+ssh://git@h.invalid/r.git", {})[1] is None
    url, found = split_url("https://${U}:${T}@h.invalid/simple", {"U": "me", "T": SECRET})
    assert url == "https://h.invalid/simple" and found == ("h.invalid", "me", SECRET)
    with pytest.raises(ChefError) as info:
        split_url("https://${U}:${T}@h.invalid/simple", {"U": "me"})
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT and "T" in str(info.value)


def test_precedence_and_sources(tmp_path: Path) -> None:
    secret_file = write(tmp_path / "netrc", f"machine b.invalid login file password {SECRET}\n"
                                            "machine a.invalid login file password nope\n")
    env = {
        "PIP_INDEX_URL": "https://env:envpw@a.invalid/simple",
        "UV_EXTRA_INDEX_URL": "https://x.invalid/simple https://env:envpw2@c.invalid/simple",
        "UV_INDEX": "corp=https://d.invalid/simple other=https://e.invalid/simple",
        "UV_INDEX_CORP_USERNAME": "corp-user", "UV_INDEX_CORP_PASSWORD": "corp-pw",
    }
    creds = collect(env, secret_file, explicit_urls=["https://cli:clipw@a.invalid/simple"])
    assert creds.hosts == {
        "a.invalid": ("cli", "clipw"),  # the command line wins
        "b.invalid": ("file", SECRET),
        "c.invalid": ("env", "envpw2"),
        "d.invalid": ("corp-user", "corp-pw"),
    }
    assert creds.sources["c.invalid"] == "UV_EXTRA_INDEX_URL"
    assert creds.sources["d.invalid"] == "UV_INDEX_CORP_USERNAME/PASSWORD"
    text = "\n".join(creds.describe())
    for value in ("clipw", SECRET, "envpw2", "corp-pw"):
        assert value not in text


def test_mask() -> None:
    creds = collect({"PIP_INDEX_URL": f"https://me:{SECRET}@a.invalid/simple"})
    assert creds.mask(f"failed: token {SECRET} at https://me:{SECRET}@a.invalid/x") == (
        "failed: token *** at https://***@a.invalid/x")


def test_netrc_keeps_the_users_other_hosts(tmp_path: Path) -> None:
    theirs = write(tmp_path / "home" / ".netrc",
                   "machine a.invalid login old password oldpw\n"
                   "machine z.invalid login keep password keeppw\n"
                   "default login anon password anonpw\n")
    creds = collect({"NETRC": str(theirs),
                     "PIP_INDEX_URL": f"https://me:{SECRET}@a.invalid/simple"})
    text = netrc_text(creds)
    assert text.splitlines() == [
        f"machine a.invalid login me password {SECRET}",
        "machine z.invalid login keep password keeppw",
        "default login anon password anonpw",
    ]


@pytest.mark.parametrize("password", ["with space", '"quoted', "back\\slash", "#hash"])
def test_passwords_netrc_cannot_carry(password: str) -> None:
    creds = credentials.Credentials()
    creds.add("a.invalid", "me", password, "test")
    with pytest.raises(ChefError) as info:
        netrc_text(creds)
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT
    assert password not in str(info.value)


def test_credentials_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ChefError) as info:
        collect({}, tmp_path / "missing")
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT and "not found" in str(info.value)
    bad = write(tmp_path / "bad", "machine\n")
    with pytest.raises(ChefError) as info:
        collect({}, bad)
    assert "not a valid netrc" in str(info.value) and str(bad) in str(info.value)


def test_installer_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", f"https://me:{SECRET}@a.invalid/simple")
    creds = collect(dict(os.environ))
    env = installer_env(creds, tmp_path)
    assert env is not None
    netrc = Path(env["NETRC"])
    assert stat.S_IMODE(netrc.stat().st_mode) == 0o600
    assert SECRET in netrc.read_text()
    assert env["PIP_INDEX_URL"] == "https://a.invalid/simple"
    assert installer_env(credentials.Credentials(), tmp_path / "none") is None


def test_cook_passes_credentials_by_netrc_not_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Dict[str, str]
) -> None:
    """In-process cook with the installer replaced: look at exactly what it would be given."""
    from chef.cook.plan import Overrides
    from chef.cook.run import TargetSpec, cook
    from chef.prepare import prepare_to_file

    write(tmp_path / "p" / "requirements.txt",
          "--index-url https://${IDX_USER}:${IDX_TOKEN}@private.invalid/simple\nalpha==1.0\n")
    recipe = tmp_path / "p" / "recipe.json"
    prepare_to_file(tmp_path / "p", recipe)
    monkeypatch.setenv("IDX_USER", "me")
    monkeypatch.setenv("IDX_TOKEN", SECRET)
    monkeypatch.setenv("HOME", str(tmp_path))
    calls: List[Dict[str, Any]] = []

    def fake_run(argv: Any, what: str, quiet: bool, env: Any = None, hidden: Any = None) -> None:
        netrc = Path(env["NETRC"]).read_text() if env and "NETRC" in env else ""
        calls.append({"argv": list(argv), "env": env, "netrc": netrc})

    monkeypatch.setattr(installers, "run", fake_run)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), venv / "bin" / "python")
    printed: List[str] = []
    cook(recipe, TargetSpec(venv=venv), installer="pip", build_deps=False,
         overrides=Overrides(extra_index_urls=(f"https://cli:{SECRET}x@other.invalid/simple",)),
         echo=printed.append)
    assert calls, "the installer was not called"
    for call in calls:
        assert all(SECRET not in arg for arg in call["argv"]), call["argv"]
        assert "https://private.invalid/simple" in call["argv"]
        assert f"machine private.invalid login me password {SECRET}" in call["netrc"]
        assert f"machine other.invalid login cli password {SECRET}x" in call["netrc"]
    assert not any(SECRET in line for line in printed)
