"""requirements.txt example: not a package, just code next to its requirements."""

__version__ = "0.1.0"
