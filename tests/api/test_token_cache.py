"""The guard's short-lived cache of verified tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aether_data.api._auth import Caller, TokenCache

CALLER = Caller(token="t", tenant="default", scopes=frozenset({"session.read"}))


def test_remembers_for_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("aether_data.api._auth.time.monotonic", lambda: now[0])
    cache = TokenCache(2.0)
    assert cache.get("secret") is None
    cache.put("secret", CALLER, None)
    assert cache.get("secret") == CALLER
    assert cache.get("other") is None
    now[0] += 2.5
    assert cache.get("secret") is None


def test_honours_expiry_and_clear() -> None:
    cache = TokenCache(60.0)
    cache.put("gone", CALLER, datetime.now(UTC) - timedelta(seconds=1))
    assert cache.get("gone") is None
    cache.put("kept", CALLER, datetime.now(UTC) + timedelta(hours=1))
    assert cache.get("kept") == CALLER
    cache.clear()
    assert cache.get("kept") is None


def test_off_and_bounded() -> None:
    off = TokenCache(0)
    off.put("s", CALLER, None)
    assert off.get("s") is None
    small = TokenCache(60.0, size=2)
    for name in ("a", "b", "c"):
        small.put(name, CALLER, None)
    assert small.get("a") is None
    assert small.get("c") == CALLER
