"""`--subdir`: a service in a monorepo whose path dependencies live beside it."""

from __future__ import annotations

import json

from clirun import chef
from conftest import CORPUS, needs_corpus

from chef import errors


@needs_corpus
def test_kserve_model_server_with_sibling_path_dependency() -> None:
    root = CORPUS / "kserve__kserve" / "python"
    alone = chef("prepare", "--project-dir", str(root / "sklearnserver"), "--stdout")
    assert alone.returncode == errors.EXIT_INPUT and "outside the project" in alone.stderr
    done = chef("prepare", "--project-dir", str(root), "--stdout", "--subdir", "sklearnserver")
    assert done.returncode == 0, done.stderr
    recipe = json.loads(done.stdout)
    paths = {p["name"]: p["path"] for p in recipe["local_packages"]}
    assert paths["sklearnserver"] == "sklearnserver" and paths["kserve"] == "kserve"
