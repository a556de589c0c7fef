"""Dataset profiles of session files in embedded mode: kept in the catalog by content hash (a
repeat reads nothing from the store), computed from a temporary copy that is removed, errors
naming the session path, tenancy, and schema hints in the manifest."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.datasets import PROFILE_VERSION
from aether_data.errors import Invalid, NotFound
from aether_data.service import Services, open_services
from aether_data.settings import Settings
from aether_data.wire import ColumnHint, DatasetHint

CSV = b"id;city;day\n1;Oslo;2024-01-02\n2;;2024-03-04\n3;Lima;\n"


def parquet_bytes(rows: int = 100) -> bytes:
    table = pa.table(
        {"id": list(range(rows)), "x": [i / 2 if i % 7 else None for i in range(rows)]}
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with open_services(Settings.for_home(tmp_path / "home")) as opened:
        yield opened


@pytest.fixture
def reads(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the files read from the store (every read opens the file)."""
    seen: list[str] = []
    store = services.store
    opener = store.open

    def counting(oid: Any) -> Any:
        seen.append(oid)
        return opener(oid)

    monkeypatch.setattr(store, "open", counting)
    return seen


def _session(services: Services, files: dict[str, bytes], tenant: str = "default") -> str:
    ws = services.workspace(tenant)
    sid = ws.create_session().id
    for path, data in files.items():
        ws.write(sid, path, data)
    return sid


def test_inspect_a_session_file(services: Services) -> None:
    sid = _session(services, {"data/orders.csv": CSV})
    profile = services.datasets_api().inspect_dataset(sid, "data/orders.csv")
    entry = services.workspace().stat(sid, "data/orders.csv")
    assert (profile.path, profile.id, profile.size) == ("data/orders.csv", entry.id, len(CSV))
    assert (profile.format, profile.row_count) == ("csv", 3)
    assert [(c.name, c.type, c.null_count) for c in profile.columns] == [
        ("id", "BIGINT", 0),
        ("city", "VARCHAR", 1),
        ("day", "DATE", 1),
    ]
    assert (profile.columns[2].min, profile.columns[2].max) == ("2024-01-02", "2024-03-04")
    assert profile.preview[1] == [2, None, "2024-03-04"]
    assert profile.dialect is not None
    assert (profile.dialect.delimiter, profile.dialect.header) == (";", True)


def test_a_kept_profile_costs_no_read(services: Services, reads: list[str]) -> None:
    data = parquet_bytes()
    sid = _session(services, {"a.parquet": data})
    api = services.datasets_api()
    reads.clear()
    first = api.inspect_dataset(sid, "a.parquet")
    assert reads == [first.id]  # streamed out once
    assert services.catalog.get_dataset_profile(first.id)["version"] == PROFILE_VERSION
    reads.clear()
    assert api.inspect_dataset(sid, "a.parquet") == first
    other = _session(services, {"copy/b.parquet": data})
    again = api.inspect_dataset(other, "copy/b.parquet")
    assert reads == []
    assert (again.path, again.columns, again.row_count) == ("copy/b.parquet", first.columns, 100)


def test_the_copy_is_removed(services: Services) -> None:
    sid = _session(services, {"a.parquet": parquet_bytes(), "bad.csv": b"a,b\n1,2\n3,4,5\n"})
    api = services.datasets_api()
    api.inspect_dataset(sid, "a.parquet")
    with pytest.raises(Invalid):
        api.inspect_dataset(sid, "bad.csv")
    assert list((services.settings.home / "tmp").iterdir()) == []


def test_unreadable_files_are_invalid_naming_the_session_path(services: Services) -> None:
    data = parquet_bytes()
    sid = _session(
        services,
        {
            "in/cut.parquet": data[: len(data) // 2],
            "in/ragged.csv": b"a,b\n1,2\n3,4,5\n6,7\n",
            "in/log.jsonl": b'{"a": 1}\nnot json\n',
        },
    )
    api = services.datasets_api()
    scratch = str(services.settings.home)
    for path in ("in/cut.parquet", "in/ragged.csv", "in/log.jsonl"):
        with pytest.raises(Invalid) as caught:
            api.inspect_dataset(sid, path)
        assert f"cannot read {path} as" in str(caught.value)
        assert scratch not in str(caught.value)
        assert services.catalog.get_dataset_profile(services.workspace().stat(sid, path).id) is None


def test_what_is_not_a_dataset_file(services: Services) -> None:
    sid = _session(services, {"notes.md": b"# hi\n", "data/a.csv": CSV})
    services.workspace().symlink(sid, "link.csv", "data/a.csv")
    api = services.datasets_api()
    with pytest.raises(Invalid, match="not a dataset"):
        api.inspect_dataset(sid, "notes.md")
    with pytest.raises(Invalid, match="'data' is a dir"):
        api.inspect_dataset(sid, "data")
    with pytest.raises(Invalid, match=r"'link\.csv' is a link"):
        api.inspect_dataset(sid, "link.csv")
    with pytest.raises(NotFound):
        api.inspect_dataset(sid, "data/missing.csv")
    with pytest.raises(Invalid):
        api.inspect_dataset(sid, "../data/a.csv")


def test_another_tenants_session_is_not_found(services: Services) -> None:
    sid = _session(services, {"a.csv": CSV}, tenant="acme")
    assert services.datasets_api("acme").inspect_dataset(sid, "a.csv").row_count == 3
    with pytest.raises(NotFound, match=sid):
        services.datasets_api("other").inspect_dataset(sid, "a.csv")
    with pytest.raises(NotFound):
        services.datasets_api().inspect_dataset("s-0000000000000000", "a.csv")


def test_the_same_bytes_in_another_format(services: Services) -> None:
    """One content id, two suffixes: each path is profiled as its own format."""
    lines = b'{"a": 1}\n{"a": 2}\n'
    sid = _session(services, {"x.jsonl": lines, "x.csv": lines})
    api = services.datasets_api()
    assert api.inspect_dataset(sid, "x.jsonl").format == "jsonl"
    assert api.inspect_dataset(sid, "x.csv").format == "csv"
    assert api.inspect_dataset(sid, "x.jsonl").columns[0].name == "a"


def test_a_profile_of_another_version_is_computed_again(
    services: Services, reads: list[str]
) -> None:
    sid = _session(services, {"a.csv": CSV})
    content = services.workspace().stat(sid, "a.csv").id
    services.catalog.put_dataset_profile(content, {"version": PROFILE_VERSION - 1, "rows": 1})
    reads.clear()
    assert services.datasets_api().inspect_dataset(sid, "a.csv").row_count == 3
    assert reads == [content]
    assert services.catalog.get_dataset_profile(content)["version"] == PROFILE_VERSION


def test_manifest_hints_come_from_the_profiles(services: Services, reads: list[str]) -> None:
    sid = _session(
        services,
        {"d/a.csv": CSV, "d/b.parquet": parquet_bytes(), "d/bad.csv": b"a,b\n1,2\n3,4,5\n"},
    )
    ws = services.workspace()
    services.workspace().write(sid, "notes.md", b"x")
    assert all(item.dataset is None for item in ws.manifest(sid).items)
    reads.clear()
    items = {item.path: item for item in ws.manifest(sid, datasets=True).items}
    assert items["d/a.csv"].dataset == DatasetHint(
        format="csv",
        row_count=3,
        columns=[
            ColumnHint(name="id", type="BIGINT"),
            ColumnHint(name="city", type="VARCHAR"),
            ColumnHint(name="day", type="DATE"),
        ],
    )
    assert items["d/b.parquet"].dataset == DatasetHint(
        format="parquet",
        row_count=100,
        columns=[ColumnHint(name="id", type="BIGINT"), ColumnHint(name="x", type="DOUBLE")],
    )
    assert items["d/bad.csv"].dataset is None
    assert items["d"].dataset is None
    assert items["notes.md"].dataset is None
    assert len(reads) == 3
    reads.clear()
    again = ws.manifest(sid, datasets=True, prefix="d", limit=1)
    assert [item.path for item in again.items] == ["d/a.csv"]
    assert again.items[0].dataset == items["d/a.csv"].dataset
    assert reads == []
