"""Bearer tokens and scopes: one middleware checks every protected operation before its body or
parameters are read, and leaves the caller on the request for the handlers.

It is a middleware rather than a Litestar guard because Litestar hands every guard call a copy
of the route handler, which cost a tenth of a small file read's time."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from litestar.types import ASGIApp, Receive, Send
from litestar.types import Scope as ASGIScope

from aether_data.api._routes import PUBLIC, WHOEVER
from aether_data.errors import Forbidden, Unauthorized
from aether_data.service import EmbeddedReview, Scope, Services
from aether_data.wire import WorkspaceAPI

__all__ = [
    "Caller",
    "ServicesDep",
    "TokenCache",
    "WorkspaceDep",
    "auth_middleware",
    "caller_of",
    "provide_review",
    "provide_services",
    "provide_workspace",
]

# Not validated: an isinstance check against the runtime-checkable protocol costs more than the
# rest of a small request's routing.
WorkspaceDep = NamedDependency[SkipValidation[WorkspaceAPI]]
"""A handler parameter ``ws: WorkspaceDep`` receives the caller's tenant's workspace."""
ServicesDep = NamedDependency[SkipValidation[Services]]
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


class TokenCache:
    """Tokens verified in the last ``seconds``, trusted again without asking the catalog.

    A revocation through this server clears the cache at once; one made elsewhere (another
    replica, the CLI) takes effect here within ``seconds``. An expiry time is always honoured.
    ``seconds=0`` turns the cache off. Keys are SHA-256 digests, never the secrets themselves.
    """

    def __init__(self, seconds: float, size: int = 4096) -> None:
        self.seconds = seconds
        self._size = size
        self._known: OrderedDict[bytes, tuple[Caller, datetime | None, float]] = OrderedDict()

    def get(self, secret: str) -> Caller | None:
        """The caller of a recently verified, still unexpired ``secret``."""
        found = self._known.get(_digest(secret))
        if found is None:
            return None
        caller, expires_at, checked = found
        if time.monotonic() - checked > self.seconds or (
            expires_at is not None and datetime.now(UTC) >= expires_at
        ):
            self._known.pop(_digest(secret), None)
            return None
        return caller

    def put(self, secret: str, caller: Caller, expires_at: datetime | None) -> None:
        """Remember a verification."""
        if self.seconds <= 0:
            return
        self._known[_digest(secret)] = (caller, expires_at, time.monotonic())
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    def clear(self) -> None:
        """Forget every token (after a revocation)."""
        self._known.clear()


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


_CALLER = "aether.caller"  # the ASGI scope key of the accepted caller


def _secret(scope: ASGIScope) -> str:
    header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
    if not header:
        raise Unauthorized("this operation needs a token: send 'Authorization: Bearer aet_...'")
    kind, _, secret = header.decode("latin-1").partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the token as 'Authorization: Bearer aet_...'")
    return secret.strip()


def auth_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: a valid token with the route handler's ``scope`` (its ``opt``), else
    401 / 403. Runs after routing and before any parameter or body is read."""

    async def authorized(scope: ASGIScope, receive: Receive, send: Send) -> None:
        needed = scope["route_handler"].opt.get("scope", PUBLIC)
        if needed != PUBLIC and scope["type"] == "http":
            caller = await _identify(scope, _secret(scope))
            if not caller.may(needed):
                raise Forbidden(
                    f"token {caller.token} lacks the scope {needed!r} this operation needs"
                )
            scope[_CALLER] = caller  # type: ignore[literal-required]
        await app(scope, receive, send)

    return authorized


async def _identify(scope: ASGIScope, secret: str) -> Caller:
    state = scope["litestar_app"].state
    cache: TokenCache = state.token_cache
    if (caller := cache.get(secret)) is not None:
        return caller
    services: Services = state.services
    record: Any = await anyio.to_thread.run_sync(services.tokens.verify, secret)
    caller = Caller(token=record.id, tenant=record.tenant, scopes=frozenset(record.scopes))
    cache.put(secret, caller, record.expires_at)
    return caller


def caller_of(connection: ASGIConnection) -> Caller:
    """The caller the middleware accepted."""
    return connection.scope[_CALLER]  # type: ignore[literal-required]


def provide_services(request: ASGIConnection) -> Services:
    """Dependency: the app's services."""
    return request.app.state.services


def provide_review(request: ASGIConnection) -> EmbeddedReview:
    """Dependency: the caller's tenant's ``ReviewAPI``, acting as the caller's token."""
    services: Services = request.app.state.services
    caller = caller_of(request)
    return services.review(caller.tenant, caller.token)


def provide_workspace(request: ASGIConnection) -> WorkspaceAPI:
    """Dependency: the caller's tenant's workspace (local imports off: a server must not read
    its own disk on a caller's behalf)."""
    services: Services = request.app.state.services
    caller = caller_of(request)
    return services.workspace(caller.tenant, local_imports=False, actor=caller.token)
