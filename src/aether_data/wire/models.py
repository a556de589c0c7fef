"""The values the workspace API takes and returns, as msgspec structs.

They are the JSON of the HTTP API and the return values of every ``WorkspaceAPI``
implementation (embedded and client alike), so both sides agree on one shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

from aether_data.wire.datasets import DatasetChangeSummary, DatasetHint

__all__ = [
    "BatchOperation",
    "BatchRequest",
    "Change",
    "ChangeSide",
    "Checkpoint",
    "CheckpointOrigin",
    "CheckpointRequest",
    "Commit",
    "CommitRequest",
    "CommitResult",
    "CreateRefRequest",
    "CreateSessionRequest",
    "CreateSourceRequest",
    "CreateTokenRequest",
    "Entry",
    "EntryKind",
    "ExportFormat",
    "ForkRequest",
    "ImportJob",
    "ImportRequest",
    "IssuedToken",
    "ManifestItem",
    "MergeFromRequest",
    "MkdirRequest",
    "Page",
    "PathConflict",
    "PromoteRequest",
    "Ref",
    "RenameRequest",
    "ResolveRequest",
    "RestoreRequest",
    "Session",
    "Source",
    "SymlinkRequest",
    "Token",
    "WhoAmI",
]

T = TypeVar("T")

EntryKind = Literal["file", "exec", "dir", "link"]
ExportFormat = Literal["tar", "tar.gz", "zip"]


class _Value(msgspec.Struct, frozen=True, kw_only=True):
    """A response value: immutable, keyword-built."""


class _Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused rather than silently ignored."""


# ---------------------------------------------------------------------------- values
class Entry(_Value):
    """A file, executable, folder or link: ``id`` is the content hash (a folder's tree id)."""

    name: str
    kind: EntryKind
    id: str
    size: int


class ManifestItem(_Value, omit_defaults=True):
    """One line of a session's manifest; ``dataset``: the schema of a dataset file, when the
    manifest was asked for them (None for other files, and for files that cannot be read as
    their format)."""

    path: str
    kind: EntryKind
    size: int
    id: str
    dataset: DatasetHint | None = None


class Session(_Value):
    """A session: a base tree plus changes, guarded by ``version``."""

    id: str
    status: str
    base_tree: str
    version: int
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    source: str | None = None
    ref: str | None = None
    base_commit: str | None = None
    tags: list[str] = []
    metadata: dict[str, Any] = {}


class Checkpoint(_Value):
    """An immutable, named snapshot of a session's tree."""

    session: str
    name: str
    tree: str
    created_at: datetime
    message: str = ""


class Source(_Value):
    """A durable, named history."""

    name: str
    default_branch: str
    created_at: datetime
    description: str = ""
    metadata: dict[str, Any] = {}


class Ref(_Value):
    """A branch or tag of a source and the commit it names."""

    source: str
    name: str
    kind: Literal["branch", "tag"]
    commit: str
    updated_at: datetime | None = None


class Commit(_Value):
    """One commit of a source's history."""

    id: str
    tree: str
    parents: list[str]
    author: str
    time: datetime
    message: str
    metadata: dict[str, str] = {}


class PathConflict(_Value):
    """A path changed on both sides in ways that cannot be merged."""

    path: str
    kind: str


class CommitResult(_Value):
    """What committing a session did: a commit, or the conflicts that stopped it."""

    branch: str
    commit: str | None = None
    merged: bool = False
    conflicts: list[PathConflict] = []


class ChangeSide(_Value):
    """One side of a change."""

    kind: EntryKind
    id: str
    size: int


class Change(_Value):
    """One changed file or link: ``added``, ``removed``, ``modified`` or ``renamed``.

    When the diff was asked for datasets, a dataset file whose content changed (modified, or
    renamed with changes) carries ``dataset``: what changed in its data; when a side cannot
    be compared (unreadable, no usable key), ``dataset`` is None and ``dataset_error`` says
    why."""

    status: Literal["added", "removed", "modified", "renamed"]
    path: str
    old_path: str | None = None
    old: ChangeSide | None = None
    new: ChangeSide | None = None
    dataset: DatasetChangeSummary | None = None
    dataset_error: str | None = None


class ImportJob(_Value):
    """An asynchronous import into a source's branch."""

    id: str
    source: str
    origin: str
    status: Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]
    created_at: datetime
    updated_at: datetime
    branch: str | None = None
    commit: str | None = None
    error: str | None = None


class Token(_Value):
    """An API token (never its secret)."""

    id: str
    tenant: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class IssuedToken(_Value):
    """A new token and its secret: the secret is shown this once and stored only hashed."""

    token: Token
    secret: str


class WhoAmI(_Value):
    """Who the caller's token belongs to, and what it may do."""

    token: str
    tenant: str
    scopes: list[str]


class Page(_Value, Generic[T]):
    """One page of a listing; pass ``next_cursor`` back for the next (None: no more)."""

    items: list[T]
    next_cursor: str | None = None


# ---------------------------------------------------------------------------- requests
class CheckpointOrigin(_Request):
    """A checkpoint of a session, as the starting point of a new session."""

    session: str
    name: str


class CreateSessionRequest(_Request):
    """Start a session from a source (``source`` + optional ``ref``), a template, a
    checkpoint of another session, or nothing (an empty tree). Give at most one origin."""

    source: str | None = None
    ref: str | None = None
    template: str | None = None
    checkpoint: CheckpointOrigin | None = None
    name: str | None = None
    tags: list[str] = []
    metadata: dict[str, Any] = {}


class ForkRequest(_Request):
    name: str | None = None


class CheckpointRequest(_Request):
    name: str | None = None
    message: str = ""


class RestoreRequest(_Request):
    checkpoint: str


class MergeFromRequest(_Request):
    session: str


class CommitRequest(_Request):
    message: str
    author: str = "aether"
    branch: str | None = None


class ResolveRequest(_Request):
    """``take`` maps each conflicting path to ``session`` or ``branch``."""

    take: dict[str, Literal["session", "branch"]]
    message: str
    author: str = "aether"


class PromoteRequest(_Request):
    """Promote to a new source (``source``) or a new branch of the session's source."""

    source: str | None = None
    branch: str | None = None
    message: str = "promoted from a session"
    author: str = "aether"


class RenameRequest(_Request):
    source: str
    destination: str
    overwrite: bool = False
    expected: str | None = None


class MkdirRequest(_Request):
    path: str
    exist_ok: bool = False


class SymlinkRequest(_Request):
    path: str
    target: str


class BatchOperation(_Request):
    """One step of a batch: ``write`` (path, data, expected, executable), ``delete`` (path,
    expected, recursive), ``mkdir`` (path) or ``rename`` (source, destination, overwrite)."""

    op: Literal["write", "delete", "mkdir", "rename"]
    path: str | None = None
    data: bytes | None = None
    expected: str | None = None
    executable: bool = False
    recursive: bool = False
    source: str | None = None
    destination: str | None = None
    overwrite: bool = False


class BatchRequest(_Request):
    operations: list[BatchOperation]


class CreateSourceRequest(_Request):
    name: str
    description: str = ""


class CreateRefRequest(_Request):
    name: str
    at: str | None = None
    kind: Literal["branch", "tag"] = "branch"


class ImportRequest(_Request):
    """Import ``origin`` (an http(s)/s3 URL, or ``git+URL``) into ``branch`` of the source."""

    origin: str
    branch: str | None = None
    git_ref: str = "HEAD"
    message: str | None = None


class CreateTokenRequest(_Request):
    name: str
    scopes: list[str]
    tenant: str | None = None
    expires_in: int | None = None
    """Seconds until the token expires (None: never)."""
