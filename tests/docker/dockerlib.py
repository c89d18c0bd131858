"""Real `docker build`s of Dockerfile.example over the examples/, shared by tests/docker and
bench/docker_rebuild.py.

- `Docker`: the engine (Debian's /usr/bin/docker with BuildKit), builds with `--progress=plain`
  parsed into steps, so a test can ask whether the `chef cook` step was CACHED.
- chef itself: Dockerfile.example's default route (`CHEF_FROM=pyz`) takes chef.pyz from the build
  context. `Docker.build` puts the checkout's chef.pyz (built once per `Docker` by
  scripts/build_pyz.py from the pinned wheels) into the context of every Dockerfile.example build
  on that route; `pyz_base_image` is the base image with nothing of chef in it.
- `test_base_image`: the base image plus a wheelhouse holding the checkout's own chef (and uv);
  `PIP_FIND_LINKS=/wheels` makes `CHEF_FROM=pip` with the default `CHEF_SPEC=chef` install it.
- `Project`: a temporary copy of one example whose lock is made by the real manager (uv, Poetry,
  PDM, or `uv pip compile` for requirements.txt); it edits itself the way a developer would and
  exports what its manager installs (the oracle for the image's installed set).

Why locks are made here, at test time: uv.lock records the index URL of every package, and Poetry
can only lock here through an explicit simple-index source, which poetry.lock records per package.
Committed files never name the public registry, so these two locks are generated into the
temporary copy (the default index URL is pip's own constant: `PyPI.simple_url`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:  # pyzlib, when a bench script imports this module
    sys.path.insert(0, str(ROOT / "tests"))
import pyzlib  # noqa: E402

EXAMPLES = ROOT / "examples"
DOCKERFILE = ROOT / "Dockerfile.example"
# For builders without RUN --mount (generated from DOCKERFILE by scripts/nomount_dockerfile.py).
NOMOUNT_DOCKERFILE = ROOT / "Dockerfile.nomount"
DEFAULT_BASE = "python:3.12-slim"

# Managers installed into a scratch venv (never into the repo or chef's venv). Pinned: a lock made
# by another version could differ. hishel<2: pdm 2.29 does not run with hishel 2.
TOOLS = ("poetry==2.5.1", "poetry-plugin-export==1.10.1", "pdm==2.29.4", "hishel[httpx2]>=1.4,<2")


class CommandError(AssertionError):
    pass


def run(argv: Sequence[str], cwd: Optional[Path] = None, env: Optional[Mapping[str, str]] = None,
        timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise CommandError(f"{' '.join(argv)} failed ({done.returncode}) in {cwd}:\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


# --- the engine --------------------------------------------------------------------------------

@dataclass
class Step:
    number: int
    name: str  # e.g. "[builder 2/4] RUN ... chef cook ..."
    cached: bool = False
    done: bool = False
    error: bool = False
    seconds: Optional[float] = None  # BuildKit's `DONE 0.4s` (rounded to 0.1 s)
    # What the step's command printed (`#N 0.123 text` lines): none when it did not run.
    output: List[str] = field(default_factory=list)
    # Layers BuildKit pulled for it from a registry cache (`#N pulling sha256:...`).
    pulled: List[str] = field(default_factory=list)
    # The legacy builder's image after the step (` ---> ID`).
    image: Optional[str] = None


@dataclass
class Build:
    tag: str
    log: str
    seconds: float
    steps: Dict[int, Step] = field(default_factory=dict)
    ok: bool = True

    def step(self, needle: str) -> Step:
        found = [s for s in self.steps.values() if needle in s.name]
        if len(found) != 1:
            names = "\n  ".join(s.name for s in self.steps.values())
            raise AssertionError(f"{len(found)} build steps match {needle!r}; steps:\n  {names}")
        return found[0]

    def cached(self, needle: str) -> bool:
        return self.step(needle).cached

    def matching(self, needle: str) -> List[Step]:
        """Every step whose name has `needle` (at least one): e.g. each dependency layer's
        `chef cook` in Dockerfile.example."""
        found = [s for s in self.steps.values() if needle in s.name]
        if not found:
            names = "\n  ".join(s.name for s in self.steps.values())
            raise AssertionError(f"no build step matches {needle!r}; steps:\n  {names}")
        return found

    def all_cached(self, needle: str) -> bool:
        """Every step matching `needle` was CACHED (e.g. every dependency layer reused)."""
        return all(s.cached for s in self.matching(needle))


_HEADER = re.compile(r"^#(\d+) (\[.*)$")
_STATUS = re.compile(r"^#(\d+) (CACHED|DONE [0-9.]+s|ERROR.*)$")
_OUTPUT = re.compile(r"^#(\d+) [0-9]+\.[0-9]+(?: (.*))?$")
_PULLING = re.compile(r"^#(\d+) pulling (sha256:[0-9a-f]+)")


def parse_steps(log: str) -> Dict[int, Step]:
    """BuildKit's `--progress=plain`: `#N [stage i/n] INSTRUCTION`, later `#N CACHED|DONE|ERROR`."""
    steps: Dict[int, Step] = {}
    for line in log.splitlines():
        m = _HEADER.match(line)
        if m and int(m.group(1)) not in steps:
            steps[int(m.group(1))] = Step(int(m.group(1)), m.group(2))
            continue
        m = _OUTPUT.match(line)
        if m and int(m.group(1)) in steps:
            steps[int(m.group(1))].output.append(m.group(2) or "")
            continue
        m = _PULLING.match(line)
        if m and int(m.group(1)) in steps:
            pulled = steps[int(m.group(1))].pulled
            if m.group(2) not in pulled:
                pulled.append(m.group(2))
            continue
        m = _STATUS.match(line)
        if m and int(m.group(1)) in steps:
            step = steps[int(m.group(1))]
            status = m.group(2)
            step.cached |= status == "CACHED"
            step.done |= status.startswith("DONE")
            if status.startswith("DONE"):
                step.seconds = float(status[len("DONE "):-1])
            step.error |= status.startswith("ERROR")
    return steps


def step_output(build: Build, needle: str) -> str:
    """What the one step matching `needle` printed (`#N 0.123 text` lines)."""
    number = build.step(needle).number
    found = re.findall(rf"^#{number} \d+\.\d+ (.*)$", build.log, re.M)
    return "\n".join(found)


class Docker:
    def __init__(self, binary: str, host: Optional[str] = None) -> None:
        """host: another engine's DOCKER_HOST (e.g. `unix:///var/run/other.sock`); None: the
        environment's engine."""
        self.binary = binary
        self.env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        if host:
            self.env["DOCKER_HOST"] = host
        self.tags: List[str] = []
        self.images: List[str] = []
        # Tags are per session: concurrent test sessions on one engine never share an image.
        self.session = uuid.uuid4().hex[:10]
        self.chef_pyz: Optional[Path] = None  # set, or built on first use by pyz()

    def tag(self, name: str) -> str:
        return f"chef-test-{name}:{self.session}"

    @classmethod
    def find(cls, host: Optional[str] = None) -> Tuple[Optional[Docker], str]:
        """(Docker, "") or (None, one-line reason)."""
        binary = os.environ.get("CHEF_DOCKER") or (
            "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker"))
        if not binary:
            return None, "no docker client"
        try:
            done = subprocess.run([binary, *(["-H", host] if host else []), "info", "--format",
                                   "{{.ServerVersion}}"],
                                  capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"docker engine not reachable ({exc})"
        if done.returncode != 0 or not done.stdout.strip():
            return None, "docker engine not reachable: " + (done.stderr.strip().splitlines()
                                                           or ["no answer"])[-1]
        return cls(binary, host), ""

    def __call__(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return run([self.binary, *args], env=self.env, timeout=timeout)

    def has_image(self, image: str) -> bool:
        return subprocess.run([self.binary, "image", "inspect", image], capture_output=True,
                              env=self.env, check=False).returncode == 0

    def ensure_image(self, image: str) -> str:
        """"" when the image is there (pulled if needed), else why not."""
        if self.has_image(image):
            return ""
        try:
            done = subprocess.run([self.binary, "pull", image], capture_output=True, text=True,
                                  env=self.env, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            return f"base image {image} not present and pulling it timed out"
        if done.returncode != 0:
            return f"base image {image} not present and cannot be pulled"
        return ""

    def pyz(self) -> Path:
        """The checkout's chef.pyz, built once (from the pinned wheels, offline after the first
        download) into a directory removed when the process exits."""
        if self.chef_pyz is None:
            import atexit
            import tempfile

            directory = Path(tempfile.mkdtemp(prefix="chef-test-pyz-"))
            atexit.register(shutil.rmtree, directory, True)
            self.chef_pyz = pyzlib.build_pyz(directory / "chef.pyz")
        return self.chef_pyz

    def build(self, context: Path, tag: str, dockerfile: Path = DOCKERFILE,
              build_args: Optional[Mapping[str, str]] = None,
              secrets: Optional[Mapping[str, Path]] = None, target: Optional[str] = None,
              check: bool = True, place_chef: Optional[bool] = None,
              no_cache: bool = False, cache_from: Sequence[str] = (),
              platform: Optional[str] = None) -> Build:
        """`docker build`. place_chef: put chef.pyz into the context first; by default, for
        Dockerfile.example on its default route (CHEF_FROM=pyz), as a user of it does, and for
        Dockerfile.nomount. no_cache: build every step again (`--no-cache`; cache mounts stay).
        cache_from: registry images carrying an inline cache (`--cache-from`). platform: the
        target platform (`--platform linux/arm64`; None: the engine's own)."""
        argv = self.build_argv(context, tag, dockerfile, build_args, secrets, target, place_chef,
                               no_cache, ["--progress", "plain"])
        if platform:
            argv += ["--platform", platform]
        for ref in cache_from:
            argv += ["--cache-from", ref]
        return self.run_build([*argv, str(context)], context, tag, check)

    def build_argv(self, context: Path, tag: str, dockerfile: Path,
                   build_args: Optional[Mapping[str, str]], secrets: Optional[Mapping[str, Path]],
                   target: Optional[str], place_chef: Optional[bool], no_cache: bool,
                   options: Sequence[str] = ()) -> List[str]:
        """`BINARY build` with the options every engine here takes (the context not yet), after
        putting chef.pyz into the context where the Dockerfile's route needs it."""
        if place_chef is None:
            place_chef = dockerfile == NOMOUNT_DOCKERFILE or (
                dockerfile == DOCKERFILE and (build_args or {}).get("CHEF_FROM", "pyz") == "pyz")
        if place_chef:
            place_chef_pyz(context, self.pyz())
        argv = [self.binary, "build", "--network", "host", *options, "-f", str(dockerfile),
                "-t", tag]
        for key, value in (build_args or {}).items():
            argv += ["--build-arg", f"{key}={value}"]
        for key, path in (secrets or {}).items():
            argv += ["--secret", f"id={key},src={path}"]
        if target:
            argv += ["--target", target]
        if no_cache:
            argv.append("--no-cache")
        return argv

    def run_build(self, argv: Sequence[str], context: Path, tag: str, check: bool) -> Build:
        """Run a build command and record what it made (for remove_images): the one body behind
        every engine's `build`, each parsing its own log (`parse_log`)."""
        start = time.monotonic()
        done = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                              timeout=1200, check=False)
        seconds = time.monotonic() - start
        log = done.stdout + done.stderr
        if tag not in self.tags:
            self.tags.append(tag)
        steps = self.parse_log(log)
        # Image ids too: a rebuilt tag leaves its previous image behind, untagged.
        self.images.extend(self.built_images(log, steps))
        if check and done.returncode != 0:
            raise CommandError(f"{Path(self.binary).name} build of {context} failed "
                               f"({done.returncode}):\n" + log[-6000:])
        return Build(tag, log, seconds, steps, ok=done.returncode == 0)

    def parse_log(self, log: str) -> Dict[int, Step]:
        return parse_steps(log)

    def built_images(self, log: str, steps: Mapping[int, Step]) -> List[str]:
        """Images the build made, beyond its tag (removed with it)."""
        return re.findall(r"writing image (sha256:[0-9a-f]+)", log)

    def run(self, image: str, *argv: str, workdir: Optional[str] = None) -> str:
        args = ["run", "--rm", "--network", "none"]
        if workdir:
            args += ["-w", workdir]
        return self(*args, image, *argv).stdout

    def python(self, image: str, code: str) -> str:
        return self.run(image, "python", "-I", "-c", code, workdir="/")

    def installed(self, image: str) -> Dict[str, str]:
        """canonical name -> version of every distribution the image's `python` sees."""
        code = ("import importlib.metadata as m, json, re;"
                "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
                " for d in m.distributions()}))")
        return json.loads(self.python(image, code))  # type: ignore[no-any-return]

    def marker_env(self, image: str) -> Dict[str, str]:
        """The image interpreter's marker environment (chef's own probe, stdlib only)."""
        from chef.cook.target import _PROBE

        return json.loads(self.python(image, _PROBE))["env"]  # type: ignore[no-any-return]

    def remove_images(self) -> None:
        """Remove what this session built, 200 names a call (newest first: a step's image before
        its parent; one that is still in use stays, and the call goes on with the rest)."""
        names = [*reversed(self.tags), *reversed(self.images)]
        for start in range(0, len(names), 200):
            subprocess.run([self.binary, "image", "rm", *names[start:start + 200]],
                           capture_output=True, env=self.env, timeout=900, check=False)
        self.tags.clear()
        self.images.clear()

    def trim_build_cache(self) -> None:
        """Trim the engine's unused BuildKit cache, least recently used first, to
        CHEF_TEST_BUILD_CACHE_KEEP (default 4GB, which docker reads as 4 GiB; `all` keeps it
        all). Every build context here is new, so each session adds GBs of cache records no later
        session reuses: kept, they once filled CI's disk (66 GB, and the run failed on "No space
        left on device"). What a next session does reuse, the installers' cache mounts and the
        base images' layers, was used last and stays."""
        keep = os.environ.get("CHEF_TEST_BUILD_CACHE_KEEP", "4GB")
        if keep != "all":
            self("builder", "prune", "--all", "--force", "--keep-storage", keep)


class Podman(Docker):
    """`podman build` (buildah) of the same Dockerfiles: its log's `[i/n] STEP j/m: INSTRUCTION`
    lines are the steps, `--> Using cache ID` after one marks it reused. run/python/installed
    work unchanged (`podman run` takes docker's options). Images come from a Docker engine with
    `podman pull docker-daemon:IMAGE` (`from_docker`)."""

    def __init__(self, binary: str) -> None:
        super().__init__(binary)
        self.env = dict(os.environ)

    @classmethod
    def find_podman(cls) -> Tuple[Optional[Podman], str]:
        binary = os.environ.get("CHEF_PODMAN") or shutil.which("podman")
        if not binary:
            return None, "no podman (apt-get install podman buildah, or .ci/podman-setup.sh)"
        done = subprocess.run([binary, "version", "--format", "{{.Client.Version}}"],
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            return None, "podman does not run: " + (done.stderr.strip().splitlines()
                                                    or ["no answer"])[-1]
        return cls(binary), ""

    def from_docker(self, image: str) -> str:
        """The Docker engine's `image` in podman's storage, under the same short name (removed
        with the session's images when this session copied it)."""
        if not self.has_image(image):
            self("pull", "-q", f"docker-daemon:{image}")
            self.tags.append(image)
        return image

    def run(self, image: str, *argv: str, workdir: Optional[str] = None) -> str:
        """`podman run`; where the sandbox refuses its rlimits (runc cannot set RLIMIT_NPROC or
        NOFILE without CAP_SYS_RESOURCE, as on this project's dev machines), `buildah run` in a
        working container of the image: what the build's RUN steps use, with the image's config."""
        done = subprocess.run([self.binary, "run", "--rm", "--network", "none",
                               *(["-w", workdir] if workdir else []), image, *argv],
                              capture_output=True, text=True, env=self.env, timeout=900,
                              check=False)
        if done.returncode == 0 or "error setting rlimit" not in done.stderr:
            if done.returncode != 0:
                raise CommandError(f"podman run {image} {' '.join(argv)} failed "
                                   f"({done.returncode}):\n{done.stdout[-4000:]}\n"
                                   f"{done.stderr[-4000:]}")
            return done.stdout
        buildah = shutil.which("buildah") or "buildah"
        container = run([buildah, "from", "--pull-never", image], env=self.env).stdout.split()[-1]
        try:
            return run([buildah, "run", "--network", "none",
                        *(["--workingdir", workdir] if workdir else []), container, "--", *argv],
                       env=self.env).stdout
        finally:
            subprocess.run([buildah, "rm", container], capture_output=True, env=self.env,
                           check=False)

    def build(self, context: Path, tag: str, dockerfile: Path = DOCKERFILE,
              build_args: Optional[Mapping[str, str]] = None,
              secrets: Optional[Mapping[str, Path]] = None, target: Optional[str] = None,
              check: bool = True, place_chef: Optional[bool] = None,
              no_cache: bool = False, cache_from: Sequence[str] = (),
              platform: Optional[str] = None) -> Build:
        if cache_from or platform:
            raise NotImplementedError("Podman.build: no cache_from or platform")
        argv = self.build_argv(context, tag, dockerfile, build_args, secrets, target, place_chef,
                               no_cache)
        return self.run_build([*argv, str(context)], context, tag, check)

    def parse_log(self, log: str) -> Dict[int, Step]:
        return parse_podman_steps(log)

    def built_images(self, log: str, steps: Mapping[int, Step]) -> List[str]:
        """Every image the build committed: one per step that ran (`--> ID`; a reused step's
        `--> Using cache ID` is an earlier build's), left behind untagged by `podman rmi TAG`."""
        return _PODMAN_COMMIT.findall(log)


_PODMAN_STEP = re.compile(r"^\[\d+/\d+\] STEP \d+/\d+: (.*)$")
_PODMAN_COMMIT = re.compile(r"^--> ([0-9a-f]{10,64})$", re.M)


def parse_podman_steps(log: str) -> Dict[int, Step]:
    """podman's build log: `[i/n] STEP j/m: INSTRUCTION`, then `--> Using cache ID` when reused,
    or the command's output and `--> ID` when it ran. Only the first `-->` line after a step is
    its own: a `COPY --from=STAGE` builds that stage first, and the COPY's own `-->` lines come
    after the other stage's steps (they are ignored; that COPY shows as not done)."""
    steps: Dict[int, Step] = {}
    current: Optional[Step] = None
    for line in log.splitlines():
        m = _PODMAN_STEP.match(line)
        if m:
            current = steps[len(steps) + 1] = Step(len(steps) + 1, line)
        elif current is None or current.done:
            continue
        elif line.startswith("--> "):
            current.done = True
            current.cached = line.startswith("--> Using cache ")
        else:
            current.output.append(line)
    return steps


class LegacyDocker(Docker):
    """Docker's legacy builder (`DOCKER_BUILDKIT=0`): no RUN --mount, no secrets, no
    `--progress`; its log's `Step N/M : INSTRUCTION` lines are the steps, ` ---> Using cache`
    after one marks it reused (parse_legacy_steps). It keeps an image per step: those a build
    made are recorded, and removed with its tags."""

    def __init__(self, binary: str, host: Optional[str] = None) -> None:
        super().__init__(binary, host)
        self.env["DOCKER_BUILDKIT"] = "0"

    @classmethod
    def beside(cls, docker: Docker) -> LegacyDocker:
        """The legacy builder of `docker`'s engine, with its chef.pyz."""
        legacy = cls(docker.binary, docker.env.get("DOCKER_HOST"))
        legacy.chef_pyz = docker.pyz()
        return legacy

    def build(self, context: Path, tag: str, dockerfile: Path = NOMOUNT_DOCKERFILE,
              build_args: Optional[Mapping[str, str]] = None,
              secrets: Optional[Mapping[str, Path]] = None, target: Optional[str] = None,
              check: bool = True, place_chef: Optional[bool] = None,
              no_cache: bool = False, cache_from: Sequence[str] = (),
              platform: Optional[str] = None) -> Build:
        if secrets or cache_from or platform:
            raise NotImplementedError("LegacyDocker.build: no secrets, cache_from or platform")
        # --force-rm: a failed RUN's container goes too (it would hold its image).
        argv = self.build_argv(context, tag, dockerfile, build_args, None, target, place_chef,
                               no_cache, ["--force-rm"])
        return self.run_build([*argv, str(context)], context, tag, check)

    def parse_log(self, log: str) -> Dict[int, Step]:
        return parse_legacy_steps(log)

    def built_images(self, log: str, steps: Mapping[int, Step]) -> List[str]:
        return [s.image for s in steps.values()
                if s.image and not s.cached and not s.name.startswith("FROM ")]


_LEGACY_STEP = re.compile(r"^Step (\d+)/\d+ : (.*)$")
_LEGACY_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_legacy_steps(log: str) -> Dict[int, Step]:
    """The legacy builder's log: `Step N/M : INSTRUCTION` (numbered through every stage), then
    ` ---> Using cache` when reused, or ` ---> Running in ID`, the command's output and `Removing
    intermediate container ID` when it ran, and ` ---> IMAGE` when done. A step that never got its
    ` ---> IMAGE` in a failed build (`returned a non-zero code`, `COPY failed`) is the error."""
    log = _ANSI.sub("", log)  # the engine colours what a RUN wrote to stderr
    steps: Dict[int, Step] = {}
    current: Optional[Step] = None
    for line in log.splitlines():
        m = _LEGACY_STEP.match(line)
        if m:
            current = steps[int(m.group(1))] = Step(int(m.group(1)), m.group(2))
            continue
        if current is None or current.done:
            continue
        image = _LEGACY_IMAGE.match(line)
        if image:
            current.done, current.image = True, image.group(1)
        elif line == " ---> Using cache":
            current.cached = True
        elif not line.startswith((" ---> Running in ", "Removing intermediate container ")):
            current.output.append(line)
    failed = re.search(r"^(The command .* returned a non-zero code|COPY failed|ADD failed)", log,
                       re.M)
    if failed and current is not None and not current.done:
        current.error = True
    return steps


# --- chef itself, from the checkout ------------------------------------------------------------

def place_chef_pyz(context: Path, pyz: Path) -> Path:
    """chef.pyz at the root of a build context, where Dockerfile.example's `COPY chef.pyz` finds
    it (left alone when it is already the same file, so the context does not change)."""
    target = context / "chef.pyz"
    data = pyz.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
    return target


PYZ_BASE_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
# Nothing of chef: Dockerfile.example gets it from chef.pyz in the build context. This session's
# nonce, so that nothing built on this image comes from an earlier run's build cache. uv and
# requests (Poetry) trust their own CA roots unless told to use the system bundle (which, on
# machines behind a TLS-intercepting proxy, holds the proxy's CA).
COPY chef-test-session /etc/chef-test-session
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
"""


def pyz_base_image(docker: Docker, base: str, workdir: Path, fresh: bool = True,
                   platform: Optional[str] = None) -> str:
    """The base image for the pyz route: no wheelhouse, no PIP_FIND_LINKS, no chef; only the CA
    settings uv needs here and a nonce (fresh=True: this session's first builds are cold).
    platform: the base's platform when it is not the engine's (a local linux/arm64 image)."""
    context = workdir / ("pyz-base" + (f"-{platform.replace('/', '-')}" if platform else ""))
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    nonce = uuid.uuid4().hex[:12] if fresh else "stable"
    (context / "chef-test-session").write_text(nonce + "\n")
    (context / "Dockerfile").write_text(PYZ_BASE_DOCKERFILE)
    digest = hashlib.sha256(base.encode() + nonce.encode()).hexdigest()[:12]
    tag = f"chef-test-base-pyz:{digest}"
    docker.build(context, tag, dockerfile=context / "Dockerfile", build_args={"BASE": base},
                 platform=platform)
    return tag


def build_chef_wheel(out: Path) -> Path:
    """A reproducible wheel of the checkout (fixed zip timestamps: same source, same bytes)."""
    src = out.parent / "chef-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    shutil.copytree(ROOT / "chef", src / "chef",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800", "PIP_CONFIG_FILE": os.devnull}
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)], env=env)
    shutil.rmtree(src, ignore_errors=True)
    (wheel,) = out.glob("chef-*.whl")
    return wheel


TEST_BASE_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY wheels/ /wheels/
# chef's dependencies and uv, as wheels for this image's Python (from the package index).
RUN --mount=type=cache,target=/root/.cache/pip \\
    python3 -m venv /tmp/dl && /tmp/dl/bin/pip download -q -d /wheels /wheels/chef-*.whl uv \\
    && rm -rf /tmp/dl
# Dockerfile.example's pip route honours the base image's pip settings: `pip install chef` finds
# the checkout's wheel here. SSL_CERT_FILE, REQUESTS_CA_BUNDLE: uv and requests (Poetry) trust their
# own CA roots unless told to use the system bundle (which, on machines behind a TLS-intercepting
# proxy, holds the proxy's CA).
ENV PIP_FIND_LINKS=/wheels SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
"""


def test_base_image(docker: Docker, base: str, workdir: Path, fresh: bool = True) -> str:
    """Build the base + chef wheelhouse image (for `CHEF_FROM=pip`); returns its tag.

    fresh=True puts a random nonce into the image, so nothing built on it can come from an
    earlier run's build cache: the first build of a session is really cold (the installers'
    download caches, BuildKit cache mounts, stay warm)."""
    context = workdir / "test-base"
    shutil.rmtree(context, ignore_errors=True)
    wheel = build_chef_wheel(context / "wheels")
    nonce = uuid.uuid4().hex[:12] if fresh else "stable"
    (context / "wheels" / "chef-test-session").write_text(nonce + "\n")
    (context / "Dockerfile").write_text(TEST_BASE_DOCKERFILE)
    digest = hashlib.sha256(wheel.read_bytes() + base.encode() + nonce.encode()).hexdigest()[:12]
    tag = f"chef-test-base-chef:{digest}"
    docker.build(context, tag, dockerfile=context / "Dockerfile", build_args={"BASE": base})
    return tag


# --- the managers ------------------------------------------------------------------------------

def uv_binary() -> str:
    from chef.cook.installers import find_uv

    found = find_uv()
    if not found:
        raise CommandError("uv not found (pip install -e '.[test]')")
    return found


def default_index_url() -> str:
    """The index the managers use by default (pip's own constant: PyPI), or CHEF_TEST_INDEX_URL."""
    if os.environ.get("CHEF_TEST_INDEX_URL"):
        return os.environ["CHEF_TEST_INDEX_URL"]
    try:
        from pip._internal.models.index import PyPI
    except ImportError as exc:  # pip moved it: say what to do instead
        raise CommandError("set CHEF_TEST_INDEX_URL to the package index's simple URL") from exc
    return str(PyPI.simple_url)


def tools_venv() -> Path:
    """A scratch venv with Poetry and PDM, outside the repo; reused while the pins are the same."""
    base = Path(os.environ.get("CHEF_TEST_TOOLS") or Path.home() / ".cache" / "chef-tests")
    spec = "\n".join(TOOLS) + f"\n{sys.version_info[:2]}\n"
    venv = base / ("tools-" + hashlib.sha256(spec.encode()).hexdigest()[:10])
    stamp = venv / "chef-tools.txt"
    if stamp.exists() and stamp.read_text() == spec:
        return venv
    import fcntl

    base.mkdir(parents=True, exist_ok=True)
    with open(base / "tools.lock", "w") as lock:  # concurrent sessions: one installs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == spec):
            shutil.rmtree(venv, ignore_errors=True)
            run([sys.executable, "-m", "venv", str(venv)])
            run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                 "--disable-pip-version-check", *TOOLS])
            stamp.write_text(spec)
    return venv


def manager_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "POETRY_",
                                                                      "PDM_", "UV_"))}
    env.update({"UV_PYTHON_DOWNLOADS": "never", "POETRY_VIRTUALENVS_CREATE": "false",
                "PDM_CHECK_UPDATE": "false", "PDM_NON_INTERACTIVE": "1",
                "POETRY_NO_INTERACTION": "1"})
    return env


def parse_requirement_lines(text: str, env: Mapping[str, str]) -> Dict[str, str]:
    """`name==version ; marker` lines (exports, compiled requirements) -> {name: version} of
    the lines whose markers hold in `env`."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    joined = re.sub(r"\\\n", " ", text)
    out: Dict[str, str] = {}
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = re.sub(r"\s--hash=\S+", "", line).strip()
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if len(pins) != 1:
            raise AssertionError(f"not a pinned requirement: {raw!r}")
        out[str(canonicalize_name(req.name))] = pins[0]
    return out


@dataclass(frozen=True)
class Example:
    name: str  # directory under examples/
    manager: str  # uv | poetry | pdm | requirements
    module: str  # `python -m MODULE` runs the app
    source: str  # the file that holds GREETING
    dist: Optional[str] = None  # the app's distribution (None: not a package)
    pyproject: str = "pyproject.toml"  # where the app's version and dependencies are
    package: Optional[str] = None  # workspace member the image is for
    reader: str = ""  # chef's reader for this manager (chef detect.READERS name)
    local: Tuple[str, ...] = ()  # the project's own distributions installed in the image
    installer: str = "uv"  # Dockerfile.example's CHEF_INSTALLER

    @property
    def prepare_args(self) -> str:
        return f"--package {self.package}" if self.package else ""

    @property
    def build_args(self) -> Dict[str, str]:
        args = {"CHEF_PREPARE_ARGS": self.prepare_args} if self.package else {}
        if self.installer != "uv":
            args["CHEF_INSTALLER"] = self.installer
        return args


EXAMPLE_LIST = (
    Example("uv-app", "uv", "app", "src/app/__init__.py", dist="uv-example", reader="uv",
            local=("uv-example",)),
    Example("poetry-app", "poetry", "app", "src/app/__init__.py", dist="poetry-example",
            reader="poetry", local=("poetry-example",)),
    Example("pdm-app", "pdm", "app", "src/app/__init__.py", dist="pdm-example", reader="pdm",
            local=("pdm-example",)),
    # Built with CHEF_INSTALLER=pip: the one example that covers chef's pip backend.
    Example("requirements-app", "requirements", "app", "app/__main__.py",
            reader="requirements", installer="pip"),
    Example("uv-workspace", "uv", "api", "packages/api/src/api/__init__.py", dist="api",
            pyproject="packages/api/pyproject.toml", package="api", reader="uv",
            local=("api", "common")),
)
EXAMPLES_BY_NAME = {e.name: e for e in EXAMPLE_LIST}


class Project:
    """A temporary copy of an example, locked and edited with its real manager."""

    def __init__(self, example: Example, root: Path) -> None:
        self.example = example
        self.root = root
        self.env = manager_env()

    @classmethod
    def copy(cls, example: Example, parent: Path) -> Project:
        root = parent / example.name
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(EXAMPLES / example.name, root,
                        ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.pyc"))
        project = cls(example, root)
        project.prepare_lock()
        return project

    # -- running the manager
    def _tool(self, name: str) -> str:
        return str(tools_venv() / "bin" / name)

    def manager(self, *args: str) -> str:
        m = self.example.manager
        if m in ("uv", "requirements"):
            argv = [uv_binary(), *args]
        elif m == "poetry":
            argv = [self._tool("poetry"), *args]
        elif m == "pdm":
            argv = [self._tool("pdm"), *args]
        else:
            raise AssertionError(m)
        return run(argv, cwd=self.root, env=self.env).stdout

    def prepare_lock(self) -> None:
        """Make the lock where the example ships none (see the module docstring)."""
        m = self.example.manager
        if m == "uv" and not (self.root / "uv.lock").exists():
            self.lock()
        elif m == "poetry" and not (self.root / "poetry.lock").exists():
            # This registry serves the simple API but not Poetry's JSON API: lock through it.
            self.manager("source", "add", "--priority=primary", "simple-index",
                         default_index_url())
            self.lock()

    def lock(self) -> None:
        m = self.example.manager
        if m == "uv":
            self.manager("lock", "--quiet")
        elif m == "poetry" or m == "pdm":
            self.manager("lock")
        elif m == "requirements":
            self.manager("pip", "compile", "requirements.in", "--generate-hashes", "--universal",
                         "--quiet", "-o", "requirements.txt")

    def export(self, env: Mapping[str, str]) -> Dict[str, str]:
        """What the manager installs from its lock (main dependencies, not the project itself)
        in the marker environment `env`: {canonical name: version}."""
        m = self.example.manager
        if m == "uv":
            args = ["export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
                    "--no-emit-workspace", "--no-header", "--no-annotate"]
            if self.example.package:
                args += ["--package", self.example.package]
            text = self.manager(*args)
        elif m == "poetry":
            text = self.manager("export", "--only", "main", "--without-hashes",
                                "-f", "requirements.txt")
        elif m == "pdm":
            text = self.manager("export", "--prod", "--no-hashes")
        else:
            text = (self.root / "requirements.txt").read_text()
        return parse_requirement_lines(text, env)

    # -- edits a developer makes
    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).write_text(text)

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        if old not in text:
            raise AssertionError(f"{old!r} not in {rel}")
        self.write(rel, text.replace(old, new, 1))

    def greeting(self) -> str:
        m = re.search(r'GREETING = (?:banner\()?"([^"]+)"', self.read(self.example.source))
        assert m, self.example.source
        return m.group(1)

    def edit_source(self, suffix: str) -> str:
        """Change the greeting; returns the text the app now prints."""
        old = self.greeting()
        self.replace(self.example.source, f'"{old}"', f'"{old} {suffix}"')
        if self.example.package:  # the greeting comes from common.banner()
            return f"hello from the {old} {suffix} service"
        return f"{old} {suffix}"

    def bump_version(self) -> str:
        """Bump the app's version (and relock, as the manager would); returns the new version."""
        if self.example.dist is None:  # not a package: the version lives in the code
            rel = "app/__init__.py"
            old = re.search(r'__version__ = "([^"]+)"', self.read(rel)).group(1)  # type: ignore[union-attr]
            new = _next_version(old)
            self.replace(rel, f'__version__ = "{old}"', f'__version__ = "{new}"')
            return new
        rel = self.example.pyproject
        old = re.search(r'^version = "([^"]+)"', self.read(rel), re.M).group(1)  # type: ignore[union-attr]
        new = _next_version(old)
        self.replace(rel, f'version = "{old}"', f'version = "{new}"')
        self.lock()
        return new

    def edit_tool_config(self) -> None:
        text = self.read("pyproject.toml")
        new = re.sub(r"(?m)^line-length = (\d+)$", lambda m: f"line-length = {int(m.group(1)) - 1}",
                     text, count=1)
        assert new != text, "no [tool.ruff] line-length"
        self.write("pyproject.toml", new)

    def edit_readme(self) -> None:
        self.write("README.md", self.read("README.md") + "\nAnother line of documentation.\n")

    def add_dependency(self, requirement: str, package: Optional[str] = None) -> None:
        """Add a main dependency with the manager's own command (lock updated, nothing installed)."""
        m = self.example.manager
        if m == "uv":
            extra = ["--package", package or self.example.package] if (package or self.example.package) else []
            self.manager("add", "--no-sync", "--quiet", *extra, requirement)
        elif m == "poetry":
            self.manager("add", "--lock", requirement)
        elif m == "pdm":
            self.manager("add", "--no-sync", requirement)
        else:
            self.write("requirements.in", self.read("requirements.in") + requirement + "\n")
            self.lock()

    def bump_dev_dependency(self, requirement: str) -> None:
        """Change a dev-only dependency (lock updated): the image must not notice."""
        m = self.example.manager
        if m == "uv":
            self.manager("add", "--no-sync", "--quiet", "--dev", requirement)
        elif m == "poetry":
            self.manager("add", "--lock", "--group", "dev", requirement)
        elif m == "pdm":
            self.manager("add", "--no-sync", "--dev", "--group", "dev", requirement)
        else:
            name = requirement.split("==")[0]
            text = re.sub(rf"(?m)^{name}==\S+$", requirement, self.read("requirements-dev.txt"))
            self.write("requirements-dev.txt", text)


def _next_version(version: str) -> str:
    parts = version.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


def chef_readers() -> List[str]:
    from chef.detect import readers

    return list(readers())


def iter_examples(names: Optional[Sequence[str]] = None) -> Iterator[Example]:
    for e in EXAMPLE_LIST:
        if names is None or e.name in names:
            yield e


# --- checks shared by the engines' example tests ------------------------------------------------

def describe_steps(build: Build) -> str:
    """Each step of a build, reused or run: the message of a failed cache check."""
    return "build steps were:\n" + "\n".join(
        f"  {'CACHED' if s.cached else 'ran   '} {s.name[:110]}" for s in build.steps.values())


def check_installed(engine: Docker, project: Project, tag: str) -> None:
    """The image holds the project's own packages and, beyond them, exactly what its manager's
    export says for the image's interpreter."""
    installed = engine.installed(tag)
    local = set(project.example.local)
    assert local <= set(installed), f"the project's own packages are not installed: {installed}"
    third_party = {k: v for k, v in installed.items() if k not in local}
    expected = project.export(engine.marker_env(tag))
    assert third_party == expected, (
        f"image differs from the {project.example.manager} export:\n"
        f"  only in the image: {sorted(set(third_party.items()) - set(expected.items()))}\n"
        f"  only in the lock:  {sorted(set(expected.items()) - set(third_party.items()))}")


COOK = "chef cook"
PREPARE = "chef prepare"
INSTALL_PROJECT = "chef install-project"
NEW_DEPENDENCY = ("tabulate==0.9.0", "tabulate", "0.9.0")  # (requirement, module, version)


def assert_cook_reused(project: Project, build: Build) -> None:
    """The planner saw the change, every cook step was reused, install-project ran again."""
    assert not build.cached(PREPARE), "the planner did not see the change: " + describe_steps(build)
    assert build.all_cached(COOK), "a dependency layer was rebuilt: " + describe_steps(build)
    if project.example.local:
        assert not build.cached(INSTALL_PROJECT), describe_steps(build)


def check_edit_cycle(engine: Docker, project: Project, tag: str, args: Dict[str, str]) -> None:
    """What a user of `engine` sees, from its own log (podman, the legacy builder): a cold build
    cooks; after a source edit plus a version bump, and after a `[tool.*]` edit, every cook step
    is reused while the planner and install-project run again; after a dependency add the cook
    steps run again; the image runs the new code and holds what the manager's export says."""
    example = project.example
    cold = engine.build(project.root, tag, build_args=args)
    # Cold: layer 2 is cooked (layer 1 may come from another example's build: with no heavy
    # package, its layer recipe is the same bytes).
    assert all(s.done for s in cold.matching(COOK)) and not cold.all_cached(COOK), \
        describe_steps(cold)
    check_installed(engine, project, tag)

    greeting = project.edit_source("(edited)")
    version = project.bump_version()
    assert_cook_reused(project, engine.build(project.root, tag, build_args=args))
    assert greeting in engine.run(tag, "python", "-m", example.module)
    if example.dist:
        assert engine.installed(tag)[example.dist] == version
    else:  # not a package: the version lives in the code
        assert engine.run(tag, "python", "-c", "import app; print(app.__version__)").strip() \
            == version

    project.edit_tool_config()
    assert_cook_reused(project, engine.build(project.root, tag, build_args=args))

    requirement, module, new_version = NEW_DEPENDENCY
    project.add_dependency(requirement)
    added = engine.build(project.root, tag, build_args=args)
    assert not added.all_cached(COOK), "a new dependency must rerun chef cook: " \
        + describe_steps(added)
    assert all(s.done for s in added.matching(COOK)), describe_steps(added)
    code = f"import {module}, importlib.metadata as m; print(m.version({module!r}))"
    assert engine.python(tag, code).strip() == new_version
    assert greeting in engine.run(tag, "python", "-m", example.module)
    check_installed(engine, project, tag)
