"""The audit log of the embedded API: every change is recorded once, by whom; a change to a
session's files and its event are stored in one transaction, so a failed change leaves none."""

from __future__ import annotations

import threading

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import PreconditionFailed
from aether_data.service import Services, open_services
from aether_data.settings import Settings


@pytest.fixture
def services(tmp_path, catalog_url: str) -> Services:
    """Services on each catalog engine (``catalog_url`` is parametrized in tests/conftest.py)."""
    settings = Settings.for_home(tmp_path).with_overrides(catalog_url=catalog_url)
    with open_services(settings) as opened:
        yield opened


def kinds(services: Services, tenant: str = "default") -> list[tuple[str, str | None]]:
    page = services.events.list(tenant, limit=1000)
    return [(e.type, e.subject) for e in page.items]


def test_every_change_is_recorded_with_its_actor(services: Services) -> None:
    ws = services.workspace(actor="tok-1")
    s = ws.create_session(name="audit")
    ws.write(s.id, "a.txt", b"1")
    ws.mkdir(s.id, "d")
    ws.rename(s.id, "a.txt", "d/a.txt")
    ws.symlink(s.id, "link", "d/a.txt")
    ws.delete(s.id, "link")
    ws.checkpoint(s.id, "c1")
    forked = ws.fork(s.id)
    ws.create_source("audited")
    assert kinds(services) == [
        ("session.create", None),
        ("file.write", "a.txt"),
        ("dir.create", "d"),
        ("file.rename", "a.txt"),
        ("link.create", "link"),
        ("file.delete", "link"),
        ("session.checkpoint", "c1"),
        ("session.fork", None),
        ("source.create", None),
    ]
    listed = services.events.list("default", limit=1000).items
    assert {e.actor for e in listed} == {"tok-1"}
    assert listed[0].session_id == s.id
    assert listed[3].details == {"to": "d/a.txt"}
    assert (listed[7].session_id, listed[7].details) == (forked.id, {"parent": s.id})
    assert listed[8].source == "audited"


def test_a_failed_or_empty_change_records_nothing(services: Services) -> None:
    ws = services.workspace()
    s = ws.create_session()
    ws.write(s.id, "a.txt", b"1")
    with pytest.raises(PreconditionFailed):
        ws.write(s.id, "a.txt", b"2", expected="0" * 64)
    ws.mkdir(s.id, "d")
    ws.mkdir(s.id, "d", exist_ok=True)  # nothing to change
    assert kinds(services) == [
        ("session.create", None),
        ("file.write", "a.txt"),
        ("dir.create", "d"),
    ]


def test_writers_racing_on_one_session_record_one_event_each(services: Services) -> None:
    ws = services.workspace()
    s = ws.create_session()
    other = services.workspace()  # the same process: its turns queue the writers

    def writer(i: int) -> None:
        for j in range(5):
            (ws if i % 2 else other).write(s.id, f"w{i}/{j}", b"x")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writes = [subject for kind, subject in kinds(services) if kind == "file.write"]
    assert sorted(writes) == sorted(f"w{i}/{j}" for i in range(6) for j in range(5))


def test_the_event_shares_the_change_transaction(services: Services) -> None:
    """A change refused by the catalog (a stale version) stores neither change nor event."""
    catalog: SqlCatalog = services.catalog  # type: ignore[assignment]
    s = services.workspace().create_session()
    event = services.events.make("default", "file.write", "x", session_id=s.id, subject="p")
    with pytest.raises(PreconditionFailed):
        catalog.apply_overlay(s.id, expected_version=99, changes={}, event=event)
    assert kinds(services) == [("session.create", None)]
    catalog.apply_overlay(s.id, expected_version=1, changes={}, event=event)
    assert kinds(services)[-1] == ("file.write", "p")
