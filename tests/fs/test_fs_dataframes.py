"""pandas, pyarrow, DuckDB and polars reading and writing session files through
``aether://`` (embedded workspace; the filesystem is the same over HTTP)."""

from __future__ import annotations

import pytest
from _aether_fs import require

from aether_data.fs import AetherFileSystem
from aether_data.wire import WorkspaceAPI

pd = require("pandas")
pa = require("pyarrow")
pq = require("pyarrow.parquet")


@pytest.fixture
def frame():
    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "amount": [1.5, 2.5, 4.0]})


def test_pandas_csv_and_parquet(workspace: WorkspaceAPI, sid: str, frame) -> None:
    options = {"api": workspace}
    frame.to_csv(f"aether://{sid}/data/orders.csv", index=False, storage_options=options)
    assert workspace.read(sid, "data/orders.csv").startswith(b"id,name,amount\n1,a,1.5\n")
    back = pd.read_csv(f"aether://{sid}/data/orders.csv", storage_options=options)
    pd.testing.assert_frame_equal(back, frame)
    frame.to_parquet(f"aether://{sid}/data/orders.parquet", storage_options=options)
    read = pd.read_parquet(f"aether://{sid}/data/orders.parquet", storage_options=options)
    pd.testing.assert_frame_equal(read, frame)


def test_pyarrow_through_the_filesystem(afs: AetherFileSystem, sid: str, frame) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, f"{sid}/parts/a.parquet", filesystem=afs)
    pq.write_table(table.slice(0, 1), f"{sid}/parts/b.parquet", filesystem=afs)
    assert pq.read_table(f"{sid}/parts/a.parquet", filesystem=afs).equals(table)
    dataset = pq.ParquetDataset(f"{sid}/parts", filesystem=afs)
    assert dataset.read().num_rows == 4
    assert pq.read_metadata(afs.open(f"{sid}/parts/a.parquet")).num_rows == 3


def test_duckdb_reads_and_writes(afs: AetherFileSystem, sid: str, frame) -> None:
    duckdb = require("duckdb")
    frame.to_parquet(f"aether://{sid}/d/orders.parquet", storage_options={"api": afs.api})
    afs.pipe(f"{sid}/d/extra.csv", b"id,name,amount\n4,d,8.0\n")
    con = duckdb.connect()
    try:
        con.register_filesystem(afs)
        query = f"SELECT sum(amount) FROM read_parquet('aether://{sid}/d/orders.parquet')"
        assert con.execute(query).fetchall() == [(8.0,)]
        rows = con.execute(f"SELECT name FROM read_csv('aether://{sid}/d/extra.csv')").fetchall()
        assert rows == [("d",)]
        frame.to_parquet(f"aether://{sid}/d/more.parquet", storage_options={"api": afs.api})
        glob = f"SELECT count(*) FROM read_parquet('aether://{sid}/d/*.parquet')"
        assert con.execute(glob).fetchall() == [(6,)]
        con.sql(f"COPY (SELECT 42 AS answer) TO 'aether://{sid}/d/answer.parquet' (FORMAT parquet)")
    finally:
        con.close()
    assert pd.read_parquet(afs.open(f"{sid}/d/answer.parquet"))["answer"].tolist() == [42]


def test_polars_reads_and_writes(afs: AetherFileSystem, sid: str, frame) -> None:
    pl = require("polars")
    df = pl.from_pandas(frame)
    with afs.open(f"{sid}/pl/orders.parquet", "wb") as out:
        df.write_parquet(out)
    with afs.open(f"{sid}/pl/orders.parquet", "rb") as source:
        assert pl.read_parquet(source).equals(df)
    with afs.open(f"{sid}/pl/orders.csv", "wb") as out:
        df.write_csv(out)
    # polars reads URLs with its own object_store (no fsspec): hand it an opened file.
    with afs.open(f"aether://{sid}/pl/orders.csv", "rb") as source:
        assert pl.read_csv(source).equals(df)
