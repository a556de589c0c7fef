"""Dataset diffs in embedded mode: the copies of both sides are gone afterwards (errors
included), and the engine's scratch once the kept diffs are dropped; the memory limit comes
from the settings, values of every kind become exact JSON, key issues are counted, any two
trees compare, and a tree diff's summaries skip what is not a changed dataset file."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.errors import Invalid
from aether_data.service import Services, open_services
from aether_data.service import _dataset_diff as engine_calls
from aether_data.settings import Settings
from aether_data.wire import Change, ChangeSide


def parquet(table: pa.Table | list[dict]) -> bytes:
    out = io.BytesIO()
    pq.write_table(table if isinstance(table, pa.Table) else pa.Table.from_pylist(table), out)
    return out.getvalue()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings.for_home(tmp_path / "home", dataset_memory_limit="256MB")
    with open_services(settings) as opened:
        yield opened


def _edited(services: Services, before: bytes, after: bytes, path: str = "d/t.parquet") -> str:
    ws = services.workspace()
    sid = ws.create_session().id
    ws.write(sid, path, before)
    ws.checkpoint(sid, "v1")
    ws.write(sid, path, after)
    return sid


def _scratch(services: Services) -> list[Path]:
    folder = services.settings.home / "tmp"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_copies_are_removed_and_the_memory_limit_is_the_settings(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    real = engine_calls.diff

    def spying(*args: Any, **options: Any) -> Any:
        seen.append({"paths": [Path(a) for a in args], **options})
        assert all(Path(a).is_file() for a in args)
        return real(*args, **options)

    monkeypatch.setattr(engine_calls, "diff", spying)
    sid = _edited(services, parquet([{"k": 1, "v": 1}]), parquet([{"k": 1, "v": 2}]))
    datasets = services.datasets_api()
    assert datasets.diff_dataset(sid, "d/t.parquet", against="v1").summary.changed == 1
    datasets.download_dataset_diff(sid, "d/t.parquet", io.BytesIO(), against="v1", format="csv")
    with pytest.raises(Invalid):
        datasets.diff_dataset(sid, "d/t.parquet", against="v1", key="nope")
    # The download reuses the diff the page computed; the refused one is computed alone.
    assert [call["memory_limit"] for call in seen] == ["256MB"] * 2
    assert all(not path.exists() for call in seen for path in call["paths"])
    services.dataset_diffs.close()
    assert _scratch(services) == []


def test_values_of_every_kind_are_exact_json(services: Services) -> None:
    schema = pa.schema(
        [
            ("k", pa.int64()),
            ("price", pa.decimal128(10, 2)),
            ("at", pa.timestamp("us")),
            ("day", pa.date32()),
            ("blob", pa.binary()),
            ("ratio", pa.float64()),
            ("tags", pa.list_(pa.string())),
        ]
    )
    before = pa.Table.from_pylist(
        [
            {
                "k": 1,
                "price": decimal.Decimal("1.10"),
                "at": dt.datetime(2024, 5, 6, 7, 8, 9),
                "day": dt.date(2024, 5, 6),
                "blob": b"\x00\x01",
                "ratio": 0.5,
                "tags": ["a"],
            }
        ],
        schema,
    )
    after = before.set_column(5, "ratio", pa.array([math.nan])).set_column(
        4, "blob", pa.array([b"\x02"])
    )
    sid = _edited(services, parquet(before), parquet(after))
    row = services.datasets_api().diff_dataset(sid, "d/t.parquet", against="v1").rows[0]
    assert row == {
        "_change": "changed",
        "_changed": ["blob", "ratio"],
        "k": 1,
        "before.price": "1.10",
        "after.price": "1.10",
        "before.at": "2024-05-06T07:08:09",
        "after.at": "2024-05-06T07:08:09",
        "before.day": "2024-05-06",
        "after.day": "2024-05-06",
        "before.blob": "AAE=",
        "after.blob": "Ag==",
        "before.ratio": 0.5,
        "after.ratio": "nan",
        "before.tags": ["a"],
        "after.tags": ["a"],
    }


def test_null_and_repeated_keys_are_counted(services: Services) -> None:
    before = [{"k": 1, "v": 1}, {"k": 2, "v": 2}, {"k": 2, "v": 3}, {"k": None, "v": 4}]
    after = [{"k": 1, "v": 9}, {"k": 2, "v": 2}, {"k": 3, "v": 3}]
    sid = _edited(services, parquet(before), parquet(after))
    found = services.datasets_api().diff_dataset(sid, "d/t.parquet", against="v1", key="k")
    s = found.summary
    assert (s.keys_before.null_rows, s.keys_before.duplicate_keys) == (1, 1)
    assert s.keys_before.duplicate_rows == 2
    assert s.keys_after.other_side_rows == 1
    assert s.keys_before.examples == [[2]]
    assert [(r["_change"], r["k"]) for r in found.rows] == [("changed", 1), ("added", 3)]


def test_any_two_trees_compare(services: Services) -> None:
    sid = _edited(services, parquet([{"k": 1, "v": 1}]), parquet([{"k": 1, "v": 2}]))
    ws = services.workspace()
    old, new = ws.compared_trees(sid, against="v1")
    with services.dataset_diffs.open(new, old, "d/t.parquet", key=["k"]) as opened:
        page = opened.page(0, 10)
        assert [(r["before.v"], r["after.v"]) for r in page.rows] == [(2, 1)]
        assert page.old_id == ws.stat(sid, "d/t.parquet").id != page.new_id
    services.dataset_diffs.close()
    assert _scratch(services) == []


def test_summaries_compare_changed_dataset_files_only(services: Services) -> None:
    ws = services.workspace()
    sid = ws.create_session().id
    ws.write(sid, "a.csv", b"k,v\n1,1\n")
    ws.write(sid, "b.csv", b"k,v\n1,2\n")
    tree = ws.compared_trees(sid)[1]
    a, b = ws.stat(sid, "a.csv").id, ws.stat(sid, "b.csv").id

    def side(oid: str, kind: str = "file") -> ChangeSide:
        return ChangeSide(kind=kind, id=oid, size=8)  # type: ignore[arg-type]

    changes = [
        Change(status="renamed", path="b.csv", old_path="a.csv", old=side(a), new=side(b)),
        Change(status="renamed", path="c.csv", old_path="a.csv", old=side(a), new=side(a)),
        Change(status="modified", path="a.csv", old=side(a), new=side(b, "link")),
        Change(status="added", path="b.csv", new=side(b)),
        Change(status="modified", path="x.txt", old=side(a), new=side(b)),
    ]
    found = services.dataset_diffs.summaries(tree, tree, changes)
    renamed = found[0].dataset
    assert renamed is not None
    assert (renamed.key, renamed.summary.changed) == (["k"], 1)
    assert [(c.dataset, c.dataset_error) for c in found[1:]] == [(None, None)] * 4
