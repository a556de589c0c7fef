"""The root command group, its global options, how a verb gets the workspace it works on, and
the translation of errors into exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aether_data import __version__
from aether_data.cli._connect import connect
from aether_data.errors import (
    AetherError,
    Conflict,
    Corrupt,
    Forbidden,
    Invalid,
    MissingExtra,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    Unavailable,
)
from aether_data.service import open_services
from aether_data.settings import Settings

__all__ = [
    "EXIT_CODES",
    "cli",
    "emit",
    "json_option",
    "pass_api",
    "pass_connection",
    "pass_services",
]

# Exit codes by error meaning; 1 is kept for "ran fine, found problems" (fsck) and other errors.
EXIT_CODES: dict[type[AetherError], int] = {
    Invalid: 2,
    NotFound: 3,
    Conflict: 4,
    PreconditionFailed: 4,
    Forbidden: 5,
    Unauthorized: 5,
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
            if isinstance(exc, Unauthorized):
                click.echo(_login_hint(ctx.obj), err=True)
            code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
            ctx.exit(code)


def _login_hint(settings: Settings | None) -> str:
    server = settings.server if settings else None
    return (
        f"aether: hint: pass a token of {server or 'the server'} with --token TOKEN (or set "
        "AETHER_TOKEN); on the server machine, `aether token create NAME --scope SCOPE` "
        "issues one (`aether serve` saves an admin token in credentials.toml on first start)"
    )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aether")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AETHER_HOME",
    help="Data folder of the embedded catalog and object store [env: AETHER_HOME; ~/.aether].",
)
@click.option(
    "--server",
    metavar="URL",
    envvar="AETHER_SERVER",
    help="Work against the Aether server at URL instead of the local data folder "
    "[env: AETHER_SERVER].",
)
@click.option(
    "--token",
    envvar="AETHER_TOKEN",
    help="Bearer token for --server [env: AETHER_TOKEN; else the server's entry in "
    "credentials.toml].",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="AETHER_CONFIG",
    help="TOML config file [env: AETHER_CONFIG; $XDG_CONFIG_HOME/aether/config.toml].",
)
@click.pass_context
def cli(
    ctx: click.Context,
    home: Path | None,
    server: str | None,
    token: str | None,
    config_file: Path | None,
) -> None:
    """Aether Data: versioned, isolated working copies of data workspaces.

    Embedded by default (the data folder on this machine); with --server URL every session,
    source and file verb works against that server instead.
    """
    environ = dict(os.environ)
    if home is not None:
        environ["AETHER_HOME"] = str(home)
    if config_file is not None:
        environ["AETHER_CONFIG"] = str(config_file)
    ctx.obj = Settings.from_env(environ).with_overrides(server=server or None, token=token or None)


def _wrap(func: Callable[..., Any], wrapper: Callable[..., Any]) -> Callable[..., Any]:
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return click.pass_obj(wrapper)


def pass_connection(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give the verb a ``Connection`` (embedded or remote) and close it afterwards."""

    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        with connect(settings) as connection:
            return func(connection, *args, **kwargs)

    return _wrap(func, wrapper)


def pass_api(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give the verb the ``WorkspaceAPI`` (embedded or remote) and close it afterwards."""

    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        with connect(settings) as connection:
            return func(connection.api, *args, **kwargs)

    return _wrap(func, wrapper)


def pass_services(func: Callable[..., Any]) -> Callable[..., Any]:
    """Open the local services for a verb that only makes sense on the machine holding the
    data; with a server configured, refuse (exit 2)."""

    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> Any:
        if settings.server:
            verb = click.get_current_context().command_path
            raise Invalid(
                f"`{verb}` works on the data folder of the machine that holds the data; "
                f"run it there without --server / AETHER_SERVER (server: {settings.server})"
            )
        with open_services(settings) as services:
            return func(services, *args, **kwargs)

    return _wrap(func, wrapper)


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
