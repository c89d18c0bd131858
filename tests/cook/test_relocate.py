"""chef.cook.relocate.into_venv on directories laid out as `pip --target` leaves them (fast; the
real pip cross-cook against a native one: tests/integration/test_cross_cook_files.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
from conftest import write

from chef import errors
from chef.cook.relocate import into_venv
from chef.errors import ChefError


def _paths(venv: Path) -> Dict[str, str]:
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (venv / "bin").mkdir(exist_ok=True)
    return {"purelib": str(site), "platlib": str(site), "scripts": str(venv / "bin"),
            "data": str(venv), "version": "3.11"}


def _staged(target: Path, dist: str, files: Dict[str, str]) -> Path:
    """What pip --target leaves: the files, and a RECORD listing them (home-scheme paths)."""
    for name, text in files.items():
        write(target / name.replace("../../", ""), text)
    rows = [f"{name},," for name in files] + [f"{dist}/RECORD,,"]
    write(target / dist / "RECORD", "\n".join(rows) + "\n")
    return target


def test_namespace_packages_merge_and_an_upgrade_replaces(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    paths = _paths(venv)
    site = Path(paths["purelib"])
    into_venv(_staged(tmp_path / "t1", "company_a-1.0.dist-info", {
        "company/a/__init__.py": "V = 1\n", "company/a/old.py": "",
        "../../bin/a-old": "#!python\n", "../../share/company/a.txt": "1"}), paths)
    (site / "company" / "a" / "__pycache__").mkdir()
    (site / "company" / "a" / "__pycache__" / "old.cpython-311.pyc").write_bytes(b"")
    into_venv(_staged(tmp_path / "t2", "company_b-1.0.dist-info", {
        "company/b/__init__.py": "B = 1\n", "../../share/company/b.txt": "b"}), paths)
    assert (site / "company" / "a" / "__init__.py").is_file()  # merged, not replaced
    into_venv(_staged(tmp_path / "t3", "company_a-2.0.dist-info", {
        "company/a/__init__.py": "V = 2\n", "company/a/new.py": "",
        "../../bin/a": "#!python\n", "../../share/company/a.txt": "2"}), paths)
    files = sorted(p.relative_to(venv).as_posix() for p in venv.rglob("*") if p.is_file())
    sp = "lib/python3.11/site-packages"
    assert files == [
        "bin/a",
        f"{sp}/company/a/__init__.py", f"{sp}/company/a/new.py", f"{sp}/company/b/__init__.py",
        f"{sp}/company_a-2.0.dist-info/RECORD", f"{sp}/company_b-1.0.dist-info/RECORD",
        "share/company/a.txt", "share/company/b.txt",
    ]
    assert (venv / "share" / "company" / "a.txt").read_text() == "2"
    record = (site / "company_a-2.0.dist-info" / "RECORD").read_text()
    assert "../../../bin/a,," in record and "../../../share/company/a.txt,," in record


@pytest.mark.parametrize("row", ["../../company/zzz", "company/../../../etc/x", "/etc/passwd",
                                 "company/missing.py", "../../../outside"])
def test_a_record_row_outside_the_distributions_files(tmp_path: Path, row: str) -> None:
    venv = tmp_path / "venv"
    paths = _paths(venv)
    target = _staged(tmp_path / "t", "evil-1.0.dist-info", {"company/zzz": "", "evil.py": ""})
    with (target / "evil-1.0.dist-info" / "RECORD").open("a") as handle:
        handle.write(f"{row},,\n")
    with pytest.raises(ChefError) as info:
        into_venv(target, paths)
    assert info.value.exit_code == errors.EXIT_INSTALL and row in str(info.value)
    assert not list(Path(paths["purelib"]).iterdir())  # nothing moved
