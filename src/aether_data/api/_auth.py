"""Bearer tokens and scopes: one guard checks every protected operation before its body or
parameters are read, and leaves the caller on the request for the handlers."""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from aether_data.api._routes import PUBLIC, WHOEVER
from aether_data.errors import Forbidden, Unauthorized
from aether_data.service import Scope, Services
from aether_data.wire import WorkspaceAPI

__all__ = [
    "Caller",
    "ServicesDep",
    "WorkspaceDep",
    "authorize",
    "caller_of",
    "provide_services",
    "provide_workspace",
]

WorkspaceDep = NamedDependency[WorkspaceAPI]
"""A handler parameter ``ws: WorkspaceDep`` receives the caller's tenant's workspace."""
ServicesDep = NamedDependency[Services]
"""A handler parameter ``services: ServicesDep`` receives the app's services."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request: the token's id, tenant and scopes."""

    token: str
    tenant: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        """Whether the token grants ``scope`` (``admin`` grants every scope)."""
        return scope == WHOEVER or scope in self.scopes or Scope.ADMIN in self.scopes


def _secret(connection: ASGIConnection) -> str:
    header = connection.headers.get("authorization")
    if not header:
        raise Unauthorized("this operation needs a token: send 'Authorization: Bearer aet_...'")
    kind, _, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the token as 'Authorization: Bearer aet_...'")
    return secret.strip()


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard: a valid token with the handler's ``scope`` (its ``opt``), else 401 / 403."""
    scope = handler.opt.get("scope", PUBLIC)
    if scope == PUBLIC:
        return
    services: Services = connection.app.state.services
    record = await anyio.to_thread.run_sync(services.tokens.verify, _secret(connection))
    caller = Caller(token=record.id, tenant=record.tenant, scopes=frozenset(record.scopes))
    if not caller.may(scope):
        raise Forbidden(f"token {caller.token} lacks the scope {scope!r} this operation needs")
    connection.state.caller = caller


def caller_of(connection: ASGIConnection) -> Caller:
    """The caller the guard accepted."""
    return connection.state.caller


def provide_services(request: ASGIConnection) -> Services:
    """Dependency: the app's services."""
    return request.app.state.services


def provide_workspace(request: ASGIConnection) -> WorkspaceAPI:
    """Dependency: the caller's tenant's workspace (local imports off: a server must not read
    its own disk on a caller's behalf)."""
    services: Services = request.app.state.services
    return services.workspace(caller_of(request).tenant, local_imports=False)
