"""Aether Data: versioned, isolated working copies of data workspaces."""

__all__ = ["__version__"]

__version__ = "0.1.0"
