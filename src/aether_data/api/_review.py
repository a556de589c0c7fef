"""``/v1/sessions/{id}/kv``, ``/v1/sources/{name}/kv``, ``/v1/bus`` and ``/v1/events``:
knowledge entries, the message bus and the audit log (``ReviewAPI``).

Keys travel in the URL path, percent-encoded where needed (``a%2Fb`` and ``a/b`` are the same
key); an entry's entity tag is its version (``"3"``). The two streams are Server-Sent Events:
each message or event is one SSE event whose ``id`` is its sequence number, so a client that
reconnects with ``Last-Event-ID`` resumes without a gap or a repeat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote

import anyio
import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter, SkipValidation
from litestar.response import ServerSentEvent, ServerSentEventMessage

from aether_data.api._routes import operation
from aether_data.api._streams import long_waits
from aether_data.errors import Invalid, PreconditionFailed
from aether_data.service import EmbeddedReview, Scope
from aether_data.wire import Page
from aether_data.wire.review import BusMessage, Event, KvEntry, OwnerKind, PublishRequest

__all__ = [
    "BusController",
    "EventsController",
    "ReviewDep",
    "SessionKvController",
    "SourceKvController",
]

T = TypeVar("T")
ReviewDep = NamedDependency[SkipValidation[EmbeddedReview]]
"""A handler parameter ``review: ReviewDep`` receives the caller's ``ReviewAPI``."""
AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
_POLL = 0.25  # seconds between looks at the catalog while a stream is idle
_KEEP_ALIVE = 15.0  # seconds of silence before a comment keeps proxies from closing a stream


# ---------------------------------------------------------------------------- knowledge
def _key(request: AnyRequest) -> str:
    """The key after ``/kv/`` in the raw path, percent-decoded once (so ``%2F`` is ``/``)."""
    raw = request.scope["raw_path"].decode("latin-1").split("?", 1)[0]
    _, found, encoded = raw.partition("/kv/")
    if not found or not encoded:
        raise Invalid("name the key after /kv/")
    return unquote(encoded, errors="strict")


def _expected_version(request: AnyRequest) -> int | None:
    """``If-None-Match: *`` -> 0 (create only); ``If-Match: "<version>"`` -> that version."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise Invalid("a knowledge write takes only 'If-None-Match: *' (create only)")
        return 0
    if_match = request.headers.get("if-match")
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/")
    if not (tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit()):
        raise PreconditionFailed(f'If-Match {if_match!r} is not a version tag like "3"')
    return int(tag[1:-1])


def _with_tag(entry: KvEntry, status: int = 200) -> Response[KvEntry]:
    return Response(entry, status_code=status, headers={"ETag": f'"{entry.version}"'})


def _kv_controller(owner_kind: OwnerKind, base: str, param: str, read: str, write: str) -> type:
    """The knowledge routes of one kind of owner (sessions or sources); the owner comes from
    the path parameter ``param``, named as the owner's other routes name it."""

    def owner_of(request: AnyRequest) -> str:
        return request.path_params[param]

    def named(method: str) -> str:  # operation ids are unique: sessions' are the API's names
        return method if owner_kind == "session" else f"{owner_kind}_{method}"

    class KvController(Controller):
        path = base
        tags = ["knowledge"]

        @operation(
            "GET",
            "/kv",
            scope=read,
            summary=f"List a {owner_kind}'s knowledge",
            operation_id=named("kv_list"),
        )
        def kv_list(
            self,
            request: AnyRequest,
            review: ReviewDep,
            prefix: Annotated[str, QueryParameter(description="Keys starting with this.")] = "",
            cursor: FromQuery[str | None] = None,
            limit: Limit = 100,
        ) -> Page[KvEntry]:
            owner = owner_of(request)
            return review.kv_list(owner_kind, owner, prefix=prefix, cursor=cursor, limit=limit)

        @operation(
            "GET",
            "/kv/{key:path}",
            scope=read,
            summary=f"Read a {owner_kind}'s entry",
            operation_id=named("kv_get"),
        )
        def kv_get(self, request: AnyRequest, review: ReviewDep) -> Response[KvEntry]:
            return _with_tag(review.kv_get(owner_kind, owner_of(request), _key(request)))

        @operation(
            "PUT",
            "/kv/{key:path}",
            scope=write,
            summary=f"Write a {owner_kind}'s entry",
            binary_body=True,
            operation_id=named("kv_put"),
        )
        async def kv_put(self, request: AnyRequest, review: ReviewDep) -> Response[KvEntry]:
            """The body is the value (raw bytes, at most 1 MiB)."""
            owner, key = owner_of(request), _key(request)
            expected = _expected_version(request)
            value = await request.body()
            entry = await anyio.to_thread.run_sync(
                lambda: review.kv_put(owner_kind, owner, key, value, expected_version=expected)
            )
            return _with_tag(entry, 201 if entry.version == 1 else 200)

        @operation(
            "DELETE",
            "/kv/{key:path}",
            scope=write,
            summary=f"Delete a {owner_kind}'s entry",
            status_code=204,
            operation_id=named("kv_delete"),
        )
        def kv_delete(self, request: AnyRequest, review: ReviewDep) -> None:
            expected = _expected_version(request)
            review.kv_delete(
                owner_kind, owner_of(request), _key(request), expected_version=expected
            )

        @operation(
            "DELETE",
            "/kv",
            scope=write,
            summary=f"Delete a {owner_kind}'s entries",
            status_code=200,
            operation_id=named("kv_delete_prefix"),
        )
        def kv_delete_prefix(
            self, request: AnyRequest, review: ReviewDep, prefix: FromQuery[str]
        ) -> dict[str, int]:
            """Every entry whose key starts with ``prefix`` (``prefix=`` empty: all)."""
            return {"deleted": review.kv_delete_prefix(owner_kind, owner_of(request), prefix)}

    KvController.__name__ = KvController.__qualname__ = f"{owner_kind.title()}KvController"
    return KvController


_S_READ, _S_WRITE = Scope.SESSION_READ.value, Scope.SESSION_WRITE.value
SessionKvController = _kv_controller(
    "session", "/v1/sessions/{session_id:str}", "session_id", _S_READ, _S_WRITE
)
SourceKvController = _kv_controller(
    "source", "/v1/sources/{name:str}", "name", Scope.SOURCE_READ.value, Scope.SOURCE_WRITE.value
)


# ---------------------------------------------------------------------------- streams
def _resume_from(request: AnyRequest, after_seq: int | None) -> int | None:
    """``Last-Event-ID`` (a reconnecting SSE client) wins over the ``after_seq`` parameter."""
    last_id = request.headers.get("last-event-id")
    if last_id is None:
        return after_seq
    if not last_id.strip().isdigit():
        raise Invalid(f"Last-Event-ID must be a sequence number, not {last_id!r}")
    return int(last_id)


async def _sse(
    replay: Sequence[T],
    start: int,
    read: Callable[[int], tuple[Sequence[T], int]],
    seq_of: Callable[[T], int],
    name: str,
) -> AsyncIterator[ServerSentEventMessage]:
    """``replay``, then whatever ``read(seq)`` finds after ``start``, polling while idle."""
    for item in replay:
        yield ServerSentEventMessage(data=_json(item), id=seq_of(item), event=name)
    seq, idle = start, 0.0
    while True:
        items, seq = await anyio.to_thread.run_sync(read, seq, limiter=long_waits())
        for item in items:
            yield ServerSentEventMessage(data=_json(item), id=seq_of(item), event=name)
        if items:
            idle = 0.0
            continue
        await anyio.sleep(_POLL)
        idle += _POLL
        if idle >= _KEEP_ALIVE:
            idle = 0.0
            yield ServerSentEventMessage(comment="keep-alive", data=None)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


_BUS_READ, _BUS_WRITE = Scope.SESSION_READ.value, Scope.SESSION_WRITE.value
Patterns = Annotated[
    list[str] | None,
    QueryParameter(name="pattern", description="Topic globs (repeat for more); default *."),
]


class BusController(Controller):
    """Messages between the people and programs of a tenant."""

    path = "/v1/bus"
    tags = ["bus"]

    @operation("POST", "/messages", scope=_BUS_WRITE, summary="Publish", status_code=201)
    def publish(self, review: ReviewDep, data: JSONBody[PublishRequest]) -> BusMessage:
        return review.publish(data.topic, data.body, session_id=data.session_id)

    @operation("GET", "/messages", scope=_BUS_READ, summary="Read stored messages")
    def bus_read(
        self,
        *,
        review: ReviewDep,
        patterns: Patterns = None,
        session_id: FromQuery[str | None] = None,
        session_only: FromQuery[bool] = False,
        after_seq: Annotated[int, QueryParameter(ge=0)] = 0,
        last: Annotated[int | None, QueryParameter(ge=0, le=1000)] = None,
        limit: Limit = 1000,
    ) -> list[BusMessage]:
        return review.bus_read(
            patterns or ["*"],
            session_id=session_id,
            session_only=session_only,
            after_seq=after_seq,
            last=last,
            limit=limit,
        )

    @operation("GET", "/stream", scope=_BUS_READ, summary="Subscribe (Server-Sent Events)")
    async def subscribe(
        self,
        *,
        request: AnyRequest,
        review: ReviewDep,
        patterns: Patterns = None,
        session_id: FromQuery[str | None] = None,
        session_only: FromQuery[bool] = False,
        after_seq: Annotated[int | None, QueryParameter(ge=0)] = None,
        last: Annotated[int | None, QueryParameter(ge=0, le=1000)] = None,
    ) -> ServerSentEvent:
        """Replays after ``after_seq`` (or ``Last-Event-ID``) or the ``last`` N, then sends
        each new matching message as an SSE event ``message`` whose ``id`` is its sequence."""
        resume = _resume_from(request, after_seq)
        replay, start, read = await anyio.to_thread.run_sync(
            lambda: review.bus_stream(
                patterns or ["*"],
                session_id=session_id,
                session_only=session_only,
                after_seq=resume,
                last=None if resume is not None else last,
            )
        )
        return ServerSentEvent(_sse(replay, start, read, lambda m: m.seq, "message"))


_EVENTS = Scope.SESSION_READ.value
Types = Annotated[
    list[str] | None,
    QueryParameter(name="type", description="Event types (repeat); 'session.*' for a prefix."),
]


class EventsController(Controller):
    """The tenant's audit log."""

    path = "/v1/events"
    tags = ["events"]

    @operation("GET", "/", scope=_EVENTS, summary="List events")
    def list_events(
        self,
        *,
        review: ReviewDep,
        types: Types = None,
        session_id: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[Event]:
        return review.list_events(
            types=types,
            session_id=session_id,
            since=since,
            until=until,
            cursor=cursor or None,
            limit=limit,
        )

    @operation("GET", "/stream", scope=_EVENTS, summary="Follow events (Server-Sent Events)")
    async def follow_events(
        self,
        request: AnyRequest,
        review: ReviewDep,
        types: Types = None,
        session_id: FromQuery[str | None] = None,
        after_seq: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> ServerSentEvent:
        """Every event after ``after_seq`` (or ``Last-Event-ID``), then each new one, as SSE
        events ``event`` whose ``id`` is the sequence number."""
        start = _resume_from(request, after_seq) or 0
        read = review.events_reader(types=types, session_id=session_id)
        return ServerSentEvent(_sse((), start, read, lambda e: e.seq, "event"))
