"""The embedded ``WorkspaceAPI``: one tenant's view of the workspace, in process.

The HTTP service answers every request through this class too, so embedded and remote
behave the same by construction. Another tenant's session or source is reported exactly as
an unknown one (``NotFound``), so existence never leaks across tenants.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from aether_data.catalog import Page as RecordPage
from aether_data.catalog import RefKind, SessionRecord, SessionStatus, SourceRecord
from aether_data.errors import Invalid, NotFound
from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName
from aether_data.objects import EntryKind
from aether_data.service import _convert as to
from aether_data.service._audit import RESULT, audited
from aether_data.service.datasets import with_dataset_hints
from aether_data.service.gates import commit_gate
from aether_data.storage._reader import BlobReader
from aether_data.wire import (
    BatchOperation,
    Change,
    Checkpoint,
    Commit,
    CommitResult,
    Entry,
    ExportFormat,
    ImportJob,
    ManifestItem,
    Page,
    Ref,
    Session,
    Source,
)
from aether_data.workspace import (
    diff_trees,
    export_tar,
    export_zip,
    import_archive,
    ingest_directory,
)
from aether_data.workspace.paths import normalize_path
from aether_data.workspace.sessions import Sessions
from aether_data.workspace.sources import Sources
from aether_data.workspace.templates import materialize_template

if TYPE_CHECKING:
    from aether_data.service import Services

__all__ = ["EmbeddedWorkspace"]


def _page(items: Sequence[Any], cursor: str | None, limit: int, key) -> Page:
    """One page of an in-memory, key-ordered listing; the cursor is the last key shown."""
    if not 1 <= limit <= 1000:
        raise Invalid("limit must be between 1 and 1000")
    start = 0
    if cursor is not None:
        start = next((i for i, item in enumerate(items) if key(item) > cursor), len(items))
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(items=chosen, next_cursor=key(chosen[-1]) if more and chosen else None)


class EmbeddedWorkspace:
    """``WorkspaceAPI`` over in-process sessions and sources, for one tenant."""

    def __init__(
        self, services: Services, tenant: str, *, local_imports: bool = True, actor: str = "local"
    ) -> None:
        self._services = services
        self.tenant = tenant
        self.actor = actor
        self._local_imports = local_imports

    def record(self, kind: str, **fields: Any) -> None:
        """Append an event of this tenant and actor to the audit log."""
        self._services.events.record(self.tenant, kind, self.actor, **fields)

    @contextmanager
    def recording(self, kind: str, **fields: Any) -> Iterator[None]:
        """Store the block's change to a session together with its event (one transaction)."""
        events = self._services.events
        with self._sessions.recording(events.make(self.tenant, kind, self.actor, **fields)):
            yield
        events.notify()

    @property
    def _sessions(self) -> Sessions:
        return self._services.sessions

    @property
    def _sources(self) -> Sources:
        return self._services.sources

    @property
    def _gate(self):
        return commit_gate(self._services, self.tenant, self.actor)

    @property
    def _store(self):
        return self._services.store

    # ----------------------------------------------------------------- tenancy
    def owned_session(self, session_id: str) -> SessionRecord:
        """The record of a session of this tenant; ``NotFound`` for any other."""
        return self._session(session_id)

    def owned_source(self, name: str) -> SourceRecord:
        """The record of a source of this tenant; ``NotFound`` for any other."""
        return self._source(name)

    def _session(self, session_id: str) -> SessionRecord:
        try:
            record = self._sessions.get(SessionId(session_id))
        except NotFound:
            record = None
        if record is None or record.tenant != self.tenant:
            raise NotFound(f"no session {session_id!r}")
        return record

    def _sid(self, session_id: str) -> SessionId:
        return self._session(session_id).id

    def _source(self, name: str) -> SourceRecord:
        try:
            record = self._services.catalog.get_source(SourceName(name))
        except NotFound:
            record = None
        if record is None or record.tenant != self.tenant:
            raise NotFound(f"no source {name!r}")
        return record

    # ----------------------------------------------------------------- sessions
    @audited("session.create", session=RESULT, details={"source": "source", "template": "template"})
    def create_session(
        self,
        *,
        source: str | None = None,
        ref: str | None = None,
        template: str | None = None,
        checkpoint: tuple[str, str] | None = None,
        name: str | None = None,
        tags: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Session:
        origins = [o for o in (source, template, checkpoint) if o is not None]
        if len(origins) > 1:
            raise Invalid("start a session from one of source, template or checkpoint")
        if ref is not None and source is None:
            raise Invalid("ref needs a source")
        extra: dict[str, Any] = {}
        tree: ObjectId | None = None
        if source is not None:
            record = self._source(source)
            commit, tree = self._sources.resolve(record.name, ref)
            extra = {
                "source": record.name,
                "ref": RefName(ref or record.default_branch),
                "base_commit": commit,
            }
        elif template is not None:
            tree = self._template_tree(template)
            metadata = {"template": template, **(metadata or {})}
        elif checkpoint is not None:
            tree = self._checkpoint_tree(*checkpoint)
            metadata = {"from_checkpoint": f"{checkpoint[0]}@{checkpoint[1]}", **(metadata or {})}
        created = self._sessions.create(
            tree=tree,
            name=name,
            tags=tags,
            metadata=dict(metadata or {}),
            tenant=self.tenant,
            **extra,
        )
        return to.session(created)

    def _template_tree(self, template: str) -> ObjectId:
        with tempfile.TemporaryDirectory(dir=self._scratch()) as scratch:
            folder = materialize_template(template, Path(scratch) / "t")
            return ingest_directory(self._store, folder)

    def _checkpoint_tree(self, session_id: str, name: str) -> ObjectId:
        sid = self._sid(session_id)
        return self._services.catalog.get_checkpoint(sid, CheckpointName(name)).tree_id

    def _scratch(self) -> Path:
        folder = self._services.settings.home / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @audited("session.create", session=RESULT, details={"name": "name"})
    def upload_session(
        self, archive: BinaryIO, *, name: str | None = None, tags: Sequence[str] = ()
    ) -> Session:
        result = import_archive(self._store, archive)
        created = self._sessions.create(
            tree=result.tree_id,
            name=name,
            tags=tags,
            metadata={"uploaded": "archive"},
            tenant=self.tenant,
        )
        return to.session(created)

    def get_session(self, session_id: str) -> Session:
        return to.session(self._session(session_id))

    def list_sessions(
        self,
        *,
        status: str | None = None,
        source: str | None = None,
        tag: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Session]:
        filters: dict[str, Any] = {"tenant": self.tenant, "cursor": cursor, "limit": limit}
        if status is not None:
            filters["status"] = _status(status)
        if source is not None:
            filters["source"] = SourceName(source)
        if tag is not None:
            filters["tag"] = tag
        return _converted(self._sessions.list(**filters), to.session)

    @audited("session.fork", session=RESULT, details={"parent": "session_id"})
    def fork(self, session_id: str, *, name: str | None = None) -> Session:
        return to.session(self._sessions.fork(self._sid(session_id), name=name))

    @audited("session.checkpoint", session="session_id", subject="<result>.name")
    def checkpoint(
        self, session_id: str, name: str | None = None, *, message: str = ""
    ) -> Checkpoint:
        record = self._sessions.checkpoint(self._sid(session_id), name, message=message)
        return to.checkpoint(record)

    def list_checkpoints(
        self, session_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Checkpoint]:
        records = self._services.catalog.list_checkpoints(self._sid(session_id))
        ordered = sorted(records, key=_checkpoint_key)
        page = _page(ordered, cursor, limit, _checkpoint_key)
        return Page(items=[to.checkpoint(r) for r in page.items], next_cursor=page.next_cursor)

    @audited("session.restore", session="session_id", subject="checkpoint")
    def restore(self, session_id: str, checkpoint: str) -> Session:
        return to.session(self._sessions.restore(self._sid(session_id), checkpoint))

    @audited("session.merge_from", session="session_id", subject="other")
    def merge_from(self, session_id: str, other: str) -> Session:
        sid, other_id = self._sid(session_id), self._sid(other)
        return to.session(self._sessions.merge_from(sid, other_id))

    @audited(
        "session.commit",
        session="session_id",
        subject="<result>.branch",
        details={"commit": "<result>.commit"},
    )
    def commit(
        self, session_id: str, *, message: str, author: str = "aether", branch: str | None = None
    ) -> CommitResult:
        outcome = self._sources.commit_session(
            self._sessions,
            self._sid(session_id),
            message=message,
            author=author,
            branch=branch,
            gate=self._gate,
        )
        return to.commit_result(outcome)

    @audited(
        "session.resolve",
        session="session_id",
        subject="<result>.branch",
        details={"commit": "<result>.commit"},
    )
    def resolve(
        self,
        session_id: str,
        take: Mapping[str, str],
        *,
        message: str,
        author: str = "aether",
    ) -> CommitResult:
        outcome = self._sources.resolve_conflicts(
            self._sessions,
            self._sid(session_id),
            take,
            message=message,
            author=author,
            gate=self._gate,
        )
        return to.commit_result(outcome)

    @audited("session.promote", session="session_id", source="source", subject="<result>.name")
    def promote(
        self,
        session_id: str,
        *,
        source: str | None = None,
        branch: str | None = None,
        message: str = "promoted from a session",
        author: str = "aether",
    ) -> Ref:
        sid = self._sid(session_id)
        if source is not None:
            name, ref, commit = self._promote_to_source(sid, source, message, author)
        else:
            name, ref, commit = self._sources.promote(
                self._sessions, sid, branch=branch, message=message, author=author, gate=self._gate
            )
        return Ref(source=name, name=ref, kind="branch", commit=commit)

    def _promote_to_source(self, sid: SessionId, source: str, message: str, author: str):
        tree = self._sessions.tree(sid)
        created = self._sources.create(
            source,
            tree=tree,
            author=author,
            message=message,
            provenance={"session": sid},
            tenant=self.tenant,
        )
        return created.name, created.default_branch, self._sources.resolve(created.name)[0]

    @audited("session.archive", session="session_id")
    def archive(self, session_id: str) -> Session:
        return to.session(self._sessions.archive(self._sid(session_id)))

    @audited("session.retire", session="session_id")
    def retire(self, session_id: str) -> Session:
        return to.session(self._sessions.retire(self._sid(session_id)))

    def manifest(
        self,
        session_id: str,
        *,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 1000,
        datasets: bool = False,
    ) -> Page[ManifestItem]:
        page = self._sessions.manifest(
            self._session(session_id), prefix=prefix, cursor=cursor, limit=limit
        )
        listed = _converted(page, to.manifest_item)
        if not datasets:
            return listed
        items = with_dataset_hints(self._services.datasets, listed.items)
        return Page(items=items, next_cursor=listed.next_cursor)

    def diff(
        self,
        session_id: str,
        *,
        against: str | None = None,
        prefix: str = "",
        datasets: bool = False,
    ) -> list[Change]:
        old, new = self.compared_trees(session_id, against=against)
        changes = self._tree_changes(old, new, prefix)
        return self._services.dataset_diffs.summaries(old, new, changes) if datasets else changes

    def diff_page(
        self,
        session_id: str,
        *,
        against: str | None = None,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 1000,
        datasets: bool = False,
    ) -> Page[Change]:
        """One page of ``diff``, by path, whose dataset files alone are compared as data.
        Not part of ``WorkspaceAPI``: the HTTP service pages diffs with it."""
        old, new = self.compared_trees(session_id, against=against)
        page = _page(self._tree_changes(old, new, prefix), cursor, limit, lambda c: c.path)
        if not datasets:
            return page
        items = self._services.dataset_diffs.summaries(old, new, page.items)
        return Page(items=items, next_cursor=page.next_cursor)

    def compared_trees(
        self, session_id: str, *, against: str | None = None
    ) -> tuple[ObjectId | None, ObjectId]:
        """The old and the new tree ``diff`` compares: ``against`` (the session's origin when
        None) and the session's current tree. Not part of ``WorkspaceAPI``."""
        record = self._session(session_id)
        return self._diff_base(record, against), self._sessions.tree(record)

    def _tree_changes(self, old: ObjectId | None, new: ObjectId, prefix: str) -> list[Change]:
        folder = normalize_path(prefix, allow_root=True)
        return [to.change(c) for c in diff_trees(self._store, old, new, prefix=folder)]

    def _diff_base(self, record: SessionRecord, against: str | None) -> ObjectId | None:
        if against is None:
            return record.metadata.get("origin_tree", record.base_tree)
        if against.startswith("session:"):
            return self._sessions.tree(self._session(against.removeprefix("session:")))
        if against.startswith("source:"):
            name, _, ref = against.removeprefix("source:").partition("@")
            return self._sources.resolve(self._source(name).name, ref or None)[1]
        catalog = self._services.catalog
        return catalog.get_checkpoint(record.id, CheckpointName(against)).tree_id

    def export(self, session_id: str, out: BinaryIO, *, format: ExportFormat = "tar") -> None:
        tree = self._sessions.tree(self._sid(session_id))
        if format == "zip":
            export_zip(self._store, tree, out)
        elif format in ("tar", "tar.gz"):
            export_tar(self._store, tree, out, "gz" if format == "tar.gz" else None)
        else:
            raise Invalid(f"unknown export format {format!r}: use tar, tar.gz or zip")

    # ----------------------------------------------------------------- files
    def stat(self, session_id: str, path: str, *, at: str | None = None) -> Entry:
        item = self._sessions.stat(self._session(session_id), path, at=at)
        return to.entry(item, name=item.name if path.strip("/") else "")

    def listdir(self, session_id: str, path: str = "", *, at: str | None = None) -> list[Entry]:
        found = self._sessions.listdir(self._session(session_id), path, at=at)
        return [to.entry(e) for e in found]

    def read(
        self,
        session_id: str,
        path: str,
        start: int = 0,
        length: int = -1,
        *,
        at: str | None = None,
    ) -> bytes:
        if start < 0:
            raise Invalid("start must not be negative")
        return self._sessions.read(self._session(session_id), path, start, length, at=at)

    def open_reader(
        self, session_id: str, path: str, *, at: str | None = None
    ) -> tuple[Entry, BlobReader]:
        """The entry at ``path`` (at ``at``, as ``stat`` takes it) and a seekable reader over
        its bytes (close it when done). Not part of ``WorkspaceAPI``: the HTTP service
        streams files with it."""
        item = self._sessions.stat(self._session(session_id), path, at=at)
        if item.kind is EntryKind.DIR:
            raise Invalid(f"{path!r} is a folder, not a file")
        return to.entry(item), self._store.open(item.id)

    def download(
        self, session_id: str, path: str, out: BinaryIO, *, at: str | None = None
    ) -> Entry:
        found, reader = self.open_reader(session_id, path, at=at)
        with reader:
            reader.copy_to(out)
        return found

    @audited("file.write", atomic=True, session="session_id", subject="path")
    def write(
        self,
        session_id: str,
        path: str,
        data: bytes | BinaryIO,
        *,
        expected: str | None = None,
        executable: bool = False,
    ) -> Entry:
        item = self._sessions.write(
            self._session(session_id), path, data, expected=expected, executable=executable
        )
        return to.entry(item)

    @audited("file.delete", atomic=True, session="session_id", subject="path")
    def delete(
        self,
        session_id: str,
        path: str,
        *,
        expected: str | None = None,
        recursive: bool = False,
    ) -> None:
        self._sessions.delete(
            self._session(session_id), path, expected=expected, recursive=recursive
        )

    @audited("dir.create", atomic=True, session="session_id", subject="path")
    def mkdir(self, session_id: str, path: str, *, exist_ok: bool = False) -> None:
        self._sessions.mkdir(self._session(session_id), path, exist_ok=exist_ok)

    @audited("dir.delete", atomic=True, session="session_id", subject="path")
    def rmdir(self, session_id: str, path: str) -> None:
        self._sessions.rmdir(self._session(session_id), path)

    @audited(
        "file.rename",
        atomic=True,
        session="session_id",
        subject="source",
        details={"to": "destination"},
    )
    def rename(
        self,
        session_id: str,
        source: str,
        destination: str,
        *,
        overwrite: bool = False,
        expected: str | None = None,
    ) -> None:
        self._sessions.rename(
            self._session(session_id), source, destination, overwrite=overwrite, expected=expected
        )

    @audited(
        "link.create",
        atomic=True,
        session="session_id",
        subject="path",
        details={"target": "target"},
    )
    def symlink(self, session_id: str, path: str, target: str) -> Entry:
        return to.entry(self._sessions.symlink(self._session(session_id), path, target))

    @audited("session.batch", atomic=True, session="session_id")
    def batch(self, session_id: str, operations: Iterable[BatchOperation]) -> Session:
        steps = [_batch_step(op) for op in operations]
        return to.session(self._sessions.batch(self._session(session_id), steps))

    # ----------------------------------------------------------------- sources
    @audited("source.create", source="name")
    def create_source(self, name: str, *, description: str = "") -> Source:
        record = self._sources.create(name, description=description, tenant=self.tenant)
        return to.source(record)

    def get_source(self, name: str) -> Source:
        return to.source(self._source(name))

    def list_sources(self, *, cursor: str | None = None, limit: int = 100) -> Page[Source]:
        page = self._services.catalog.list_sources(tenant=self.tenant, cursor=cursor, limit=limit)
        return _converted(page, to.source)

    def list_refs(self, source: str, *, cursor: str | None = None, limit: int = 100) -> Page[Ref]:
        record = self._source(source)
        refs = sorted(self._services.catalog.list_refs(record.name), key=lambda r: r.name)
        page = _page(refs, cursor, limit, lambda r: r.name)
        return Page(items=[to.ref(r) for r in page.items], next_cursor=page.next_cursor)

    @audited("ref.create", source="source", subject="name", details={"kind": "kind"})
    def create_ref(
        self, source: str, name: str, *, at: str | None = None, kind: str = "branch"
    ) -> Ref:
        record = self._source(source)
        try:
            ref_kind = RefKind(kind)
        except ValueError:
            raise Invalid(f"a ref is a branch or a tag, not {kind!r}") from None
        self._sources.create_ref(record.name, name, at=at, kind=ref_kind)
        return to.ref(self._services.catalog.get_ref(record.name, RefName(name)))

    def log(
        self,
        source: str,
        ref: str | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Commit]:
        if not 1 <= limit <= 1000:
            raise Invalid("limit must be between 1 and 1000")
        record = self._source(source)
        start = ref if cursor is None else cursor  # the cursor is the next commit's id
        found = list(self._sources.log(record.name, start, limit=limit + 1))
        items = [to.commit(cid, c) for cid, c in found[:limit]]
        return Page(items=items, next_cursor=found[limit][0] if len(found) > limit else None)

    @audited("import.start", source="source", subject=RESULT, details={"origin": "origin"})
    def start_import(
        self,
        source: str,
        origin: str,
        *,
        branch: str | None = None,
        git_ref: str = "HEAD",
        message: str | None = None,
    ) -> ImportJob:
        record = self._source(source)
        job = self._services.imports.start(
            self.tenant,
            record.name,
            origin,
            branch=branch,
            git_ref=git_ref,
            message=message,
            local=self._local_imports,
        )
        return to.import_job(job)

    def get_import(self, source: str, job_id: str) -> ImportJob:
        record = self._source(source)
        try:
            job = self._services.catalog.get_job(job_id)
        except NotFound:
            job = None
        if job is None or job.tenant != self.tenant or job.source != record.name:
            raise NotFound(f"no import job {job_id!r} of source {source!r}")
        return to.import_job(self._services.imports.settle(job))

    def list_imports(
        self, source: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[ImportJob]:
        record = self._source(source)
        page = self._services.catalog.list_jobs(
            tenant=self.tenant, source=record.name, cursor=cursor, limit=limit
        )
        settle = self._services.imports.settle
        return _converted(page, lambda job: to.import_job(settle(job)))


def _checkpoint_key(record) -> str:
    return f"{record.created_at.isoformat()}|{record.name}"


def _status(text: str) -> SessionStatus:
    try:
        return SessionStatus(text.upper())
    except ValueError:
        known = ", ".join(s.value for s in SessionStatus)
        raise Invalid(f"unknown session status {text!r}; use one of {known}") from None


def _converted(page: RecordPage, convert) -> Page:
    return Page(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)


def _batch_step(op: BatchOperation) -> dict[str, Any]:
    needs = {
        "write": ("path", "data"),
        "delete": ("path",),
        "mkdir": ("path",),
        "rename": ("source", "destination"),
    }[op.op]
    if missing := [f for f in needs if getattr(op, f) is None]:
        raise Invalid(f"batch {op.op} needs {', '.join(missing)}")
    step: dict[str, Any] = {"op": op.op}
    for field in ("path", "data", "expected", "source", "destination"):
        if getattr(op, field) is not None:
            step[field] = getattr(op, field)
    step.update(executable=op.executable, recursive=op.recursive, overwrite=op.overwrite)
    return step
