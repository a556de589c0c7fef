"""Every error leaves as RFC 9457 problem+json: the project's error families through the one
table of ``wire.problems``, Litestar's own HTTP errors by status, anything else as a generic 500
(logged here, never shown to the caller)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from aether_data.errors import (
    AetherError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
)
from aether_data.wire import PROBLEM_CONTENT_TYPE, Problem, problem_from_error

__all__ = ["EXCEPTION_HANDLERS", "problem_response"]

_log = logging.getLogger("aether_data.api")
_TYPE_PREFIX = "urn:aether:problem:"
_FAMILY_OF_STATUS: dict[int, type[AetherError]] = {
    400: Invalid,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: TooLarge,
}


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    """The response carrying ``problem`` (401s also say how to authenticate)."""
    extra = {"WWW-Authenticate": 'Bearer realm="aether"'} if problem.status == 401 else {}
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers={**(headers or {}), **extra},
    )


def _on_aether_error(request: Request, exc: AetherError) -> Response:
    problem = problem_from_error(exc, instance=request.url.path)
    if problem.status >= 500:
        _log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return problem_response(problem)


def _on_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        return _on_unexpected(request, exc)
    family = _FAMILY_OF_STATUS.get(status)
    if family is not None:
        problem = problem_from_error(family(exc.detail), instance=request.url.path)
    else:
        problem = Problem(
            type=f"{_TYPE_PREFIX}http-{status}",
            title=HTTPStatus(status).phrase,
            status=status,
            detail=exc.detail,
            instance=request.url.path,
        )
    if exc.extra:
        problem.extra = {"errors": exc.extra}
    return problem_response(problem, exc.headers)


def _on_unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    problem = Problem(
        type=f"{_TYPE_PREFIX}internal",
        title="Internal error",
        status=500,
        detail="the server failed unexpectedly; its log has the details",
        instance=request.url.path,
    )
    return problem_response(problem)


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    AetherError: _on_aether_error,
    HTTPException: _on_http_exception,
    Exception: _on_unexpected,
}
"""For ``Litestar(exception_handlers=...)``."""
