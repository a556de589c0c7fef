"""Review records in ``SqlCatalog``: one table, compare-and-set on each row's version."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select, update

from aether_data.errors import Conflict, Invalid, PreconditionFailed
from aether_data.ids import SessionId, SourceName

from . import _checks as check
from ._codec import from_micros
from ._schema import review_records
from ._sql_base import Row, SqlBase, after, created_cursor
from .records import Page, ReviewKind, ReviewRecord

_MAX_STATE = 32


def _state(value: object) -> str:
    text = check.nonempty_text(value, "state")
    if len(text) > _MAX_STATE:
        raise Invalid(f"invalid state {text!r}: at most {_MAX_STATE} chars")
    return text


def _record(row: Row) -> ReviewRecord:
    return ReviewRecord(
        id=row["id"],
        kind=ReviewKind(row["kind"]),
        tenant=row["tenant"],
        state=row["state"],
        author=row["author"],
        data=json.loads(row["data"]),
        session_id=row["session_id"],
        source=row["source"],
        version=row["version"],
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
    )


class SqlReviewDocuments(SqlBase):
    """Annotations, approvals, check runs and branch policies as rows of ``review_records``."""

    def create_review(self, record: ReviewRecord) -> ReviewRecord:
        now = self._micros()
        row = {
            "id": check.job_id(record.id),
            "kind": check.enum_value(ReviewKind, record.kind, "review kind").value,
            "tenant": check.tenant(record.tenant),
            "session_id": check.optional(check.session_id, record.session_id),
            "source": check.optional(check.source_name, record.source),
            "state": _state(record.state),
            "author": check.text(record.author, "author"),
            "data": check.metadata(record.data, "review data"),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        with self._write() as conn:
            if not conn.execute(self._insert_new(review_records, row)).rowcount:
                raise Conflict(f"review record {record.id!r} exists")
        return _record(row)

    def get_review(self, record_id: str) -> ReviewRecord:
        with self._read() as conn:
            return _record(self._review_row(conn, record_id))

    @staticmethod
    def _review_row(conn: Connection, record_id: str) -> Row:
        query = select(review_records).where(review_records.c.id == record_id)
        return SqlBase._one(conn, query, f"review record {record_id!r}")

    def list_reviews(
        self,
        kind: ReviewKind,
        *,
        session_id: SessionId | None = None,
        source: SourceName | None = None,
        states: tuple[str, ...] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ReviewRecord]:
        c = review_records.c
        kind = check.enum_value(ReviewKind, kind, "review kind")
        query = select(review_records).where(c.kind == kind.value)
        if session_id is not None:
            query = query.where(c.session_id == check.session_id(session_id))
        if source is not None:
            query = query.where(c.source == check.source_name(source))
        if states is not None:
            query = query.where(c.state.in_([_state(s) for s in states]))
        if cursor is not None:
            query = query.where(after(review_records, cursor))
        query = query.order_by(c.created_at, c.id)
        return self._page(query, limit, created_cursor, _record)

    def update_review(
        self,
        record_id: str,
        *,
        expected_version: int,
        state: str | None = None,
        data: dict | None = None,
    ) -> ReviewRecord:
        changes: dict[str, Any] = {"updated_at": self._micros()}
        if state is not None:
            changes["state"] = _state(state)
        if data is not None:
            changes["data"] = check.metadata(data, "review data")
        c = review_records.c
        query = (
            update(review_records)
            .where(c.id == record_id, c.version == check.version(expected_version))
            .values(version=c.version + 1, **changes)
            .returning(*review_records.c)
        )
        with self._write() as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                self._review_mismatch(conn, record_id, expected_version)
        return _record(row)  # type: ignore[arg-type]

    def delete_review(self, record_id: str, *, expected_version: int | None = None) -> None:
        c = review_records.c
        where = [c.id == record_id]
        if expected_version is not None:
            where.append(c.version == check.version(expected_version))
        with self._write() as conn:
            if not conn.execute(delete(review_records).where(*where)).rowcount:
                self._review_mismatch(conn, record_id, expected_version)

    def _review_mismatch(self, conn: Connection, record_id: str, expected: int | None) -> None:
        found = self._review_row(conn, record_id)["version"]
        raise PreconditionFailed(
            f"review record {record_id!r}: expected version {expected}, found version {found}"
        )

    @staticmethod
    def _delete_reviews_of(conn: Connection, column: str, owner: str) -> None:
        """Delete an owner's review records, in the transaction that deletes the owner."""
        conn.execute(delete(review_records).where(review_records.c[column] == owner))
