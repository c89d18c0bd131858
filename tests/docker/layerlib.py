"""An image's layers as a registry sees them: diff IDs, bytes, and the paths each layer holds.

Shared by tests/docker/test_docker_layers.py and bench/layers.py. What a push, a pull or a deploy
ships again after a change is every layer whose diff ID the previous image did not have; a layer
with the same diff ID is the same tar, byte for byte, and a registry or a node that has it skips
it.

- `image_layers`: `docker save` into a temporary file, then each layer tar's size (the bytes a
  pull unpacks), its diff ID (checked against the image config's), and on request its gzip size
  (`gzip -6`, what `docker push` compresses a layer to, within a few per cent) and the paths it
  holds;
- `reshipped`: the layers of an image that another image (the previous build) does not have.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Dict, List, Optional, Sequence

from dockerlib import CommandError, Docker

CHUNK = 1 << 20


@dataclass
class Layer:
    diff_id: str
    size: int  # bytes of the layer's tar (uncompressed: what a pull unpacks)
    created_by: str  # the instruction that made it (docker history)
    gz: Optional[int] = None  # bytes of the tar compressed with gzip -6 (what a push sends)
    # Files, symlinks and hard links the tar holds (no directories), relative to /, and whiteouts
    # (`.wh.` entries: files a layer deletes).
    paths: List[str] = field(default_factory=list)


def image_diff_ids(docker: Docker, image: str) -> List[str]:
    out = docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", image).stdout
    return list(json.loads(out) or [])


def image_layers(docker: Docker, image: str, gzip_for: Optional[Collection[str]] = None,
                 paths_for: Optional[Collection[str]] = None) -> List[Layer]:
    """The image's layers, oldest first. gzip_for / paths_for: the diff IDs whose gzip size /
    paths to compute (None: none; reading them costs a pass over the layer's bytes)."""
    diff_ids = image_diff_ids(docker, image)
    with tempfile.TemporaryDirectory(prefix="chef-layers-") as tmp:
        archive = Path(tmp) / "image.tar"
        with open(archive, "wb") as out:
            done = subprocess.run([docker.binary, "save", image], stdout=out,
                                  stderr=subprocess.PIPE, env=docker.env, check=False,
                                  timeout=1800)
        if done.returncode != 0:
            raise CommandError(f"docker save {image} failed: {done.stderr.decode()[-2000:]}")
        with tarfile.open(archive) as saved:
            manifest = json.load(saved.extractfile("manifest.json"))  # type: ignore[arg-type]
            (entry,) = manifest
            members: List[str] = entry["Layers"]
            config = json.load(saved.extractfile(entry["Config"]))  # type: ignore[arg-type]
            # The history rows that made a layer (BuildKit marks the others empty_layer).
            made = [h.get("created_by", "") for h in config.get("history", [])
                    if not h.get("empty_layer")]
            if len(members) != len(diff_ids):
                raise AssertionError(f"{image}: {len(members)} layer tars, {len(diff_ids)} diff IDs")
            layers = []
            for name, diff_id in zip(members, diff_ids):
                info = saved.getmember(name)
                layer = Layer(diff_id, info.size, "")
                if len(made) == len(diff_ids):
                    layer.created_by = made[len(layers)]
                want_gz = gzip_for is not None and diff_id in gzip_for
                want_paths = paths_for is not None and diff_id in paths_for
                if want_gz or want_paths:
                    _read_layer(saved, name, layer, want_gz, want_paths)
                layers.append(layer)
    return layers


def _read_layer(saved: tarfile.TarFile, name: str, layer: Layer, want_gz: bool,
                want_paths: bool) -> None:
    source = saved.extractfile(name)
    assert source is not None
    sha = hashlib.sha256()
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if want_gz else None
    gz = 0
    with tempfile.TemporaryFile() as copy:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            sha.update(chunk)
            if compressor is not None:
                gz += len(compressor.compress(chunk))
            if want_paths:
                copy.write(chunk)
        if compressor is not None:
            gz += len(compressor.flush())
            layer.gz = gz
        if "sha256:" + sha.hexdigest() != layer.diff_id:
            raise AssertionError(f"layer {name}: sha256 is not its diff ID {layer.diff_id}")
        if want_paths:
            copy.seek(0)
            with tarfile.open(fileobj=copy) as inner:
                layer.paths = ["/" + m.name.lstrip("./").rstrip("/") for m in inner.getmembers()
                               if not m.isdir()]


def reshipped(layers: Sequence[Layer], before: Collection[str]) -> List[Layer]:
    """The layers whose diff IDs `before` (the previous image's, and the base's) lacks."""
    return [layer for layer in layers if layer.diff_id not in before]


def above(layers: Sequence[Layer], base: Collection[str]) -> List[Layer]:
    """The layers that are not the base image's."""
    return [layer for layer in layers if layer.diff_id not in base]


def total(layers: Sequence[Layer], gz: bool = False) -> int:
    if gz:
        missing = [layer.diff_id for layer in layers if layer.gz is None]
        if missing:
            raise AssertionError(f"no gzip size for {missing}")
        return sum(layer.gz or 0 for layer in layers)
    return sum(layer.size for layer in layers)


def by_diff_id(layers: Sequence[Layer]) -> Dict[str, Layer]:
    return {layer.diff_id: layer for layer in layers}

