"""``aether serve``: the HTTP API over this machine's data folder."""

from __future__ import annotations

import ipaddress

import click

from aether_data.cli._app import cli
from aether_data.cli._credentials import save_token
from aether_data.errors import Invalid, MissingExtra
from aether_data.service import ALL_SCOPES, Services, open_services
from aether_data.settings import Settings, config_dir

__all__ = ["serve_command", "server_url"]

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


@cli.command("serve")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Address to listen on [env: AETHER_LISTEN; 127.0.0.1:8470].",
)
@click.option(
    "--public",
    is_flag=True,
    help="Allow an address other machines can reach (put TLS in front of it).",
)
@click.pass_obj
def serve_command(settings: Settings, listen: str | None, public: bool) -> None:
    """Serve the HTTP API (/v1, OpenAPI at /schema) over the local data folder.

    Loopback only unless --public. On the first start, when the catalog holds no token at
    all, an admin token of tenant `default` is issued and saved in credentials.toml (mode
    0600) under the server's URL, where `aether --server URL ...` finds it.
    """
    settings = settings.with_overrides(listen=listen)
    host, port = settings.listen_host_port
    _check_exposure(host, public)
    uvicorn, create_app = _server_parts()
    with open_services(settings) as services:
        _first_start(services, settings, server_url(host, port))
        app = create_app(settings, services=services)
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def server_url(host: str, port: int) -> str:
    """The URL a client on this machine reaches the server at."""
    host = _WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def _check_exposure(host: str, public: bool) -> None:
    if _is_loopback(host):
        return
    if not public:
        raise Invalid(
            f"{host} is not a loopback address: other machines could reach the server; "
            "pass --public to mean it (and put TLS in front), or listen on 127.0.0.1"
        )
    click.echo(
        f"aether: warning: serving on {host}, reachable from other machines; tokens travel "
        "in clear text unless TLS is in front",
        err=True,
    )


def _server_parts():
    try:
        import uvicorn  # noqa: PLC0415 - only `serve` needs the server stack

        from aether_data.api import create_app  # noqa: PLC0415
    except ImportError as exc:
        raise MissingExtra(exc.name or "uvicorn", "server", "aether serve") from exc
    return uvicorn, create_app


def _first_start(services: Services, settings: Settings, url: str) -> None:
    """Issue and save an admin token when the catalog has never held one."""
    if services.tokens.any_active():
        return
    _, secret = services.tokens.issue("admin (first start)", sorted(ALL_SCOPES))
    path = save_token(settings.config_dir or config_dir(), url, secret)
    click.echo(
        f"aether: first start: issued an admin token of tenant 'default', saved in {path} "
        f"under {url}; `aether --server {url} ...` uses it",
        err=True,
    )
