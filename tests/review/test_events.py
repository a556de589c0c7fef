"""The audit log: types, filters, following."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Invalid
from aether_data.review import Events


def test_record_list_and_filter(catalog: SqlCatalog) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    clock = [start]
    events = Events(catalog, clock=lambda: clock[0])
    for minute, kind in enumerate(["session.create", "session.write", "source.commit"]):
        clock[0] = start + timedelta(minutes=minute)
        events.record("t", kind, "tok-1", session_id="s-1", subject="a.csv", details={"n": minute})
    events.record("u", "session.create", "tok-2")
    listed = events.list("t").items
    assert [e.type for e in listed] == ["session.create", "session.write", "source.commit"]
    assert (listed[1].actor, listed[1].subject, listed[1].details) == ("tok-1", "a.csv", {"n": 1})
    assert [e.type for e in events.list("t", types=["session.*"]).items] == [
        "session.create",
        "session.write",
    ]
    window = events.list(
        "t", since=start + timedelta(minutes=1), until=start + timedelta(minutes=2)
    )
    assert [e.type for e in window.items] == ["session.write"]
    page = events.list("t", limit=2)
    assert [e.type for e in events.list("t", cursor=page.next_cursor).items] == ["source.commit"]


def test_bad_types(catalog: SqlCatalog) -> None:
    events = Events(catalog)
    for kind in ["", "session", "Session.Write", "session..write", "session.write "]:
        with pytest.raises(Invalid):
            events.record("t", kind, "a")
    with pytest.raises(Invalid):
        events.list("t", types=["*"])


def test_follow_sees_new_events(catalog: SqlCatalog) -> None:
    events = Events(catalog)
    events.record("t", "session.create", "a")
    stop, got = threading.Event(), []

    def tail() -> None:
        for event in events.follow("t", types=["session.*"], poll=0.05, stop=stop):
            got.append(event.type)
            if len(got) == 3:
                return

    thread = threading.Thread(target=tail, daemon=True)
    thread.start()
    events.record("t", "source.create", "a")
    events.record("t", "session.write", "a")
    events.record("t", "session.retire", "a")
    thread.join(timeout=20)
    stop.set()
    assert got == ["session.create", "session.write", "session.retire"]
