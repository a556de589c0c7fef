"""The ObjectStore contract, run against every backend."""

from __future__ import annotations

import hashlib
import io
import os
import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_data.errors import Corrupt, Invalid, NotFound
from aether_data.ids import ObjectId, object_id_of
from aether_data.objects import (
    CHUNKING_THRESHOLD,
    Commit,
    EntryKind,
    Kind,
    Tree,
    TreeEntry,
    pack,
)
from aether_data.storage import ObjectStore

MISSING = ObjectId("0" * 64)


def _random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def test_small_blob_round_trip_and_id_is_sha256(store: ObjectStore) -> None:
    data = b"id,name\n1,alpha\n" * 100
    oid = store.put_bytes(data)
    assert oid == hashlib.sha256(data).hexdigest()
    assert store.read_bytes(oid) == data
    assert store.size_of(oid) == len(data)
    assert store.kind(oid) is Kind.BLOB
    assert store.chunk_index(oid) is None


def test_empty_blob(store: ObjectStore) -> None:
    oid = store.put_bytes(b"")
    assert oid == hashlib.sha256(b"").hexdigest()
    assert store.read_bytes(oid) == b""
    assert store.size_of(oid) == 0


def test_large_stream_is_chunked_and_reads_back(store: ObjectStore) -> None:
    data = _random_bytes(CHUNKING_THRESHOLD * 3 + 12345)
    info = store.put_stream(io.BytesIO(data))
    assert info.id == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    index = store.chunk_index(info.id)
    assert index is not None
    assert len(index.chunks) > 1
    assert sum(c.length for c in index.chunks) == len(data)
    assert store.read_bytes(info.id) == data
    assert b"".join(store.iter_bytes(info.id)) == data


def test_put_bytes_and_put_stream_agree(store: ObjectStore) -> None:
    data = _random_bytes(CHUNKING_THRESHOLD + 1, seed=2)
    assert store.put_bytes(data) == store.put_stream(io.BytesIO(data)).id


def test_ranged_reads_cross_chunk_boundaries(store: ObjectStore) -> None:
    data = _random_bytes(CHUNKING_THRESHOLD * 2 + 999, seed=3)
    oid = store.put_bytes(data)
    index = store.chunk_index(oid)
    assert index is not None
    boundary = index.offsets[1]
    for start, length in [(0, 10), (boundary - 5, 10), (boundary, 1), (len(data) - 3, 10)]:
        assert store.read_range(oid, start, length) == data[start : start + length]
    assert store.read_range(oid, len(data) + 5, 10) == b""
    assert (
        b"".join(store.iter_bytes(oid, boundary - 7, boundary + 7))
        == data[boundary - 7 : boundary + 7]
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_ranged_read_matches_slice(store: ObjectStore, data: st.DataObject) -> None:
    content = _random_bytes(CHUNKING_THRESHOLD + 4096, seed=4)
    oid = store.put_bytes(content)
    start = data.draw(st.integers(0, len(content)))
    length = data.draw(st.integers(0, len(content)))
    assert store.read_range(oid, start, length) == content[start : start + length]


def test_reader_is_a_seekable_file(store: ObjectStore) -> None:
    content = _random_bytes(CHUNKING_THRESHOLD + 10, seed=5)
    oid = store.put_bytes(content)
    with store.open(oid) as f:
        assert f.seekable()
        f.seek(-10, io.SEEK_END)
        assert f.read() == content[-10:]
        f.seek(100)
        assert f.read(5) == content[100:105]
        assert f.tell() == 105


@pytest.mark.parametrize("start", [0, 1, "boundary", "end"])
def test_reader_copies_the_rest_a_chunk_at_a_time(store: ObjectStore, start) -> None:
    content = _random_bytes(CHUNKING_THRESHOLD * 2 + 999, seed=6)
    oid = store.put_bytes(content)
    index = store.chunk_index(oid)
    assert index is not None
    assert len(index.chunks) > 1
    at = {"boundary": index.offsets[1], "end": len(content)}.get(start, start)
    out = io.BytesIO()
    with store.open(oid) as f:
        f.seek(at)
        assert f.copy_to(out) == len(content) - at
        assert f.tell() == len(content)
    assert out.getvalue() == content[at:]


def test_put_is_idempotent(store: ObjectStore) -> None:
    first = store.put_bytes(b"same")
    count = len(list(store.iter_objects()))
    assert store.put_bytes(b"same") == first
    assert len(list(store.iter_objects())) == count


def test_has_iter_delete(store: ObjectStore) -> None:
    ids = {store.put_bytes(f"object {i}".encode()) for i in range(5)}
    assert all(store.has(oid) for oid in ids)
    assert {s.id for s in store.iter_objects()} == ids
    victim = next(iter(ids))
    store.delete(victim)
    assert not store.has(victim)
    store.delete(victim)  # deleting an absent object is harmless
    assert {s.id for s in store.iter_objects()} == ids - {victim}


def test_a_deleted_small_file_is_not_served_from_memory(store: ObjectStore) -> None:
    oid = store.put_bytes(b"small and recently read")
    assert store.read_bytes(oid) == b"small and recently read"  # now in the blob cache
    store.delete(oid)
    with pytest.raises(NotFound):
        store.read_bytes(oid)


def test_damage_after_a_read_is_still_found_by_a_verifying_load(store: ObjectStore) -> None:
    """Reads may come from memory, but ``load`` (what fsck uses) always checks the store."""
    oid = store.put_bytes(b"checked by fsck " * 4)
    store.read_bytes(oid)
    store._put(oid, b"garbage", True)
    assert store.read_bytes(oid) == b"checked by fsck " * 4
    with pytest.raises(Corrupt, match=oid):
        store.load(oid)


@pytest.mark.parametrize("file_first", [False, True], ids=["tree-first", "file-first"])
def test_a_file_holding_a_trees_exact_bytes(store: ObjectStore, file_first: bool) -> None:
    """Same bytes, same id: the file reads back and the tree still loads and is walked by
    gc, whichever was stored first (found by hypothesis: a file of b"aether-tree 1\\n")."""
    child = store.put_bytes(b"child")
    tree = Tree([TreeEntry("c", EntryKind.FILE, child, 5)])
    if file_first:
        assert store.put_bytes(tree.encoded) == tree.id
    store.put_tree(tree)
    assert store.put_bytes(tree.encoded) == tree.id
    assert store.read_bytes(tree.id) == tree.encoded
    assert store.size_of(tree.id) == len(tree.encoded)
    assert store.get_tree(tree.id) == tree
    assert store.kind(tree.id) is Kind.TREE  # so gc walks to the child
    assert store.children(tree.id) == [child]
    empty = Tree()
    store.put_bytes(empty.encoded)
    assert store.get_tree(empty.id) == empty  # a blob stored alone still loads as a tree


def test_missing_object_is_not_found(store: ObjectStore) -> None:
    assert not store.has(MISSING)
    for call in (store.read_bytes, store.stat, store.get_tree, store.get_commit, store.load):
        with pytest.raises(NotFound, match=MISSING):
            call(MISSING)


def test_stat_reports_size_and_recent_mtime(store: ObjectStore) -> None:
    before = time.time() - 5
    oid = store.put_bytes(b"x" * 1000)
    info = store.stat(oid)
    assert info.id == oid
    assert info.stored_size > 0
    assert info.mtime >= before


def test_storing_again_freshens_the_object(store: ObjectStore) -> None:
    oid = store.put_bytes(b"freshen me")
    first = store.stat(oid).mtime
    time.sleep(1.1)  # S3 timestamps have one-second resolution
    store.put_bytes(b"freshen me")
    assert store.stat(oid).mtime > first


def test_trees_and_commits_round_trip(store: ObjectStore) -> None:
    blob = store.put_bytes(b"print('hi')\n")
    tree = Tree([TreeEntry("run.py", EntryKind.EXEC, blob, 12)])
    tree_id = store.put_tree(tree)
    assert store.get_tree(tree_id) == tree
    commit = Commit(tree_id, (), "Ada <ada@example.org>", 1_700_000_000_000_000, "first")
    commit_id = store.put_commit(commit)
    assert store.get_commit(commit_id) == commit
    assert store.children(commit_id) == [tree_id]
    assert store.children(tree_id) == [blob]


def test_wrong_kind_is_invalid(store: ObjectStore) -> None:
    blob = store.put_bytes(b"not a tree")
    with pytest.raises(Invalid, match="not a tree"):
        store.get_tree(blob)
    # A tree's id is the hash of its bytes, which any file holding those bytes shares: read as
    # a file, a tree gives its canonical bytes (test_a_file_holding_a_trees_exact_bytes).
    tree_id = store.put_tree(Tree())
    assert store.read_bytes(tree_id) == Tree().encoded
    index = store.put_bytes(b"x" * (CHUNKING_THRESHOLD + 1))
    with pytest.raises(Invalid, match="not a tree"):
        store.get_tree(index)  # a chunked file's index is never a tree


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]), id="flipped-bit"),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"garbage", id="garbage"),
    ],
)
def test_corrupt_object_is_detected_on_read(store: ObjectStore, damage) -> None:
    data = b"precious data " * 10
    oid = store.put_bytes(data)
    raw = store._get(oid)
    store._put(oid, damage(raw), True)
    with pytest.raises(Corrupt, match=oid):
        store.read_bytes(oid)


def test_object_stored_under_the_wrong_id_is_detected(store: ObjectStore) -> None:
    impostor = object_id_of(b"what the id promises")
    store._put(impostor, pack(Kind.BLOB, b"something else"), True)
    with pytest.raises(Corrupt, match=impostor):
        store.read_bytes(impostor)


def test_corrupt_chunk_is_detected_and_named(store: ObjectStore) -> None:
    data = _random_bytes(CHUNKING_THRESHOLD * 2, seed=6)
    oid = store.put_bytes(data)
    index = store.chunk_index(oid)
    assert index is not None
    victim = index.chunks[1].id
    store._put(victim, pack(Kind.BLOB, b"\0" * index.chunks[1].length, compress=False), True)
    with pytest.raises(Corrupt, match=victim):
        store.read_bytes(oid)
    # reads that stay inside healthy chunks still work
    assert store.read_range(oid, 0, 100) == data[:100]


def test_damaged_chunk_index_is_detected(store: ObjectStore) -> None:
    oid = store.put_bytes(_random_bytes(CHUNKING_THRESHOLD * 2, seed=7))
    raw = bytearray(store._get(oid))
    raw[-20] ^= 0x01
    store._put(oid, bytes(raw), True)
    with pytest.raises(Corrupt, match=oid):
        store.read_bytes(oid)


def test_concurrent_writers_of_the_same_objects(store: ObjectStore) -> None:
    payloads = [f"shared {i}".encode() * 50 for i in range(20)]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for payload in payloads:
                store.put_bytes(payload)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(store.read_bytes(object_id_of(p)) == p for p in payloads)


def test_unsynced_writes_are_readable_and_flush_is_safe(store: ObjectStore) -> None:
    ids = [store.put_bytes(os.urandom(100), sync=False) for _ in range(10)]
    store.flush()
    assert all(store.has(oid) for oid in ids)


class _Trickle(io.RawIOBase):
    """A raw stream that returns at most 1000 bytes per read, like a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), 1000, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


@pytest.mark.parametrize("size", [0, 5000, CHUNKING_THRESHOLD + 5000])
def test_short_reads_from_raw_streams_lose_nothing(store: ObjectStore, size: int) -> None:
    data = _random_bytes(size, seed=8)
    info = store.put_stream(_Trickle(data))
    assert info.size == size
    assert store.read_bytes(info.id) == data
