"""The ``aether`` command line."""

from aether_data.cli import (
    coordination,
    datasets,
    files,
    gates,
    jupyter,
    lint,
    maintenance,
    plumbing,
    review,
    serve,
    sessions,
    sources,
    tokens,
)
from aether_data.cli._app import cli

__all__ = [
    "cli",
    "coordination",
    "datasets",
    "files",
    "gates",
    "jupyter",
    "lint",
    "main",
    "maintenance",
    "plumbing",
    "review",
    "serve",
    "sessions",
    "sources",
    "tokens",
]


def main() -> None:
    """Entry point of the ``aether`` console script."""
    cli(prog_name="aether")
