"""The stored form of every object: a fixed header, then the payload, raw or zstd-compressed.

Header (14 bytes): magic ``AEO1``, one kind byte, one codec byte, the payload length as an
unsigned 64-bit big-endian integer. The length is the uncompressed size, so a reader can size
buffers, bound decompression and answer ``size`` queries from a ranged read of the header alone.
"""

from __future__ import annotations

import enum
import struct
import threading

import zstandard

__all__ = ["HEADER_SIZE", "Codec", "Header", "Kind", "pack", "parse_header", "unpack"]

_MAGIC = b"AEO1"
_HEADER = struct.Struct(">4sccQ")
HEADER_SIZE = _HEADER.size

# Compression only pays when it saves at least this share of the payload.
_MIN_SAVING = 0.10
# Payloads smaller than this are stored raw: the header and frame overhead eat the gain.
_MIN_COMPRESS_SIZE = 256
# Larger payloads are first judged on a sample, so incompressible data (Parquet pages, images,
# archives) costs one small trial instead of a full compression pass.
_SAMPLE_ABOVE = 64 << 10
_SAMPLE = 8 << 10


class Kind(enum.Enum):
    """What the payload is."""

    BLOB = b"b"
    TREE = b"t"
    COMMIT = b"c"
    CHUNKS = b"x"


class Codec(enum.Enum):
    """How the payload is stored."""

    RAW = b"r"
    ZSTD = b"z"


class Header:
    """A parsed header."""

    __slots__ = ("codec", "kind", "size")

    def __init__(self, kind: Kind, codec: Codec, size: int) -> None:
        self.kind = kind
        self.codec = codec
        self.size = size


_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstd contexts are not thread-safe; one per thread keeps parallel ingest lock-free.
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=1)
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    _compressor()
    return _local.decompressor


def pack(kind: Kind, payload: bytes | memoryview, *, compress: bool = True) -> bytes:
    """Return the stored form of ``payload``; compressed only where that saves space."""
    size = len(payload)
    if compress and size >= _MIN_COMPRESS_SIZE and _worth_trying(payload):
        squeezed = _compressor().compress(payload)
        if len(squeezed) <= size * (1 - _MIN_SAVING):
            return _HEADER.pack(_MAGIC, kind.value, Codec.ZSTD.value, size) + squeezed
    return _HEADER.pack(_MAGIC, kind.value, Codec.RAW.value, size) + payload


def _worth_trying(payload: bytes | memoryview) -> bool:
    if len(payload) <= _SAMPLE_ABOVE:
        return True
    sample = memoryview(payload)[:_SAMPLE]
    return len(_compressor().compress(sample)) <= _SAMPLE * (1 - _MIN_SAVING)


def parse_header(raw: bytes | memoryview) -> Header:
    """Parse the header at the start of ``raw``; ``ValueError`` if it is not one."""
    if len(raw) < HEADER_SIZE:
        raise ValueError("truncated header")
    magic, kind, codec, size = _HEADER.unpack_from(raw)
    if magic != _MAGIC:
        raise ValueError("bad magic")
    return Header(Kind(kind), Codec(codec), size)


def unpack(raw: bytes | memoryview) -> tuple[Kind, bytes]:
    """Return the kind and the payload of a stored object; ``ValueError`` if it is malformed."""
    header = parse_header(raw)
    body = memoryview(raw)[HEADER_SIZE:]
    if header.codec is Codec.ZSTD:
        try:
            payload = _decompressor().decompress(body, max_output_size=header.size)
        except zstandard.ZstdError as exc:
            raise ValueError(f"zstd: {exc}") from exc
    else:
        payload = bytes(body)
    if len(payload) != header.size:
        raise ValueError(f"payload is {len(payload)} bytes, header says {header.size}")
    return header.kind, payload
