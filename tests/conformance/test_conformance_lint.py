"""``LintAPI``: the same assertions against the embedded implementation and against
``AetherClient`` talking to the shared live server."""

from __future__ import annotations

import inspect
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.errors import Invalid, NotFound
from aether_data.wire import LintAPI, LintResult, WorkspaceAPI

GHOST_SESSION = "s-0000000000000000"
CONFIG = b'[lint]\npostgres_version = 15\n[lint.tables]\norders = "data/orders.parquet"\n'
INIT = b"SET lock_timeout = '2s';\nCREATE TABLE customers (id bigint PRIMARY KEY, name text);\n"
SHOP = b"-- aether-lint: ignore=missing-timeout\nALTER TABLE orders ADD COLUMN shop bigint;\n"
BREAKING = b"SET lock_timeout = '2s';\nALTER TABLE orders\n  ADD COLUMN region text NOT NULL;\n"
DRY_BREAKING = (
    b"-- aether-lint: ignore-file=not-null-without-default,missing-timeout\n"
    b"ALTER TABLE orders ADD COLUMN x bigint NOT NULL;\n"
)

Stocked = tuple[WorkspaceAPI, LintAPI, str]


def orders_parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "total": [9.5, 3.0, 1.25]}), out)
    return out.getvalue()


@pytest.fixture
def stocked(lint_pair: tuple[WorkspaceAPI, LintAPI]) -> Stocked:
    """A session with clean migrations, an ``aether.toml`` mapping ``orders`` to a Parquet
    dataset, and the dataset."""
    ws, lint = lint_pair
    sid = ws.create_session(name="lint").id
    ws.write(sid, "aether.toml", CONFIG)
    ws.write(sid, "data/orders.parquet", orders_parquet())
    ws.write(sid, "migrations/0001_init.sql", INIT)
    ws.write(sid, "migrations/0002_shop.sql", SHOP)
    ws.write(sid, "README.md", b"# shop\n")
    return ws, lint, sid


def test_every_lint_method_is_exercised() -> None:
    methods = {
        name
        for name, value in vars(LintAPI).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    called = set(re.findall(r"\blint\.(\w+)\(", Path(__file__).read_text()))
    assert methods - called == set()


def test_both_implement_the_protocol(lint_pair: tuple[WorkspaceAPI, LintAPI]) -> None:
    assert isinstance(lint_pair[1], LintAPI)


def test_clean_migrations_have_no_error(stocked: Stocked) -> None:
    _, lint, sid = stocked
    result = lint.lint_session(sid)
    assert isinstance(result, LintResult)
    assert result.dialect == "postgres"
    assert result.files == ["migrations/0001_init.sql", "migrations/0002_shop.sql"]
    assert result.statements == 3
    assert result.counts["error"] == 0
    assert [f for f in result.findings if f.severity == "error"] == []
    assert "not-null-without-default" in result.rules
    assert result.dry_run is None


def test_a_breaking_migration_is_found_where_it_is(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "migrations/0010_region.sql", BREAKING)
    result = lint.lint_session(sid)
    assert result.files[-1] == "migrations/0010_region.sql"
    assert result.counts["error"] == 1
    (hit,) = [f for f in result.findings if f.severity == "error"]
    assert (hit.rule, hit.path, hit.line, hit.column) == (
        "not-null-without-default",
        "migrations/0010_region.sql",
        3,
        14,
    )
    assert (hit.end_line, hit.statement) == (3, 1)
    assert "region" in hit.message


def test_path_names_one_file_or_a_folder(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "migrations/0010_region.sql", BREAKING)
    one = lint.lint_session(sid, path="migrations/0002_shop.sql")
    assert one.files == ["migrations/0002_shop.sql"]
    assert one.counts == {"error": 0, "warning": 0, "info": 0}
    ws.write(sid, "db/next/0001.sql", b"DROP TABLE orders;\n")
    folder = lint.lint_session(sid, path="db")
    assert folder.files == ["db/next/0001.sql"]
    assert {f.rule for f in folder.findings} >= {"drop-table"}
    root = lint.lint_session(sid, path="")
    assert set(root.files) == {*folder.files, *lint.lint_session(sid).files}


def test_the_migrations_folder_of_aether_toml(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "aether.toml", b'[lint]\nmigrations = "db"\n')
    ws.write(sid, "db/0001.sql", b"DROP TABLE orders;\n")
    result = lint.lint_session(sid)
    assert result.files == ["db/0001.sql"]
    assert result.counts["error"] == 1


def test_dialect_overrides_the_settings(stocked: Stocked) -> None:
    _, lint, sid = stocked
    assert lint.lint_session(sid, dialect="mysql").dialect == "mysql"
    assert lint.lint_session(sid, dialect="DuckDB").dialect == "duckdb"


def test_version_and_transactions_override_the_settings(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    # A constant default rewrites the table before PostgreSQL 11 only; aether.toml says 15.
    ws.write(
        sid,
        "migrations/0003_flag.sql",
        b"-- aether-lint: ignore-file=missing-timeout\n"
        b"ALTER TABLE orders ADD COLUMN flag boolean DEFAULT false;\n",
    )
    assert lint.lint_session(sid).counts["error"] == 0
    old = lint.lint_session(sid, postgres_version=10)
    assert [(f.path, f.rule) for f in old.findings] == [
        ("migrations/0003_flag.sql", "volatile-default")
    ]
    ws.write(sid, "migrations/0004_tx.sql", b"BEGIN;\nSELECT 1;\nCOMMIT;\n")
    assert lint.lint_session(sid).counts["error"] == 0
    wrapped = lint.lint_session(sid, assume_in_transaction=True)
    assert {f.rule for f in wrapped.findings if f.path == "migrations/0004_tx.sql"} == {
        "nested-transaction"
    }
    with pytest.raises(Invalid, match="not a PostgreSQL release"):
        lint.lint_session(sid, postgres_version=3)


def test_dry_run_of_clean_migrations(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    result = lint.lint_session(sid, dry_run=True)
    checked = result.dry_run
    assert checked is not None
    assert (checked.ok, checked.failure) == (True, None)
    assert checked.files == result.files
    assert checked.applied == 2  # SET lock_timeout is skipped, with why
    assert [(s.path, s.line) for s in checked.skipped] == [("migrations/0001_init.sql", 1)]
    assert checked.tables == {"customers": 0, "orders": 3}
    assert result.counts["error"] == 0
    # Nothing is written to the session.
    assert [e.name for e in ws.listdir(sid, "data")] == ["orders.parquet"]


def test_dry_run_failure_is_a_finding(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "migrations/0003_x.sql", DRY_BREAKING)
    result = lint.lint_session(sid, dry_run=True)
    checked = result.dry_run
    assert checked is not None
    assert not checked.ok
    failure = checked.failure
    assert failure is not None
    assert (failure.path, failure.statement, failure.line, failure.column) == (
        "migrations/0003_x.sql",
        0,
        2,
        1,
    )
    assert "NOT NULL" in failure.error
    assert "ADD COLUMN x" in failure.sql
    assert checked.tables["orders"] == 3
    (hit,) = [f for f in result.findings if f.rule == "dry-run-failed"]
    assert (hit.severity, hit.path, hit.line, hit.column) == (
        "error",
        "migrations/0003_x.sql",
        2,
        1,
    )
    assert result.counts["error"] == 1  # the lint itself was told to ignore the file


def test_unknown_session_or_path(stocked: Stocked) -> None:
    _, lint, sid = stocked
    with pytest.raises(NotFound):
        lint.lint_session(GHOST_SESSION)
    with pytest.raises(NotFound):
        lint.lint_session(sid, path="nowhere")
    with pytest.raises(NotFound):
        lint.lint_session(sid, path="migrations/0099.sql")


def test_requests_that_cannot_be_answered_are_invalid(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    with pytest.raises(Invalid, match=r"no \.sql files under data"):
        lint.lint_session(sid, path="data")
    with pytest.raises(Invalid, match="unknown SQL dialect 'oracle'"):
        lint.lint_session(sid, dialect="oracle")
    with pytest.raises(Invalid):
        lint.lint_session(sid, path="../migrations")
    ws.write(sid, "migrations/0009_latin1.sql", "-- caf\u00e9\n".encode("latin-1"))
    with pytest.raises(Invalid, match=r"0009_latin1\.sql is not UTF-8"):
        lint.lint_session(sid)


def test_no_migrations_folder_is_invalid(lint_pair: tuple[WorkspaceAPI, LintAPI]) -> None:
    ws, lint = lint_pair
    sid = ws.create_session(name="empty").id
    with pytest.raises(Invalid, match=r"no \.sql files under migrations"):
        lint.lint_session(sid)


def test_bad_settings_are_invalid(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "aether.toml", b"[lint\n")
    with pytest.raises(Invalid, match="not valid TOML"):
        lint.lint_session(sid)
    ws.write(sid, "aether.toml", b'[lint]\ndisable = ["no-such-rule"]\n')
    with pytest.raises(Invalid, match="unknown lint rule 'no-such-rule'"):
        lint.lint_session(sid)


def test_a_table_mapped_to_no_file_is_invalid(stocked: Stocked) -> None:
    ws, lint, sid = stocked
    ws.write(sid, "aether.toml", b'[lint.tables]\norders = "data/missing.parquet"\n')
    assert lint.lint_session(sid).dry_run is None  # only the dry run reads the datasets
    with pytest.raises(Invalid, match=r"missing\.parquet, which is not a file of the session"):
        lint.lint_session(sid, dry_run=True)
