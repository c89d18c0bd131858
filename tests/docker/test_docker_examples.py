"""Dockerfile.example over every example, for real: after a cold build, each change a developer
makes is applied and the image rebuilt; the `chef cook` layer must be reused exactly when nothing
that decides the installed set changed, and the image must run the new code.

Each example's changes are applied one after another to one temporary copy (so the checks share
its cold build); the tests of a class run in order, grouped per example.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List

import dockerlib
import pytest
from dockerlib import Build, Docker, Example, Project

pytestmark = pytest.mark.docker

READERS = set(dockerlib.chef_readers())
# Examples whose format chef cannot read yet are not collected (the session header names them).
CASES = [e for e in dockerlib.EXAMPLE_LIST if e.reader in READERS]

COOK = "chef cook"
PREPARE = "chef prepare"
INSTALL_PROJECT = "chef install-project"
NEW_DEPENDENCY = ("tabulate==0.9.0", "tabulate", "0.9.0")
DEV_BUMP = ("iniconfig==2.1.0", "iniconfig")


@dataclass
class App:
    docker: Docker
    project: Project
    base: str
    builds: List[Build] = field(default_factory=list)

    @property
    def example(self) -> Example:
        return self.project.example

    @property
    def tag(self) -> str:
        return self.docker.tag(self.example.name)

    def build(self) -> Build:
        args = {"PYTHON_IMAGE": self.base, **self.example.build_args}
        build = self.docker.build(self.project.root, self.tag, build_args=args)
        self.builds.append(build)
        return build

    def run_app(self) -> str:
        return self.docker.run(self.tag, "python", "-m", self.example.module)

    def installed(self) -> Dict[str, str]:
        return self.docker.installed(self.tag)

    def expected(self) -> Dict[str, str]:
        """What the project's manager installs from its lock, for the image's interpreter."""
        return self.project.export(self.docker.marker_env(self.tag))

    def why(self, build: Build) -> str:
        steps = "\n".join(f"  {'CACHED' if s.cached else 'ran   '} {s.name[:110]}"
                          for s in build.steps.values())
        return f"{self.example.name}: build steps were:\n{steps}"


@pytest.fixture(scope="class", params=CASES, ids=lambda e: e.name)
def app(request: pytest.FixtureRequest, docker: Docker, chef_base: str,
        tmp_path_factory: pytest.TempPathFactory) -> App:
    example: Example = request.param
    project = Project.copy(example, tmp_path_factory.mktemp(example.name))
    state = App(docker, project, chef_base)
    state.build()  # the cold build every check below starts from
    return state


def assert_installed_set_is_the_lock(app: App) -> None:
    installed = app.installed()
    local = set(app.example.local)
    assert local <= set(installed), f"the project's own packages are not installed: {installed}"
    third_party = {k: v for k, v in installed.items() if k not in local}
    expected = app.expected()
    assert third_party == expected, (
        f"{app.example.name}: image differs from the {app.example.manager} export:\n"
        f"  only in the image: {sorted(set(third_party.items()) - set(expected.items()))}\n"
        f"  only in the lock:  {sorted(set(expected.items()) - set(third_party.items()))}")


def assert_only_project_layers_rebuilt(app: App, build: Build) -> None:
    assert not build.cached(PREPARE), "the planner did not see the change: " + app.why(build)
    assert build.all_cached(COOK), "a dependency layer was rebuilt: " + app.why(build)
    if app.example.local:
        assert not build.cached(INSTALL_PROJECT), app.why(build)


# Run in the runtime image: import every top-level module of every distribution the venv holds,
# and find any .pth line or direct_url.json of the venv that points at a path the image lacks (one
# that existed only in the builder). Prints JSON: the uid, what was imported, what is wrong.
RUNTIME_CHECK = r"""
import glob, importlib, importlib.metadata as md, json, os, sysconfig, urllib.parse
site = sysconfig.get_paths()["purelib"]
imported, problems = [], []
for dist in md.distributions():
    name = dist.metadata["Name"]
    tops = set((dist.read_text("top_level.txt") or "").split())
    for f in dist.files or []:
        parts = f.parts
        if not parts or parts[0] == ".." or parts[0].endswith((".dist-info", ".data")):
            continue
        if len(parts) == 1 and parts[0].endswith(".py"):
            tops.add(parts[0][:-3])
        elif len(parts) == 2 and parts[1] == "__init__.py":
            tops.add(parts[0])
    for top in sorted(t for t in tops if t.isidentifier() and t != "__pycache__"):
        try:
            importlib.import_module(top)
            imported.append(top)
        except Exception as exc:
            problems.append(f"import {top} ({name}): {exc!r}")
    direct = dist.read_text("direct_url.json")
    if direct:
        url = json.loads(direct).get("url", "")
        if url.startswith("file:"):
            path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
            if not os.path.exists(path):
                problems.append(f"{name}: direct_url.json points at {path}, not in the image")
for pth in sorted(glob.glob(os.path.join(site, "*.pth"))):
    for line in open(pth, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith(("#", "import ", "import\t")):
            continue
        path = os.path.join(site, line)
        if not os.path.exists(path):
            problems.append(f"{os.path.basename(pth)} points at {path}, not in the image")
print(json.dumps({"uid": os.getuid(), "imported": imported, "problems": problems}))
"""


class TestRebuilds:
    def test_cold_build_installs_exactly_the_lock(self, app: App) -> None:
        cold = app.builds[0]
        # The layer with the example's packages ran (cook-1 may be CACHED: with no heavy package,
        # its layer recipe holds only the shared settings, and an earlier build made that venv).
        assert not cold.all_cached(COOK), app.why(cold)
        assert app.project.greeting() in app.run_app()
        assert_installed_set_is_the_lock(app)
        # chef (chef.pyz included: it was in the build context), uv and the build environment
        # stay out of the runtime image.
        assert app.docker.run(app.tag, "sh", "-c", "ls -d /opt/chef /app/.venv.chef-build "
                              "/usr/local/bin/chef /usr/local/bin/uv /app/chef.pyz "
                              "2>/dev/null || true").strip() == ""

    def test_runtime_runs_as_nobody_on_a_read_only_root(self, app: App) -> None:
        """As users run images: a non-root user, a read-only root filesystem, no network. The app
        starts, every dependency imports, and nothing in the venv points into the builder."""
        flags = ("run", "--rm", "--network", "none", "--user", "65534", "--read-only")
        assert app.project.greeting() in app.docker(*flags, app.tag, "python", "-m",
                                                    app.example.module).stdout
        got = json.loads(app.docker(*flags, "-w", "/", app.tag, "python", "-c",
                                    RUNTIME_CHECK).stdout)
        assert got["uid"] == 65534
        assert not got["problems"], f"{app.example.name}: " + "; ".join(got["problems"])
        if app.example.dist:  # the project's own package is a distribution of the venv
            assert app.example.module in got["imported"], got["imported"]
        assert len(got["imported"]) >= len(app.expected()), got["imported"]
        # Writes nothing, even where it could: run as root on a writable root filesystem (a
        # missing .pyc would be written then), and the container's diff must be empty.
        name = f"{app.tag.replace(':', '-')}-writes"
        # The app from the image's WORKDIR (an app that is no package is found only there), the
        # check from / (nothing imported from /app by accident).
        try:
            app.docker("run", "--name", name, "--network", "none", app.tag, "sh", "-c",
                       f'python -m {app.example.module} >/dev/null && cd / && python -c "$0"'
                       ' >/dev/null', RUNTIME_CHECK)
            diff = app.docker("diff", name).stdout.strip()
        finally:  # (check=False: a run that failed to start left no container)
            subprocess.run([app.docker.binary, "rm", "-f", name], capture_output=True,
                           env=app.docker.env, check=False)
        wrote = diff.splitlines()
        if app.example.dist is None:
            # An app that is no package runs from its files in /app, which no installer
            # compiled: Python writes their bytecode there (read-only above: it goes without).
            # The venv and the rest of the image stay as they were all the same.
            wrote = [line for line in wrote if not (line.split()[-1] == "/app" or (
                line.split()[-1].startswith("/app/") and not line.split()[-1].startswith(
                    "/app/.venv")))]
        assert not wrote, f"{app.example.name}: running the image wrote:\n{diff}"

    def test_source_edit_reuses_the_dependency_layer(self, app: App) -> None:
        expected = app.project.edit_source("(edited)")
        build = app.build()
        assert_only_project_layers_rebuilt(app, build)
        assert expected in app.run_app()

    def test_version_bump_reuses_the_dependency_layer(self, app: App) -> None:
        version = app.project.bump_version()
        build = app.build()
        assert_only_project_layers_rebuilt(app, build)
        if app.example.dist:
            code = f"import importlib.metadata as m; print(m.version({app.example.dist!r}))"
            assert app.docker.python(app.tag, code).strip() == version
        else:
            got = app.docker.run(app.tag, "python", "-c", "import app; print(app.__version__)")
            assert got.strip() == version
        assert "(edited)" in app.run_app()

    def test_tool_config_edit_reuses_the_dependency_layer(self, app: App) -> None:
        app.project.edit_tool_config()
        build = app.build()
        assert_only_project_layers_rebuilt(app, build)
        assert "(edited)" in app.run_app()

    def test_readme_edit_reuses_the_dependency_layer(self, app: App) -> None:
        app.project.edit_readme()
        build = app.build()
        assert_only_project_layers_rebuilt(app, build)
        assert "(edited)" in app.run_app()

    def test_dev_dependency_bump_reuses_the_dependency_layer(self, app: App) -> None:
        requirement, name = DEV_BUMP
        app.project.bump_dev_dependency(requirement)
        build = app.build()
        assert_only_project_layers_rebuilt(app, build)
        assert name not in app.installed()

    def test_new_dependency_rebuilds_the_dependency_layer(self, app: App) -> None:
        requirement, module, version = NEW_DEPENDENCY
        app.project.add_dependency(requirement)
        build = app.build()
        assert not build.all_cached(COOK), "a new dependency must rerun chef cook: " + app.why(build)
        code = f"import {module}, importlib.metadata as m; print(m.version({module!r}))"
        assert app.docker.python(app.tag, code).strip() == version
        assert "(edited)" in app.run_app()
        assert_installed_set_is_the_lock(app)
