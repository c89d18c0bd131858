"""Where a requirement comes from, written once for every reader: VCS URLs, the hashes an
installer accepts, the files a lock lists, index settings.

Each manager spells these its own way. What really differs between them is a parameter of one
helper here, and each reader names, where it passes it, the manager behaviour it copies; what
they only spell differently is read here the same way for all of them. Readers import this
module, never each other.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from chef.model import IndexConfig
from chef.readers.locks import wheel_tags
from chef.urls import normalize_index_url, strip_credentials

# pip's VCS backends. Pipfile/Pipfile.lock (pipenv.utils.constants.VCS_LIST) and pdm.lock
# (pdm.models.requirements.VCS_SCHEMA) record a VCS package under a key named after its VCS, any
# of these four; pylock.toml names it in `vcs.type`. poetry and uv know git only.
VCS_KINDS = ("git", "hg", "svn", "bzr")
GIT_ONLY = ("git",)

# The algorithms an installer takes in `--hash`: pip refuses the whole requirements file for any
# other (pip._internal.utils.hashes.STRONG_HASHES, checked when it parses the option), so chef
# never passes one on. poetry (HTTPRepository: sha512/sha384/sha256, else it computes sha256)
# and pdm (HashCache.STRONG_HASHES, else it computes sha256) lock no other; pipenv locks sha256.
INSTALLER_HASHES = ("sha256", "sha384", "sha512")


def vcs_entry(
    entry: Mapping[str, Any], kinds: Sequence[str] = VCS_KINDS
) -> Optional[Tuple[str, str]]:
    """(vcs, url) of the first of `kinds` that a lock's or manifest's table names with a string:
    `{git = "https://..."}`, `{"hg": "hg+https://..."}`. None for any other table."""
    for kind in kinds:
        url = entry.get(kind)
        if isinstance(url, str):
            return kind, url
    return None


def vcs_url(
    url: str, vcs: str = "git", ref: Optional[str] = None, subdirectory: Optional[str] = None
) -> str:
    """pip's spelling of a VCS requirement's URL, `vcs+scheme://host/path@ref#subdirectory=dir`
    (what `poetry export`, `pdm export`, `pipenv requirements` and `uv export` write), from the
    parts a lock or manifest records; credentials stripped.

    - `url` may carry its `vcs+` prefix already (Pipfile.lock writes `git+https://...`) or not
      (poetry, pdm, uv and pylock.toml record the bare repository URL): it gets exactly one, and
      a prefix it has wins over `vcs`.
    - An scp-like `user@host:owner/repo` becomes `ssh://user@host/owner/repo`, as poetry-core
      (`ParsedUrl.format`) and pdm (`add_ssh_scheme_to_git_uri`) write it: pip cannot take the
      scp form in `name @ URL`.
    - A ref at the end of the URL's path (`.../repo.git@v1`) is used when no `ref` is given, and
      replaced when one is: pipenv (`normalize_vcs_url`) and pdm (`VcsRequirement._parse_url`)
      both split it off and prefer the ref the entry records.
    - A fragment the URL holds (`#egg=name`, `#subdirectory=dir`) stays after the ref; an explicit
      `subdirectory` replaces one it names.
    """
    text = url.strip()
    prefix = next((f"{kind}+" for kind in VCS_KINDS if text.startswith(f"{kind}+")), "")
    text = text[len(prefix):]
    if "://" not in text and ":" in text and "/" not in text.partition(":")[0]:
        text = "ssh://" + text.replace(":", "/", 1)  # scp-like git@host:owner/repo
    text, _, fragment = strip_credentials(text).partition("#")
    scheme, sep, rest = text.partition("://")
    path_start = rest.find("/") if sep else -1
    if path_start >= 0 and "@" in rest[path_start:]:
        head, _, path_ref = rest.rpartition("@")
        text = scheme + sep + head
        ref = ref or path_ref
    out = (prefix or f"{vcs}+") + text + (f"@{ref}" if ref else "")
    return out + _fragment(fragment, subdirectory)


def archive_url(url: str, subdirectory: Optional[str] = None) -> str:
    """An archive's URL as pip takes it: credentials stripped, and `#subdirectory=dir` when the
    package is in a directory of the archive (poetry's, pdm's and uv's `subdirectory` beside a
    `url` source, pylock.toml's `archive.subdirectory`: their exports write the fragment)."""
    text = strip_credentials(url)
    if not subdirectory:
        return text
    text, _, fragment = text.partition("#")
    return text + _fragment(fragment, subdirectory)


def _fragment(fragment: str, subdirectory: Optional[str]) -> str:
    """A URL's `#...` with `subdirectory=` set to `subdirectory` (when given), other parts kept."""
    parts = [p for p in fragment.split("&") if p]
    if subdirectory:
        parts = [p for p in parts if not p.startswith("subdirectory=")]
        parts.append(f"subdirectory={subdirectory}")
    return "#" + "&".join(parts) if parts else ""


def installer_hashes(values: Iterable[object], bare: Optional[str] = None) -> Tuple[str, ...]:
    """The sorted, distinct `algorithm:digest` values an installer accepts (INSTALLER_HASHES),
    from the hash values a lock records; others are left out (a package whose files have no
    such hash is installed unchecked, as it would be by a lock without hashes). A bare digest
    (no `algorithm:`) is taken as `bare` when it is given, else left out."""
    out = set()
    for value in values:
        if type(value) is not str:
            continue
        if value.startswith(_ACCEPTED) and len(value) > 7:  # nearly every value: sha256:...
            out.add(value)
            continue
        algorithm, sep, digest = value.rpartition(":")
        if not sep and bare is not None and value:
            algorithm, digest = bare, value
        if algorithm in INSTALLER_HASHES and digest:
            out.add(f"{algorithm}:{digest}")
    return tuple(sorted(out))


_ACCEPTED = tuple(f"{a}:" for a in INSTALLER_HASHES)


def file_hashes(files: Iterable[object], bare: Optional[str] = None) -> Tuple[str, ...]:
    """`installer_hashes` of the `hash` value of each file table a lock lists (poetry.lock,
    pdm.lock, uv.lock: `{file = ..., hash = "sha256:..."}`)."""
    return installer_hashes([f.get("hash") for f in files if type(f) is dict], bare=bare)


def file_names(files: Iterable[object], keys: Sequence[str]) -> List[str]:
    """The name (or URL, or path) of each file table a lock lists: the first of `keys` it holds as
    a non-empty string; tables with none of them are left out."""
    names: List[str] = []
    for item in files:
        if type(item) is dict:
            for key in keys:
                name = item.get(key)
                if name and type(name) is str:
                    names.append(name)
                    break
    return names


def locked_wheels(
    files: Iterable[object], keys: Sequence[str], sdist: bool = False
) -> Optional[Tuple[str, ...]]:
    """What a recipe records of a locked package's wheels (`chef.readers.locks.wheel_tags`) from
    the file tables a lock lists for it, each named by the first of `keys` it holds. A lock that
    names no file records nothing (None), unless it lists an sdist apart from the wheels
    (`sdist`: uv.lock, pylock.toml), which is a package without wheels: ()."""
    names = file_names(files, keys)
    if not names:
        return () if sdist else None
    return wheel_tags(names)


def index_config(
    default: Optional[str] = None,
    extra: Iterable[str] = (),
    find_links: Iterable[str] = (),
    *,
    no_index: bool = False,
    pre: bool = False,
) -> IndexConfig:
    """A manager's index settings as the recipe holds them: index URLs normalized (credentials
    and a trailing slash stripped: `normalize_index_url`), extra indexes and find-links distinct
    and sorted (cook searches all of them for the best match, so their order decides nothing).
    Find-links are taken as the reader resolved them: a path is relative to the file that
    names it, which only the reader knows."""
    return IndexConfig(
        index_url=normalize_index_url(default) if default is not None else None,
        extra_index_urls=tuple(sorted({normalize_index_url(u) for u in extra})),
        find_links=tuple(sorted(set(find_links))),
        no_index=no_index,
        pre=pre,
    )
