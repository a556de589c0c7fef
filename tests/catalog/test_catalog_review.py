"""Catalog conformance for the records of reviews (knowledge entries, events, bus messages), on
SQLite and PostgreSQL via ``catalog``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aether_data.catalog import (
    BusMessage,
    EventRecord,
    KvRecord,
    KvScope,
    SessionRecord,
    SqlCatalog,
)
from aether_data.errors import Invalid, NotFound, PreconditionFailed
from aether_data.ids import object_id_of

T0 = datetime(2024, 1, 1, tzinfo=UTC)
S, SRC = KvScope.SESSION, KvScope.SOURCE
Race = Callable[..., list[Any]]


def put(catalog: SqlCatalog, key: str, value: bytes = b"v", **kw: Any) -> KvRecord:
    owner = kw.pop("owner", "s1")
    scope = kw.pop("scope", S)
    return catalog.put_kv(scope, owner, key, value, author="ada", tenant="acme", **kw)


def event(type_: str = "session.write", **fields: Any) -> EventRecord:
    defaults: dict[str, Any] = {"tenant": "acme", "actor": "ada", "created_at": T0}
    return EventRecord(seq=0, type=type_, **(defaults | fields))


def message(topic: str = "review.note", **fields: Any) -> BusMessage:
    defaults: dict[str, Any] = {"tenant": "acme", "body": '{"n":1}', "author": "ada"}
    return BusMessage(seq=0, topic=topic, **(defaults | {"created_at": T0} | fields))


def keys(page: Any) -> list[str]:
    return [record.key for record in page.items]


# --- knowledge entries: round trip and versions --------------------------------------------


def test_put_and_get_round_trip(catalog: SqlCatalog) -> None:
    stored = put(catalog, "run/last", b"\x00\xffdata")
    assert (stored.scope, stored.owner, stored.key, stored.value) == (
        S,
        "s1",
        "run/last",
        b"\x00\xffdata",
    )
    assert (stored.version, stored.author, stored.tenant, stored.size) == (1, "ada", "acme", 6)
    assert stored.created_at == stored.updated_at
    assert catalog.get_kv(S, "s1", "run/last") == stored


def test_put_bumps_the_version_and_keeps_created_at_and_tenant(catalog: SqlCatalog) -> None:
    first = put(catalog, "k", b"1")
    time.sleep(0.002)
    second = catalog.put_kv(S, "s1", "k", b"22", author="bob", tenant="other")
    assert (second.version, second.value, second.author, second.size) == (2, b"22", "bob", 2)
    assert (second.created_at, second.tenant) == (first.created_at, "acme")
    assert second.updated_at > first.updated_at
    assert catalog.get_kv(S, "s1", "k") == second


def test_get_missing_entry_is_not_found(catalog: SqlCatalog) -> None:
    put(catalog, "k", owner="s1")
    for scope, owner, key in [(S, "s1", "other"), (S, "s2", "k"), (SRC, "s1", "k")]:
        with pytest.raises(NotFound, match="knowledge entry"):
            catalog.get_kv(scope, owner, key)


def test_scopes_and_owners_keep_separate_entries(catalog: SqlCatalog) -> None:
    put(catalog, "k", b"session", scope=S, owner="x")
    put(catalog, "k", b"source", scope=SRC, owner="x")
    put(catalog, "k", b"other", scope=S, owner="y")
    assert catalog.get_kv(S, "x", "k").value == b"session"
    assert catalog.get_kv(SRC, "x", "k").value == b"source"
    assert catalog.get_kv(S, "y", "k").version == 1


def test_create_only_put(catalog: SqlCatalog) -> None:
    assert put(catalog, "k", b"a", expected_version=0).version == 1
    with pytest.raises(PreconditionFailed, match="expected no entry, found version 1"):
        put(catalog, "k", b"b", expected_version=0)
    assert catalog.get_kv(S, "s1", "k").value == b"a"


def test_compare_and_set_put(catalog: SqlCatalog) -> None:
    with pytest.raises(PreconditionFailed, match="expected version 1, found no entry"):
        put(catalog, "k", b"a", expected_version=1)
    put(catalog, "k", b"a")
    with pytest.raises(PreconditionFailed, match="expected version 5, found version 1"):
        put(catalog, "k", b"b", expected_version=5)
    assert put(catalog, "k", b"b", expected_version=1).version == 2
    assert catalog.get_kv(S, "s1", "k").value == b"b"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"key": ""}, "key"),
        ({"key": "a\x00b"}, "NUL"),
        ({"key": "k" * 1025}, "too long"),
        ({"key": "\u00e9" * 1025}, "too long"),
        ({"key": "\ud800"}, "Unicode"),
        ({"owner": "bad owner"}, "owner"),
        ({"scope": "nope"}, "scope"),
        ({"tenant": ""}, "tenant"),
        ({"value": "text"}, "bytes"),
        ({"expected_version": -1}, "expected version"),
        ({"expected_version": True}, "expected version"),
    ],
)
def test_put_checks_its_input(catalog: SqlCatalog, change: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {"scope": S, "owner": "s1", "key": "k", "value": b"v"}
    args |= {"author": "ada", "tenant": "acme"} | change
    with pytest.raises(Invalid, match=match):
        catalog.put_kv(**args)
    assert catalog.list_kv(S, "s1").items == ()


def test_longest_key(catalog: SqlCatalog) -> None:
    key = "k" * 1024
    assert put(catalog, key).key == key
    assert keys(catalog.list_kv(S, "s1", prefix="k" * 1000)) == [key]


def test_delete_entry(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.delete_kv(S, "s1", "k")
    put(catalog, "k")
    put(catalog, "k")
    with pytest.raises(PreconditionFailed, match="expected version 1, found version 2"):
        catalog.delete_kv(S, "s1", "k", expected_version=1)
    with pytest.raises(PreconditionFailed, match="expected no entry, found version 2"):
        catalog.delete_kv(S, "s1", "k", expected_version=0)
    catalog.delete_kv(S, "s1", "k", expected_version=2)
    with pytest.raises(NotFound):
        catalog.get_kv(S, "s1", "k")
    with pytest.raises(NotFound):
        catalog.delete_kv(S, "s1", "k", expected_version=2)
    put(catalog, "k")
    catalog.delete_kv(S, "s1", "k")
    assert put(catalog, "k").version == 1  # a new entry starts over


def test_concurrent_compare_and_set_loses_no_update(catalog: SqlCatalog, race: Race) -> None:
    rounds = 5

    def increment(_: int) -> int:
        retries = 0
        for _round in range(rounds):
            while True:
                try:
                    current = catalog.get_kv(S, "s1", "counter")
                    value, version = int(current.value), current.version
                except NotFound:
                    value, version = 0, 0
                try:
                    put(catalog, "counter", b"%d" % (value + 1), expected_version=version)
                    break
                except PreconditionFailed:
                    retries += 1
        return retries

    results = race(increment)
    assert all(isinstance(retries, int) for retries in results), results
    final = catalog.get_kv(S, "s1", "counter")
    assert (int(final.value), final.version) == (8 * rounds, 8 * rounds)


def test_concurrent_unconditional_puts_all_count(catalog: SqlCatalog, race: Race) -> None:
    results = race(lambda i: [put(catalog, "k", b"%d" % i).version for _ in range(3)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(v for versions in results for v in versions) == list(range(1, 25))


# --- knowledge entries: listing and deleting by prefix --------------------------------------

WILD_KEYS = ["a%b", "a%c", "a_b", "aXb", "ab", "abc", "A%b", "b"]


def test_list_by_prefix_takes_wildcards_literally(catalog: SqlCatalog) -> None:
    for key in WILD_KEYS:
        put(catalog, key)
    listed = lambda prefix: set(keys(catalog.list_kv(S, "s1", prefix=prefix)))  # noqa: E731
    assert listed("a%") == {"a%b", "a%c"}
    assert listed("a_") == {"a_b"}
    assert listed("ab") == {"ab", "abc"}
    assert listed("A") == {"A%b"}  # case-sensitive
    assert listed("abc") == {"abc"}
    assert listed("zz") == set()
    assert listed("") == set(WILD_KEYS)


def test_list_is_ordered_by_key_and_pages_with_a_cursor(catalog: SqlCatalog) -> None:
    names = [f"k{n:02}" for n in range(7)]
    for key in reversed(names):
        put(catalog, key)
    put(catalog, "other", owner="s2")
    put(catalog, "k99", scope=SRC)
    assert keys(catalog.list_kv(S, "s1")) == names
    walked, cursor, pages = [], None, 0
    while True:
        page = catalog.list_kv(S, "s1", prefix="k", limit=3, cursor=cursor)
        walked += keys(page)
        pages += 1
        if (cursor := page.next_cursor) is None:
            break
    assert (walked, pages) == (names, 3)
    last = catalog.list_kv(S, "s1", limit=7)
    assert (keys(last), last.next_cursor) == (names, None)


def test_list_checks_its_input(catalog: SqlCatalog) -> None:
    with pytest.raises(Invalid, match="cursor"):
        catalog.list_kv(S, "s1", cursor="not a cursor")
    with pytest.raises(Invalid, match="limit"):
        catalog.list_kv(S, "s1", limit=0)
    with pytest.raises(Invalid, match="owner"):
        catalog.list_kv(S, "no/owner")
    with pytest.raises(Invalid, match="prefix"):
        catalog.list_kv(S, "s1", prefix="a\x00")


def test_delete_by_prefix(catalog: SqlCatalog) -> None:
    for key in WILD_KEYS:
        put(catalog, key)
    put(catalog, "a%b", owner="s2")
    put(catalog, "a%b", scope=SRC)
    assert catalog.delete_kv_prefix(S, "s1", "a%") == 2
    assert catalog.delete_kv_prefix(S, "s1", "a%") == 0
    assert set(keys(catalog.list_kv(S, "s1"))) == set(WILD_KEYS) - {"a%b", "a%c"}
    assert catalog.delete_kv_prefix(S, "s1", "") == len(WILD_KEYS) - 2
    assert catalog.list_kv(S, "s1").items == ()
    assert keys(catalog.list_kv(S, "s2")) == keys(catalog.list_kv(SRC, "s1")) == ["a%b"]


def test_deleting_a_session_deletes_its_entries(catalog: SqlCatalog) -> None:
    catalog.create_session(SessionRecord(id="s1", base_tree=object_id_of(b"t")))
    put(catalog, "a")
    put(catalog, "b")
    put(catalog, "a", scope=SRC)  # a source of the same name keeps its entries
    put(catalog, "a", owner="s2")
    catalog.delete_session("s1")
    assert catalog.list_kv(S, "s1").items == ()
    assert keys(catalog.list_kv(SRC, "s1")) == keys(catalog.list_kv(S, "s2")) == ["a"]


def test_a_failed_session_delete_keeps_its_entries(catalog: SqlCatalog) -> None:
    catalog.create_session(SessionRecord(id="s1", base_tree=object_id_of(b"t")))
    put(catalog, "a")
    with pytest.raises(PreconditionFailed):
        catalog.delete_session("s1", expected_version=7)
    assert keys(catalog.list_kv(S, "s1")) == ["a"]


def test_deleting_a_source_deletes_its_entries(catalog: SqlCatalog) -> None:
    catalog.create_source("sales")
    put(catalog, "a", scope=SRC, owner="sales")
    put(catalog, "a", scope=S, owner="sales")
    catalog.delete_source("sales")
    assert catalog.list_kv(SRC, "sales").items == ()
    assert keys(catalog.list_kv(S, "sales")) == ["a"]


# --- events --------------------------------------------------------------------------------


def test_append_and_list_events(catalog: SqlCatalog) -> None:
    full = event(
        "session.write",
        session_id="s1",
        source="sales",
        subject="a/b.csv",
        details={"bytes": 3, "paths": ["a/b.csv"]},
    )
    first = catalog.append_event(full)
    second = catalog.append_event(event("token.create", created_at=T0 + timedelta(seconds=1)))
    assert 0 < first.seq < second.seq
    assert first == replace(full, seq=first.seq)
    assert catalog.list_events().items == (first, second)


@pytest.fixture
def logged(catalog: SqlCatalog) -> list[EventRecord]:
    """Six events of two tenants, one second apart."""
    specs = [
        ("session.write", "acme", "s1"),
        ("session.commit", "acme", "s1"),
        ("sessions.list", "acme", None),
        ("token.create", "acme", None),
        ("session.write", "globex", "s2"),
        ("session", "acme", "s2"),
    ]
    return [
        catalog.append_event(
            event(kind, tenant=tenant, session_id=session, created_at=T0 + timedelta(seconds=n))
        )
        for n, (kind, tenant, session) in enumerate(specs)
    ]


def test_list_events_filters(catalog: SqlCatalog, logged: list[EventRecord]) -> None:
    def listed(**filters: Any) -> list[int]:
        return [logged.index(e) for e in catalog.list_events(**filters).items]

    assert listed() == [0, 1, 2, 3, 4, 5]
    assert listed(tenant="acme") == [0, 1, 2, 3, 5]
    assert listed(types=["session.*"]) == [0, 1, 4]
    assert listed(types=["session.*", "token.create"], tenant="acme") == [0, 1, 3]
    assert listed(types=["session"]) == [5]
    assert listed(types=["session.write"]) == [0, 4]
    assert listed(types=[]) == []
    assert listed(session_id="s2") == [4, 5]
    assert listed(since=T0 + timedelta(seconds=2)) == [2, 3, 4, 5]
    assert listed(until=T0 + timedelta(seconds=2)) == [0, 1]
    assert listed(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3)) == [1, 2]
    assert listed(after_seq=logged[3].seq) == [4, 5]
    assert listed(after_seq=logged[3].seq, tenant="acme") == [5]
    assert listed(after_seq=logged[5].seq) == []


def test_list_events_pages_by_seq(catalog: SqlCatalog, logged: list[EventRecord]) -> None:
    walked, cursor = [], None
    while True:
        page = catalog.list_events(tenant="acme", limit=2, cursor=cursor)
        walked += page.items
        if (cursor := page.next_cursor) is None:
            break
    assert walked == [logged[n] for n in (0, 1, 2, 3, 5)]
    after = catalog.list_events(after_seq=logged[0].seq, limit=2)
    assert after.items == (logged[1], logged[2])
    rest = catalog.list_events(after_seq=logged[0].seq, cursor=after.next_cursor)
    assert rest.items == tuple(logged[3:])


@pytest.mark.parametrize(
    ("record", "match"),
    [
        (event(""), "event type"),
        (event("x" * 256), "event type"),
        (event("a\nb"), "event type"),
        (event(tenant="no tenant"), "tenant"),
        (event(session_id="bad id"), "session id"),
        (event(source="bad/source"), "source name"),
        (event(details=["not", "a", "mapping"]), "details"),
        (event(details={"x": object()}), "JSON"),
        (event(created_at=datetime(2024, 1, 1)), "timezone"),
    ],
)
def test_append_event_checks_its_input(
    catalog: SqlCatalog, record: EventRecord, match: str
) -> None:
    with pytest.raises(Invalid, match=match):
        catalog.append_event(record)
    assert catalog.list_events().items == ()


def test_list_events_checks_its_input(catalog: SqlCatalog) -> None:
    with pytest.raises(Invalid, match="event types"):
        catalog.list_events(types="session.*")
    with pytest.raises(Invalid, match="after_seq"):
        catalog.list_events(after_seq=-1)
    with pytest.raises(Invalid, match="cursor"):
        catalog.list_events(cursor="x")
    with pytest.raises(Invalid, match="timezone"):
        catalog.list_events(since=datetime(2024, 1, 1))


# --- the bus -------------------------------------------------------------------------------


def test_publish_and_read(catalog: SqlCatalog) -> None:
    sent = message(body='{"text": "looks good"}', session_id="s1")
    stored = catalog.publish(sent)
    assert stored.seq > 0
    assert stored == replace(sent, seq=stored.seq)
    assert catalog.read_bus(tenant="acme") == [stored]
    assert catalog.read_bus(tenant="globex") == []


@pytest.fixture
def posted(catalog: SqlCatalog) -> list[BusMessage]:
    """Five messages: tenant-wide, for s1, for s2, another tenant's, for s1 again."""
    specs = [("acme", None), ("acme", "s1"), ("acme", "s2"), ("globex", None), ("acme", "s1")]
    return [
        catalog.publish(message(f"t{n}", tenant=tenant, session_id=session))
        for n, (tenant, session) in enumerate(specs)
    ]


def test_read_bus_scopes(catalog: SqlCatalog, posted: list[BusMessage]) -> None:
    def read(**filters: Any) -> list[int]:
        return [posted.index(m) for m in catalog.read_bus(**filters)]

    assert read(tenant="acme") == [0, 1, 2, 4]
    assert read(tenant="globex") == [3]
    assert read(tenant="acme", session_id="s1") == [0, 1, 4]
    assert read(tenant="acme", session_id="s1", include_tenant_wide=False) == [1, 4]
    assert read(tenant="acme", session_id="s3") == [0]
    assert read(tenant="globex", session_id="s1") == [3]
    assert read(tenant="acme", after_seq=posted[1].seq) == [2, 4]
    assert read(tenant="acme", session_id="s1", after_seq=posted[1].seq) == [4]
    assert read(tenant="acme", limit=2) == [0, 1]
    assert read(tenant="acme", after_seq=posted[4].seq) == []


def test_last_bus_seq(catalog: SqlCatalog) -> None:
    assert catalog.last_bus_seq(tenant="acme") == 0
    first = catalog.publish(message())
    other = catalog.publish(message(tenant="globex"))
    assert catalog.last_bus_seq(tenant="acme") == first.seq
    assert catalog.last_bus_seq(tenant="globex") == other.seq > first.seq


def test_prune_bus_by_age(catalog: SqlCatalog) -> None:
    sent = [catalog.publish(message(created_at=T0 + timedelta(minutes=n))) for n in range(4)]
    assert catalog.prune_bus(before=T0 + timedelta(minutes=2)) == 2
    assert catalog.read_bus(tenant="acme") == sent[2:]
    assert catalog.prune_bus(before=T0) == 0


def test_prune_bus_keeps_the_newest(catalog: SqlCatalog) -> None:
    sent = [catalog.publish(message(tenant=("acme", "globex")[n % 2])) for n in range(5)]
    assert catalog.prune_bus(keep_last=10) == 0
    assert catalog.prune_bus(keep_last=3) == 2  # counted across tenants
    assert catalog.read_bus(tenant="acme") == [sent[2], sent[4]]
    assert catalog.read_bus(tenant="globex") == [sent[3]]
    assert catalog.prune_bus() == 0


def test_prune_bus_by_age_or_count(catalog: SqlCatalog) -> None:
    sent = [catalog.publish(message(created_at=T0 + timedelta(minutes=n))) for n in range(5)]
    # Old (the first one) or beyond the newest three (the first two): both go.
    assert catalog.prune_bus(before=T0 + timedelta(minutes=1), keep_last=3) == 2
    assert catalog.read_bus(tenant="acme") == sent[2:]


def test_seqs_are_not_reused_after_pruning_everything(catalog: SqlCatalog) -> None:
    last = catalog.publish(message())
    assert catalog.prune_bus(keep_last=0) == 1
    assert catalog.last_bus_seq(tenant="acme") == 0
    assert catalog.publish(message()).seq > last.seq


@pytest.mark.parametrize(
    ("record", "match"),
    [
        (message(""), "topic"),
        (message("t" * 256), "topic"),
        (message(body="not json"), "JSON"),
        (message(body=b"{}"), "body"),
        (message(tenant=""), "tenant"),
        (message(session_id="a b"), "session id"),
        (message(created_at=datetime(2024, 1, 1)), "timezone"),
    ],
)
def test_publish_checks_its_input(catalog: SqlCatalog, record: BusMessage, match: str) -> None:
    with pytest.raises(Invalid, match=match):
        catalog.publish(record)
    assert catalog.read_bus(tenant="acme") == []


def test_bus_calls_check_their_input(catalog: SqlCatalog) -> None:
    with pytest.raises(Invalid, match="limit"):
        catalog.read_bus(tenant="acme", limit=1001)
    with pytest.raises(Invalid, match="after_seq"):
        catalog.read_bus(tenant="acme", after_seq=-1)
    with pytest.raises(Invalid, match="keep_last"):
        catalog.prune_bus(keep_last=-1)
    with pytest.raises(Invalid, match="timezone"):
        catalog.prune_bus(before=datetime(2024, 1, 1))


# --- ordering under concurrency -------------------------------------------------------------

WRITERS, PER_WRITER = 4, 50


def _poll_while_appending(
    race: Race, append: Callable[[int], int], read_after: Callable[[int], list[int]]
) -> tuple[list[int], list[int]]:
    """Writers append while one reader polls ``read_after(last seen seq)``; return the seqs
    the writers got and the seqs the reader saw, in the order it saw them."""
    expected = WRITERS * PER_WRITER
    deadline = time.monotonic() + 60

    def work(i: int) -> list[int]:
        if i < WRITERS:
            return [append(i) for _ in range(PER_WRITER)]
        seen: list[int] = []
        while len(seen) < expected and time.monotonic() < deadline:
            seen += read_after(seen[-1] if seen else 0)
        return seen

    *written, seen = race(work, threads=WRITERS + 1)
    assert not [r for r in [*written, seen] if isinstance(r, Exception)], [*written, seen]
    return sorted(seq for seqs in written for seq in seqs), seen


def test_bus_seqs_become_visible_in_order(catalog: SqlCatalog, race: Race) -> None:
    def append(i: int) -> int:
        return catalog.publish(message(session_id=f"s{i}")).seq

    def read_after(seq: int) -> list[int]:
        return [m.seq for m in catalog.read_bus(tenant="acme", after_seq=seq, limit=7)]

    written, seen = _poll_while_appending(race, append, read_after)
    assert len(written) == WRITERS * PER_WRITER
    assert seen == written  # strictly increasing and none missed


def test_event_seqs_become_visible_in_order(catalog: SqlCatalog, race: Race) -> None:
    def append(i: int) -> int:
        return catalog.append_event(event(session_id=f"s{i}")).seq

    def read_after(seq: int) -> list[int]:
        return [e.seq for e in catalog.list_events(tenant="acme", after_seq=seq, limit=7).items]

    written, seen = _poll_while_appending(race, append, read_after)
    assert len(written) == WRITERS * PER_WRITER
    assert seen == written
