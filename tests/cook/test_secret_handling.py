"""Secrets at cook time, with a fake installer that records what it is given (argv, environment,
the files its options name, the netrc; tests/fakebackends.py): values of `${NAME}` placeholders in
index URLs (userinfo, a token in the path, a host) never show in chef's output, the installer's
argv or output, a file left behind or the venv; placeholders are expanded once; SIGTERM, SIGHUP
and SIGINT end the installer's process group and remove the private netrc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple
from urllib.parse import quote

import pytest
from clirun import chef_argv
from conftest import write
from fakebackends import install_fake_installers

from chef import errors
from chef.cook import credentials
from chef.errors import ChefError
from chef.prepare import prepare_to_file

TOKEN = "tok-path-5e6f7a8b"
HOST = "hostsecret-91.invalid"
PASSWORDS = ["p<a>ss'w@o%r:d", "x\"y'z<>@%40:q", "plain-pw-4d3c2b1a"]
REQUIREMENTS = (
    "--index-url https://${IDX_USER}:${IDX_PASS}@private.invalid/${IDX_TOKEN}/simple\n"
    "--extra-index-url https://${IDX_HOST}/simple\n"
    "alpha==1.0\n"
)


def _spellings(*values: str) -> List[str]:
    return [s for v in values for s in {v, quote(v, safe=""), quote(v)}]


def _project(tmp_path: Path) -> Path:
    write(tmp_path / "p" / "requirements.txt", REQUIREMENTS)
    recipe = tmp_path / "p" / "recipe.json"
    prepare_to_file(tmp_path / "p", recipe)
    return recipe


def _env(tmp_path: Path, password: str, fakes: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "PYTEST_"))}
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env.update({
        "IDX_USER": "me", "IDX_PASS": password, "IDX_TOKEN": TOKEN, "IDX_HOST": HOST,
        "PATH": str(fakes / "bin") + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": str(fakes / "lib"), "TMPDIR": str(tmp), "HOME": str(tmp_path / "home"),
        "FAKE_INSTALLER_RECORD": str(tmp_path / "record"),
    })
    return env


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), venv / "bin" / "python")
    return venv


def _calls(tmp_path: Path) -> List[Dict[str, object]]:
    record = tmp_path / "record"
    return [json.loads(p.read_text("utf-8")) for p in sorted(record.glob("call-*.json"))]


def _files_under(root: Path) -> Iterator[Tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path, path.read_bytes()


@pytest.mark.parametrize("installer", ["uv", "pip"])
@pytest.mark.parametrize("password", PASSWORDS, ids=["quotes", "more-quotes", "plain"])
def test_no_value_from_the_environment_shows(tmp_path: Path, installer: str,
                                             password: str) -> None:
    recipe = _project(tmp_path)
    fakes = install_fake_installers(tmp_path / "fakes")
    env = _env(tmp_path, password, fakes)
    venv = _venv(tmp_path)
    cook = chef_argv("cook", "--recipe-path", str(recipe), "--venv", str(venv), "--installer",
                     installer, "--no-build-deps")
    dry = subprocess.run(cook + ["--dry-run"], env=env, capture_output=True, text=True)
    done = subprocess.run(cook, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert dry.returncode == 0, dry.stderr
    secrets = _spellings(password, TOKEN, HOST)
    calls = _calls(tmp_path)
    assert calls, "the installer was not called"
    shown = dry.stdout + dry.stderr + done.stdout + done.stderr
    assert "Looking in indexes: " in done.stdout  # the installer's output went through chef
    assert "https://private.invalid/***/simple" in shown
    for call in calls:
        argv, call_env = call["argv"], call["env"]
        files: Dict[str, str] = call["files"]  # type: ignore[assignment]
        assert isinstance(argv, list) and isinstance(call_env, dict)
        # The netrc carries the password; the environment the URLs, with no userinfo.
        netrc = files[call_env["NETRC"]]
        assert f"machine private.invalid login me password {password}\n" in netrc
        assert f"https://private.invalid/{TOKEN}/simple" in json.dumps(call_env)
        other = {k: v for k, v in call_env.items() if not k.startswith("IDX_")}
        for secret in secrets:
            assert not any(secret in arg for arg in argv), (secret, argv)
            for name, text in files.items():
                assert name == call_env["NETRC"] or secret not in text, (secret, name)
        for secret in _spellings(password):
            assert secret not in json.dumps(other), secret
    for secret in secrets:
        assert secret not in shown, (secret, shown)
    # Nothing left in the temporary directory (the netrc, the requirements files) or the venv.
    assert not [p for p, _ in _files_under(tmp_path / "tmp")]
    for path, data in _files_under(venv):
        for secret in secrets:
            assert secret.encode() not in data, (secret, path)


def test_the_index_url_an_installer_sees_means_the_same(tmp_path: Path) -> None:
    """URLs moved from argv to the environment: pip adds --extra-index-url to
    PIP_EXTRA_INDEX_URL's, replaces PIP_INDEX_URL; uv's options replace their variables."""
    recipe = _project(tmp_path)
    fakes = install_fake_installers(tmp_path / "fakes")
    env = _env(tmp_path, "pw-123456", fakes)
    env["PIP_EXTRA_INDEX_URL"] = "https://base-image.invalid/simple"
    env["UV_EXTRA_INDEX_URL"] = "https://base-image-uv.invalid/simple"
    venv = _venv(tmp_path)
    for installer in ("pip", "uv"):
        subprocess.run(chef_argv("cook", "--recipe-path", str(recipe), "--venv", str(venv),
                                 "--installer", installer, "--no-build-deps"),
                       env=env, check=True, capture_output=True)
    pip_call, uv_call = _calls(tmp_path)
    pip_env, uv_env = pip_call["env"], uv_call["env"]
    assert isinstance(pip_env, dict) and isinstance(uv_env, dict)
    assert pip_env["PIP_INDEX_URL"] == f"https://private.invalid/{TOKEN}/simple"
    assert pip_env["PIP_EXTRA_INDEX_URL"] == (
        f"https://base-image.invalid/simple https://{HOST}/simple")
    assert uv_env["UV_INDEX_URL"] == f"https://private.invalid/{TOKEN}/simple"
    assert uv_env["UV_EXTRA_INDEX_URL"] == f"https://{HOST}/simple"
    assert "--index-strategy" in uv_call["argv"]  # type: ignore[operator]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("installer", ["uv", "pip"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_removes_the_netrc_and_ends_the_installer(
    tmp_path: Path, installer: str, sig: signal.Signals
) -> None:
    recipe = _project(tmp_path)
    fakes = install_fake_installers(tmp_path / "fakes")
    env = _env(tmp_path, PASSWORDS[0], fakes)
    env["FAKE_INSTALLER_SLEEP"] = "1"
    venv = _venv(tmp_path)
    chef = subprocess.Popen(
        chef_argv("cook", "--recipe-path", str(recipe), "--venv", str(venv), "--installer",
                  installer, "--no-build-deps"),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids = tmp_path / "record" / "pids"
    deadline = time.monotonic() + 60
    while not pids.exists() and chef.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids.exists(), chef.communicate()
    installer_pid, child_pid = map(int, pids.read_text().split())
    netrcs = list((tmp_path / "tmp").glob("chef-*/netrc"))
    assert netrcs and PASSWORDS[0] in netrcs[0].read_text()  # while the installer runs
    chef.send_signal(sig)
    out, err = chef.communicate(timeout=30)
    assert chef.returncode == 128 + sig, (out, err)
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("chef: "), err
    assert not netrcs[0].exists()
    assert not [p for p, _ in _files_under(tmp_path / "tmp")]
    deadline = time.monotonic() + 10
    while (_alive(installer_pid) or _alive(child_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(installer_pid), "the installer was left running"
    assert not _alive(child_pid), "the installer's child was left running"


def test_placeholders_are_expanded_once_left_to_right() -> None:
    environ = {"SCHEME": "https://${AWS_SECRET}.evil.invalid/x?", "AWS_SECRET": "TOPSECRET",
               "U": "alice", "P": "pw-alice"}
    with pytest.raises(ChefError) as info:
        credentials.expand("${SCHEME}://${U}:${P}@host.invalid/simple", environ)
    assert info.value.exit_code == errors.EXIT_ENVIRONMENT
    for value in ("TOPSECRET", "alice", "pw-alice", "evil"):
        assert value not in str(info.value)
    # A value holding a placeholder stays that text (a dry run shows it as written).
    url, values = credentials.expand_parts(
        "https://${A}/simple", {"A": "h.invalid/${B}", "B": "b-secret"}, strict=False)
    assert url == "https://h.invalid/${B}/simple" and values == ["h.invalid/${B}"]
    # Userinfo is decided on the recipe's text: a value's `@` is no userinfo.
    url, values = credentials.expand_parts(
        "https://${U}:${P}@h.invalid/${T}/", {"U": "u", "P": "a@b:c", "T": "t@x"})
    assert url == "https://u:a%40b%3Ac@h.invalid/t@x/"
    assert set(values) == {"u", "a@b:c", "a%40b%3Ac", "t@x"}


@pytest.mark.parametrize("password", PASSWORDS + ["<>", "a'b", "p@ss@word"])
def test_masking_whatever_the_password_holds(password: str) -> None:
    creds = credentials.collect({})
    creds.hidden = {password}
    for url in (f"https://me:{password}@h.invalid/simple",
                f"https://me:{quote(password, safe='')}@h.invalid/simple"):
        for text in (url, repr(url), f"<{url}>", f"'{url}' failed", f"see {url}, then"):
            masked = creds.mask(text)
            assert "h.invalid/simple" in masked
            for secret in _spellings(password):
                assert f"me:{secret}@" not in masked, masked
                assert len(password) < 3 or secret not in masked, masked
