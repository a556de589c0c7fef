"""API tokens: issued with a secret shown once, stored as a SHA-256 hash, checked by id.

A token reads ``aet_<id>_<secret>``: the id finds the record, the secret is compared with the
stored hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from aether_data.catalog import DEFAULT_TENANT, Catalog, Page, TokenRecord
from aether_data.errors import Invalid, NotFound, Unauthorized
from aether_data.review import Events

__all__ = ["ALL_SCOPES", "READ_SCOPES", "Scope", "Tokens", "check_tenant"]

_TOKEN = re.compile(r"aet_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})")
_TENANT = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


class Scope(StrEnum):
    """What a token may do. ``admin`` may do everything, in its own tenant and across."""

    SESSION_READ = "session.read"
    SESSION_WRITE = "session.write"
    SESSION_DELETE = "session.delete"
    SESSION_MERGE = "session.merge"
    SOURCE_READ = "source.read"
    SOURCE_WRITE = "source.write"
    SOURCE_IMPORT = "source.import"
    REVIEW_APPROVE = "review.approve"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)
READ_SCOPES = frozenset({Scope.SESSION_READ, Scope.SOURCE_READ})


def check_tenant(tenant: str) -> str:
    """``tenant`` if it is a valid tenant name (lower-case letters, digits, ``._-``)."""
    if not _TENANT.fullmatch(tenant):
        raise Invalid(f"tenant {tenant!r} must be 1-63 of a-z, 0-9, '.', '_', '-'")
    return tenant


def _parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise Invalid("a token needs at least one scope")
    if unknown := [s for s in chosen if s not in ALL_SCOPES]:
        known = ", ".join(sorted(ALL_SCOPES))
        raise Invalid(f"unknown scope {unknown[0]!r}; scopes are: {known}")
    return tuple(chosen)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Tokens:
    """Issue, check, list and revoke tokens in one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        events: Events | None = None,
    ) -> None:
        self.catalog = catalog
        self._clock = clock
        self._events = events  # the audit log: issuing and revoking are recorded there

    def _record(self, kind: str, record: TokenRecord, actor: str, **details: object) -> None:
        if self._events is not None:
            self._events.record(record.tenant, kind, actor, subject=record.id, details=details)

    def issue(
        self,
        name: str,
        scopes: Iterable[str],
        *,
        tenant: str = DEFAULT_TENANT,
        expires_in: timedelta | None = None,
        actor: str = "local",
    ) -> tuple[TokenRecord, str]:
        """A new token and its full secret text (shown once; only its hash is kept); the
        audit log names ``actor`` as its issuer."""
        if not name or len(name) > 200:
            raise Invalid("a token needs a name of 1-200 characters")
        if expires_in is not None and expires_in <= timedelta(0):
            raise Invalid("a token's lifetime must be positive")
        now = self._clock()
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        record = TokenRecord(
            id=token_id,
            tenant=check_tenant(tenant),
            name=name,
            secret_hash=_hash(secret),
            scopes=_parse_scopes(scopes),
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
        )
        created = self.catalog.create_token(record)
        self._record("token.create", created, actor, name=name, scopes=list(created.scopes))
        return created, f"aet_{token_id}_{secret}"

    def verify(self, text: str) -> TokenRecord:
        """The active token ``text`` names; ``Unauthorized`` for anything else."""
        match = _TOKEN.fullmatch(text.strip())
        if match is None:
            raise Unauthorized("malformed token: expected aet_<id>_<secret>")
        try:
            record = self.catalog.get_token(match.group(1))
        except NotFound:
            raise Unauthorized("unknown token") from None
        if not hmac.compare_digest(record.secret_hash, _hash(match.group(2))):
            raise Unauthorized("unknown token")
        if not record.is_active(self._clock()):
            raise Unauthorized(f"token {record.id} is revoked or expired")
        return record

    def list(
        self, *, tenant: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[TokenRecord]:
        """Tokens (all tenants when ``tenant`` is None), by id."""
        return self.catalog.list_tokens(tenant=tenant, cursor=cursor, limit=limit)

    def get(self, token_id: str) -> TokenRecord:
        """One token's record."""
        return self.catalog.get_token(token_id)

    def revoke(self, token_id: str, *, actor: str = "local") -> TokenRecord:
        """Stop a token from working, at once and for good (recorded as done by ``actor``)."""
        revoked = self.catalog.revoke_token(token_id, at=self._clock())
        self._record("token.revoke", revoked, actor)
        return revoked

    def any_active(self) -> bool:
        """Whether any token has been issued at all (the first start issues one)."""
        return bool(self.catalog.list_tokens(limit=1).items)
