"""Exporting trees to folders, tar, zip and fsspec URLs: round trips, determinism, safety."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aether_data.errors import Conflict, Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import CHUNKING_THRESHOLD, EntryKind, Tree, TreeEntry
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore
from aether_data.workspace.export import (
    TAR_COMPRESSIONS,
    export_folder,
    export_tar,
    export_url,
    export_zip,
    iter_tree,
)
from aether_data.workspace.importers import import_archive, import_folder, import_url

FILES = {
    "README.md": b"# demo\n",
    "data/orders.csv": b"id,amount\n1,10\n2,20\n",
    "data/nested/deep/x.json": b'{"a": 1}',
    "empty.txt": b"",
    "caf\u00e9/na\u00efve.txt": b"unicode names",
}
BIG = bytes(range(256)) * (CHUNKING_THRESHOLD // 256 + 1000)


@pytest.fixture
def store() -> ObjectStore:
    return MemoryObjectStore()


def make_folder(root: Path, *, links: bool = True, empty_dir: bool = True) -> Path:
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "big.bin").write_bytes(BIG)
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    if links:
        (root / "link-to-readme").symlink_to("README.md")
        (root / "data" / "nested" / "up").symlink_to("../../README.md")
    if empty_dir:
        (root / "empty-dir").mkdir()
    return root


@pytest.fixture
def tree(store: ObjectStore, tmp_path: Path) -> ObjectId:
    return import_folder(store, make_folder(tmp_path / "src")).tree_id


def as_tar(store: ObjectStore, tree_id: ObjectId, compression: str | None = None) -> bytes:
    out = io.BytesIO()
    export_tar(store, tree_id, out, compression)
    return out.getvalue()


def as_zip(store: ObjectStore, tree_id: ObjectId) -> bytes:
    out = io.BytesIO()
    export_zip(store, tree_id, out)
    return out.getvalue()


class WriteOnly:
    """A sink that cannot seek or tell, like an HTTP response body."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def build_tree(store: ObjectStore, spec: dict[str, Any]) -> ObjectId:
    """Store a tree from {name: bytes | ("exec", bytes) | ("link", target) | {sub-spec}}."""
    entries = []
    for name, item in spec.items():
        if isinstance(item, dict):
            entries.append(TreeEntry(name, EntryKind.DIR, build_tree(store, item)))
        elif isinstance(item, bytes):
            entries.append(TreeEntry(name, EntryKind.FILE, store.put_bytes(item), len(item)))
        else:
            kind, data = item
            data = data.encode() if isinstance(data, str) else data
            entries.append(TreeEntry(name, EntryKind(kind), store.put_bytes(data), len(data)))
    return store.put_tree(Tree(entries))


# ================================================================================= iter_tree
def test_iter_tree_is_depth_first_in_canonical_order(store: ObjectStore) -> None:
    tree_id = build_tree(store, {"b": b"", "a-b": b"", "a": {"z": b"", "c": {"d": b""}}})
    assert [path for path, _ in iter_tree(store, tree_id)] == [
        "a",
        "a/c",
        "a/c/d",
        "a/z",
        "a-b",
        "b",
    ]
    kinds = {path: entry.kind for path, entry in iter_tree(store, tree_id)}
    assert kinds["a/c"] is EntryKind.DIR
    assert kinds["a/c/d"] is EntryKind.FILE


# ================================================================================= round trips
@pytest.mark.parametrize("compression", TAR_COMPRESSIONS)
def test_tar_round_trip_gives_the_same_tree(
    store: ObjectStore, tree: ObjectId, compression: str | None
) -> None:
    data = as_tar(store, tree, compression)
    assert import_archive(store, io.BytesIO(data)).tree_id == tree


def test_zip_round_trip_gives_the_same_tree(store: ObjectStore, tree: ObjectId) -> None:
    assert import_archive(store, io.BytesIO(as_zip(store, tree))).tree_id == tree


def test_folder_round_trip_keeps_modes_and_links(
    store: ObjectStore, tree: ObjectId, tmp_path: Path
) -> None:
    dest = tmp_path / "out" / "nested" / "dest"  # parents are created
    seen: list[int] = []
    export_folder(store, tree, dest, progress=seen.append)
    assert sum(seen) == sum(map(len, FILES.values())) + len(BIG) + len(b"#!/bin/sh\necho hi\n")
    assert stat.S_IMODE((dest / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "README.md").stat().st_mode) == 0o644
    assert os.readlink(dest / "data" / "nested" / "up") == "../../README.md"
    assert (dest / "big.bin").read_bytes() == BIG
    assert (dest / "empty-dir").is_dir()
    assert import_folder(store, dest).tree_id == tree


def test_round_trips_through_a_local_store(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    tree_id = import_folder(store, make_folder(tmp_path / "src")).tree_id
    assert import_archive(store, io.BytesIO(as_tar(store, tree_id, "gz"))).tree_id == tree_id
    assert import_archive(store, io.BytesIO(as_zip(store, tree_id))).tree_id == tree_id


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_non_seekable_output(store: ObjectStore, tree: ObjectId, fmt: str) -> None:
    sink = WriteOnly()
    if fmt == "zip":
        export_zip(store, tree, sink)  # type: ignore[arg-type]
    else:
        export_tar(store, tree, sink, "gz" if fmt == "tar.gz" else None)  # type: ignore[arg-type]
    assert import_archive(store, io.BytesIO(sink.getvalue())).tree_id == tree


# ================================================================================= determinism
@pytest.mark.parametrize("fmt", [*TAR_COMPRESSIONS, "zip"])
def test_exports_are_deterministic(
    store: ObjectStore, tree: ObjectId, tmp_path: Path, fmt: str | None
) -> None:
    def export(s: ObjectStore, t: ObjectId) -> bytes:
        return as_zip(s, t) if fmt == "zip" else as_tar(s, t, fmt)

    first = export(store, tree)
    other_store = LocalObjectStore(tmp_path / "objects")
    again = import_folder(other_store, make_folder(tmp_path / "again")).tree_id
    assert again == tree
    assert export(store, tree) == first
    assert export(other_store, again) == first


def test_tar_headers_are_normalised(store: ObjectStore, tree: ObjectId) -> None:
    import tarfile  # noqa: PLC0415

    out = io.BytesIO()
    export_tar(store, tree, out, mtime=1_700_000_000)
    out.seek(0)
    with tarfile.open(fileobj=out) as tf:
        members = tf.getmembers()
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 1_700_000_000)
    }
    assert [m.name for m in members] == [p for p, _ in iter_tree(store, tree)]


def test_unknown_compression(store: ObjectStore, tree: ObjectId) -> None:
    with pytest.raises(Invalid, match="compression"):
        export_tar(store, tree, io.BytesIO(), "rar")


@pytest.mark.skipif(shutil.which("tar") is None, reason="needs the tar tool")
def test_system_tar_reads_our_tar(store: ObjectStore, tree: ObjectId, tmp_path: Path) -> None:
    archive = tmp_path / "x.tar.gz"
    archive.write_bytes(as_tar(store, tree, "gz"))
    out = tmp_path / "extracted"
    out.mkdir()
    subprocess.run(["tar", "-xzf", archive, "-C", out], check=True)
    assert import_folder(store, out).tree_id == tree


@pytest.mark.skipif(shutil.which("unzip") is None, reason="needs the unzip tool")
def test_system_unzip_reads_our_zip(store: ObjectStore, tree: ObjectId, tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    archive.write_bytes(as_zip(store, tree))
    out = tmp_path / "extracted"
    subprocess.run(["unzip", "-q", archive, "-d", out], check=True)
    assert import_folder(store, out).tree_id == tree


# ================================================================================= hypothesis
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="/\\\0~"),
    min_size=1,
    max_size=6,
).filter(lambda name: name not in (".", ".."))
LEAVES = st.one_of(
    st.binary(max_size=40),
    st.tuples(st.just("exec"), st.binary(max_size=40)),
    # "~" never starts a name, so links dangle harmlessly inside the tree and never loop.
    st.tuples(st.just("link"), NAMES.map(lambda n: "~" + n)),
)
SPECS = st.dictionaries(
    NAMES,
    st.recursive(LEAVES, lambda kids: st.dictionaries(NAMES, kids, max_size=3), max_leaves=10),
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=SPECS, compression=st.sampled_from([None, "gz", "zst"]))
# A file holding exactly the bytes of the empty tree shares its id (hypothesis found it).
@example(spec={"f": Tree().encoded, "d": {}}, compression=None)
@example(spec={"d": {}, "f": Tree().encoded}, compression="gz")
def test_random_trees_round_trip(spec: dict[str, Any], compression: str | None) -> None:
    store = MemoryObjectStore()
    tree_id = build_tree(store, spec)
    assert import_archive(store, io.BytesIO(as_tar(store, tree_id, compression))).tree_id == tree_id
    assert import_archive(store, io.BytesIO(as_zip(store, tree_id))).tree_id == tree_id
    with tempfile.TemporaryDirectory() as scratch:
        export_folder(store, tree_id, Path(scratch) / "out")
        assert import_folder(store, Path(scratch) / "out").tree_id == tree_id


# ================================================================================= folder safety
def test_export_folder_refuses_a_non_empty_destination(
    store: ObjectStore, tree: ObjectId, tmp_path: Path
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty"):
        export_folder(store, tree, busy)
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(Conflict, match="not a folder"):
        export_folder(store, tree, a_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "file", "src"]


def test_export_folder_into_an_empty_folder(
    store: ObjectStore, tree: ObjectId, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    export_folder(store, tree, empty)
    assert import_folder(store, empty).tree_id == tree


def test_failed_export_leaves_nothing_behind(
    store: MemoryObjectStore, tree: ObjectId, tmp_path: Path
) -> None:
    missing = next(e for p, e in iter_tree(store, tree) if p == "run.sh")  # written late
    store.delete(missing.id)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(NotFound):
        export_folder(store, tree, tmp_path / "dest")
    assert sorted(tmp_path.iterdir()) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NotFound):
        export_folder(store, tree, empty)
    assert list(empty.iterdir()) == []
    assert sorted(tmp_path.iterdir()) == sorted([*before, empty])


@pytest.mark.parametrize("target", ["/etc/passwd", "a\0b"])
def test_export_never_writes_an_unsafe_link(
    store: ObjectStore, tmp_path: Path, target: str
) -> None:
    tree_id = build_tree(store, {"ok.txt": b"x", "zz": ("link", target)})
    with pytest.raises(Invalid, match="'zz'"):
        export_folder(store, tree_id, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(Invalid, match="'zz'"):
        export_tar(store, tree_id, io.BytesIO())


# ================================================================================= URLs
@pytest.fixture
def memory_root() -> Iterator[str]:
    fs = fsspec.filesystem("memory")
    root = f"/export-{uuid.uuid4().hex}"
    yield root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_export_url_memory_round_trip(store: ObjectStore, tmp_path: Path, memory_root: str) -> None:
    tree_id = import_folder(store, make_folder(tmp_path / "src", links=False)).tree_id
    url = f"memory://{memory_root}/out"
    export_url(store, tree_id, url)
    assert fsspec.filesystem("memory").cat(f"{memory_root}/out/big.bin") == BIG
    back = import_url(store, url)
    # Executable bits are not kept by filesystems without modes.
    assert {p: e.id for p, e in iter_tree(store, back.tree_id)} == {
        p: e.id for p, e in iter_tree(store, tree_id)
    }
    with pytest.raises(Conflict, match="not empty"):
        export_url(store, tree_id, url)


def test_export_url_refuses_links_before_writing(
    store: ObjectStore, tree: ObjectId, memory_root: str
) -> None:
    url = f"memory://{memory_root}/out"
    with pytest.raises(Invalid, match="symbolic links"):
        export_url(store, tree, url)
    assert not fsspec.filesystem("memory").exists(f"{memory_root}/out")
    export_url(store, tree, url, skip_links=True)
    fs = fsspec.filesystem("memory")
    assert fs.cat(f"{memory_root}/out/README.md") == FILES["README.md"]
    assert not fs.exists(f"{memory_root}/out/link-to-readme")


def test_export_url_file_is_a_folder_export(
    store: ObjectStore, tree: ObjectId, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    export_url(store, tree, dest.as_uri())
    assert os.readlink(dest / "link-to-readme") == "README.md"
    assert import_folder(store, dest).tree_id == tree


@pytest.mark.s3
def test_export_url_s3(
    store: ObjectStore, tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    tree_id = import_folder(store, make_folder(tmp_path / "src", links=False)).tree_id
    options = {
        "key": "testing",  # moto's credentials, as in tests/conftest.py
        "secret": "testing",
        "endpoint_url": s3_endpoint,
        "client_kwargs": {"region_name": "us-east-1"},
    }
    url = f"s3://{s3_bucket}/exported"
    export_url(store, tree_id, url, storage_options=options)
    body = s3_client.get_object(Bucket=s3_bucket, Key="exported/big.bin")["Body"].read()
    assert body == BIG
    back = import_url(store, url, storage_options=options)
    files = {p: e.id for p, e in iter_tree(store, tree_id) if e.kind.is_file}
    assert {p: e.id for p, e in iter_tree(store, back.tree_id) if e.kind.is_file} == files
    with pytest.raises(Conflict):
        export_url(store, tree_id, url, storage_options=options)
