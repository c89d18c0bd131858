"""Shortcuts taken for speed give what the long way gives (docs/performance.md)."""

from __future__ import annotations

import shlex

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chef.readers.requirements import _split


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=-_.:/# \t\r\n\x0b\x0c\xa0é'\"\\")), max_size=30))
@example("--hash=sha256:abc \\\n --hash=sha256:def")
@example("-i https://index.invalid/simple --trusted-host x")
@example("a\x0bb c")
def test_requirement_line_split_is_shlex(line: str) -> None:
    try:
        expected = shlex.split(line, posix=True)
    except ValueError:
        return  # unbalanced quotes: the slow path reports it
    assert _split(line, "requirements.txt", 1) == expected
