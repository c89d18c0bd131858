"""Credentials for private indexes at cook time: never in the recipe, never on a command line.

Where they come from, first match per host wins:
1. userinfo in cook's own `--index-url`/`--extra-index-url`/`--find-links` values;
2. `--credentials-file FILE` (or `CHEF_CREDENTIALS_FILE`): a netrc file, typically a BuildKit
   secret (`RUN --mount=type=secret,id=netrc chef cook --credentials-file /run/secrets/netrc`);
3. the installers' own variables holding URLs with credentials: PIP_INDEX_URL,
   PIP_EXTRA_INDEX_URL, UV_INDEX_URL, UV_DEFAULT_INDEX, UV_EXTRA_INDEX_URL, UV_INDEX (uv's
   `name=url` list), and uv's per-index UV_INDEX_<NAME>_USERNAME / _PASSWORD for the indexes
   UV_INDEX names;
4. `${VAR}` placeholders kept in the recipe's URLs (`https://${USER}:${TOKEN}@host/simple`),
   expanded from the environment;
5. the user's netrc (NETRC, else ~/.netrc), which pip and uv read natively anyway.

chef hands them to the installer the one way both pip and uv understand for any URL: a private
netrc file (mode 0600, in a temporary directory removed after cook) named by NETRC in the
installer's environment, merged with the user's own netrc. Index URLs on the installer's command
line carry no userinfo. Everything chef prints goes through `mask`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple
from urllib.parse import quote, unquote, urlsplit

from chef.errors import TargetEnvironmentError
from chef.urls import mask_text, strip_credentials

URL_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "UV_DEFAULT_INDEX",
                 "UV_EXTRA_INDEX_URL", "UV_INDEX")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Credentials:
    """host -> (login, password), with where each came from (never the values) for humans."""

    hosts: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    sources: Dict[str, str] = field(default_factory=dict)
    user_netrc: Optional[Path] = None
    # Values that filled a `${NAME}` placeholder of a recipe URL (a token in a path, a host, a
    # whole URL): secrets wherever they show, in chef's output and in the installer's.
    hidden: Set[str] = field(default_factory=set)

    def add(self, host: str, login: str, password: str, source: str) -> None:
        host = host.lower()
        if host and host not in self.hosts:
            self.hosts[host] = (login, password)
            self.sources[host] = source

    def secrets(self) -> List[str]:
        """Every login and password, longest first (masking a password inside another)."""
        values = {v for pair in self.hosts.values() for v in pair if len(v) >= 3}
        values |= {v for v in self.hidden if len(v) >= 3}
        values |= {quote(v, safe="") for v in values}  # as a URL's userinfo carries them
        return sorted(values, key=len, reverse=True)

    def mask(self, text: str) -> str:
        text = mask_text(text)
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text

    def filters_output(self) -> bool:
        """Must an installer's output go through `mask`? When a value from the environment is
        in a URL it was given (installers never print a netrc's passwords)."""
        return any(len(value) >= 3 for value in self.hidden)

    def in_url(self, url: str) -> bool:
        """Does `url` hold a value from the environment that no installer may print?"""
        return any(value in url for value in self.hidden if len(value) >= 3)

    def describe(self) -> List[str]:
        return [f"credentials for {host}: from {self.sources[host]} (given to the installer "
                "through a private netrc file)" for host in sorted(self.hosts)]


def split_url(url: str, environ: Mapping[str, str]) -> Tuple[str, Optional[Tuple[str, str, str]]]:
    """(url without userinfo, (host, login, password) or None); `${VAR}` placeholders in the
    userinfo are expanded from `environ` first."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return strip_credentials(url), None
    if "@" not in parts.netloc or parts.scheme.endswith("ssh"):
        return url, None
    userinfo = parts.netloc.rpartition("@")[0]
    missing = [v for v in _PLACEHOLDER.findall(userinfo) if v not in environ]
    if missing:
        raise TargetEnvironmentError(
            f"the index URL {mask_text(url)} needs {', '.join(sorted(set(missing)))} "
            "from the environment",
            hint="set it for cook (e.g. as a BuildKit secret), or use --credentials-file",
        )
    userinfo = _PLACEHOLDER.sub(lambda m: environ[m.group(1)], userinfo)
    login, _, password = userinfo.partition(":")
    host = parts.hostname or ""
    stripped = strip_credentials(url)
    if "@" in urlsplit(stripped).netloc:  # placeholders only: strip them too, now expanded
        hostport = parts.netloc.rpartition("@")[2]
        stripped = url.replace(parts.netloc, hostport, 1)
    return stripped, (host, unquote(login), unquote(password))


def placeholder_names(url: str) -> List[str]:
    return sorted(set(_PLACEHOLDER.findall(url)))


def expand(url: str, environ: Mapping[str, str], *, strict: bool = True) -> str:
    """A recipe URL with its `${NAME}` placeholders filled from the environment (see
    `expand_parts`)."""
    return expand_parts(url, environ, strict=strict)[0]


def expand_parts(
    url: str, environ: Mapping[str, str], *, strict: bool = True
) -> Tuple[str, List[str]]:
    """(the URL with its `${NAME}` placeholders filled from the environment, the values that
    filled them in every spelling they take in it: secrets to mask in anything printed).

    Each placeholder of the recipe's text is filled once, left to right; a value is never scanned
    for placeholders again (a value holding `${OTHER}` stays that text, and is refused below). A
    value in the userinfo is percent-encoded (a password holding `@` or `:` stays one password, as
    pipenv encodes it); anywhere else it is used as it is (a whole URL, a host, a path). Where the
    userinfo is is decided on the recipe's text, before anything is filled in. A missing variable
    is an error, or (`strict=False`, a dry run) stays as written. The result must be a URL chef
    would accept in a recipe."""

    names = sorted(set(_PLACEHOLDER.findall(url)))
    if not names:
        return url, []
    missing = [n for n in names if n not in environ]
    if missing and strict:
        raise TargetEnvironmentError(
            f"the index URL {mask_text(url)} needs {', '.join(missing)} from the environment",
            hint="set it for cook (ENV, --build-arg, or a BuildKit secret), or pass --index-url",
        )
    scheme, sep, rest = url.partition("://")
    authority = rest.split("/", 1)[0]
    userinfo_start = userinfo_end = -1
    if sep and "@" in authority:  # a userinfo template: encode what fills it
        userinfo_start = len(scheme) + len(sep)
        userinfo_end = userinfo_start + len(authority.rpartition("@")[0])
    values: List[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            return match.group(0)
        value = environ[name]
        if userinfo_start <= match.start() < userinfo_end:
            encoded = quote(value, safe="")
            values.extend((value, encoded))
            return encoded
        values.append(value)
        return value

    expanded = _PLACEHOLDER.sub(fill, url)
    secrets = sorted({v for v in values if v}, key=len, reverse=True)
    from chef.recipe import allowed_url

    if not allowed_url(expanded) or ("${" in expanded and strict):
        raise TargetEnvironmentError(  # what it expands to is not shown: it holds the values
            f"the index URL {mask_text(url)} expands to what is not a URL chef passes to an "
            f"installer ({', '.join(names)} from the environment)",
            hint="give each variable a URL or a URL part without spaces or quotes; a value is "
            "used as it is, never expanded again",
        )
    return expanded, secrets


def collect(
    environ: Mapping[str, str],
    credentials_file: Optional[Path] = None,
    explicit_urls: Iterable[str] = (),
    recipe_urls: Iterable[str] = (),
) -> Credentials:
    creds = Credentials()
    for url in explicit_urls:
        _, found = split_url(url, environ)
        if found:
            creds.add(*found, source="cook's command line")
    if credentials_file is not None:
        for host, (login, password) in _read_netrc(credentials_file).items():
            creds.add(host, login, password, source=f"credentials file {credentials_file}")
    for name in URL_VARIABLES:
        for item in environ.get(name, "").split():
            url = item.partition("=")[2] if name == "UV_INDEX" and "=" in item.split("://")[0] \
                else item
            _, found = split_url(url, environ)
            if found:
                creds.add(*found, source=name)
    for item in environ.get("UV_INDEX", "").split():
        index_name, sep, url = item.partition("=")
        if not sep or "://" in index_name:
            continue
        key = re.sub(r"[^A-Za-z0-9]", "_", index_name).upper()
        user = environ.get(f"UV_INDEX_{key}_USERNAME")
        secret = environ.get(f"UV_INDEX_{key}_PASSWORD")
        if user is not None or secret is not None:
            host = urlsplit(strip_credentials(url)).hostname or ""
            creds.add(host, user or "", secret or "", source=f"UV_INDEX_{key}_USERNAME/PASSWORD")
    for url in recipe_urls:  # placeholders expanded: any userinfo came from the environment
        if "${" not in url:
            _, found = split_url(url, environ)
            if found:
                creds.add(*found, source="placeholders in the recipe's index URL")
    theirs = environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if theirs and os.path.isfile(theirs):
        creds.user_netrc = Path(theirs)
    return creds


def _read_netrc(path: Path) -> Dict[str, Tuple[str, str]]:
    """host -> (login, password) of a netrc file ("default" for its default entry)."""
    import netrc

    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name over the system's limit, a NUL byte
        raise TargetEnvironmentError(
            f"credentials file cannot be read: {getattr(exc, 'strerror', exc)}",
            path=str(path),
            hint="check --credentials-file / CHEF_CREDENTIALS_FILE",
        ) from None
    if not found:
        raise TargetEnvironmentError(
            "credentials file not found", path=str(path),
            hint="mount it where the build sees it (BuildKit: RUN --mount=type=secret,id=netrc,"
                 "...; kaniko: a mounted volume) or fix the path")
    try:
        parsed = netrc.netrc(str(path))
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise TargetEnvironmentError(
            "not a valid netrc file" + (f" (line {line})" if line else ""), path=str(path),
            hint="write `machine HOST login USER password TOKEN` lines",
        ) from None
    out: Dict[str, Tuple[str, str]] = {}
    for host, (login, _account, password) in parsed.hosts.items():
        out[host] = (login or "", password or "")
    return out


def _token(value: str, host: str) -> str:
    if not value:
        return '""'
    if any(c.isspace() for c in value) or value[0] in "\"#" or "\\" in value:
        raise TargetEnvironmentError(
            f"the credentials for {host} contain whitespace, a backslash or a leading quote, "
            "which a netrc file cannot carry portably",
            hint="use a token without those characters",
        )
    return value


def netrc_text(creds: Credentials) -> str:
    """chef's hosts first, then the user's own netrc entries for every other host."""
    lines: List[str] = []
    for host in sorted(creds.hosts):
        login, password = creds.hosts[host]
        lines.append(f"machine {_token(host, host)} login {_token(login, host)} "
                     f"password {_token(password, host)}")
    if creds.user_netrc is not None:
        try:
            theirs = _read_netrc(creds.user_netrc)
        except TargetEnvironmentError:
            theirs = {}  # the installers would not read it either
        default = theirs.pop("default", None)
        for host in sorted(set(theirs) - set(creds.hosts)):
            login, password = theirs[host]
            lines.append(f"machine {host} login {_token(login, host)} "
                         f"password {_token(password, host)}")
        if default is not None:
            lines.append(f"default login {_token(default[0], 'default')} "
                         f"password {_token(default[1], 'default')}")
    return "".join(line + "\n" for line in lines)


def installer_env(creds: Credentials, directory: Path,
                  base: Optional[Mapping[str, str]] = None) -> Optional[Dict[str, str]]:
    """The installer's environment: NETRC pointing at a private netrc, or None (inherit) when
    chef has nothing to add. The installers' URL variables lose their userinfo: the netrc
    carries it, and nothing the installer might print holds it."""
    if not creds.hosts:
        return None
    env = dict(os.environ if base is None else base)
    path = directory / "netrc"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(netrc_text(creds))
    env["NETRC"] = str(path)
    for name in URL_VARIABLES:
        if env.get(name):
            env[name] = " ".join(_strip_item(item) for item in env[name].split())
    return env


def _strip_item(item: str) -> str:
    name, sep, url = item.partition("=")
    if sep and "://" not in name:
        return name + sep + strip_credentials(url)
    return strip_credentials(item)
