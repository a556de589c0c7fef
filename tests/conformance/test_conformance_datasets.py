"""``DatasetsAPI`` and the manifest's dataset hints: the same assertions against the embedded
implementations and against ``AetherClient`` talking to the shared live server."""

from __future__ import annotations

import inspect
import io
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.errors import Invalid, NotFound
from aether_data.wire import DatasetHint, DatasetProfile, DatasetsAPI, WorkspaceAPI

GHOST_SESSION = "s-0000000000000000"
CSV = b'id,name,price\n1,"Oslo, NO",2.5\n2,Lima,\n3,"Pune",1.25\n'


def parquet_bytes() -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"k": [3, 1, 2], "when": pa.array([0, None, 86_400], pa.int64())}), out)
    return out.getvalue()


@pytest.fixture
def stocked(pair: tuple[WorkspaceAPI, DatasetsAPI]) -> tuple[WorkspaceAPI, DatasetsAPI, str]:
    ws, datasets = pair
    sid = ws.create_session(name="datasets").id
    ws.write(sid, "in/prices 2024.csv", CSV)
    ws.write(sid, "in/keys.parquet", parquet_bytes())
    ws.write(sid, "in/broken.parquet", parquet_bytes()[:40])
    ws.write(sid, "README.md", b"# data\n")
    return ws, datasets, sid


def test_every_datasets_method_is_exercised() -> None:
    methods = {
        name
        for name, value in vars(DatasetsAPI).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    source = "\n".join(
        p.read_text() for p in Path(__file__).parent.glob("test_conformance_data*.py")
    )
    called = set(re.findall(r"\bdatasets\.(\w+)\(", source))
    assert methods - called == set()


def test_both_implement_the_protocol(pair: tuple[WorkspaceAPI, DatasetsAPI]) -> None:
    assert isinstance(pair[1], DatasetsAPI)


def test_inspect_dataset(stocked: tuple[WorkspaceAPI, DatasetsAPI, str]) -> None:
    ws, datasets, sid = stocked
    profile = datasets.inspect_dataset(sid, "in/prices 2024.csv")
    assert isinstance(profile, DatasetProfile)
    assert (profile.path, profile.id) == (
        "in/prices 2024.csv",
        ws.stat(sid, "in/prices 2024.csv").id,
    )
    assert (profile.format, profile.size, profile.row_count) == ("csv", len(CSV), 3)
    assert [(c.name, c.type, c.null_count, c.min, c.max) for c in profile.columns] == [
        ("id", "BIGINT", 0, 1, 3),
        ("name", "VARCHAR", 0, "Lima", "Pune"),
        ("price", "DOUBLE", 1, 1.25, 2.5),
    ]
    assert [c.distinct_count for c in profile.columns] == [3, 3, 2]
    assert profile.preview == [[1, "Oslo, NO", 2.5], [2, "Lima", None], [3, "Pune", 1.25]]
    assert profile.dialect is not None
    assert (profile.dialect.delimiter, profile.dialect.quote, profile.dialect.header) == (
        ",",
        '"',
        True,
    )
    assert datasets.inspect_dataset(sid, "in/prices 2024.csv") == profile


def test_inspect_parquet(stocked: tuple[WorkspaceAPI, DatasetsAPI, str]) -> None:
    _, datasets, sid = stocked
    profile = datasets.inspect_dataset(sid, "in/keys.parquet")
    assert (profile.format, profile.row_count, profile.dialect) == ("parquet", 3, None)
    assert [(c.name, c.null_count, c.min, c.max) for c in profile.columns] == [
        ("k", 0, 1, 3),
        ("when", 1, 0, 86_400),
    ]
    assert profile.preview == [[3, 0], [1, None], [2, 86_400]]


def test_inspect_errors(stocked: tuple[WorkspaceAPI, DatasetsAPI, str]) -> None:
    _, datasets, sid = stocked
    with pytest.raises(Invalid, match=r"cannot read in/broken\.parquet as parquet"):
        datasets.inspect_dataset(sid, "in/broken.parquet")
    with pytest.raises(Invalid, match="not a dataset"):
        datasets.inspect_dataset(sid, "README.md")
    with pytest.raises(Invalid):
        datasets.inspect_dataset(sid, "in")
    with pytest.raises(NotFound):
        datasets.inspect_dataset(sid, "in/missing.csv")
    with pytest.raises(NotFound):
        datasets.inspect_dataset(GHOST_SESSION, "in/keys.parquet")


def test_manifest_with_dataset_hints(stocked: tuple[WorkspaceAPI, DatasetsAPI, str]) -> None:
    ws, _, sid = stocked
    plain = ws.manifest(sid)
    assert [item.dataset for item in plain.items] == [None] * len(plain.items)
    hinted = {item.path: item.dataset for item in ws.manifest(sid, datasets=True).items}
    assert set(hinted) == {item.path for item in plain.items}
    csv_hint = hinted["in/prices 2024.csv"]
    assert isinstance(csv_hint, DatasetHint)
    assert (csv_hint.format, csv_hint.row_count) == ("csv", 3)
    assert [(c.name, c.type) for c in csv_hint.columns] == [
        ("id", "BIGINT"),
        ("name", "VARCHAR"),
        ("price", "DOUBLE"),
    ]
    assert hinted["in/keys.parquet"] is not None
    assert hinted["in/keys.parquet"].row_count == 3
    assert hinted["in/broken.parquet"] is None
    assert hinted["README.md"] is None
    assert hinted["in"] is None
    page = ws.manifest(sid, prefix="in", limit=1, datasets=True)
    assert [item.path for item in page.items] == ["in/broken.parquet"]
    rest = ws.manifest(sid, prefix="in", cursor=page.next_cursor, datasets=True)
    assert [item.dataset is not None for item in rest.items] == [True, True]
