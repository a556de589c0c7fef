"""Engines for the two catalog databases, write transactions, migrations and error translation."""

from __future__ import annotations

import contextlib
import importlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from aether_data.errors import Conflict, Invalid, MissingExtra, Unavailable

_MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_REVISION = "0005"
"""The newest migration; a catalog already there opens without loading Alembic (a test keeps
this equal to the migrations' head)."""
_WRITE = "aether_write"
# Any constant works; it only has to be the same for every process migrating this database.
_MIGRATION_LOCK = 0x61657468_6572
_MEMORY = {None, "", ":memory:"}
_SQLITE_NEEDED = (3, 35)


def open_engine(url: str, *, busy_timeout: float) -> tuple[Engine, AbstractContextManager[Any]]:
    """Return the engine for ``url`` and the guard every transaction must hold.

    The guard is a lock only for in-memory SQLite, whose single shared connection cannot run
    two transactions at once; elsewhere the database itself arbitrates.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, busy_timeout)
    if backend in ("postgresql", "postgres"):
        return _postgres_engine(parsed), nullcontext()
    raise Invalid(
        f"unsupported catalog URL {parsed.render_as_string()!r}: want sqlite or postgresql"
    )


def _postgres_engine(url: URL) -> Engine:
    try:
        importlib.import_module("psycopg")
    except ImportError as exc:
        raise MissingExtra("psycopg", "postgres", "a PostgreSQL catalog") from exc
    # Plain "postgresql://" would pick psycopg2, which the project does not depend on.
    # 10 kept + 20 more under load per process; size PostgreSQL's max_connections for the
    # number of replicas (docs/operations.md).
    return create_engine(
        url.set(drivername="postgresql+psycopg"),
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
    )


def _sqlite_engine(url: URL, busy_timeout: float) -> tuple[Engine, AbstractContextManager[Any]]:
    if sqlite3.sqlite_version_info < _SQLITE_NEEDED:
        raise RuntimeError(
            f"the catalog needs SQLite {'.'.join(map(str, _SQLITE_NEEDED))} or newer "
            f"(UPDATE ... RETURNING); this Python links SQLite {sqlite3.sqlite_version}"
        )
    if url.database in _MEMORY:
        engine = create_engine(
            url.set(database=":memory:"),
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        guard: AbstractContextManager[Any] = threading.RLock()
    else:
        database = Path(url.database).expanduser()  # type: ignore[arg-type]
        database.parent.mkdir(parents=True, exist_ok=True)
        # Connections are cheap but each new one repeats the PRAGMAs: keep as many as the
        # server's worker threads use (anyio's default is 40), so none is opened per request.
        engine = create_engine(url.set(database=str(database)), pool_size=40, max_overflow=40)
        guard = nullcontext()
    _configure_sqlite(engine, busy_timeout)
    return engine, guard


def _enable_wal(cursor: Any, deadline: float) -> None:
    # Switching a fresh file to WAL needs an exclusive lock, and SQLite answers "locked" at once,
    # without its busy handler, while another connection is doing the same; so we wait here.
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own implicit BEGIN is deferred; we emit BEGIN ourselves (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        _enable_wal(cursor, deadline=time.monotonic() + busy_timeout)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that later writes cannot wait for the lock (SQLITE_BUSY at
        # once); taking the write lock up front makes concurrent writers queue instead.
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """Run the block in one transaction; on SQLite a write transaction holds the write lock."""
    with engine.connect() as conn:
        if write:
            conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn database errors that have a meaning for callers into the project's errors."""
    try:
        yield
    except exc.IntegrityError as error:
        raise Conflict(f"the change clashes with the catalog's state: {error.orig}") from error
    except exc.DataError as error:
        raise Invalid(f"the catalog refused a value: {error.orig}") from error
    except exc.OperationalError as error:
        if "database is locked" in str(error.orig):
            raise Unavailable("the catalog stayed busy (locked) past its busy timeout") from error
        raise Unavailable(f"the catalog database is not reachable: {error.orig}") from error


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the newest by default); a no-op when it is there."""
    if revision == "head" and _stamped(engine) == HEAD_REVISION:
        return  # the usual case, and cheap: Alembic takes a tenth of a second to import
    from alembic import command  # noqa: PLC0415 - only when a migration may run
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    with transaction(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together must not race to create the same tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def _stamped(engine: Engine) -> str | None:
    try:
        with transaction(engine, write=False) as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except exc.DBAPIError:
        return None  # no table yet: a new database


def current_revision(engine: Engine) -> str | None:
    """Return the schema's migration revision (``None`` for an empty database)."""
    from alembic.migration import MigrationContext  # noqa: PLC0415 - rarely needed

    with transaction(engine, write=False) as conn:
        return MigrationContext.configure(conn).get_current_revision()


class PointQuery:
    """A one-row ``SELECT`` compiled once for the engine's dialect and run straight on a DBAPI
    connection.

    Every file read looks its session up; SQLAlchemy's per-execution machinery costs about ten
    times the query itself there (0.9 ms against 0.08 ms on SQLite), so this hot path skips it.
    A single ``SELECT`` needs no explicit transaction to be consistent.

    On a SQLite file each thread keeps one connection of its own for these queries (opened
    through the engine, so with the same PRAGMAs), which saves a pool checkout and return per
    query; SQLite connections in autocommit mode hold no transaction between statements.
    Elsewhere (PostgreSQL, in-memory SQLite) every query borrows a pooled connection.
    """

    def __init__(self, engine: Engine, statement: Executable, guard: AbstractContextManager[Any]):
        self._engine = engine
        self._guard = guard
        self._compiled = statement.compile(dialect=engine.dialect)  # type: ignore[attr-defined]
        self._order = self._compiled.positiontup  # None for named parameter styles
        self._errors = engine.dialect.loaded_dbapi.Error
        self._per_thread = engine.dialect.name == "sqlite" and not isinstance(
            engine.pool, StaticPool
        )
        self._local = threading.local()
        self._opened: dict[int, tuple[threading.Thread, Any]] = {}
        self._opened_lock = threading.Lock()

    def first(self, **params: Any) -> dict[str, Any] | None:
        """The first row for ``params`` as a column -> value dict, or None."""
        values = self._compiled.construct_params(params)
        args = tuple(values[name] for name in self._order) if self._order else values
        with self._guard:
            try:
                if self._per_thread:
                    return self._run_own(args)
                return self._run_pooled(args)
            except self._errors as error:
                raise Unavailable(f"the catalog database is not reachable: {error}") from error

    def close(self) -> None:
        """Close the threads' own connections (the engine's pool closes the rest)."""
        with self._opened_lock:
            opened, self._opened = self._opened, {}
        for _thread, connection in opened.values():
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()

    def _run_own(self, args: Any) -> dict[str, Any] | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open_own()
        try:
            return self._fetch(connection, args)
        except self._errors:
            self._local.connection = None  # a broken connection is not kept
            with contextlib.suppress(Exception):
                connection.close()
            raise

    def _open_own(self) -> Any:
        fairy = self._engine.raw_connection()
        fairy.detach()  # ours from now on; the pool opens another when it needs one
        connection = fairy.dbapi_connection
        with self._opened_lock:
            # Forget connections of threads that ended (their thread-locals are gone).
            for ident, (thread, old) in list(self._opened.items()):
                if not thread.is_alive():
                    del self._opened[ident]
                    with contextlib.suppress(Exception):
                        old.close()
            self._opened[threading.get_ident()] = (threading.current_thread(), connection)
        return connection

    def _run_pooled(self, args: Any) -> dict[str, Any] | None:
        connection = self._engine.raw_connection()
        try:
            return self._fetch(connection, args)
        finally:
            connection.close()  # back to the pool, which ends any implicit transaction

    def _fetch(self, connection: Any, args: Any) -> dict[str, Any] | None:
        cursor = connection.cursor()
        try:
            cursor.execute(self._compiled.string, args)
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description or ()]
        finally:
            cursor.close()
        return None if row is None else dict(zip(names, row, strict=True))
