"""Dataset diffs of session files (``DatasetsAPI.diff_dataset``, ``download_dataset_diff``)
and the data summaries of tree diffs (``WorkspaceAPI.diff(..., datasets=True)``): the same
assertions embedded and over HTTP, on a small dataset edited through the API."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.client import AetherClient
from aether_data.errors import Invalid, NotFound
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import (
    ColumnTolerance,
    DatasetChangeSummary,
    DatasetDiffResult,
    DatasetsAPI,
    WorkspaceAPI,
)

PATH = "data/orders.parquet"
GHOST_SESSION = "s-0000000000000000"
BEFORE = [
    {"id": 1, "code": "a", "name": "ada", "amount": 10.0},
    {"id": 2, "code": "b", "name": "bob", "amount": 20.0},
    {"id": 3, "code": "c", "name": "cy", "amount": 30.0},
    {"id": 4, "code": "d", "name": "dee", "amount": 40.0},
]
AFTER = [
    {"id": 1, "code": "a", "name": "ada", "amount": 10.0},
    {"id": 3, "code": "c", "name": "cy", "amount": 30.25},
    {"id": 4, "code": "d", "name": "dora", "amount": 40.0},
    {"id": 5, "code": "e", "name": "eve", "amount": 50.0},
]
ROWS = [
    {
        "_change": "removed",
        "_changed": [],
        "id": 2,
        "before.code": "b",
        "after.code": None,
        "before.name": "bob",
        "after.name": None,
        "before.amount": 20.0,
        "after.amount": None,
    },
    {
        "_change": "changed",
        "_changed": ["amount"],
        "id": 3,
        "before.code": "c",
        "after.code": "c",
        "before.name": "cy",
        "after.name": "cy",
        "before.amount": 30.0,
        "after.amount": 30.25,
    },
    {
        "_change": "changed",
        "_changed": ["name"],
        "id": 4,
        "before.code": "d",
        "after.code": "d",
        "before.name": "dee",
        "after.name": "dora",
        "before.amount": 40.0,
        "after.amount": 40.0,
    },
    {
        "_change": "added",
        "_changed": [],
        "id": 5,
        "before.code": None,
        "after.code": "e",
        "before.name": None,
        "after.name": "eve",
        "before.amount": None,
        "after.amount": 50.0,
    },
]
CONFIG = b"""
[datasets."data/*.parquet"]
key = "code"
tolerance = { amount = 0.5 }
"""

Stocked = tuple[WorkspaceAPI, DatasetsAPI, str]


def parquet(rows: list[dict]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


@pytest.fixture
def edited(pair: tuple[WorkspaceAPI, DatasetsAPI]) -> Stocked:
    """A session whose checkpoint ``v1`` holds BEFORE and whose tree holds AFTER."""
    ws, datasets = pair
    sid = ws.create_session(name="dataset-diff").id
    ws.write(sid, PATH, parquet(BEFORE))
    ws.write(sid, "data/gone.csv", b"a,b\n1,2\n")
    ws.write(sid, "data/broken.parquet", parquet(BEFORE))
    ws.write(sid, "data/prices.csv", b"sku,price\nx,1.5\ny,2.0\n")
    ws.write(sid, "README.md", b"# orders\n")
    ws.checkpoint(sid, "v1")
    ws.write(sid, PATH, parquet(AFTER))
    ws.delete(sid, "data/gone.csv")
    ws.write(sid, "data/broken.parquet", parquet(AFTER)[:40])
    ws.write(sid, "data/prices.csv", b"sku,price\nx,1.5\ny,2.5\nz,3.0\n")
    ws.write(sid, "data/new.parquet", parquet(AFTER))
    ws.write(sid, "README.md", b"# orders, edited\n")
    return ws, datasets, sid


def test_diff_of_a_session_dataset(edited: Stocked) -> None:
    ws, datasets, sid = edited
    found = datasets.diff_dataset(sid, PATH, against="v1")
    assert isinstance(found, DatasetDiffResult)
    assert (found.path, found.key, found.key_source) == (PATH, ["id"], "inferred")
    assert found.old_id == hashlib.sha256(parquet(BEFORE)).hexdigest()
    assert found.new_id == ws.stat(sid, PATH).id
    s = found.summary
    assert (s.rows_before, s.rows_after, s.added, s.removed, s.changed, s.unchanged) == (
        4,
        4,
        1,
        1,
        2,
        1,
    )
    assert s.changed_cells == {"code": 0, "name": 1, "amount": 1}
    assert (s.keys_before.null_rows, s.keys_after.duplicate_keys) == (0, 0)
    assert found.schema.added == found.schema.dropped == []
    assert [(c.name, c.type) for c in found.schema.after] == [
        ("id", "BIGINT"),
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("amount", "DOUBLE"),
    ]
    assert found.rows == ROWS
    assert (found.offset, found.total_rows, found.next_offset) == (0, 4, None)


def test_pages_of_rows(edited: Stocked) -> None:
    _, datasets, sid = edited
    first = datasets.diff_dataset(sid, PATH, against="v1", limit=3)
    assert (first.rows, first.total_rows, first.next_offset) == (ROWS[:3], 4, 3)
    rest = datasets.diff_dataset(sid, PATH, against="v1", limit=3, offset=first.next_offset)
    assert (rest.rows, rest.offset, rest.next_offset) == (ROWS[3:], 3, None)
    counts_only = datasets.diff_dataset(sid, PATH, against="v1", limit=0)
    assert (counts_only.rows, counts_only.total_rows, counts_only.summary.changed) == ([], 4, 2)
    past = datasets.diff_dataset(sid, PATH, against="v1", offset=10)
    assert (past.rows, past.next_offset) == ([], None)


def test_key_and_tolerance_from_aether_toml(edited: Stocked) -> None:
    ws, datasets, sid = edited
    ws.write(sid, "aether.toml", CONFIG)
    found = datasets.diff_dataset(sid, PATH, against="v1")
    assert (found.key, found.key_source) == (["code"], "config")
    s = found.summary
    assert (s.added, s.removed, s.changed, s.unchanged) == (1, 1, 1, 2)  # 30 -> 30.25 is close
    assert [(r["_change"], r["code"], r["_changed"]) for r in found.rows] == [
        ("removed", "b", []),
        ("changed", "d", ["name"]),
        ("added", "e", []),
    ]
    given = datasets.diff_dataset(sid, PATH, against="v1", key="id")
    assert (given.key, given.key_source, given.summary.changed) == (["id"], "given", 1)
    exact = datasets.diff_dataset(
        sid, PATH, against="v1", key=["id"], tolerance={"amount": ColumnTolerance()}
    )
    assert exact.summary.changed == 2
    loose = datasets.diff_dataset(
        sid, PATH, against="v1", tolerance={"amount": {"abs": 0.0, "rel": 0.01}}
    )
    assert (loose.key, loose.summary.changed) == (["code"], 1)  # the key still from the file


def test_against_a_source_ref_and_another_session(
    pair: tuple[WorkspaceAPI, DatasetsAPI], fresh: Callable[[str], str]
) -> None:
    ws, datasets = pair
    source = fresh("orders")
    ws.create_source(source)
    sid = ws.create_session(source=source).id
    ws.write(sid, PATH, parquet(BEFORE))
    ws.commit(sid, message="orders v1")
    twin = ws.fork(sid).id
    ws.write(sid, PATH, parquet(AFTER))
    for against in (f"source:{source}", f"source:{source}@main", f"session:{twin}"):
        found = datasets.diff_dataset(sid, PATH, against=against)
        assert found.rows == ROWS, against
    with pytest.raises(NotFound, match="old side"):
        datasets.diff_dataset(twin, PATH)  # a fork's origin is its parent's: the empty source


def test_download_every_changed_row(edited: Stocked) -> None:
    _, datasets, sid = edited
    out = io.BytesIO()
    datasets.download_dataset_diff(sid, PATH, out, against="v1")
    table = pa.ipc.open_stream(out.getvalue()).read_all()
    assert table.to_pylist() == ROWS
    out = io.BytesIO()
    datasets.download_dataset_diff(sid, PATH, out, against="v1", format="parquet")
    assert pq.read_table(io.BytesIO(out.getvalue())).to_pylist() == ROWS
    out = io.BytesIO()
    datasets.download_dataset_diff(sid, PATH, out, against="v1", format="json")
    assert [json.loads(line) for line in out.getvalue().splitlines()] == ROWS
    out = io.BytesIO()
    datasets.download_dataset_diff(sid, PATH, out, against="v1", format="csv", key="code")
    lines = out.getvalue().decode().splitlines()
    assert lines[0].split(",")[:4] == ["_change", "_changed", "code", "before.id"]
    assert len(lines) == 5
    with pytest.raises(Invalid, match="arrow, parquet, csv or json"):
        datasets.download_dataset_diff(sid, PATH, io.BytesIO(), format="xml")  # type: ignore[arg-type]


def test_bad_paths_and_options(edited: Stocked) -> None:
    _, datasets, sid = edited
    with pytest.raises(NotFound, match="old side"):
        datasets.diff_dataset(sid, "data/new.parquet", against="v1")
    with pytest.raises(NotFound, match="new side"):
        datasets.diff_dataset(sid, "data/gone.csv", against="v1")
    with pytest.raises(Invalid, match="not a dataset"):
        datasets.diff_dataset(sid, "README.md", against="v1")
    with pytest.raises(Invalid):
        datasets.diff_dataset(sid, "data", against="v1")
    with pytest.raises(Invalid, match=r"cannot read new data/broken\.parquet as parquet"):
        datasets.diff_dataset(sid, "data/broken.parquet", against="v1")
    with pytest.raises(Invalid, match="key column 'nope'"):
        datasets.diff_dataset(sid, PATH, against="v1", key="nope")
    with pytest.raises(Invalid, match="unknown column 'nope'"):
        datasets.diff_dataset(sid, PATH, against="v1", tolerance={"nope": 1})
    with pytest.raises(Invalid, match="only numbers"):
        datasets.diff_dataset(sid, PATH, against="v1", tolerance={"name": 1})
    with pytest.raises(Invalid, match="negative"):
        datasets.diff_dataset(sid, PATH, against="v1", tolerance={"amount": -1})
    with pytest.raises(Invalid):
        datasets.diff_dataset(sid, PATH, against="v1", limit=-1)
    with pytest.raises(NotFound):
        datasets.diff_dataset(sid, PATH, against="no-such-checkpoint")
    with pytest.raises(NotFound):
        datasets.diff_dataset(sid, PATH, against="source:no-such-source")
    with pytest.raises(NotFound):
        datasets.diff_dataset(GHOST_SESSION, PATH)


def test_tree_diff_with_data_summaries(edited: Stocked) -> None:
    ws, _, sid = edited
    plain = {c.path: c for c in ws.diff(sid, against="v1")}
    assert all(c.dataset is None and c.dataset_error is None for c in plain.values())
    changes = {c.path: c for c in ws.diff(sid, against="v1", datasets=True)}
    assert set(changes) == set(plain)
    orders = changes[PATH]
    assert isinstance(orders.dataset, DatasetChangeSummary)
    assert (orders.dataset.key, orders.dataset.key_source) == (["id"], "inferred")
    s = orders.dataset.summary
    assert (s.added, s.removed, s.changed, s.unchanged) == (1, 1, 2, 1)
    prices = changes["data/prices.csv"].dataset
    assert prices is not None
    assert (prices.key, prices.summary.added, prices.summary.changed) == (["sku"], 1, 1)
    broken = changes["data/broken.parquet"]
    assert broken.dataset is None
    assert "cannot read new data/broken.parquet as parquet" in (broken.dataset_error or "")
    for path in ("README.md", "data/gone.csv", "data/new.parquet"):
        assert (changes[path].dataset, changes[path].dataset_error) == (None, None), path
    only = ws.diff(sid, against="v1", prefix="data/prices.csv", datasets=True)
    assert [c.dataset and c.dataset.summary.changed for c in only] == [1]


def test_tree_diff_reads_aether_toml_once_and_reports_a_bad_one(edited: Stocked) -> None:
    ws, _, sid = edited
    ws.write(sid, "aether.toml", CONFIG)
    orders = next(c for c in ws.diff(sid, against="v1", datasets=True) if c.path == PATH)
    assert orders.dataset is not None
    assert (orders.dataset.key, orders.dataset.summary.changed) == (["code"], 1)
    ws.write(sid, "aether.toml", b"[datasets\n")
    changes = {c.path: c for c in ws.diff(sid, against="v1", datasets=True)}
    assert "aether.toml is not valid TOML" in (changes[PATH].dataset_error or "")
    assert changes["aether.toml"].dataset_error is None


@pytest.mark.parametrize("kind", ["embedded", "http"])
def test_other_tenants_see_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "embedded":
        services = open_services(Settings.for_home(tmp_path / "home"))
        request.addfinalizer(services.close)
        ws, stranger = services.workspace(), services.datasets_api("tenant-x")
        their_ws = services.workspace("tenant-x")
    else:
        server = request.getfixturevalue("shared_server")
        ws = AetherClient(server.url, server.token)
        stranger = their_ws = AetherClient(server.url, server.issue(["admin"], tenant="tenant-x"))
        request.addfinalizer(ws.close)
        request.addfinalizer(stranger.close)
    sid = ws.create_session().id
    ws.write(sid, PATH, parquet(BEFORE))
    ws.checkpoint(sid, "v1")
    ws.write(sid, PATH, parquet(AFTER))
    with pytest.raises(NotFound):
        stranger.diff_dataset(sid, PATH, against="v1")
    with pytest.raises(NotFound):
        stranger.download_dataset_diff(sid, PATH, io.BytesIO(), against="v1")
    theirs = their_ws.create_session().id
    their_ws.write(theirs, PATH, parquet(AFTER))
    with pytest.raises(NotFound):
        stranger.diff_dataset(theirs, PATH, against=f"session:{sid}")
