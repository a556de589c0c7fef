"""The clients against a live server: identity, tokens, scopes, tenants, reachability, and the
async client end to end. (The ``WorkspaceAPI`` itself is covered by tests/conformance.)"""

from __future__ import annotations

import asyncio
import io
import socket
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest

from aether_data.client import AetherClient, AsyncAetherClient
from aether_data.errors import Forbidden, NotFound, Unauthorized, Unavailable


@pytest.fixture
def client(client_server: Any) -> Iterator[AetherClient]:
    with AetherClient(client_server.url, client_server.token) as admin:
        yield admin


def test_whoami_and_health(client: AetherClient) -> None:
    me = client.whoami()
    assert (me.tenant, me.scopes) == ("default", ["admin"])
    assert client.health() == {"status": "ok"}


def test_tokens_create_list_and_revoke(client: AetherClient, client_server: Any) -> None:
    issued = client.create_token("reader", ["session.read"], expires_in=3600)
    assert issued.secret.startswith("aet_")
    assert (issued.token.name, issued.token.scopes) == ("reader", ["session.read"])
    assert issued.token.expires_at is not None
    listed = []
    cursor = None
    while True:
        page = client.list_tokens(cursor=cursor, limit=50)
        listed += [t.id for t in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert issued.token.id in listed
    with AetherClient(client_server.url, issued.secret) as reader:
        assert reader.whoami().scopes == ["session.read"]
        client.revoke_token(issued.token.id)
        with pytest.raises(Unauthorized):
            reader.whoami()


def test_scopes_are_enforced(client: AetherClient, client_server: Any) -> None:
    session = client.create_session().id
    client.write(session, "a.txt", b"a")
    with AetherClient(client_server.url, client_server.issue(["session.read"])) as reader:
        assert reader.read(session, "a.txt") == b"a"
        with pytest.raises(Forbidden):
            reader.write(session, "b.txt", b"b")
        with pytest.raises(Forbidden):
            reader.create_source("not-allowed")
        with pytest.raises(Forbidden):
            reader.list_tokens()


def test_without_a_valid_token(client_server: Any) -> None:
    for secret in (None, "aet_0000000000000000_" + "x" * 40, "garbage"):
        with AetherClient(client_server.url, secret) as anonymous, pytest.raises(Unauthorized):
            anonymous.list_sessions()


def test_tenants_do_not_see_each_other(client: AetherClient, client_server: Any) -> None:
    session = client.create_session().id
    with AetherClient(client_server.url, client_server.issue(["admin"], tenant="other")) as other:
        with pytest.raises(NotFound):
            other.get_session(session)
        with pytest.raises(NotFound):
            other.read(session, "x")
        assert session not in [s.id for s in other.list_sessions().items]


def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        url = f"http://127.0.0.1:{port}"
        with AetherClient(url, timeout=2) as client, pytest.raises(Unavailable, match=url):
            client.list_sessions()


def test_wait_import(client: AetherClient, tmp_path: Any) -> None:
    source = f"wait-{tmp_path.name[-12:]}".replace("_", "-").lower()
    client.create_source(source)
    job = client.start_import(source, "http://127.0.0.1:9/nothing.tar")  # discard port: refused
    done = client.wait_import(source, job.id, timeout=30)
    assert done.status == "FAILED"
    assert done.error


def _tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_the_async_client_end_to_end(client_server: Any) -> None:
    big = bytes(range(256)) * 6000  # 1.5 MiB: streamed both ways in more than one piece

    async def run() -> None:
        async with AsyncAetherClient(client_server.url, client_server.token) as client:
            session = (await client.create_session(name="async")).id
            written = await client.write(session, "data/big.bin", io.BytesIO(big))
            assert written.size == len(big)
            assert await client.read(session, "data/big.bin", 10, 5) == big[10:15]
            out = io.BytesIO()
            assert (await client.download(session, "data/big.bin", out)) == written
            assert out.getvalue() == big
            assert [e.name for e in await client.listdir(session, "data")] == ["big.bin"]
            assert [c.path for c in await client.diff(session)] == ["data/big.bin"]
            archive = io.BytesIO()
            await client.export(session, archive, format="tar")
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                assert tar.extractfile("data/big.bin").read() == big  # type: ignore[union-attr]
            uploaded = await client.upload_session(io.BytesIO(_tar_of({"u.txt": b"u"})))
            assert await client.read(uploaded.id, "u.txt") == b"u"
            with pytest.raises(NotFound):
                await client.stat(session, "nope")
            assert (await client.whoami()).tenant == "default"

    asyncio.run(run())
