"""What a rebuild re-ships: the bytes of the runtime image's layers that are new after a change
(every registry push, every pull by a CI runner or a cluster node pays them), and the rebuild
time, for Dockerfile.example's layouts.

Layouts (columns):
- today:    Dockerfile.example as of OLD_REV: the builder installs the project into the cooked
            venv and the runtime stage copies the whole venv in one `COPY`;
- 1 layer:  Dockerfile.example with `--build-arg CHEF_LAYERS=1`: one dependency layer, the
            project's own installed files in a layer of their own;
- layered:  Dockerfile.example's defaults: the heavy packages' layer, the others' layer, then the
            project's layer.

Part (a), real builds: a uv project with numpy, scipy, pandas, pyarrow and a few small packages,
locked against the default index, installed for real. Starting from one cold build, the changes
are applied one after another (the same sequence of project states, locked once, for every
layout): a source edit, a small dependency added, a small dependency bumped, a heavy dependency
bumped. After each rebuild, the layers whose diff IDs the previous image lacks are the bytes
re-shipped: the layer tars' bytes (what a pull unpacks; `docker save`) and their gzip -6 size
(what a push sends, within a few per cent). The share is of the image's bytes above the base.

Part (b), replayed over a real lock with torch (the corpus's microsoft/autogen python/uv.lock):
the corpus holds one snapshot, so the kinds of lock change are simulated on copies of it (a small
package added, a small package bumped, torch bumped), `chef prepare --layer-recipes` is run on each
copy, and the bytes each layout re-ships are computed from the lock's recorded wheel sizes (the
compressed bytes a push sends, roughly) and chef's layer split: a layer is re-shipped when its
layer recipe's bytes changed or a layer below it was re-shipped.

    python bench/layers.py [--base IMAGE] [--part a|b|both] [--layouts today,1-layer,layered]

Needs Docker with BuildKit and the package index for part (a). Not a test: it prints markdown
tables and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "docker"))
sys.path.insert(0, str(ROOT))

import dockerlib  # noqa: E402
import layerlib  # noqa: E402
from dockerlib import Docker, run  # noqa: E402

# The last commit whose Dockerfile.example copied the whole venv into the runtime image.
OLD_REV = "e5fc2ca"
MB = 1_000_000
LAYOUTS = ("today", "1-layer", "layered")
CORPUS_LOCK = Path("/work/shared/corpus/microsoft__autogen/python")

PYPROJECT = """\
[project]
name = "ds-app"
version = "0.1.0"
description = "A data-science app for bench/layers.py"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{dependencies}
]

[build-system]
requires = ["uv_build>=0.9.0,<0.14.0"]
build-backend = "uv_build"

[tool.uv.build-backend]
module-name = "ds_app"
"""
SOURCE = '''"""bench/layers.py's app: imports its dependencies and says hello."""

GREETING = "{greeting}"


def main() -> None:
    import importlib

    for name in {modules!r}:
        importlib.import_module(name)
    print(GREETING)
'''
HEAVY = ["numpy==2.3.5", "scipy==1.16.3", "pandas==2.3.3", "pyarrow==21.0.0"]
SMALL = ["requests==2.32.4", "click==8.1.8", "attrs==25.3.0"]
MODULES = ["numpy", "scipy", "pandas", "pyarrow", "requests", "click", "attrs"]
# (change, what it does to the dependency list)
CHANGES: List[Tuple[str, Optional[Tuple[str, str]]]] = [
    ("source edit", None),
    ("small dependency add", ("", "tabulate==0.9.0")),
    ("small dependency bump", ("click==8.1.8", "click==8.2.1")),
    ("heavy dependency bump", ("pyarrow==21.0.0", "pyarrow==22.0.0")),
]


@dataclass
class State:
    """One state of the project: its files, relative path -> text."""
    name: str
    files: Dict[str, str]


def project_states(work: Path) -> List[State]:
    """The cold state and one state per change, each locked with uv against the default index."""
    deps = list(HEAVY + SMALL)
    greeting = "hello from ds-app"
    root = work / "lock"
    root.mkdir(parents=True, exist_ok=True)
    states = []
    for name, change in [("cold build", None), *CHANGES]:
        if name == "source edit":
            greeting += " (edited)"
        if change is not None:
            old, new = change
            deps = [new if d == old else d for d in deps] + ([new] if not old else [])
        files = {
            "pyproject.toml": PYPROJECT.format(dependencies="".join(f'    "{d}",\n' for d in deps)),
            "README.md": "ds-app\n",
            ".dockerignore": ".venv/\n**/__pycache__/\n.git/\nrecipe.json\n",
            "src/ds_app/__init__.py": SOURCE.format(greeting=greeting, modules=MODULES),
            "src/ds_app/__main__.py": "from ds_app import main\n\nmain()\n",
        }
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        if change is not None or not (root / "uv.lock").exists():
            run([dockerlib.uv_binary(), "lock", "--quiet", "--default-index",
                 dockerlib.default_index_url()], cwd=root, env=dockerlib.manager_env())
        files["uv.lock"] = (root / "uv.lock").read_text()
        states.append(State(name, files))
    return states


def apply(state: State, root: Path) -> None:
    for rel, text in state.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


@dataclass
class Row:
    seconds: float
    new: List[layerlib.Layer]  # the layers the previous image lacks
    above: int  # the image's bytes above the base (layer tars)
    above_gz: int

    @property
    def bytes(self) -> int:
        return layerlib.total(self.new)

    @property
    def gz(self) -> int:
        return layerlib.total(self.new, gz=True)


@dataclass
class Measured:
    rows: Dict[str, Row] = field(default_factory=dict)


def measure_layout(docker: Docker, base: str, layout: str, states: Sequence[State],
                   work: Path) -> Dict[str, Row]:
    root = work / f"project-{layout}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    args = {"PYTHON_IMAGE": base}
    if layout == "today":
        dockerfile = work / "Dockerfile.today"
        dockerfile.write_text(subprocess.run(
            ["git", "show", f"{OLD_REV}:Dockerfile.example"], cwd=ROOT, capture_output=True,
            text=True, check=True).stdout)
        place = True
    else:
        dockerfile = dockerlib.DOCKERFILE
        place = None
        if layout == "1-layer":
            args["CHEF_LAYERS"] = "1"
    tag = f"chef-bench-layers-{layout}:{docker.session}"
    base_ids = set(layerlib.image_diff_ids(docker, base))
    known: Dict[str, layerlib.Layer] = {}  # diff ID -> layer, with its gzip size
    before = set(base_ids)
    rows: Dict[str, Row] = {}
    for state in states:
        apply(state, root)
        build = docker.build(root, tag, dockerfile=dockerfile, build_args=args, place_chef=place)
        out = docker.run(tag, "python", "-m", "ds_app")
        assert state.files["src/ds_app/__init__.py"].split('GREETING = "')[1].split('"')[0] in out
        ids = layerlib.image_diff_ids(docker, tag)
        layers = layerlib.image_layers(docker, tag, gzip_for=set(ids) - set(known) - base_ids)
        for layer in layers:
            if layer.diff_id in known:
                layer.gz = known[layer.diff_id].gz
            elif layer.diff_id not in base_ids:
                known[layer.diff_id] = layer
        mine = layerlib.above(layers, base_ids)
        rows[state.name] = Row(build.seconds, layerlib.reshipped(mine, before),
                               layerlib.total(mine), layerlib.total(mine, gz=True))
        before = set(ids)
    docker.remove_images()
    return rows


def fmt(row: Row, cold: bool) -> str:
    if cold:
        return f"{row.seconds:.1f} s; {row.above / MB:.1f} MB ({row.above_gz / MB:.1f} MB gz)"
    share = 100.0 * row.bytes / row.above if row.above else 0.0
    return (f"{row.seconds:.1f} s; {row.bytes / MB:.2f} MB ({row.gz / MB:.2f} MB gz), "
            f"{share:.1f} %")


def part_a(docker: Docker, base_image: str, layouts: Sequence[str], work: Path) -> str:
    states = project_states(work)
    base = dockerlib.pyz_base_image(docker, base_image, work)
    results = {layout: measure_layout(docker, base, layout, states, work) for layout in layouts}
    lines = ["| change | " + " | ".join(layouts) + " |",
             "| --- |" + " --- |" * len(layouts)]
    for state in states:
        cells = [fmt(results[layout][state.name], state.name == "cold build") for layout in layouts]
        lines.append(f"| {state.name} | " + " | ".join(cells) + " |")
    detail = []
    for layout in layouts:
        for state in states[1:]:
            row = results[layout][state.name]
            new = ", ".join(f"{_label(layer.created_by)} {layer.size / MB:.2f} MB"
                            for layer in row.new)
            detail.append(f"- {layout}, {state.name}: {new or 'nothing new'}")
    return "\n".join(lines) + "\n\nLayers re-shipped:\n\n" + "\n".join(detail)


def _label(created_by: str) -> str:
    text = created_by.replace("/bin/sh -c ", "").strip()
    return "`" + (text[:60] + "..." if len(text) > 60 else text) + "`"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                         dockerlib.DEFAULT_BASE))
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    args = parser.parse_args(argv)
    layouts = [x for x in args.layouts.split(",") if x]
    out = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chef-bench-layers-") as tmp:
        work = Path(tmp)
        if args.part in ("a", "both"):
            docker, why = Docker.find()
            if docker is None:
                print(f"docker: {why}", file=sys.stderr)
                return 1
            out.append(part_a(docker, args.base, layouts, work))
        if args.part in ("b", "both"):
            out.append(part_b(work))
    print(f"<!-- {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{time.monotonic() - start:.0f} s -->")
    print("\n\n".join(out))
    return 0


def part_b(work: Path) -> str:
    raise NotImplementedError


if __name__ == "__main__":
    sys.exit(main())
