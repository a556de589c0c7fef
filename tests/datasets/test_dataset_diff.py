"""Dataset diff: schema, keyed rows, tolerance, NULLs, bad keys, keyless rows, formats, row
group skipping, outputs and bad input."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_data.datasets import Tolerance, diff
from aether_data.errors import Invalid


def parquet(path: Path, rows: list[dict] | pa.Table, **options) -> Path:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows)
    pq.write_table(table, path, **options)
    return path


def pair(tmp_path: Path, before: list[dict], after: list[dict]) -> tuple[Path, Path]:
    return parquet(tmp_path / "a.parquet", before), parquet(tmp_path / "b.parquet", after)


BEFORE = [
    {"id": 1, "name": "ada", "amount": 10.0},
    {"id": 2, "name": "bob", "amount": 20.0},
    {"id": 3, "name": "cy", "amount": 30.0},
    {"id": 4, "name": None, "amount": None},
]
AFTER = [
    {"id": 2, "name": "bob", "amount": 20.5},
    {"id": 3, "name": "cyd", "amount": 30.0},
    {"id": 4, "name": None, "amount": None},
    {"id": 5, "name": "eve", "amount": 50.0},
]


def test_keyed_rows_counts_and_detail(tmp_path: Path) -> None:
    with diff(*pair(tmp_path, BEFORE, AFTER), key="id") as result:
        s = result.summary
        assert (s.rows_before, s.rows_after) == (4, 4)
        assert (s.added, s.removed, s.changed, s.unchanged) == (1, 1, 2, 1)
        assert s.changed_cells == {"name": 1, "amount": 1}
        rows = result.rows().to_pylist()
    assert [(r["_change"], r["id"], r["_changed"]) for r in rows] == [
        ("removed", 1, []),
        ("changed", 2, ["amount"]),
        ("changed", 3, ["name"]),
        ("added", 5, []),
    ]
    assert rows[1]["before.amount"] == 20.0
    assert rows[1]["after.amount"] == 20.5
    assert rows[2]["before.name"] == "cy"
    assert rows[2]["after.name"] == "cyd"
    assert rows[0]["after.name"] is None
    assert rows[3]["before.name"] is None


def test_the_key_is_inferred_preferring_id_like_names(tmp_path: Path) -> None:
    before = [{"v": i % 2, "order_id": 10 + i, "x": i} for i in range(6)]
    after = [dict(r, x=r["x"] + (r["order_id"] == 12)) for r in before]
    with diff(*pair(tmp_path, before, after)) as result:
        assert (result.key, result.key_source) == (("order_id",), "inferred")
        assert result.summary.changed == 1


def test_a_pair_of_columns_is_inferred_when_no_column_is_unique(tmp_path: Path) -> None:
    before = [{"day": d, "shop": s, "sales": d * 10 + s} for d in range(3) for s in range(3)]
    after = [dict(r, sales=r["sales"] + 1) if r == before[4] else r for r in before]
    with diff(*pair(tmp_path, before, after)) as result:
        assert result.key == ("day", "shop")
        assert result.summary.changed == 1


def test_without_a_key_whole_rows_are_compared_with_multiplicity(tmp_path: Path) -> None:
    before = [{"a": 1, "b": "x"}, {"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    after = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 2, "b": "y"}, {"a": 3, "b": None}]
    with diff(*pair(tmp_path, before, after)) as result:
        assert (result.key, result.key_source) == (None, "none")
        s = result.summary
        assert (s.added, s.removed, s.changed, s.unchanged) == (2, 1, 0, 2)
        rows = result.rows().to_pylist()
    assert sorted((r["_change"], r["_count"], r["a"], r["b"]) for r in rows) == [
        ("added", 1, 2, "y"),
        ("added", 1, 3, None),
        ("removed", 1, 1, "x"),
    ]


def test_tolerance_is_absolute_plus_relative_and_null_safe(tmp_path: Path) -> None:
    before = [{"id": i, "x": v} for i, v in enumerate([1.0, 100.0, None, 5.0, math.nan, 0.0])]
    after_x = [1.05, 100.9, None, None, math.nan, 0.2]
    after = [{"id": i, "x": v} for i, v in enumerate(after_x)]
    loose = {"x": Tolerance(abs=0.1, rel=0.01)}
    with diff(*pair(tmp_path, before, after), key="id", tolerance=loose) as result:
        changed = [r["id"] for r in result.rows().to_pylist()]
    assert changed == [3, 5]  # 5.0 -> NULL, 0.0 -> 0.2; 100 -> 100.9 is within 0.1 + 1.009
    with diff(*pair(tmp_path, before, after), key="id") as exact:
        assert [r["id"] for r in exact.rows().to_pylist()] == [0, 1, 3, 5]
    with diff(*pair(tmp_path, before, after), key="id", tolerance={"x": 1}) as plain:
        assert plain.summary.changed == 1  # only 5.0 -> NULL


def test_null_and_duplicate_keys_are_left_out_and_reported(tmp_path: Path) -> None:
    before = [{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 2, "v": 3}, {"id": None, "v": 4}]
    after = [{"id": 1, "v": 9}, {"id": 2, "v": 2}, {"id": 3, "v": 3}, {"id": 3, "v": 3}]
    with diff(*pair(tmp_path, before, after), key="id") as result:
        s = result.summary
        assert (s.keys_before.null_rows, s.keys_before.duplicate_keys) == (1, 1)
        assert (s.keys_before.duplicate_rows, s.keys_before.examples) == (2, ((2,),))
        assert (s.keys_after.duplicate_keys, s.keys_after.examples) == (1, ((3,),))
        # key 2 repeats before: its one row after is left out too, not "added"
        assert (s.keys_after.other_side_rows, s.keys_after.excluded_rows) == (1, 3)
        assert (s.added, s.removed, s.changed, s.unchanged) == (0, 0, 1, 0)
        assert [r["id"] for r in result.rows().to_pylist()] == [1]
        assert "duplicate keys" in result.to_text()


def test_schema_changes(tmp_path: Path) -> None:
    before = [{"id": i, "a": i * 2, "b": f"s{i}", "old": i * 3, "n": i} for i in range(5)]
    after = [
        {"id": i, "n": float(i), "b": f"s{i}", "new": i * 3, "a": i * 2, "extra": True}
        for i in range(5)
    ]
    with diff(*pair(tmp_path, before, after), key="id") as result:
        schema = result.schema
        assert schema.renamed == (("old", "new"),)
        assert (schema.added, schema.dropped) == (("extra",), ())
        assert schema.type_changed == (("n", "BIGINT", "DOUBLE"),)
        assert schema.reordered
        assert result.summary.changed == 0  # 1 == 1.0 once compared as DOUBLE
        assert result.summary.changed_cells == {"n": 0, "b": 0, "new": 0, "a": 0}


def test_csv_and_parquet_of_the_same_data_differ_in_types_only(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array(range(50), pa.int32()),
            "price": [i / 4 for i in range(50)],
            "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(50)],
            "name": [f"n{i}" if i % 7 else None for i in range(50)],
        }
    )
    parquet(tmp_path / "a.parquet", table)
    pacsv.write_csv(table, tmp_path / "b.csv")
    with diff(tmp_path / "a.parquet", tmp_path / "b.csv", key="id") as result:
        assert result.schema.type_changed == (("id", "INTEGER", "BIGINT"),)
        s = result.summary
        assert (s.added, s.removed, s.changed, s.unchanged) == (0, 0, 0, 50)


def test_equal_row_groups_are_skipped_with_the_same_result(tmp_path: Path) -> None:
    rows = [{"id": i, "v": i * 2, "s": f"r{i}"} for i in range(10_000)]
    changed = [dict(r, v=-1) if 5_000 <= r["id"] < 5_010 else r for r in rows]
    a = parquet(tmp_path / "a.parquet", rows, row_group_size=1_000)
    b = parquet(tmp_path / "b.parquet", changed, row_group_size=1_000)
    with diff(a, b, key="id") as fast, diff(a, b, key="id", skip_equal_row_groups=False) as full:
        assert fast.summary.skipped_row_groups == 9
        assert full.summary.skipped_row_groups == 0
        assert fast.summary.unchanged == full.summary.unchanged == 9_990
        assert fast.rows().equals(full.rows())


def test_skipping_row_groups_still_finds_repeated_keys(tmp_path: Path) -> None:
    rows = [{"id": i, "v": i} for i in range(4_000)]
    repeated = [dict(r, id=2_500) if r["id"] == 2_501 else r for r in rows]
    a = parquet(tmp_path / "a.parquet", rows, row_group_size=1_000)
    b = parquet(tmp_path / "b.parquet", repeated, row_group_size=1_000)
    with diff(a, b, key="id") as result:
        s = result.summary
        assert s.skipped_row_groups == 3
        assert (s.keys_after.duplicate_keys, s.keys_after.examples) == (1, ((2_500,),))
        assert s.keys_before.other_side_rows == 1  # before's 2500 is left out too
        assert (s.added, s.removed, s.changed) == (0, 1, 0)  # 2501 is gone


def test_bad_input_is_invalid_with_the_file_named(tmp_path: Path) -> None:
    a, b = pair(tmp_path, BEFORE, AFTER)
    truncated = tmp_path / "t.parquet"
    truncated.write_bytes(a.read_bytes()[:-20])
    with pytest.raises(Invalid, match=r"t\.parquet"):
        diff(truncated, b)
    ragged = tmp_path / "r.csv"
    ragged.write_text("id,v\n1,2\n3,4,5\n6\n")
    with pytest.raises(Invalid, match=r"r\.csv"):
        diff(a, ragged)
    with pytest.raises(Invalid, match="key column 'nope' is missing from the before side"):
        diff(a, b, key=["nope"])
    with pytest.raises(Invalid, match="tolerance for column 'name'"):
        diff(a, b, key="id", tolerance={"name": 0.1})
    with pytest.raises(Invalid, match="not a dataset"):
        diff(a, tmp_path / "notes.txt")
    late = tmp_path / "late.csv"
    late.write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(5000)) + "x,1,2\n")
    with pytest.raises(Invalid, match=r"main:late\.csv") as failure:
        diff(a, late, key="id", names=("main:a.parquet", "main:late.csv"))
    assert str(tmp_path) not in str(failure.value)


def test_outputs(tmp_path: Path) -> None:
    with diff(*pair(tmp_path, BEFORE, AFTER), key="id") as result:
        as_dict = json.loads(json.dumps(result.to_dict(limit=2)))
        assert as_dict["summary"]["changed"] == 2
        assert as_dict["truncated"] is True
        assert [r["id"] for r in as_dict["rows"]] == [1, 2]
        for fmt in ("parquet", "arrow", "csv", "json"):
            result.write(tmp_path / f"out.{fmt}", fmt)
        assert pq.read_table(tmp_path / "out.parquet").num_rows == 4
        assert pa.ipc.open_file(tmp_path / "out.arrow").read_all().equals(result.rows())
        text = result.to_text()
        assert "added 1, removed 1, changed 2, unchanged 1" in text
        html = result._repr_html_()
        assert "<table>" in html
        assert "cyd" in html
        assert [b.num_rows for b in result.batches(batch_size=3)] == [3, 1]
        assert result.rows(1, 2).column("id").to_pylist() == [2, 3]


def test_a_large_detail_is_read_in_key_order_by_page_stream_and_file(tmp_path: Path) -> None:
    # Rows in shuffled order, and more changed rows than one storage row group holds: pages,
    # batches and files must still come in key order, with nothing repeated or lost.
    n = 600_000
    order = np.random.default_rng(3).permutation(n)
    before = pa.table({"id": pa.array(order, pa.int64()), "v": pa.array(order % 7, pa.int64())})
    after = before.set_column(1, "v", pa.array(order % 7 + (order % 3 != 0), pa.int64()))
    a, b = parquet(tmp_path / "a.parquet", before), parquet(tmp_path / "b.parquet", after)
    with diff(a, b, key="id") as result:
        expected = [i for i in range(n) if i % 3]
        assert result.summary.changed == len(expected)
        assert result.rows().column("id").to_pylist() == expected
        pages = [result.rows(offset, 150_000) for offset in range(0, len(expected), 150_000)]
        assert [i for page in pages for i in page.column("id").to_pylist()] == expected
        streamed = [i for batch in result.batches(70_000) for i in batch.column("id").to_pylist()]
        assert streamed == expected
        result.write(tmp_path / "out.parquet")
        assert pq.read_table(tmp_path / "out.parquet").column("id").to_pylist() == expected


def test_pages_are_right_when_a_column_is_called_rowid(tmp_path: Path) -> None:
    before = [{"rowid": i * 10, "v": i} for i in range(1, 6)]
    after = [{"rowid": i * 10, "v": i + (i % 2)} for i in range(1, 6)]
    with diff(*pair(tmp_path, before, after), key="rowid") as result:
        assert result.rows().column("rowid").to_pylist() == [10, 30, 50]
        assert result.rows(1, 1).column("rowid").to_pylist() == [30]
        assert result.rows(2).column("rowid").to_pylist() == [50]


def test_a_share_reads_the_detail_in_another_thread_and_closes_alone(tmp_path: Path) -> None:
    with diff(*pair(tmp_path, BEFORE, AFTER), key="id") as result:
        shares = [result.share() for _ in range(4)]
        seen: list[list[int]] = []
        threads = [
            threading.Thread(target=lambda s=s: seen.append(s.rows().column("id").to_pylist()))
            for s in shares
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [[1, 2, 3, 5]] * 4
        assert shares[0].summary == result.summary
        for share in shares:
            share.close()
        assert result.rows(1, 1).column("id").to_pylist() == [2]
    with pytest.raises(Invalid, match="closed"):
        result.share()


row_values = st.lists(
    st.tuples(st.integers(0, 30), st.one_of(st.none(), st.integers(-5, 5))),
    max_size=25,
    unique_by=lambda t: t[0],
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=row_values, after=row_values)
def test_counts_add_up_and_match_a_naive_diff(tmp_path: Path, before, after) -> None:
    a = [{"id": k, "v": v} for k, v in before]
    b = [{"id": k, "v": v} for k, v in after]
    schema = pa.schema([("id", pa.int64()), ("v", pa.int64())])
    parquet(tmp_path / "a.parquet", pa.Table.from_pylist(a, schema))
    parquet(tmp_path / "b.parquet", pa.Table.from_pylist(b, schema))
    old, new = dict(before), dict(after)
    with diff(tmp_path / "a.parquet", tmp_path / "b.parquet", key="id") as result:
        s = result.summary
        assert s.added == len(new.keys() - old.keys())
        assert s.removed == len(old.keys() - new.keys())
        assert s.changed == sum(old[k] != new[k] for k in old.keys() & new.keys())
        assert s.rows_before == s.unchanged + s.changed + s.removed
        assert s.rows_after == s.unchanged + s.changed + s.added
