"""fsck finds every damaged or missing object; gc deletes only old unreachable ones."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from aether_data.ids import ObjectId, object_id_of
from aether_data.objects import CHUNKING_THRESHOLD, Commit, EntryKind, Kind, Tree, TreeEntry, pack
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore
from aether_data.workspace import fsck, gc

HOUR = 3600.0


@pytest.fixture(params=["memory", "local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    return MemoryObjectStore() if request.param == "memory" else LocalObjectStore(tmp_path / "o")


def _history(store: ObjectStore) -> dict[str, ObjectId]:
    """A commit -> tree -> (small file, chunked file, subtree -> file) graph."""
    small = store.put_bytes(b"small file")
    big = store.put_bytes(random.Random(9).randbytes(CHUNKING_THRESHOLD * 2))
    inner = store.put_tree(Tree([TreeEntry("inner.txt", EntryKind.FILE, small, 10)]))
    root = store.put_tree(
        Tree(
            [
                TreeEntry("a.txt", EntryKind.FILE, small, 10),
                TreeEntry("big.bin", EntryKind.FILE, big, CHUNKING_THRESHOLD * 2),
                TreeEntry("sub", EntryKind.DIR, inner),
            ]
        )
    )
    commit = store.put_commit(Commit(root, (), "t <t@example.org>", 1, "first"))
    return {"small": small, "big": big, "inner": inner, "root": root, "commit": commit}


def test_clean_store_passes(store: ObjectStore) -> None:
    ids = _history(store)
    report = fsck(store, [ids["commit"]])
    assert report.ok, report.problems
    chunks = store.chunk_index(ids["big"]).chunks
    assert report.reachable == 5 + len(chunks)
    assert report.checked == report.reachable


def test_missing_object_is_named_with_its_referrer(store: ObjectStore) -> None:
    ids = _history(store)
    store.delete(ids["inner"])
    report = fsck(store, [ids["commit"]])
    assert [(p.object_id, p.problem, p.referenced_by) for p in report.problems] == [
        (ids["inner"], "missing", ids["root"])
    ]


def test_missing_root_is_reported(store: ObjectStore) -> None:
    ghost = ObjectId("f" * 64)
    report = fsck(store, [ghost])
    assert [(p.object_id, p.problem, p.referenced_by) for p in report.problems] == [
        (ghost, "missing", None)
    ]


def test_corrupt_reachable_blob_is_found(store: ObjectStore) -> None:
    ids = _history(store)
    store._put(ids["small"], pack(Kind.BLOB, b"small filE"), True)
    report = fsck(store, [ids["commit"]])
    assert [(p.object_id, p.problem) for p in report.problems] == [(ids["small"], "corrupt")]
    assert ids["small"] in report.problems[0].describe()


def test_corrupt_chunk_is_found(store: ObjectStore) -> None:
    ids = _history(store)
    chunk = store.chunk_index(ids["big"]).chunks[0]
    store._put(chunk.id, pack(Kind.BLOB, b"\0" * chunk.length), True)
    problems = fsck(store, [ids["commit"]]).problems
    assert {p.object_id for p in problems} >= {chunk.id}
    assert all(p.problem == "corrupt" for p in problems)


def test_unreachable_corrupt_object_is_found_unless_reachable_only(store: ObjectStore) -> None:
    stray = store.put_bytes(b"stray")
    store._put(stray, b"garbage", True)
    assert [p.object_id for p in fsck(store, []).problems] == [stray]
    assert fsck(store, [], all_objects=False).ok


def test_corrupt_file_on_disk_is_detected(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o")
    ids = _history(store)
    path = tmp_path / "o" / ids["root"][:2] / ids["root"][2:]
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x20
    path.write_bytes(bytes(data))
    report = fsck(store, [ids["commit"]])
    assert [(p.object_id, p.problem) for p in report.problems] == [(ids["root"], "corrupt")]


def test_gc_keeps_reachable_and_young_and_deletes_old_garbage(store: ObjectStore) -> None:
    ids = _history(store)
    garbage = [store.put_bytes(f"garbage {i}".encode()) for i in range(5)]
    before = {s.id for s in store.iter_objects()}
    # one hour later, with a 24 h grace period, nothing goes
    report = gc(store, lambda: [ids["commit"]], grace=24 * HOUR, now=time.time() + HOUR)
    assert report.deleted == []
    assert report.kept_young == 5
    assert {s.id for s in store.iter_objects()} == before
    # two days later the garbage goes, the history stays intact
    report = gc(store, lambda: [ids["commit"]], grace=24 * HOUR, now=time.time() + 48 * HOUR)
    assert sorted(report.deleted) == sorted(garbage)
    assert {s.id for s in store.iter_objects()} == before - set(garbage)
    assert fsck(store, [ids["commit"]]).ok


def test_gc_dry_run_deletes_nothing(store: ObjectStore) -> None:
    garbage = store.put_bytes(b"garbage")
    report = gc(store, list, grace=0, dry_run=True, now=time.time() + 10)
    assert report.deleted == [garbage]
    assert store.has(garbage)


def test_gc_removes_stale_temporary_files(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o")
    oid = store.put_bytes(b"x")
    leftover = tmp_path / "o" / oid[:2] / ".tmp-deadbeef"
    leftover.write_bytes(b"half an object")
    old = time.time() - 48 * HOUR
    os.utime(leftover, (old, old))
    assert gc(store, lambda: [oid], grace=24 * HOUR).temporary_removed == 1
    assert not leftover.exists()


def test_gc_is_safe_against_a_concurrent_writer(tmp_path: Path) -> None:
    """Old garbage goes; everything a writer links while gc runs survives, even reused garbage."""
    store = LocalObjectStore(tmp_path / "o")
    garbage = [store.put_bytes(f"old {i}".encode()) for i in range(300)]
    old = time.time() - 48 * HOUR
    for oid in garbage:
        os.utime(tmp_path / "o" / oid[:2] / oid[2:], (old, old))
    roots: list[ObjectId] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 2000:
            # re-storing old garbage freshens it; new blobs are young
            reused = store.put_bytes(f"old {i % 300}".encode())
            fresh = store.put_bytes(f"new {i}".encode())
            tree = store.put_tree(
                Tree(
                    [TreeEntry("r", EntryKind.FILE, reused), TreeEntry("f", EntryKind.FILE, fresh)]
                )
            )
            with lock:
                roots.append(tree)
            i += 1

    def current_roots() -> list[ObjectId]:
        with lock:
            return list(roots)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(5):
            gc(store, current_roots, grace=24 * HOUR)
    finally:
        stop.set()
        thread.join()
    gc(store, current_roots, grace=24 * HOUR)
    assert fsck(store, current_roots()).ok
    survivors = {s.id for s in store.iter_objects()}
    reused = {object_id_of(f"old {i % 300}".encode()) for i in range(len(roots))}
    assert reused <= survivors
