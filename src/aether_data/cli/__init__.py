"""The ``aether`` command line."""

from aether_data.cli import maintenance, plumbing, review, sessions
from aether_data.cli._app import cli

__all__ = ["cli", "main", "maintenance", "plumbing", "review", "sessions"]


def main() -> None:
    """Entry point of the ``aether`` console script."""
    cli(prog_name="aether")
