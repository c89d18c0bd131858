"""Kinds are Literal types: mypy --strict catches a misspelled kind, passed or compared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_HEAD = """\
from pathlib import Path

from chef.cook.platform import Libc
from chef.model import Project, Source
from chef.readers.flat import RootBuilder
from chef.readers.markers import Placement
from chef.model import Dep


def compare(source: Source, place: Placement) -> bool:
    return source.kind == {source} or place.kind == {place}


Source({source})
Placement({place}, "x", None)
Libc({libc}, (2, 36))
Project(root=Path("."), manager={manager})
RootBuilder().add({place}, "x", Dep("a"))
"""

RIGHT = {"source": '"registry"', "place": '"extra"', "libc": '"glibc"', "manager": '"poetry"'}
WRONG = {"source": '"regsitry"', "place": '"extras"', "libc": '"glib"',
         "manager": '"poetry-manifest"'}  # a reader's name, not the manager it records


def _mypy(tmp_path: Path, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(_HEAD.format(**values))
    # mypy is in the test extras; run from the repository so that its strict config applies
    mypy = Path(sys.executable).with_name("mypy")
    return subprocess.run([str(mypy), str(snippet)], cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_right_kinds_type_check(tmp_path: Path) -> None:
    done = _mypy(tmp_path, RIGHT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_misspelled_kind_is_a_type_error(tmp_path: Path) -> None:
    done = _mypy(tmp_path, WRONG)
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    found = {int(line.split(":")[1]) for line in errors}
    # both comparisons (line 11: strict equality), and each constructor and call
    assert found == {11, 14, 15, 16, 17, 18}, done.stdout + done.stderr
    assert sum("comparison-overlap" in line for line in errors) == 2, done.stdout
    for typo in WRONG.values():
        assert typo.replace('"', "'") in done.stdout, (typo, done.stdout)
