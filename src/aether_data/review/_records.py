"""What the review kinds share: new ids, reading every page of a listing, and a
compare-and-set loop over one record."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

from aether_data.catalog import Catalog, ReviewKind, ReviewRecord
from aether_data.errors import Conflict, NotFound, PreconditionFailed

__all__ = ["all_records", "new_id", "owned_record", "update_record"]

_ATTEMPTS = 20


def new_id(prefix: str) -> str:
    """A fresh random id such as ``ann-3f9c...`` (16 hex digits after the prefix)."""
    return f"{prefix}-{secrets.token_hex(8)}"


def all_records(catalog: Catalog, kind: ReviewKind, **filters: Any) -> Iterator[ReviewRecord]:
    """Every record of ``kind`` that matches ``filters``, oldest first, page after page."""
    cursor = None
    while True:
        page = catalog.list_reviews(kind, limit=1000, cursor=cursor, **filters)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def owned_record(
    catalog: Catalog, kind: ReviewKind, record_id: str, session_id: str, what: str
) -> ReviewRecord:
    """The record ``record_id`` of ``kind`` if it belongs to ``session_id``; ``NotFound``
    otherwise (another session's record is as good as absent)."""
    try:
        record = catalog.get_review(record_id)
    except (NotFound, ValueError):
        record = None
    if record is None or record.kind is not kind or record.session_id != session_id:
        raise NotFound(f"no {what} {record_id!r} on session {session_id}")
    return record


def update_record(
    catalog: Catalog,
    record: ReviewRecord,
    change: Callable[[ReviewRecord], tuple[str, dict[str, Any]] | None],
) -> ReviewRecord:
    """Apply ``change`` (record -> new state and data, or None to leave it) by compare-and-set,
    reading the record again whenever another writer got there first."""
    for _ in range(_ATTEMPTS):
        wanted = change(record)
        if wanted is None:
            return record
        state, data = wanted
        try:
            return catalog.update_review(
                record.id, expected_version=record.version, state=state, data=data
            )
        except PreconditionFailed:
            record = catalog.get_review(record.id)
    raise Conflict(f"{record.kind.value} {record.id} kept changing; try again")
