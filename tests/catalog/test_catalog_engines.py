"""Opening catalogs: migrations, engine settings, URLs. Parametrized tests run on both engines."""

from __future__ import annotations

import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, event, insert, inspect, table

import aether_data.catalog
from aether_data.catalog import SessionRecord, SqlCatalog
from aether_data.catalog._engine import open_engine, transaction, upgrade
from aether_data.catalog._schema import metadata
from aether_data.errors import Invalid, MissingExtra, Unavailable
from aether_data.ids import object_id_of

MIGRATIONS = Path(aether_data.catalog.__file__).with_name("migrations")


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the test runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().upper())

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_fresh_database_reaches_head(fresh_url: str) -> None:
    with SqlCatalog(fresh_url) as catalog:
        assert catalog.schema_revision == head_revision() == "0005"
        tables = set(inspect(catalog._engine).get_table_names())
    assert {table.name for table in metadata.sorted_tables} | {"alembic_version"} == tables


def test_reopening_is_a_no_op(fresh_url: str, statements: list[str]) -> None:
    with SqlCatalog(fresh_url) as catalog:
        catalog.create_source("sales")
    statements.clear()
    with SqlCatalog(fresh_url) as catalog:
        assert [s.name for s in catalog.list_sources().items] == ["sales"]
        assert catalog.schema_revision == head_revision()
    writes = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
    assert [s for s in statements if s.startswith(writes)] == []


def test_migrations_build_the_declared_schema(fresh_url: str) -> None:
    with SqlCatalog(fresh_url) as catalog, catalog._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_replicas_opening_a_fresh_database_together(race: Any, fresh_url: str) -> None:
    opened = race(lambda _: SqlCatalog(fresh_url), threads=4)
    assert [type(c) for c in opened] == [SqlCatalog] * 4, opened
    for catalog in opened:
        catalog.close()


def test_opens_from_any_working_directory(
    fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with SqlCatalog(fresh_url) as catalog:
        assert catalog.schema_revision == head_revision()


_TREE = object_id_of(b"tree")
# Rows in the shape of revision 0001 (no tenant columns yet).
_ROWS_AT_0001: list[tuple[str, dict[str, Any]]] = [
    (
        "sources",
        {"name": "sales", "default_branch": "main", "description": "d", "created_at": 0}
        | {"metadata": '{"k":1}'},
    ),
    (
        "sessions",
        {"id": "s1", "name": None, "source": "sales", "ref": "main", "base_commit": None}
        | {"base_tree": _TREE, "status": "ACTIVE", "tags": '["x"]', "created_at": 0}
        | {"updated_at": 0, "version": 3, "metadata": "{}"},
    ),
    ("session_tags", {"session_id": "s1", "tag": "x"}),
    (
        "overlay_entries",
        {"session_id": "s1", "path": "a.txt", "kind": "file", "object_id": _TREE, "size": 1},
    ),
    (
        "checkpoints",
        {"session_id": "s1", "name": "cp", "tree_id": _TREE, "message": "", "created_at": 0},
    ),
]


def test_upgrade_from_0001_keeps_rows_in_the_default_tenant(fresh_url: str) -> None:
    engine, _ = open_engine(fresh_url, busy_timeout=5)
    try:
        upgrade(engine, "0001")
        with transaction(engine, write=True) as conn:
            for name, row in _ROWS_AT_0001:
                conn.execute(insert(table(name, *map(column, row))), row)
    finally:
        engine.dispose()
    with SqlCatalog(fresh_url) as catalog:
        assert catalog.schema_revision == head_revision()
        source = catalog.get_source("sales")
        assert (source.tenant, source.description, source.metadata) == ("default", "d", {"k": 1})
        assert catalog.list_sources(tenant="default").items == (source,)
        stored = catalog.get_session("s1")
        assert (stored.tenant, stored.source, stored.tags, stored.version) == (
            "default",
            "sales",
            ("x",),
            3,
        )
        assert catalog.list_sessions(tenant="default", tag="x").items == (stored,)
        # The sessions table was altered in place: its overlay and checkpoint are still there.
        assert list(catalog.get_overlay("s1")) == ["a.txt"]
        assert [c.name for c in catalog.list_checkpoints("s1")] == ["cp"]
        assert catalog.list_tokens().items == catalog.list_jobs().items == ()


# --- SQLite --------------------------------------------------------------------------------


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    with SqlCatalog(f"sqlite:///{path}"):
        pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with SqlCatalog(url, busy_timeout=12) as catalog, catalog._engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("foreign_keys"), pragma("busy_timeout")) == (1, 12_000)


def test_sqlite_creates_the_folder_and_expands_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with SqlCatalog("sqlite:///~/.aether/deep/catalog.db") as catalog:
        catalog.create_source("sales")
    assert (tmp_path / ".aether" / "deep" / "catalog.db").is_file()


def test_in_memory_sqlite_is_shared_by_threads(race: Any) -> None:
    with SqlCatalog("sqlite://") as catalog:
        base = object_id_of(b"t")
        race(lambda i: catalog.create_session(SessionRecord(id=f"s{i}", base_tree=base)))
        assert len(catalog.list_sessions().items) == 8


def test_session_lookups_on_a_thread_see_other_connections_commits(tmp_path: Path) -> None:
    """Session lookups reuse one connection per thread on a SQLite file: it holds no read
    snapshot between lookups, so a commit made through another catalog is seen at once."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    base = object_id_of(b"t")
    with SqlCatalog(url) as reader, SqlCatalog(url) as writer:
        writer.create_session(SessionRecord(id="s1", base_tree=base))
        versions = []
        for step in range(3):
            versions.append(reader.get_session("s1").version)
            writer.update_session("s1", expected_version=step + 1, name=f"n{step}")
        versions.append(reader.get_session("s1").version)
        assert versions == [1, 2, 3, 4]
        assert reader.get_session("s1").name == "n2"


def test_per_thread_lookup_connections_are_closed(tmp_path: Path, race: Any) -> None:
    catalog = SqlCatalog(f"sqlite:///{tmp_path / 'c.db'}")
    catalog.create_session(SessionRecord(id="s1", base_tree=object_id_of(b"t")))
    race(lambda _i: catalog.get_session("s1"))
    opened = [conn for _thread, conn in catalog._session_by_id._opened.values()]
    assert len(opened) == 8  # one per thread; a finished thread's is closed by the next open
    catalog.close()
    for conn in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")
    assert catalog._engine.pool.checkedout() == 0


def test_lookup_connections_of_finished_threads_are_released(tmp_path: Path, race: Any) -> None:
    with SqlCatalog(f"sqlite:///{tmp_path / 'c.db'}") as catalog:
        catalog.create_session(SessionRecord(id="s1", base_tree=object_id_of(b"t")))
        for _ in range(3):
            race(lambda _i: catalog.get_session("s1"))  # eight new threads each time
        catalog.get_session("s1")  # this thread opens its own, pruning the finished ones
        assert len(catalog._session_by_id._opened) == 1


def test_closing_through_the_context_manager(tmp_path: Path) -> None:
    with SqlCatalog(f"sqlite:///{tmp_path / 'c.db'}") as catalog:
        catalog.create_source("sales")
    assert catalog._engine.pool.checkedout() == 0


# --- URLs and extras -----------------------------------------------------------------------


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingExtra, match=r"aether-data\[postgres\]"):
        SqlCatalog("postgresql+psycopg://127.0.0.1:5432/never")


@pytest.mark.parametrize("url", ["mysql://x/y", "oracle://x"])
def test_unsupported_url(url: str) -> None:
    with pytest.raises(Invalid, match="sqlite or postgresql"):
        SqlCatalog(url)


@pytest.mark.postgres
def test_plain_postgresql_url_uses_psycopg(pg_server: Any, pg_database: str) -> None:
    url = pg_server.url(pg_database).replace("+psycopg", "")
    with SqlCatalog(url) as catalog:
        assert catalog._engine.dialect.driver == "psycopg"
        assert "password" not in repr(catalog)


def test_unreachable_postgres_is_unavailable() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unavailable, match="not reachable"):
        SqlCatalog(f"postgresql+psycopg://127.0.0.1:{port}/nothing")


def test_head_revision_constant_follows_the_migrations() -> None:
    from aether_data.catalog._engine import HEAD_REVISION  # noqa: PLC0415

    assert head_revision() == HEAD_REVISION


def test_opening_a_current_catalog_does_not_load_alembic(tmp_path) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'c.db'}"
    SqlCatalog(url).close()  # create and migrate
    probe = (
        "import sys; from aether_data.catalog import SqlCatalog; "
        f"SqlCatalog({url!r}).close(); print('alembic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
