"""``aether token create|ls|revoke``: API tokens, on this machine's catalog (embedded) or
through a server's admin API (with --server and an admin token)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

import click

from aether_data.cli._app import cli as root
from aether_data.cli._app import emit, json_option, pass_connection
from aether_data.cli._connect import Connection, every
from aether_data.cli.maintenance import parse_duration
from aether_data.errors import Invalid
from aether_data.service import ALL_SCOPES, READ_SCOPES, Services
from aether_data.wire import Page

if TYPE_CHECKING:
    from aether_data.client import AetherClient

__all__ = ["token_group"]

_DEFAULT_TENANT = "default"


class _Admin(Protocol):
    """Token administration, the same on both sides (records carry id, tenant, name, scopes,
    created_at, expires_at, revoked_at)."""

    def issue(
        self, name: str, scopes: list[str], tenant: str | None, seconds: int | None
    ) -> tuple[Any, str]: ...

    def list(self, tenant: str | None, cursor: str | None = None) -> Page[Any]: ...

    def revoke(self, token_id: str) -> None: ...


class _LocalAdmin:
    """The catalog on this machine: the operator administers every tenant."""

    def __init__(self, services: Services) -> None:
        self._tokens = services.tokens

    def issue(self, name, scopes, tenant, seconds):
        lifetime = None if seconds is None else timedelta(seconds=seconds)
        return self._tokens.issue(
            name, scopes, tenant=tenant or _DEFAULT_TENANT, expires_in=lifetime
        )

    def list(self, tenant, cursor=None):
        return self._tokens.list(tenant=tenant, cursor=cursor)

    def revoke(self, token_id):
        self._tokens.revoke(token_id)


class _RemoteAdmin:
    """A server's ``/v1/tokens`` (needs an ``admin`` token; its tenant by default)."""

    def __init__(self, client: AetherClient) -> None:
        self._client = client

    def issue(self, name, scopes, tenant, seconds):
        issued = self._client.create_token(name, scopes, tenant=tenant, expires_in=seconds)
        return issued.token, issued.secret

    def list(self, tenant, cursor=None):
        return self._client.list_tokens(tenant=tenant, cursor=cursor)

    def revoke(self, token_id):
        self._client.revoke_token(token_id)


def _admin(conn: Connection) -> _Admin:
    if conn.services is not None:
        return _LocalAdmin(conn.services)
    assert conn.client is not None
    return _RemoteAdmin(conn.client)


def token_data(token: Any) -> dict[str, Any]:
    """The JSON of a token (never its secret)."""

    def when(value) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": token.id,
        "tenant": token.tenant,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "created_at": when(token.created_at),
        "expires_at": when(token.expires_at),
        "revoked_at": when(token.revoked_at),
    }


def _scopes(scopes: Iterable[str], read_only: bool, admin: bool) -> list[str]:
    chosen = set(scopes)
    if read_only:
        chosen |= READ_SCOPES
    if admin:
        chosen |= ALL_SCOPES
    if not chosen:
        raise Invalid("give at least one --scope, or --read-only or --admin")
    return sorted(str(s) for s in chosen)


def _seconds(text: str | None) -> int | None:
    if text is None:
        return None
    seconds = round(parse_duration(text))
    if seconds <= 0:
        raise Invalid(f"--expires-in {text!r} must be a positive duration")
    return seconds


@root.group("token")
def token_group() -> None:
    """API tokens: create (the secret is shown once), list, revoke."""


@token_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(s.value for s in ALL_SCOPES)),
    help="A scope the token grants (repeatable).",
)
@click.option("--read-only", is_flag=True, help="Add session.read and source.read.")
@click.option("--admin", is_flag=True, help="Every scope, token administration included.")
@click.option("--tenant", help="Its tenant [embedded: default; remote: the caller's].")
@click.option("--expires-in", metavar="DURATION", help="Lifetime: 3600, 90m, 12h, 30d, 2w.")
@json_option
@pass_connection
def token_create(
    conn: Connection, name: str, scopes, read_only, admin, tenant, expires_in, as_json
) -> None:
    """Issue token NAME and print its secret: it is shown this once, only its hash is kept."""
    chosen = _scopes(scopes, read_only, admin)
    record, secret = _admin(conn).issue(name, chosen, tenant, _seconds(expires_in))
    data = {**token_data(record), "secret": secret}
    emit(as_json, data, secret)
    if not as_json:
        click.echo(
            f"aether: token {record.id} of tenant {record.tenant} ({', '.join(chosen)}); "
            "the secret above is shown this once",
            err=True,
        )


@token_group.command("ls")
@click.option("--tenant", help="Only this tenant's tokens [embedded: all; remote: the caller's].")
@json_option
@pass_connection
def token_ls(conn: Connection, tenant, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    rows = [token_data(t) for t in every(_admin(conn).list, tenant)]
    emit(as_json, rows, "\n".join(_token_line(t) for t in rows))


def _token_line(token: dict[str, Any]) -> str:
    state = "revoked" if token["revoked_at"] else f"expires {token['expires_at'] or 'never'}"
    scopes = "all scopes" if set(token["scopes"]) >= ALL_SCOPES else ",".join(token["scopes"])
    return f"{token['id']}  {token['tenant']:12} {token['name']:20} {scopes}  {state}"


@token_group.command("revoke")
@click.argument("token_id", metavar="ID")
@json_option
@pass_connection
def token_revoke(conn: Connection, token_id: str, as_json: bool) -> None:
    """Revoke token ID at once and for good."""
    _admin(conn).revoke(token_id)
    emit(as_json, {"revoked": token_id}, f"revoked {token_id}")
