"""``AsyncAetherClient``: the same methods as ``AetherClient``, as coroutines (the two streams
as async iterators; ``httpx.AsyncClient``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, BinaryIO, Concatenate, ParamSpec, TypeVar

import httpx

from aether_data.client import (
    _datasets_plans,
    _gates_plans,
    _lint_plans,
    _plans,
    _review_plans,
)
from aether_data.client._calls import (
    PIECE,
    Call,
    Plan,
    Reply,
    Sleep,
    pieces,
    reply_of,
    signature_with_self,
    unreachable,
)
from aether_data.client._sse import Resume
from aether_data.client._sync import DEFAULT_TIMEOUT, stream_timeout
from aether_data.wire.review import BusMessage, Event

__all__ = ["AsyncAetherClient"]

P = ParamSpec("P")
T = TypeVar("T")


def _coroutine(
    plan: Callable[P, Plan[T]],
) -> Callable[Concatenate[AsyncAetherClient, P], Coroutine[Any, Any, T]]:
    @functools.wraps(plan)
    async def method(self: AsyncAetherClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(plan(*args, **kwargs))

    method.__signature__ = signature_with_self(plan)  # type: ignore[attr-defined]
    return method


async def _apieces(stream: BinaryIO) -> AsyncIterator[bytes]:
    for piece in pieces(stream):
        yield piece


class AsyncAetherClient:
    """``AetherClient`` for asyncio: every API method is a coroutine (``subscribe`` and
    ``follow_events`` are async iterators); the arguments, return values and errors are the same.

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8000``.
        token: The bearer token; None sends no credentials.
        timeout: Seconds (or an ``httpx.Timeout``) for connecting and for each read.
        transport: An async httpx transport (e.g. ``httpx.ASGITransport(app)``).

    Use it as an async context manager, or await ``aclose()``.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"AsyncAetherClient({self.base_url!r})"

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncAetherClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self, plan: Plan[T]) -> T:
        reply: Reply | None = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration as done:
                return done.value
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                reply = None
            else:
                reply = await self._send(step)

    async def _send(self, call: Call) -> Reply:
        content: Any = call.content()
        if content is not None and not isinstance(content, bytes):
            content = _apieces(content)
        request = self._http.build_request(
            call.method,
            call.url,
            params=call.query(),
            headers=call.request_headers(),
            content=content,
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                return await self._receive(call, response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc

    @staticmethod
    async def _receive(call: Call, response: httpx.Response) -> Reply:
        status, headers = response.status_code, response.headers
        if call.sink is None or not response.is_success:
            return reply_of(call, str(response.url), status, headers, await response.aread())
        received = 0
        async for piece in response.aiter_bytes(PIECE):
            call.sink.write(piece)
            received += len(piece)
        return Reply(status, headers, b"", received)

    async def _follow(self, resume: Resume[T]) -> AsyncIterator[T]:
        """``AetherClient._follow``, asynchronously."""
        timeout = stream_timeout(self._http.timeout)
        while True:
            try:
                async with self._http.stream(
                    "GET",
                    resume.url,
                    params=resume.query,
                    headers=resume.headers(),
                    timeout=timeout,
                ) as response:
                    if response.is_error:
                        status, headers, url = response.status_code, response.headers, response.url
                        pause = resume.refused(status, headers, await response.aread(), str(url))
                    else:
                        resume.opened()
                        async for line in response.aiter_lines():
                            if (item := resume.feed(line)) is not None:
                                yield item
                        pause = resume.dropped(None)
            except httpx.TransportError as exc:
                pause = resume.dropped(exc)
            await asyncio.sleep(pause)

    # ------------------------------------------------------------ sessions
    create_session = _coroutine(_plans.create_session)
    upload_session = _coroutine(_plans.upload_session)
    get_session = _coroutine(_plans.get_session)
    list_sessions = _coroutine(_plans.list_sessions)
    fork = _coroutine(_plans.fork)
    checkpoint = _coroutine(_plans.checkpoint)
    list_checkpoints = _coroutine(_plans.list_checkpoints)
    restore = _coroutine(_plans.restore)
    merge_from = _coroutine(_plans.merge_from)
    commit = _coroutine(_plans.commit)
    resolve = _coroutine(_plans.resolve)
    promote = _coroutine(_plans.promote)
    archive = _coroutine(_plans.archive)
    retire = _coroutine(_plans.retire)
    manifest = _coroutine(_plans.manifest)
    diff = _coroutine(_plans.diff)
    export = _coroutine(_plans.export)
    # ------------------------------------------------------------ files
    stat = _coroutine(_plans.stat)
    listdir = _coroutine(_plans.listdir)
    read = _coroutine(_plans.read)
    download = _coroutine(_plans.download)
    write = _coroutine(_plans.write)
    delete = _coroutine(_plans.delete)
    mkdir = _coroutine(_plans.mkdir)
    rmdir = _coroutine(_plans.rmdir)
    rename = _coroutine(_plans.rename)
    symlink = _coroutine(_plans.symlink)
    batch = _coroutine(_plans.batch)
    # ------------------------------------------------------------ sources
    create_source = _coroutine(_plans.create_source)
    get_source = _coroutine(_plans.get_source)
    list_sources = _coroutine(_plans.list_sources)
    list_refs = _coroutine(_plans.list_refs)
    create_ref = _coroutine(_plans.create_ref)
    log = _coroutine(_plans.log)
    start_import = _coroutine(_plans.start_import)
    get_import = _coroutine(_plans.get_import)
    list_imports = _coroutine(_plans.list_imports)
    wait_import = _coroutine(_plans.wait_import)
    # ------------------------------------------------------------ service: not part of the protocol
    whoami = _coroutine(_plans.whoami)
    health = _coroutine(_plans.health)
    create_token = _coroutine(_plans.create_token)
    list_tokens = _coroutine(_plans.list_tokens)
    revoke_token = _coroutine(_plans.revoke_token)
    # ------------------------------------------------------------ knowledge, bus, events
    kv_get = _coroutine(_review_plans.kv_get)
    kv_put = _coroutine(_review_plans.kv_put)
    kv_delete = _coroutine(_review_plans.kv_delete)
    kv_list = _coroutine(_review_plans.kv_list)
    kv_delete_prefix = _coroutine(_review_plans.kv_delete_prefix)
    publish = _coroutine(_review_plans.publish)
    bus_read = _coroutine(_review_plans.bus_read)
    list_events = _coroutine(_review_plans.list_events)
    # ------------------------------------------------------------ review gates
    annotate = _coroutine(_gates_plans.annotate)
    list_annotations = _coroutine(_gates_plans.list_annotations)
    get_annotation = _coroutine(_gates_plans.get_annotation)
    resolve_annotation = _coroutine(_gates_plans.resolve_annotation)
    reopen_annotation = _coroutine(_gates_plans.reopen_annotation)
    request_approval = _coroutine(_gates_plans.request_approval)
    list_approvals = _coroutine(_gates_plans.list_approvals)
    get_approval = _coroutine(_gates_plans.get_approval)
    grant_approval = _coroutine(_gates_plans.grant_approval)
    deny_approval = _coroutine(_gates_plans.deny_approval)
    list_checks = _coroutine(_gates_plans.list_checks)
    run_checks = _coroutine(_gates_plans.run_checks)
    list_check_runs = _coroutine(_gates_plans.list_check_runs)
    protect_branch = _coroutine(_gates_plans.protect_branch)
    unprotect_branch = _coroutine(_gates_plans.unprotect_branch)
    get_branch_policy = _coroutine(_gates_plans.get_branch_policy)
    list_branch_policies = _coroutine(_gates_plans.list_branch_policies)
    # ------------------------------------------------------------ datasets
    inspect_dataset = _coroutine(_datasets_plans.inspect_dataset)
    diff_dataset = _coroutine(_datasets_plans.diff_dataset)
    download_dataset_diff = _coroutine(_datasets_plans.download_dataset_diff)
    # ------------------------------------------------------------ lint
    lint_session = _coroutine(_lint_plans.lint_session)

    async def subscribe(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
    ) -> AsyncIterator[BusMessage]:
        """``GET /v1/bus/stream`` (Server-Sent Events)."""
        url, params = _review_plans.bus_stream(
            patterns,
            session_id=session_id,
            session_only=session_only,
            after_seq=after_seq,
            last=last,
        )
        async for message in self._follow(
            Resume(self.base_url, url, params, BusMessage, "message")
        ):
            yield message

    async def follow_events(
        self,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        after_seq: int = 0,
    ) -> AsyncIterator[Event]:
        """``GET /v1/events/stream`` (Server-Sent Events)."""
        url, params = _review_plans.events_stream(
            types=types, session_id=session_id, after_seq=after_seq
        )
        resume = Resume(self.base_url, url, params, Event, "event")
        async with contextlib.aclosing(self._follow(resume)) as events:
            async for event in events:
                yield event
