"""Object encodings: blobs, trees, commits and chunk indexes, with canonical bytes and ids."""

from aether_data.objects._envelope import HEADER_SIZE, Header, Kind, pack, parse_header, unpack
from aether_data.objects.chunks import (
    AVERAGE_CHUNK,
    CHUNKING_THRESHOLD,
    MAX_CHUNK,
    MIN_CHUNK,
    NORMALIZATION,
    ChunkIndex,
    ChunkRef,
)
from aether_data.objects.commit import Commit
from aether_data.objects.tree import (
    PAGE_MAX,
    PAGE_MIN,
    EntryKind,
    Tree,
    TreeEntry,
    page_ids,
    validate_name,
)

__all__ = [
    "AVERAGE_CHUNK",
    "CHUNKING_THRESHOLD",
    "HEADER_SIZE",
    "MAX_CHUNK",
    "MIN_CHUNK",
    "NORMALIZATION",
    "PAGE_MAX",
    "PAGE_MIN",
    "ChunkIndex",
    "ChunkRef",
    "Commit",
    "EntryKind",
    "Header",
    "Kind",
    "Tree",
    "TreeEntry",
    "pack",
    "page_ids",
    "parse_header",
    "unpack",
    "validate_name",
]
