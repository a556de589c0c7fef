"""A seekable read-only file over a stored blob, loading one chunk at a time."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from aether_data.ids import ObjectId
from aether_data.objects import ChunkIndex

__all__ = ["BlobReader"]


class BlobReader(io.RawIOBase):
    """Reads a file through its chunk index (one chunk for a file stored whole)."""

    def __init__(self, index: ChunkIndex, load: Callable[[ObjectId], bytes]) -> None:
        super().__init__()
        self.size = index.size
        self._index = index
        self._load = load
        self._pos = 0
        self._chunk_no = -1
        self._chunk = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:
        piece = self._piece_at(self._pos, len(buffer))
        buffer[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)

    def copy_to(self, out: BinaryIO) -> int:
        """Write the rest of the blob to ``out`` a whole chunk at a time (no piece is cut
        or joined); returns how many bytes were written."""
        written = 0
        while piece := self._piece_at(self._pos, self.size - self._pos):
            out.write(piece)
            self._pos += len(piece)
            written += len(piece)
        return written

    def readall(self) -> bytes:
        return self.read(-1)

    def read(self, size: int | None = -1) -> bytes:
        """Read ``size`` bytes (all that is left if negative); short only at the end."""
        want = self.size - self._pos if size is None or size < 0 else size
        parts = []
        while want > 0 and (piece := self._piece_at(self._pos, want)):
            parts.append(piece)
            self._pos += len(piece)
            want -= len(piece)
        return b"".join(parts)

    def _piece_at(self, pos: int, want: int) -> memoryview:
        """Up to ``want`` bytes from ``pos``, never crossing a chunk boundary."""
        if pos >= self.size or want <= 0:
            return memoryview(b"")
        number = self._index.locate(pos)
        if number != self._chunk_no:
            self._chunk, self._chunk_no = self._load(self._index.chunks[number].id), number
        start = pos - self._index.offsets[number]
        return memoryview(self._chunk)[start : start + want]
