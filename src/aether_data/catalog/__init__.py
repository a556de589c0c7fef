"""The metadata catalog: sources, refs, commit index, sessions, overlays and checkpoints.

``Catalog`` is the contract; ``SqlCatalog`` implements it on SQLite (WAL) and PostgreSQL.
"""

from __future__ import annotations

from .base import Catalog
from .records import (
    DEFAULT_BRANCH,
    CheckpointRecord,
    CommitRecord,
    OverlayEntry,
    OverlayKind,
    Page,
    RefKind,
    RefRecord,
    SessionRecord,
    SessionStatus,
    SourceRecord,
)
from .sql import SqlCatalog

__all__ = [
    "DEFAULT_BRANCH",
    "Catalog",
    "CheckpointRecord",
    "CommitRecord",
    "OverlayEntry",
    "OverlayKind",
    "Page",
    "RefKind",
    "RefRecord",
    "SessionRecord",
    "SessionStatus",
    "SourceRecord",
    "SqlCatalog",
]
