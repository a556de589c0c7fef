"""The metadata catalog: sources, refs, commit index, sessions, overlays, checkpoints, API tokens
and import jobs, each source, session, token and job owned by a tenant; and for reviews, the
knowledge entries of sessions and sources, the audit log of events and the message bus.

``Catalog`` is the contract; ``SqlCatalog`` implements it on SQLite (WAL) and PostgreSQL. It
loads (with SQLAlchemy) when first named, so the records and the contract cost no more than
themselves to a program that only talks to a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._checks import checkpoint_name as check_checkpoint_name
from ._checks import ref_name as check_ref_name
from .base import Catalog
from .records import (
    DEFAULT_BRANCH,
    DEFAULT_TENANT,
    BusMessage,
    CheckpointRecord,
    CommitRecord,
    EventRecord,
    JobRecord,
    JobStatus,
    KvRecord,
    KvScope,
    OverlayEntry,
    OverlayKind,
    Page,
    RefKind,
    RefRecord,
    ReviewKind,
    ReviewRecord,
    SessionRecord,
    SessionStatus,
    SourceRecord,
    TokenRecord,
)

if TYPE_CHECKING:
    from .sql import SqlCatalog

__all__ = [
    "DEFAULT_BRANCH",
    "DEFAULT_TENANT",
    "BusMessage",
    "Catalog",
    "CheckpointRecord",
    "CommitRecord",
    "EventRecord",
    "JobRecord",
    "JobStatus",
    "KvRecord",
    "KvScope",
    "OverlayEntry",
    "OverlayKind",
    "Page",
    "RefKind",
    "RefRecord",
    "ReviewKind",
    "ReviewRecord",
    "SessionRecord",
    "SessionStatus",
    "SourceRecord",
    "SqlCatalog",
    "TokenRecord",
    "check_checkpoint_name",
    "check_ref_name",
]


def __getattr__(name: str) -> Any:
    if name != "SqlCatalog":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .sql import SqlCatalog  # noqa: PLC0415 - SQLAlchemy, on first use

    globals()[name] = SqlCatalog
    return SqlCatalog


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
