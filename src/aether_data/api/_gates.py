"""``/v1/sessions/{id}/annotations|approvals|checks``, ``/v1/checks`` and
``/v1/sources/{name}/policies``: the review gates (``GatesAPI``).

Who acts (annotation author, requester, reviewer) is the caller's token: ``ReviewDep`` is the
tenant's review acting as it, so a reviewer cannot grant their own request. A branch name
travels in the URL path and may hold slashes; each segment is percent-decoded once, so
``feature/x`` and ``feature%2Fx`` name the same branch. Listings are pages, like every other
listing of the API (the client follows the cursors of the two the protocol returns whole).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from litestar import Controller, Request
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from aether_data.api._review import ReviewDep
from aether_data.api._routes import operation, page_of
from aether_data.errors import Invalid
from aether_data.service import Scope
from aether_data.wire import Page
from aether_data.wire.gates import (
    AnnotateRequest,
    Annotation,
    AnnotationState,
    Approval,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalState,
    BranchPolicy,
    CheckInfo,
    CheckRun,
    ProtectRequest,
    RunChecksRequest,
)

__all__ = [
    "AnnotationsController",
    "ApprovalsController",
    "ChecksController",
    "PoliciesController",
]

AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the page before.")]
_READ, _WRITE = Scope.SESSION_READ.value, Scope.SESSION_WRITE.value
_APPROVE, _ADMIN = Scope.REVIEW_APPROVE.value, Scope.ADMIN.value
_SOURCE_READ = Scope.SOURCE_READ.value
# A handler argument named "state" is Litestar's app state: the filters go by another name in
# Python and keep "state" on the wire.
AnnotationFilter = Annotated[
    AnnotationState | None, QueryParameter(name="state", description="Only in this state.")
]
ApprovalFilter = Annotated[
    ApprovalState | None, QueryParameter(name="state", description="Only in this state.")
]
_BRANCH_AT = 5  # "/v1/sources/{name}/policies/" holds five segments before the branch
_STALE = {412: "content_hash is not the file's content any more."}
_DECIDE = {
    403: "The token lacks review.approve, or the caller requested this approval.",
    409: "The approval is decided already, or the session changed since the request.",
}


class AnnotationsController(Controller):
    """Notes on a session's files; an annotation is ``outdated`` once its file changes."""

    path = "/v1/sessions/{session_id:str}/annotations"
    tags = ["annotations"]

    @operation(
        "POST", "/", scope=_WRITE, summary="Annotate a file", status_code=201, problems=_STALE
    )
    def annotate(
        self, review: ReviewDep, session_id: FromPath[str], data: JSONBody[AnnotateRequest]
    ) -> Annotation:
        """``content_hash``: only if the file still has that content (else 412)."""
        return review.annotate(
            session_id, data.path, data.body, lines=data.lines, content_hash=data.content_hash
        )

    @operation("GET", "/", scope=_READ, summary="List a session's annotations")
    def list_annotations(
        self,
        *,
        review: ReviewDep,
        session_id: FromPath[str],
        path: Annotated[str | None, QueryParameter(description="A file or a folder.")] = None,
        author: FromQuery[str | None] = None,
        wanted: AnnotationFilter = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Annotation]:
        return review.list_annotations(
            session_id, path=path, author=author, state=wanted, cursor=cursor or None, limit=limit
        )

    @operation("GET", "/{annotation_id:str}", scope=_READ, summary="Get an annotation")
    def get_annotation(
        self, review: ReviewDep, session_id: FromPath[str], annotation_id: FromPath[str]
    ) -> Annotation:
        return review.get_annotation(session_id, annotation_id)

    @operation(
        "POST",
        "/{annotation_id:str}/resolve",
        scope=_WRITE,
        summary="Resolve an annotation",
        status_code=200,
    )
    def resolve_annotation(
        self, review: ReviewDep, session_id: FromPath[str], annotation_id: FromPath[str]
    ) -> Annotation:
        return review.resolve_annotation(session_id, annotation_id)

    @operation(
        "POST",
        "/{annotation_id:str}/reopen",
        scope=_WRITE,
        summary="Reopen an annotation",
        status_code=200,
    )
    def reopen_annotation(
        self, review: ReviewDep, session_id: FromPath[str], annotation_id: FromPath[str]
    ) -> Annotation:
        return review.reopen_annotation(session_id, annotation_id)


class ApprovalsController(Controller):
    """Requests for approval of a session's tree, and reviewers' decisions."""

    path = "/v1/sessions/{session_id:str}/approvals"
    tags = ["approvals"]

    @operation("POST", "/", scope=_WRITE, summary="Request approval", status_code=201)
    def request_approval(
        self,
        review: ReviewDep,
        session_id: FromPath[str],
        data: JSONBody[ApprovalRequest | None] = None,
    ) -> Approval:
        """Of the session as it is now; no ``reason``: ``COMMIT_TO_<its branch>``."""
        data = data or ApprovalRequest()
        return review.request_approval(session_id, reason=data.reason, details=data.details)

    @operation("GET", "/", scope=_READ, summary="List a session's approvals")
    def list_approvals(
        self,
        *,
        review: ReviewDep,
        session_id: FromPath[str],
        wanted: ApprovalFilter = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[Approval]:
        return review.list_approvals(session_id, state=wanted, cursor=cursor or None, limit=limit)

    @operation("GET", "/{approval_id:str}", scope=_READ, summary="Get an approval")
    def get_approval(
        self, review: ReviewDep, session_id: FromPath[str], approval_id: FromPath[str]
    ) -> Approval:
        return review.get_approval(session_id, approval_id)

    @operation(
        "POST",
        "/{approval_id:str}/grant",
        scope=_APPROVE,
        summary="Grant an approval",
        status_code=200,
        problems=_DECIDE,
    )
    def grant_approval(
        self,
        review: ReviewDep,
        session_id: FromPath[str],
        approval_id: FromPath[str],
        data: JSONBody[ApprovalDecision | None] = None,
    ) -> Approval:
        """403 for the requester themself; 409 once decided or when the session changed."""
        comment = (data or ApprovalDecision()).comment
        return review.grant_approval(session_id, approval_id, comment=comment)

    @operation(
        "POST",
        "/{approval_id:str}/deny",
        scope=_APPROVE,
        summary="Deny an approval",
        status_code=200,
        problems=_DECIDE,
    )
    def deny_approval(
        self,
        review: ReviewDep,
        session_id: FromPath[str],
        approval_id: FromPath[str],
        data: JSONBody[ApprovalDecision | None] = None,
    ) -> Approval:
        """403 for the requester themself; 409 once decided."""
        comment = (data or ApprovalDecision()).comment
        return review.deny_approval(session_id, approval_id, comment=comment)


class ChecksController(Controller):
    """The checks the server knows, and their reports on sessions."""

    path = "/v1"
    tags = ["checks"]

    @operation("GET", "/checks", scope=_READ, summary="List the server's checks")
    def list_checks(
        self, review: ReviewDep, cursor: Cursor = None, limit: Limit = 100
    ) -> Page[CheckInfo]:
        return page_of(review.list_checks(), lambda check: check.name, cursor or None, limit)

    @operation(
        "POST",
        "/sessions/{session_id:str}/checks",
        scope=_WRITE,
        summary="Run checks on a session",
        status_code=200,
    )
    def run_checks(
        self,
        review: ReviewDep,
        session_id: FromPath[str],
        data: JSONBody[RunChecksRequest | None] = None,
    ) -> list[CheckRun]:
        """No ``checks``: those the session's branch requires. A failing check is a report
        with ``status: failed``, not an error."""
        return review.run_checks(session_id, None if data is None else data.checks)

    @operation(
        "GET", "/sessions/{session_id:str}/checks", scope=_READ, summary="List check reports"
    )
    def list_check_runs(
        self,
        *,
        review: ReviewDep,
        session_id: FromPath[str],
        current: Annotated[
            bool, QueryParameter(description="Only reports on the session's tree now.")
        ] = False,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> Page[CheckRun]:
        return review.list_check_runs(
            session_id, current=current, cursor=cursor or None, limit=limit
        )


def _branch(request: AnyRequest) -> str:
    """The branch after ``/policies/`` in the raw path, exactly as sent: Litestar's ``path``
    parameter is normalized like a file path (``a//b`` would become ``a/b``), and a branch
    name is the policy's key, for the service to take or refuse as it is."""
    raw = request.scope["raw_path"].decode("latin-1").split("?", 1)[0].rstrip("/")
    try:
        branch = "/".join(unquote(s, errors="strict") for s in raw.split("/")[_BRANCH_AT:])
    except UnicodeDecodeError as exc:
        raise Invalid("the branch name is not valid UTF-8 once percent-decoded") from exc
    if not branch:
        raise Invalid("name the branch after /policies/")
    return branch


class PoliciesController(Controller):
    """Protected branches of a source: what a commit to each needs."""

    path = "/v1/sources/{name:str}/policies"
    tags = ["policies"]

    @operation("GET", "/", scope=_SOURCE_READ, summary="List a source's branch policies")
    def list_branch_policies(
        self, review: ReviewDep, name: FromPath[str], cursor: Cursor = None, limit: Limit = 100
    ) -> Page[BranchPolicy]:
        policies = review.list_branch_policies(name)
        return page_of(policies, lambda policy: policy.branch, cursor or None, limit)

    @operation("GET", "/{branch:path}", scope=_SOURCE_READ, summary="Get a branch's policy")
    def get_branch_policy(
        self, request: AnyRequest, review: ReviewDep, name: FromPath[str]
    ) -> BranchPolicy:
        return review.get_branch_policy(name, _branch(request))

    @operation("PUT", "/{branch:path}", scope=_ADMIN, summary="Protect a branch")
    def protect_branch(
        self,
        request: AnyRequest,
        review: ReviewDep,
        name: FromPath[str],
        data: JSONBody[ProtectRequest | None] = None,
    ) -> BranchPolicy:
        """Sets (or replaces) the policy; the branch need not exist yet. No body: one
        approval, no checks."""
        data = data or ProtectRequest()
        return review.protect_branch(
            name,
            _branch(request),
            required_approvals=data.required_approvals,
            required_checks=data.required_checks,
        )

    @operation(
        "DELETE", "/{branch:path}", scope=_ADMIN, summary="Unprotect a branch", status_code=204
    )
    def unprotect_branch(self, request: AnyRequest, review: ReviewDep, name: FromPath[str]) -> None:
        review.unprotect_branch(name, _branch(request))
