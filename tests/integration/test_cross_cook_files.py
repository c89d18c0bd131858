"""A pip cross-cook moves what `pip --target` installed into the venv (chef/cook/relocate.py): it
must end with the files a native cook leaves, file for file, across cooks into the same venv —
two distributions sharing a namespace package, an upgrade that drops a module and a script — and
refuse a RECORD row that points outside the distribution's own files. uv installs into the venv
itself; it is held to the same comparison."""

from __future__ import annotations

import csv
import io
import platform as host
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from conftest import installed, write
from index_server import IndexServer
from projects import uv_lock
from wheelhouse import make_wheel

from chef import errors
from chef.cook.plan import Overrides
from chef.cook.run import Cross, TargetSpec, cook
from chef.errors import ChefError
from chef.prepare import prepare_to_file

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(host.machine() != "x86_64" or sys.platform != "linux",
                       reason="cross-cooks for linux/arm64 from an x86_64 Linux machine"),
]


def _dist_info(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}.dist-info"


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ns-wheelhouse")
    script = "[console_scripts]\n{0} = company.{1}:main\n"
    make_wheel(directory, "company-a", "1.0", files={
        "company/a/__init__.py": "V = 1\ndef main():\n    print(V)\n",
        "company/a/old.py": "OLD = True\n",
        "company_a-1.0.data/data/share/company/a.txt": "a 1\n",
        "company_a-1.0.dist-info/entry_points.txt": script.format("company-a-old", "a"),
    })
    make_wheel(directory, "company-a", "2.0", files={
        "company/a/__init__.py": "V = 2\ndef main():\n    print(V)\n",
        "company/a/new.py": "NEW = True\n",
        "company_a-2.0.data/data/share/company/a.txt": "a 2\n",
        "company_a-2.0.dist-info/entry_points.txt": script.format("company-a", "a"),
    })
    make_wheel(directory, "company-b", "1.0", files={
        "company/b/__init__.py": "B = 1\n",
        "company_b-1.0.data/data/share/company/b.txt": "b 1\n",
    })
    # Its data file lands (with pip's home scheme) at `../../company/zzz`: in --target, the
    # directory of the `company` package.
    make_wheel(directory, "evil", "1.0", files={
        "evil/__init__.py": "",
        "evil-1.0.data/data/company/zzz": "moved?\n",
    })
    return directory


@pytest.fixture(scope="module")
def index(house: Path) -> Iterator[IndexServer]:
    with IndexServer(house) as server:
        yield server


def _recipe(root: Path, index: IndexServer, pins: List[Tuple[str, str]]) -> Path:
    """A uv project locked against the wheelhouse (a locked recipe: pip cross-cooks only those)."""
    dependencies = ", ".join(f'"{name}=={version}"' for name, version in pins)
    write(root / "pyproject.toml", f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [{dependencies}]
""")
    uv_lock(root, index.url)
    prepare_to_file(root, root / "recipe.json")
    return root / "recipe.json"


def _cook(recipe: Path, venv: Path, index: IndexServer, installer: str, cross: bool) -> None:
    cook(recipe, TargetSpec(venv=venv), installer=installer,
         overrides=Overrides(index_url=index.url), build_deps=False,
         quiet=True, echo=lambda s: None, cross=Cross("linux/arm64") if cross else None)


def _files(venv: Path) -> Dict[str, object]:
    """Every file of the venv but its interpreter: content, or for bytecode its name only, and
    for a RECORD the files it lists (pip lists the bytecode it compiles; chef compiles after)."""
    out: Dict[str, object] = {}
    for path in sorted(venv.rglob("*")):
        relative = path.relative_to(venv).as_posix()
        if path.is_dir() or relative.startswith("bin/python") or relative == "pyvenv.cfg":
            continue
        if path.suffix == ".pyc":
            out[relative] = "bytecode"
        elif path.name == "RECORD":
            rows = csv.reader(io.StringIO(path.read_text("utf-8")))
            out[relative] = sorted(r[0] for r in rows if r and not r[0].endswith(".pyc"))
        else:
            out[relative] = path.read_bytes().replace(str(venv).encode(), b"<venv>")
    return out


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_namespace_packages_and_an_upgrade_equal_a_native_cook(
    tmp_path: Path, index: IndexServer, installer: str, isolated_env: Dict[str, str]
) -> None:
    first = _recipe(tmp_path / "one", index, [("company-a", "1.0")])
    second = _recipe(tmp_path / "two", index, [("company-a", "2.0"), ("company-b", "1.0")])
    venvs = {}
    for kind in ("native", "cross"):
        venv = venvs[kind] = tmp_path / kind / "venv"
        _cook(first, venv, index, installer, cross=kind == "cross")
        _cook(second, venv, index, installer, cross=kind == "cross")
    cross = venvs["cross"]
    assert installed(cross / "bin" / "python") == {"company-a": "2.0", "company-b": "1.0"}
    (site,) = (cross / "lib").glob("python*/site-packages")
    assert (site / "company" / "a" / "new.py").is_file()
    assert (site / "company" / "b" / "__init__.py").is_file()  # namespace package merged
    assert not (site / "company" / "a" / "old.py").exists()  # the old version's files gone
    assert not (site / _dist_info("company-a", "1.0")).exists()
    assert not (cross / "bin" / "company-a-old").exists() and (cross / "bin" / "company-a").exists()
    assert (cross / "share" / "company" / "b.txt").read_text() == "b 1\n"
    assert (cross / "share" / "company" / "a.txt").read_text() == "a 2\n"
    native, crossed = _files(venvs["native"]), _files(cross)
    assert sorted(native) == sorted(crossed)
    assert native == crossed


def test_a_record_row_outside_the_distributions_files_is_refused(
    tmp_path: Path, index: IndexServer, isolated_env: Dict[str, str]
) -> None:
    recipe = _recipe(tmp_path / "p", index, [("company-b", "1.0"), ("evil", "1.0")])
    venv = tmp_path / "venv"
    _cook(_recipe(tmp_path / "q", index, [("company-a", "1.0")]), venv, index, "pip", cross=True)
    before = _files(venv)
    with pytest.raises(ChefError) as info:
        _cook(recipe, venv, index, "pip", cross=True)
    assert info.value.exit_code == errors.EXIT_INSTALL
    assert "../../company/zzz" in str(info.value) and "\n" not in str(info.value)
    assert _files(venv) == before  # nothing moved, nothing removed
