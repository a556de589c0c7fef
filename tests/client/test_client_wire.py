"""What the clients put on the wire and make of answers, against a mock transport."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aether_data.client import AetherClient, AsyncAetherClient
from aether_data.errors import Conflict, Invalid, NotFound, Unavailable
from aether_data.wire import CREATE_ONLY, WorkspaceAPI

MiB = 1 << 20
ENTRY = {"name": "a", "kind": "file", "id": "0" * 64, "size": 1}
SESSION = {
    "id": "s-1",
    "status": "ACTIVE",
    "base_tree": "0" * 64,
    "version": 1,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler) -> AetherClient:
    return AetherClient("http://aether.test/base/", "aet_t", transport=httpx.MockTransport(handler))


def recording(seen: list[httpx.Request], answer: Any = ENTRY, status: int = 200) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(status, json=answer)

    return handle


def problem(status: int, kind: str, detail: str) -> httpx.Response:
    body = {"type": f"urn:aether:problem:{kind}", "title": kind, "status": status, "detail": detail}
    return httpx.Response(
        status, content=json.dumps(body), headers={"content-type": "application/problem+json"}
    )


# ---------------------------------------------------------------------------- the protocol
PROTOCOL = [
    name
    for name, value in vars(WorkspaceAPI).items()
    if inspect.isfunction(value) and not name.startswith("_")
]


@pytest.mark.parametrize("cls", [AetherClient, AsyncAetherClient])
@pytest.mark.parametrize("name", PROTOCOL)
def test_every_protocol_method_with_its_signature(cls: type, name: str) -> None:
    wanted = inspect.signature(getattr(WorkspaceAPI, name))
    got = inspect.signature(getattr(cls, name))
    assert list(got.parameters) == list(wanted.parameters)
    for param, expected in zip(got.parameters.values(), wanted.parameters.values(), strict=True):
        assert (param.kind, param.default) == (expected.kind, expected.default), param.name
    assert getattr(cls, name).__doc__


def test_the_sync_client_is_a_workspace_api() -> None:
    with client_with(recording([])) as client:
        assert isinstance(client, WorkspaceAPI)
        assert inspect.signature(client.read).parameters.keys() == {
            "session_id",
            "path",
            "start",
            "length",
            "at",
        }


# ---------------------------------------------------------------------------- requests
def test_urls_headers_and_token() -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen)) as client:
        client.stat("s-1", "dir with space/ä#?.txt")
        client.write("s-1", "dir with space/ä#?.txt", b"x", expected="ab" * 32)
        client.write("s-1", "n.txt", b"x", expected=CREATE_ONLY, executable=True)
    stat, update, create = seen
    assert (
        stat.url.raw_path == b"/base/v1/sessions/s-1/entry?path=dir+with+space%2F%C3%A4%23%3F.txt"
    )
    assert stat.headers["authorization"] == "Bearer aet_t"
    assert update.url.raw_path == (
        b"/base/v1/sessions/s-1/files/dir%20with%20space/%C3%A4%23%3F.txt?executable=false"
    )
    assert update.headers["if-match"] == f'"{"ab" * 32}"'
    assert "if-none-match" not in update.headers
    assert create.headers["if-none-match"] == "*"
    assert create.url.params["executable"] == "true"


def test_at_is_a_query_parameter_of_the_read_routes() -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen)) as client:
        client.stat("s-1", "a.txt", at="v1")
        client.read("s-1", "a.txt", at="v1")
        client.download("s-1", "a.txt", io.BytesIO(), at="v1")
        client.stat("s-1", "a.txt")
    assert [r.url.params.get("at") for r in seen] == ["v1", "v1", "v1", None]


def test_dot_segments_reach_the_server_intact() -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen)) as client:
        client.write("s-1", "../x", b"x")
        client.write("s-1", "a/./b", b"x")
    assert seen[0].url.raw_path.startswith(b"/base/v1/sessions/s-1/files/%2E%2E/x")
    assert seen[1].url.raw_path.startswith(b"/base/v1/sessions/s-1/files/a/%2E/b")


@pytest.mark.parametrize("path", ["", "/abs", "a//b"])
def test_paths_the_url_cannot_carry_are_invalid(path: str) -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen)) as client, pytest.raises(Invalid):
        client.read("s-1", path)
    assert seen == []


@pytest.mark.parametrize(
    ("start", "length", "header"),
    [
        (0, -1, None),
        (5, -1, "bytes=5-"),
        (0, 3, "bytes=0-2"),
        (4, 2, "bytes=4-5"),
        (7, 0, "bytes=7-7"),
    ],
)
def test_reads_ask_for_a_range(start: int, length: int, header: str | None) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(206, content=b"abcdefgh"[: max(length, 0)] or b"x")

    with client_with(handle) as client:
        data = client.read("s-1", "f", start, length)
    assert seen[0].headers.get("range") == header
    assert data == (b"" if length == 0 else b"abcdefgh"[: max(length, 0)] or b"x")


def test_a_server_that_ignores_range_is_sliced() -> None:
    with client_with(lambda r: httpx.Response(200, content=b"0123456789")) as client:
        assert client.read("s-1", "f", 2, 3) == b"234"
        assert client.read("s-1", "f", 8) == b"89"


def test_past_the_end_reads_nothing() -> None:
    with client_with(lambda r: httpx.Response(416)) as client:
        assert client.read("s-1", "f", 100, 5) == b""


class PieceCounter(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Records the size of each piece of a request body as it arrives (MockTransport would
    read the body whole before its handler sees it)."""

    def __init__(self) -> None:
        self.pieces: list[int] = []
        self.headers: list[httpx.Headers] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        self.pieces += [len(piece) for piece in request.stream]  # type: ignore[union-attr]
        return httpx.Response(201, json=SESSION if "upload" in request.url.path else ENTRY)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        self.pieces += [len(piece) async for piece in request.stream]  # type: ignore[union-attr]
        return httpx.Response(201, json=ENTRY)


def test_a_stream_is_sent_in_pieces() -> None:
    counter = PieceCounter()
    with AetherClient("http://aether.test", transport=counter) as client:
        client.write("s-1", "big", io.BytesIO(b"z" * (2 * MiB + 10)))
        client.upload_session(io.BytesIO(b"t" * (MiB + 1)))
    assert counter.pieces == [MiB, MiB, 10, MiB, 1]
    assert "content-length" not in counter.headers[0]  # streamed, not measured first


def test_download_streams_into_the_file() -> None:
    body = [b"a" * MiB, b"b" * MiB, b"c"]

    def handle(request: httpx.Request) -> httpx.Response:
        headers = {"ETag": f'"{"f" * 64}"', "X-Aether-Kind": "exec"}
        return httpx.Response(200, headers=headers, content=iter(body))

    out = io.BytesIO()
    with client_with(handle) as client:
        entry = client.download("s-1", "dir/run", out)
    assert out.getvalue() == b"".join(body)
    assert (entry.name, entry.kind, entry.id, entry.size) == ("run", "exec", "f" * 64, 2 * MiB + 1)


def test_listdir_and_diff_follow_cursors() -> None:
    pages = {
        None: {"items": [ENTRY], "next_cursor": "a"},
        "a": {"items": [{**ENTRY, "name": "b"}], "next_cursor": None},
    }
    cursors: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        cursors.append(request.url.params.get("cursor"))
        return httpx.Response(200, json=pages[cursors[-1]])

    with client_with(handle) as client:
        assert [e.name for e in client.listdir("s-1", "d")] == ["a", "b"]
    assert cursors == [None, "a"]


# ---------------------------------------------------------------------------- answers
def test_problems_become_the_embedded_exceptions() -> None:
    with (
        client_with(lambda r: problem(404, "not-found", "no session 's-x'")) as client,
        pytest.raises(NotFound, match="no session 's-x'"),
    ):
        client.get_session("s-x")
    with (
        client_with(lambda r: problem(409, "conflict", "taken")) as client,
        pytest.raises(Conflict, match="taken"),
    ):
        client.create_source("x")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, b"", NotFound),
        (409, b"<html>busy</html>", Conflict),
        (502, b"<html>bad gateway</html>", Unavailable),
        (500, b"oops", Unavailable),
        (418, b"teapot", Invalid),
    ],
)
def test_errors_without_a_problem_document(status: int, body: bytes, error: type) -> None:
    with (
        client_with(lambda r: httpx.Response(status, content=body)) as client,
        pytest.raises(error),
    ):
        client.get_session("s-1")


def test_an_unreadable_answer_is_the_servers_fault() -> None:
    with (
        client_with(lambda r: httpx.Response(200, json={"unexpected": True})) as client,
        pytest.raises(Unavailable, match="unreadable Session"),
    ):
        client.get_session("s-1")


def test_an_unreachable_server_is_unavailable_and_named() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        client_with(refuse) as client,
        pytest.raises(Unavailable, match=r"http://aether\.test/base.*connection refused"),
    ):
        client.list_sources()


def test_wait_import_times_out() -> None:
    job = {
        "id": "j-1",
        "source": "s",
        "origin": "http://x/y.tar",
        "status": "RUNNING",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    with (
        client_with(lambda r: httpx.Response(200, json=job)) as client,
        pytest.raises(TimeoutError, match="still RUNNING"),
    ):
        client.wait_import("s", "j-1", timeout=0.05)


# ---------------------------------------------------------------------------- async
def test_the_async_client_streams_too() -> None:
    counter = PieceCounter()

    async def run() -> None:
        async with AsyncAetherClient("http://aether.test", transport=counter) as client:
            entry = await client.write("s-1", "big", io.BytesIO(b"z" * (MiB + 1)))
            assert entry.name == "a"

    asyncio.run(run())
    assert counter.pieces == [MiB, 1]


def test_the_async_client_raises_the_same_errors() -> None:
    async def handle(request: httpx.Request) -> httpx.Response:
        return problem(404, "not-found", "gone")

    async def run() -> None:
        transport = httpx.MockTransport(handle)
        async with AsyncAetherClient("http://aether.test", transport=transport) as client:
            with pytest.raises(NotFound, match="gone"):
                await client.read("s-1", "big")

    asyncio.run(run())
