"""Real build backends as wheels for an offline index: repacked from the test venv's own
installed distributions (poetry-core, setuptools), file for file as their RECORD lists them.

uv builds the metadata of a project whose dependencies a backend fills (dynamic fields, or a
`[project]` without `dependencies` beside `[tool.poetry]`); the tests serve it that backend from
the loopback index instead of the network. Pure-Python distributions only.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Optional


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def repack(name: str, directory: Path) -> Optional[Path]:
    """`name`'s installed distribution as `<name>-<version>-py3-none-any.whl` in `directory`,
    or None when it is not installed here."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    files = [f for f in dist.files or () if "__pycache__" not in f.parts
             and not str(f).startswith("..") and not f.name.endswith((".pyc", "RECORD"))
             and f.name not in ("INSTALLER", "REQUESTED", "direct_url.json")]
    stem = dist.metadata["Name"].replace("-", "_").lower()
    info = f"{stem}-{dist.version}.dist-info"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{stem}-{dist.version}-py3-none-any.whl"
    rows = []
    with zipfile.ZipFile(wheel, "w") as zf:
        for f in files:
            data = Path(str(f.locate())).read_bytes()
            arc = str(f)
            if arc.split("/", 1)[0].endswith(".dist-info"):
                arc = info + "/" + arc.split("/", 1)[1]
            if arc == f"{info}/WHEEL":
                data = (b"Wheel-Version: 1.0\nGenerator: chef-tests\nRoot-Is-Purelib: true\n"
                        b"Tag: py3-none-any\n")
            zf.writestr(arc, data)
            rows.append(f"{arc},{_record_hash(data)},{len(data)}\n")
        rows.append(f"{info}/RECORD,,\n")
        zf.writestr(f"{info}/RECORD", "".join(rows))
    return wheel
