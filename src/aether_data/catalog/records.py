"""Records the catalog stores and returns: frozen dataclasses and the enums they use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName

__all__ = [
    "DEFAULT_BRANCH",
    "DEFAULT_TENANT",
    "BusMessage",
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
    "TokenRecord",
]

T = TypeVar("T")

DEFAULT_BRANCH = RefName("main")
"""The branch a new source's sessions start from unless told otherwise."""

DEFAULT_TENANT = "default"
"""The tenant of records made without naming one, and of every record older than tenants."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RefKind(StrEnum):
    """What a ref is: a branch moves with new commits, a tag names one commit for good."""

    BRANCH = "branch"
    TAG = "tag"


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    CONFLICT = "CONFLICT"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    RETIRED = "RETIRED"


class JobStatus(StrEnum):
    """Where an import job is: waiting, running, or done for good (with a commit or an error)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class KvScope(StrEnum):
    """What owns a knowledge entry: a session (by id) or a source (by name)."""

    SESSION = "session"
    SOURCE = "source"


class ReviewKind(StrEnum):
    """What a review record is; the review layer gives each kind its states and data."""

    ANNOTATION = "annotation"
    APPROVAL = "approval"
    CHECK_RUN = "check_run"
    BRANCH_POLICY = "branch_policy"


class OverlayKind(StrEnum):
    """What an overlay entry puts at its path; a tombstone hides the base tree's entry."""

    FILE = "file"
    EXEC = "exec"
    DIR = "dir"
    LINK = "link"
    TOMBSTONE = "tombstone"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRecord:
    """A durable, named history. Names are unique across tenants, like bucket names."""

    name: SourceName
    tenant: str = DEFAULT_TENANT
    default_branch: RefName = DEFAULT_BRANCH
    description: str = ""
    created_at: datetime = field(default_factory=_utc_now)
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefRecord:
    """A branch or tag of a source and the commit it names."""

    source: SourceName
    name: RefName
    kind: RefKind
    commit_id: ObjectId
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitRecord:
    """One row of a source's commit index (the commit object itself lives in the object store)."""

    commit_id: ObjectId
    tree_id: ObjectId
    parents: tuple[ObjectId, ...] = ()
    author: str = ""
    message: str = ""
    committed_at: datetime = field(default_factory=_utc_now)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecord:
    """A working copy: a base tree plus an overlay of changes, guarded by ``version``."""

    id: SessionId
    base_tree: ObjectId
    tenant: str = DEFAULT_TENANT
    name: str | None = None
    source: SourceName | None = None
    ref: RefName | None = None
    base_commit: ObjectId | None = None
    status: SessionStatus = SessionStatus.ACTIVE
    tags: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=_utc_now)
    updated_at: datetime = field(default_factory=_utc_now)
    version: int = 1
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class OverlayEntry:
    """What a session has at one path instead of its base tree's entry."""

    kind: OverlayKind
    object_id: ObjectId | None = None
    size: int = 0

    @classmethod
    def tombstone(cls) -> OverlayEntry:
        """Return the entry that deletes a path of the base tree."""
        return cls(OverlayKind.TOMBSTONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord:
    """An immutable, named snapshot of a session's tree."""

    session_id: SessionId
    name: CheckpointName
    tree_id: ObjectId
    message: str = ""
    created_at: datetime = field(default_factory=_utc_now)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    """An API token of a tenant. Only a hash of its secret is stored, never the secret."""

    id: str
    tenant: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: datetime = field(default_factory=_utc_now)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Whether the token may be used at ``now``: neither revoked nor expired by then."""
        ended = [at for at in (self.expires_at, self.revoked_at) if at is not None]
        return all(now < at for at in ended)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRecord:
    """An import of ``origin`` into a source, guarded by ``version`` like a session."""

    id: str
    tenant: str
    source: SourceName
    origin: str
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    status: JobStatus = JobStatus.QUEUED
    error: str | None = None
    commit_id: ObjectId | None = None
    created_at: datetime = field(default_factory=_utc_now)
    updated_at: datetime = field(default_factory=_utc_now)
    version: int = 1


@dataclass(frozen=True, slots=True)
class KvRecord:
    """A knowledge entry: a value under a key of a session or source, guarded by ``version``."""

    scope: KvScope
    owner: str
    key: str
    value: bytes
    version: int
    author: str
    tenant: str
    created_at: datetime
    updated_at: datetime

    @property
    def size(self) -> int:
        """The value's length in bytes."""
        return len(self.value)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the audit log; ``seq`` orders the log (the catalog assigns it)."""

    seq: int
    tenant: str
    type: str
    actor: str
    created_at: datetime
    session_id: str | None = None
    source: str | None = None
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class BusMessage:
    """A message on the bus: JSON text on a topic, for one session or (``session_id`` None)
    the whole tenant; ``seq`` orders the bus (the catalog assigns it)."""

    seq: int
    tenant: str
    topic: str
    body: str
    author: str
    created_at: datetime
    session_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRecord:
    """An annotation, approval, check run or branch policy: what it is about (a session or a
    source), a ``state`` and a JSON document (``data``) that only the review layer reads;
    guarded by ``version`` like a session."""

    id: str
    kind: ReviewKind
    tenant: str
    state: str
    author: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    session_id: SessionId | None = None
    source: SourceName | None = None
    version: int = 1
    created_at: datetime = field(default_factory=_utc_now)
    updated_at: datetime = field(default_factory=_utc_now)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back for the next page (``None``: no more)."""

    items: tuple[T, ...]
    next_cursor: str | None = None
