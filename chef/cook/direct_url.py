"""The project's own distributions say where they were installed from: its directory, not the
wheel install-project built in a temporary directory.

An installer given a wheel file writes that file's URL into the distribution's direct_url.json
(PEP 610), and the file is gone once install-project returns: `pip freeze` then names a path that
exists only in the builder, and tools that read the URL (pip's `--editable` location, SBOM
generators) find nothing. `pip install DIR` and `uv sync` record the directory instead
(`dir_info`, with `editable` for an editable install); chef does the same, and keeps RECORD's line
for the file true (its hash and size), so `pip uninstall` and `pip check` stay happy."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, List


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _site_packages(prefix: Path) -> List[Path]:
    """prefix's site-packages, each once (a venv's lib64 is a link to lib)."""
    found: Dict[Path, Path] = {}
    for pattern in ("lib/python*/site-packages", "lib64/python*/site-packages",
                    "Lib/site-packages"):
        for path in sorted(prefix.glob(pattern)):
            found.setdefault(path.resolve(), path)
    return list(found.values())


def point_at_sources(prefix: Path, sources: Dict[str, Path], editable: bool) -> List[str]:
    """Rewrite direct_url.json of every distribution under `prefix` installed from one of the
    wheel files in `sources` (wheel path -> the directory it was built from) to name that
    directory. Returns the dist-info directories rewritten, for --explain-style messages."""
    wanted = {Path(os.path.abspath(wheel)).as_uri(): source for wheel, source in sources.items()}
    done: List[str] = []
    for site in _site_packages(prefix):
        for path in sorted(site.glob("*.dist-info/direct_url.json")):
            try:
                url = json.loads(path.read_text(encoding="utf-8")).get("url")
            except (OSError, ValueError, AttributeError):
                continue
            source = wanted.get(url) if isinstance(url, str) else None
            if source is None:
                continue
            info: Dict[str, object] = {"editable": True} if editable else {}
            data = json.dumps({"dir_info": info, "url": Path(os.path.abspath(source)).as_uri()},
                              sort_keys=True, separators=(",", ":")).encode("utf-8")
            path.write_bytes(data)
            _fix_record(path.parent, path.name, data)
            done.append(path.parent.name)
    return done


def _fix_record(dist_info: Path, name: str, data: bytes) -> None:
    """RECORD's line for dist_info/name: the new hash and size (paths in RECORD are relative to
    site-packages, with "/" separators; a CSV file). The other lines stay as they were."""
    record = dist_info / "RECORD"
    try:
        lines = record.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    entry = f"{dist_info.name}/{name}"
    out = []
    for line in lines:
        fields = next(csv.reader([line]), [])
        if fields and fields[0] == entry:
            line = f"{entry},{_record_hash(data)},{len(data)}"
        out.append(line)
    record.write_text("".join(line + "\n" for line in out), encoding="utf-8")
