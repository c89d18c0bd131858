"""chef: cache Python dependencies in their own Docker layer (cargo-chef for Python)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
