"""The root command group, shared options, and the translation of errors into exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aether_data import __version__
from aether_data.errors import (
    AetherError,
    Conflict,
    Corrupt,
    Forbidden,
    Invalid,
    MissingExtra,
    NotFound,
    PreconditionFailed,
    Unavailable,
)
from aether_data.service import open_services
from aether_data.settings import Settings

__all__ = ["EXIT_CODES", "cli", "emit", "json_option", "pass_services"]

# Exit codes by error meaning; 1 is kept for "ran fine, found problems" (fsck) and other errors.
EXIT_CODES: dict[type[AetherError], int] = {
    Invalid: 2,
    NotFound: 3,
    Conflict: 4,
    PreconditionFailed: 4,
    Forbidden: 5,
    Corrupt: 6,
    MissingExtra: 7,
    Unavailable: 8,
}


class _Group(click.Group):
    """Turns project errors into a one-line message and an exit code by meaning."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AetherError as exc:
            click.echo(f"aether: error: {exc}", err=True)
            code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
            ctx.exit(code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aether")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AETHER_HOME",
    help="Data folder of the embedded catalog and object store [env: AETHER_HOME; ~/.aether].",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Aether Data: versioned, isolated working copies of data workspaces."""
    environ = dict(os.environ)
    if home is not None:
        environ["AETHER_HOME"] = str(home)
    ctx.obj = Settings.from_env(environ)


def pass_services(func: Callable[..., Any]) -> Callable[..., Any]:
    """Open the configured services for the command and close them afterwards."""

    @click.pass_obj
    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        with open_services(settings) as services:
            return func(services, *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print ``data`` as JSON for machines, or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        click.echo(text)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--json`` flag every verb takes."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(
        func
    )
