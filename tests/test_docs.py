"""The README states facts the code decides; these tests keep the two equal."""

from __future__ import annotations

import re
from pathlib import Path

from chef import errors
from chef.detect import inputs_table

README = Path(__file__).resolve().parent.parent / "README.md"


def _section(start: str, end: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(start, 1)[1].split(end, 1)[0]


def test_supported_inputs_table_is_generated_from_the_code() -> None:
    got = _section("<!-- inputs:start -->\n", "<!-- inputs:end -->")
    assert got == inputs_table(), (
        "README's input table is stale; regenerate it with: "
        "python -c 'from chef.detect import inputs_table; print(inputs_table(), end=\"\")'"
    )


def test_exit_codes_match_errors_module() -> None:
    table = _section("<!-- exit-codes:start -->\n", "<!-- exit-codes:end -->")
    documented = {int(code): name for code, name in re.findall(r"^\| (\d+) \| `(\w+)`", table, re.M)}
    actual = {v: k for k, v in vars(errors).items() if k.startswith("EXIT_")}
    assert documented == actual


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = _section("<!-- test-command:start -->\n```sh\n", "```")
    assert command.strip() in ci


def test_input_examples_are_valid_prepare_command_lines() -> None:
    import shlex

    from chef.cli import main
    from chef.detect import READERS

    for reader in READERS:
        argv = shlex.split(reader.example)
        assert argv[:2] == ["chef", "prepare"], reader.example
        main.commands["prepare"].make_context("prepare", argv[2:])  # raises on a bad option
