"""Chunk indexes: how a large file is stored as content-defined chunks.

A file above ``CHUNKING_THRESHOLD`` bytes is cut with FastCDC into chunks averaging about
0.6 MiB; each chunk is stored as an ordinary blob, and an index object is stored
under the id of the whole file (the SHA-256 of all its bytes). Encoding (ASCII)::

    aether-chunks 1\n
    file <id of the whole file>\n
    size <total bytes>\n
    chunk <chunk id> <length>\n     (repeated, in file order)
    check <SHA-256 of every byte above>\n

The index names its own file id and carries a digest of itself, so it is verified on every read
without reading the chunks; chunks are verified as they are read.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, parse_object_id

__all__ = [
    "AVERAGE_CHUNK",
    "CHUNKING_THRESHOLD",
    "MAX_CHUNK",
    "MIN_CHUNK",
    "NORMALIZATION",
    "ChunkIndex",
    "ChunkRef",
]

# FastCDC parameters. The target average is 512 KiB (chunks come out at about 0.6 MiB with
# normalized chunking level 2): at a 1 MiB target, one in eight 1 MiB edits of a large file
# re-stored more than 4 MiB; at this size none of 60 random edits of a 256 MiB file did.
AVERAGE_CHUNK = 512 << 10
MIN_CHUNK = 128 << 10
MAX_CHUNK = 2 << 20
NORMALIZATION = 2
CHUNKING_THRESHOLD = 2 << 20

_HEADER = "aether-chunks 1\n"


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """One chunk of a file: its blob id and length."""

    id: ObjectId
    length: int


@dataclass(frozen=True)
class ChunkIndex:
    """The ordered chunks of one file."""

    file_id: ObjectId
    size: int
    chunks: tuple[ChunkRef, ...]

    def __post_init__(self) -> None:
        if sum(c.length for c in self.chunks) != self.size:
            raise Invalid(f"chunk lengths do not add up to the file size {self.size}")

    @cached_property
    def offsets(self) -> list[int]:
        """Start offset of each chunk, plus the file size at the end."""
        return [0, *accumulate(c.length for c in self.chunks)]

    def locate(self, offset: int) -> int:
        """Index of the chunk holding byte ``offset`` (``len(chunks)`` at or past the end)."""
        return (
            bisect.bisect_right(self.offsets, offset) - 1
            if offset < self.size
            else len(self.chunks)
        )

    @cached_property
    def encoded(self) -> bytes:
        """The canonical bytes, ending with the self-check line."""
        lines = [_HEADER, f"file {self.file_id}\n", f"size {self.size}\n"]
        lines += [f"chunk {c.id} {c.length}\n" for c in self.chunks]
        body = "".join(lines).encode("ascii")
        return body + f"check {hashlib.sha256(body).hexdigest()}\n".encode("ascii")

    @classmethod
    def decode(cls, data: bytes) -> ChunkIndex:
        """Parse and self-check canonical bytes; ``Invalid`` if damaged or malformed."""
        body, sep, check = data.rpartition(b"check ")
        if not sep or check != f"{hashlib.sha256(body).hexdigest()}\n".encode("ascii"):
            raise Invalid("chunk index fails its self-check")
        try:
            lines = body.decode("ascii").splitlines()
            if lines[0] + "\n" != _HEADER:
                raise ValueError("bad header")
            file_id = parse_object_id(lines[1].removeprefix("file "))
            size = int(lines[2].removeprefix("size "))
            chunks = tuple(_decode_chunk(line) for line in lines[3:])
        except (ValueError, IndexError) as exc:
            raise Invalid(f"not a chunk index: {exc}") from exc
        return cls(file_id, size, chunks)


def _decode_chunk(line: str) -> ChunkRef:
    tag, oid, length = line.split(" ")
    if tag != "chunk":
        raise ValueError(f"unexpected line {line!r}")
    return ChunkRef(parse_object_id(oid), int(length))
