"""The records of reviews in ``SqlCatalog``: knowledge entries, the event log and the bus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, false, func, insert, or_, select, text, update

from aether_data.errors import Invalid, PreconditionFailed

from . import _checks as check
from . import _codec as codec
from . import _codec_review as review_codec
from ._schema import bus_messages, events, kv_entries
from ._sql_base import Row, SqlBase
from .records import BusMessage, EventRecord, KvRecord, KvScope, Page

# Keys of the PostgreSQL advisory locks that make appends to a log take turns; any constants
# work, as long as every process uses the same ones.
_EVENTS_TURN = 0x61657468_6501
_BUS_TURN = 0x61657468_6502

_KV_KEY = (kv_entries.c.scope, kv_entries.c.owner, kv_entries.c.key)


def _kv_is(where: dict[str, Any]) -> list[Any]:
    return [column == where[column.name] for column in _KV_KEY]


def _kv_name(where: dict[str, Any]) -> str:
    return f"knowledge entry {where['key']!r} of {where['scope']} {where['owner']!r}"


def _starts_with(column: Any, prefix: str) -> Any:
    # Not LIKE: '%' and '_' in a prefix are literal, and SQLite's LIKE ignores case.
    return func.substr(column, 1, len(prefix)) == prefix


def _seq_cursor(row: Row) -> str:
    return codec.encode_seq_cursor(row["seq"])


def _key_cursor(row: Row) -> str:
    return codec.encode_key_cursor(row["key"])


class SqlReviewRecords(SqlBase):
    """Knowledge entries are versioned rows; events and bus messages are append-only logs."""

    # --- knowledge entries ---------------------------------------------------------------

    def put_kv(
        self,
        scope: KvScope,
        owner: str,
        key: str,
        value: bytes,
        *,
        author: str,
        tenant: str,
        expected_version: int | None = None,
    ) -> KvRecord:
        where = review_codec.kv_where(scope, owner, key)
        now = self._micros()
        changes = {
            "value": check.blob(value, "value"),
            "author": check.text(author, "author"),
            "updated_at": now,
        }
        new = where | changes | {"tenant": check.tenant(tenant), "version": 1, "created_at": now}
        expected = check.optional(check.expected_version, expected_version)
        with self._write() as conn:
            if expected is None:
                row = self._upsert_kv(conn, new, changes)
            elif expected == 0:
                row = self._create_kv(conn, new)
            else:
                row = self._replace_kv(conn, where, expected, changes)
        return review_codec.kv_from_row(row)

    def _upsert_kv(self, conn: Connection, new: Row, changes: Row) -> Row:
        # One statement, so concurrent writers of a key cannot both create it.
        upsert = self._insert(kv_entries).values(new)
        bumped = {name: upsert.excluded[name] for name in changes}
        upsert = upsert.on_conflict_do_update(
            index_elements=list(_KV_KEY), set_=bumped | {"version": kv_entries.c.version + 1}
        ).returning(*kv_entries.c)
        return conn.execute(upsert).mappings().one()

    def _create_kv(self, conn: Connection, new: Row) -> Row:
        if not conn.execute(self._insert_new(kv_entries, new)).rowcount:
            self._kv_mismatch(conn, new, 0)
        return new

    def _replace_kv(
        self, conn: Connection, where: dict[str, Any], expected: int, changes: Row
    ) -> Row:
        # The row lock taken by the UPDATE makes the compare atomic (PostgreSQL re-checks the
        # WHERE after waiting for a concurrent writer; SQLite has one writer at a time).
        query = (
            update(kv_entries)
            .where(*_kv_is(where), kv_entries.c.version == expected)
            .values(version=kv_entries.c.version + 1, **changes)
            .returning(*kv_entries.c)
        )
        row = conn.execute(query).mappings().first()
        if row is None:
            self._kv_mismatch(conn, where, expected)
        return row  # type: ignore[return-value]

    @staticmethod
    def _kv_mismatch(conn: Connection, where: Row, expected: int) -> None:
        query = select(kv_entries.c.version).where(*_kv_is(dict(where)))
        found = conn.execute(query).scalar()
        wanted = f"version {expected}" if expected else "no entry"
        seen = "no entry" if found is None else f"version {found}"
        raise PreconditionFailed(f"{_kv_name(dict(where))}: expected {wanted}, found {seen}")

    def get_kv(self, scope: KvScope, owner: str, key: str) -> KvRecord:
        where = review_codec.kv_where(scope, owner, key)
        with self._read() as conn:
            row = self._one(conn, select(kv_entries).where(*_kv_is(where)), _kv_name(where))
        return review_codec.kv_from_row(row)

    def delete_kv(
        self, scope: KvScope, owner: str, key: str, *, expected_version: int | None = None
    ) -> None:
        where = review_codec.kv_where(scope, owner, key)
        conditions = _kv_is(where)
        expected = check.optional(check.expected_version, expected_version)
        if expected is not None:
            conditions.append(kv_entries.c.version == expected)
        with self._write() as conn:
            if conn.execute(delete(kv_entries).where(*conditions)).rowcount:
                return
            query = select(kv_entries.c.version).where(*_kv_is(where))
            self._one(conn, query, _kv_name(where))
            self._kv_mismatch(conn, where, expected)  # type: ignore[arg-type]

    def list_kv(
        self,
        scope: KvScope,
        owner: str,
        *,
        prefix: str = "",
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[KvRecord]:
        query = select(kv_entries).where(*self._kv_under(scope, owner, prefix))
        if cursor is not None:
            query = query.where(kv_entries.c.key > codec.decode_key_cursor(cursor))
        query = query.order_by(kv_entries.c.key)
        return self._page(query, limit, _key_cursor, review_codec.kv_from_row)

    def delete_kv_prefix(self, scope: KvScope, owner: str, prefix: str) -> int:
        query = delete(kv_entries).where(*self._kv_under(scope, owner, prefix))
        with self._write() as conn:
            return conn.execute(query).rowcount

    @staticmethod
    def _kv_under(scope: KvScope, owner: str, prefix: str) -> list[Any]:
        c = kv_entries.c
        where = [
            c.scope == check.enum_value(KvScope, scope, "knowledge scope").value,
            c.owner == check.kv_owner(owner),
        ]
        if check.kv_key(prefix, "key prefix"):
            where.append(_starts_with(c.key, prefix))
        return where

    @staticmethod
    def _delete_kv_of(conn: Connection, scope: KvScope, owner: str) -> None:
        """Delete an owner's entries, in the transaction that deletes the owner."""
        c = kv_entries.c
        conn.execute(delete(kv_entries).where(c.scope == scope.value, c.owner == owner))

    # --- the logs: events and the bus ----------------------------------------------------

    @staticmethod
    def _take_turn(conn: Connection, key: int) -> None:
        """Make appends to one log commit in the order of their seqs, so that a reader that
        has seen seq n can never later find a new row below n.

        PostgreSQL draws seqs before commit, so two appends could commit out of order; this lock
        is held until the append commits. SQLite writers take turns anyway.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def _append(self, table: Any, turn: int, row: Row) -> int:
        with self._write() as conn:
            self._take_turn(conn, turn)
            return conn.execute(insert(table).values(row).returning(table.c.seq)).scalar_one()

    # --- events --------------------------------------------------------------------------

    def append_event(self, event: EventRecord) -> EventRecord:
        with self._write() as conn:
            return self._insert_event(conn, event)

    def _insert_event(self, conn: Connection, event: EventRecord) -> EventRecord:
        """Append ``event`` within the caller's write transaction (last: the turn it takes
        is held until commit, so nothing else may wait on a lock after it)."""
        row = review_codec.event_row(event)
        self._take_turn(conn, _EVENTS_TURN)
        seq = conn.execute(insert(events).values(row).returning(events.c.seq)).scalar_one()
        return review_codec.event_from_row(row | {"seq": seq})

    def list_events(
        self,
        *,
        tenant: str | None = None,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[EventRecord]:
        c = events.c
        query = select(events).where(c.seq > check.count(after_seq, "after_seq")).order_by(c.seq)
        if tenant is not None:
            query = query.where(c.tenant == tenant)
        if types is not None:
            query = query.where(_of_types(types))
        if session_id is not None:
            query = query.where(c.session_id == session_id)
        if since is not None:
            query = query.where(c.created_at >= codec.to_micros(since))
        if until is not None:
            query = query.where(c.created_at < codec.to_micros(until))
        if cursor is not None:
            query = query.where(c.seq > codec.decode_seq_cursor(cursor))
        return self._page(query, limit, _seq_cursor, review_codec.event_from_row)

    # --- the bus -------------------------------------------------------------------------

    def publish(self, message: BusMessage) -> BusMessage:
        row = review_codec.bus_row(message)
        seq = self._append(bus_messages, _BUS_TURN, row)
        return review_codec.bus_from_row(row | {"seq": seq})

    def read_bus(
        self,
        *,
        tenant: str,
        after_seq: int = 0,
        session_id: str | None = None,
        include_tenant_wide: bool = True,
        limit: int = 1000,
    ) -> list[BusMessage]:
        c = bus_messages.c
        where = [c.tenant == tenant, c.seq > check.count(after_seq, "after_seq")]
        if session_id is not None:
            mine = c.session_id == session_id
            where.append(or_(mine, c.session_id.is_(None)) if include_tenant_wide else mine)
        query = select(bus_messages).where(*where).order_by(c.seq).limit(check.limit(limit))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [review_codec.bus_from_row(row) for row in rows]

    def last_bus_seq(self, *, tenant: str) -> int:
        c = bus_messages.c
        query = select(func.coalesce(func.max(c.seq), 0)).where(c.tenant == tenant)
        with self._read() as conn:
            return conn.execute(query).scalar_one()

    def prune_bus(self, *, before: datetime | None = None, keep_last: int | None = None) -> int:
        c = bus_messages.c
        doomed = [] if before is None else [c.created_at < codec.to_micros(before)]
        keep = check.optional(lambda n: check.count(n, "keep_last"), keep_last)
        with self._write() as conn:
            if keep is not None:
                newest = select(c.seq).order_by(c.seq.desc()).offset(keep).limit(1)
                cutoff = conn.execute(newest).scalar()
                doomed += [] if cutoff is None else [c.seq <= cutoff]
            if not doomed:
                return 0
            return conn.execute(delete(bus_messages).where(or_(*doomed))).rowcount


def _of_types(types: Sequence[str]) -> Any:
    """Events of any of ``types``; one ending in ``.*`` names every type with that prefix."""
    if isinstance(types, str):
        raise Invalid(f"invalid event types {types!r}: want a list of strings")
    checked = [check.label(kind, "event type") for kind in types]
    exact = [kind for kind in checked if not kind.endswith(".*")]
    prefixes = [kind[:-1] for kind in checked if kind.endswith(".*")]
    wanted = [events.c.type.in_(exact)] if exact else []
    wanted += [_starts_with(events.c.type, prefix) for prefix in prefixes]
    return or_(*wanted) if wanted else false()
