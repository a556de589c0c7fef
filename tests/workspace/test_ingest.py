"""Storing a folder as a tree."""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

import pytest

from aether_data.errors import Invalid, NotFound
from aether_data.objects import CHUNKING_THRESHOLD, EntryKind
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore
from aether_data.workspace import ingest_directory


@pytest.fixture(params=["memory", "local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    return MemoryObjectStore() if request.param == "memory" else LocalObjectStore(tmp_path / "o")


def _make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "README.md": b"# demo\n",
        "data/orders.csv": b"id,amount\n1,10\n2,20\n",
        "data/nested/deep/x.json": b'{"a": 1}',
        "big.bin": random.Random(1).randbytes(CHUNKING_THRESHOLD * 2),
        "empty.txt": b"",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "link-to-readme").symlink_to("README.md")
    (root / "escape").symlink_to("../../etc/passwd")
    (root / "empty-dir").mkdir()
    return files


def _flatten(store: ObjectStore, tree_id, prefix: str = "") -> dict[str, tuple]:
    out = {}
    for entry in store.get_tree(tree_id):
        path = prefix + entry.name
        if entry.kind is EntryKind.DIR:
            out[path + "/"] = ("dir",)
            out.update(_flatten(store, entry.id, path + "/"))
        else:
            out[path] = (entry.kind, store.read_bytes(entry.id), entry.size)
    return out


def test_folder_round_trips_with_kinds_links_and_empty_dirs(
    store: ObjectStore, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    files = _make_tree(src)
    flat = _flatten(store, ingest_directory(store, src))
    for rel, data in files.items():
        assert flat[rel] == (EntryKind.FILE, data, len(data))
    assert flat["run.sh"][0] is EntryKind.EXEC
    assert flat["link-to-readme"] == (EntryKind.LINK, b"README.md", 9)
    # a link pointing outside is stored as text, never followed
    assert flat["escape"] == (EntryKind.LINK, b"../../etc/passwd", 16)
    assert flat["empty-dir/"] == ("dir",)


def test_same_content_same_tree_id(store: ObjectStore, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        root.mkdir()
        _make_tree(root)
    assert ingest_directory(store, a) == ingest_directory(store, b)
    (b / "data" / "orders.csv").write_bytes(b"changed")
    assert ingest_directory(store, a) != ingest_directory(store, b)


def test_non_utf8_name_is_refused_with_the_path(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.txt").write_bytes(b"ok")
    with open(os.path.join(os.fsencode(src), b"bad\xff.txt"), "wb") as f:
        f.write(b"x")
    with pytest.raises(Invalid, match="UTF-8"):
        ingest_directory(store, src)


def test_special_files_are_refused(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(src / "a.sock"))
        with pytest.raises(Invalid, match="special file"):
            ingest_directory(store, src)
    finally:
        sock.close()


def test_missing_folder_is_not_found(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ingest_directory(store, tmp_path / "nope")
