"""The image that ships keeps its layers (issue 20): Dockerfile.example's runtime image stacks the
heavy packages' layer, the other packages' layer and the project's own layer, and a change
re-ships only the layers it has to.

The packages come from a loopback index (tests/index_server.py, reached from the build through
`--network host`) over wheels made here: two heavy ones with incompressible random payloads
(HEAVY_MB each; the bump of one of them is a third), a few small ones, and tinybuild, the
project's build backend. Two projects, each built once cold and then after one change at a time:

- uv: the heavy set chosen by size, from the wheel sizes uv.lock records (the index answers the
  JSON API with PEP 700 sizes);
- Poetry: poetry.lock records no sizes, so the heavy packages are named (`--heavy 'heavy-*'`).

After a source edit or a version bump the dependency layers keep their diff IDs and the new bytes
are the project's; after a small dependency is added (or bumped) the heavy layer keeps its diff ID
and the new bytes are a small fraction of the image; after a heavy package is bumped its layer is
new. No file of an earlier layer is in a later layer's tar (a rewritten file would be copied into
the later layer and shipped twice). The image imports everything, its entry point runs, and it
holds the same distributions, with the same files, as a one-layer build (CHEF_LAYERS=1) and the
same distributions as the manager's export. The `test` target adds the dev group on top of the
runtime image's layers, unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import dockerlib
import layerlib
import pytest
from dockerlib import Build, Docker, run
from index_server import IndexServer
from tinybuild import BACKEND_SOURCE
from wheelhouse import make_wheel

pytestmark = pytest.mark.docker

HEAVY_MB = 20
MB = 1_000_000
# What the runtime stage's layers are made by (`docker history`'s created_by).
VENV = "COPY /app/.venv /app/.venv"  # cook-1's venv: the heavy packages
LIGHT = "COPY /chef/out/layer-2/ /"  # cook-2's export: the other packages
PROJECT = "COPY /chef/out/project/ /"  # install-project's export
SOURCE = "COPY /chef/src/ /app/"  # the project's files, from the planner
DEPENDENCY_LAYERS = (VENV, LIGHT)

APP_SOURCE = '''"""The layers test's app."""

GREETING = "{greeting}"


def main() -> None:
    import heavy_a, heavy_b, small_a, small_b  # noqa: F401
    print(GREETING)
'''


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_heavy_wheel(directory: Path, name: str, version: str, megabytes: int) -> Path:
    """A wheel with `megabytes` of pseudo-random bytes (incompressible: gzip keeps them as big)
    in name/payload.bin, stored uncompressed. Seeded by name and version: the same wheel in every
    session, so a manager's cache of its hash (Poetry keeps one per source name) stays right."""
    dist = name.replace("-", "_")
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{dist}/payload.bin": random.Random(f"{name}=={version}").randbytes(megabytes * MB),
        f"{dist}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}-{version}.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: chef-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = f"{dist}-{version}.dist-info/RECORD"
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for rel, data in files.items():
            zf.writestr(zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0)), data)
        lines = "".join(f"{rel},{_record_hash(data)},{len(data)}\n" for rel, data in files.items())
        zf.writestr(zipfile.ZipInfo(record, date_time=(2020, 1, 1, 0, 0, 0)), lines + f"{record},,\n")
    return path


@pytest.fixture(scope="session")
def layer_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """The loopback index, with the heavy wheels made once per session."""
    wheels = tmp_path_factory.mktemp("layer-wheels")
    make_heavy_wheel(wheels, "heavy-a", "1.0", HEAVY_MB)
    make_heavy_wheel(wheels, "heavy-b", "1.0", HEAVY_MB)
    make_heavy_wheel(wheels, "heavy-b", "1.1", HEAVY_MB)
    for name, version in (("small-a", "1.0"), ("small-a", "1.1"), ("small-b", "1.0"),
                          ("small-c", "1.0"), ("small-dev", "1.0")):
        make_wheel(wheels, name, version)
    make_wheel(wheels, "tinybuild", "1.0", files={"tinybuild.py": BACKEND_SOURCE})
    with IndexServer(wheels, json_api=True) as server:
        yield server


UV_PYPROJECT = """\
[project]
name = "layers-app"
version = "{version}"
requires-python = ">=3.9"
dependencies = [{dependencies}]

[project.scripts]
layers-app = "layers_app:main"

[dependency-groups]
dev = ["small-dev==1.0"]

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"

[[tool.uv.index]]
name = "loopback"
url = "{url}"
default = true
"""

POETRY_PYPROJECT = """\
[project]
name = "layers-app"
version = "{version}"
requires-python = ">=3.9"
dependencies = [{dependencies}]

[project.scripts]
layers-app = "layers_app:main"

[tool.poetry.group.dev.dependencies]
small-dev = "1.0"

[[tool.poetry.source]]
name = "loopback"
url = "{url}"
priority = "primary"

[build-system]
requires = ["tinybuild"]
build-backend = "tinybuild"
"""

START = ["heavy-a==1.0", "heavy-b==1.0", "small-a==1.0", "small-b==1.0"]


@dataclass
class LayeredApp:
    docker: Docker
    manager: str
    root: Path
    url: str
    base: str
    args: Dict[str, str]
    version: str = "0.1.0"
    greeting: str = "hello from layers-app"
    dependencies: List[str] = field(default_factory=lambda: list(START))
    images: List[List[layerlib.Layer]] = field(default_factory=list)
    builds: List[Build] = field(default_factory=list)
    base_ids: Set[str] = field(default_factory=set)

    @property
    def tag(self) -> str:
        return self.docker.tag(f"layers-{self.manager}")

    def write(self) -> None:
        template = UV_PYPROJECT if self.manager == "uv" else POETRY_PYPROJECT
        deps = ", ".join(f'"{d}"' for d in self.dependencies)
        (self.root / "pyproject.toml").write_text(
            template.format(version=self.version, dependencies=deps, url=self.url))
        package = self.root / "src" / "layers_app"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(APP_SOURCE.format(greeting=self.greeting))
        (package / "__main__.py").write_text("from layers_app import main\n\nmain()\n")
        (self.root / ".dockerignore").write_text(".venv/\n**/__pycache__/\nrecipe.json\n")

    def env(self) -> Dict[str, str]:
        # Poetry caches each file's hash per source name ("loopback"): a cache of its own, so
        # that no other session's wheels of the same names can answer for these.
        return {**dockerlib.manager_env(), "POETRY_CACHE_DIR": str(self.root.parent / "poetry-cache")}

    def lock(self) -> None:
        env = self.env()
        if self.manager == "uv":
            run([dockerlib.uv_binary(), "lock", "--quiet"], cwd=self.root, env=env)
        else:
            run([str(dockerlib.tools_venv() / "bin" / "poetry"), "lock"], cwd=self.root, env=env)

    def export(self, image: str) -> Dict[str, str]:
        env = self.env()
        if self.manager == "uv":
            text = run([dockerlib.uv_binary(), "export", "--frozen", "--no-dev", "--no-hashes",
                        "--no-emit-project", "--no-header", "--no-annotate"],
                       cwd=self.root, env=env).stdout
        else:
            text = run([str(dockerlib.tools_venv() / "bin" / "poetry"), "export", "--only", "main",
                        "--without-hashes", "-f", "requirements.txt"], cwd=self.root, env=env).stdout
        return dockerlib.parse_requirement_lines(text, self.docker.marker_env(image))

    def build(self, tag: Optional[str] = None, args: Optional[Dict[str, str]] = None,
              target: Optional[str] = None) -> Build:
        build = self.docker.build(self.root, tag or self.tag,
                                  build_args={"PYTHON_IMAGE": self.base, **self.args, **(args or {})},
                                  target=target)
        if tag is None:
            self.builds.append(build)
            self.images.append(self.layers(self.tag))
        return build

    def layers(self, image: str) -> List[layerlib.Layer]:
        ids = layerlib.image_diff_ids(self.docker, image)
        layers = layerlib.image_layers(self.docker, image, paths_for=set(ids) - self.base_ids)
        return layerlib.above(layers, self.base_ids)

    def layer(self, made_by: str, image: int = -1) -> layerlib.Layer:
        found = [la for la in self.images[image] if made_by in la.created_by]
        assert len(found) == 1, (made_by, [la.created_by for la in self.images[image]])
        return found[0]

    def new_layers(self) -> List[layerlib.Layer]:
        """The last build's layers that the build before it did not have."""
        before = {la.diff_id for la in self.images[-2]}
        return layerlib.reshipped(self.images[-1], before)

    def above_base(self) -> int:
        return layerlib.total(self.images[-1])

    def why(self) -> str:
        rows = "\n".join(f"  {la.diff_id[:19]} {la.size:>11} {la.created_by[:80]}"
                         for la in self.images[-1])
        before = "\n".join(f"  {la.diff_id[:19]} {la.size:>11} {la.created_by[:80]}"
                           for la in (self.images[-2] if len(self.images) > 1 else []))
        return f"\nlayers now:\n{rows}\nlayers before:\n{before}"


def make_app(docker: Docker, manager: str, base: str, index: IndexServer, root: Path,
             args: Dict[str, str]) -> LayeredApp:
    root.mkdir(parents=True, exist_ok=True)
    app = LayeredApp(docker, manager, root, index.url, base, args)
    app.base_ids = set(layerlib.image_diff_ids(docker, base))
    app.write()
    app.lock()
    return app


CASES = {
    # uv.lock records the wheels' sizes: the heavy ones are chosen by size.
    "uv": {"CHEF_PREPARE_ARGS": f"--heavy-size {HEAVY_MB // 2}MB"},
    # poetry.lock records none: the heavy ones are named. Poetry's sources are per package: the
    # build requirement (tinybuild) would come from the default index, where a package of that
    # name is someone else's; --index-url keeps everything on the loopback index.
    "poetry": {"CHEF_PREPARE_ARGS": "--heavy heavy-*", "CHEF_COOK_ARGS": "--index-url {url}"},
}


@pytest.fixture(scope="class", params=sorted(CASES))
def app(request: pytest.FixtureRequest, docker: Docker, chef_base: str, layer_index: IndexServer,
        tmp_path_factory: pytest.TempPathFactory) -> LayeredApp:
    manager: str = request.param
    args = {k: v.format(url=layer_index.url) for k, v in CASES[manager].items()}
    state = make_app(docker, manager, chef_base, layer_index,
                     tmp_path_factory.mktemp(f"layers-{manager}") / "layers-app", args)
    state.build()
    return state


def assert_layers_disjoint(app: LayeredApp) -> None:
    """No file, symlink or whiteout of a layer is written again by a later one."""
    seen: Dict[str, str] = {}
    for layer in app.images[-1]:
        again = sorted(p for p in layer.paths if p in seen)
        assert not again, (f"{layer.created_by[:60]} writes again what {seen[again[0]][:60]} wrote:"
                           f" {again[:10]}")
        for path in layer.paths:
            seen[path] = layer.created_by


def site_files(docker: Docker, image: str) -> Dict[str, str]:
    """path -> sha256 of every file in the venv's site-packages and bin, bytecode left out."""
    code = ("import hashlib, json, os, sys, sysconfig\n"
            "out = {}\n"
            "for top in (sysconfig.get_paths()['purelib'], '/app/.venv/bin'):\n"
            "    for d, _, names in os.walk(top):\n"
            "        for n in names:\n"
            "            p = os.path.join(d, n)\n"
            "            if n.endswith('.pyc'):\n"
            "                continue\n"
            "            out[p] = os.readlink(p) if os.path.islink(p) else "
            "hashlib.sha256(open(p, 'rb').read()).hexdigest()\n"
            "print(json.dumps(out))\n")
    return json.loads(docker.run(image, "python", "-c", code, workdir="/"))  # type: ignore[no-any-return]


def check_image(app: LayeredApp) -> None:
    assert app.greeting in app.docker.run(app.tag, "layers-app"), "the entry point does not run"
    assert app.greeting in app.docker.run(app.tag, "python", "-m", "layers_app")
    installed = app.docker.installed(app.tag)
    assert installed.pop("layers-app") == app.version
    assert installed == app.export(app.tag), "the image differs from the manager's export"
    assert_layers_disjoint(app)


def assert_dependency_layers_kept(app: LayeredApp) -> None:
    for made_by in DEPENDENCY_LAYERS:
        assert app.layer(made_by).diff_id == app.layer(made_by, -2).diff_id, (
            f"{made_by} changed" + app.why())
    new = app.new_layers()
    assert {la.created_by for la in new} <= {app.layer(PROJECT).created_by,
                                              app.layer(SOURCE).created_by}, app.why()
    assert layerlib.total(new) < MB, app.why()


class TestLayers:
    def test_cold_build_stacks_heavy_light_and_project_layers(self, app: LayeredApp) -> None:
        check_image(app)
        heavy = app.layer(VENV).paths
        light = app.layer(LIGHT).paths
        project = app.layer(PROJECT).paths
        for name in ("heavy_a", "heavy_b"):
            assert any(p.endswith(f"/{name}/payload.bin") for p in heavy), name
        for name in ("small_a", "small_b"):
            assert any(p.endswith(f"/{name}/__init__.py") for p in light), name
            assert not any(f"/{name}/" in p for p in heavy), name
        assert any(p.endswith("/layers_app/__init__.py") for p in project)
        assert "/app/.venv/bin/layers-app" in project
        assert not any("/heavy_" in p or "/small_" in p for p in project)
        assert layerlib.total(app.images[-1]) > 2 * HEAVY_MB * MB

    def test_one_layer_build_holds_the_same_venv(self, app: LayeredApp) -> None:
        tag = app.docker.tag(f"layers-{app.manager}-one")
        app.build(tag=tag, args={"CHEF_LAYERS": "1"})
        one = app.layers(tag)
        assert not [la for la in one if LIGHT in la.created_by and la.paths], (
            "CHEF_LAYERS=1 still cooked a second dependency layer")
        heavy = next(la for la in one if VENV in la.created_by).paths
        assert any(p.endswith("/small_a/__init__.py") for p in heavy)
        assert app.docker.installed(tag) == app.docker.installed(app.tag)
        # Every file, byte for byte; but the project's direct_url.json (it names the temporary
        # wheel install-project built, a new path on every build), uv's uv_cache.json (a
        # timestamp) and the RECORD that hashes them.
        one_files, layered_files = site_files(app.docker, tag), site_files(app.docker, app.tag)
        for files in (one_files, layered_files):
            for path in [p for p in files if "/layers_app-" in p and p.endswith(
                    ("/direct_url.json", "/uv_cache.json", "/RECORD"))]:
                del files[path]
        assert one_files == layered_files

    def test_source_edit_reships_only_the_project(self, app: LayeredApp) -> None:
        app.greeting += " (edited)"
        app.write()
        app.build()
        assert_dependency_layers_kept(app)
        check_image(app)

    def test_version_bump_reships_only_the_project(self, app: LayeredApp) -> None:
        app.version = "0.1.1"
        app.write()
        app.lock()
        app.build()
        assert_dependency_layers_kept(app)
        check_image(app)

    def test_small_dependency_add_keeps_the_heavy_layer(self, app: LayeredApp) -> None:
        app.dependencies.append("small-c==1.0")
        app.write()
        app.lock()
        app.build()
        assert app.layer(VENV).diff_id == app.layer(VENV, -2).diff_id, app.why()
        assert app.layer(LIGHT).diff_id != app.layer(LIGHT, -2).diff_id, app.why()
        new = layerlib.total(app.new_layers())
        assert new < 0.05 * app.above_base(), app.why()
        check_image(app)
        assert app.docker.installed(app.tag)["small-c"] == "1.0"

    def test_small_dependency_bump_keeps_the_heavy_layer(self, app: LayeredApp) -> None:
        app.dependencies[app.dependencies.index("small-a==1.0")] = "small-a==1.1"
        app.write()
        app.lock()
        app.build()
        assert app.layer(VENV).diff_id == app.layer(VENV, -2).diff_id, app.why()
        assert layerlib.total(app.new_layers()) < 0.05 * app.above_base(), app.why()
        check_image(app)

    def test_heavy_bump_rebuilds_the_heavy_layer(self, app: LayeredApp) -> None:
        app.dependencies[app.dependencies.index("heavy-b==1.0")] = "heavy-b==1.1"
        app.write()
        app.lock()
        app.build()
        assert app.layer(VENV).diff_id != app.layer(VENV, -2).diff_id, app.why()
        assert layerlib.total(app.new_layers()) > 2 * HEAVY_MB * MB, app.why()
        check_image(app)
        assert app.docker.installed(app.tag)["heavy-b"] == "1.1"

    def test_test_target_adds_the_dev_group_on_top(self, app: LayeredApp) -> None:
        tag = app.docker.tag(f"layers-{app.manager}-test")
        app.build(tag=tag, target="test")
        runtime = [la.diff_id for la in app.images[-1]]
        test = app.layers(tag)
        assert [la.diff_id for la in test[:len(runtime)]] == runtime, (
            "the test image does not start with the runtime image's layers")
        extra = test[len(runtime):]
        assert len(extra) == 1 and any(p.endswith("/small_dev/__init__.py") for p in extra[0].paths)
        assert app.docker.installed(tag)["small-dev"] == "1.0"
        assert "small-dev" not in app.docker.installed(app.tag)
        # A plain build (no --target) is still the runtime image, the dev group left out.
        plain = app.build(tag=app.docker.tag(f"layers-{app.manager}-plain"))
        assert layerlib.image_diff_ids(app.docker, plain.tag) == layerlib.image_diff_ids(
            app.docker, app.tag)

