"""URL hygiene: credentials never enter a recipe.

`https://user:token@host/simple` becomes `https://host/simple`; credentials are supplied again at
cook time (environment, netrc, build secret). Placeholders like `${TOKEN}` are not secrets and are
kept as written, so the installer can expand them from the build's environment.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit, urlunsplit

_PLACEHOLDER_ONLY = re.compile(r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|:)+$")


def strip_credentials(url: str) -> str:
    """Remove user:password@ from a URL unless it is made only of ${VAR} placeholders."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if _PLACEHOLDER_ONLY.match(userinfo):
        return url
    # git+ssh://git@host/... : "git" is a conventional user name, not a secret.
    if parts.scheme.endswith("ssh") and ":" not in userinfo:
        return url
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))


def strip_credentials_opt(url: Optional[str]) -> Optional[str]:
    return None if url is None else strip_credentials(url)


def normalize_index_url(url: str) -> str:
    """Strip credentials and a trailing slash so equal indexes compare equal."""
    url = strip_credentials(url.strip())
    return url.rstrip("/") if len(url) > 1 else url
