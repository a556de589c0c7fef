"""``inspect``: profiles of Parquet, CSV, Arrow IPC/Feather and JSON Lines files on generated
data (exact null counts and bounds, approximate distinct counts), CSV dialects, and clear
errors naming the file for bad input."""

from __future__ import annotations

import csv
import importlib
import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import feather

from aether_data.datasets import (
    PROFILE_VERSION,
    ColumnProfile,
    CsvDialect,
    DatasetFormat,
    DatasetProfile,
    inspect,
)
from aether_data.datasets._parquet_stats import FooterColumn, FooterFacts, footer_facts
from aether_data.datasets._values import MAX_TEXT
from aether_data.errors import Invalid

# The module, not the function the package exports under the same name.
inspect_module = importlib.import_module("aether_data.datasets.inspect")
ROWS = 500
START = datetime(2024, 1, 1, 8, 30)


def _maybe(rng: random.Random, value: Any, share: float = 0.1) -> Any:
    return None if rng.random() < share else value


def generated(seed: int = 7) -> dict[str, list[Any]]:
    """Columns of every kind the profile reports on, with NULLs sprinkled in."""
    rng = random.Random(seed)
    return {
        "id": list(range(1, ROWS + 1)),
        "qty": [_maybe(rng, rng.randint(-50, 1000)) for _ in range(ROWS)],
        "price": [_maybe(rng, round(rng.uniform(-10, 99), 3)) for _ in range(ROWS)],
        "city": [
            _maybe(rng, rng.choice(["Oslo", "Lima", "Pune", "Kyiv", "Accra"])) for _ in range(ROWS)
        ],
        "day": [
            _maybe(rng, date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))) for _ in range(ROWS)
        ],
        "at": [_maybe(rng, START + timedelta(seconds=rng.randint(0, 10**7))) for _ in range(ROWS)],
        "ok": [_maybe(rng, rng.random() < 0.5) for _ in range(ROWS)],
    }


EXPECTED_TYPES = {
    "id": "BIGINT",
    "qty": "BIGINT",
    "price": "DOUBLE",
    "city": "VARCHAR",
    "day": "DATE",
    "at": "TIMESTAMP",
    "ok": "BOOLEAN",
}


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def expected_columns(columns: dict[str, list[Any]]) -> dict[str, tuple[int, Any, Any, int]]:
    """name -> (nulls, min, max, distinct), computed in Python."""
    out = {}
    for name, values in columns.items():
        present = [v for v in values if v is not None]
        out[name] = (
            len(values) - len(present),
            _text(min(present)),
            _text(max(present)),
            len(set(present)),
        )
    return out


def write_parquet(path: Path, columns: dict[str, list[Any]], **options: Any) -> Path:
    pq.write_table(pa.table(columns), path, **options)
    return path


def write_csv(path: Path, columns: dict[str, list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow(["" if v is None else _csv_value(v) for v in row])
    return path


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat(sep=" ") if isinstance(value, datetime) else _text(value)


def write_jsonl(path: Path, columns: dict[str, list[Any]]) -> Path:
    names = list(columns)
    with path.open("w") as out:
        for row in zip(*columns.values(), strict=True):
            record = {
                n: (_csv_value(v) if isinstance(v, date) else v)
                for n, v in zip(names, row, strict=True)
            }
            out.write(json.dumps(record) + "\n")
    return path


def write_arrow(path: Path, columns: dict[str, list[Any]]) -> Path:
    feather.write_feather(pa.table(columns), path)
    return path


WRITERS = {
    "data.parquet": write_parquet,
    "data.csv": write_csv,
    "data.arrow": write_arrow,
    "data.feather": write_arrow,
    "data.jsonl": write_jsonl,
}
FORMATS = {
    "data.parquet": DatasetFormat.PARQUET,
    "data.csv": DatasetFormat.CSV,
    "data.arrow": DatasetFormat.ARROW,
    "data.feather": DatasetFormat.ARROW,
    "data.jsonl": DatasetFormat.JSONL,
}


def _by_name(profile: DatasetProfile) -> dict[str, ColumnProfile]:
    return {column.name: column for column in profile.columns}


def _close(estimate: int, exact: int) -> bool:
    return abs(estimate - exact) <= max(2, exact * 0.05)


# ---------------------------------------------------------------------------- every format
@pytest.mark.parametrize("name", list(WRITERS))
def test_every_format_profiles_exactly(tmp_path: Path, name: str) -> None:
    columns = generated()
    path = WRITERS[name](tmp_path / name, columns)
    profile = inspect(path)
    assert profile.format is FORMATS[name]
    assert (profile.row_count, profile.size) == (ROWS, path.stat().st_size)
    assert [c.name for c in profile.columns] == list(columns)
    # DuckDB reads JSON integers that go negative as HUGEINT
    wider = {"qty": "HUGEINT"} if profile.format is DatasetFormat.JSONL else {}
    assert {c.name: c.type for c in profile.columns} == EXPECTED_TYPES | wider
    found = _by_name(profile)
    for column, (nulls, low, high, distinct) in expected_columns(columns).items():
        got = found[column]
        assert (got.null_count, got.min, got.max) == (nulls, low, high), column
        assert _close(got.distinct_count, distinct), (column, got.distinct_count, distinct)
    assert len(profile.preview) == 10
    assert [row[0] for row in profile.preview] == list(range(1, 11))
    assert (profile.dialect is not None) == (profile.format is DatasetFormat.CSV)


def test_profiles_round_trip_through_json(tmp_path: Path) -> None:
    profile = inspect(write_csv(tmp_path / "d.csv", generated()))
    data = json.loads(json.dumps(profile.to_dict()))
    assert data["version"] == PROFILE_VERSION
    assert data["format"] == "csv"
    assert data["columns"][0] == {
        "name": "id",
        "type": "BIGINT",
        "null_count": 0,
        "min": 1,
        "max": ROWS,
        "distinct_count": profile.columns[0].distinct_count,
    }
    assert data["dialect"] == {"delimiter": ",", "quote": "", "escape": "", "header": True}
    assert DatasetProfile.from_dict(data) == profile
    with pytest.raises(Invalid, match="version"):
        DatasetProfile.from_dict({**data, "version": PROFILE_VERSION + 1})


def test_the_same_data_profiles_alike_in_every_format(tmp_path: Path) -> None:
    """The Parquet footer's statistics give what a scan of the CSV gives (types aside)."""
    columns = generated(seed=11)
    profiles = [WRITERS[name](tmp_path / name, columns) for name in WRITERS]
    summaries = {
        tuple((c.name, c.null_count, c.min, c.max) for c in inspect(p).columns) for p in profiles
    }
    assert len(summaries) == 1


def test_preview_rows_are_the_first_rows(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "d.parquet", generated(), row_group_size=50)
    assert [row[0] for row in inspect(path, preview_rows=3).preview] == [1, 2, 3]
    assert inspect(path, preview_rows=0).preview == ()
    assert len(inspect(path, preview_rows=ROWS + 10).preview) == ROWS
    with pytest.raises(Invalid, match="preview_rows"):
        inspect(path, preview_rows=-1)


def test_format_may_be_given_when_the_suffix_does_not_say(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.txt", {"a": [1, 2]})
    with pytest.raises(Invalid, match="not a dataset"):
        inspect(path)
    assert inspect(path, DatasetFormat.CSV).row_count == 2


# ---------------------------------------------------------------------------- Parquet details
def test_parquet_footer_statistics_across_row_groups(tmp_path: Path) -> None:
    columns = generated(seed=3)
    path = write_parquet(tmp_path / "d.parquet", columns, row_group_size=64)
    expected = expected_columns(columns)
    found = _by_name(inspect(path))
    for name in ("qty", "price", "day", "at"):
        assert (found[name].null_count, found[name].min, found[name].max) == expected[name][:3]


def test_parquet_footer_facts(tmp_path: Path) -> None:
    columns = generated(seed=9)
    path = write_parquet(tmp_path / "d.parquet", columns, row_group_size=100)
    facts = footer_facts(str(path))
    expected = expected_columns(columns)
    assert facts.row_count == ROWS
    for name in ("id", "qty", "price", "ok"):
        nulls, low, high, _ = expected[name]
        assert facts.columns[name] == FooterColumn(nulls, (low, high)), name
    assert facts.columns["city"].min_max is None  # text bounds may be cut short: scanned
    assert facts.columns["city"].null_count == expected["city"][0]


def test_what_the_footer_knows_is_not_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_parquet(tmp_path / "d.parquet", generated())
    told = FooterFacts(ROWS, {"qty": FooterColumn(123, (-999, 999)), "price": FooterColumn(7)})
    monkeypatch.setattr(inspect_module, "footer_facts", lambda _: told)
    found = _by_name(inspect(path))
    assert (found["qty"].null_count, found["qty"].min, found["qty"].max) == (123, -999, 999)
    assert found["price"].null_count == 7
    assert found["price"].min == expected_columns(generated())["price"][1]  # scanned


def test_parquet_without_statistics_is_scanned(tmp_path: Path) -> None:
    columns = generated(seed=5)
    path = write_parquet(tmp_path / "d.parquet", columns, write_statistics=False)
    expected = expected_columns(columns)
    found = _by_name(inspect(path))
    for name in ("qty", "price", "city", "day", "at"):
        assert (found[name].null_count, found[name].min, found[name].max) == expected[name][:3]


def test_nan_and_all_null_columns(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "d.parquet",
        {
            "x": pa.array([1.5, float("nan"), None, -2.0]),
            "empty": pa.array([None, None, None, None], pa.int32()),
        },
    )
    x, empty = inspect(path).columns
    assert (x.null_count, x.min, x.max) == (1, -2.0, 1.5)
    assert (empty.null_count, empty.min, empty.max, empty.distinct_count) == (4, None, None, 0)
    assert inspect(path).preview[1] == ("nan", None)


def test_other_types_become_json_values(tmp_path: Path) -> None:
    aware = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    table = pa.table(
        {
            "money": pa.array([Decimal("1.50"), Decimal("-3.25"), None], pa.decimal128(9, 2)),
            "utc": pa.array([aware, aware + timedelta(hours=1), None], pa.timestamp("us", "UTC")),
            "tags": pa.array([["a", "b"], [], None]),
            "blob": pa.array([b"\x00\x01", b"\xff", None]),
            "note": pa.array(["x" * (MAX_TEXT + 50), "short", None]),
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    profile = inspect(tmp_path / "d.parquet")
    found = _by_name(profile)
    assert (found["money"].type, found["money"].min, found["money"].max) == (
        "DECIMAL(9,2)",
        "-3.25",
        "1.50",
    )
    assert found["utc"].type == "TIMESTAMP WITH TIME ZONE"
    assert (found["utc"].min, found["utc"].max) == (
        "2024-05-01T12:00:00+00:00",
        "2024-05-01T13:00:00+00:00",
    )
    assert (found["tags"].type, found["tags"].min, found["tags"].null_count) == (
        "VARCHAR[]",
        None,
        1,
    )
    assert (found["blob"].type, found["blob"].min) == ("BLOB", None)
    assert found["note"].max == "x" * (MAX_TEXT - 1) + "…"
    assert profile.preview[0] == (
        "1.50",
        "2024-05-01T12:00:00+00:00",
        ["a", "b"],
        "0001",
        "x" * (MAX_TEXT - 1) + "…",
    )
    json.dumps(profile.to_dict())


# ---------------------------------------------------------------------------- CSV dialects
@pytest.mark.parametrize(
    ("text", "dialect", "rows"),
    [
        ("id;name;amount\n1;Oslo;2,5\n2;Lima;3\n", CsvDialect(";", "", "", True), 2),
        ("id\tname\n1\tNew York\n2\tLima\n", CsvDialect("\t", "", "", True), 2),
        (
            'id,name\n1,"Paris, France"\n2,"say ""hi"", then go"\n',
            CsvDialect(",", '"', '"', True),
            2,
        ),
        ("id|name\n1|a\n2|b\n3|c\n", CsvDialect("|", "", "", True), 3),
    ],
    ids=["semicolon", "tab", "quoted", "pipe"],
)
def test_csv_dialects_are_sniffed(
    tmp_path: Path, text: str, dialect: CsvDialect, rows: int
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text)
    profile = inspect(path)
    assert profile.dialect == dialect
    assert profile.row_count == rows
    assert profile.columns[0].name == "id"
    assert profile.columns[0].type == "BIGINT"


def test_csv_quoted_fields_keep_their_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('id,name\n1,"Paris, France"\n2,"say ""hi"", then go"\n')
    assert inspect(path).preview == ((1, "Paris, France"), (2, 'say "hi", then go'))


def test_csv_without_a_header(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("1,Oslo,2024-01-02\n2,Lima,2024-03-04\n3,Pune,2023-12-31\n")
    profile = inspect(path)
    assert profile.dialect == CsvDialect(",", "", "", header=False)
    assert [(c.name, c.type) for c in profile.columns] == [
        ("column0", "BIGINT"),
        ("column1", "VARCHAR"),
        ("column2", "DATE"),
    ]
    assert (profile.columns[2].min, profile.columns[2].max) == ("2023-12-31", "2024-03-04")


def test_tsv_suffix_is_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.tsv", generated(), delimiter="\t")
    profile = inspect(path)
    assert profile.format is DatasetFormat.CSV
    assert profile.dialect == CsvDialect("\t", "", "", header=True)
    assert profile.row_count == ROWS


def test_csv_timestamps_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("at,day\n2024-01-02 03:04:05,2024-01-02\n,\n2023-06-07 08:09:10,2025-02-28\n")
    at, day = inspect(path).columns
    assert (at.type, at.null_count, at.min, at.max) == (
        "TIMESTAMP",
        1,
        "2023-06-07T08:09:10",
        "2024-01-02T03:04:05",
    )
    assert (day.type, day.min, day.max) == ("DATE", "2024-01-02", "2025-02-28")


# ---------------------------------------------------------------------------- bad input
def _parquet_bytes(tmp_path: Path) -> bytes:
    return write_parquet(tmp_path / "good.parquet", generated()).read_bytes()


def test_truncated_parquet_is_invalid_naming_the_file(tmp_path: Path) -> None:
    data = _parquet_bytes(tmp_path)
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(Invalid, match=r"cannot read .*cut\.parquet as parquet"):
        inspect(path)


def test_corrupt_parquet_is_invalid(tmp_path: Path) -> None:
    data = bytearray(_parquet_bytes(tmp_path))
    data[8:400] = bytes(392)  # the first pages' bytes, not the footer
    path = tmp_path / "bad.parquet"
    path.write_bytes(bytes(data))
    with pytest.raises(Invalid, match=r"bad\.parquet"):
        inspect(path)


def test_not_parquet_at_all(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("id,name\n1,a\n")
    with pytest.raises(Invalid, match=r"x\.parquet as parquet"):
        inspect(path)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,4,5\n6,7\n",
        "a,b,c\n1,2,3\n4,5\n6,7,8\n",
        "a,b\n1,2\n3,4,5\n",  # the sniffer would skip two lines as a preamble
    ],
    ids=["long-row", "short-row", "ragged-last-row"],
)
def test_ragged_csv_is_invalid_naming_the_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(text)
    with pytest.raises(Invalid, match=r"ragged\.csv as csv: line 3 has \d fields"):
        inspect(path)


def test_ragged_csv_past_the_sniffer_sample_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    lines = ["a,b"] + [f"{i},{i}" for i in range(30_000)] + ["1,2,3"]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(Invalid, match=r"late\.csv as csv: .*Line: 30002") as caught:
        inspect(path)
    assert "Possible fixes" not in str(caught.value)


def test_non_json_line_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(Invalid, match=r"events\.jsonl as jsonl: .*JSON"):
        inspect(path)


def test_not_arrow_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "t.arrow"
    path.write_bytes(b"ARROW1 but nothing else")
    with pytest.raises(Invalid, match=r"t\.arrow as arrow"):
        inspect(path)


def test_a_preamble_line_is_skipped_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("exported by the shop\nid,name,n\n1,a,2\n2,b,3\n")
    profile = inspect(path)
    assert [c.name for c in profile.columns] == ["id", "name", "n"]
    assert profile.row_count == 2


def test_errors_use_the_name_given(tmp_path: Path) -> None:
    path = tmp_path / "tmp123.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(Invalid) as caught:
        inspect(path, name="data/orders.csv")
    assert "data/orders.csv" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)
    path = tmp_path / "tmp456.jsonl"
    path.write_text("{oops\n")
    with pytest.raises(Invalid) as caught:
        inspect(path, name="logs/day.jsonl")
    assert "logs/day.jsonl" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_missing_file_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"nothing\.parquet"):
        inspect(tmp_path / "nothing.parquet")
