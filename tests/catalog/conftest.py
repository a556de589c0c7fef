"""Catalog fixtures: every test runs against a SQLite file and a real PostgreSQL database.

PostgreSQL: one throwaway database per test run (created here, dropped at the end), emptied
before each test. Unreachable server: skip with a hint, or fail when ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from aether_data.catalog import SqlCatalog

URL_KEY = pytest.StashKey[str]()

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def catalog(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlCatalog]:
    """A migrated, empty catalog on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.db'}"
        opened = SqlCatalog(url)
    else:
        server = request.getfixturevalue("pg_server")
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
    server = request.getfixturevalue("pg_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)
