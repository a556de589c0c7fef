"""The catalog contract: metadata for sources, refs, the commit index, sessions, overlays,
checkpoints, API tokens and import jobs, the records of reviews (knowledge entries, events,
bus messages, and annotations, approvals, check runs and branch policies in
``ReviewRecords``), and dataset profiles by content id (``DatasetProfiles``). Documented once
here; implementations do not restate it.

Every write is atomic. Refs move only by compare-and-set; sessions and their overlays are guarded
by the session's ``version``, which every change bumps. Names, ids and paths are validated and
raise ``Invalid`` before anything is written. Object ids are 64-char lower-case hex strings.

Sources, sessions, tokens and jobs belong to a tenant (``DEFAULT_TENANT`` unless given). Tenants
filter listings; they are not a namespace: source names, session, token and job ids are unique
across all tenants.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from aether_data.ids import CheckpointName, ObjectId, RefName, SessionId, SourceName

from ._base_datasets import DatasetProfiles
from ._base_reviews import ReviewRecords
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
    Page,
    RefKind,
    RefRecord,
    SessionRecord,
    SessionStatus,
    SourceRecord,
    TokenRecord,
)

__all__ = ["Catalog"]


class Catalog(ReviewRecords, DatasetProfiles, ABC):
    """Metadata store. One instance is shared by many threads."""

    # --- sources -------------------------------------------------------------------------

    @abstractmethod
    def create_source(
        self,
        name: SourceName,
        *,
        tenant: str = DEFAULT_TENANT,
        default_branch: RefName = DEFAULT_BRANCH,
        description: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> SourceRecord:
        """Create a source (its branches are created separately, with ``compare_and_set_ref``).

        Args:
            name: 1-100 chars, ``[A-Za-z0-9][A-Za-z0-9._-]*``; unique across all tenants.
            tenant: the owning tenant, named like a source.
            default_branch: the branch sessions start from unless told otherwise.
            description: free text.
            metadata: JSON-serialisable mapping, e.g. provenance.

        Raises:
            Conflict: a source of that name exists, in whichever tenant.
            Invalid: a bad name, tenant, branch name or metadata.
        """

    @abstractmethod
    def get_source(self, name: SourceName) -> SourceRecord:
        """Return the source. Raises ``NotFound``."""

    @abstractmethod
    def list_sources(
        self, *, tenant: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[SourceRecord]:
        """Return a page of sources, ordered by name.

        Paging is keyset-based on the name: walking the cursors visits each source that exists
        throughout the walk exactly once.

        Args:
            tenant: only this tenant's sources.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad cursor or limit.
        """

    @abstractmethod
    def delete_source(self, name: SourceName) -> None:
        """Delete the source with its refs, commit-index rows and knowledge entries (sessions
        stay).

        Raises:
            NotFound: no such source.
        """

    # --- refs ----------------------------------------------------------------------------

    @abstractmethod
    def get_ref(self, source: SourceName, name: RefName) -> RefRecord:
        """Return the ref. Raises ``NotFound`` (unknown source or ref)."""

    @abstractmethod
    def list_refs(self, source: SourceName, kind: RefKind | None = None) -> list[RefRecord]:
        """Return the source's refs (optionally only branches or tags), ordered by name.

        Raises:
            NotFound: no such source.
        """

    @abstractmethod
    def compare_and_set_ref(
        self,
        source: SourceName,
        name: RefName,
        *,
        new: ObjectId | None,
        expected: ObjectId | None,
        kind: RefKind = RefKind.BRANCH,
    ) -> RefRecord | None:
        """Atomically move, create or delete a ref if it still names ``expected``.

        Args:
            source: the ref's source.
            name: git-style ref name (``/``-separated segments; no ``..``, spaces, control chars,
                leading ``-``, trailing ``/`` or ``.lock``).
            new: the commit the ref should name; ``None`` deletes the ref.
            expected: the commit it must name now; ``None`` means it must not exist yet.
            kind: the kind of a ref being created (an existing ref keeps its kind).

        Returns:
            The ref as written, or ``None`` when it was deleted (or stays absent).

        Raises:
            PreconditionFailed: the ref's current value is not ``expected``; the message says
                what was expected and what was found.
            NotFound: no such source.
            Invalid: a bad ref name or object id.
        """

    # --- commit index --------------------------------------------------------------------

    @abstractmethod
    def record_commit(self, source: SourceName, record: CommitRecord) -> None:
        """Add a commit to the source's index; recording a known commit again does nothing.

        Raises:
            NotFound: no such source.
            Invalid: bad ids or a naive timestamp.
        """

    @abstractmethod
    def get_commit(self, source: SourceName, commit_id: ObjectId) -> CommitRecord:
        """Return the indexed commit. Raises ``NotFound``."""

    @abstractmethod
    def list_commits(
        self,
        source: SourceName,
        *,
        limit: int = 100,
        before: ObjectId | datetime | None = None,
    ) -> list[CommitRecord]:
        """Return up to ``limit`` (1-1000) indexed commits, newest first.

        Args:
            source: the source.
            limit: page size.
            before: a commit id (continue after that commit: pass the last one of the previous
                page) or a timestamp (only commits made strictly earlier).

        Raises:
            NotFound: no such source, or ``before`` names a commit not in the index.
        """

    # --- sessions ------------------------------------------------------------------------

    @abstractmethod
    def create_session(self, record: SessionRecord) -> SessionRecord:
        """Store a new session and return it as stored (``version`` is always 1).

        The session keeps ``record.tenant`` for good; ``update_session`` cannot change it.

        Raises:
            Conflict: the id is taken.
            Invalid: a bad field.
        """

    @abstractmethod
    def get_session(self, session_id: SessionId) -> SessionRecord:
        """Return the session. Raises ``NotFound``."""

    @abstractmethod
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
        """Return a page of sessions matching every given filter, oldest first.

        Paging is keyset-based on (created_at, id): walking the cursors visits each matching
        session exactly once, even while sessions are created or changed meanwhile.

        Args:
            status: only sessions with this status.
            source: only sessions made from this source.
            tag: only sessions carrying this tag.
            tenant: only this tenant's sessions.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad cursor, status or limit.
        """

    @abstractmethod
    def update_session(
        self, session_id: SessionId, *, expected_version: int, **changes: Any
    ) -> SessionRecord:
        """Change fields of a session if it is still at ``expected_version``.

        Bumps ``version`` and ``updated_at``. Changeable: name, status, tags, base_commit,
        base_tree, source, ref, metadata.

        Returns:
            The session as written.

        Raises:
            PreconditionFailed: the session is at another version.
            NotFound: no such session.
            Invalid: an unknown field or a bad value.
        """

    @abstractmethod
    def delete_session(self, session_id: SessionId, *, expected_version: int | None = None) -> None:
        """Delete the session with its overlay, checkpoints and knowledge entries.

        Raises:
            NotFound: no such session.
            PreconditionFailed: ``expected_version`` was given and does not match.
        """

    # --- overlays ------------------------------------------------------------------------

    @abstractmethod
    def get_overlay(
        self, session_id: SessionId, *, prefix: str | None = None
    ) -> dict[str, OverlayEntry]:
        """Return the session's overlay, path -> entry, sorted by path.

        Args:
            session_id: the session.
            prefix: only this path and the paths below it (``"a/b"`` matches ``a/b`` and
                ``a/b/c``, not ``a/bc``).

        Raises:
            NotFound: no such session.
        """

    @abstractmethod
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
        """Atomically change the overlay if the session is still at ``expected_version``.

        Args:
            session_id: the session.
            expected_version: the version the caller last saw.
            changes: path -> new entry; ``None`` drops the path's overlay entry (the path shows
                the base tree again). Use ``OverlayEntry.tombstone()`` to delete a base path.
            replace: clear the whole overlay first (restore, rebase).
            base_tree: also move the session's base tree, in the same transaction (with
                ``replace``, this is how a session is restored or rebased).
            event: also append this event to the audit log, in the same transaction (its
                ``seq`` is ignored): the change and its record land together or not at all.

        Returns:
            The session with its bumped version.

        Raises:
            PreconditionFailed: the session is at another version; nothing is written.
            NotFound: no such session.
            Invalid: a bad path or entry; nothing is written.
        """

    @abstractmethod
    def copy_overlay(
        self,
        from_session: SessionId,
        to_session: SessionId,
        *,
        expected_version: int | None = None,
    ) -> SessionRecord:
        """Replace ``to_session``'s overlay with a copy of ``from_session``'s (for forks).

        Costs O(overlay size), never O(files). Bumps ``to_session``'s version.

        Returns:
            ``to_session`` as written.

        Raises:
            NotFound: either session does not exist.
            PreconditionFailed: ``expected_version`` was given and ``to_session`` is elsewhere.
            Invalid: both ids are the same.
        """

    # --- checkpoints ---------------------------------------------------------------------

    @abstractmethod
    def create_checkpoint(
        self, session_id: SessionId, name: CheckpointName, tree_id: ObjectId, *, message: str = ""
    ) -> CheckpointRecord:
        """Name the session tree ``tree_id``; checkpoints are immutable.

        Raises:
            Conflict: the session already has a checkpoint of that name.
            NotFound: no such session.
            Invalid: a bad name (1-100 chars, ``[A-Za-z0-9][A-Za-z0-9._:@+-]*``) or tree id.
        """

    @abstractmethod
    def get_checkpoint(self, session_id: SessionId, name: CheckpointName) -> CheckpointRecord:
        """Return the checkpoint. Raises ``NotFound``."""

    @abstractmethod
    def list_checkpoints(self, session_id: SessionId) -> list[CheckpointRecord]:
        """Return the session's checkpoints, oldest first. Raises ``NotFound`` (no session)."""

    @abstractmethod
    def delete_checkpoint(self, session_id: SessionId, name: CheckpointName) -> None:
        """Delete a checkpoint (retention). Raises ``NotFound``."""

    # --- API tokens ----------------------------------------------------------------------

    @abstractmethod
    def create_token(self, record: TokenRecord) -> TokenRecord:
        """Store a new token and return it as stored (scopes sorted, without duplicates).

        Args:
            record: the token; ``id`` is 1-32 chars ``[A-Za-z0-9][A-Za-z0-9._-]*``,
                ``secret_hash`` the lower-case hex SHA-256 of the secret, each scope 1-100
                printable ASCII chars without spaces.

        Raises:
            Conflict: the id is taken.
            Invalid: a bad field or a naive timestamp.
        """

    @abstractmethod
    def get_token(self, token_id: str) -> TokenRecord:
        """Return the token, revoked and expired ones included. Raises ``NotFound``."""

    @abstractmethod
    def list_tokens(
        self, *, tenant: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[TokenRecord]:
        """Return a page of tokens, revoked and expired ones included, ordered by id.

        Args:
            tenant: only this tenant's tokens.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad cursor or limit.
        """

    @abstractmethod
    def revoke_token(self, token_id: str, *, at: datetime | None = None) -> TokenRecord:
        """Revoke the token from ``at`` (default: now) on; revoking again changes nothing.

        Returns:
            The token as stored: a token revoked before keeps its first ``revoked_at``.

        Raises:
            NotFound: no such token.
            Invalid: a naive timestamp.
        """

    # --- import jobs ---------------------------------------------------------------------

    @abstractmethod
    def create_job(self, record: JobRecord) -> JobRecord:
        """Store a new import job and return it as stored (``version`` is always 1).

        The source need not exist yet: an import may be what creates it.

        Args:
            record: the job; ``id`` is named like a source, ``origin`` is non-empty text (a
                URL or path) and ``options`` a JSON-serialisable mapping.

        Raises:
            Conflict: the id is taken.
            Invalid: a bad field or a naive timestamp.
        """

    @abstractmethod
    def get_job(self, job_id: str) -> JobRecord:
        """Return the job. Raises ``NotFound``."""

    @abstractmethod
    def list_jobs(
        self,
        *,
        tenant: str | None = None,
        source: SourceName | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[JobRecord]:
        """Return a page of jobs matching every given filter, oldest first.

        Paging is keyset-based on (created_at, id), as for ``list_sessions``.

        Args:
            tenant: only this tenant's jobs.
            source: only jobs importing into this source.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad cursor or limit.
        """

    @abstractmethod
    def update_job(
        self,
        job_id: str,
        *,
        expected_version: int,
        status: JobStatus | None = None,
        error: str | None = None,
        commit_id: ObjectId | None = None,
    ) -> JobRecord:
        """Change a job if it is still at ``expected_version``.

        Bumps ``version`` and ``updated_at``. Fields left ``None`` keep their value, so a worker
        can claim a job (``status=RUNNING``) and later finish it (``SUCCEEDED`` with
        ``commit_id``, or ``FAILED`` with ``error``), each time from the version it last saw.

        Returns:
            The job as written.

        Raises:
            PreconditionFailed: the job is at another version (another worker moved it).
            NotFound: no such job.
            Invalid: a bad status, error, commit id or version.
        """

    # --- knowledge entries ---------------------------------------------------------------

    @abstractmethod
    def put_kv(
        self,
        scope: KvScope,
        owner: str,
        key: str,
        value: bytes,
        *,
        author: str,
        tenant: str,
        expected_version: int | None = None,
    ) -> KvRecord:
        """Store ``value`` under ``key`` of a session or source, compare-and-set on the version.

        A new entry starts at version 1; each put bumps it and ``updated_at`` and keeps
        ``created_at`` and ``tenant``. The owner need not exist, but deleting the session or
        source deletes its entries. The compare is atomic: of concurrent puts expecting one
        version, exactly one succeeds.

        Args:
            scope: whether ``owner`` is a session id or a source name.
            owner: the session id or source name (named like a source).
            key: 1-1024 chars (at most 2048 UTF-8 bytes), no NUL.
            value: the bytes to store.
            author: who wrote it, free text.
            tenant: the owner's tenant, recorded when the entry is created.
            expected_version: ``None`` writes unconditionally; ``0`` only creates (the key must
                be absent); ``n > 0`` only replaces version ``n``.

        Returns:
            The entry as written.

        Raises:
            PreconditionFailed: the entry is not at ``expected_version`` (or exists, for 0);
                the message says what was expected and what was found.
            Invalid: a bad scope, owner, key, tenant, value or version.
        """

    @abstractmethod
    def get_kv(self, scope: KvScope, owner: str, key: str) -> KvRecord:
        """Return the entry. Raises ``NotFound``."""

    @abstractmethod
    def delete_kv(
        self, scope: KvScope, owner: str, key: str, *, expected_version: int | None = None
    ) -> None:
        """Delete the entry, if it is at ``expected_version`` when that is given.

        Raises:
            NotFound: no such entry.
            PreconditionFailed: the entry is at another version.
        """

    @abstractmethod
    def list_kv(
        self,
        scope: KvScope,
        owner: str,
        *,
        prefix: str = "",
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[KvRecord]:
        """Return a page of the owner's entries whose key starts with ``prefix``, by key.

        The prefix is literal text (``%`` and ``_`` are not wildcards) and case-sensitive.
        Paging is keyset-based on the key, as for ``list_sources``.

        Args:
            scope: whether ``owner`` is a session id or a source name.
            owner: the session id or source name.
            prefix: only keys starting with this; ``""`` for all.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad scope, owner, prefix, cursor or limit.
        """

    @abstractmethod
    def delete_kv_prefix(self, scope: KvScope, owner: str, prefix: str) -> int:
        """Delete the owner's entries whose key starts with ``prefix`` (``""``: all of them),
        atomically; return how many were deleted.

        Raises:
            Invalid: a bad scope, owner or prefix.
        """

    # --- events --------------------------------------------------------------------------

    @abstractmethod
    def append_event(self, event: EventRecord) -> EventRecord:
        """Append an event to the audit log; every field is stored as given but ``seq``.

        Seqs grow in commit order: once a reader has seen seq ``n``, no event with a seq up to
        ``n`` appears later, so polling with ``after_seq`` misses none.

        Args:
            event: the event; its ``seq`` is ignored (pass 0). ``type`` is 1-255 chars without
                control chars, ``details`` a JSON-serialisable mapping, ``session_id`` and
                ``source`` named like a source (they need not exist).

        Returns:
            The event as stored, with the ``seq`` the catalog assigned.

        Raises:
            Invalid: a bad field or a naive timestamp.
        """

    @abstractmethod
    def list_events(
        self,
        *,
        tenant: str | None = None,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[EventRecord]:
        """Return a page of events matching every given filter, by ``seq`` ascending.

        Args:
            tenant: only this tenant's events.
            types: only events of one of these types; an entry ending in ``.*`` matches every
                type with that prefix (``"session.*"`` matches ``session.write``, not
                ``session``). An empty list matches nothing.
            session_id: only events about this session.
            since: only events created at or after this time.
            until: only events created before this time.
            after_seq: only events with a greater seq.
            limit: page size, 1-1000.
            cursor: ``next_cursor`` of the previous page.

        Raises:
            Invalid: a bad type, cursor, limit, ``after_seq`` or a naive timestamp.
        """

    # --- the bus -------------------------------------------------------------------------

    @abstractmethod
    def publish(self, message: BusMessage) -> BusMessage:
        """Append a message to the bus; every field is stored as given but ``seq``.

        Seqs grow in commit order, as for ``append_event``, and are never reused (not even
        after ``prune_bus``).

        Args:
            message: the message; its ``seq`` is ignored (pass 0). ``topic`` is 1-255 chars
                without control chars, ``body`` JSON text, ``session_id`` ``None`` for a
                tenant-wide message.

        Returns:
            The message as stored, with the ``seq`` the catalog assigned.

        Raises:
            Invalid: a bad field, a body that is not JSON or a naive timestamp.
        """

    @abstractmethod
    def read_bus(
        self,
        *,
        tenant: str,
        after_seq: int = 0,
        session_id: str | None = None,
        include_tenant_wide: bool = True,
        limit: int = 1000,
    ) -> list[BusMessage]:
        """Return up to ``limit`` (1-1000) of the tenant's messages with a seq greater than
        ``after_seq``, by seq ascending.

        Args:
            tenant: the tenant.
            after_seq: the last seq the reader has seen.
            session_id: only this session's messages, and the tenant-wide ones unless
                ``include_tenant_wide`` is false; ``None``: all the tenant's messages.
            include_tenant_wide: with ``session_id``, also the messages for no session.
            limit: the most messages to return.

        Raises:
            Invalid: a bad limit or ``after_seq``.
        """

    @abstractmethod
    def last_bus_seq(self, *, tenant: str) -> int:
        """Return the greatest seq of the tenant's messages, 0 when it has none."""

    @abstractmethod
    def prune_bus(self, *, before: datetime | None = None, keep_last: int | None = None) -> int:
        """Delete old bus messages of every tenant; return how many were deleted.

        A message goes if it matches any given criterion; with neither, nothing goes.

        Args:
            before: delete the messages created before this time.
            keep_last: delete all but the newest ``keep_last`` messages (across all tenants).

        Raises:
            Invalid: a naive timestamp or a negative ``keep_last``.
        """

    # --- reachability --------------------------------------------------------------------

    @abstractmethod
    def iter_roots(self) -> Iterator[ObjectId]:
        """Yield each object id the catalog names, once, read in one consistent snapshot.

        These are: ref commits, indexed commits and their trees, session base trees and base
        commits, overlay objects, checkpoint trees and the commits import jobs made. What those
        reach through trees and commits is for gc/fsck to walk.
        """

    # --- lifetime ------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Release connections. The catalog must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
