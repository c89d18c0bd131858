"""PDM example: imports a few real packages and says hello."""

from importlib.metadata import version

import attrs  # noqa: F401
import click  # noqa: F401
import idna  # noqa: F401
import itsdangerous  # noqa: F401

GREETING = "hello from the pdm example"


def main() -> None:
    print(GREETING)
    print("using " + ", ".join(f"{n} {version(n)}" for n in ("click", "itsdangerous", "idna")))
