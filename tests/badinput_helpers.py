"""What every error must look like, and strings that try to break parsers and command lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Sequence

import tomlkit

from chef import errors
from chef.errors import ChefError

# What docs/exit-codes.md gives `chef prepare` for a project's files: malformed or unsupported
# input, or a stale lock (usage and recipe-writing errors do not come from the files).
PREPARE_CODES = (errors.EXIT_INPUT, errors.EXIT_STALE)


def check_error(exc: ChefError, root: Optional[Path] = None,
                codes: Sequence[int] = PREPARE_CODES) -> str:
    """One line, the exit code documented for it (`codes`), and it says where (a file, or the
    project directory)."""
    text = str(exc)
    assert "\n" not in text and "\r" not in text, repr(text)
    assert text.strip(), "empty error message"
    assert exc.exit_code in codes, (exc.exit_code, text)
    assert exc.path, f"error names no file: {text!r}"
    assert "Traceback" not in text
    return text


def nasty_strings() -> List[str]:
    return [
        "", " ", "5", "-", "--index-url=https://evil.invalid/simple", "-e .", "-r other.txt",
        "foo>=", "foo==1.0.*.*", "foo ===", "foo[", "foo[bar", "foo @", "foo @ ", "@ foo",
        "foo; python_version <", "foo; os_name == 'nt' or", "foo; bogus == '1'",
        "foo; python_version < '3' and (", "foo ; extra == ", "==1.0", "~=1", ">=1,<", "1.0 2.0",
        "not a version", "../../etc/passwd", "/etc/passwd", "C:\\x", "file:///etc/passwd",
        "https://user:pw@index.invalid/simple", "git+ssh://", "\x00", "\u202e", "é" * 3,
        "a" * 5000, "foo\nbar", "foo\\", "{", "[", "]]", "'", '"', "${HOME}", "%(x)s",
        "sha256:zz", "*", "^1.2", "~1", ">=3.9,<3.8", "python_version", "extra == 'x'",
        "'a' in extras", "'dev' in dependency_groups",
    ]


def refresh_hashes(root: Path) -> None:
    """Make a fixture's lock fresh for chef's stale check (fixtures may carry dummy hashes)."""
    from chef.freshness.pdm import pdm_content_hash
    from chef.freshness.pipenv import pipfile_hash
    from chef.freshness.poetry import poetry_content_hash
    from chef.toml import load_toml

    if (root / "poetry.lock").is_file():
        doc = tomlkit.parse((root / "poetry.lock").read_text(encoding="utf-8"))
        doc["metadata"]["content-hash"] = poetry_content_hash(  # type: ignore[index]
            load_toml(root / "pyproject.toml", "pyproject.toml")
        )
        (root / "poetry.lock").write_text(tomlkit.dumps(doc), encoding="utf-8")
    if (root / "pdm.lock").is_file():
        text = (root / "pdm.lock").read_text(encoding="utf-8")
        digest = pdm_content_hash(load_toml(root / "pyproject.toml", "pyproject.toml"))
        doc = tomlkit.parse(text)
        doc["metadata"]["content_hash"] = f"sha256:{digest}"  # type: ignore[index]
        (root / "pdm.lock").write_text(tomlkit.dumps(doc), encoding="utf-8")
    if (root / "Pipfile.lock").is_file():
        lock = json.loads((root / "Pipfile.lock").read_text(encoding="utf-8"))
        lock["_meta"]["hash"]["sha256"] = pipfile_hash(
            load_toml(root / "Pipfile", "Pipfile"), canonical_names=True
        )
        (root / "Pipfile.lock").write_text(json.dumps(lock, indent=4), encoding="utf-8")
