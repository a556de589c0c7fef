"""``EmbeddedGates``: the ``GatesAPI`` half of ``EmbeddedReview`` (annotations, approvals,
checks and branch policies of one tenant), and the commit gate the workspace passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aether_data.catalog import SessionRecord
from aether_data.errors import Invalid, NotFound, PreconditionFailed
from aether_data.ids import ObjectId, RefName, SessionId, SourceName
from aether_data.objects.tree import EntryKind
from aether_data.review import (
    Annotation as AnnotationRecord,
)
from aether_data.review import (
    Approval as ApprovalRecord,
)
from aether_data.review import (
    BranchPolicy as PolicyRecord,
)
from aether_data.review import (
    CheckRun as CheckRunRecord,
)
from aether_data.review import commit_reasons
from aether_data.service._audit import RESULT, audited
from aether_data.service._lint_check import SQL_LINT
from aether_data.wire import Page
from aether_data.wire.gates import (
    Annotation,
    AnnotationState,
    Approval,
    ApprovalState,
    BranchPolicy,
    CheckInfo,
    CheckRun,
    Finding,
)

if TYPE_CHECKING:
    from aether_data.service import Services

__all__ = ["EmbeddedGates", "commit_gate"]

_ANNOTATION_STATES = ("open", "resolved", "outdated")
_APPROVAL_STATES = ("pending", "granted", "denied", "stale")
_LINT_SHOWN = 20  # findings of the sql-lint report an approval request carries


def annotation(record: AnnotationRecord, current_hash: str | None) -> Annotation:
    """An annotation as the wire shows it, given its file's content hash now."""
    state = record.state(current_hash)
    return Annotation(
        id=record.id,
        session_id=record.session_id,
        path=record.path,
        body=record.body,
        author=record.author,
        content_hash=record.content_hash,
        state=state.value,  # type: ignore[arg-type]
        outdated=current_hash != record.content_hash,
        created_at=record.created_at,
        updated_at=record.updated_at,
        lines=record.lines,
        resolved_by=record.resolved_by,
    )


def approval(record: ApprovalRecord, current_tree: str) -> Approval:
    """An approval as the wire shows it, given the session's tree now."""
    return Approval(
        id=record.id,
        session_id=record.session_id,
        reason=record.reason,
        tree=record.tree_id,
        requested_by=record.requested_by,
        state=record.state(current_tree).value,  # type: ignore[arg-type]
        created_at=record.created_at,  # type: ignore[arg-type]
        updated_at=record.updated_at,  # type: ignore[arg-type]
        details=dict(record.details),
        decided_by=record.decided_by,
        comment=record.comment,
    )


def check_run(record: CheckRunRecord, current_tree: str) -> CheckRun:
    """A check report as the wire shows it."""
    return CheckRun(
        id=record.id,
        session_id=record.session_id,
        check=record.check,
        tree=record.tree_id,
        status=record.status.value,  # type: ignore[arg-type]
        summary=record.summary,
        actor=record.actor,
        created_at=record.created_at,  # type: ignore[arg-type]
        current=record.tree_id == current_tree,
        findings=[Finding(message=f.message, path=f.path, line=f.line) for f in record.findings],
        output=record.output,
    )


def branch_policy(record: PolicyRecord) -> BranchPolicy:
    """A branch policy as the wire shows it."""
    return BranchPolicy(
        source=record.source,
        branch=record.branch,
        required_approvals=record.required_approvals,
        required_checks=list(record.required_checks),
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


def commit_gate(services: Services, tenant: str, actor: str):
    """The gate a commit of this tenant and actor passes (``Sources.commit_session``'s)."""

    def admit(record: SessionRecord, branch: RefName, tree: ObjectId) -> None:
        assert record.source is not None
        gate = services.gate
        gate.admit(
            tenant, record.id, record.source, branch, tree, actor=actor, base_tree=record.base_tree
        )

    return admit


def page_of(items: list[Any], cursor: str | None, limit: int) -> Page:
    """One page of an in-memory listing in its own order; the cursor is the id of the last
    item shown."""
    if not 1 <= limit <= 1000:
        raise Invalid("limit must be between 1 and 1000")
    start = 0
    if cursor is not None:
        ids = [item.id for item in items]
        if cursor not in ids:
            raise Invalid(f"unknown cursor {cursor!r}; list again from the start")
        start = ids.index(cursor) + 1
    chosen = items[start : start + limit]
    more = start + limit < len(items)
    return Page(items=chosen, next_cursor=chosen[-1].id if more and chosen else None)


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise Invalid(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


class EmbeddedGates:
    """Annotations, approvals, checks and branch policies; mixed into ``EmbeddedReview``."""

    _services: Services
    tenant: str
    actor: str

    def record(self, kind: str, **ids: Any) -> None:
        """Append an event of this tenant and actor (what the service's mutations call)."""
        self._services.events.record(self.tenant, kind, self.actor, **ids)

    # ----------------------------------------------------------------- owners
    def _sid(self, session_id: str) -> SessionId:
        return self._services.workspace(self.tenant).owned_session(session_id).id

    def _source_name(self, source: str) -> SourceName:
        return self._services.workspace(self.tenant).owned_source(source).name

    def _tree(self, sid: SessionId) -> ObjectId:
        """The session's tree now, to compare with (nothing is stored)."""
        return self._services.sessions.tree_id(sid)

    def _file_hash(self, sid: SessionId, path: str) -> str | None:
        try:
            entry = self._services.sessions.stat(sid, path)
        except (NotFound, Invalid):
            return None
        return entry.id if entry.kind in (EntryKind.FILE, EntryKind.EXEC) else None

    # ----------------------------------------------------------------- annotations
    @audited("annotation.create", session="session_id", subject=RESULT, details={"path": "path"})
    def annotate(
        self,
        session_id: str,
        path: str,
        body: str,
        *,
        lines: tuple[int, int] | None = None,
        content_hash: str | None = None,
    ) -> Annotation:
        sid = self._sid(session_id)
        entry = self._services.sessions.stat(sid, path)
        if entry.kind not in (EntryKind.FILE, EntryKind.EXEC):
            raise Invalid(f"{path!r} is a {entry.kind.value}; annotate a file")
        if content_hash is not None and content_hash != entry.id:
            raise PreconditionFailed(
                f"{path!r} changed: it is {entry.id}, not {content_hash}; look at it again"
            )
        record = self._services.annotations.add(
            self.tenant,
            sid,
            path=path.strip("/"),
            body=body,
            author=self.actor,
            content_hash=entry.id,
            lines=tuple(lines) if lines is not None else None,  # type: ignore[arg-type]
        )
        return annotation(record, entry.id)

    def list_annotations(
        self,
        session_id: str,
        *,
        path: str | None = None,
        author: str | None = None,
        state: AnnotationState | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Annotation]:
        _choice(state, _ANNOTATION_STATES, "state")
        sid = self._sid(session_id)
        records = self._services.annotations.list(sid, path=path, author=author)
        hashes = {p: self._file_hash(sid, p) for p in {r.path for r in records}}
        shown = [annotation(r, hashes[r.path]) for r in records]
        shown = [a for a in shown if state in (None, a.state)]
        return page_of(shown, cursor, limit)

    def get_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        sid = self._sid(session_id)
        record = self._services.annotations.get(sid, annotation_id)
        return annotation(record, self._file_hash(sid, record.path))

    @audited("annotation.resolve", session="session_id", subject="annotation_id")
    def resolve_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        sid = self._sid(session_id)
        record = self._services.annotations.resolve(sid, annotation_id, actor=self.actor)
        return annotation(record, self._file_hash(sid, record.path))

    @audited("annotation.reopen", session="session_id", subject="annotation_id")
    def reopen_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        sid = self._sid(session_id)
        record = self._services.annotations.reopen(sid, annotation_id, actor=self.actor)
        return annotation(record, self._file_hash(sid, record.path))

    # ----------------------------------------------------------------- approvals
    @audited(
        "approval.request",
        session="session_id",
        subject=RESULT,
        details={"reason": "<result>.reason", "tree": "<result>.tree"},
    )
    def request_approval(
        self, session_id: str, *, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> Approval:
        record = self._services.workspace(self.tenant).owned_session(session_id)
        tree = self._services.sessions.tree(record.id)  # stored: the approval names it
        reason = reason or _default_reason(record)
        details = dict(details or {})
        if (lint := self._lint_report(record, tree)) is not None:
            details[SQL_LINT] = lint  # what the reviewer sees beside the request
        approvals = self._services.approvals
        found = approvals.request(
            self.tenant, record.id, tree, actor=self.actor, reason=reason, details=details
        )
        return approval(found, tree)

    def _lint_report(self, record: SessionRecord, tree: ObjectId) -> dict[str, Any] | None:
        """For a tree that changes SQL migrations: the sql-lint report of exactly this tree
        (kept with the session's check reports)."""
        gate = self._services.gate
        if SQL_LINT not in gate.implied_checks(tree, record.base_tree):
            return None
        (run,) = gate.run_checks(
            self.tenant, record.id, tree, [SQL_LINT], actor=self.actor, base_tree=record.base_tree
        )
        shown = [f"{f.path}:{f.line}: {f.message}" for f in run.findings[:_LINT_SHOWN]]
        return {
            "report": run.id,
            "status": run.status.value,
            "summary": run.summary,
            "findings": shown,
        }

    def list_approvals(
        self,
        session_id: str,
        *,
        state: ApprovalState | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Approval]:
        _choice(state, _APPROVAL_STATES, "state")
        sid = self._sid(session_id)
        tree = self._tree(sid)
        shown = [approval(r, tree) for r in self._services.approvals.list(sid)]
        shown = [a for a in shown if state in (None, a.state)]
        return page_of(shown, cursor, limit)

    def get_approval(self, session_id: str, approval_id: str) -> Approval:
        sid = self._sid(session_id)
        return approval(self._services.approvals.get(sid, approval_id), self._tree(sid))

    @audited("approval.grant", session="session_id", subject="approval_id")
    def grant_approval(self, session_id: str, approval_id: str, *, comment: str = "") -> Approval:
        return self._decide(session_id, approval_id, grant=True, comment=comment)

    @audited("approval.deny", session="session_id", subject="approval_id")
    def deny_approval(self, session_id: str, approval_id: str, *, comment: str = "") -> Approval:
        return self._decide(session_id, approval_id, grant=False, comment=comment)

    def _decide(self, session_id: str, approval_id: str, *, grant: bool, comment: str) -> Approval:
        sid = self._sid(session_id)
        tree = self._tree(sid)
        decided = self._services.approvals.decide(
            sid, approval_id, grant=grant, actor=self.actor, current_tree=tree, comment=comment
        )
        return approval(decided, tree)

    # ----------------------------------------------------------------- checks
    def list_checks(self) -> list[CheckInfo]:
        return [
            CheckInfo(name=c.name, description=c.description) for c in self._services.checks.all()
        ]

    @audited("checks.run", session="session_id")
    def run_checks(self, session_id: str, checks: Sequence[str] | None = None) -> list[CheckRun]:
        record = self._services.workspace(self.tenant).owned_session(session_id)
        tree = self._services.sessions.tree(record.id)  # stored: the checks read it
        if checks is None:
            checks = self._required_checks(record, tree)
        runs = self._services.gate.run_checks(
            self.tenant, record.id, tree, list(checks), actor=self.actor, base_tree=record.base_tree
        )
        return [check_run(r, tree) for r in runs]

    def _required_checks(self, record: SessionRecord, tree: ObjectId) -> list[str]:
        """What a commit of ``tree`` to the session's branch would run (none when the branch
        is not protected)."""
        if record.source is None:
            return []
        branch = record.ref or self._services.catalog.get_source(record.source).default_branch
        policy = self._services.policies.get(record.source, branch)
        if policy is None:
            return []
        implied = self._services.gate.implied_checks(tree, record.base_tree)
        return list(dict.fromkeys([*policy.required_checks, *implied]))

    def list_check_runs(
        self,
        session_id: str,
        *,
        current: bool = False,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[CheckRun]:
        sid = self._sid(session_id)
        tree = self._tree(sid)
        runs = self._services.check_runs.list(sid, tree_id=tree if current else None)
        return page_of([check_run(r, tree) for r in runs], cursor, limit)

    # ----------------------------------------------------------------- policies
    @audited(
        "branch.protect",
        source="source",
        subject="branch",
        details={"required_approvals": "required_approvals"},
    )
    def protect_branch(
        self,
        source: str,
        branch: str,
        *,
        required_approvals: int = 1,
        required_checks: Sequence[str] = (),
    ) -> BranchPolicy:
        policy = self._services.policies.protect(
            self.tenant,
            self._source_name(source),
            branch,
            actor=self.actor,
            required_approvals=required_approvals,
            required_checks=required_checks,
        )
        return branch_policy(policy)

    @audited("branch.unprotect", source="source", subject="branch")
    def unprotect_branch(self, source: str, branch: str) -> None:
        self._services.policies.unprotect(self._source_name(source), branch)

    def get_branch_policy(self, source: str, branch: str) -> BranchPolicy:
        policy = self._services.policies.get(self._source_name(source), branch)
        if policy is None:
            raise NotFound(f"branch {branch!r} of {source!r} is not protected")
        return branch_policy(policy)

    def list_branch_policies(self, source: str) -> list[BranchPolicy]:
        return [branch_policy(p) for p in self._services.policies.list(self._source_name(source))]


def _default_reason(record: SessionRecord) -> str:
    if record.source is None or record.ref is None:
        return "COMMIT"
    return sorted(commit_reasons(record.ref) - {"COMMIT"})[0]
