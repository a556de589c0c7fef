"""``/v1/whoami`` and ``/v1/tokens``: who is calling, and token administration (``admin``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from aether_data.api._auth import ServicesDep, caller_of
from aether_data.api._routes import WHOEVER, operation
from aether_data.service import Scope, token_value
from aether_data.wire import CreateTokenRequest, IssuedToken, Page, Token, WhoAmI

__all__ = ["TokensController"]

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
AnyRequest = Request[Any, Any, Any]
_ADMIN = Scope.ADMIN.value


class TokensController(Controller):
    """The caller's identity and the tokens of a tenant."""

    path = "/v1"
    tags = ["tokens"]

    @operation("GET", "/whoami", scope=WHOEVER, summary="Who the token belongs to")
    async def whoami(self, request: AnyRequest) -> WhoAmI:
        caller = caller_of(request)
        return WhoAmI(token=caller.token, tenant=caller.tenant, scopes=sorted(caller.scopes))

    @operation("POST", "/tokens", scope=_ADMIN, summary="Issue a token", status_code=201)
    def create_token(
        self, request: AnyRequest, services: ServicesDep, data: JSONBody[CreateTokenRequest]
    ) -> IssuedToken:
        """The secret is in this answer only; the server keeps a hash of it."""
        lifetime = None if data.expires_in is None else timedelta(seconds=data.expires_in)
        record, secret = services.tokens.issue(
            data.name,
            data.scopes,
            tenant=data.tenant or caller_of(request).tenant,
            expires_in=lifetime,
            actor=caller_of(request).token,
        )
        return IssuedToken(token=token_value(record), secret=secret)

    @operation("GET", "/tokens", scope=_ADMIN, summary="List tokens")
    def list_tokens(
        self,
        request: AnyRequest,
        services: ServicesDep,
        tenant: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[Token]:
        """The tokens of ``tenant`` (the caller's by default)."""
        page = services.tokens.list(
            tenant=tenant or caller_of(request).tenant, cursor=cursor or None, limit=limit
        )
        return Page(
            items=[token_value(record) for record in page.items], next_cursor=page.next_cursor
        )

    @operation(
        "DELETE", "/tokens/{token_id:str}", scope=_ADMIN, summary="Revoke a token", status_code=204
    )
    async def revoke_token(
        self, request: AnyRequest, services: ServicesDep, token_id: FromPath[str]
    ) -> None:
        """The token stops working at once on this server (see ``create_app``'s
        ``token_cache_seconds`` for other replicas)."""
        actor = caller_of(request).token
        await anyio.to_thread.run_sync(lambda: services.tokens.revoke(token_id, actor=actor))
        request.app.state.token_cache.clear()  # on the event loop, like every cache access
