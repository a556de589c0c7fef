"""Conversions between records and table rows. Times are stored as integer microseconds since
the Unix epoch (UTC): portable across engines, exact, and cheap to compare for keyset paging."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aether_data.errors import Invalid
from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName

from . import _checks as check
from .records import (
    CheckpointRecord,
    CommitRecord,
    JobRecord,
    JobStatus,
    OverlayEntry,
    OverlayKind,
    RefKind,
    RefRecord,
    SessionRecord,
    SessionStatus,
    SourceRecord,
    TokenRecord,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

Row = Mapping[str, Any]


def to_micros(moment: object) -> int:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise Invalid(f"invalid timestamp {moment!r}: want a timezone-aware datetime")
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICRO


def _pack(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _fits(part: object, kind: type) -> bool:
    # bool is an int to isinstance, but never a valid key part.
    return isinstance(part, kind) and not isinstance(part, bool)


def _unpack(cursor: str, *types: type) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise Invalid(f"invalid cursor {cursor!r}") from exc
    if not isinstance(key, list) or len(key) != len(types) or not all(map(_fits, key, types)):
        raise Invalid(f"invalid cursor {cursor!r}")
    return key


def encode_cursor(created_at: int, key: str) -> str:
    """Cursor of a listing ordered by (created_at, key)."""
    return _pack([created_at, key])


def decode_cursor(cursor: str) -> tuple[int, str]:
    created_at, key = _unpack(cursor, int, str)
    return created_at, key


def encode_key_cursor(key: str) -> str:
    """Cursor of a listing ordered by a unique text key alone (a name, an id)."""
    return _pack([key])


def decode_key_cursor(cursor: str) -> str:
    return _unpack(cursor, str)[0]


def encode_seq_cursor(seq: int) -> str:
    """Cursor of a listing ordered by a sequence number."""
    return _pack([seq])


def decode_seq_cursor(cursor: str) -> int:
    return _unpack(cursor, int)[0]


def optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def optional_datetime(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def source_from_row(row: Row) -> SourceRecord:
    return SourceRecord(
        name=SourceName(row["name"]),
        tenant=row["tenant"],
        default_branch=RefName(row["default_branch"]),
        description=row["description"],
        created_at=from_micros(row["created_at"]),
        metadata=json.loads(row["metadata"]),
    )


def ref_from_row(row: Row) -> RefRecord:
    return RefRecord(
        source=SourceName(row["source"]),
        name=RefName(row["name"]),
        kind=RefKind(row["kind"]),
        commit_id=ObjectId(row["commit_id"]),
        updated_at=from_micros(row["updated_at"]),
    )


def commit_row(source: str, record: CommitRecord) -> dict[str, Any]:
    return {
        "source": source,
        "commit_id": check.object_id(record.commit_id),
        "tree_id": check.object_id(record.tree_id),
        "parents": json.dumps([check.object_id(p) for p in record.parents]),
        "author": check.text(record.author, "author"),
        "message": check.text(record.message, "message"),
        "committed_at": to_micros(record.committed_at),
    }


def commit_from_row(row: Row) -> CommitRecord:
    return CommitRecord(
        commit_id=ObjectId(row["commit_id"]),
        tree_id=ObjectId(row["tree_id"]),
        parents=tuple(ObjectId(p) for p in json.loads(row["parents"])),
        author=row["author"],
        message=row["message"],
        committed_at=from_micros(row["committed_at"]),
    )


# Each changeable session field: its check, returning the column value.
SESSION_CHANGES: dict[str, Any] = {
    "name": lambda v: check.optional(lambda t: check.text(t, "session name"), v),
    "status": lambda v: check.enum_value(SessionStatus, v, "session status").value,
    "tags": lambda v: json.dumps(check.tags(v)),
    "base_commit": lambda v: check.optional(check.object_id, v),
    "base_tree": check.object_id,
    "source": lambda v: check.optional(check.source_name, v),
    "ref": lambda v: check.optional(check.ref_name, v),
    "metadata": check.metadata,
}


def session_changes(changes: Mapping[str, object]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(SESSION_CHANGES))
    if unknown:
        raise Invalid(f"cannot change session field(s) {', '.join(unknown)}")
    return {key: SESSION_CHANGES[key](value) for key, value in changes.items()}


def session_row(record: SessionRecord) -> dict[str, Any]:
    """Check a new session record and return its row; a new session starts at version 1."""
    fields = {key: getattr(record, key) for key in SESSION_CHANGES}
    return {
        "id": check.session_id(record.id),
        "tenant": check.tenant(record.tenant),
        **session_changes(fields),
        "created_at": to_micros(record.created_at),
        "updated_at": to_micros(record.updated_at),
        "version": 1,
    }


def session_from_row(row: Row) -> SessionRecord:
    return SessionRecord(
        id=SessionId(row["id"]),
        tenant=row["tenant"],
        name=row["name"],
        source=None if row["source"] is None else SourceName(row["source"]),
        ref=None if row["ref"] is None else RefName(row["ref"]),
        base_commit=None if row["base_commit"] is None else ObjectId(row["base_commit"]),
        base_tree=ObjectId(row["base_tree"]),
        status=SessionStatus(row["status"]),
        tags=tuple(json.loads(row["tags"])),
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
        version=row["version"],
        metadata=json.loads(row["metadata"]),
    )


def token_row(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": check.token_id(record.id),
        "tenant": check.tenant(record.tenant),
        "name": check.text(record.name, "token name"),
        "secret_hash": check.secret_hash(record.secret_hash),
        "scopes": json.dumps(check.scopes(record.scopes), separators=(",", ":")),
        "created_at": to_micros(record.created_at),
        "expires_at": optional_micros(record.expires_at),
        "revoked_at": optional_micros(record.revoked_at),
    }


def token_from_row(row: Row) -> TokenRecord:
    return TokenRecord(
        id=row["id"],
        tenant=row["tenant"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        scopes=tuple(json.loads(row["scopes"])),
        created_at=from_micros(row["created_at"]),
        expires_at=optional_datetime(row["expires_at"]),
        revoked_at=optional_datetime(row["revoked_at"]),
    )


def job_changes(
    status: JobStatus | None, error: str | None, commit_id: ObjectId | None
) -> dict[str, Any]:
    """Check the given job fields and return their column values; ``None`` leaves one as is."""
    changes = {
        "status": check.optional(
            lambda v: check.enum_value(JobStatus, v, "job status").value, status
        ),
        "error": check.optional(lambda t: check.text(t, "job error"), error),
        "commit_id": check.optional(check.object_id, commit_id),
    }
    return {key: value for key, value in changes.items() if value is not None}


def job_row(record: JobRecord) -> dict[str, Any]:
    """Check a new job record and return its row; a new job starts at version 1."""
    return {
        "id": check.job_id(record.id),
        "tenant": check.tenant(record.tenant),
        "source": check.source_name(record.source),
        "origin": check.nonempty_text(record.origin, "job origin"),
        "options": check.metadata(record.options, "job options"),
        "status": check.enum_value(JobStatus, record.status, "job status").value,
        "error": check.optional(lambda t: check.text(t, "job error"), record.error),
        "commit_id": check.optional(check.object_id, record.commit_id),
        "created_at": to_micros(record.created_at),
        "updated_at": to_micros(record.updated_at),
        "version": 1,
    }


def job_from_row(row: Row) -> JobRecord:
    commit_id = row["commit_id"]
    return JobRecord(
        id=row["id"],
        tenant=row["tenant"],
        source=SourceName(row["source"]),
        origin=row["origin"],
        options=json.loads(row["options"]),
        status=JobStatus(row["status"]),
        error=row["error"],
        commit_id=None if commit_id is None else ObjectId(commit_id),
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
        version=row["version"],
    )


def entry_from_row(row: Row) -> OverlayEntry:
    object_id = row["object_id"]
    return OverlayEntry(
        OverlayKind(row["kind"]), None if object_id is None else ObjectId(object_id), row["size"]
    )


def checkpoint_from_row(row: Row) -> CheckpointRecord:
    return CheckpointRecord(
        session_id=SessionId(row["session_id"]),
        name=CheckpointName(row["name"]),
        tree_id=ObjectId(row["tree_id"]),
        message=row["message"],
        created_at=from_micros(row["created_at"]),
    )
