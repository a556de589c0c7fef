"""Catalog fixtures: every test runs against a SQLite file and a real PostgreSQL database.

PostgreSQL: one throwaway database per test run (created here, dropped at the end), emptied
before each test. Unreachable server: skip with a hint, or fail when ``CI=true``.
"""

from __future__ import annotations

import importlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.catalog._schema import metadata

PG_HOST, PG_PORT, PG_MAINTENANCE_DB = "127.0.0.1", 5432, "test"
START_HINT = (
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
URL_KEY = pytest.StashKey[str]()

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
THREADS = 8
Race = Callable[..., list[Any]]


def _race(worker: Callable[[int], Any], threads: int = THREADS) -> list[Any]:
    """Run ``worker(i)`` in threads released together; return results or raised exceptions."""
    barrier = threading.Barrier(threads)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return worker(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(threads)))


@pytest.fixture
def race() -> Race:
    """``race(worker, threads=8)``: call ``worker(i)`` from threads that start at once."""
    return _race


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not usable ({reason}); {START_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class PgServer:
    """Creates and drops databases through a maintenance connection."""

    def __init__(self) -> None:
        try:
            self._psycopg = importlib.import_module("psycopg")
        except ImportError:
            _unavailable("the psycopg package is not installed")
        self._admin, self._user = self._connect()
        self._created: list[str] = []

    def _connect(self) -> tuple[Any, str | None]:
        errors = []
        # Trust auth: the OS user if it has a role, else the usual superuser.
        for user in (None, "postgres"):
            try:
                conn = self._psycopg.connect(
                    host=PG_HOST,
                    port=PG_PORT,
                    dbname=PG_MAINTENANCE_DB,
                    user=user,
                    autocommit=True,
                    connect_timeout=3,
                )
                return conn, user
            except self._psycopg.OperationalError as exc:
                errors.append(str(exc).strip().splitlines()[0])
        _unavailable("; ".join(dict.fromkeys(errors)))
        raise AssertionError  # unreachable: _unavailable raises

    def url(self, database: str) -> str:
        user = f"{self._user}@" if self._user else ""
        return f"postgresql+psycopg://{user}{PG_HOST}:{PG_PORT}/{database}"

    def create_database(self) -> str:
        name = f"aether_catalog_{uuid.uuid4().hex[:12]}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        # FORCE ends connections a failed test may have leaked (PostgreSQL 13+).
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def empty(self, database: str) -> None:
        # DELETE, not TRUNCATE: on a few rows it is ~100x faster (no new files to create).
        with self._psycopg.connect(self.url(database).replace("+psycopg", "")) as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(f'DELETE FROM "{table.name}"')

    def close(self) -> None:
        for name in list(self._created):
            self.drop_database(name)
        self._admin.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def pg_database(pg_server: PgServer) -> str:
    """The database this test run shares between tests (migrated by the first catalog)."""
    return pg_server.create_database()


@pytest.fixture(params=BACKENDS)
def catalog(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlCatalog]:
    """A migrated, empty catalog on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.db'}"
        opened = SqlCatalog(url)
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        database = request.getfixturevalue("pg_database")
        url = server.url(database)
        opened = SqlCatalog(url)  # migrates on first use, so the tables exist to be emptied
        server.empty(database)
    request.node.stash[URL_KEY] = url
    yield opened
    opened.close()


@pytest.fixture
def open_again(
    request: pytest.FixtureRequest, catalog: SqlCatalog
) -> Iterator[Callable[[], SqlCatalog]]:
    """Open more catalogs on the database of ``catalog``, as another process or replica would."""
    opened: list[SqlCatalog] = []

    def _open() -> SqlCatalog:
        opened.append(SqlCatalog(request.node.stash[URL_KEY]))
        return opened[-1]

    yield _open
    for other in opened:
        other.close()


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of a brand-new, empty database on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)
