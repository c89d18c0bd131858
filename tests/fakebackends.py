"""Stand-ins for hatchling and setuptools that the tests ship as wheels (no network in tests).

They are tinybuild (tests/tinybuild.py) with the part of the real backend's behaviour that decides
what `get_requires_for_build_wheel` returns and what the build needs:

- `hatchling` (module `hatchling.build`): build hooks from `[tool.hatch.build.hooks.<name>]` and
  `[tool.hatch.build.targets.wheel.hooks.<name>]` (and a hatch.toml beside pyproject.toml), each
  enabled by hatchling's rules (`enable-by-default`, `HATCH_BUILD_HOOKS_ENABLE`,
  `HATCH_BUILD_HOOK_ENABLE_<NAME>`, `HATCH_BUILD_NO_HOOKS`, values "1"/"true"). The requirements
  asks for the enabled hooks' `dependencies`; the build fails with "Unknown build hook: <name>"
  when an enabled hook's plugin is not importable, as hatchling does. The plugin of hook `x` is the
  module `hatch_x`; its `initialize(build_data)` adds files to the wheel.
- `setuptools` (module `setuptools.build_meta`): a setup.cfg project ([metadata] name and version);
  the requirements asks for `[options] setup_requires`, and the build imports each of them, as a
  setup.py that uses its setup_requires does.
"""

from __future__ import annotations

from pathlib import Path

from tinybuild import BACKEND_SOURCE

_MINI_TOML = r'''
def _toml(path):
    """tomllib, or enough TOML for the tests' fixtures on Python < 3.11."""
    with open(path, "rb") as f:
        text = f.read().decode()
    try:
        import tomllib
        return tomllib.loads(text)
    except ImportError:
        pass
    data, current = {}, None
    for raw in text.splitlines():
        line = raw.split(" #")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            current = data
            for part in line.strip("[]").split("."):
                current = current.setdefault(part.strip().strip('"'), {})
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        value = {"true": "True", "false": "False"}.get(value, value)
        current[key.strip().strip('"')] = ast.literal_eval(value)
    return data
'''

HATCHLING_SOURCE = BACKEND_SOURCE + _MINI_TOML + r'''

def _on(name):
    return os.environ.get(name) in ("1", "true")


def _hooks():
    data = _toml("pyproject.toml").get("tool", {}).get("hatch", {})
    if os.path.isfile("hatch.toml"):
        data = dict(data)
        data.update(_toml("hatch.toml"))
    build = data.get("build", {})
    hooks = dict(build.get("hooks", {}))
    hooks.update(build.get("targets", {}).get("wheel", {}).get("hooks", {}))
    if _on("HATCH_BUILD_NO_HOOKS"):
        return {}
    return {
        name: config for name, config in hooks.items()
        if _on("HATCH_BUILD_HOOKS_ENABLE") or config.get("enable-by-default", True)
        or _on("HATCH_BUILD_HOOK_ENABLE_" + name.upper())
    }


def get_requires_for_build_wheel(config_settings=None):
    out = []
    for config in _hooks().values():
        out.extend(config.get("dependencies", []))
    return out


get_requires_for_build_editable = get_requires_for_build_wheel

_tinybuild_build_wheel = build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import importlib
    extra = {}
    for name in _hooks():
        try:
            plugin = importlib.import_module("hatch_" + name.replace("-", "_"))
        except ImportError:
            raise ValueError("Unknown build hook: " + name)
        plugin.initialize(extra)
    if not extra:
        return _tinybuild_build_wheel(wheel_directory, config_settings, metadata_directory)
    base, pkg = _package_dir()
    files = {k: v.encode() for k, v in extra.items()}
    for dirpath, _, names in os.walk(os.path.join(base, pkg)):
        for n in sorted(names):
            full = os.path.join(dirpath, n)
            with open(full, "rb") as f:
                files[os.path.relpath(full, base).replace(os.sep, "/")] = f.read()
    return _write(wheel_directory, files)
'''

SETUPTOOLS_SOURCE = BACKEND_SOURCE + r'''

def _setup_cfg():
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read("setup.cfg")
    return parser


def _meta():
    parser = _setup_cfg()
    return {"name": parser.get("metadata", "name"), "version": parser.get("metadata", "version")}


def get_requires_for_build_wheel(config_settings=None):
    value = _setup_cfg().get("options", "setup_requires", fallback="")
    items = value.splitlines() if "\n" in value else value.split(";")
    return [item.strip() for item in items if item.strip()]


get_requires_for_build_editable = get_requires_for_build_wheel

_tinybuild_build_wheel = build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import importlib, re
    for requirement in get_requires_for_build_wheel():
        importlib.import_module(re.split("[^A-Za-z0-9_.-]", requirement)[0].replace("-", "_"))
    return _tinybuild_build_wheel(wheel_directory, config_settings, metadata_directory)
'''


def hook_plugin(marker: str) -> str:
    """A hook plugin module: its hook writes `<package>/_hooked.py` holding `marker`."""
    return (
        "import os\n"
        "def initialize(build_data):\n"
        "    from hatchling.build import _package_dir\n"
        "    pkg = _package_dir()[1]\n"
        f"    build_data[pkg + '/_hooked.py'] = {f'HOOKED = {marker!r}' + chr(10)!r}\n"
    )


# A stand-in for an installer (`uv` on PATH, or the `pip` package that `python -m pip` runs): it
# records what it was given (argv, environment, the files its options name and NETRC's content)
# as JSON in $FAKE_INSTALLER_RECORD, and prints the index URLs it was given the way pip does
# ("Looking in indexes: ..."), to stdout and stderr. With FAKE_INSTALLER_SLEEP set it writes its
# pid and a child's pid to $FAKE_INSTALLER_RECORD/pids, then sleeps (a slow install).
FAKE_INSTALLER_SOURCE = r'''
import json, os, subprocess, sys, time

def main():
    argv = sys.argv[1:]
    record = os.environ["FAKE_INSTALLER_RECORD"]
    os.makedirs(record, exist_ok=True)
    if argv[:1] == ["venv"]:
        return 0
    files = {}
    for flag, value in zip(argv, argv[1:]):
        if flag in ("-r", "-c") and os.path.isfile(value):
            with open(value, encoding="utf-8") as handle:
                files[value] = handle.read()
    netrc = os.environ.get("NETRC")
    if netrc and os.path.isfile(netrc):
        with open(netrc, encoding="utf-8") as handle:
            files[netrc] = handle.read()
    indexes = [v for f, v in zip(argv, argv[1:]) if f in ("--index-url", "--extra-index-url")]
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL"):
        indexes += os.environ.get(name, "").split()
    count = len(os.listdir(record))
    with open(os.path.join(record, "call-%03d.json" % count), "w", encoding="utf-8") as handle:
        json.dump({"argv": sys.argv, "env": dict(os.environ), "files": files}, handle)
    print("Looking in indexes: " + ", ".join(indexes), flush=True)
    print("ERROR: could not fetch " + " ".join(indexes), file=sys.stderr, flush=True)
    if os.environ.get("FAKE_INSTALLER_SLEEP"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        with open(os.path.join(record, "pids.tmp"), "w") as handle:
            handle.write("%d %d" % (os.getpid(), child.pid))
        os.replace(os.path.join(record, "pids.tmp"), os.path.join(record, "pids"))
        time.sleep(120)
    return 0

sys.exit(main())
'''


def install_fake_installers(directory: Path) -> Path:
    """`directory/bin/uv` (put it first on PATH) and `directory/lib/pip` (put it on PYTHONPATH:
    `python -m pip` runs it); returns `directory`."""
    import os
    import sys

    (directory / "bin").mkdir(parents=True, exist_ok=True)
    uv = directory / "bin" / "uv"
    uv.write_text(f"#!{sys.executable}\n" + FAKE_INSTALLER_SOURCE, "utf-8")
    os.chmod(uv, 0o755)
    pip = directory / "lib" / "pip"
    pip.mkdir(parents=True, exist_ok=True)
    (pip / "__init__.py").write_text("", "utf-8")
    (pip / "__main__.py").write_text(FAKE_INSTALLER_SOURCE, "utf-8")
    return directory
