"""Sessions: create, read, change under preconditions, checkpoint, restore, fork, archive.

Every change is planned against one version of the session (base tree + overlay) and lands
with a single compare-and-set of the session's version; when another writer got there first
the plan is made again against the new version, so content preconditions are always judged
against the state the change is applied to.
"""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from aether_data.catalog import (
    DEFAULT_TENANT,
    Catalog,
    CheckpointRecord,
    EventRecord,
    OverlayEntry,
    OverlayKind,
    Page,
    SessionRecord,
    SessionStatus,
)
from aether_data.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage._reader import BlobReader
from aether_data.storage.base import ObjectStore
from aether_data.workspace._turns import Turns, back_off
from aether_data.workspace._versions import tree_at
from aether_data.workspace._view import EMPTY_TREE, LayeredOverlay, OverlayIndex, SessionView
from aether_data.workspace.merge import merge_trees
from aether_data.workspace.paths import normalize_path, parent_and_name, split_path

__all__ = [
    "CREATE_ONLY",
    "ManifestEntry",
    "SessionRecord",
    "SessionRef",
    "SessionStatus",
    "Sessions",
]

CREATE_ONLY = "create-only"
"""Pass as ``expected`` to refuse a write when the path already exists."""

_WRITABLE = {SessionStatus.ACTIVE, SessionStatus.CONFLICT, SessionStatus.PENDING_APPROVAL}

SessionRef = SessionRecord | SessionId
"""A session by id, or by a record just read (which saves reading it again)."""
_MAX_ATTEMPTS = 100
_OVERLAY_CACHE = 256
_NO_CHANGES = OverlayIndex({})


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One line of a session's manifest."""

    path: str
    kind: EntryKind
    size: int
    id: ObjectId


class _Draft:
    """Changes planned against one version of a session."""

    def __init__(self, view: SessionView) -> None:
        self.view = view
        self.changes: dict[str, OverlayEntry | None] = {}

    def current(self) -> SessionView:
        if not self.changes:
            return self.view
        layered = LayeredOverlay(self.view.overlay, self.changes)  # type: ignore[arg-type]
        return SessionView(self.view.store, self.view.base_tree, layered)

    def lookup(self, path: str) -> TreeEntry | None:
        return self.current().lookup(path)

    def put(self, path: str, entry: OverlayEntry) -> None:
        self._ensure_parents(path)
        if entry.kind in (OverlayKind.DIR, OverlayKind.TOMBSTONE):
            for below in self.current().overlay.under(path):
                self.changes[below] = None
        self.changes[path] = entry

    def _ensure_parents(self, path: str) -> None:
        parts = split_path(path)[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            found = self.lookup(folder)
            if found is None:
                self.changes[folder] = OverlayEntry(OverlayKind.DIR, EMPTY_TREE, 0)
            elif found.kind is not EntryKind.DIR:
                raise Conflict(f"{folder!r} is a {found.kind.value}, not a folder")


def _entry_of(kind: EntryKind, oid: ObjectId, size: int) -> OverlayEntry:
    return OverlayEntry(OverlayKind(kind.value), oid, size)


def _check_expected(path: str, current: TreeEntry | None, expected: str | None) -> None:
    if expected is None:
        return
    if expected == CREATE_ONLY:
        if current is not None:
            raise PreconditionFailed(f"{path!r} already exists (create-only write)")
        return
    found = None if current is None else current.id
    if found != expected:
        raise PreconditionFailed(f"{path!r} has content {found}, the change expected {expected}")


def _check_empty(draft: _Draft, path: str, current: TreeEntry, *, recursive: bool) -> None:
    if current.kind is EntryKind.DIR and not recursive and draft.current().listdir(path):
        raise Conflict(f"folder {path!r} is not empty (delete it recursively)")


class Sessions:
    """The session lifecycle over one object store and one catalog."""

    def __init__(
        self, store: ObjectStore, catalog: Catalog, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock
        self._overlays: OrderedDict[tuple[str, int], OverlayIndex] = OrderedDict()
        self._lock = threading.Lock()
        self._turns = Turns()
        self._pending = threading.local()
        store.put_tree(Tree())

    @contextmanager
    def recording(self, event: EventRecord) -> Iterator[None]:
        """Append ``event`` to the audit log in the same transaction as the change the block
        makes on this thread (nothing is recorded when the block changes nothing)."""
        self._pending.event = event
        try:
            yield
        finally:
            self._pending.event = None

    # ----------------------------------------------------------------- create and inspect
    def create(
        self,
        *,
        tree: ObjectId | None = None,
        source: SourceName | None = None,
        ref: RefName | None = None,
        base_commit: ObjectId | None = None,
        name: str | None = None,
        tags: Sequence[str] = (),
        metadata: dict | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> SessionRecord:
        """A new ACTIVE session of ``tenant`` whose base is ``tree`` (empty when None)."""
        base = tree or EMPTY_TREE
        self.store.get_tree(base)  # the base must exist before anything names it
        record = SessionRecord(
            id=SessionId(f"s-{secrets.token_hex(8)}"),
            base_tree=base,
            name=name,
            source=source,
            ref=ref,
            base_commit=base_commit,
            tags=tuple(tags),
            metadata={"origin_tree": base, **(metadata or {})},
            tenant=tenant,
        )
        return self.catalog.create_session(record)

    def get(self, session_id: SessionId) -> SessionRecord:
        """The session record; ``NotFound`` for an unknown id."""
        return self.catalog.get_session(session_id)

    def list(self, **filters: object) -> Page[SessionRecord]:
        """Sessions, filtered by status, source or tag, paged by cursor."""
        return self.catalog.list_sessions(**filters)  # type: ignore[arg-type]

    def view(self, session: SessionRef, at: str | None = None) -> SessionView:
        """The session's tree at its current version (at ``session``'s, for a record), or at
        ``at``: one of its checkpoints (by name) or a commit reachable from it."""
        record = self._record(session)
        if at is not None:
            return SessionView(
                self.store, tree_at(self.store, self.catalog, record, at), _NO_CHANGES
            )
        return SessionView(self.store, record.base_tree, self._overlay(record))

    def _record(self, session: SessionRef) -> SessionRecord:
        """A record passed in saves a catalog read; the id is looked up."""
        return session if isinstance(session, SessionRecord) else self.get(session)

    def _overlay(self, record: SessionRecord) -> OverlayIndex:
        key = (record.id, record.version)
        with self._lock:
            if key in self._overlays:
                self._overlays.move_to_end(key)
                return self._overlays[key]
        index = OverlayIndex(self.catalog.get_overlay(record.id))
        with self._lock:
            self._overlays[key] = index
            while len(self._overlays) > _OVERLAY_CACHE:
                self._overlays.popitem(last=False)
        return index

    def stat(self, session: SessionRef, path: str, *, at: str | None = None) -> TreeEntry:
        """The entry at ``path`` (at ``at``, as ``view`` takes it); ``NotFound`` if none."""
        canonical = normalize_path(path, allow_root=True)
        record = self._record(session)
        entry = self.view(record, at).lookup(canonical)
        if entry is None:
            raise _missing(canonical, record, at)
        return entry

    def open(self, session_id: SessionRef, path: str, *, at: str | None = None) -> BlobReader:
        """A seekable reader over a file; links are not followed (their target text is read)."""
        entry = self.stat(session_id, path, at=at)
        if entry.kind is EntryKind.DIR:
            raise Invalid(f"{path!r} is a folder, not a file")
        return self.store.open(entry.id)

    def read(
        self,
        session_id: SessionRef,
        path: str,
        start: int = 0,
        length: int = -1,
        *,
        at: str | None = None,
    ) -> bytes:
        """Bytes of a file, from ``start``, ``length`` of them (all when negative)."""
        with self.open(session_id, path, at=at) as reader:
            reader.seek(start)
            return reader.read(length)

    def listdir(
        self, session: SessionRef, path: str = "", *, at: str | None = None
    ) -> list[TreeEntry]:
        """Entries of a folder; ``NotFound`` / ``Invalid`` if it is missing or not a folder."""
        canonical = normalize_path(path, allow_root=True)
        record = self._record(session)
        view = self.view(record, at)
        entry = view.lookup(canonical)
        if entry is None:
            raise _missing(canonical, record, at)
        if entry.kind is not EntryKind.DIR:
            raise Invalid(f"{canonical!r} is a {entry.kind.value}, not a folder")
        return view.listdir(canonical)

    def manifest(
        self,
        session_id: SessionRef,
        *,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 1000,
    ) -> Page[ManifestEntry]:
        """Files, links and folders in depth-first path order, ``limit`` per page."""
        if limit < 1:
            raise Invalid("limit must be at least 1")
        start = normalize_path(prefix, allow_root=True)
        after = None if cursor is None else normalize_path(cursor)
        if after is not None and start and not after.startswith(start + "/"):
            raise Invalid(f"cursor {cursor!r} does not belong to a listing of {prefix!r}")
        items: list[ManifestEntry] = []
        for path, entry in self.view(session_id).walk(start, after=after):
            if len(items) == limit:
                return Page(tuple(items), items[-1].path)
            items.append(ManifestEntry(path, entry.kind, entry.size, entry.id))
        return Page(tuple(items), None)

    def tree(self, session_id: SessionRef) -> ObjectId:
        """The session's current root tree, stored."""
        return self.view(session_id).materialize()

    def tree_id(self, session_id: SessionRef) -> ObjectId:
        """The id ``tree`` would return, without storing anything."""
        return self.view(session_id).tree_id()

    # ----------------------------------------------------------------- changes
    def _change(self, session: SessionRef, plan: Callable[[_Draft], object]) -> SessionRecord:
        record = self._writable(session)
        session_id = record.id
        with self._turns.of(session_id) as turn:
            if turn.latest is not None and turn.latest.version > record.version:
                record = self._writable(turn.latest)  # the writer before us moved it
            for attempt in range(_MAX_ATTEMPTS):
                if attempt:
                    back_off(attempt)
                    record = self._writable(session_id)
                draft = _Draft(self.view(record))
                plan(draft)
                if not draft.changes:
                    return record
                event = getattr(self._pending, "event", None)
                try:
                    moved = self.catalog.apply_overlay(
                        session_id,
                        expected_version=record.version,
                        changes=draft.changes,
                        event=event,
                    )
                except PreconditionFailed:
                    continue  # another writer moved the session: plan again on the new version
                self._pending.event = None  # recorded with this change, once
                self._remember(moved, draft)
                turn.latest = moved
                return moved
        raise Conflict(f"session {session_id} changed {_MAX_ATTEMPTS} times while we tried")

    def _remember(self, record: SessionRecord, draft: _Draft) -> None:
        # We know the new version's overlay: cache it instead of reading it back.
        merged = LayeredOverlay(draft.view.overlay, draft.changes).merged()  # type: ignore[arg-type]
        with self._lock:
            self._overlays[(record.id, record.version)] = OverlayIndex(merged)

    def _writable(self, session: SessionRef) -> SessionRecord:
        record = self._record(session)
        if record.status not in _WRITABLE:
            raise Forbidden(f"session {record.id} is {record.status.value} and cannot change")
        return record

    def write(
        self,
        session_id: SessionRef,
        path: str,
        data: bytes | BinaryIO,
        *,
        expected: str | None = None,
        executable: bool = False,
    ) -> TreeEntry:
        """Store ``data`` at ``path`` (parents are created).

        ``expected`` is the content hash the path must have now, or ``CREATE_ONLY``.
        """
        canonical = normalize_path(path)
        record = self._writable(session_id)
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
        info = self.store.put_stream(stream)  # content first: nothing names it until it is durable
        kind = EntryKind.EXEC if executable else EntryKind.FILE

        def plan(draft: _Draft) -> None:
            current = draft.lookup(canonical)
            _check_expected(canonical, current, expected)
            if current is not None and current.kind is EntryKind.DIR:
                raise Conflict(f"{canonical!r} is a folder")
            draft.put(canonical, _entry_of(kind, info.id, info.size))

        self._change(record, plan)
        return TreeEntry(split_path(canonical)[-1], kind, info.id, info.size)

    def symlink(self, session_id: SessionRef, path: str, target: str) -> TreeEntry:
        """A symbolic link at ``path`` whose target must stay inside the session."""
        canonical = normalize_path(path)
        _check_link_target(canonical, target)
        oid = self.store.put_bytes(target.encode("utf-8"))
        size = len(target.encode("utf-8"))

        def plan(draft: _Draft) -> None:
            _check_expected(canonical, draft.lookup(canonical), CREATE_ONLY)
            draft.put(canonical, OverlayEntry(OverlayKind.LINK, oid, size))

        self._change(session_id, plan)
        return TreeEntry(split_path(canonical)[-1], EntryKind.LINK, oid, size)

    def delete(
        self,
        session_id: SessionRef,
        path: str,
        *,
        expected: str | None = None,
        recursive: bool = False,
    ) -> None:
        """Delete a file or link (``recursive`` for a non-empty folder)."""
        canonical = normalize_path(path)

        def plan(draft: _Draft) -> None:
            current = draft.lookup(canonical)
            if current is None:
                raise NotFound(f"{canonical!r} does not exist in session {session_id}")
            _check_expected(canonical, current, expected)
            _check_empty(draft, canonical, current, recursive=recursive)
            draft.put(canonical, OverlayEntry.tombstone())

        self._change(session_id, plan)

    def mkdir(self, session_id: SessionRef, path: str, *, exist_ok: bool = False) -> None:
        """Create a folder (and its parents)."""
        canonical = normalize_path(path)

        def plan(draft: _Draft) -> None:
            current = draft.lookup(canonical)
            if current is not None:
                if current.kind is EntryKind.DIR and exist_ok:
                    return
                raise Conflict(f"{canonical!r} already exists")
            draft.put(canonical, OverlayEntry(OverlayKind.DIR, EMPTY_TREE, 0))

        self._change(session_id, plan)

    def rmdir(self, session_id: SessionRef, path: str) -> None:
        """Remove an empty folder."""
        canonical = normalize_path(path)
        entry = self.stat(session_id, canonical)
        if entry.kind is not EntryKind.DIR:
            raise Invalid(f"{canonical!r} is a {entry.kind.value}, not a folder")
        self.delete(session_id, canonical)

    def rename(
        self,
        session_id: SessionRef,
        source: str,
        destination: str,
        *,
        overwrite: bool = False,
        expected: str | None = None,
    ) -> None:
        """Move a file, link or folder; a folder moves as one entry, whatever its size.

        ``expected`` is the content hash ``source`` must have (a file's or a folder's tree id).
        """
        plan = _rename_plan(source, destination, overwrite=overwrite, expected=expected)
        self._change(session_id, plan)

    def batch(self, session_id: SessionRef, operations: Iterable[dict]) -> SessionRecord:
        """Apply several operations atomically: all of them land, or none.

        Each operation is a dict with ``op`` in ``write`` (``path``, ``data``, optional
        ``expected``, ``executable``), ``delete`` (``path``, optional ``expected``,
        ``recursive``), ``mkdir`` (``path``) or ``rename`` (``source``, ``destination``,
        optional ``overwrite``).
        """
        steps = [self._batch_step(op) for op in operations]

        def plan(draft: _Draft) -> None:
            for step in steps:
                step(draft)

        return self._change(session_id, plan)

    def _batch_step(self, op: dict) -> Callable[[_Draft], None]:
        kind = op.get("op")
        if kind == "write":
            path = normalize_path(op["path"])
            data = op["data"]
            info = self.store.put_stream(io.BytesIO(data) if isinstance(data, bytes) else data)
            entry_kind = EntryKind.EXEC if op.get("executable") else EntryKind.FILE

            def write(draft: _Draft) -> None:
                _check_expected(path, draft.lookup(path), op.get("expected"))
                draft.put(path, _entry_of(entry_kind, info.id, info.size))

            return write
        if kind == "delete":
            path = normalize_path(op["path"])

            def remove(draft: _Draft) -> None:
                current = draft.lookup(path)
                if current is None:
                    raise NotFound(f"{path!r} does not exist")
                _check_expected(path, current, op.get("expected"))
                _check_empty(draft, path, current, recursive=bool(op.get("recursive")))
                draft.put(path, OverlayEntry.tombstone())

            return remove
        if kind == "rename":
            return _rename_plan(
                op["source"], op["destination"], overwrite=op.get("overwrite", False)
            )
        if kind == "mkdir":
            path = normalize_path(op["path"])
            return lambda draft: draft.put(path, OverlayEntry(OverlayKind.DIR, EMPTY_TREE, 0))
        raise Invalid(f"unknown batch operation {kind!r} (use write, delete, mkdir or rename)")

    # ----------------------------------------------------------------- persist and branch
    def checkpoint(
        self, session_id: SessionId, name: str | None = None, *, message: str = ""
    ) -> CheckpointRecord:
        """An immutable, named snapshot of the session's current tree."""
        tree_id = self.tree(session_id)
        label = CheckpointName(
            name or datetime.fromtimestamp(self._clock(), UTC).strftime("cp-%Y%m%dT%H%M%S.%fZ")
        )
        return self.catalog.create_checkpoint(session_id, label, tree_id, message=message)

    def restore(self, session_id: SessionId, checkpoint: str) -> SessionRecord:
        """Make the session's tree the checkpoint's again. The state before is checkpointed
        first (named ``before-restore-...``), so a restore can itself be undone."""
        target = self.catalog.get_checkpoint(session_id, CheckpointName(checkpoint))
        self._writable(session_id)
        self.checkpoint(
            session_id, f"before-restore-{secrets.token_hex(3)}", message=f"restore of {checkpoint}"
        )
        return self._replace_tree(session_id, lambda _record: target.tree_id)

    def fork(self, session_id: SessionId, *, name: str | None = None) -> SessionRecord:
        """A new session with the parent's current tree; costs O(changes), not O(files)."""
        parent = self.get(session_id)
        child = self.create(
            tree=parent.base_tree,
            source=parent.source,
            ref=parent.ref,
            base_commit=parent.base_commit,
            name=name,
            tags=parent.tags,
            tenant=parent.tenant,
            metadata={
                "forked_from": parent.id,
                "origin_tree": parent.metadata.get("origin_tree", parent.base_tree),
            },
        )
        return self.catalog.copy_overlay(parent.id, child.id, expected_version=child.version)

    def merge_from(self, session_id: SessionId, other: SessionId) -> SessionRecord:
        """Merge the changes ``other`` made since it started into this session.

        Overlapping changes raise ``Conflict`` listing the paths; nothing changes then.
        """
        theirs_record = self.get(other)
        base = theirs_record.metadata.get("origin_tree", theirs_record.base_tree)
        theirs = self.view(theirs_record).materialize()

        def merged(record: SessionRecord) -> ObjectId:
            result = merge_trees(self.store, base, self.view(record).materialize(), theirs)
            if result.conflicts:
                listing = ", ".join(f"{c.path} ({c.kind})" for c in result.conflicts)
                raise Conflict(f"merging {other} into {session_id} conflicts at: {listing}")
            assert result.tree is not None
            return result.tree

        return self._replace_tree(session_id, merged)

    def _replace_tree(
        self, session_id: SessionId, new_tree: Callable[[SessionRecord], ObjectId]
    ) -> SessionRecord:
        """Make ``new_tree(record)`` the session's whole tree (base, empty overlay), by CAS."""
        with self._turns.of(session_id):
            for attempt in range(_MAX_ATTEMPTS):
                if attempt:
                    back_off(attempt)
                record = self._writable(session_id)
                tree = new_tree(record)
                try:
                    return self.catalog.apply_overlay(
                        session_id,
                        expected_version=record.version,
                        changes={},
                        replace=True,
                        base_tree=tree,
                    )
                except PreconditionFailed:
                    continue  # changed meanwhile: decide again on the new version
        raise Conflict(f"session {session_id} kept changing while its tree was replaced")

    def archive(self, session_id: SessionId) -> SessionRecord:
        """Make the session read-only."""
        return self._set_status(session_id, SessionStatus.ARCHIVED)

    def retire(self, session_id: SessionId) -> SessionRecord:
        """Drop the working state (overlay); checkpoints are kept."""
        record = self._set_status(session_id, SessionStatus.RETIRED)
        tree = self.tree(session_id)
        self.catalog.create_checkpoint(
            session_id, CheckpointName("retired"), tree, message="state at retirement"
        )
        return self.catalog.apply_overlay(
            session_id,
            expected_version=record.version,
            changes={},
            replace=True,
            base_tree=EMPTY_TREE,
        )

    def await_approval(self, session_id: SessionId) -> SessionRecord:
        """Show that a protected branch refused the session's commit for want of approval;
        the session stays writable, and its next successful commit makes it ACTIVE again."""
        return self._set_status(session_id, SessionStatus.PENDING_APPROVAL)

    def _set_status(self, session_id: SessionId, status: SessionStatus) -> SessionRecord:
        with self._turns.of(session_id):
            for attempt in range(_MAX_ATTEMPTS):
                if attempt:
                    back_off(attempt)
                record = self.get(session_id)
                if record.status is SessionStatus.RETIRED:
                    raise Forbidden(f"session {session_id} is retired")
                try:
                    return self.catalog.update_session(
                        session_id, expected_version=record.version, status=status
                    )
                except PreconditionFailed:
                    continue
        raise Conflict(f"session {session_id} kept changing")


def _missing(path: str, record: SessionRecord, at: str | None) -> NotFound:
    where = f"session {record.id}" if at is None else f"session {record.id} at {at}"
    return NotFound(f"{path!r} does not exist in {where}")


def _rename_plan(
    source: str, destination: str, *, overwrite: bool, expected: str | None = None
) -> Callable[[_Draft], None]:
    src, dst = normalize_path(source), normalize_path(destination)
    if dst == src or dst.startswith(src + "/"):
        raise Invalid(f"cannot move {src!r} into itself ({dst!r})")

    def plan(draft: _Draft) -> None:
        entry = draft.lookup(src)
        if entry is None:
            raise NotFound(f"{src!r} does not exist")
        _check_expected(src, entry, expected)
        target = draft.lookup(dst)
        if target is not None and (not overwrite or target.kind is EntryKind.DIR):
            raise Conflict(f"{dst!r} already exists")
        moved = entry.id
        if entry.kind is EntryKind.DIR:
            moved = _subview(draft, src).materialize()
        draft.put(src, OverlayEntry.tombstone())
        draft.put(dst, _entry_of(entry.kind, moved, entry.size))

    return plan


def _subview(draft: _Draft, folder: str) -> SessionView:
    """A view rooted at ``folder`` of the draft's current state."""
    current = draft.current()
    entry = current.lookup(folder)
    assert entry is not None
    prefix = folder + "/"
    below = {
        p[len(prefix) :]: e for p, e in current.overlay.entries.items() if p.startswith(prefix)
    }
    return SessionView(current.store, entry.id, OverlayIndex(below))


def _check_link_target(path: str, target: str) -> None:
    if not target or target.startswith("/") or "\0" in target or "\\" in target:
        raise Invalid(f"link target {target!r} must be a relative path inside the session")
    depth = len(split_path(parent_and_name(path)[0]))
    for part in target.split("/"):
        if part == "..":
            depth -= 1
        elif part not in ("", "."):
            depth += 1
        if depth < 0:
            raise Invalid(f"link {path!r} -> {target!r} points outside the session")
