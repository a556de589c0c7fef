"""Typed identifiers. Hex object ids and raw digests never mix: only ``ObjectId`` crosses APIs."""

from __future__ import annotations

import hashlib
import re
from typing import NewType

from aether_data.errors import Invalid

__all__ = [
    "CheckpointName",
    "ObjectId",
    "RefName",
    "SessionId",
    "SourceName",
    "object_id_of",
    "parse_object_id",
]

ObjectId = NewType("ObjectId", str)
"""Lower-case hex SHA-256 of an object's canonical bytes (for a file: its whole content)."""

SessionId = NewType("SessionId", str)
SourceName = NewType("SourceName", str)
RefName = NewType("RefName", str)
CheckpointName = NewType("CheckpointName", str)

_OBJECT_ID = re.compile(r"[0-9a-f]{64}")


def object_id_of(data: bytes | bytearray | memoryview) -> ObjectId:
    """Return the id of ``data``: its SHA-256 as lower-case hex."""
    return ObjectId(hashlib.sha256(data).hexdigest())


def parse_object_id(text: str) -> ObjectId:
    """Validate ``text`` as an object id (64 lower-case hex digits) and return it typed."""
    if not isinstance(text, str) or not _OBJECT_ID.fullmatch(text):
        raise Invalid(f"not an object id (want 64 lower-case hex digits): {text!r}")
    return ObjectId(text)
