"""Tokens: the secret is shown once and stored hashed; only an active, exact token verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aether_data.errors import Invalid, NotFound, Unauthorized
from aether_data.service import READ_SCOPES, Scope, Services, open_services
from aether_data.settings import Settings


@pytest.fixture
def services(catalog_url: str, tmp_path) -> Services:
    with open_services(Settings.for_home(tmp_path, catalog_url=catalog_url)) as opened:
        yield opened


def test_issued_token_verifies_and_only_its_hash_is_stored(services: Services) -> None:
    record, secret = services.tokens.issue("ci", READ_SCOPES, tenant="acme")
    assert secret.startswith(f"aet_{record.id}_")
    stored = services.catalog.get_token(record.id)
    assert secret.split("_", 2)[2] not in stored.secret_hash
    assert services.tokens.verify(secret) == stored
    assert stored.tenant == "acme"
    assert stored.scopes == ("session.read", "source.read")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # wrong secret, right id
        lambda s: "aet_0000000000000000_" + s.split("_", 2)[2],  # unknown id
        lambda s: "Bearer " + s,  # not a token at all
        lambda s: "",
    ],
)
def test_anything_but_the_exact_secret_is_unauthorized(services: Services, mangle) -> None:
    _, secret = services.tokens.issue("ci", [Scope.ADMIN])
    with pytest.raises(Unauthorized):
        services.tokens.verify(mangle(secret))


def test_revoked_and_expired_tokens_stop_working(services: Services) -> None:
    record, secret = services.tokens.issue("short", [Scope.SESSION_READ])
    services.tokens.revoke(record.id)
    with pytest.raises(Unauthorized, match="revoked or expired"):
        services.tokens.verify(secret)
    later = datetime.now(UTC) + timedelta(hours=2)
    timed, timed_secret = services.tokens.issue(
        "hour", [Scope.SESSION_READ], expires_in=timedelta(hours=1)
    )
    assert services.tokens.verify(timed_secret).id == timed.id
    services.tokens._clock = lambda: later
    with pytest.raises(Unauthorized):
        services.tokens.verify(timed_secret)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scopes": []}, "at least one scope"),
        ({"scopes": ["session.reed"]}, "unknown scope 'session.reed'"),
        ({"scopes": ["admin"], "tenant": "Bad Tenant"}, "tenant"),
        ({"scopes": ["admin"], "expires_in": timedelta(seconds=-1)}, "positive"),
    ],
)
def test_bad_token_requests_are_refused(services: Services, kwargs, message) -> None:
    with pytest.raises(Invalid, match=message):
        services.tokens.issue("x", **kwargs)
    assert not services.tokens.any_active()


def test_listing_by_tenant_and_unknown_revoke(services: Services) -> None:
    a, _ = services.tokens.issue("a", [Scope.ADMIN], tenant="a")
    b, _ = services.tokens.issue("b", [Scope.ADMIN], tenant="b")
    assert [t.id for t in services.tokens.list(tenant="a").items] == [a.id]
    assert {t.id for t in services.tokens.list().items} == {a.id, b.id}
    with pytest.raises(NotFound):
        services.tokens.revoke("ffffffffffffffff")


def test_issuing_and_revoking_are_in_the_audit_log(services: Services) -> None:
    record, _ = services.tokens.issue("ci", READ_SCOPES, tenant="acme", actor="root-token")
    services.tokens.revoke(record.id, actor="other-admin")
    events = services.events.list("acme").items
    assert [(e.type, e.actor, e.subject) for e in events] == [
        ("token.create", "root-token", record.id),
        ("token.revoke", "other-admin", record.id),
    ]
    assert events[0].details == {"name": "ci", "scopes": sorted(READ_SCOPES)}
    assert "secret" not in str(events[0].details)
