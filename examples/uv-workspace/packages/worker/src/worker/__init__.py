import attrs  # noqa: F401
from common import banner

GREETING = banner("worker")


def main() -> None:
    print(GREETING)
