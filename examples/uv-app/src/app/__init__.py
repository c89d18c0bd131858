"""uv example: imports a few real packages and says hello."""

from importlib.metadata import version

import attrs  # noqa: F401
import dateutil  # noqa: F401
import flask  # noqa: F401
import httpx  # noqa: F401
import requests  # noqa: F401
import rich  # noqa: F401

GREETING = "hello from the uv example"


def main() -> None:
    print(GREETING)
    print("using " + ", ".join(f"{n} {version(n)}" for n in ("flask", "requests", "rich")))
