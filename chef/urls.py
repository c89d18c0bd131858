"""URL hygiene: credentials never enter a recipe.

`https://user:token@host/simple` becomes `https://host/simple`; credentials are supplied again at
cook time (environment, netrc, build secret). Placeholders like `${TOKEN}` are not secrets: they
are kept, in one spelling (`${NAME}`), wherever the manager expands them (a whole index URL, its
host, path or userinfo), and cook expands them from the build's environment.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit, urlunsplit

# The URLs an installer takes as a requirement (pip's and uv's schemes; VCS URLs as `vcs+scheme://`).
URL_SCHEMES = ("http://", "https://", "file:", "git+", "hg+", "svn+", "bzr+")

_PLACEHOLDER_ONLY = re.compile(r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|:)+$")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SHELL_VARIABLE = re.compile(
    r"'\$\{([A-Za-z_][A-Za-z0-9_]*)\}'|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


def shell_placeholders(text: str) -> str:
    """`$NAME`, `${NAME}` and the legacy quoted `'${NAME}'`, all of which pipenv expands in a
    [[source]] url (os.path.expandvars), spelled `${NAME}`: equal URLs, equal recipes."""
    return _SHELL_VARIABLE.sub(
        lambda m: "${" + (m.group(1) or m.group(2) or m.group(3)) + "}", text
    )


def strip_credentials(url: str) -> str:
    """Remove user:password@ from a URL unless it is made only of ${VAR} placeholders."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unparsable (e.g. a bad IPv6 host): still never keep a credential
        return _strip_raw(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if _PLACEHOLDER_ONLY.match(userinfo):
        return url
    # git+ssh://git@host/... : "git" is a conventional user name, not a secret.
    if parts.scheme.endswith("ssh") and ":" not in userinfo:
        return url
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))


def _strip_raw(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return scheme + sep + authority.rpartition("@")[2] + slash + path


# scheme://userinfo@ anywhere in a text (messages, installer command lines).
# The userinfo runs to the last `@` before the path, query or fragment, whatever characters the
# password holds (quotes, `<`, `>`, `:`, `%`, `@` itself).
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s]+)@")


def mask_text(text: str) -> str:
    """Replace the userinfo of every URL in `text` with `***` (for anything chef prints)."""
    if "@" not in text or "://" not in text:
        return text

    def hide(match: re.Match[str]) -> str:
        userinfo = match.group(2)
        if _PLACEHOLDER_ONLY.match(userinfo):
            return match.group(0)
        if match.group(1).lower().endswith("ssh://") and ":" not in userinfo:
            return match.group(0)  # git+ssh://git@host: a user name, not a secret
        return match.group(1) + "***@"

    return _USERINFO.sub(hide, text)


def strip_credentials_opt(url: Optional[str]) -> Optional[str]:
    return None if url is None else strip_credentials(url)


def normalize_index_url(url: str) -> str:
    """Strip credentials and a trailing slash so equal indexes compare equal."""
    url = strip_credentials(url.strip())
    return url.rstrip("/") if len(url) > 1 else url
