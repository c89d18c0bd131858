"""Installer backends: an InstallPlan batch -> argv for uv or pip, run by `chef.cook.process`
(which starts every process chef starts; argv lists only, never a shell)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Protocol, Sequence

from chef.cook import process
from chef.cook.plan import Batch, IndexOptions
from chef.cook.platform import TargetPlatform
from chef.errors import InstallError, TargetEnvironmentError
from chef.urls import strip_credentials


def find_uv() -> Optional[str]:
    """uv on PATH, or the binary of an importable `uv` package."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # type: ignore[import-not-found,unused-ignore]

        path = str(uv.find_uv_bin())
        return path if os.path.exists(path) else None
    except Exception:
        return None


class Backend:
    """An installer: the argv for each step. Subclasses say how to start an install into
    `python` and spell the few options that differ; the rest is shared."""

    name = "base"
    reinstall = "--reinstall"

    def environment(self, environ: Mapping[str, str]) -> Optional[Dict[str, str]]:
        """The installer's environment, when it must differ from chef's (None: inherit)."""
        return None

    def _install(self, python: str) -> List[str]:
        raise NotImplementedError

    def create_venv(self, path: Path, python: str) -> List[str]:
        raise NotImplementedError

    def install(self, python: str, files: BatchFiles, batch: Batch, quiet: bool) -> List[str]:
        argv = self._install(python) + ["-r", str(files.requirements)]
        if files.constraints:
            argv += ["-c", str(files.constraints)]
        if batch.no_deps:
            argv.append("--no-deps")
        if batch.require_hashes:
            argv.append("--require-hashes")
        argv += _index_args(batch.options, uv=self.name == "uv", urls=not files.urls_in_env)
        if batch.platform is not None:
            argv += self._platform_args(batch.platform, files)
        return argv + (["--quiet"] if quiet else [])

    def supports(self, platform: TargetPlatform) -> bool:
        """Can this installer install wheels for `platform` (a cross-cook)?"""
        return True

    def _platform_args(self, platform: TargetPlatform, files: BatchFiles) -> List[str]:
        raise NotImplementedError

    def cross_install(
        self, python: str, batch: Batch, quiet: bool, env: Optional[Dict[str, str]],
        hidden: Optional[Hidden] = None,
    ) -> None:
        """Install one batch of a cross-cook (run by `chef.cook.run.run_batch`)."""
        with temp_dir() as tmp:
            files = write_batch_files(batch, Path(tmp), hidden)
            run(self.install(python, files, batch, quiet), f"installing {batch.purpose}", quiet,
                env=self.batch_environment(batch, files, env), hidden=hidden)

    def batch_environment(
        self, batch: Batch, files: BatchFiles, env: Optional[Dict[str, str]]
    ) -> Optional[Dict[str, str]]:
        """The installer's environment for one batch: when its index URLs hold a value from the
        environment (`files.urls_in_env`), they go there instead of on the command line (which
        any user of the machine can read), with the meaning they have on the command line."""
        if not files.urls_in_env:
            return env
        return self._url_environment(batch.options, dict(os.environ if env is None else env))

    def _url_environment(self, options: IndexOptions, env: Dict[str, str]) -> Dict[str, str]:
        raise NotImplementedError

    def install_paths(self, python: str, paths: Sequence[str], quiet: bool) -> List[str]:
        """The project's own wheels, built locally: no dependencies, no index."""
        argv = self._install(python) + ["--no-deps", "--no-index", self.reinstall, *paths]
        return argv + (["--quiet"] if quiet else [])


@dataclass(frozen=True)
class BatchFiles:
    """The requirements/constraints files of one batch (`write_batch_files`), and where the
    installer puts what it installs."""

    requirements: Path
    constraints: Optional[Path] = None
    target: Optional[Path] = None  # pip's --target directory in a cross-cook
    urls_in_env: bool = False  # the index URLs go in the installer's environment, not its argv


def hides_urls(batch: Batch, hidden: Optional[Hidden]) -> bool:
    """Does one of the batch's index URLs hold a value no installer may show?"""
    options = batch.options
    urls = [u for u in (options.index_url, *options.extra_index_urls, *options.find_links) if u]
    return hidden is not None and any(hidden.in_url(u) for u in urls)


def write_batch_files(
    batch: Batch, directory: Path, hidden: Optional[Hidden] = None
) -> BatchFiles:
    """Write the batch's requirements (and constraints) files into `directory`, a private
    temporary one."""
    requirements = directory / "requirements.txt"
    requirements.write_text("".join(line.render() + "\n" for line in batch.lines), "utf-8")
    constraints: Optional[Path] = None
    if batch.constraints:
        constraints = directory / "constraints.txt"
        constraints.write_text(
            "".join(line.render() + "\n" for line in batch.constraints), "utf-8"
        )
    return BatchFiles(requirements, constraints, urls_in_env=hides_urls(batch, hidden))


def _index_args(options: IndexOptions, uv: bool, urls: bool = True) -> List[str]:
    """The index options; without their URLs (`urls=False`) when the environment carries them
    (`Backend.batch_environment`)."""
    args: List[str] = []
    if options.no_index:
        args.append("--no-index")
    elif options.index_url and urls:
        args += ["--index-url", options.index_url]
    if not options.no_index:
        for url in options.extra_index_urls if urls else ():
            args += ["--extra-index-url", url]
        if uv and options.extra_index_urls:
            # pip's semantics: the best match across every index (hashes still pin the files).
            args += ["--index-strategy", "unsafe-best-match"]
    for link in options.find_links if urls else ():
        args += ["--find-links", link]
    if options.pre:
        args += ["--prerelease", "allow"] if uv else ["--pre"]
    return args


# pip's settings that a base image carries (PIP_INDEX_URL & co.) and uv's names for them: a base
# image configured for pip keeps working when cook picks uv. uv's own variables win when set.
_PIP_TO_UV = (  # pip's variable, uv's variable to set, uv's variables that win, separator
    ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", ("UV_DEFAULT_INDEX", "UV_INDEX_URL"), " "),
    ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", ("UV_INDEX", "UV_EXTRA_INDEX_URL"), " "),
    ("PIP_FIND_LINKS", "UV_FIND_LINKS", ("UV_FIND_LINKS",), ","),
)


class UvBackend(Backend):
    name = "uv"

    def __init__(self, uv: str) -> None:
        self.uv = uv

    def environment(self, environ: Mapping[str, str]) -> Optional[Dict[str, str]]:
        mapped: Dict[str, str] = {}
        for pip_name, uv_name, uv_names, separator in _PIP_TO_UV:
            value = environ.get(pip_name, "").strip()
            if value and not any(environ.get(n) for n in uv_names):
                mapped[uv_name] = separator.join(value.split())
        if environ.get("PIP_NO_INDEX", "").lower() in ("1", "true", "yes", "on"):
            mapped.setdefault("UV_NO_INDEX", "1")
        return {**environ, **mapped} if mapped else None

    def _install(self, python: str) -> List[str]:
        return [self.uv, "pip", "install", "--python", python]

    def _url_environment(self, options: IndexOptions, env: Dict[str, str]) -> Dict[str, str]:
        # uv: a command-line option replaces its variable (UV_DEFAULT_INDEX wins over
        # --index-url either way): the variable set to the option's value means the same.
        if options.index_url and not options.no_index:
            env["UV_INDEX_URL"] = options.index_url
        if options.extra_index_urls and not options.no_index:
            env["UV_EXTRA_INDEX_URL"] = " ".join(options.extra_index_urls)
        if options.find_links:
            env["UV_FIND_LINKS"] = ",".join(options.find_links)
        return env

    def supports(self, platform: TargetPlatform) -> bool:
        return platform.uv_name() is not None

    def _platform_args(self, platform: TargetPlatform, files: BatchFiles) -> List[str]:
        # Wheels of the target only (--no-build: an sdist would be built for this machine);
        # the environment is the venv, its interpreter the build machine's of the same version.
        return ["--python-platform", str(platform.uv_name()), "--python-version",
                platform.python, "--no-build"]

    def create_venv(self, path: Path, python: str) -> List[str]:
        return [self.uv, "venv", "--quiet", "--python", python, str(path)]


class PipBackend(Backend):
    """pip, run from chef's own environment against the target (`pip --python`), so the app's
    venv needs no pip of its own and holds exactly the locked set."""

    name = "pip"

    reinstall = "--force-reinstall"

    def _install(self, python: str) -> List[str]:
        return [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "--disable-pip-version-check",
            "install",
            "--no-input",
        ]

    def create_venv(self, path: Path, python: str) -> List[str]:
        return [python, "-m", "venv", "--without-pip", str(path)]

    def _url_environment(self, options: IndexOptions, env: Dict[str, str]) -> Dict[str, str]:
        # pip: --index-url replaces PIP_INDEX_URL; --extra-index-url and --find-links add to
        # what their variables hold.
        if options.index_url and not options.no_index:
            env["PIP_INDEX_URL"] = options.index_url
        if options.extra_index_urls and not options.no_index:
            env["PIP_EXTRA_INDEX_URL"] = " ".join(
                [*env.get("PIP_EXTRA_INDEX_URL", "").split(), *options.extra_index_urls])
        if options.find_links:
            env["PIP_FIND_LINKS"] = " ".join(
                [*env.get("PIP_FIND_LINKS", "").split(), *options.find_links])
        return env

    def _platform_args(self, platform: TargetPlatform, files: BatchFiles) -> List[str]:
        # pip takes platform options only with --target: a directory next to site-packages,
        # moved into the venv by `cross_install`, which then compiles the bytecode there.
        target = files.target if files.target is not None else Path("<target-dir>")
        return platform.pip_args() + ["--target", str(target), "--no-compile"]

    def cross_install(
        self, python: str, batch: Batch, quiet: bool, env: Optional[Dict[str, str]],
        hidden: Optional[Hidden] = None,
    ) -> None:
        from chef.cook import relocate

        paths = relocate.venv_paths(python)
        with temp_dir() as tmp, relocate.staging(paths) as target:
            files = replace(write_batch_files(batch, Path(tmp), hidden), target=target)
            run(self.install(python, files, batch, quiet), f"installing {batch.purpose}", quiet,
                env=self.batch_environment(batch, files, env), hidden=hidden)
            moved = relocate.into_venv(target, paths)
        if not _no_compile(env if env is not None else os.environ):
            relocate.compile_bytecode(python, moved)


def _no_compile(environ: Mapping[str, str]) -> bool:
    """pip compiles bytecode unless told not to (PIP_NO_COMPILE, as pip reads it)."""
    value = environ.get("PIP_NO_COMPILE", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def choose(installer: str, platform: Optional[TargetPlatform] = None) -> Backend:
    """The installer; for a cross-cook (`platform`), `auto` takes pip where uv has no name for
    the target (linux/arm/v7, ppc64le, s390x, 386, an old glibc)."""
    if installer not in ("auto", "uv", "pip"):
        raise TargetEnvironmentError(f"unknown installer {installer!r}", hint="use auto, uv or pip")
    if installer in ("auto", "uv"):
        uv = find_uv()
        if uv:
            backend = UvBackend(uv)
            if platform is None or backend.supports(platform):
                return backend
            if installer == "uv":
                raise TargetEnvironmentError(
                    f"uv cannot install wheels for {platform.docker} with {platform.libc}",
                    hint="use --installer pip (or auto), which can",
                )
        elif installer == "uv":
            raise TargetEnvironmentError("uv not found", hint="install uv or use --installer pip")
    try:
        import pip  # noqa: F401
    except ImportError:
        raise TargetEnvironmentError(
            "pip is not available to chef", hint="install pip or uv next to chef"
        ) from None
    return PipBackend()


def display_argv(argv: Sequence[str]) -> str:
    """A shell-like rendering for humans, with any credential masked."""
    import shlex

    return " ".join(shlex.quote(mask(a)) for a in argv)


def mask(text: str) -> str:
    """Hide user:password in any URL inside `text` (argv items, option values)."""
    if "@" not in text or "://" not in text:
        return text
    prefix, sep, url = text.rpartition("=") if text.startswith("--") else ("", "", text)
    stripped = strip_credentials(url)
    if stripped != url:
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://***@{rest.rpartition('@')[2]}"
    return prefix + sep + url


class Hidden(Protocol):
    """What must not show in an installer's command line or output (`credentials.Credentials`)."""

    def in_url(self, url: str) -> bool: ...

    def filters_output(self) -> bool: ...

    def mask(self, text: str) -> str: ...


def run(
    argv: Sequence[str], what: str, quiet: bool, env: Optional[Mapping[str, str]] = None,
    hidden: Optional[Hidden] = None, runner: Optional[process.Runner] = None,
) -> None:
    """Run an installer (`chef.cook.process`: its process group is ended whenever chef stops
    waiting for it); its own output streams through (progress), its failure becomes one
    ChefError line after the installer's own error. With secrets from the environment in its
    index URLs (`hidden`), its output goes through chef, which masks them (pip prints the indexes
    it looks in)."""
    filtered = hidden is not None and hidden.filters_output()
    process.run(process.Call(
        tuple(argv), what, program="installer", output="quiet" if quiet else "stream",
        env=env, mask=hidden.mask if hidden is not None and filtered else None,
        error=InstallError, fix="install it next to chef, or choose one with --installer",
    ), runner)


def temp_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="chef-")
