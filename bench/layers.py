"""What a rebuild re-ships: the bytes of the runtime image's layers that are new after a change
(every registry push, every pull by a CI runner or a cluster node pays them), and the rebuild
time, for Dockerfile.example's layouts.

Layouts (columns):
- today:    Dockerfile.example as of OLD_REV: the builder installs the project into the cooked
            venv and the runtime stage copies the whole venv in one `COPY`;
- 1 layer:  Dockerfile.example with `--build-arg CHEF_LAYERS=1`: one dependency layer, the
            project's own installed files in a layer of their own;
- layered:  Dockerfile.example's defaults: the heavy packages' layer, the others' layer, then the
            project's layer;
- uv:       uv's own Docker pattern (bench/docker_rebuild.py's "manager" variant: one stage,
            bind-mounted lock, `uv sync --no-install-project`, `COPY . .`, `uv sync`).

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
LAYOUTS = ("today", "1-layer", "layered", "uv")
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


def project_states(work: Path, heavy: Sequence[str] = tuple(HEAVY)) -> List[State]:
    """The cold state and one state per change, each locked with uv against the default index
    (a change to a package the project does not have is left out)."""
    deps = list(heavy) + SMALL
    greeting = "hello from ds-app"
    root = work / "lock"
    root.mkdir(parents=True, exist_ok=True)
    states = []
    for name, change in [("cold build", None), *CHANGES]:
        if change is not None and change[0] and change[0] not in deps:
            continue
        if name == "source edit":
            greeting += " (edited)"
        if change is not None:
            old, new = change
            deps = [new if d == old else d for d in deps] + ([new] if not old else [])
        files = {
            "pyproject.toml": PYPROJECT.format(dependencies="".join(f'    "{d}",\n' for d in deps)),
            "README.md": "ds-app\n",
            ".dockerignore": ".venv/\n**/__pycache__/\n.git/\nrecipe.json\n",
            "src/ds_app/__init__.py": SOURCE.format(
                greeting=greeting, modules=[d.split("==")[0].replace("-", "_") for d in deps]),
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


def measure_layout(docker: Docker, base_image: str, layout: str, states: Sequence[State],
                   work: Path) -> Dict[str, Row]:
    # A fresh base per layout: its cold build is really cold (the installers' download caches,
    # BuildKit cache mounts, stay warm), whatever ran before.
    base = dockerlib.pyz_base_image(docker, base_image, work / layout)
    root = work / f"project-{layout}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    args = {"PYTHON_IMAGE": base}
    if layout == "uv":
        from docker_rebuild import DOCKERFILES

        dockerfile = work / "Dockerfile.uv"
        dockerfile.write_text(DOCKERFILES[("uv", "manager")])
        place: Optional[bool] = False
    elif layout == "today":
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
        out = docker.run(tag, "/app/.venv/bin/python", "-m", "ds_app")
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


def part_a(docker: Docker, base_image: str, layouts: Sequence[str], work: Path,
           heavy: Sequence[str] = tuple(HEAVY)) -> str:
    states = project_states(work, heavy)
    results = {layout: measure_layout(docker, base_image, layout, states, work)
               for layout in layouts}
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


# --- part (b): a real lock with torch, replayed -------------------------------------------------

# The image's interpreter and platform for the wheel sizes: CPython 3.12, glibc Linux x86_64.
CORPUS_PYTHON = (3, 12)
CORPUS_ARGS = ["--package", "autogen-ext", "--extra", "video-surfer", "--frozen"]
SMALL_BUMP = "typing-extensions"  # a small package of that selection (one pure-Python wheel)
HEAVY_BUMP = "torch"
FAKE_HASH = "sha256:" + "0" * 64


def _tags() -> List[object]:
    from packaging import tags

    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(39, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
                  "linux_x86_64"]
    return [*tags.cpython_tags(CORPUS_PYTHON, platforms=platforms),
            *tags.compatible_tags(CORPUS_PYTHON, platforms=platforms)]


def wheel_sizes(lock: Path) -> Dict[Tuple[str, str], int]:
    """(name, version) -> the recorded size of the wheel an installer picks for the image."""
    from packaging.utils import parse_wheel_filename

    from chef.toml import load_toml

    order = {tag: i for i, tag in enumerate(_tags())}
    out: Dict[Tuple[str, str], int] = {}
    for package in load_toml(lock, str(lock))["package"]:
        best: Optional[Tuple[int, int]] = None
        for wheel in package.get("wheels", []):
            filename = wheel["url"].rsplit("/", 1)[-1]
            ranks = [order[t] for t in parse_wheel_filename(filename)[3] if t in order]
            if ranks and "size" in wheel and (best is None or min(ranks) < best[0]):
                best = (min(ranks), int(wheel["size"]))
        if best is not None:
            out[(package["name"], package.get("version", ""))] = best[1]
    return out


def _edit_lock(root: Path, kind: str) -> str:
    """Apply one kind of lock change to the copy at `root`; returns what it did."""
    import tomlkit

    path = root / "uv.lock"
    doc = tomlkit.parse(path.read_text())
    packages = doc["package"]
    by_name = {str(p["name"]): p for p in packages}
    if kind == "small dependency add":
        registry = by_name[SMALL_BUMP]["source"]["registry"]
        entry = tomlkit.table()
        entry["name"] = "chef-bench-small"
        entry["version"] = "1.0.0"
        entry["source"] = tomlkit.inline_table()
        entry["source"]["registry"] = registry
        wheel = tomlkit.inline_table()
        url = registry.replace("/simple", "/files/chef_bench_small-1.0.0-py3-none-any.whl")
        wheel.update({"url": url, "hash": FAKE_HASH, "size": 50_000})
        entry["wheels"] = tomlkit.array()
        entry["wheels"].append(wheel)
        packages.append(entry)
        dep = tomlkit.inline_table()
        dep["name"] = "chef-bench-small"
        by_name["autogen-ext"]["dependencies"].append(dep)
        what = "chef-bench-small 1.0.0 (a 50 kB wheel) added to autogen-ext's dependencies"
    else:
        name = SMALL_BUMP if kind == "small dependency bump" else HEAVY_BUMP
        package = by_name[name]
        old = str(package["version"])
        parts = old.split(".")
        parts[-1] = str(int(parts[-1]) + 1)
        new = ".".join(parts)
        package["version"] = new
        for wheel in package.get("wheels", []):
            wheel["url"] = str(wheel["url"]).replace(old, new)
            wheel["hash"] = FAKE_HASH
        if "sdist" in package:
            package["sdist"]["url"] = str(package["sdist"]["url"]).replace(old, new)
            package["sdist"]["hash"] = FAKE_HASH
        for other in packages:  # a dependency pinned to the version (`version = ...`)
            for dep in other.get("dependencies", []):
                if str(dep["name"]) == name and "version" in dep:
                    dep["version"] = new
        what = f"{name} {old} -> {new} (same wheel sizes)"
    path.write_text(tomlkit.dumps(doc))
    return what


def _layer_split(root: Path, out: Path) -> Dict[str, Tuple[bytes, List[Tuple[str, str]]]]:
    """Run chef prepare --layer-recipes on the project at `root`: layer file name -> (its bytes,
    its packages)."""
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "chef", "prepare", "--project-dir", str(root), "--recipe-path",
         str(out / "recipe.json"), "--layer-recipes", str(out / "layers"), *CORPUS_ARGS])
    split = {}
    for name in ("layer-1.json", "layer-2.json"):
        data = (out / "layers" / name).read_bytes()
        recipe = json.loads(data)
        # layer-2.json is the whole recipe, the packages of layer 1 named in earlier_layers.
        earlier = set(recipe.get("earlier_layers") or [])
        split[name] = (data, [(p["name"], p["version"]) for p in recipe.get("locked", [])
                              if p.get("key", p["name"]) not in earlier])
    return split


def part_b(work: Path) -> str:
    base_root = work / "corpus" / "base"
    shutil.copytree(CORPUS_LOCK, base_root)
    base = _layer_split(base_root, work / "corpus" / "base-out")
    sizes = wheel_sizes(base_root / "uv.lock")
    heavy = sum(sizes.get(p, 0) for p in base["layer-1.json"][1])
    light = sum(sizes.get(p, 0) for p in base["layer-2.json"][1])
    missing = [p for name in base for p in base[name][1] if p not in sizes]
    lines = [
        "| change | what changed | layer-1.json | layer-2.json | today | 1 layer | layered |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| source edit | the project's files | same | same | {_mb(heavy + light)} | "
        f"project only | project only |",
    ]
    for kind in ("small dependency add", "small dependency bump", "heavy dependency bump"):
        root = work / "corpus" / kind.replace(" ", "-")
        shutil.copytree(CORPUS_LOCK, root)
        what = _edit_lock(root, kind)
        split = _layer_split(root, work / "corpus" / (kind.replace(" ", "-") + "-out"))
        new_sizes = wheel_sizes(root / "uv.lock")
        same1 = split["layer-1.json"][0] == base["layer-1.json"][0]
        same2 = split["layer-2.json"][0] == base["layer-2.json"][0]
        heavy_now = sum(new_sizes.get(p, 0) for p in split["layer-1.json"][1])
        light_now = sum(new_sizes.get(p, 0) for p in split["layer-2.json"][1])
        # A rebuilt layer rebuilds every layer above it (cook-2 is FROM cook-1).
        layered = 0 if same1 and same2 else (light_now if same1 else heavy_now + light_now)
        lines.append(f"| {kind} | {what} | {'same' if same1 else '**new**'} | "
                     f"{'same' if same2 else '**new**'} | {_mb(heavy_now + light_now)} | "
                     f"{_mb(heavy_now + light_now)} | {_mb(layered)} + project |")
    heavy_names = ", ".join(sorted(n for n, _ in base["layer-1.json"][1]))
    caption = (
        f"microsoft/autogen's python/uv.lock (the corpus snapshot), `chef prepare "
        f"{' '.join(CORPUS_ARGS)}`: {len(base['layer-1.json'][1]) + len(base['layer-2.json'][1])} "
        f"packages; layer 1 (heavy, {_mb(heavy)}): {heavy_names}; layer 2: "
        f"{len(base['layer-2.json'][1])} packages, {_mb(light)}. The corpus holds one snapshot, "
        "so each kind of lock change is simulated on a copy of it (the lock edited, prepare run "
        "again); bytes are the lock's recorded sizes of the wheels installed on CPython 3.12, "
        "Linux x86_64 (compressed bytes, about what a push sends), summed over the layers that "
        "change. A rebuilt layer rebuilds the layers above it. Rows are independent changes "
        "from the same snapshot.")
    if missing:
        caption += f" No recorded size for {len(missing)} packages (counted as 0): {missing[:5]}."
    return caption + "\n\n" + "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=os.environ.get("CHEF_TEST_BASE_IMAGE",
                                                         dockerlib.DEFAULT_BASE))
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--heavy-deps", default=",".join(HEAVY),
                        help="part (a)'s big dependencies, comma-separated pins (default: "
                             "numpy, scipy, pandas, pyarrow)")
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
            out.append(part_a(docker, args.base, layouts, work,
                              [d for d in args.heavy_deps.split(",") if d]))
        if args.part in ("b", "both"):
            out.append(part_b(work))
    print(f"<!-- {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"{time.monotonic() - start:.0f} s -->")
    print("\n\n".join(out))
    return 0




if __name__ == "__main__":
    sys.exit(main())
