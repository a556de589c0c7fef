"""Domain records -> wire values (the JSON the API returns and the embedded API gives back)."""

from __future__ import annotations

from datetime import UTC, datetime

from aether_data.catalog import (
    CheckpointRecord,
    JobRecord,
    RefRecord,
    SessionRecord,
    SourceRecord,
    TokenRecord,
)
from aether_data.ids import ObjectId
from aether_data.objects import Commit as CommitObject
from aether_data.objects import TreeEntry
from aether_data.wire import (
    Change,
    ChangeSide,
    Checkpoint,
    Commit,
    CommitResult,
    Entry,
    ImportJob,
    ManifestItem,
    PathConflict,
    Ref,
    Session,
    Source,
    Token,
)
from aether_data.workspace import Change as DomainChange
from aether_data.workspace import CommitOutcome, ManifestEntry

__all__ = [
    "change",
    "checkpoint",
    "commit",
    "commit_result",
    "entry",
    "import_job",
    "manifest_item",
    "ref",
    "session",
    "source",
    "token",
]


def entry(item: TreeEntry, name: str | None = None) -> Entry:
    return Entry(
        name=item.name if name is None else name, kind=item.kind.value, id=item.id, size=item.size
    )


def manifest_item(item: ManifestEntry) -> ManifestItem:
    return ManifestItem(path=item.path, kind=item.kind.value, size=item.size, id=item.id)


def session(record: SessionRecord) -> Session:
    return Session(
        id=record.id,
        status=record.status.value,
        base_tree=record.base_tree,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        name=record.name,
        source=record.source,
        ref=record.ref,
        base_commit=record.base_commit,
        tags=list(record.tags),
        metadata=dict(record.metadata),
    )


def checkpoint(record: CheckpointRecord) -> Checkpoint:
    return Checkpoint(
        session=record.session_id,
        name=record.name,
        tree=record.tree_id,
        created_at=record.created_at,
        message=record.message,
    )


def source(record: SourceRecord) -> Source:
    return Source(
        name=record.name,
        default_branch=record.default_branch,
        created_at=record.created_at,
        description=record.description,
        metadata=dict(record.metadata),
    )


def ref(record: RefRecord) -> Ref:
    return Ref(
        source=record.source,
        name=record.name,
        kind=record.kind.value,
        commit=record.commit_id,
        updated_at=record.updated_at,
    )


def commit(commit_id: ObjectId, item: CommitObject) -> Commit:
    return Commit(
        id=commit_id,
        tree=item.tree,
        parents=list(item.parents),
        author=item.author,
        time=datetime.fromtimestamp(item.time_us / 1_000_000, UTC),
        message=item.message,
        metadata=dict(item.meta),
    )


def commit_result(outcome: CommitOutcome) -> CommitResult:
    return CommitResult(
        branch=outcome.branch,
        commit=outcome.commit,
        merged=outcome.merged,
        conflicts=[PathConflict(path=c["path"], kind=c["kind"]) for c in outcome.conflicts],
    )


def _side(item: TreeEntry | None) -> ChangeSide | None:
    return None if item is None else ChangeSide(kind=item.kind.value, id=item.id, size=item.size)


def change(item: DomainChange) -> Change:
    return Change(
        status=item.status.value,
        path=item.path,
        old_path=item.old_path,
        old=_side(item.old),
        new=_side(item.new),
    )


def import_job(record: JobRecord) -> ImportJob:
    return ImportJob(
        id=record.id,
        source=record.source,
        origin=record.origin,
        status=record.status.value,
        created_at=record.created_at,
        updated_at=record.updated_at,
        branch=record.options.get("branch"),
        commit=record.commit_id,
        error=record.error,
    )


def token(record: TokenRecord) -> Token:
    return Token(
        id=record.id,
        tenant=record.tenant,
        name=record.name,
        scopes=list(record.scopes),
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
    )
