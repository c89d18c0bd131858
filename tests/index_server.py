"""A PEP 503 simple index over a wheelhouse, served on loopback for the duration of a test.

Installers then record real index URLs and sha256 hashes in their locks, exactly as with a real
registry, without any network. Optional basic auth for credential tests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename


def _project_of(filename: str) -> Optional[str]:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except ValueError:  # not a wheel or sdist name (packaging's Invalid*Filename)
        return None


class IndexServer:
    def __init__(self, wheelhouse: Path, auth: Optional[Tuple[str, str]] = None) -> None:
        self.wheelhouse = wheelhouse
        self.auth = auth
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
                status, body, ctype = server.route(self.path.split("?")[0])
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

    def route(self, path: str) -> Tuple[int, bytes, str]:
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            links = "".join(f'<a href="{n}/">{n}</a>\n' for n in self._files())
            return 200, f"<html><body>{links}</body></html>".encode(), "text/html"
        if len(parts) == 2 and parts[0] == "simple":
            files = self._files().get(str(canonicalize_name(parts[1])))
            if not files:
                return 404, b"not found", "text/plain"
            links = ""
            for f in files:
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
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
