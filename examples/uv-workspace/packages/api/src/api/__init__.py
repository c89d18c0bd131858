import click  # noqa: F401
from common import banner

GREETING = banner("api")


def main() -> None:
    print(GREETING)
