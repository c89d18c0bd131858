"""docs/exit-codes.md states what chef/errors.py decides; keep the two equal."""

from __future__ import annotations

import re
from pathlib import Path

from chef import errors

DOC = Path(__file__).resolve().parent.parent / "docs" / "exit-codes.md"


def test_every_exit_code_is_documented_once() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = {int(code): name for code, name in re.findall(r"^\| (\d+) \| `(\w+)`", text, re.M)}
    actual = {v: k for k, v in vars(errors).items() if k.startswith("EXIT_")}
    assert documented == actual


def test_every_error_class_has_a_documented_code() -> None:
    codes = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, errors.ChefError)]
    assert len(classes) >= 6
    for cls in classes:
        assert cls.exit_code in codes, cls


def test_per_command_table_names_every_command() -> None:
    from chef.cli import main

    text = DOC.read_text(encoding="utf-8").split("## Per command", 1)[1]
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"`chef {name}" in text, name
