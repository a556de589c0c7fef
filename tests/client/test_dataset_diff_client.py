"""Dataset diffs in the clients: what goes on the wire (keys and tolerances as repeated query
parameters, the format of a download, ``datasets`` on the tree diff), decoding, bad input
refused before sending, and a round trip through ``AsyncAetherClient``."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
from typing import Any

import httpx
import pyarrow as pa
import pytest

from aether_data.client import AetherClient, AsyncAetherClient
from aether_data.errors import Invalid
from aether_data.wire import ColumnTolerance, DatasetDiffResult, WorkspaceAPI
from aether_data.wire.datasets import parse_tolerance, tolerance_param

SUMMARY = {
    "rows_before": 1,
    "rows_after": 1,
    "added": 0,
    "removed": 0,
    "changed": 1,
    "unchanged": 0,
    "changed_cells": {"v": 1},
    "keys_before": {"null_rows": 0, "duplicate_keys": 0, "duplicate_rows": 0, "examples": []},
}
RESULT = {
    "path": "a b/t.csv",
    "old_id": "0" * 64,
    "new_id": "1" * 64,
    "key": ["k"],
    "key_source": "given",
    "schema": {"before": [{"name": "k", "type": "BIGINT"}], "renamed": [{"from": "x", "to": "y"}]},
    "summary": SUMMARY,
    "rows": [{"_change": "changed", "_changed": ["v"], "k": 1, "before.v": 1, "after.v": 2}],
    "total_rows": 1,
}


def client_with(seen: list[httpx.Request], answer: Any, body: bytes | None = None) -> AetherClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if body is not None:
            return httpx.Response(200, content=body)
        return httpx.Response(200, json=answer)

    return AetherClient("http://aether.test", "aet_t", transport=httpx.MockTransport(handle))


def test_diff_dataset_on_the_wire() -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, RESULT) as client:
        found = client.diff_dataset(
            "s1",
            "a b/t.csv",
            against="source:orders@v2",
            key=["k", "day"],
            tolerance={"v": 0.5, "w": ColumnTolerance(abs=0, rel=1e-6), "x:y": {"rel": 0.1}},
            limit=10,
            offset=20,
        )
    request = seen[0]
    assert request.url.raw_path.decode().startswith("/v1/sessions/s1/dataset-diff/a%20b/t.csv?")
    params = request.url.params
    assert params.get_list("key") == ["k", "day"]
    assert params.get_list("tolerance") == ["v:0.5:0.0", "w:0.0:1e-06", "x:y:0.0:0.1"]
    assert (params["against"], params["limit"], params["offset"]) == (
        "source:orders@v2",
        "10",
        "20",
    )
    assert "format" not in params
    assert isinstance(found, DatasetDiffResult)
    assert (found.schema.renamed[0].from_, found.schema.renamed[0].to) == ("x", "y")
    assert found.summary.keys_after.null_rows == 0
    assert found.rows[0]["after.v"] == 2


def test_one_key_and_no_options() -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, RESULT) as client:
        client.diff_dataset("s1", "t.csv", key="k")
        client.diff_dataset("s1", "t.csv")
    assert seen[0].url.params.get_list("key") == ["k"]
    assert set(seen[1].url.params) == {"limit", "offset"}


def test_tolerance_parameters_read_back() -> None:
    for column, tolerance in [("v", ColumnTolerance(abs=0.5)), ("a:b", ColumnTolerance(rel=2))]:
        assert parse_tolerance(tolerance_param(column, tolerance)) == (column, tolerance)


def test_download_streams_into_out() -> None:
    table = pa.table({"_change": ["added"], "k": [1]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    seen: list[httpx.Request] = []
    out = io.BytesIO()
    with client_with(seen, None, sink.getvalue().to_pybytes()) as client:
        assert client.download_dataset_diff("s1", "t.csv", out, key="k") is None
        client.download_dataset_diff("s1", "t.csv", io.BytesIO(), format="parquet")
    assert pa.ipc.open_stream(out.getvalue()).read_all().equals(table)
    assert [r.url.params["format"] for r in seen] == ["arrow", "parquet"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.download_dataset_diff("s1", "t.csv", io.BytesIO(), format="xml"),
        lambda c: c.diff_dataset("s1", "t.csv", tolerance={"v": -1}),
        lambda c: c.diff_dataset("s1", "t.csv", tolerance={"v": "close"}),
        lambda c: c.diff_dataset("s1", "/t.csv"),
    ],
)
def test_bad_input_is_refused_before_sending(call: Any) -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, RESULT) as client, pytest.raises(Invalid):
        call(client)
    assert seen == []


def test_tree_diff_asks_for_data_only_when_told() -> None:
    seen: list[httpx.Request] = []
    page = {
        "items": [{"status": "modified", "path": "t.csv", "dataset": None}],
        "next_cursor": None,
    }
    with client_with(seen, page) as client:
        assert client.diff("s1")[0].dataset is None
        client.diff("s1", datasets=True)
    assert "datasets" not in seen[0].url.params
    assert (seen[1].url.params["datasets"], seen[1].url.params["limit"]) == ("true", "50")


def test_diff_signature_follows_the_protocol() -> None:
    wanted = list(inspect.signature(WorkspaceAPI.diff).parameters)
    for cls in (AetherClient, AsyncAetherClient):
        assert list(inspect.signature(cls.diff).parameters) == wanted


def test_async_round_trip(client_server: Any) -> None:
    async def scenario() -> None:
        async with AsyncAetherClient(client_server.url, client_server.token) as client:
            sid = (await client.create_session()).id
            await client.write(sid, "d/x.jsonl", b'{"k": 1, "v": 1}\n{"k": 2, "v": 2}\n')
            await client.checkpoint(sid, "v1")
            await client.write(sid, "d/x.jsonl", b'{"k": 1, "v": 1}\n{"k": 2, "v": 3}\n')
            found = await client.diff_dataset(sid, "d/x.jsonl", against="v1")
            assert (found.key, found.summary.changed) == (["k"], 1)
            out = io.BytesIO()
            await client.download_dataset_diff(sid, "d/x.jsonl", out, against="v1", format="json")
            assert [json.loads(line) for line in out.getvalue().splitlines()] == found.rows
            changes = await client.diff(sid, against="v1", datasets=True)
            assert changes[0].dataset is not None
            assert changes[0].dataset.summary.changed == 1

    asyncio.run(scenario())
