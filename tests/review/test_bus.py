"""The bus: globs, scopes, replay, following across replicas and restarts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Invalid, TooLarge
from aether_data.review import Bus, topic_matches


@pytest.fixture
def bus(catalog: SqlCatalog) -> Bus:
    return Bus(catalog)


def topics(messages) -> list[str]:
    return [m.topic for m in messages]


def test_globs() -> None:
    assert topic_matches("tests:unit", ["tests:*"])
    assert not topic_matches("lint:sql", ["tests:*"])
    assert topic_matches("a/b/c", ["a/*"])  # * crosses separators, as in fnmatch
    assert topic_matches("run-7", ["run-[0-9]"])
    assert not topic_matches("Tests:x", ["tests:*"])  # case counts
    with pytest.raises(Invalid):
        topic_matches("x", ["has space"])


def test_publish_and_read_by_pattern_and_scope(bus: Bus) -> None:
    bus.publish("t", "tests:unit", {"passed": 10}, author="ci", session_id="s-1")
    bus.publish("t", "tests:e2e", {"passed": 2}, author="ci", session_id="s-2")
    bus.publish("t", "deploy", "go", author="ops")  # tenant-wide
    bus.publish("u", "tests:unit", 1, author="ci")  # another tenant
    assert topics(bus.read("t")) == ["tests:unit", "tests:e2e", "deploy"]
    assert topics(bus.read("t", ["tests:*"])) == ["tests:unit", "tests:e2e"]
    assert topics(bus.read("t", session_id="s-1")) == ["tests:unit", "deploy"]
    assert topics(bus.read("t", session_id="s-1", session_only=True)) == ["tests:unit"]
    first = bus.read("t")[0]
    assert (first.body, first.author, first.session_id) == ('{"passed":10}', "ci", "s-1")
    assert topics(bus.read("t", after_seq=first.seq)) == ["tests:e2e", "deploy"]
    assert topics(bus.read("t", ["tests:*", "deploy"], last=2)) == ["tests:e2e", "deploy"]


def test_bad_input(bus: Bus) -> None:
    for topic in ["", "has space", "-lead", "x" * 256]:
        with pytest.raises(Invalid):
            bus.publish("t", topic, 1, author="a")
    with pytest.raises(Invalid):
        bus.publish("t", "ok", {1, 2}, author="a")  # not JSON
    with pytest.raises(Invalid):
        bus.publish("t", "ok", float("nan"), author="a")
    with pytest.raises(TooLarge):
        bus.publish("t", "ok", "x" * (256 << 10), author="a")
    with pytest.raises(Invalid):
        bus.read("t", session_only=True)
    with pytest.raises(Invalid):
        bus.read("t", [])
    assert bus.read("t") == []


def collect(bus: Bus, count: int, **kw) -> tuple[threading.Thread, list, threading.Event]:
    got: list = []
    stop = threading.Event()

    def run() -> None:
        for message in bus.subscribe("t", poll=0.05, stop=stop, **kw):
            got.append(message)
            if len(got) == count:
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, got, stop


def test_two_subscribers_get_every_message_in_order(
    open_catalog: Callable[[], SqlCatalog],
) -> None:
    """Subscribers on one replica; publishers on it and on another (seen by polling)."""
    here, there = Bus(open_catalog()), Bus(open_catalog())
    subscribers = [collect(here, 100, after_seq=0) for _ in range(2)]

    def publisher(bus: Bus, name: str) -> None:
        for i in range(50):
            bus.publish("t", f"n:{name}", i, author=name)

    publishers = [
        threading.Thread(target=publisher, args=(bus, name))
        for bus, name in ((here, "a"), (there, "b"))
    ]
    for t in publishers:
        t.start()
    for t in publishers:
        t.join()
    expected = here.read("t", limit=1000)
    assert len(expected) == 100
    for thread, got, stop in subscribers:
        thread.join(timeout=20)
        stop.set()
        assert [m.seq for m in got] == [m.seq for m in expected]
    seqs = [m.seq for m in expected]
    assert seqs == sorted(set(seqs))
    by_publisher = [m.body for m in expected if m.topic == "n:a"]
    assert by_publisher == [str(i) for i in range(50)]  # each publisher's order is kept


def test_resuming_after_a_restart_has_no_gap_and_no_duplicate(
    open_catalog: Callable[[], SqlCatalog],
) -> None:
    before = Bus(open_catalog())
    for i in range(5):
        before.publish("t", "jobs", i, author="a")
    seen = before.read("t", limit=3)
    resume_at = seen[-1].seq
    before.catalog.close()  # the server stops
    after = Bus(open_catalog())  # and starts again
    for i in range(5, 8):
        after.publish("t", "jobs", i, author="a")
    thread, got, stop = collect(after, 5, after_seq=resume_at)
    thread.join(timeout=20)
    stop.set()
    assert [m.body for m in seen + got] == [str(i) for i in range(8)]


def test_subscribe_with_last_then_follow_and_only_new(bus: Bus) -> None:
    for i in range(4):
        bus.publish("t", "tests:unit" if i % 2 else "other", i, author="a")
    replaying, got, stop = collect(bus, 3, patterns=["tests:*"], last=2)
    fresh, fresh_got, fresh_stop = collect(bus, 1, patterns=["tests:*"])
    threading.Event().wait(0.2)  # let both reach the end of the log
    bus.publish("t", "tests:unit", 4, author="a")
    for thread in (replaying, fresh):
        thread.join(timeout=20)
    stop.set()
    fresh_stop.set()
    assert [m.body for m in got] == ["1", "3", "4"]
    assert [m.body for m in fresh_got] == ["4"]


def test_prune_by_age_and_count(catalog: SqlCatalog) -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    clock = [now - timedelta(days=9)]
    bus = Bus(catalog, clock=lambda: clock[0])
    for day in range(10):
        clock[0] = now - timedelta(days=9 - day)
        bus.publish("t", "daily", day, author="cron")
    assert bus.prune(before=now - timedelta(days=5)) == 4
    assert bus.prune(keep_last=3) == 3
    assert [m.body for m in bus.read("t")] == ["7", "8", "9"]
    with pytest.raises(Invalid):
        bus.prune(keep_last=-1)
