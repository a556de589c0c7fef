"""Conversions between the records of reviews (knowledge entries, events, bus messages) and
table rows, checking each field on the way in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import _checks as check
from ._codec import from_micros, to_micros
from .records import BusMessage, EventRecord, KvRecord, KvScope

Row = Mapping[str, Any]


def kv_where(scope: object, owner: object, key: object) -> dict[str, Any]:
    """The checked primary key of a knowledge entry."""
    return {
        "scope": check.enum_value(KvScope, scope, "knowledge scope").value,
        "owner": check.kv_owner(owner),
        "key": check.kv_key(key),
    }


def kv_from_row(row: Row) -> KvRecord:
    return KvRecord(
        scope=KvScope(row["scope"]),
        owner=row["owner"],
        key=row["key"],
        value=bytes(row["value"]),  # PostgreSQL hands back a memoryview
        version=row["version"],
        author=row["author"],
        tenant=row["tenant"],
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
    )


def event_row(event: EventRecord) -> dict[str, Any]:
    """Check an event and return its row, without ``seq`` (the catalog assigns it)."""
    return {
        "tenant": check.tenant(event.tenant),
        "type": check.label(event.type, "event type"),
        "actor": check.text(event.actor, "actor"),
        "session_id": check.optional(check.session_id, event.session_id),
        "source": check.optional(check.source_name, event.source),
        "subject": check.optional(lambda t: check.text(t, "subject"), event.subject),
        "details": check.metadata(event.details, "event details"),
        "created_at": to_micros(event.created_at),
    }


def event_from_row(row: Row) -> EventRecord:
    return EventRecord(
        seq=row["seq"],
        tenant=row["tenant"],
        type=row["type"],
        actor=row["actor"],
        created_at=from_micros(row["created_at"]),
        session_id=row["session_id"],
        source=row["source"],
        subject=row["subject"],
        details=json.loads(row["details"]),
    )


def bus_row(message: BusMessage) -> dict[str, Any]:
    """Check a bus message and return its row, without ``seq`` (the catalog assigns it)."""
    return {
        "tenant": check.tenant(message.tenant),
        "session_id": check.optional(check.session_id, message.session_id),
        "topic": check.label(message.topic, "topic"),
        "body": check.json_text(message.body, "message body"),
        "author": check.text(message.author, "author"),
        "created_at": to_micros(message.created_at),
    }


def bus_from_row(row: Row) -> BusMessage:
    return BusMessage(
        seq=row["seq"],
        tenant=row["tenant"],
        topic=row["topic"],
        body=row["body"],
        author=row["author"],
        created_at=from_micros(row["created_at"]),
        session_id=row["session_id"],
    )
