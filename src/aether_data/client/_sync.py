"""``AetherClient``: the ``WorkspaceAPI``, the ``ReviewAPI``, the ``DatasetsAPI`` and the
``LintAPI`` over HTTP, synchronous (``httpx.Client``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

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
from aether_data.wire.review import BusMessage, Event

__all__ = ["DEFAULT_TIMEOUT", "AetherClient"]

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def stream_timeout(timeout: httpx.Timeout) -> httpx.Timeout:
    """``timeout`` without a read timeout: a stream may stay quiet for as long as it likes."""
    return httpx.Timeout(connect=timeout.connect, read=None, write=timeout.write, pool=timeout.pool)


def _method(plan: Callable[P, Plan[T]]) -> Callable[Concatenate[AetherClient, P], T]:
    @functools.wraps(plan)
    def method(self: AetherClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(plan(*args, **kwargs))

    method.__signature__ = signature_with_self(plan)  # type: ignore[attr-defined]
    return method


class AetherClient:
    """A ``WorkspaceAPI``, ``ReviewAPI``, ``DatasetsAPI`` and ``LintAPI`` that talks to an
    Aether server; raises the same errors as the embedded implementations (from the server's
    problem+json), and ``Unavailable`` naming the URL when the server cannot be reached.

    Args:
        base_url: The server, e.g. ``http://127.0.0.1:8000`` (routes live under ``/v1``).
        token: The bearer token (``aet_<id>_<secret>``); None sends no credentials.
        timeout: Seconds (or an ``httpx.Timeout``) for connecting and for each read.
        transport: An httpx transport to use instead of the network (tests, ASGI/WSGI apps).

    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"AetherClient({self.base_url!r})"

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> AetherClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, plan: Plan[T]) -> T:
        reply: Reply | None = None
        while True:
            try:
                step = plan.send(reply)
            except StopIteration as done:
                return done.value
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                reply = None
            else:
                reply = self._send(step)

    def _send(self, call: Call) -> Reply:
        content: Any = call.content()
        if content is not None and not isinstance(content, bytes):
            content = pieces(content)  # streamed, never read whole
        request = self._http.build_request(
            call.method,
            call.url,
            params=call.query(),
            headers=call.request_headers(),
            content=content,
        )
        try:
            response = self._http.send(request, stream=True)
            try:
                return self._receive(call, response)
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc) from exc

    @staticmethod
    def _receive(call: Call, response: httpx.Response) -> Reply:
        status, headers = response.status_code, response.headers
        if call.sink is None or not response.is_success:
            return reply_of(call, str(response.url), status, headers, response.read())
        received = 0
        for piece in response.iter_bytes(PIECE):
            call.sink.write(piece)
            received += len(piece)
        return Reply(status, headers, b"", received)

    def _follow(self, resume: Resume[T]) -> Iterator[T]:
        """The values of an SSE stream, reconnecting (``Last-Event-ID``) when it drops."""
        timeout = stream_timeout(self._http.timeout)
        while True:
            try:
                with self._http.stream(
                    "GET",
                    resume.url,
                    params=resume.query,
                    headers=resume.headers(),
                    timeout=timeout,
                ) as response:
                    if response.is_error:
                        status, headers, url = response.status_code, response.headers, response.url
                        pause = resume.refused(status, headers, response.read(), str(url))
                    else:
                        resume.opened()
                        for line in response.iter_lines():
                            if (item := resume.feed(line)) is not None:
                                yield item
                        pause = resume.dropped(None)
            except httpx.TransportError as exc:
                pause = resume.dropped(exc)
            time.sleep(pause)

    # ------------------------------------------------------------ sessions
    create_session = _method(_plans.create_session)
    upload_session = _method(_plans.upload_session)
    get_session = _method(_plans.get_session)
    list_sessions = _method(_plans.list_sessions)
    fork = _method(_plans.fork)
    checkpoint = _method(_plans.checkpoint)
    list_checkpoints = _method(_plans.list_checkpoints)
    restore = _method(_plans.restore)
    merge_from = _method(_plans.merge_from)
    commit = _method(_plans.commit)
    resolve = _method(_plans.resolve)
    promote = _method(_plans.promote)
    archive = _method(_plans.archive)
    retire = _method(_plans.retire)
    manifest = _method(_plans.manifest)
    diff = _method(_plans.diff)
    export = _method(_plans.export)
    # ------------------------------------------------------------ files
    stat = _method(_plans.stat)
    listdir = _method(_plans.listdir)
    read = _method(_plans.read)
    download = _method(_plans.download)
    write = _method(_plans.write)
    delete = _method(_plans.delete)
    mkdir = _method(_plans.mkdir)
    rmdir = _method(_plans.rmdir)
    rename = _method(_plans.rename)
    symlink = _method(_plans.symlink)
    batch = _method(_plans.batch)
    # ------------------------------------------------------------ sources
    create_source = _method(_plans.create_source)
    get_source = _method(_plans.get_source)
    list_sources = _method(_plans.list_sources)
    list_refs = _method(_plans.list_refs)
    create_ref = _method(_plans.create_ref)
    log = _method(_plans.log)
    start_import = _method(_plans.start_import)
    get_import = _method(_plans.get_import)
    list_imports = _method(_plans.list_imports)
    wait_import = _method(_plans.wait_import)
    # ------------------------------------------------------------ service: not part of the protocol
    whoami = _method(_plans.whoami)
    health = _method(_plans.health)
    create_token = _method(_plans.create_token)
    list_tokens = _method(_plans.list_tokens)
    revoke_token = _method(_plans.revoke_token)
    # ------------------------------------------------------------ knowledge, bus, events
    kv_get = _method(_review_plans.kv_get)
    kv_put = _method(_review_plans.kv_put)
    kv_delete = _method(_review_plans.kv_delete)
    kv_list = _method(_review_plans.kv_list)
    kv_delete_prefix = _method(_review_plans.kv_delete_prefix)
    publish = _method(_review_plans.publish)
    bus_read = _method(_review_plans.bus_read)
    list_events = _method(_review_plans.list_events)
    # ------------------------------------------------------------ review gates
    annotate = _method(_gates_plans.annotate)
    list_annotations = _method(_gates_plans.list_annotations)
    get_annotation = _method(_gates_plans.get_annotation)
    resolve_annotation = _method(_gates_plans.resolve_annotation)
    reopen_annotation = _method(_gates_plans.reopen_annotation)
    request_approval = _method(_gates_plans.request_approval)
    list_approvals = _method(_gates_plans.list_approvals)
    get_approval = _method(_gates_plans.get_approval)
    grant_approval = _method(_gates_plans.grant_approval)
    deny_approval = _method(_gates_plans.deny_approval)
    list_checks = _method(_gates_plans.list_checks)
    run_checks = _method(_gates_plans.run_checks)
    list_check_runs = _method(_gates_plans.list_check_runs)
    protect_branch = _method(_gates_plans.protect_branch)
    unprotect_branch = _method(_gates_plans.unprotect_branch)
    get_branch_policy = _method(_gates_plans.get_branch_policy)
    list_branch_policies = _method(_gates_plans.list_branch_policies)
    # ------------------------------------------------------------ datasets
    inspect_dataset = _method(_datasets_plans.inspect_dataset)
    diff_dataset = _method(_datasets_plans.diff_dataset)
    download_dataset_diff = _method(_datasets_plans.download_dataset_diff)
    # ------------------------------------------------------------ lint
    lint_session = _method(_lint_plans.lint_session)

    def subscribe(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
    ) -> Iterator[BusMessage]:
        """``GET /v1/bus/stream`` (Server-Sent Events)."""
        url, params = _review_plans.bus_stream(
            patterns,
            session_id=session_id,
            session_only=session_only,
            after_seq=after_seq,
            last=last,
        )
        yield from self._follow(Resume(self.base_url, url, params, BusMessage, "message"))

    def follow_events(
        self,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        after_seq: int = 0,
    ) -> Iterator[Event]:
        """``GET /v1/events/stream`` (Server-Sent Events)."""
        url, params = _review_plans.events_stream(
            types=types, session_id=session_id, after_seq=after_seq
        )
        yield from self._follow(Resume(self.base_url, url, params, Event, "event"))
