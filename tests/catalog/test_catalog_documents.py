"""Catalog conformance for review records (annotations, approvals, check runs, branch
policies), on SQLite and PostgreSQL via ``catalog``."""

from __future__ import annotations

from typing import Any

import pytest

from aether_data.catalog import ReviewKind, ReviewRecord, SessionRecord, SqlCatalog
from aether_data.errors import Conflict, Invalid, NotFound, PreconditionFailed
from aether_data.ids import SessionId, SourceName, object_id_of

A = ReviewKind.ANNOTATION


def new(record_id: str = "ann-1", **fields: Any) -> ReviewRecord:
    defaults: dict[str, Any] = {
        "kind": A,
        "tenant": "acme",
        "state": "open",
        "author": "ada",
        "data": {"path": "a.txt", "n": 1},
        "session_id": SessionId("s1"),
    }
    return ReviewRecord(id=record_id, **(defaults | fields))


def test_create_then_get_round_trips(catalog: SqlCatalog) -> None:
    made = catalog.create_review(new(data={"path": "a.txt", "lines": [1, 2], "x": None}))
    got = catalog.get_review("ann-1")
    assert got == made
    assert (got.version, got.kind, got.state, got.author) == (1, A, "open", "ada")
    assert got.data == {"path": "a.txt", "lines": [1, 2], "x": None}
    assert got.created_at == got.updated_at


def test_create_refuses_a_taken_id(catalog: SqlCatalog) -> None:
    catalog.create_review(new())
    with pytest.raises(Conflict, match="ann-1"):
        catalog.create_review(new(state="resolved"))
    assert catalog.get_review("ann-1").state == "open"


@pytest.mark.parametrize(
    "fields",
    [
        {"data": ["not", "a", "mapping"]},
        {"state": ""},
        {"state": "x" * 33},
        {"tenant": "bad tenant"},
        {"session_id": "../s"},
    ],
)
def test_create_checks_fields(catalog: SqlCatalog, fields: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        catalog.create_review(new(**fields))
    with pytest.raises(NotFound):
        catalog.get_review("ann-1")


def test_update_is_compare_and_set(catalog: SqlCatalog) -> None:
    catalog.create_review(new())
    moved = catalog.update_review("ann-1", expected_version=1, state="resolved", data={"k": 2})
    assert (moved.version, moved.state, moved.data) == (2, "resolved", {"k": 2})
    assert moved.updated_at >= moved.created_at
    with pytest.raises(PreconditionFailed, match="expected version 1, found version 2"):
        catalog.update_review("ann-1", expected_version=1, state="open")
    kept = catalog.update_review("ann-1", expected_version=2, state="open")
    assert (kept.version, kept.state, kept.data) == (3, "open", {"k": 2})
    with pytest.raises(NotFound):
        catalog.update_review("nope", expected_version=1, state="open")


def test_concurrent_updates_lose_nothing(catalog: SqlCatalog, race) -> None:
    catalog.create_review(new(data={"count": 0}))

    def bump(_: int) -> None:
        while True:
            record = catalog.get_review("ann-1")
            data = {"count": record.data["count"] + 1}
            try:
                catalog.update_review("ann-1", expected_version=record.version, data=data)
                return
            except PreconditionFailed:
                continue

    assert not [r for r in race(bump) if isinstance(r, Exception)]
    assert catalog.get_review("ann-1").data == {"count": 8}


def test_list_filters_by_kind_owner_and_state_in_creation_order(catalog: SqlCatalog) -> None:
    for i in range(5):
        catalog.create_review(new(f"ann-{i}", state="open" if i % 2 else "resolved"))
    catalog.create_review(new("ann-other", session_id=SessionId("s2")))
    catalog.create_review(new("apr-1", kind=ReviewKind.APPROVAL, state="pending"))
    policy = new("pol-1", kind=ReviewKind.BRANCH_POLICY, session_id=None, source="src")
    catalog.create_review(policy)
    ids = [r.id for r in catalog.list_reviews(A, session_id=SessionId("s1")).items]
    assert ids == [f"ann-{i}" for i in range(5)]
    opened = catalog.list_reviews(A, session_id=SessionId("s1"), states=("open",))
    assert [r.id for r in opened.items] == ["ann-1", "ann-3"]
    policies = catalog.list_reviews(ReviewKind.BRANCH_POLICY, source=SourceName("src"))
    assert [r.id for r in policies.items] == ["pol-1"]
    assert len(catalog.list_reviews(A).items) == 6


def test_list_pages_with_cursors(catalog: SqlCatalog) -> None:
    for i in range(7):
        catalog.create_review(new(f"ann-{i}"))
    seen, cursor = [], None
    while True:
        page = catalog.list_reviews(A, limit=3, cursor=cursor)
        seen += [r.id for r in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [f"ann-{i}" for i in range(7)]


def test_delete_compares_version_when_asked(catalog: SqlCatalog) -> None:
    catalog.create_review(new())
    with pytest.raises(PreconditionFailed):
        catalog.delete_review("ann-1", expected_version=2)
    catalog.delete_review("ann-1", expected_version=1)
    with pytest.raises(NotFound):
        catalog.delete_review("ann-1")


def test_deleting_a_session_or_source_deletes_its_records(catalog: SqlCatalog) -> None:
    empty = object_id_of(b"")
    catalog.create_session(SessionRecord(id=SessionId("s1"), base_tree=empty, tenant="acme"))
    catalog.create_source(SourceName("src"), tenant="acme")
    catalog.create_review(new())
    catalog.create_review(new("ann-2", session_id=SessionId("s2")))
    catalog.create_review(
        new("pol-1", kind=ReviewKind.BRANCH_POLICY, session_id=None, source="src")
    )
    catalog.delete_session(SessionId("s1"))
    catalog.delete_source(SourceName("src"))
    remaining = [r.id for r in catalog.list_reviews(A).items]
    assert remaining == ["ann-2"]
    assert not catalog.list_reviews(ReviewKind.BRANCH_POLICY).items
