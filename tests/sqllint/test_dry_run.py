"""The dry run: migrations applied to a scratch DuckDB database holding the datasets."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.errors import Invalid
from aether_data.sqllint.dryrun import dry_run


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"id": [1, 2, 2], "name": ["a", "b", "c"]}), path)
    return path


def test_migrations_apply_in_order_and_leave_the_dataset_alone(orders: Path) -> None:
    before = orders.read_bytes()
    files = [
        ("m/0002_fill.sql", "UPDATE orders SET status = 'old' WHERE id = 1;"),
        ("m/0001_add.sql", "BEGIN;\nALTER TABLE orders ADD COLUMN status text;\nCOMMIT;"),
    ]
    report = dry_run(files, {"orders": orders})
    assert report.ok
    assert report.applied == 2
    assert report.files == ("m/0001_add.sql", "m/0002_fill.sql")
    assert [(p, line) for p, line, _ in report.skipped] == [
        ("m/0001_add.sql", 1),
        ("m/0001_add.sql", 3),
    ]
    assert report.tables == {"orders": 3}
    assert orders.read_bytes() == before


def test_the_first_failing_statement_stops_the_run(orders: Path) -> None:
    files = [
        (
            "m/1.sql",
            "CREATE TABLE shops (id bigint);\n\n"
            "  ALTER TABLE orders ADD COLUMN shop bigint NOT NULL;",
        ),
        ("m/2.sql", "DROP TABLE shops;"),
    ]
    report = dry_run(files, {"orders": orders})
    failure = report.failure
    assert failure is not None
    assert not report.ok
    assert (failure.path, failure.statement, failure.line, failure.column) == ("m/1.sql", 1, 3, 3)
    assert failure.sql == "ALTER TABLE orders ADD COLUMN shop bigint NOT NULL"
    assert "NOT NULL constraint failed" in failure.error
    assert report.applied == 1  # the CREATE TABLE; m/2.sql never ran


def test_a_unique_index_is_checked_against_the_rows(orders: Path) -> None:
    report = dry_run(
        [("m/1.sql", "CREATE UNIQUE INDEX CONCURRENTLY o_id ON orders (id);")], {"orders": orders}
    )
    assert report.failure is not None
    assert "1 key(s) repeat in orders" in report.failure.error
    fine = dry_run(
        [("m/1.sql", "CREATE UNIQUE INDEX o_name ON orders (name);")], {"orders": orders}
    )
    assert fine.ok
    assert "keys were checked" in fine.skipped[0][2]


def test_type_changes_meet_the_data(orders: Path) -> None:
    report = dry_run(
        [("m/1.sql", "ALTER TABLE orders ALTER COLUMN name TYPE integer;")], {"orders": orders}
    )
    assert report.failure is not None
    assert "Could not convert string 'a'" in report.failure.error


def test_what_cannot_run_is_listed_not_passed(orders: Path) -> None:
    text = (
        "SET lock_timeout = '1s';\nDO $$ BEGIN END $$;\n"
        "ALTER TABLE other ADD COLUMN x int;\nSELECT FROM WHERE;"
    )
    report = dry_run([("m/1.sql", text)], {"orders": orders})
    reasons = [reason for _, _, reason in report.skipped]
    assert "session setting" in reasons[0]
    assert "cannot analyse" in reasons[1]
    assert "other does not exist" in reasons[2]
    assert "[lint.tables]" in reasons[2]
    assert report.failure is not None
    assert report.failure.error.startswith("cannot parse")


def test_an_unreadable_dataset_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(Invalid, match=r"bad\.parquet"):
        dry_run([("m/1.sql", "SELECT 1;")], {"orders": bad})
