"""One plan per method of ``GatesAPI``: annotations, approvals, checks and branch policies.
The contract is documented once, on ``aether_data.wire.gates``; the docstrings here only name
the route.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from aether_data.client._calls import Call, Plan, json_call, segment
from aether_data.errors import Invalid
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

# Every plan below; the clients turn each into a method of the same name.
__all__ = [
    "annotate",
    "deny_approval",
    "get_annotation",
    "get_approval",
    "get_branch_policy",
    "grant_approval",
    "list_annotations",
    "list_approvals",
    "list_branch_policies",
    "list_check_runs",
    "list_checks",
    "protect_branch",
    "reopen_annotation",
    "request_approval",
    "resolve_annotation",
    "run_checks",
    "unprotect_branch",
]

T = TypeVar("T")

_MOST = 1000  # items per page the server sends at most


def _session(session_id: str, *rest: str) -> str:
    return "/".join((f"/v1/sessions/{segment(session_id)}", *rest))


def _policies(source: str, branch: str | None = None) -> str:
    """``/v1/sources/{name}/policies[/{branch}]``; the branch keeps its slashes."""
    url = f"/v1/sources/{segment(source)}/policies"
    return url if branch is None else f"{url}/{_branch(branch)}"


def _branch(branch: str) -> str:
    """Each ``/``-separated part of a branch name encoded on its own."""
    if not isinstance(branch, str) or not branch:
        raise Invalid("a branch policy needs a branch name")
    if "" in branch.split("/"):
        # The server would never see the empty part: say why here.
        raise Invalid(f"branch {branch!r} may not start or end with '/' nor hold '//'")
    return "/".join(segment(part) for part in branch.split("/"))


def _every_page(url: str, item: type[T]) -> Plan[list[T]]:
    """Every item of a listing the protocol returns whole (the server sends it in pages)."""
    items: list[T] = []
    cursor = None
    while True:
        params = {"cursor": cursor, "limit": _MOST}
        page = yield from json_call("GET", url, Page[item], params=params)  # type: ignore[valid-type]
        items.extend(page.items)
        if (cursor := page.next_cursor) is None:
            return items


# ----------------------------------------------------------------------------- annotations
def annotate(
    session_id: str,
    path: str,
    body: str,
    *,
    lines: tuple[int, int] | None = None,
    content_hash: str | None = None,
) -> Plan[Annotation]:
    """``POST /v1/sessions/{id}/annotations``."""
    request = AnnotateRequest(path=path, body=body, lines=lines, content_hash=content_hash)
    url = _session(session_id, "annotations")
    return (yield from json_call("POST", url, Annotation, json=request))


def list_annotations(
    session_id: str,
    *,
    path: str | None = None,
    author: str | None = None,
    state: AnnotationState | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[Annotation]]:
    """``GET /v1/sessions/{id}/annotations``."""
    params = {"path": path, "author": author, "state": state, "cursor": cursor, "limit": limit}
    url = _session(session_id, "annotations")
    return (yield from json_call("GET", url, Page[Annotation], params=params))


def get_annotation(session_id: str, annotation_id: str) -> Plan[Annotation]:
    """``GET /v1/sessions/{id}/annotations/{aid}``."""
    url = _session(session_id, "annotations", segment(annotation_id))
    return (yield from json_call("GET", url, Annotation))


def resolve_annotation(session_id: str, annotation_id: str) -> Plan[Annotation]:
    """``POST /v1/sessions/{id}/annotations/{aid}/resolve``."""
    url = _session(session_id, "annotations", segment(annotation_id), "resolve")
    return (yield from json_call("POST", url, Annotation))


def reopen_annotation(session_id: str, annotation_id: str) -> Plan[Annotation]:
    """``POST /v1/sessions/{id}/annotations/{aid}/reopen``."""
    url = _session(session_id, "annotations", segment(annotation_id), "reopen")
    return (yield from json_call("POST", url, Annotation))


# ----------------------------------------------------------------------------- approvals
def request_approval(
    session_id: str, *, reason: str | None = None, details: dict[str, Any] | None = None
) -> Plan[Approval]:
    """``POST /v1/sessions/{id}/approvals``."""
    request = ApprovalRequest(reason=reason, details=dict(details or {}))
    url = _session(session_id, "approvals")
    return (yield from json_call("POST", url, Approval, json=request))


def list_approvals(
    session_id: str,
    *,
    state: ApprovalState | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[Approval]]:
    """``GET /v1/sessions/{id}/approvals``."""
    params = {"state": state, "cursor": cursor, "limit": limit}
    url = _session(session_id, "approvals")
    return (yield from json_call("GET", url, Page[Approval], params=params))


def get_approval(session_id: str, approval_id: str) -> Plan[Approval]:
    """``GET /v1/sessions/{id}/approvals/{aid}``."""
    url = _session(session_id, "approvals", segment(approval_id))
    return (yield from json_call("GET", url, Approval))


def grant_approval(session_id: str, approval_id: str, *, comment: str = "") -> Plan[Approval]:
    """``POST /v1/sessions/{id}/approvals/{aid}/grant``."""
    url = _session(session_id, "approvals", segment(approval_id), "grant")
    return (yield from json_call("POST", url, Approval, json=ApprovalDecision(comment=comment)))


def deny_approval(session_id: str, approval_id: str, *, comment: str = "") -> Plan[Approval]:
    """``POST /v1/sessions/{id}/approvals/{aid}/deny``."""
    url = _session(session_id, "approvals", segment(approval_id), "deny")
    return (yield from json_call("POST", url, Approval, json=ApprovalDecision(comment=comment)))


# ----------------------------------------------------------------------------- checks
def list_checks() -> Plan[list[CheckInfo]]:
    """``GET /v1/checks``."""
    return (yield from _every_page("/v1/checks", CheckInfo))


def run_checks(session_id: str, checks: Sequence[str] | None = None) -> Plan[list[CheckRun]]:
    """``POST /v1/sessions/{id}/checks``."""
    request = RunChecksRequest(checks=None if checks is None else list(checks))
    url = _session(session_id, "checks")
    return (yield from json_call("POST", url, list[CheckRun], json=request))


def list_check_runs(
    session_id: str,
    *,
    current: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[CheckRun]]:
    """``GET /v1/sessions/{id}/checks``."""
    params = {"current": current, "cursor": cursor, "limit": limit}
    url = _session(session_id, "checks")
    return (yield from json_call("GET", url, Page[CheckRun], params=params))


# ----------------------------------------------------------------------------- policies
def protect_branch(
    source: str,
    branch: str,
    *,
    required_approvals: int = 1,
    required_checks: Sequence[str] = (),
) -> Plan[BranchPolicy]:
    """``PUT /v1/sources/{name}/policies/{branch}``."""
    request = ProtectRequest(
        required_approvals=required_approvals, required_checks=list(required_checks)
    )
    url = _policies(source, branch)
    return (yield from json_call("PUT", url, BranchPolicy, json=request))


def unprotect_branch(source: str, branch: str) -> Plan[None]:
    """``DELETE /v1/sources/{name}/policies/{branch}``."""
    yield Call("DELETE", _policies(source, branch))


def get_branch_policy(source: str, branch: str) -> Plan[BranchPolicy]:
    """``GET /v1/sources/{name}/policies/{branch}``."""
    return (yield from json_call("GET", _policies(source, branch), BranchPolicy))


def list_branch_policies(source: str) -> Plan[list[BranchPolicy]]:
    """``GET /v1/sources/{name}/policies``."""
    return (yield from _every_page(_policies(source), BranchPolicy))
