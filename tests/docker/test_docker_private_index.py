"""A private index with basic auth, credentials passed as a BuildKit secret (a netrc file): the
build works, and the credentials are nowhere in the image, its history, its config, recipe.json or
any layer."""

from __future__ import annotations

import io
import secrets
import subprocess
import tarfile
from pathlib import Path
from typing import Iterator, List, Tuple

import dockerlib
import pytest
from dockerlib import Docker, run
from index_server import IndexServer
from wheelhouse import make_wheel

pytestmark = pytest.mark.docker

PYPROJECT = """\
[project]
name = "private-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["chef-private-dep==1.0"]

[[tool.uv.index]]
name = "private"
url = "{url}"
default = true
"""


def _blobs(data: bytes, where: str, depth: int = 0) -> Iterator[Tuple[str, bytes]]:
    """Every file in a `docker save` archive, descending into layer tarballs (plain or gzip)."""
    yield where, data
    if depth > 2:
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
    except (tarfile.TarError, EOFError, OSError):
        return
    with archive:
        for member in archive.getmembers():
            if member.isfile():
                content = archive.extractfile(member)
                if content is not None:
                    yield from _blobs(content.read(), f"{where}/{member.name}", depth + 1)


def _leaks(text_or_bytes: object, needles: List[bytes]) -> List[bytes]:
    data = text_or_bytes if isinstance(text_or_bytes, bytes) else str(text_or_bytes).encode()
    return [n for n in needles if n in data]


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_private_index_credentials_come_from_a_secret_and_stay_out_of_the_image(
        docker: Docker, chef_base: str, tmp_path: Path, installer: str) -> None:
    """Both installers read the netrc secret (uv, and pip through requests)."""
    user, password = "u" + secrets.token_hex(8), "p" + secrets.token_hex(12)
    needles = [user.encode(), password.encode()]
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "chef-private-dep", "1.0")
    project = tmp_path / "private-app"
    project.mkdir()

    with IndexServer(wheels, auth=(user, password)) as server:
        (project / "pyproject.toml").write_text(PYPROJECT.format(url=server.url))
        (project / "app.py").write_text("import chef_private_dep\nprint('private ok')\n")
        env = {**dockerlib.manager_env(), "UV_INDEX_PRIVATE_USERNAME": user,
               "UV_INDEX_PRIVATE_PASSWORD": password}
        run([dockerlib.uv_binary(), "lock", "--quiet"], cwd=project, env=env)
        assert not _leaks((project / "uv.lock").read_bytes(), needles)
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1\nlogin {user}\npassword {password}\n")
        netrc.chmod(0o600)
        args = {"PYTHON_IMAGE": chef_base, "CHEF_INSTALLER": installer}
        tag = docker.tag(f"private-{installer}")

        # Without the secret the index refuses chef cook: the credentials come from the secret.
        denied = docker.build(project, docker.tag(f"private-{installer}-denied"), build_args=args, check=False)
        assert not denied.ok and any(s.error for s in denied.matching("chef cook")), denied.log[-3000:]

        build = docker.build(project, tag, build_args=args, secrets={"netrc": netrc})
        assert not build.all_cached("chef cook")
        builder = docker.build(project, docker.tag(f"private-{installer}-builder"), build_args=args,
                               secrets={"netrc": netrc}, target="builder")
        planner = docker.build(project, docker.tag(f"private-{installer}-planner"), build_args=args,
                               target="planner")
    assert server.requests, "the private index was never asked"
    assert docker.run(tag, "python", "app.py").strip() == "private ok"

    recipe = docker.run(planner.tag, "cat", "/chef/recipe.json")
    assert server.url in recipe  # the index is in the recipe, its credentials are not
    assert not _leaks(recipe, needles)
    for image in (tag, builder.tag):
        for what in (["history", "--no-trunc", image], ["image", "inspect", image]):
            assert not _leaks(docker(*what).stdout, needles), f"credentials in docker {what[0]}"
        saved = subprocess.run([docker.binary, "save", image], capture_output=True,
                               check=True).stdout
        blobs = list(_blobs(saved, image))
        leaked = [where for where, blob in blobs if _leaks(blob, needles)]
        assert not leaked, f"credentials in the saved image: {leaked[:5]}"
        # The scan does reach into the layers: it finds the installed private package's files.
        assert any(where.endswith("chef_private_dep/__init__.py") for where, _ in blobs)
