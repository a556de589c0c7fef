"""AetherContentsManager on its own, embedded and over HTTP: round trips, chunked uploads,
folder copies, one call per listing, stable times, and conflicting saves."""

from __future__ import annotations

import hashlib
from base64 import encodebytes
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import nbformat
import pytest
from _jupyter_counting import Counting
from tornado.web import HTTPError

from aether_data.client import AetherClient
from aether_jupyter import AetherContentsManager


@pytest.fixture(params=["embedded", "remote"])
def target(request: pytest.FixtureRequest, workspace: Any, session_id: str) -> Iterator[Any]:
    """``(api, session id)``: the embedded workspace, or a client of a live server."""
    if request.param == "embedded":
        yield workspace, session_id
        return
    server = request.getfixturevalue("live_server")
    with AetherClient(server.url, server.token) as client:
        yield client, client.create_session(name="jupyter").id


@pytest.fixture
def counted(target: Any) -> Counting:
    return Counting(target[0])


@pytest.fixture
def cm(counted: Counting, target: Any) -> AetherContentsManager:
    return AetherContentsManager(api=counted, session=target[1])


def _notebook(text: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(text))
    return nb


async def test_round_trips_notebook_text_and_bytes(cm: AetherContentsManager, target: Any) -> None:
    api, session = target
    await cm.save({"type": "notebook", "content": _notebook("1 + 1")}, "nb.ipynb")
    await cm.save({"type": "file", "format": "text", "content": "héllo"}, "t.txt")
    blob = encodebytes(b"\xff\x00bin").decode("ascii")
    await cm.save({"type": "file", "format": "base64", "content": blob}, "b.bin")

    nb = await cm.get("nb.ipynb", require_hash=True)
    assert nb["content"].cells[0].source == "1 + 1"
    stored = api.read(session, "nb.ipynb")
    assert nb["hash"] == hashlib.sha256(stored).hexdigest() == api.stat(session, "nb.ipynb").id
    assert nb["hash_algorithm"] == "sha256"
    assert (await cm.get("t.txt"))["content"] == "héllo"
    binary = await cm.get("b.bin")
    assert (binary["format"], binary["content"]) == ("base64", blob)


async def test_chunked_upload_is_stored_once_at_the_end(
    cm: AetherContentsManager, counted: Counting, target: Any
) -> None:
    api, session = target
    pieces = [b"a" * 1000, b"b" * 1000, b"c" * 10]
    for number, piece in zip([1, 2, -1], pieces, strict=True):
        model = {"type": "file", "format": "base64", "chunk": number}
        model["content"] = encodebytes(piece).decode("ascii")
        if number == 2:  # staged, not in the session yet
            assert not await cm.file_exists("up.bin")
        saved = await cm.save(model, "up.bin")
    assert counted.calls["write"] == 1
    assert api.read(session, "up.bin") == b"".join(pieces)
    assert saved["hash"] == hashlib.sha256(b"".join(pieces)).hexdigest()
    with pytest.raises(HTTPError) as caught:
        await cm.save({"type": "file", "format": "text", "chunk": 3, "content": "x"}, "up.bin")
    assert caught.value.status_code == 400


async def test_copy_a_folder_whole(cm: AetherContentsManager, target: Any) -> None:
    api, session = target
    api.write(session, "src/a.txt", b"A")
    api.write(session, "src/deep/b.txt", b"B")
    api.mkdir(session, "src/empty")
    copied = await cm.copy("src", "")
    assert copied["path"] == "src-Copy1"
    assert copied["type"] == "directory"
    assert api.read(session, "src-Copy1/deep/b.txt") == b"B"
    assert api.stat(session, "src-Copy1/empty").kind == "dir"
    cm.max_copy_folder_size_mb = 0
    with pytest.raises(HTTPError) as caught:
        await cm.copy("src", "")
    assert caught.value.status_code == 400


async def test_listing_a_folder_is_one_call(
    cm: AetherContentsManager, counted: Counting, target: Any
) -> None:
    api, session = target
    for i in range(40):
        api.write(session, f"many/f{i}.txt", b"x")
    counted.reset()
    listing = await cm.get("many")
    assert len(listing["content"]) == 40
    assert counted.calls == {"listdir": 1}


async def test_last_modified_is_stable_and_never_goes_back(cm: AetherContentsManager) -> None:
    await cm.save({"type": "file", "format": "text", "content": "one"}, "t.txt")
    first = await cm.get("t.txt", content=False)
    again = await cm.get("t.txt")
    listed = next(m for m in (await cm.get(""))["content"] if m["path"] == "t.txt")
    assert first["last_modified"] == again["last_modified"] == listed["last_modified"]
    assert first["last_modified"].tzinfo is not None
    assert first["last_modified"].utcoffset() == UTC.utcoffset(None)
    seen = [first["last_modified"]]
    for text in ("two", "three", "two"):
        await cm.save({"type": "file", "format": "text", "content": text}, "t.txt")
        seen.append((await cm.get("t.txt", content=False))["last_modified"])
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)
    await cm.rename("t.txt", "u.txt")
    assert (await cm.get("u.txt", content=False))["last_modified"] == seen[-1]


async def test_a_stale_save_gets_a_conflict(target: Any) -> None:
    api, session = target
    alice = AetherContentsManager(api=api, session=session)
    bob = AetherContentsManager(api=api, session=session)
    await alice.save({"type": "notebook", "content": _notebook("start")}, "shared.ipynb")
    seen_by_alice = await alice.get("shared.ipynb", require_hash=True)
    seen_by_bob = await bob.get("shared.ipynb", require_hash=True)

    seen_by_alice["content"].cells[0].source = "alice"
    await alice.save(seen_by_alice, "shared.ipynb")
    seen_by_bob["content"].cells[0].source = "bob"
    with pytest.raises(HTTPError) as caught:
        await bob.save(seen_by_bob, "shared.ipynb")
    assert caught.value.status_code == 409
    kept = nbformat.reads(api.read(session, "shared.ipynb").decode(), as_version=4)
    assert kept.cells[0].source == "alice"


async def test_a_download_that_reuses_its_buffer_still_reads_whole(target: Any) -> None:
    """A get keeps the pieces a download writes without copying only when they are views of
    immutable bytes: a backend that writes one reused buffer still gives the whole file."""
    api, session = target
    text = "".join(f"line {i}\n" for i in range(100))
    api.write(session, "reused.txt", text.encode())

    class Reusing:
        def __getattr__(self, name: str) -> Any:
            return getattr(api, name)

        def download(self, session_id: str, path: str, out: Any, **options: Any) -> Any:
            data, buffer = api.read(session_id, path), bytearray(7)
            for start in range(0, len(data), 7):
                piece = data[start : start + 7]
                buffer[: len(piece)] = piece
                out.write(memoryview(buffer)[: len(piece)])
            return api.stat(session_id, path)

    cm = AetherContentsManager(api=Reusing(), session=session)
    assert (await cm.get("reused.txt"))["content"] == text


async def test_checkpoint_restore_puts_back_one_file(
    cm: AetherContentsManager, counted: Counting, target: Any
) -> None:
    api, session = target
    await cm.save({"type": "file", "format": "text", "content": "v1"}, "a.txt")
    await cm.save({"type": "file", "format": "text", "content": "other v1"}, "b.txt")
    checkpoint = await cm.create_checkpoint("a.txt")
    await cm.save({"type": "file", "format": "text", "content": "v2"}, "a.txt")
    await cm.save({"type": "file", "format": "text", "content": "other v2"}, "b.txt")
    counted.reset()
    await cm.restore_checkpoint(checkpoint["id"], "a.txt")
    assert api.read(session, "a.txt") == b"v1"
    assert api.read(session, "b.txt") == b"other v2"
    assert "create_session" not in counted.calls  # read at the checkpoint, in place
    assert counted.calls["download"] == 1
    assert await cm.list_checkpoints("a.txt") == [checkpoint]
    await cm.delete_checkpoint(checkpoint["id"], "a.txt")
    assert await cm.list_checkpoints("a.txt") == []


async def test_errors_by_meaning(cm: AetherContentsManager) -> None:
    for call, status in (
        (cm.get("missing.txt"), 404),
        (cm.delete_file("missing.txt"), 404),
        (cm.save({"type": "file", "content": "x"}, "f.txt"), 400),
    ):
        with pytest.raises(HTTPError) as caught:
            await call
        assert caught.value.status_code == status
    await cm.save({"type": "file", "format": "text", "content": "x"}, "f.txt")
    await cm.save({"type": "file", "format": "text", "content": "y"}, "g.txt")
    with pytest.raises(HTTPError) as caught:
        await cm.rename("f.txt", "g.txt")
    assert caught.value.status_code == 409
