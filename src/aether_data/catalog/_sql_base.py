"""What the parts of ``SqlCatalog`` share: transactions, inserts, keyset pages, versioned rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Insert, Table, and_, or_, select, update

from aether_data.errors import NotFound, PreconditionFailed

from . import _checks as check
from . import _codec as codec
from ._engine import transaction, translated_errors
from ._schema import sessions
from .records import Page

T = TypeVar("T")
Row = Mapping[str, Any]


class SqlBase:
    """Helpers on the engine that ``SqlCatalog`` opens; its other parts build on these."""

    _engine: Engine
    _guard: AbstractContextManager[Any]
    _write_turn: AbstractContextManager[Any]
    _now: Callable[[], datetime]
    _insert: Callable[[Table], Any]

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard, translated_errors(), transaction(self._engine, write=False) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with (
            self._write_turn,
            self._guard,
            translated_errors(),
            transaction(self._engine, write=True) as conn,
        ):
            yield conn

    def _micros(self) -> int:
        return codec.to_micros(self._now())

    def _insert_new(self, table: Table, values: Any) -> Insert:
        # The primary key decides: a row that exists already is left alone (rowcount 0).
        # SQLAlchemy reports an INSERT's rowcount only when asked to preserve it.
        insert_new = self._insert(table).values(values).on_conflict_do_nothing()
        return insert_new.execution_options(preserve_rowcount=True)

    def _page(
        self, query: Any, limit: int, cursor_of: Callable[[Row], str], record_of: Callable[[Row], T]
    ) -> Page[T]:
        """Run a keyset-ordered listing; one row past ``limit`` tells whether more follow."""
        limit = check.limit(limit)
        with self._read() as conn:
            rows = conn.execute(query.limit(limit + 1)).mappings().all()
        more, rows = len(rows) > limit, rows[:limit]
        next_cursor = cursor_of(rows[-1]) if more else None
        return Page(tuple(record_of(row) for row in rows), next_cursor)

    @staticmethod
    def _one(conn: Connection, query: Any, missing: str) -> Row:
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"no {missing}")
        return row

    def _bump(
        self,
        conn: Connection,
        key: str,
        expected_version: int | None,
        values: Mapping[str, Any] | None = None,
        table: Table = sessions,
    ) -> Row:
        """Bump the version of a session (or of a job: ``table``), compare-and-set on
        ``expected_version`` when given.

        Writing the row first also serialises concurrent writers of one session: the second
        waits for the row lock and then fails the version check.
        """
        where = [table.c.id == key]
        if expected_version is not None:
            where.append(table.c.version == check.version(expected_version))
        query = (
            update(table)
            .where(*where)
            .values(version=table.c.version + 1, updated_at=self._micros(), **(values or {}))
            .returning(*table.c)
        )
        row = conn.execute(query).mappings().first()
        if row is None:
            self._version_mismatch(conn, key, expected_version, table)
        return row  # type: ignore[return-value]

    def _version_mismatch(
        self, conn: Connection, key: str, expected: int | None, table: Table = sessions
    ) -> None:
        what = "session" if table is sessions else "job"
        query = select(table.c.version).where(table.c.id == key)
        found = self._one(conn, query, f"{what} {key!r}")["version"]
        raise PreconditionFailed(
            f"{what} {key!r}: expected version {expected}, found version {found}"
        )


def after(table: Table, cursor: str) -> Any:
    """Rows after the cursor's row in (created_at, id) order."""
    at, key = codec.decode_cursor(cursor)
    c = table.c
    return or_(c.created_at > at, and_(c.created_at == at, c.id > key))


def created_cursor(row: Row) -> str:
    """The cursor that continues a (created_at, id) listing after ``row``."""
    return codec.encode_cursor(row["created_at"], row["id"])


def id_cursor(row: Row) -> str:
    """The cursor that continues a listing ordered by ``id`` alone after ``row``."""
    return codec.encode_key_cursor(row["id"])
