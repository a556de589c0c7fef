"""Approvals: a request (a reason such as ``COMMIT_TO_MAIN``, details) that a reviewer other
than the requester grants or denies.

A request names the session tree it was made on, and a reviewer can only grant that exact
tree. Once the session changes, every pending or granted approval of the older tree is
``stale``: it counts for nothing and a new request is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from aether_data.catalog import Catalog, ReviewKind, ReviewRecord
from aether_data.errors import Conflict, Forbidden, Invalid
from aether_data.ids import ObjectId, SessionId

from ._records import all_records, new_id, owned_record, update_record

__all__ = [
    "DEFAULT_REASON",
    "Approval",
    "ApprovalState",
    "Approvals",
    "commit_reasons",
]

DEFAULT_REASON = "COMMIT"
"""The reason of a request that names none: approval to commit to any branch."""

_REASON = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


class ApprovalState(StrEnum):
    """``pending``, ``granted`` and ``denied`` are kept; ``stale`` is a pending or granted
    approval of a tree the session has moved on from."""

    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Approval:
    """A request for approval of one session tree, and its decision."""

    id: str
    session_id: str
    reason: str
    tree_id: str
    requested_by: str
    decision: ApprovalState
    details: Mapping[str, Any] = field(default_factory=dict)
    decided_by: str | None = None
    comment: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def state(self, current_tree: str) -> ApprovalState:
        """Its state, given the session's tree now."""
        if self.decision is not ApprovalState.DENIED and self.tree_id != current_tree:
            return ApprovalState.STALE
        return self.decision


def commit_reasons(branch: str) -> set[str]:
    """The reasons that approve a commit to ``branch``: ``COMMIT`` and ``COMMIT_TO_<BRANCH>``
    (upper case, other characters as ``_``; ``feature/x`` gives ``COMMIT_TO_FEATURE_X``)."""
    return {DEFAULT_REASON, "COMMIT_TO_" + re.sub(r"[^A-Z0-9]", "_", branch.upper())}


def _approval(record: ReviewRecord) -> Approval:
    data = record.data
    return Approval(
        id=record.id,
        session_id=record.session_id or "",
        reason=data["reason"],
        tree_id=data["tree"],
        requested_by=record.author,
        decision=ApprovalState(record.state),
        details=data.get("details", {}),
        decided_by=data.get("decided_by"),
        comment=data.get("comment", ""),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _check_reason(reason: str) -> str:
    if not isinstance(reason, str) or not _REASON.fullmatch(reason):
        raise Invalid(
            f"invalid reason {reason!r}: want upper-case letters, digits and '_' "
            "(such as COMMIT or COMMIT_TO_MAIN), at most 64"
        )
    return reason


class Approvals:
    """Request, grant, deny and count the approvals of sessions."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def request(
        self,
        tenant: str,
        session_id: SessionId,
        tree_id: ObjectId,
        *,
        actor: str,
        reason: str = DEFAULT_REASON,
        details: Mapping[str, Any] | None = None,
    ) -> Approval:
        """Ask for approval of the session as it is (``tree_id``). A pending request by the
        same actor, for the same reason and tree, is returned instead of a second one."""
        _check_reason(reason)
        for approval in self.list(session_id):
            same = (approval.reason, approval.tree_id, approval.requested_by)
            if approval.decision is ApprovalState.PENDING and same == (reason, tree_id, actor):
                return approval
        data = {"reason": reason, "tree": tree_id, "details": dict(details or {})}
        record = ReviewRecord(
            id=new_id("apr"),
            kind=ReviewKind.APPROVAL,
            tenant=tenant,
            state=ApprovalState.PENDING,
            author=actor,
            data=data,
            session_id=session_id,
        )
        return _approval(self.catalog.create_review(record))

    def get(self, session_id: str, approval_id: str) -> Approval:
        """The approval; ``NotFound`` unless it is one of ``session_id``'s."""
        return _approval(self._record(session_id, approval_id))

    def _record(self, session_id: str, approval_id: str) -> ReviewRecord:
        return owned_record(self.catalog, ReviewKind.APPROVAL, approval_id, session_id, "approval")

    def list(self, session_id: SessionId) -> list[Approval]:
        """The session's approvals, oldest first."""
        return [
            _approval(r)
            for r in all_records(self.catalog, ReviewKind.APPROVAL, session_id=session_id)
        ]

    def decide(
        self,
        session_id: str,
        approval_id: str,
        *,
        grant: bool,
        actor: str,
        current_tree: ObjectId,
        comment: str = "",
    ) -> Approval:
        """Grant or deny a pending request as ``actor``, who must not be its requester.

        Raises:
            Forbidden: ``actor`` requested it (no self-approval).
            Conflict: it was decided already, or the session changed since it was requested
                (granting is refused; ask for a new request).
        """
        if not isinstance(comment, str):
            raise Invalid("a comment is text")

        def change(record: ReviewRecord) -> tuple[str, dict[str, Any]]:
            approval = _approval(record)
            self._check_decidable(approval, actor, grant, current_tree)
            decision = ApprovalState.GRANTED if grant else ApprovalState.DENIED
            return decision, {**record.data, "decided_by": actor, "comment": comment}

        record = self._record(session_id, approval_id)
        return _approval(update_record(self.catalog, record, change))

    @staticmethod
    def _check_decidable(approval: Approval, actor: str, grant: bool, current_tree: str) -> None:
        if approval.requested_by == actor:
            raise Forbidden(
                f"{actor} requested approval {approval.id} and cannot decide it; "
                "another reviewer must"
            )
        if approval.decision is not ApprovalState.PENDING:
            by = approval.decided_by
            raise Conflict(f"approval {approval.id} was {approval.decision.value} by {by} already")
        if grant and approval.tree_id != current_tree:
            raise Conflict(
                f"session {approval.session_id} changed since approval {approval.id} was "
                "requested; the requester must ask again for the current tree"
            )

    def approvers(self, session_id: SessionId, tree_id: ObjectId, reasons: set[str]) -> set[str]:
        """Who granted a request for one of ``reasons`` on exactly ``tree_id``."""
        return {
            a.decided_by or ""
            for a in self.list(session_id)
            if a.state(tree_id) is ApprovalState.GRANTED and a.reason in reasons
        }
