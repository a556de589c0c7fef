"""``SqlCatalog``: the catalog on SQLite (embedded default, WAL mode) or PostgreSQL (scale-out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from aether_data.errors import Conflict, Invalid, NotFound, PreconditionFailed
from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName

from . import _checks as check
from . import _codec as codec
from ._engine import PointQuery, current_revision, open_engine, translated_errors, upgrade
from ._schema import (
    checkpoints,
    commits,
    import_jobs,
    overlay_entries,
    refs,
    session_tags,
    sessions,
    sources,
)
from ._sql_base import SqlBase, after, created_cursor
from ._sql_datasets import SqlDatasetProfiles
from ._sql_documents import SqlReviewDocuments
from ._sql_review import SqlReviewRecords
from ._sql_tokens_jobs import SqlTokensAndJobs
from .base import Catalog
from .records import (
    DEFAULT_BRANCH,
    DEFAULT_TENANT,
    CheckpointRecord,
    CommitRecord,
    EventRecord,
    KvScope,
    OverlayEntry,
    Page,
    RefKind,
    RefRecord,
    SessionRecord,
    SessionStatus,
    SourceRecord,
)

__all__ = ["SqlCatalog"]

# Keeps IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500
_OVERLAY_COLUMNS = ["session_id", "path", "kind", "object_id", "size"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlCatalog(
    SqlReviewDocuments, SqlReviewRecords, SqlDatasetProfiles, SqlTokensAndJobs, SqlBase, Catalog
):
    """The catalog on SQLAlchemy Core; opening it migrates the schema to the newest revision.

    Args:
        url: ``sqlite:///~/.aether/catalog.db`` (the folder is created), ``sqlite://`` (in
            memory, for tests) or ``postgresql+psycopg://user@host:5432/db``.
        busy_timeout: seconds a SQLite writer waits for the write lock.
        clock: returns the current time (timezone-aware); for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout: float = 30.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._engine, self._guard = open_engine(url, busy_timeout=busy_timeout)
        # SQLite has one writer at a time, and a writer waiting in its busy handler sleeps in
        # growing steps (p99 of 2 s under 16 writers); the threads of this process take turns
        # on a lock instead, and only writers of other processes meet the busy handler.
        single_writer = self._engine.dialect.name == "sqlite"
        self._write_turn = threading.Lock() if single_writer else nullcontext()
        self._now = clock
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        self._insert: Callable[[Table], Any] = dialect.insert
        self._session_by_id = PointQuery(
            self._engine, select(sessions).where(sessions.c.id == bindparam("id")), self._guard
        )
        try:
            with translated_errors():
                upgrade(self._engine)
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlCatalog({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        return current_revision(self._engine)

    def close(self) -> None:
        self._session_by_id.close()
        self._engine.dispose()

    # --- lookups -------------------------------------------------------------------------

    def _require_source(self, conn: Connection, name: str) -> None:
        self._one(conn, select(sources.c.name).where(sources.c.name == name), f"source {name!r}")

    def _require_session(self, conn: Connection, session_id: str) -> None:
        query = select(sessions.c.id).where(sessions.c.id == session_id)
        self._one(conn, query, f"session {session_id!r}")

    # --- sources -------------------------------------------------------------------------

    def create_source(
        self,
        name: SourceName,
        *,
        tenant: str = DEFAULT_TENANT,
        default_branch: RefName = DEFAULT_BRANCH,
        description: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> SourceRecord:
        row = {
            "name": check.source_name(name),
            "tenant": check.tenant(tenant),
            "default_branch": check.ref_name(default_branch),
            "description": check.text(description, "description"),
            "created_at": self._micros(),
            "metadata": check.metadata(metadata),
        }
        with self._write() as conn:
            if not conn.execute(self._insert_new(sources, row)).rowcount:
                raise Conflict(f"source {name!r} already exists")
        return codec.source_from_row(row)

    def get_source(self, name: SourceName) -> SourceRecord:
        with self._read() as conn:
            row = self._one(conn, select(sources).where(sources.c.name == name), f"source {name!r}")
        return codec.source_from_row(row)

    def list_sources(
        self, *, tenant: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[SourceRecord]:
        query = select(sources).order_by(sources.c.name)
        if tenant is not None:
            query = query.where(sources.c.tenant == tenant)
        if cursor is not None:
            query = query.where(sources.c.name > codec.decode_key_cursor(cursor))
        return self._page(query, limit, _name_cursor, codec.source_from_row)

    def delete_source(self, name: SourceName) -> None:
        with self._write() as conn:
            if not conn.execute(delete(sources).where(sources.c.name == name)).rowcount:
                raise NotFound(f"no source {name!r}")
            self._delete_kv_of(conn, KvScope.SOURCE, name)
            self._delete_reviews_of(conn, "source", name)

    # --- refs ----------------------------------------------------------------------------

    def get_ref(self, source: SourceName, name: RefName) -> RefRecord:
        query = select(refs).where(refs.c.source == source, refs.c.name == name)
        with self._read() as conn:
            row = self._one(conn, query, f"ref {name!r} of source {source!r}")
        return codec.ref_from_row(row)

    def list_refs(self, source: SourceName, kind: RefKind | None = None) -> list[RefRecord]:
        query = select(refs).where(refs.c.source == source).order_by(refs.c.name)
        if kind is not None:
            query = query.where(refs.c.kind == check.enum_value(RefKind, kind, "ref kind"))
        with self._read() as conn:
            self._require_source(conn, source)
            rows = conn.execute(query).mappings().all()
        return [codec.ref_from_row(row) for row in rows]

    def compare_and_set_ref(
        self,
        source: SourceName,
        name: RefName,
        *,
        new: ObjectId | None,
        expected: ObjectId | None,
        kind: RefKind = RefKind.BRANCH,
    ) -> RefRecord | None:
        key = (check.source_name(source), check.ref_name(name))
        new, expected = (
            check.optional(check.object_id, new),
            check.optional(check.object_id, expected),
        )
        kind = check.enum_value(RefKind, kind, "ref kind")
        with self._write() as conn:
            self._require_source(conn, source)
            if new is None:
                self._delete_ref(conn, key, expected)
                return None
            if expected is None:
                return self._create_ref(conn, key, new, kind)
            return self._move_ref(conn, key, new, expected)

    def _ref_where(self, key: tuple[str, str]) -> Any:
        return and_(refs.c.source == key[0], refs.c.name == key[1])

    def _create_ref(self, conn: Connection, key: tuple[str, str], new: str, kind: str) -> RefRecord:
        row = {"source": key[0], "name": key[1], "kind": kind, "commit_id": new}
        row |= {"updated_at": self._micros()}
        if not conn.execute(self._insert_new(refs, row)).rowcount:
            self._ref_mismatch(conn, key, None)
        return codec.ref_from_row(row)

    def _move_ref(
        self, conn: Connection, key: tuple[str, str], new: str, expected: str
    ) -> RefRecord:
        # The WHERE on the old value is the compare; the row lock held until commit makes it
        # atomic (PostgreSQL re-checks the WHERE after waiting for a concurrent writer).
        query = (
            update(refs)
            .where(self._ref_where(key), refs.c.commit_id == expected)
            .values(commit_id=new, updated_at=self._micros())
            .returning(*refs.c)
        )
        row = conn.execute(query).mappings().first()
        if row is None:
            self._ref_mismatch(conn, key, expected)
        return codec.ref_from_row(row)  # type: ignore[arg-type]

    def _delete_ref(self, conn: Connection, key: tuple[str, str], expected: str | None) -> None:
        if expected is None:
            if conn.execute(select(refs.c.name).where(self._ref_where(key))).first():
                self._ref_mismatch(conn, key, None)
            return
        query = delete(refs).where(self._ref_where(key), refs.c.commit_id == expected)
        if not conn.execute(query).rowcount:
            self._ref_mismatch(conn, key, expected)

    def _ref_mismatch(self, conn: Connection, key: tuple[str, str], expected: str | None) -> None:
        found = conn.execute(select(refs.c.commit_id).where(self._ref_where(key))).scalar()
        raise PreconditionFailed(
            f"ref {key[1]!r} of source {key[0]!r}: expected {expected or 'no ref'}, "
            f"found {found or 'no ref'}"
        )

    # --- commit index --------------------------------------------------------------------

    def record_commit(self, source: SourceName, record: CommitRecord) -> None:
        row = codec.commit_row(check.source_name(source), record)
        with self._write() as conn:
            self._require_source(conn, source)
            conn.execute(self._insert_new(commits, row))

    def get_commit(self, source: SourceName, commit_id: ObjectId) -> CommitRecord:
        query = select(commits).where(commits.c.source == source, commits.c.commit_id == commit_id)
        with self._read() as conn:
            row = self._one(conn, query, f"commit {commit_id} in source {source!r}")
        return codec.commit_from_row(row)

    def list_commits(
        self,
        source: SourceName,
        *,
        limit: int = 100,
        before: ObjectId | datetime | None = None,
    ) -> list[CommitRecord]:
        query = (
            select(commits)
            .where(commits.c.source == source)
            .order_by(commits.c.committed_at.desc(), commits.c.commit_id.desc())
            .limit(check.limit(limit))
        )
        with self._read() as conn:
            self._require_source(conn, source)
            if before is not None:
                query = query.where(self._before(conn, source, before))
            rows = conn.execute(query).mappings().all()
        return [codec.commit_from_row(row) for row in rows]

    def _before(self, conn: Connection, source: str, before: ObjectId | datetime) -> Any:
        if isinstance(before, datetime):
            return commits.c.committed_at < codec.to_micros(before)
        query = select(commits.c.committed_at).where(
            commits.c.source == source, commits.c.commit_id == check.object_id(before)
        )
        at = self._one(conn, query, f"commit {before} in source {source!r}")["committed_at"]
        return or_(
            commits.c.committed_at < at,
            and_(commits.c.committed_at == at, commits.c.commit_id < before),
        )

    # --- sessions ------------------------------------------------------------------------

    def create_session(self, record: SessionRecord) -> SessionRecord:
        row = codec.session_row(record)
        with self._write() as conn:
            if not conn.execute(self._insert_new(sessions, row)).rowcount:
                raise Conflict(f"session {record.id!r} already exists")
            self._write_tags(conn, row["id"], row["tags"], fresh=True)
        return codec.session_from_row(row)

    def _write_tags(self, conn: Connection, session_id: str, tags: str, *, fresh: bool) -> None:
        if not fresh:
            conn.execute(delete(session_tags).where(session_tags.c.session_id == session_id))
        rows = [{"session_id": session_id, "tag": tag} for tag in json.loads(tags)]
        if rows:
            conn.execute(insert(session_tags), rows)

    def get_session(self, session_id: SessionId) -> SessionRecord:
        row = self._session_by_id.first(id=session_id)
        if row is None:
            raise NotFound(f"no session {session_id!r}")
        return codec.session_from_row(row)

    def list_sessions(
        self,
        *,
        status: SessionStatus | None = None,
        source: SourceName | None = None,
        tag: str | None = None,
        tenant: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[SessionRecord]:
        query = (
            select(sessions)
            .where(*self._session_filters(status, source, tag, tenant))
            .order_by(sessions.c.created_at, sessions.c.id)
        )
        if cursor is not None:
            query = query.where(after(sessions, cursor))
        return self._page(query, limit, created_cursor, codec.session_from_row)

    @staticmethod
    def _session_filters(
        status: SessionStatus | None, source: str | None, tag: str | None, tenant: str | None
    ) -> list[Any]:
        where = []
        if tenant is not None:
            where.append(sessions.c.tenant == tenant)
        if status is not None:
            where.append(sessions.c.status == check.enum_value(SessionStatus, status, "status"))
        if source is not None:
            where.append(sessions.c.source == source)
        if tag is not None:
            tagged = and_(session_tags.c.session_id == sessions.c.id, session_tags.c.tag == tag)
            where.append(exists().where(tagged))
        return where

    def update_session(
        self, session_id: SessionId, *, expected_version: int, **changes: Any
    ) -> SessionRecord:
        values = codec.session_changes(changes)
        with self._write() as conn:
            row = self._bump(conn, session_id, expected_version, values)
            if "tags" in values:
                self._write_tags(conn, session_id, values["tags"], fresh=False)
        return codec.session_from_row(row)

    def delete_session(self, session_id: SessionId, *, expected_version: int | None = None) -> None:
        where = [sessions.c.id == session_id]
        if expected_version is not None:
            where.append(sessions.c.version == check.version(expected_version))
        with self._write() as conn:
            if not conn.execute(delete(sessions).where(*where)).rowcount:
                self._version_mismatch(conn, session_id, expected_version)
            self._delete_kv_of(conn, KvScope.SESSION, session_id)
            self._delete_reviews_of(conn, "session_id", session_id)

    # --- overlays ------------------------------------------------------------------------

    def get_overlay(
        self, session_id: SessionId, *, prefix: str | None = None
    ) -> dict[str, OverlayEntry]:
        query = select(overlay_entries).where(overlay_entries.c.session_id == session_id)
        under = check.prefix(prefix)
        if under is not None:
            query = query.where(self._under(under))
        with self._read() as conn:
            self._require_session(conn, session_id)
            rows = conn.execute(query).mappings().all()
        found = {row["path"]: codec.entry_from_row(row) for row in rows}
        return dict(sorted(found.items()))

    @staticmethod
    def _under(prefix: str) -> Any:
        # Not LIKE: SQLite's LIKE ignores case and would need '%'/'_' escaping; substr is exact.
        path = overlay_entries.c.path
        head = prefix + "/"
        return or_(path == prefix, func.substr(path, 1, len(head)) == head)

    def apply_overlay(
        self,
        session_id: SessionId,
        *,
        expected_version: int,
        changes: Mapping[str, OverlayEntry | None],
        replace: bool = False,
        base_tree: ObjectId | None = None,
        event: EventRecord | None = None,
    ) -> SessionRecord:
        checked = {
            check.path(path): None if entry is None else check.entry(entry)
            for path, entry in changes.items()
        }
        values = None if base_tree is None else {"base_tree": check.object_id(base_tree)}
        with self._write() as conn:
            row = self._bump(conn, session_id, expected_version, values)
            self._clear_overlay(conn, session_id, None if replace else list(checked))
            self._insert_entries(conn, session_id, checked)
            if event is not None:
                self._insert_event(conn, event)
        return codec.session_from_row(row)

    @staticmethod
    def _clear_overlay(conn: Connection, session_id: str, paths: list[str] | None) -> None:
        mine = overlay_entries.c.session_id == session_id
        if paths is None:
            conn.execute(delete(overlay_entries).where(mine))
        for start in range(0, len(paths or ()), _CHUNK):
            chunk = paths[start : start + _CHUNK]  # type: ignore[index]
            conn.execute(delete(overlay_entries).where(mine, overlay_entries.c.path.in_(chunk)))

    @staticmethod
    def _insert_entries(
        conn: Connection, session_id: str, entries: Mapping[str, OverlayEntry | None]
    ) -> None:
        rows = [
            {"session_id": session_id, "path": path, "kind": entry.kind.value}
            | {"object_id": entry.object_id, "size": entry.size}
            for path, entry in entries.items()
            if entry is not None
        ]
        if rows:
            conn.execute(insert(overlay_entries), rows)

    def copy_overlay(
        self,
        from_session: SessionId,
        to_session: SessionId,
        *,
        expected_version: int | None = None,
    ) -> SessionRecord:
        if from_session == to_session:
            raise Invalid(f"cannot copy the overlay of session {from_session!r} onto itself")
        source = overlay_entries.c
        copied = select(
            literal(to_session, overlay_entries.c.session_id.type),
            *(source[name] for name in _OVERLAY_COLUMNS[1:]),
        ).where(source.session_id == from_session)
        with self._write() as conn:
            self._require_session(conn, from_session)
            row = self._bump(conn, to_session, expected_version)
            self._clear_overlay(conn, to_session, None)
            conn.execute(insert(overlay_entries).from_select(_OVERLAY_COLUMNS, copied))
        return codec.session_from_row(row)

    # --- checkpoints ---------------------------------------------------------------------

    def create_checkpoint(
        self, session_id: SessionId, name: CheckpointName, tree_id: ObjectId, *, message: str = ""
    ) -> CheckpointRecord:
        row = {
            "session_id": check.session_id(session_id),
            "name": check.checkpoint_name(name),
            "tree_id": check.object_id(tree_id),
            "message": check.text(message, "message"),
            "created_at": self._micros(),
        }
        with self._write() as conn:
            self._require_session(conn, session_id)
            if not conn.execute(self._insert_new(checkpoints, row)).rowcount:
                raise Conflict(f"session {session_id!r} already has a checkpoint {name!r}")
        return codec.checkpoint_from_row(row)

    def _checkpoint_where(self, session_id: str, name: str) -> Any:
        return and_(checkpoints.c.session_id == session_id, checkpoints.c.name == name)

    def get_checkpoint(self, session_id: SessionId, name: CheckpointName) -> CheckpointRecord:
        query = select(checkpoints).where(self._checkpoint_where(session_id, name))
        with self._read() as conn:
            row = self._one(conn, query, f"checkpoint {name!r} of session {session_id!r}")
        return codec.checkpoint_from_row(row)

    def list_checkpoints(self, session_id: SessionId) -> list[CheckpointRecord]:
        query = (
            select(checkpoints)
            .where(checkpoints.c.session_id == session_id)
            .order_by(checkpoints.c.created_at, checkpoints.c.name)
        )
        with self._read() as conn:
            self._require_session(conn, session_id)
            rows = conn.execute(query).mappings().all()
        return [codec.checkpoint_from_row(row) for row in rows]

    def delete_checkpoint(self, session_id: SessionId, name: CheckpointName) -> None:
        query = delete(checkpoints).where(self._checkpoint_where(session_id, name))
        with self._write() as conn:
            if not conn.execute(query).rowcount:
                raise NotFound(f"no checkpoint {name!r} of session {session_id!r}")

    # --- reachability --------------------------------------------------------------------

    def iter_roots(self) -> Iterator[ObjectId]:
        with self._read() as conn:
            ids = conn.execute(_roots()).scalars().all()
        return (ObjectId(object_id) for object_id in ids)


def _name_cursor(row: Mapping[str, Any]) -> str:
    return codec.encode_key_cursor(row["name"])


def _roots() -> Any:
    s, o = sessions.c, overlay_entries.c
    return union(
        select(refs.c.commit_id),
        select(commits.c.commit_id),
        select(commits.c.tree_id),
        select(s.base_tree),
        select(s.base_commit).where(s.base_commit.is_not(None)),
        select(o.object_id).where(o.object_id.is_not(None)),
        select(checkpoints.c.tree_id),
        select(import_jobs.c.commit_id).where(import_jobs.c.commit_id.is_not(None)),
    )
