"""A hosted CI runner starts with an empty Docker cache: the `chef cook` layer pays off there only
when BuildKit imports it from a registry. Two engines and a registry (.ci/ci-cache-setup.sh):
runner A, the producer, builds the builder stage of the project as committed with an inline cache
and pushes it (`cicache.publish_cache`); then the project is edited as a developer would and
runner B, emptied before every build, builds the image with `--cache-from` that tag
(`cicache.build_from_cache`), as in docs/ci.md.

- after a source edit, and after a version bump, runner B's `chef cook` step is CACHED and prints
  nothing (the installer never runs there), the venv in B's image is the one A made, and the
  image runs the new code;
- after a dependency is added, `chef cook` runs on B and the new dependency imports;
- B's image holds the same installed distributions as A's (and, after the add, the lock's).

The base image reaches runner B the way it reaches a real runner: pushed to the registry once,
pulled by B (never copied from A's cache). Each example's edits are applied one after another
to one temporary copy, but no test depends on another's edit: each checks what its own edit
changes, and that the image runs the code as the copy holds it now (`Project.greeting`), so any
one of them also passes alone (`-k version_bump`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List

import cicache
import dockerlib
import pytest
from cicache import Runners
from dockerlib import Build, Docker, Example, Project

pytestmark = pytest.mark.docker

COOK = "chef cook"
NEW_DEPENDENCY = ("tabulate==0.9.0", "tabulate", "0.9.0")
CASES = [dockerlib.EXAMPLES_BY_NAME[name] for name in ("uv-app", "poetry-app")]
# What the dependency layers wrote: the oldest dist-info INSTALLER in the venv (a cooked
# package's; the project's own is installed later). Its mtime in B's image equals the one in A's
# image only if B reused A's layers. Not pyvenv.cfg: with no heavy package the first layer is an
# empty venv, the same bytes for every example, and BuildKit's COPY (keyed by content, not
# mtimes) may bring another example's copy of it. In whole seconds: a layer that travelled
# through a registry (a tar archive) keeps no more.
VENV_STAMP = ("import glob, os; print(int(min(os.stat(p).st_mtime for p in glob.glob("
              "'/app/.venv/lib/python*/site-packages/*.dist-info/INSTALLER'))))")


@dataclass
class Fleet:
    runners: Runners
    base: str  # the test base image, as pushed to the registry (PYTHON_IMAGE on both runners)
    namespace: str  # this session's repositories in the registry


@pytest.fixture(scope="module")
def fleet(docker: Docker, chef_base: str, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Fleet]:
    runners, why = cicache.find(docker)
    if runners is None:
        pytest.skip(f"ci cache tests: {why}")
    namespace = f"chef-test-{docker.session}"
    # A base of their own: runner A's builds here must not warm the cache that the other docker
    # tests' cold builds of the same examples expect to find cold (nor the reverse).
    own = cicache.own_base(docker, chef_base, tmp_path_factory.mktemp("ci-base"), "ci")
    with cicache.RunnerLock(runners.b.env["DOCKER_HOST"]):
        base = cicache.push(docker, own, runners.registry.ref(f"{namespace}/base", "1"))
        try:
            yield Fleet(runners, base, namespace)
        finally:
            cicache.empty(runners.b)


@dataclass
class CiApp:
    fleet: Fleet
    project: Project
    a_installed: Dict[str, str] = field(default_factory=dict)
    a_venv: str = ""
    builds: List[Build] = field(default_factory=list)

    @property
    def example(self) -> Example:
        return self.project.example

    @property
    def a(self) -> Docker:
        return self.fleet.runners.a

    @property
    def b(self) -> Docker:
        return self.fleet.runners.b

    @property
    def cache(self) -> str:
        return self.fleet.runners.registry.ref(f"{self.fleet.namespace}/{self.example.name}",
                                               "buildcache")

    @property
    def build_args(self) -> Dict[str, str]:
        return {"PYTHON_IMAGE": self.fleet.base, **self.example.build_args}

    def produce(self) -> Build:
        """Runner A: the builder stage with an inline cache, pushed; then A's own image."""
        stage = cicache.publish_cache(self.a, self.project.root, self.cache, self.build_args)
        self.builds.append(stage)
        self.builds.append(self.a.build(self.project.root, self.a.tag(f"ci-{self.example.name}"),
                                        build_args=self.build_args))
        return stage

    def on_fresh_runner(self) -> Build:
        """Empty runner B, pull the base image from the registry, build from the cache."""
        cicache.empty(self.b)
        cicache.pull(self.b, self.fleet.base)
        build = cicache.build_from_cache(self.b, self.project.root,
                                         self.b.tag(f"ci-{self.example.name}"), self.cache,
                                         self.build_args)
        self.builds.append(build)
        return build

    def installed(self, runner: Docker) -> Dict[str, str]:
        return runner.installed(runner.tag(f"ci-{self.example.name}"))

    def venv_stamp(self, runner: Docker) -> str:
        return runner.python(runner.tag(f"ci-{self.example.name}"), VENV_STAMP).strip()

    def run_app(self, runner: Docker) -> str:
        return runner.run(runner.tag(f"ci-{self.example.name}"), "python", "-m", self.example.module)

    def why(self, build: Build) -> str:
        steps = "\n".join(f"  {'CACHED' if s.cached else 'ran   '} {s.name[:110]}"
                          for s in build.steps.values())
        return f"{self.example.name}: build steps on runner B were:\n{steps}"

    def third_party(self, installed: Dict[str, str]) -> Dict[str, str]:
        return {k: v for k, v in installed.items() if k not in self.example.local}


@pytest.fixture(scope="class", params=CASES, ids=lambda e: e.name)
def ci_app(request: pytest.FixtureRequest, fleet: Fleet,
           tmp_path_factory: pytest.TempPathFactory) -> CiApp:
    example: Example = request.param
    project = Project.copy(example, tmp_path_factory.mktemp(f"ci-{example.name}"))
    app = CiApp(fleet, project)
    cold = app.produce()
    assert not cold.all_cached(COOK), app.why(cold)
    app.a_installed = app.installed(app.a)
    app.a_venv = app.venv_stamp(app.a)
    return app


def assert_cook_came_from_the_registry(app: CiApp, build: Build) -> None:
    """Runner B was empty: a CACHED `chef cook` step can only come from the registry."""
    assert f"importing cache manifest from {app.cache}" in build.log, app.why(build)
    for cook in build.matching(COOK):  # every dependency layer
        assert cook.cached, "runner B rebuilt a dependency layer: " + app.why(build)
        assert cook.output == [], f"the installer ran on runner B: {cook.output}"
    assert app.venv_stamp(app.b) == app.a_venv, "B's venv is not the one runner A made"


class TestFreshRunner:
    def test_source_edit_reuses_the_cook_layer_from_the_registry(self, ci_app: CiApp) -> None:
        expected = ci_app.project.edit_source("(edited)")
        build = ci_app.on_fresh_runner()
        assert_cook_came_from_the_registry(ci_app, build)
        assert expected in ci_app.run_app(ci_app.b)
        assert ci_app.installed(ci_app.b) == ci_app.a_installed

    def test_version_bump_reuses_the_cook_layer_from_the_registry(self, ci_app: CiApp) -> None:
        version = ci_app.project.bump_version()
        build = ci_app.on_fresh_runner()
        assert_cook_came_from_the_registry(ci_app, build)
        installed = ci_app.installed(ci_app.b)
        assert ci_app.example.dist and installed[ci_app.example.dist] == version
        assert ci_app.third_party(installed) == ci_app.third_party(ci_app.a_installed)
        assert ci_app.project.greeting() in ci_app.run_app(ci_app.b)  # the code as it is now

    def test_dependency_add_reruns_cook_on_the_fresh_runner(self, ci_app: CiApp) -> None:
        requirement, module, version = NEW_DEPENDENCY
        ci_app.project.add_dependency(requirement)
        build = ci_app.on_fresh_runner()
        ran = [cook for cook in build.matching(COOK) if not cook.cached and cook.output]
        assert ran, "a new dependency must rerun chef cook: " + ci_app.why(build)
        # Only the light packages' layer reran (the first, with no heavy package here, is A's).
        assert build.cached("chef cook --recipe-path /chef/layers/layer-1.json"), ci_app.why(build)
        assert ci_app.venv_stamp(ci_app.b) != ci_app.a_venv
        tag = ci_app.b.tag(f"ci-{ci_app.example.name}")
        code = f"import {module}, importlib.metadata as m; print(m.version({module!r}))"
        assert ci_app.b.python(tag, code).strip() == version
        third_party = ci_app.third_party(ci_app.installed(ci_app.b))
        assert third_party == {**ci_app.third_party(ci_app.a_installed), module: version}
        assert third_party == ci_app.project.export(ci_app.b.marker_env(tag))
        assert ci_app.project.greeting() in ci_app.run_app(ci_app.b)  # the code as it is now
