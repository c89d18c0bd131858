"""Build tiny, real wheels in tests: no network, no build backend, milliseconds each.

pip-tools style: tests make fake packages and install them for real.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Dict, Iterable, Optional, Sequence


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    extras: Optional[Dict[str, Sequence[str]]] = None,
    requires_python: Optional[str] = None,
    tag: str = "py3-none-any",
    files: Optional[Dict[str, str]] = None,
) -> Path:
    """Write `name-version-tag.whl` with one module `name` that records its version."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_").replace(".", "_")
    module = dist.lower()
    filename = f"{dist}-{version}-{tag}.whl"
    meta_lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        meta_lines.append(f"Requires-Python: {requires_python}")
    for req in requires:
        meta_lines.append(f"Requires-Dist: {req}")
    for extra, reqs in (extras or {}).items():
        meta_lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            marker = f'extra == "{extra}"'
            if ";" in req:
                base, _, cond = req.partition(";")
                meta_lines.append(f"Requires-Dist: {base.strip()} ; ({cond.strip()}) and {marker}")
            else:
                meta_lines.append(f"Requires-Dist: {req} ; {marker}")
    extra_files = {p: d.encode() for p, d in (files or {}).items()}
    files_out = {
        **({f"{module}/__init__.py": f"__version__ = {version!r}\n".encode()} if not files else {}),
        **extra_files,
        f"{dist}-{version}.dist-info/METADATA": ("\n".join(meta_lines) + "\n").encode(),
        f"{dist}-{version}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: chef-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode(),
    }
    record_name = f"{dist}-{version}.dist-info/RECORD"
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files_out.items())
    record += f"{record_name},,\n"
    path = directory / filename
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p, d in files_out.items():
            info = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
            zf.writestr(info, d)
        zf.writestr(zipfile.ZipInfo(record_name, date_time=(2020, 1, 1, 0, 0, 0)), record)
    return path


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def build_wheelhouse(directory: Path, specs: Iterable[tuple]) -> Dict[str, Path]:  # type: ignore[type-arg]
    out = {}
    for spec in specs:
        path = make_wheel(directory, *spec)
        out[f"{spec[0]}=={spec[1]}"] = path
    return out
