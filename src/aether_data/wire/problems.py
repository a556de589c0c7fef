"""Errors on the wire: one table from error family to HTTP status, and RFC 9457 problem
details both ways, so the client raises the same exception the embedded workspace would."""

from __future__ import annotations

from typing import Any

import msgspec

from aether_data.errors import (
    AetherError,
    ApprovalRequired,
    ChecksFailed,
    Conflict,
    Corrupt,
    Forbidden,
    Invalid,
    MissingExtra,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "Problem",
    "error_from_problem",
    "problem_from_error",
    "status_of",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Most specific first: TooLarge is an Invalid, ApprovalRequired a Forbidden.
_FAMILIES: tuple[tuple[type[AetherError], int, str, str], ...] = (
    (Unauthorized, 401, "unauthorized", "Unauthorized"),
    (ApprovalRequired, 403, "approval-required", "Approval required"),
    (ChecksFailed, 409, "checks-failed", "Checks failed"),
    (Forbidden, 403, "forbidden", "Forbidden"),
    (NotFound, 404, "not-found", "Not found"),
    (Conflict, 409, "conflict", "Conflict"),
    (PreconditionFailed, 412, "precondition-failed", "Precondition failed"),
    (TooLarge, 413, "too-large", "Content too large"),
    (Invalid, 400, "invalid", "Invalid request"),
    (Corrupt, 500, "corrupt", "Stored data is corrupt"),
    (MissingExtra, 501, "missing-extra", "Feature not installed"),
    (Unavailable, 503, "unavailable", "Backend unavailable"),
)
_TYPE_PREFIX = "urn:aether:problem:"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; ``type`` names the error family."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str | None = None
    extra: dict[str, Any] = {}


def status_of(error: AetherError) -> int:
    """The HTTP status of an error family (500 for one the table does not name)."""
    return _family(error)[1]


def problem_from_error(error: AetherError, *, instance: str | None = None) -> Problem:
    """The problem document for ``error``."""
    _, status, code, title = _family(error)
    extra = {"object_id": error.object_id} if isinstance(error, Corrupt) else {}
    return Problem(
        type=_TYPE_PREFIX + code,
        title=title,
        status=status,
        detail=str(error),
        instance=instance,
        extra=extra,
    )


def error_from_problem(problem: Problem) -> AetherError:
    """The exception a problem document stands for: by ``type``; else by ``status`` for the
    client-error families; else ``Unavailable`` for a gateway or overload answer and a plain
    ``AetherError`` for any other server failure (never ``Corrupt`` by status alone)."""
    for cls, _status, code, _ in _FAMILIES:
        if problem.type == _TYPE_PREFIX + code:
            return _build(cls, problem)
    detail = problem.detail or problem.title
    if problem.status < 500:
        # Backwards: the general family of a status comes after its specific ones.
        for cls, status, _code, _ in reversed(_FAMILIES):
            if problem.status == status:
                return _build(cls, problem)
        return Invalid(f"HTTP {problem.status}: {detail}")
    if problem.status in (502, 503, 504):
        return Unavailable(f"server unavailable ({problem.status}): {detail}")
    return AetherError(f"server error {problem.status}: {detail}")


def _family(error: AetherError) -> tuple[type[AetherError], int, str, str]:
    for family in _FAMILIES:
        if isinstance(error, family[0]):
            return family
    return (AetherError, 500, "internal", "Internal error")


def _build(cls: type[AetherError], problem: Problem) -> AetherError:
    detail = problem.detail or problem.title
    if cls in (Corrupt, MissingExtra):  # their constructors compose the message; keep the server's
        error = cls.__new__(cls)
        Exception.__init__(error, detail)
        if cls is Corrupt:
            error.object_id = str(problem.extra.get("object_id", ""))
            error.detail = detail
        return error
    return cls(detail)
