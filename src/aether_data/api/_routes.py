"""Route declaration in one place: every operation names its scope once, and that one value
drives the guard, the OpenAPI security requirement and the ``x-aether-scope`` extension."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, make_dataclass
from functools import cache
from typing import Any, TypeVar

from litestar import delete, get, head, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from aether_data.wire import PROBLEM_CONTENT_TYPE, Page, Problem

__all__ = ["BEARER", "BINARY_ANSWER", "PUBLIC", "WHOEVER", "operation", "page_of"]

T = TypeVar("T")

BEARER = "bearer"
"""Name of the OpenAPI security scheme: ``Authorization: Bearer aet_...``."""
PUBLIC = ""
"""Scope of an operation that needs no token (health, metrics)."""
WHOEVER = "any"
"""Scope of an operation any valid token may call (whoami)."""

BINARY_ANSWER = ResponseSpec(
    data_container=bytes, description="The bytes, streamed.", media_type="application/octet-stream"
)
"""An OpenAPI answer of raw bytes (files, archives)."""

_DECORATORS = {"GET": get, "HEAD": head, "POST": post, "PUT": put, "DELETE": delete}
_PROBLEMS = {
    400: "The request is malformed or unsafe (body, parameters, path).",
    401: "No token, or an unknown, expired or revoked one.",
    403: "The token lacks the operation's scope, or the target is protected or read-only.",
    404: "No such thing in the caller's tenant.",
}


_BINARY_BODY = RequestBody(
    content={
        "application/octet-stream": OpenAPIMediaType(
            schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        )
    },
    description="The bytes, streamed.",
    required=True,
)


@cache
def _operation_class(scope: str, binary_body: bool) -> type[Operation]:
    """An ``Operation`` that also renders ``x-aether-scope: <scope>`` and, for handlers that
    stream their body themselves, documents that body."""
    extension = ("x_aether_scope", str, field(default=scope, metadata={"alias": "x-aether-scope"}))

    def with_body(self: Operation) -> None:
        if binary_body and self.request_body is None:
            self.request_body = _BINARY_BODY

    name = f"ScopedOperation_{scope.replace('.', '_')}{'_binary' if binary_body else ''}"
    return make_dataclass(
        name, [extension], bases=(Operation,), namespace={"__post_init__": with_body}
    )


def _problem_responses(more: Mapping[int, str]) -> dict[int, ResponseSpec]:
    return {
        code: ResponseSpec(
            data_container=Problem, description=text, media_type=PROBLEM_CONTENT_TYPE
        )
        for code, text in {**_PROBLEMS, **more}.items()
    }


def operation(
    method: str,
    path: str,
    *,
    scope: str,
    summary: str,
    binary_body: bool = False,
    problems: Mapping[int, str] | None = None,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a route handler with its required ``scope``.

    Sync functions run in the thread pool (domain code is synchronous). Protected operations
    carry the bearer security requirement, name their scope in the description and in
    ``x-aether-scope``, and document their 401/403 problem answers.

    Args:
        method: ``GET``, ``HEAD``, ``POST``, ``PUT`` or ``DELETE``.
        path: The route path, relative to its controller.
        scope: The scope the caller's token needs (``PUBLIC``: none, ``WHOEVER``: any token).
        summary: One line for the OpenAPI operation.
        binary_body: The handler streams a binary request body (documented as such).
        problems: More problem answers to document than the usual 400-404, by status.
        **options: Passed to the Litestar route decorator.
    """
    protected = scope != PUBLIC
    if protected:
        needs = "any valid token" if scope == WHOEVER else f"scope `{scope}` (or `admin`)"
        options.setdefault("description", f"Requires {needs}.")
        options["security"] = [{BEARER: []}]
        options["operation_class"] = _operation_class(scope, binary_body)
        documented = _problem_responses(problems or {})
        options["responses"] = {**documented, **options.get("responses", {})}
    options["opt"] = {"scope": scope, **options.get("opt", {})}

    def declare(fn: Callable[..., Any]) -> Any:
        sync = {} if inspect.iscoroutinefunction(fn) else {"sync_to_thread": True}
        decorator = _DECORATORS[method]
        operation_id = options.pop("operation_id", fn.__name__)
        return decorator(path, summary=summary, operation_id=operation_id, **sync, **options)(fn)

    return declare


def page_of(items: Sequence[T], key: Callable[[T], str], cursor: str | None, limit: int) -> Page[T]:
    """One page of a whole, ``key``-sorted list: the items after ``cursor``, ``limit`` of them.

    For listings the workspace returns whole (``listdir``, ``diff``): the cursor is the key of
    the last item sent, so a page stays correct when items before it come or go.
    """
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if cursor is None or key(item) > cursor]
    chosen = rest[:limit]
    more = len(rest) > limit
    return Page(items=chosen, next_cursor=key(chosen[-1]) if more and chosen else None)
