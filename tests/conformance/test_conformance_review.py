"""Knowledge entries, the bus and the audit log through the ``ReviewAPI``: the same assertions
against ``EmbeddedReview`` and against ``AetherClient`` talking to a live server."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aether_data.client import AetherClient
from aether_data.errors import Invalid, NotFound, PreconditionFailed, TooLarge
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import Page
from aether_data.wire.review import BusMessage, Event, KvEntry, ReviewAPI

GHOST_SESSION = "s-0000000000000000"


@dataclass
class Owners:
    """The implementation under test and what it may write to: a session and a source."""

    review: ReviewAPI
    session: str
    source: str


@pytest.fixture(params=["embedded", "http"])
def owners(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Owners]:
    """``EmbeddedReview``, or the HTTP client of the shared live server (conftest.py)."""
    source = f"src-{uuid.uuid4().hex[:10]}"
    if request.param == "embedded":
        with open_services(Settings.for_home(tmp_path / "home")) as services:
            workspace = services.workspace()
            workspace.create_source(source)
            session = workspace.create_session(name="review").id
            yield Owners(services.review(), session, source)
    else:
        server = request.getfixturevalue("shared_server")
        with AetherClient(server.url, server.token) as client:
            client.create_source(source)
            yield Owners(client, client.create_session(name="review").id, source)


@pytest.fixture
def review(owners: Owners) -> ReviewAPI:
    return owners.review


def topic(prefix: str = "t") -> str:
    """A topic no other test (sharing the live server) publishes on."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------- knowledge
@pytest.mark.parametrize("kind", ["session", "source"])
def test_kv_compare_and_set(review: ReviewAPI, owners: Owners, kind: Any) -> None:
    owner = owners.session if kind == "session" else owners.source
    created = review.kv_put(kind, owner, "k", b"1", expected_version=0)
    assert isinstance(created, KvEntry)
    assert (created.version, created.size, created.value) == (1, 1, b"1")
    assert created.created_at == created.updated_at
    assert review.kv_get(kind, owner, "k") == created
    outcomes = []
    for expected in (0, 2, 1, None, 3):
        try:
            outcomes.append(
                review.kv_put(kind, owner, "k", b"v", expected_version=expected).version
            )
        except PreconditionFailed:
            outcomes.append("precondition")
    assert outcomes == ["precondition", "precondition", 2, 3, 4]
    with pytest.raises(PreconditionFailed):
        review.kv_delete(kind, owner, "k", expected_version=3)
    review.kv_delete(kind, owner, "k", expected_version=4)
    with pytest.raises(NotFound):
        review.kv_delete(kind, owner, "k")
    assert review.kv_put(kind, owner, "k", b"again", expected_version=0).version == 1


def test_kv_listing_and_prefix_delete(review: ReviewAPI, owners: Owners) -> None:
    for key in ("b/2", "a", "b/1", "b/3", "c d"):
        review.kv_put("session", owners.session, key, key.encode())
    page = review.kv_list("session", owners.session, prefix="b/", limit=2)
    assert isinstance(page, Page)
    assert [(e.key, e.value) for e in page.items] == [("b/1", None), ("b/2", None)]
    rest = review.kv_list("session", owners.session, prefix="b/", cursor=page.next_cursor)
    assert ([e.key for e in rest.items], rest.next_cursor) == (["b/3"], None)
    assert review.kv_delete_prefix("session", owners.session, "b/") == 3
    assert [e.key for e in review.kv_list("session", owners.session).items] == ["a", "c d"]
    assert review.kv_delete_prefix("session", owners.session, "zzz") == 0


def test_kv_value_limit(review: ReviewAPI, owners: Owners) -> None:
    with pytest.raises(TooLarge):
        review.kv_put("source", owners.source, "big", b"x" * ((1 << 20) + 1))


def test_unknown_owners_and_keys(review: ReviewAPI, owners: Owners) -> None:
    for call in (
        lambda: review.kv_get("session", GHOST_SESSION, "k"),
        lambda: review.kv_put("session", GHOST_SESSION, "k", b"v"),
        lambda: review.kv_list("session", GHOST_SESSION),
        lambda: review.kv_delete_prefix("session", GHOST_SESSION, ""),
        lambda: review.kv_get("source", "ghost-" + uuid.uuid4().hex[:8], "k"),
        lambda: review.kv_get("session", owners.session, "missing"),
        lambda: review.kv_delete("source", owners.source, "missing"),
        lambda: review.publish(topic(), session_id=GHOST_SESSION),
        lambda: review.bus_read(session_id=GHOST_SESSION),
    ):
        with pytest.raises(NotFound):
            call()


def test_invalid_arguments(review: ReviewAPI, owners: Owners) -> None:
    session = owners.session
    for call in (
        lambda: review.kv_get("folder", session, "k"),  # type: ignore[arg-type]
        lambda: review.kv_put("session", session, "", b"v"),
        lambda: review.kv_put("session", session, "line\nbreak", b"v"),
        lambda: review.kv_put("session", session, "x" * 513, b"v"),
        lambda: review.kv_put("session", session, "k", b"v", expected_version=-1),
        lambda: review.publish(""),
        lambda: review.publish("has space"),
        lambda: review.bus_read(["bad pattern"]),
        lambda: review.bus_read([]),
        lambda: review.bus_read(session_only=True),
    ):
        with pytest.raises(Invalid):
            call()


# ---------------------------------------------------------------------------- bus
def _shape(messages: list[BusMessage], base: str) -> list[tuple[str, Any, bool]]:
    return [(m.topic.removeprefix(base), m.body, m.session_id is not None) for m in messages]


def test_bus_read(review: ReviewAPI, owners: Owners) -> None:
    base = topic()
    first = review.publish(f"{base}.a", {"n": 1})
    assert isinstance(first, BusMessage)
    review.publish(f"{base}.b", [2], session_id=owners.session)
    review.publish(f"{base}.a", "three")
    review.publish(f"{base}.c", None)
    assert _shape(review.bus_read([f"{base}.*"]), base) == [
        (".a", {"n": 1}, False),
        (".b", [2], True),
        (".a", "three", False),
        (".c", None, False),
    ]
    assert _shape(review.bus_read([f"{base}.a", f"{base}.c"], last=2), base) == [
        (".a", "three", False),
        (".c", None, False),
    ]
    after = review.bus_read([f"{base}.?"], after_seq=first.seq, limit=1)
    assert _shape(after, base) == [(".b", [2], True)]
    scoped = review.bus_read([f"{base}.*"], session_id=owners.session, session_only=True)
    assert _shape(scoped, base) == [(".b", [2], True)]
    seqs = [m.seq for m in review.bus_read([f"{base}.*"])]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 4


def test_subscribe_replays(review: ReviewAPI) -> None:
    base = topic()
    published = [review.publish(base, n) for n in range(3)]
    stream = review.subscribe([base], after_seq=published[0].seq)
    replayed = list(itertools.islice(stream, 2))
    stream.close()  # type: ignore[attr-defined]
    assert replayed == published[1:]
    last = review.subscribe([base], last=1)
    assert next(last) == published[-1]
    last.close()  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- events
def test_list_and_follow_events(review: ReviewAPI, owners: Owners) -> None:
    review.kv_put("session", owners.session, "k", b"abc")
    review.kv_delete("session", owners.session, "k")
    page = review.list_events(types=["kv.*"], session_id=owners.session)
    assert isinstance(page, Page)
    assert all(isinstance(e, Event) for e in page.items)
    assert [(e.type, e.subject, e.session_id, e.details) for e in page.items] == [
        ("kv.put", "k", owners.session, {"version": 1, "size": 3}),
        ("kv.delete", "k", owners.session, {}),
    ]
    one = review.list_events(session_id=owners.session, limit=1)
    assert len(one.items) == 1
    assert one.next_cursor is not None
    stream = review.follow_events(types=["kv.delete"], session_id=owners.session)
    followed = next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert followed == page.items[1]
