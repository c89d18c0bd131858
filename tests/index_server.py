"""A PEP 503 simple index over a wheelhouse, served on loopback for the duration of a test.

Installers then record real index URLs and sha256 hashes in their locks, exactly as with a real
registry, without any network. Optional basic auth for credential tests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _project_of(filename: str) -> Optional[str]:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except ValueError:  # not a wheel or sdist name (packaging's Invalid*Filename)
        return None


class IndexServer:
    def __init__(self, wheelhouse: Path, auth: Optional[Tuple[str, str]] = None,
                 json_api: bool = False) -> None:
        """json_api: also answer the PEP 691 JSON form (with PEP 700 file sizes, which uv records
        in uv.lock) to a client that asks for it; otherwise HTML only."""
        self.wheelhouse = wheelhouse
        self.auth = auth
        self.json_api = json_api
        self._digests: Dict[Tuple[str, int, int], str] = {}
        self.requests: List[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:  # noqa: N802
                server.requests.append(self.path)
                if server.auth is not None:
                    expected = (
                        "Basic "
                        + base64.b64encode(f"{server.auth[0]}:{server.auth[1]}".encode()).decode()
                    )
                    if self.headers.get("Authorization") != expected:
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="chef-test"')
                        self.end_headers()
                        return
                wants_json = server.json_api and JSON_TYPE in self.headers.get("Accept", "")
                status, body, ctype = server.route(self.path.split("?")[0], wants_json)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/simple"

    def _files(self) -> Dict[str, List[Path]]:
        out: Dict[str, List[Path]] = {}
        for path in sorted(self.wheelhouse.iterdir()):
            project = _project_of(path.name)
            if project:
                out.setdefault(str(canonicalize_name(project)), []).append(path)
        return out

    def digest(self, path: Path) -> str:
        """sha256 of a file, computed once per (path, size, mtime): wheels of tens of MB too."""
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._digests:
            self._digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._digests[key]

    def route(self, path: str, wants_json: bool = False) -> Tuple[int, bytes, str]:
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            links = "".join(f'<a href="{n}/">{n}</a>\n' for n in self._files())
            return 200, f"<html><body>{links}</body></html>".encode(), "text/html"
        if len(parts) == 2 and parts[0] == "simple":
            files = self._files().get(str(canonicalize_name(parts[1])))
            if not files:
                return 404, b"not found", "text/plain"
            if wants_json:
                entries = [{"filename": f.name, "url": f"/files/{f.name}",
                            "hashes": {"sha256": self.digest(f)}, "size": f.stat().st_size}
                           for f in files]
                body = {"meta": {"api-version": "1.1"}, "name": parts[1], "files": entries,
                        "versions": []}
                return 200, json.dumps(body).encode(), JSON_TYPE
            links = ""
            for f in files:
                digest = self.digest(f)
                name = html.escape(f.name)
                links += f'<a href="/files/{name}#sha256={digest}">{name}</a>\n'
            return 200, f"<html><body>{links}</body></html>".encode(), "text/html"
        if len(parts) == 2 and parts[0] == "files":
            target = self.wheelhouse / parts[1]
            if target.is_file() and target.parent == self.wheelhouse:
                return 200, target.read_bytes(), "application/octet-stream"
        return 404, b"not found", "text/plain"

    def __enter__(self) -> IndexServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
