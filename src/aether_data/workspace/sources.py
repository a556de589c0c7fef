"""Sources: durable named histories. Creating one, resolving ``source@ref``, the log, and
committing a session to a branch (compare-and-set on the branch, three-way merge when it moved).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aether_data.catalog import (
    DEFAULT_TENANT,
    Catalog,
    CommitRecord,
    RefKind,
    SessionRecord,
    SessionStatus,
    SourceRecord,
)
from aether_data.errors import (
    ApprovalRequired,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
)
from aether_data.ids import ObjectId, RefName, SessionId, SourceName
from aether_data.objects import Commit, Tree
from aether_data.storage.base import ObjectStore
from aether_data.workspace.merge import apply_resolutions, merge_trees
from aether_data.workspace.sessions import Sessions

__all__ = ["CommitOutcome", "Gate", "RefKind", "Sources", "parse_source_ref"]

Gate = Callable[[SessionRecord, RefName, ObjectId], None]
"""Sees a session, the branch it commits to and the tree it commits, and refuses by raising."""

_MAX_ATTEMPTS = 50
_COMMIT_ID = re.compile(r"[0-9a-f]{64}")


def parse_source_ref(text: str) -> tuple[SourceName, RefName | None]:
    """``"name@ref"`` -> ``("name", "ref")``; ``"name"`` -> ``("name", None)``."""
    name, sep, ref = text.partition("@")
    if not name or (sep and not ref):
        raise Invalid(f"{text!r} is not SOURCE or SOURCE@REF")
    return SourceName(name), RefName(ref) if sep else None


@dataclass(frozen=True)
class CommitOutcome:
    """What committing a session did."""

    commit: ObjectId | None
    branch: RefName
    merged: bool = False
    conflicts: list[dict[str, str]] = field(default_factory=list)


class Sources:
    """Sources, their refs and history, over one object store and one catalog."""

    def __init__(
        self, store: ObjectStore, catalog: Catalog, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock

    def create(
        self,
        name: str,
        *,
        tree: ObjectId | None = None,
        author: str = "aether",
        message: str = "initial import",
        provenance: Mapping[str, str] | None = None,
        description: str = "",
        tenant: str = DEFAULT_TENANT,
    ) -> SourceRecord:
        """A new source of ``tenant`` whose ``main`` branch holds one commit of ``tree`` (empty
        if None)."""
        record = self.catalog.create_source(
            SourceName(name),
            description=description,
            metadata=dict(provenance or {}),
            tenant=tenant,
        )
        root = tree or self.store.put_tree(Tree())
        commit = self._commit(root, (), author, message, meta=provenance, source=record.name)
        self.catalog.compare_and_set_ref(
            record.name, record.default_branch, new=commit, expected=None, kind=RefKind.BRANCH
        )
        return record

    def _commit(
        self,
        tree: ObjectId,
        parents: tuple[ObjectId, ...],
        author: str,
        message: str,
        *,
        meta: Mapping[str, str] | None = None,
        source: SourceName | None = None,
    ) -> ObjectId:
        now_us = int(self._clock() * 1_000_000)
        commit = Commit(tree, parents, author, now_us, message, dict(meta or {}))
        commit_id = self.store.put_commit(commit)  # durable before any ref names it
        if source is not None:
            self._index(source, commit_id, commit)
        return commit_id

    def _index(self, source: SourceName, commit_id: ObjectId, commit: Commit) -> None:
        self.catalog.record_commit(
            source,
            CommitRecord(
                commit_id=commit_id,
                tree_id=commit.tree,
                parents=commit.parents,
                author=commit.author,
                message=commit.message,
                committed_at=datetime.fromtimestamp(commit.time_us / 1e6, UTC),
            ),
        )

    def commit_tree(
        self,
        source: str,
        tree: ObjectId,
        *,
        branch: str | None = None,
        message: str,
        author: str = "aether",
        provenance: Mapping[str, str] | None = None,
    ) -> ObjectId:
        """Commit ``tree`` as the new head of ``branch`` (made if missing), whatever it held:
        the commit replaces the branch's content, as an import does."""
        record = self.catalog.get_source(SourceName(source))
        target = RefName(branch or record.default_branch)
        self._require_branch(record.name, target)
        for _ in range(_MAX_ATTEMPTS):
            head = self._head(record.name, target)
            parents = (head,) if head is not None else ()
            commit_id = self._commit(
                tree, parents, author, message, meta=provenance, source=record.name
            )
            try:
                self.catalog.compare_and_set_ref(
                    record.name, target, new=commit_id, expected=head, kind=RefKind.BRANCH
                )
            except PreconditionFailed:
                continue  # another commit landed first: commit on top of it
            return commit_id
        raise Conflict(f"branch {target!r} of {source!r} kept moving")

    def create_ref(
        self, source: str, name: str, *, at: str | None = None, kind: RefKind = RefKind.BRANCH
    ) -> ObjectId:
        """A new branch or tag of ``source`` naming the commit ``at`` names (default branch
        when None); ``Conflict`` if the name is taken."""
        commit, _ = self.resolve(source, at)
        try:
            self.catalog.compare_and_set_ref(
                SourceName(source), RefName(name), new=commit, expected=None, kind=kind
            )
        except PreconditionFailed as exc:
            raise Conflict(f"{source}@{name} already exists") from exc
        return commit

    def resolve(self, source: str, ref: str | None = None) -> tuple[ObjectId, ObjectId]:
        """The commit and tree ids of ``source@ref`` (the default branch when ref is None)."""
        record = self.catalog.get_source(SourceName(source))
        if ref is not None and _COMMIT_ID.fullmatch(ref):
            return ObjectId(ref), self.store.get_commit(ObjectId(ref)).tree  # a commit id
        head = self.catalog.get_ref(record.name, RefName(ref or record.default_branch))
        return head.commit_id, self.store.get_commit(head.commit_id).tree

    def log(
        self, source: str, ref: str | None = None, *, limit: int = 50
    ) -> Iterator[tuple[ObjectId, Commit]]:
        """Commits reachable from ``source@ref``, newest first (first parents)."""
        commit_id: ObjectId | None = self.resolve(source, ref)[0]
        for _ in range(limit):
            if commit_id is None:
                return
            commit = self.store.get_commit(commit_id)
            yield commit_id, commit
            commit_id = commit.parents[0] if commit.parents else None

    def commit_session(
        self,
        sessions: Sessions,
        session_id: SessionId,
        *,
        message: str,
        author: str = "aether",
        branch: str | None = None,
        gate: Gate | None = None,
    ) -> CommitOutcome:
        """Write the session's tree into a branch of its source.

        If the branch moved since the session's base, the changes are merged at path level; on
        overlapping changes nothing is committed and the session goes to CONFLICT with the list.
        ``gate`` sees the session, the branch and the tree first and may refuse by raising; on
        ``ApprovalRequired`` the session goes to PENDING_APPROVAL.
        """
        record = sessions.get(session_id)
        if record.source is None:
            raise Invalid(f"session {session_id} has no source; promote it to a source instead")
        target = RefName(
            branch or record.ref or self.catalog.get_source(record.source).default_branch
        )
        self._require_branch(record.source, target)
        ours = sessions.view(record).materialize()
        self._pass_gate(sessions, gate, record, target, ours)
        for _ in range(_MAX_ATTEMPTS):
            outcome = self._try_commit(
                sessions, record, target, ours, message=message, author=author
            )
            if outcome is not None:
                return outcome
        raise Conflict(f"branch {target!r} kept moving while committing session {session_id}")

    def _try_commit(
        self, sessions, record, target, ours, *, message: str, author: str
    ) -> CommitOutcome | None:
        head = self._head(record.source, target)
        tree, merged = ours, False
        if head is not None and head != record.base_commit:
            base_tree = (
                self.store.get_commit(record.base_commit).tree if record.base_commit else None
            )
            result = merge_trees(self.store, base_tree, ours, self.store.get_commit(head).tree)
            if result.conflicts:
                return self._conflict(sessions, record, target, result.conflicts)
            tree, merged = result.tree, True
        # a new branch starts from the commit the session started from
        start = head if head is not None else record.base_commit
        parents = (start,) if start is not None else ()
        commit_id = self._commit(tree, parents, author, message, source=record.source)
        try:
            self.catalog.compare_and_set_ref(record.source, target, new=commit_id, expected=head)
        except PreconditionFailed:
            return None  # the branch moved again: merge against the new head
        self._rebase(sessions, record, tree, commit_id, target)
        return CommitOutcome(commit_id, target, merged)

    def resolve_conflicts(
        self,
        sessions: Sessions,
        session_id: SessionId,
        take: Mapping[str, str],
        *,
        message: str,
        author: str = "aether",
        gate: Gate | None = None,
    ) -> CommitOutcome:
        """Commit a session in CONFLICT, settling each listed path (``gate`` as for
        ``commit_session``: it judges the session's tree, what reviewers approve).

        ``take`` maps each conflicting path to ``"session"`` (keep the session's version) or
        ``"branch"`` (keep the branch's). Unsettled paths raise ``Conflict`` naming them.
        """
        record = sessions.get(session_id)
        if record.status is not SessionStatus.CONFLICT or record.source is None:
            raise Invalid(f"session {session_id} is not in CONFLICT; commit it instead")
        target = RefName(record.metadata.get("conflict_branch") or record.ref or "main")
        head = self._head(record.source, target)
        if head is None:
            raise NotFound(f"branch {target!r} of {record.source!r} no longer exists")
        choice = {"session": "ours", "branch": "theirs"}
        if bad := sorted(v for v in take.values() if v not in choice):
            raise Invalid(f"take 'session' or 'branch', not {bad[0]!r}")
        base = self.store.get_commit(record.base_commit).tree if record.base_commit else None
        ours = sessions.view(record).materialize()
        theirs = self.store.get_commit(head).tree
        resolutions = {path: choice[side] for path, side in take.items()}
        tree = apply_resolutions(self.store, base, ours, theirs, resolutions)  # type: ignore[arg-type]
        self._pass_gate(sessions, gate, record, target, ours)
        commit_id = self._commit(tree, (head,), author, message, source=record.source)
        try:
            self.catalog.compare_and_set_ref(record.source, target, new=commit_id, expected=head)
        except PreconditionFailed as exc:
            raise Conflict(f"branch {target!r} moved again; commit the session again") from exc
        self._rebase(sessions, record, tree, commit_id, target)
        return CommitOutcome(commit_id, target, merged=True)

    def promote(
        self,
        sessions: Sessions,
        session_id: SessionId,
        *,
        source: str | None = None,
        branch: str | None = None,
        message: str = "promoted from a session",
        author: str = "aether",
        gate: Gate | None = None,
    ) -> tuple[SourceName, RefName, ObjectId]:
        """Turn a session into a new source, or into a new branch of its own source (past
        ``gate``, as for ``commit_session``)."""
        record = sessions.get(session_id)
        tree = sessions.view(record).materialize()
        if (source is None) == (branch is None):
            raise Invalid("promote to a new source or to a new branch: give exactly one")
        if source is not None:
            created = self.create(
                source, tree=tree, author=author, message=message, provenance={"session": record.id}
            )
            return created.name, created.default_branch, self.resolve(created.name)[0]
        if record.source is None:
            raise Invalid(f"session {session_id} has no source; promote it to a new source")
        self._pass_gate(sessions, gate, record, RefName(branch), tree)
        parents = (record.base_commit,) if record.base_commit else ()
        commit_id = self._commit(tree, parents, author, message, source=record.source)
        try:
            self.catalog.compare_and_set_ref(
                record.source, RefName(branch), new=commit_id, expected=None
            )
        except PreconditionFailed as exc:
            raise Conflict(f"branch {branch!r} of {record.source!r} already exists") from exc
        return record.source, RefName(branch), commit_id

    @staticmethod
    def _pass_gate(
        sessions: Sessions,
        gate: Gate | None,
        record: SessionRecord,
        target: RefName,
        tree: ObjectId,
    ) -> None:
        if gate is None:
            return
        try:
            gate(record, target, tree)
        except ApprovalRequired:
            # A session in CONFLICT stays so: its resolution is still to be committed.
            if record.status is SessionStatus.ACTIVE:
                sessions.await_approval(record.id)
            raise

    def _require_branch(self, source: SourceName, name: RefName) -> None:
        try:
            ref = self.catalog.get_ref(source, name)
        except NotFound:
            return  # committing creates the branch
        if ref.kind is RefKind.TAG:
            raise Forbidden(f"{source}@{name} is a tag and never moves; commit with a branch")

    def _head(self, source: SourceName, branch: RefName) -> ObjectId | None:
        try:
            return self.catalog.get_ref(source, branch).commit_id
        except NotFound:
            return None

    def _conflict(self, sessions, record, target, conflicts) -> CommitOutcome:
        listing = [{"path": c.path, "kind": str(c.kind)} for c in conflicts]
        metadata = {**record.metadata, "conflicts": listing, "conflict_branch": target}
        sessions.catalog.update_session(
            record.id,
            expected_version=record.version,
            status=SessionStatus.CONFLICT,
            metadata=metadata,
        )
        return CommitOutcome(None, target, conflicts=listing)

    def _rebase(self, sessions, record, tree, commit_id, target) -> None:
        # The session now starts from what it committed. If it changed meanwhile, its base stays
        # older, which is still correct: the next commit merges the same changes on both sides.
        try:
            moved = sessions.catalog.apply_overlay(
                record.id, expected_version=record.version, changes={}, replace=True, base_tree=tree
            )
            metadata = {k: v for k, v in record.metadata.items() if not k.startswith("conflict")}
            sessions.catalog.update_session(
                record.id,
                expected_version=moved.version,
                base_commit=commit_id,
                ref=target,
                status=SessionStatus.ACTIVE,
                metadata=metadata,
            )
        except PreconditionFailed:
            return
