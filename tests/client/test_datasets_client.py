"""The ``DatasetsAPI`` of the clients and the manifest's ``datasets`` option: the signatures,
what goes on the wire (each path segment encoded on its own), decoding, and a round trip
through ``AsyncAetherClient`` against a live server."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aether_data.client import AetherClient, AsyncAetherClient
from aether_data.errors import Invalid
from aether_data.wire import DatasetHint, DatasetProfile, DatasetsAPI, WorkspaceAPI

PROFILE = {
    "path": "a b/c.csv",
    "id": "0" * 64,
    "format": "csv",
    "size": 10,
    "row_count": 1,
    "columns": [{"name": "x", "type": "BIGINT", "null_count": 0, "distinct_count": 1}],
    "preview": [[1]],
    "dialect": {"delimiter": ",", "quote": "", "escape": "", "header": True},
}
MANIFEST = {
    "items": [
        {"path": "a.csv", "kind": "file", "size": 4, "id": "0" * 64},
        {
            "path": "b.csv",
            "kind": "file",
            "size": 4,
            "id": "1" * 64,
            "dataset": {
                "format": "csv",
                "row_count": 1,
                "columns": [{"name": "x", "type": "BIGINT"}],
            },
        },
    ],
    "next_cursor": None,
}
PROTOCOL = [
    name
    for name, value in vars(DatasetsAPI).items()
    if inspect.isfunction(value) and not name.startswith("_")
]

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(seen: list[httpx.Request], answer: Any) -> AetherClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    return AetherClient("http://aether.test", "aet_t", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize("cls", [AetherClient, AsyncAetherClient])
@pytest.mark.parametrize(
    ("protocol", "name"), [(DatasetsAPI, n) for n in PROTOCOL] + [(WorkspaceAPI, "manifest")]
)
def test_signatures_follow_the_protocols(cls: type, protocol: type, name: str) -> None:
    wanted = inspect.signature(getattr(protocol, name))
    got = inspect.signature(getattr(cls, name))
    assert list(got.parameters) == list(wanted.parameters)
    for param, expected in zip(got.parameters.values(), wanted.parameters.values(), strict=True):
        assert (param.kind, param.default) == (expected.kind, expected.default), param.name
    assert getattr(cls, name).__doc__


def test_both_clients_are_datasets_apis() -> None:
    with client_with([], PROFILE) as client:
        assert isinstance(client, DatasetsAPI)
    assert isinstance(AsyncAetherClient("http://127.0.0.1:1"), DatasetsAPI)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("a.csv", "/v1/sessions/s%2F1/datasets/a.csv"),
        ("a b/c.csv", "/v1/sessions/s%2F1/datasets/a%20b/c.csv"),
        ("ünï/50%?#.parquet", "/v1/sessions/s%2F1/datasets/%C3%BCn%C3%AF/50%25%3F%23.parquet"),
    ],
)
def test_paths_keep_their_slashes(path: str, raw: str) -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, PROFILE) as client:
        profile = client.inspect_dataset("s/1", path)
    assert [(r.method, r.url.raw_path.decode()) for r in seen] == [("GET", raw)]
    assert isinstance(profile, DatasetProfile)
    assert (profile.columns[0].min, profile.dialect and profile.dialect.delimiter) == (None, ",")


@pytest.mark.parametrize("path", ["", "/a.csv", "a//b.csv"])
def test_bad_paths_are_invalid_before_sending(path: str) -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, PROFILE) as client, pytest.raises(Invalid):
        client.inspect_dataset("s1", path)
    assert seen == []


def test_manifest_asks_for_hints_only_when_told() -> None:
    seen: list[httpx.Request] = []
    with client_with(seen, MANIFEST) as client:
        plain = client.manifest("s1")
        hinted = client.manifest("s1", datasets=True)
    assert "datasets" not in seen[0].url.params
    assert seen[1].url.params["datasets"] == "true"
    assert plain.items[0].dataset is None
    assert isinstance(hinted.items[1].dataset, DatasetHint)
    assert hinted.items[1].dataset.columns[0].type == "BIGINT"


def test_async_round_trip(client_server: Any) -> None:
    async def scenario() -> None:
        async with AsyncAetherClient(client_server.url, client_server.token) as client:
            sid = (await client.create_session()).id
            await client.write(sid, "d/x.jsonl", b'{"n": 1}\n{"n": null}\n')
            profile = await client.inspect_dataset(sid, "d/x.jsonl")
            assert (profile.format, profile.row_count) == ("jsonl", 2)
            assert (profile.columns[0].null_count, profile.columns[0].max) == (1, 1)
            page = await client.manifest(sid, datasets=True)
            hints = {item.path: item.dataset for item in page.items}
            assert hints["d/x.jsonl"] is not None
            assert hints["d/x.jsonl"].columns[0].name == "n"

    asyncio.run(scenario())
