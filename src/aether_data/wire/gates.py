"""``GatesAPI``: annotations, approvals, checks and branch policies, as every surface sees
them; ``ReviewAPI`` includes it. The embedded implementation is
``aether_data.service.EmbeddedReview``; the HTTP client implements it too.

HTTP routes (under ``/v1``, bearer token):

=========================================================  ===================  ==============
route                                                      method               scope
=========================================================  ===================  ==============
POST   /sessions/{id}/annotations                          annotate             session.write
GET    /sessions/{id}/annotations?path=&author=&state=     list_annotations     session.read
       &cursor=&limit=
GET    /sessions/{id}/annotations/{aid}                    get_annotation       session.read
POST   /sessions/{id}/annotations/{aid}/resolve            resolve_annotation   session.write
POST   /sessions/{id}/annotations/{aid}/reopen             reopen_annotation    session.write
POST   /sessions/{id}/approvals                            request_approval     session.write
GET    /sessions/{id}/approvals?state=&cursor=&limit=      list_approvals       session.read
GET    /sessions/{id}/approvals/{aid}                      get_approval         session.read
POST   /sessions/{id}/approvals/{aid}/grant                grant_approval       review.approve
POST   /sessions/{id}/approvals/{aid}/deny                 deny_approval        review.approve
GET    /checks                                             list_checks          session.read
POST   /sessions/{id}/checks                               run_checks           session.write
GET    /sessions/{id}/checks?current=&cursor=&limit=       list_check_runs      session.read
GET    /sources/{name}/policies                            list_branch_policies source.read
GET    /sources/{name}/policies/{branch}                   get_branch_policy    source.read
PUT    /sources/{name}/policies/{branch}                   protect_branch       admin
DELETE /sources/{name}/policies/{branch}                   unprotect_branch     admin
=========================================================  ===================  ==============

``{branch}`` may hold slashes (``feature/x``). Who acts (annotation author, requester,
reviewer) is the caller: the token's id over HTTP, ``AETHER_ACTOR`` (default ``local``) in
embedded mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from aether_data.wire.models import Page

__all__ = [
    "AnnotateRequest",
    "Annotation",
    "AnnotationState",
    "Approval",
    "ApprovalDecision",
    "ApprovalRequest",
    "ApprovalState",
    "BranchPolicy",
    "CheckInfo",
    "CheckRun",
    "CheckStatus",
    "Finding",
    "GatesAPI",
    "ProtectRequest",
    "RunChecksRequest",
]

AnnotationState = Literal["open", "resolved", "outdated"]
ApprovalState = Literal["pending", "granted", "denied", "stale"]
CheckStatus = Literal["passed", "failed", "error"]


class Annotation(msgspec.Struct, frozen=True, kw_only=True):
    """A note on a file (``lines``: first and last, 1-based) written against ``content_hash``;
    ``outdated`` once the file's content is no longer that."""

    id: str
    session_id: str
    path: str
    body: str
    author: str
    content_hash: str
    state: AnnotationState
    outdated: bool
    created_at: datetime
    updated_at: datetime
    lines: tuple[int, int] | None = None
    resolved_by: str | None = None


class AnnotateRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /v1/sessions/{id}/annotations``."""

    path: str
    body: str
    lines: tuple[int, int] | None = None
    content_hash: str | None = None


class Approval(msgspec.Struct, frozen=True, kw_only=True):
    """A request for approval of the session tree ``tree``, and its decision."""

    id: str
    session_id: str
    reason: str
    tree: str
    requested_by: str
    state: ApprovalState
    created_at: datetime
    updated_at: datetime
    details: dict[str, Any] = msgspec.field(default_factory=dict)
    decided_by: str | None = None
    comment: str = ""


class ApprovalRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /v1/sessions/{id}/approvals``."""

    reason: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class ApprovalDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST .../grant`` and ``.../deny``."""

    comment: str = ""


class CheckInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A check the server knows."""

    name: str
    description: str


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One problem a check found."""

    message: str
    path: str | None = None
    line: int | None = None


class CheckRun(msgspec.Struct, frozen=True, kw_only=True):
    """The report of one check on one tree of a session; ``current``: that tree is the
    session's tree now."""

    id: str
    session_id: str
    check: str
    tree: str
    status: CheckStatus
    summary: str
    actor: str
    created_at: datetime
    current: bool
    findings: list[Finding] = msgspec.field(default_factory=list)
    output: str = ""


class RunChecksRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /v1/sessions/{id}/checks``; no ``checks``: those the session's branch
    requires."""

    checks: list[str] | None = None


class BranchPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """What a commit to ``source@branch`` needs."""

    source: str
    branch: str
    required_approvals: int
    required_checks: list[str]
    updated_by: str
    updated_at: datetime


class ProtectRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``PUT /v1/sources/{name}/policies/{branch}``."""

    required_approvals: int = 1
    required_checks: list[str] = msgspec.field(default_factory=list)


@runtime_checkable
class GatesAPI(Protocol):
    """Annotations, approvals, checks and branch policies of one tenant."""

    def annotate(
        self,
        session_id: str,
        path: str,
        body: str,
        *,
        lines: tuple[int, int] | None = None,
        content_hash: str | None = None,
    ) -> Annotation:
        """Annotate the file at ``path`` as it is now. With ``content_hash``: only if the file
        still has that content (``PreconditionFailed``). ``NotFound``: no such file."""
        ...

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
        """The session's annotations, oldest first; ``path`` is a file or a folder."""
        ...

    def get_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        """One annotation of the session."""
        ...

    def resolve_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        """Mark it resolved (again: no change)."""
        ...

    def reopen_annotation(self, session_id: str, annotation_id: str) -> Annotation:
        """Open it again (if open: no change)."""
        ...

    def request_approval(
        self, session_id: str, *, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> Approval:
        """Ask for approval of the session as it is now. ``reason``: upper-case words such as
        ``COMMIT_TO_MAIN``; default ``COMMIT_TO_<its branch>`` (``COMMIT`` without a source)."""
        ...

    def list_approvals(
        self,
        session_id: str,
        *,
        state: ApprovalState | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Approval]:
        """The session's approvals, oldest first."""
        ...

    def get_approval(self, session_id: str, approval_id: str) -> Approval:
        """One approval of the session."""
        ...

    def grant_approval(self, session_id: str, approval_id: str, *, comment: str = "") -> Approval:
        """Grant a pending request. ``Forbidden``: the caller requested it. ``Conflict``: it is
        decided already, or the session changed since the request."""
        ...

    def deny_approval(self, session_id: str, approval_id: str, *, comment: str = "") -> Approval:
        """Deny a pending request (same rules as granting, except the tree may have moved)."""
        ...

    def list_checks(self) -> list[CheckInfo]:
        """The checks the service knows, by name."""
        ...

    def run_checks(self, session_id: str, checks: Sequence[str] | None = None) -> list[CheckRun]:
        """Run checks on the session's tree now and keep their reports; ``None``: those its
        branch requires."""
        ...

    def list_check_runs(
        self,
        session_id: str,
        *,
        current: bool = False,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[CheckRun]:
        """Reports of checks on the session, oldest first; ``current``: only on its tree now."""
        ...

    def protect_branch(
        self,
        source: str,
        branch: str,
        *,
        required_approvals: int = 1,
        required_checks: Sequence[str] = (),
    ) -> BranchPolicy:
        """Set the policy of ``source@branch`` (the branch need not exist yet)."""
        ...

    def unprotect_branch(self, source: str, branch: str) -> None:
        """Drop the policy; ``NotFound`` if the branch is not protected."""
        ...

    def get_branch_policy(self, source: str, branch: str) -> BranchPolicy:
        """The policy; ``NotFound`` if the branch is not protected."""
        ...

    def list_branch_policies(self, source: str) -> list[BranchPolicy]:
        """The policies of a source, by branch."""
        ...
