"""The object store interface: a handful of primitives, and everything else built once on top.

A backend implements ``_get``, ``_put``, ``_stat``, ``_iter``, ``_delete`` (and, where it can,
``_touch`` and ``_flush``). Keys are object ids; values are the stored form from
``aether_data.objects`` (header + raw or compressed payload). The base class computes every id
itself, never trusting a caller's, and verifies every object it reads.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from pyfastcdc import FastCDC

from aether_data.errors import Corrupt, Invalid, NotFound
from aether_data.ids import ObjectId, object_id_of
from aether_data.objects import (
    AVERAGE_CHUNK,
    CHUNKING_THRESHOLD,
    HEADER_SIZE,
    MAX_CHUNK,
    MIN_CHUNK,
    NORMALIZATION,
    ChunkIndex,
    ChunkRef,
    Commit,
    Header,
    Kind,
    Tree,
    pack,
    page_ids,
    parse_header,
    unpack,
)
from aether_data.storage._cache import BlobCache
from aether_data.storage._reader import BlobReader

__all__ = ["BlobInfo", "ObjectStat", "ObjectStore"]

_READ_PIECE = 1 << 20
# Objects shorter than this are read whole by open(): one read instead of header + body.
_WHOLE_READ = 64 << 10
_TREE_CACHE_SIZE = 4096
# Kinds whose payload hashes to the object's id: each can be read as a file's bytes.
_WHOLE = frozenset({Kind.BLOB, Kind.TREE, Kind.COMMIT})
_STRUCTURED = frozenset({Kind.TREE, Kind.COMMIT})
# How the canonical bytes of trees (and tree pages) and of commits begin (objects/tree.py,
# objects/commit.py): a blob that begins so may be one stored before its tree or commit.
_MAGIC = {Kind.TREE: b"aether-tree", Kind.COMMIT: b"aether-commit "}
# Small files' payloads kept in memory by open(): 32 MiB in all, none over 64 KiB.
_BLOB_CACHE_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class ObjectStat:
    """What a backend knows about one stored object without reading it."""

    id: ObjectId
    stored_size: int
    mtime: float
    """Seconds since the epoch of the last write or ``_touch``; gc's grace period counts from it."""


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """The id and byte size of a stored file."""

    id: ObjectId
    size: int


class ObjectStore(ABC):
    """A content-addressed store of immutable objects.

    Contract for the primitives (documented once, here):

    * ``_get(oid, start, end)`` returns stored bytes ``[start:end]`` (``end=None``: to the end);
      raises ``NotFound`` if the object is absent.
    * ``_put(oid, data, sync)`` stores ``data`` under ``oid`` atomically: a reader sees all of it
      or nothing, never a part. With ``sync`` it is durable when the call returns; without, it is
      durable after the next ``_flush``. Storing an existing id is allowed and harmless.
    * ``_stat(oid)`` returns an ``ObjectStat``; raises ``NotFound``.
    * ``_iter()`` yields an ``ObjectStat`` for every stored object, in any order.
    * ``_delete(oid)`` removes the object; absent objects are ignored.
    * ``_touch(oid)`` marks the object as freshly written (gc grace counts from now) and returns
      whether it still exists; a False answer makes the writer store the object again.
    * ``_flush()`` makes every write so far durable.

    Two conveniences have safe defaults that backends refine: ``delete_if_stale`` (gc's
    check-and-delete; atomic on the local store) and ``sweep_temporary`` (removes leftovers of
    interrupted writes: temp files locally, incomplete multipart uploads on S3).
    """

    url: str = ""

    def __init__(self) -> None:
        self._trees: OrderedDict[ObjectId, Tree] = OrderedDict()
        self._trees_lock = threading.Lock()
        self._blobs = BlobCache(_BLOB_CACHE_BYTES, largest=_WHOLE_READ)
        self._cdc = FastCDC(
            avg_size=AVERAGE_CHUNK,
            min_size=MIN_CHUNK,
            max_size=MAX_CHUNK,
            normalized_chunking=NORMALIZATION,
        )

    # ----------------------------------------------------------------- primitives
    @abstractmethod
    def _get(self, oid: ObjectId, start: int = 0, end: int | None = None) -> bytes: ...

    @abstractmethod
    def _put(self, oid: ObjectId, data: bytes, sync: bool) -> None: ...

    @abstractmethod
    def _stat(self, oid: ObjectId) -> ObjectStat: ...

    @abstractmethod
    def _iter(self) -> Iterator[ObjectStat]: ...

    @abstractmethod
    def _delete(self, oid: ObjectId) -> None: ...

    def _touch(self, oid: ObjectId) -> bool:
        """Backends that can refresh an object's mtime override this."""
        return self.has(oid)

    def _flush(self) -> None:  # noqa: B027 - optional hook
        """Backends whose unsynced writes need a final barrier override this."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources held by the backend."""

    def __enter__(self) -> ObjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- raw layer
    def has(self, oid: ObjectId) -> bool:
        """True if an object is stored under ``oid`` (its integrity is not checked)."""
        try:
            self._stat(oid)
        except NotFound:
            return False
        return True

    def stat(self, oid: ObjectId) -> ObjectStat:
        """Size and mtime of the stored object; ``NotFound`` if absent."""
        return self._stat(oid)

    def iter_objects(self) -> Iterator[ObjectStat]:
        """Every stored object, in no particular order."""
        return self._iter()

    def delete(self, oid: ObjectId) -> None:
        """Remove an object. Only gc should call this: it knows what is still reachable."""
        with self._trees_lock:
            self._trees.pop(oid, None)
        self._blobs.discard(oid)
        self._delete(oid)

    def delete_if_stale(self, oid: ObjectId, cutoff: float) -> bool:
        """Delete the object if its mtime is older than ``cutoff``; True if it was deleted.

        Only gc calls this. Backends that can make the check and the delete atomic with respect
        to ``_touch`` override it; this version leaves a window of one stat call.
        """
        try:
            if self._stat(oid).mtime >= cutoff:
                return False
        except NotFound:
            return False
        self.delete(oid)
        return True

    def sweep_temporary(self, older_than: float) -> int:
        """Delete leftovers of interrupted writes older than ``older_than`` (epoch seconds).

        Returns how many were removed. Backends whose writes are atomic leave none.
        """
        return 0

    def flush(self) -> None:
        """Make every write made with ``sync=False`` durable."""
        self._flush()

    def _store(self, oid: ObjectId, kind: Kind, payload: bytes | memoryview, sync: bool) -> None:
        # Write-once: an existing object is only freshened, so gc sees it as recently used.
        # One exception: a file that holds exactly the bytes of a tree or commit has its id;
        # when the tree or commit is stored after it, the object is stored again as that kind,
        # so gc walks its children. Files read any whole object (their bytes are the same).
        if self.has(oid):
            upgrade = kind in _STRUCTURED and self.kind(oid) is Kind.BLOB
            if not upgrade and self._touch(oid):
                return
        self._put(oid, pack(kind, payload, compress=kind is not Kind.CHUNKS), sync)

    def load(self, oid: ObjectId, *, verify: bool = True) -> tuple[Kind, bytes]:
        """Return the kind and payload of an object, checking it against its id."""
        return self._decode(oid, self._get(oid), verify=verify)

    @staticmethod
    def _decode(oid: ObjectId, raw: bytes, *, verify: bool = True) -> tuple[Kind, bytes]:
        try:
            kind, payload = unpack(raw)
        except ValueError as exc:
            raise Corrupt(oid, str(exc)) from exc
        if verify:
            _verify(oid, kind, payload)
        return kind, payload

    def kind(self, oid: ObjectId) -> Kind:
        """The kind of an object, from its header alone."""
        return self._header(oid).kind

    def children(self, oid: ObjectId) -> list[ObjectId]:
        """Ids the object names directly (tree entries, commit tree and parents, chunks)."""
        kind = self.kind(oid)
        if kind is Kind.BLOB:
            return []
        return _children(*self.load(oid))

    # ----------------------------------------------------------------- blobs
    def put_bytes(self, data: bytes | memoryview, *, sync: bool = True) -> ObjectId:
        """Store file content; large content is chunked. Returns the file id."""
        if len(data) <= CHUNKING_THRESHOLD:
            oid = object_id_of(data)
            self._store(oid, Kind.BLOB, data, sync)
            return oid
        chunks = (c.data for c in self._cdc.cut_buf(data))
        return self._put_chunked(chunks, sync).id

    def put_stream(self, stream: BinaryIO, *, sync: bool = True) -> BlobInfo:
        """Store everything read from ``stream`` without holding more than a few chunks."""
        head = _read_up_to(stream, CHUNKING_THRESHOLD + 1)
        if len(head) <= CHUNKING_THRESHOLD:
            return BlobInfo(self.put_bytes(head, sync=sync), len(head))
        return self._put_chunked(self._cut_stream(head, stream), sync)

    def put_path(self, path: str | os.PathLike[str], *, sync: bool = True) -> BlobInfo:
        """Store the content of a local file (large files are chunked from a memory map)."""
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size > CHUNKING_THRESHOLD:
                return self._put_chunked((c.data for c in self._cdc.cut_file(path)), sync)
            data = _read_fd(fd, size)
        finally:
            os.close(fd)
        if len(data) > CHUNKING_THRESHOLD:  # grew while we read it
            return self._put_chunked((c.data for c in self._cdc.cut_buf(data)), sync)
        return BlobInfo(self.put_bytes(data, sync=sync), len(data))

    def _cut_stream(self, head: bytes, stream: BinaryIO) -> Iterator[memoryview]:
        # Each view is consumed before the chunker reuses its buffer: _put_chunked is sequential.
        return (c.data for c in self._cdc.cut_stream(_Prefixed(head, stream)))

    def _put_chunked(self, chunks: Iterable[bytes | memoryview], sync: bool) -> BlobInfo:
        whole = hashlib.sha256()
        refs: list[ChunkRef] = []
        for chunk in chunks:
            whole.update(chunk)
            chunk_id = object_id_of(chunk)
            self._store(chunk_id, Kind.BLOB, chunk, sync=False)
            refs.append(ChunkRef(chunk_id, len(chunk)))
        index = ChunkIndex(ObjectId(whole.hexdigest()), sum(r.length for r in refs), tuple(refs))
        if sync:
            self._flush()  # the chunks are durable before the index that names them
        self._store(index.file_id, Kind.CHUNKS, index.encoded, sync)
        return BlobInfo(index.file_id, index.size)

    def chunk_index(self, oid: ObjectId) -> ChunkIndex | None:
        """The chunk index of a chunked file, or None for a file stored whole."""
        index = self._file_index(oid)
        return None if index.chunks[0].id == oid else index

    def read_bytes(self, oid: ObjectId) -> bytes:
        """The whole content of a file (verified). Prefer ``open`` for large files."""
        with self.open(oid) as reader:
            return reader.read()

    def read_range(self, oid: ObjectId, start: int, length: int) -> bytes:
        """``length`` bytes of a file from ``start`` (fewer at the end of the file)."""
        with self.open(oid) as reader:
            reader.seek(start)
            return reader.read(length)

    def iter_bytes(self, oid: ObjectId, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Stream a file's bytes ``[start:end]`` in pieces of about a chunk."""
        with self.open(oid) as reader:
            reader.seek(start)
            remaining = (reader.size if end is None else min(end, reader.size)) - start
            while remaining > 0:
                piece = reader.read(min(_READ_PIECE, remaining))
                if not piece:
                    return
                remaining -= len(piece)
                yield piece

    def open(self, oid: ObjectId) -> BlobReader:
        """A seekable, read-only binary file over a stored file; reads only what it needs.
        Small files come from memory when read recently (``BlobCache``)."""
        payload = self._blobs.get(oid)
        if payload is not None:
            return _whole_reader(oid, payload)
        head = self._get(oid, 0, _WHOLE_READ)
        if len(head) == _WHOLE_READ:  # a large object: its header now, its chunks on demand
            return BlobReader(self._file_index(oid, head[:HEADER_SIZE]), self._load_blob)
        kind, payload = self._decode(oid, head)  # the whole object came in one read
        if kind is Kind.CHUNKS:
            return BlobReader(ChunkIndex.decode(payload), self._load_blob)
        if kind not in _WHOLE:
            raise Invalid(f"object {oid} is a {kind.name.lower()}, not a file")
        self._blobs.put(oid, payload)
        return _whole_reader(oid, payload)

    def size_of(self, oid: ObjectId) -> int:
        """Byte size of a stored file."""
        return self._file_index(oid).size

    def _file_index(self, oid: ObjectId, head: bytes | None = None) -> ChunkIndex:
        """The chunk index of a file; a file stored whole is its own single chunk."""
        header = self._header(oid, head)
        if header.kind is Kind.CHUNKS:
            return ChunkIndex.decode(self.load(oid)[1])
        if header.kind not in _WHOLE:
            raise Invalid(f"object {oid} is a {header.kind.name.lower()}, not a file")
        return ChunkIndex(oid, header.size, (ChunkRef(oid, header.size),))

    def _header(self, oid: ObjectId, head: bytes | None = None) -> Header:
        try:
            return parse_header(head if head is not None else self._get(oid, 0, HEADER_SIZE))
        except ValueError as exc:
            raise Corrupt(oid, str(exc)) from exc

    def _load_blob(self, oid: ObjectId) -> bytes:
        kind, payload = self.load(oid)
        if kind not in _WHOLE:
            raise Corrupt(oid, f"expected a blob, found a {kind.name.lower()}")
        return payload

    # ----------------------------------------------------------------- trees, commits
    def put_tree(self, tree: Tree, *, sync: bool = True) -> ObjectId:
        """Store a tree (a paged tree's pages first); returns its id."""
        for page in tree.pages or ():
            self._store(page.id, Kind.TREE, page.encoded, sync)
        self._store(tree.id, Kind.TREE, tree.encoded, sync)
        return tree.id

    def get_tree(self, oid: ObjectId) -> Tree:
        """Load a tree (cached: trees are immutable)."""
        with self._trees_lock:
            if oid in self._trees:
                self._trees.move_to_end(oid)
                return self._trees[oid]
        tree = self._decode_tree(oid, self._expect(oid, Kind.TREE))
        with self._trees_lock:
            self._trees[oid] = tree
            while len(self._trees) > _TREE_CACHE_SIZE:
                self._trees.popitem(last=False)
        return tree

    def _decode_tree(self, oid: ObjectId, payload: bytes) -> Tree:
        pages = page_ids(payload)
        if pages is None:
            return Tree.decode(payload)
        tree = Tree.from_pages([self.get_tree(page) for page in pages])
        if tree.id != oid:
            raise Corrupt(oid, "its pages do not add up to the paged tree")
        return tree

    def put_commit(self, commit: Commit, *, sync: bool = True) -> ObjectId:
        """Store a commit; returns its id."""
        self._store(commit.id, Kind.COMMIT, commit.encoded, sync)
        return commit.id

    def get_commit(self, oid: ObjectId) -> Commit:
        """Load a commit."""
        return Commit.decode(self._expect(oid, Kind.COMMIT))

    def _expect(self, oid: ObjectId, want: Kind) -> bytes:
        kind, payload = self.load(oid)
        if kind is want or (kind is Kind.BLOB and payload.startswith(_MAGIC[want])):
            return payload  # a blob may hold a tree's or commit's exact bytes (see _store)
        raise Invalid(f"object {oid} is a {kind.name.lower()}, not a {want.name.lower()}")


class _Prefixed:
    """A read-only stream that first returns ``head``, then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        if self._head:
            take = len(self._head) if n < 0 else min(n, len(self._head))
            piece, self._head = bytes(self._head[:take]), self._head[take:]
            return piece
        return self._stream.read(n)

    def readinto(self, buf: bytearray | memoryview) -> int:
        if not self._head and hasattr(self._stream, "readinto"):
            return self._stream.readinto(buf) or 0
        piece = self.read(len(buf))
        buf[: len(piece)] = piece
        return len(piece)


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    """Read until ``limit`` bytes or the end: raw streams (sockets, pipes) may return less."""
    parts, have = [], 0
    while have < limit and (piece := stream.read(limit - have)):
        parts.append(piece)
        have += len(piece)
    return b"".join(parts)


def _read_fd(fd: int, size: int) -> bytes:
    """Everything readable from ``fd``; ``size`` is the expected length (one read, usually)."""
    first = os.read(fd, size + 1)
    if len(first) <= size:  # a short read of a regular file is its end
        return first
    parts = [first]
    while piece := os.read(fd, 1 << 20):
        parts.append(piece)
    return b"".join(parts)


def _whole_reader(oid: ObjectId, payload: bytes) -> BlobReader:
    """A reader over a file stored whole, whose payload is at hand."""
    index = ChunkIndex(oid, len(payload), (ChunkRef(oid, len(payload)),))
    return BlobReader(index, lambda _oid: payload)


def _verify(oid: ObjectId, kind: Kind, payload: bytes) -> None:
    if kind is Kind.CHUNKS:
        try:
            index = ChunkIndex.decode(payload)
        except Invalid as exc:
            raise Corrupt(oid, str(exc)) from exc
        if index.file_id != oid:
            raise Corrupt(oid, f"chunk index is for file {index.file_id}")
    elif object_id_of(payload) != oid:
        raise Corrupt(oid, f"content hashes to {object_id_of(payload)}")


def _children(kind: Kind, payload: bytes) -> list[ObjectId]:
    if kind is Kind.TREE:
        pages = page_ids(payload)
        return pages if pages is not None else [entry.id for entry in Tree.decode(payload)]
    if kind is Kind.COMMIT:
        commit = Commit.decode(payload)
        return [commit.tree, *commit.parents]
    if kind is Kind.CHUNKS:
        return [ref.id for ref in ChunkIndex.decode(payload).chunks]
    return []
