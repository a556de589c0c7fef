"""The ``ReviewAPI`` of the clients against a live server: knowledge entries, the bus, the audit
log, and the two Server-Sent Events streams (replay, live messages, resuming after a drop)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aether_data.client import AetherClient, AsyncAetherClient, _sse
from aether_data.client._sse import SseEvent, SseParser, parse
from aether_data.errors import (
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unavailable,
)
from aether_data.wire.review import BusMessage, Event, ReviewAPI


@pytest.fixture
def client(client_server: Any) -> Iterator[AetherClient]:
    with AetherClient(client_server.url, client_server.token) as admin:
        yield admin


@pytest.fixture
def session(client: AetherClient) -> str:
    return client.create_session(name="review").id


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def later(delay: float, action: Any) -> threading.Thread:
    """Run ``action`` on another thread after ``delay`` seconds."""
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()), daemon=True)
    thread.start()
    return thread


def test_both_clients_implement_the_protocol(client: AetherClient) -> None:
    assert isinstance(client, ReviewAPI)
    assert isinstance(AsyncAetherClient("http://127.0.0.1:1"), ReviewAPI)


# ---------------------------------------------------------------------------- knowledge
def test_kv_round_trip_with_versions(client: AetherClient, session: str) -> None:
    created = client.kv_put("session", session, "state", b"one", expected_version=0)
    assert (created.key, created.version, created.size, created.value) == ("state", 1, 3, b"one")
    assert client.kv_get("session", session, "state") == created
    replaced = client.kv_put("session", session, "state", b"two", expected_version=1)
    assert (replaced.version, replaced.value) == (2, b"two")
    assert client.kv_put("session", session, "state", b"three").version == 3
    with pytest.raises(PreconditionFailed):
        client.kv_put("session", session, "state", b"x", expected_version=0)
    with pytest.raises(PreconditionFailed):
        client.kv_put("session", session, "state", b"x", expected_version=2)
    with pytest.raises(PreconditionFailed):
        client.kv_delete("session", session, "state", expected_version=1)
    client.kv_delete("session", session, "state", expected_version=3)
    with pytest.raises(NotFound):
        client.kv_get("session", session, "state")
    with pytest.raises(NotFound):
        client.kv_delete("session", session, "state")


def test_values_up_to_one_mebibyte(client: AetherClient, session: str) -> None:
    big = bytes(range(256)) * 4096
    assert client.kv_put("session", session, "big", big).size == 1 << 20
    assert client.kv_get("session", session, "big").value == big
    with pytest.raises(TooLarge):
        client.kv_put("session", session, "bigger", big + b"!")


@pytest.mark.parametrize(
    "key",
    [
        "a/b/c",
        "with space",
        "50% off?#&=",
        "ünï/çødé",
        ".",
        "..",
        "/lead",
        "a//b",
        "trail/",
        "a%2Fb",
    ],
)
def test_keys_travel_as_one_segment(client: AetherClient, session: str, key: str) -> None:
    client.kv_put("session", session, key, key.encode())
    assert client.kv_get("session", session, key).value == key.encode()
    assert [e.key for e in client.kv_list("session", session).items] == [key]
    client.kv_delete("session", session, key)


def test_bad_keys_and_owner_kinds_are_invalid(client: AetherClient, session: str) -> None:
    for call in (
        lambda: client.kv_put("session", session, "", b"x"),
        lambda: client.kv_put("session", session, "tab\there", b"x"),
        lambda: client.kv_put("session", session, "k", "text"),  # type: ignore[arg-type]
        lambda: client.kv_put("session", session, "k", b"x", expected_version=-1),
        lambda: client.kv_get("folder", session, "k"),  # type: ignore[arg-type]
        lambda: client.kv_get("session", session, "/"),  # the server would route it to /kv
    ):
        with pytest.raises(Invalid):
            call()


def test_listing_paging_and_prefix_delete(client: AetherClient, session: str) -> None:
    keys = [f"run/{i:02}" for i in range(7)] + ["other"]
    for key in keys:
        client.kv_put("session", session, key, b"v")
    seen, cursor = [], None
    while True:
        page = client.kv_list("session", session, prefix="run/", cursor=cursor, limit=3)
        assert all(entry.value is None for entry in page.items)
        seen += [entry.key for entry in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == sorted(keys[:-1])
    assert client.kv_delete_prefix("session", session, "run/") == 7
    assert [e.key for e in client.kv_list("session", session).items] == ["other"]
    assert client.kv_delete_prefix("session", session, "") == 1


def test_source_knowledge(client: AetherClient) -> None:
    source = unique("src")
    client.create_source(source)
    entry = client.kv_put("source", source, "owner/team", b"data-eng")
    assert client.kv_get("source", source, "owner/team") == entry
    assert client.kv_list("source", source).items[0].key == "owner/team"
    with pytest.raises(NotFound):
        client.kv_get("source", unique("ghost"), "owner/team")


# ---------------------------------------------------------------------------- bus
def test_publish_and_read_with_patterns(client: AetherClient) -> None:
    base = unique("t")
    first = client.publish(f"{base}.build", {"ok": True})
    client.publish(f"{base}.test", [1, 2])
    third = client.publish(f"{base}.build", "again")
    assert (first.topic, first.body, first.session_id) == (f"{base}.build", {"ok": True}, None)
    builds = client.bus_read([f"{base}.build"])
    assert [m.seq for m in builds] == [first.seq, third.seq]
    assert [m.body for m in client.bus_read([f"{base}.*"], after_seq=first.seq)] == [
        [1, 2],
        "again",
    ]
    assert client.bus_read([f"{base}.*"], last=1) == [third]
    with pytest.raises(Invalid):
        client.bus_read(["bad pattern"])
    with pytest.raises(Invalid):
        client.bus_read([])
    with pytest.raises(Invalid):
        client.publish("no spaces allowed")


def test_session_scoped_messages(client: AetherClient, session: str) -> None:
    topic = unique("chat")
    everyone = client.publish(topic, "all")
    mine = client.publish(topic, "mine", session_id=session)
    other = client.create_session().id
    client.publish(topic, "theirs", session_id=other)
    assert client.bus_read([topic], session_id=session) == [everyone, mine]
    assert client.bus_read([topic], session_id=session, session_only=True) == [mine]
    with pytest.raises(NotFound):
        client.publish(topic, session_id="s-0000000000000000")


# ---------------------------------------------------------------------------- events
def test_list_events_of_a_session(client: AetherClient, session: str) -> None:
    client.kv_put("session", session, "k", b"v")
    page = client.list_events(session_id=session, types=["kv.*"])
    assert [(e.type, e.subject) for e in page.items] == [("kv.put", "k")]
    assert all(isinstance(e, Event) for e in client.list_events(limit=2).items)


# ---------------------------------------------------------------------------- streams
def test_subscribe_replays_then_follows(client: AetherClient) -> None:
    topic = unique("live")
    before = [client.publish(topic, n) for n in range(3)]
    later(0.3, lambda: [client.publish(topic, n) for n in range(3, 6)])
    stream = client.subscribe([topic], after_seq=before[0].seq - 1)
    try:
        received = list(itertools.islice(stream, 6))
    finally:
        stream.close()
    assert [m.body for m in received] == list(range(6))
    assert all(isinstance(m, BusMessage) for m in received)


def test_subscribe_last_and_nothing(client: AetherClient) -> None:
    topic = unique("last")
    for n in range(4):
        client.publish(topic, n)
    with_last = client.subscribe([topic], last=2)
    assert [next(with_last).body, next(with_last).body] == [2, 3]
    with_last.close()
    fresh = client.subscribe([topic])
    later(0.3, lambda: client.publish(topic, "new"))
    assert next(fresh).body == "new"
    fresh.close()


def test_stream_errors(client: AetherClient, client_server: Any) -> None:
    with pytest.raises(Invalid):
        next(client.subscribe(["bad pattern"]))
    with pytest.raises(NotFound):
        next(client.subscribe(session_id="s-0000000000000000"))
    secret = client_server.issue(["source.read"])
    with AetherClient(client_server.url, secret) as reader, pytest.raises(Forbidden):
        next(reader.follow_events())
    with AetherClient("http://127.0.0.1:1") as nowhere, pytest.raises(Unavailable):
        next(nowhere.subscribe())


def test_follow_events_sees_kv_put(client: AetherClient, session: str) -> None:
    stream = client.follow_events(types=["kv.put"], session_id=session)
    later(0.3, lambda: client.kv_put("session", session, "seen", b"1"))
    event = next(stream)
    stream.close()
    assert (event.type, event.session_id, event.subject) == ("kv.put", session, "seen")


def test_resubscribing_after_the_last_seq_repeats_nothing(client: AetherClient) -> None:
    topic = unique("resume")
    for n in range(3):
        client.publish(topic, n)
    stream = client.subscribe([topic], after_seq=0)
    first = list(itertools.islice(stream, 2))
    stream.close()
    client.publish(topic, 3)
    again = client.subscribe([topic], after_seq=first[-1].seq)
    rest = list(itertools.islice(again, 2))
    again.close()
    assert [m.body for m in first + rest] == [0, 1, 2, 3]


class _CutStream(httpx.SyncByteStream):
    """A response body that breaks (``ReadError``) after its first chunk."""

    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            yield chunk
            raise httpx.ReadError("connection cut by the test")

    def close(self) -> None:
        self.inner.close()


class _Flaky(httpx.BaseTransport):
    """The network, except that the first ``cuts`` streams break and later stream requests
    get ``fail_with`` (a status) while it is set."""

    def __init__(self, cuts: int = 1, fail_with: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.cuts, self.fail_with = cuts, fail_with
        self.streams: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/stream"):
            return self.inner.handle_request(request)
        self.streams.append(request)
        if self.fail_with and len(self.streams) > 1:
            return httpx.Response(self.fail_with, text="down for maintenance")
        response = self.inner.handle_request(request)
        if self.cuts:
            self.cuts -= 1
            response.stream = _CutStream(response.stream)  # type: ignore[arg-type]
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_dropped_stream_resumes_with_last_event_id(client_server: Any) -> None:
    transport = _Flaky(cuts=2)
    with AetherClient(client_server.url, client_server.token, transport=transport) as flaky:
        topic = unique("drop")
        published = [flaky.publish(topic, n) for n in range(4)]
        stream = flaky.subscribe([topic], after_seq=0)
        later(0.5, lambda: flaky.publish(topic, 4))
        received = list(itertools.islice(stream, 5))
        stream.close()
    assert [m.body for m in received] == [0, 1, 2, 3, 4]
    assert len(transport.streams) == 3
    resumed_from = [r.headers.get("last-event-id") for r in transport.streams]
    assert resumed_from[0] is None
    assert resumed_from[1] in {str(m.seq) for m in published}


def test_a_stream_that_keeps_failing_is_unavailable(
    client_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sse, "_FIRST_PAUSE", 0.01)
    transport = _Flaky(cuts=1, fail_with=503)
    with AetherClient(client_server.url, client_server.token, transport=transport) as flaky:
        topic = unique("down")
        flaky.publish(topic, "x")
        stream = flaky.subscribe([topic], after_seq=0)
        assert next(stream).body == "x"
        with pytest.raises(Unavailable, match="broke"):
            next(stream)
    assert len(transport.streams) == 1 + _sse.RETRIES  # the first, then each reconnect


def test_async_subscribe_and_follow(client_server: Any) -> None:
    async def scenario() -> tuple[list[Any], Event]:
        async with AsyncAetherClient(client_server.url, client_server.token) as aclient:
            topic = unique("async")
            first = await aclient.publish(topic, 0)
            stream = aclient.subscribe([topic], after_seq=first.seq - 1)
            asyncio.get_running_loop().call_later(
                0.3, lambda: asyncio.ensure_future(aclient.publish(topic, 1))
            )
            bodies = []
            async for message in stream:
                bodies.append(message.body)
                if len(bodies) == 2:
                    break
            await stream.aclose()  # type: ignore[attr-defined]
            session = (await aclient.create_session()).id
            await aclient.kv_put("session", session, "k", b"v")
            events = aclient.follow_events(types=["kv.*"], session_id=session)
            event = await anext(events)
            await events.aclose()  # type: ignore[attr-defined]
            return bodies, event

    bodies, event = asyncio.run(scenario())
    assert bodies == [0, 1]
    assert (event.type, event.subject) == ("kv.put", "k")


# ---------------------------------------------------------------------------- SSE parser
def test_sse_multi_line_data_and_fields() -> None:
    lines = ["id: 7", "event: message", "data: {", 'data:  "a": 1', "data: }", ""]
    assert list(parse(lines)) == [SseEvent('{\n "a": 1\n}', "message", "7")]


def test_sse_comments_and_defaults() -> None:
    lines = [": keep-alive", "", "data:x", ": between", "", "event: event", "data", ""]
    assert list(parse(lines)) == [SseEvent("x"), SseEvent("", "event")]


def test_sse_id_carries_over_and_events_without_data_are_not_dispatched() -> None:
    parser = SseParser()
    assert parser.feed("id: 3") is None
    assert parser.feed("") is None
    assert parser.last_id == "3"
    parser.feed("data: a")
    assert parser.feed("") == SseEvent("a", "message", "3")


def test_sse_event_cut_short_is_not_dispatched() -> None:
    parser = SseParser()
    events = [parser.feed(line) for line in ["id: 1", "data: one", "", "id: 2", "data: tw"]]
    assert [e for e in events if e] == [SseEvent("one", "message", "1")]
    assert parser.last_id == "1"  # what a reconnect resumes from: event 2 comes again
