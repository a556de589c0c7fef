"""Knowledge entries, the bus and the audit log over HTTP: versions as entity tags, limits,
Server-Sent Events with resumption."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from _apitest import assert_problem

from _live import LiveServer


def kv_url(session_id: str, key: str = "") -> str:
    return f"/v1/sessions/{session_id}/kv" + (f"/{key}" if key else "")


def test_knowledge_versions_are_entity_tags(admin: httpx.Client, session_id: str) -> None:
    url = kv_url(session_id, "run/last")
    made = admin.put(url, content=b"41")
    assert (made.status_code, made.headers["etag"]) == (201, '"1"')
    assert made.json()["version"] == 1
    again = admin.put(url, content=b"42", headers={"If-Match": '"1"'})
    assert (again.status_code, again.headers["etag"]) == (200, '"2"')
    assert_problem(admin.put(url, content=b"x", headers={"If-Match": '"1"'}), 412)
    assert_problem(admin.put(url, content=b"x", headers={"If-None-Match": "*"}), 412)
    assert_problem(admin.put(url, content=b"x", headers={"If-Match": "2"}), 412)  # unquoted
    got = admin.get(url)
    assert got.headers["etag"] == '"2"'
    body = got.json()
    assert base64.b64decode(body["value"]) == b"42"
    assert (body["key"], body["size"], body["author"]) == ("run/last", 2, body["author"])
    assert_problem(admin.delete(url, headers={"If-Match": '"1"'}), 412)
    assert admin.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert_problem(admin.get(url), 404)


def test_keys_listing_and_limits(admin: httpx.Client, session_id: str) -> None:
    for key in ["a/1", "a/2", "b"]:
        assert admin.put(kv_url(session_id, key), content=key.encode()).status_code == 201
    assert admin.get(kv_url(session_id, "a%2F1")).json()["key"] == "a/1"  # %2F is /
    assert admin.put(kv_url(session_id, "sp%20ace"), content=b"s").json()["key"] == "sp ace"
    page = admin.get(kv_url(session_id), params={"prefix": "a/", "limit": 1}).json()
    rest = admin.get(kv_url(session_id), params={"prefix": "a/", "cursor": page["next_cursor"]})
    listed = page["items"] + rest.json()["items"]
    assert [e["key"] for e in listed] == ["a/1", "a/2"]
    assert all(e["value"] is None for e in listed)
    assert_problem(admin.put(kv_url(session_id, "big"), content=bytes((1 << 20) + 1)), 413)
    assert_problem(admin.put(kv_url(session_id, "ctl%01"), content=b"x"), 400)
    assert admin.delete(kv_url(session_id), params={"prefix": "a/"}).json() == {"deleted": 2}
    assert [e["key"] for e in admin.get(kv_url(session_id)).json()["items"]] == ["b", "sp ace"]
    assert_problem(admin.get(kv_url("s-0000000000000000", "b")), 404)


def test_source_knowledge(admin: httpx.Client) -> None:
    name = f"kv-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/sources", json={"name": name})
    url = f"/v1/sources/{name}/kv/owner"
    assert admin.put(url, content=b"data-team").status_code == 201
    assert base64.b64decode(admin.get(url).json()["value"]) == b"data-team"
    assert_problem(admin.get("/v1/sources/no-such-source/kv/owner"), 404)


def test_publish_and_read(admin: httpx.Client, session_id: str) -> None:
    topic = f"tests:{uuid.uuid4().hex[:6]}"
    sent = admin.post("/v1/bus/messages", json={"topic": topic, "body": {"passed": 3}})
    assert sent.status_code == 201, sent.text
    admin.post("/v1/bus/messages", json={"topic": topic, "body": 2, "session_id": session_id})
    got = admin.get("/v1/bus/messages", params={"pattern": "tests:*"}).json()
    mine = [m for m in got if m["topic"] == topic]
    assert [m["body"] for m in mine] == [{"passed": 3}, 2]
    only = admin.get(
        "/v1/bus/messages", params={"session_id": session_id, "session_only": "true"}
    ).json()
    assert [m["body"] for m in only] == [2]
    assert_problem(admin.post("/v1/bus/messages", json={"topic": "bad topic"}), 400)
    assert_problem(admin.post("/v1/bus/messages", json={"topic": "t", "extra": 1}), 400)
    ghost = {"topic": "t", "session_id": "s-0000000000000000"}
    assert_problem(admin.post("/v1/bus/messages", json=ghost), 404)


def sse_events(response: httpx.Response) -> Iterator[dict]:
    """Parse a Server-Sent Events stream into dicts of its fields (comments skipped)."""
    fields: dict = {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def read_stream(
    server: LiveServer, path: str, count: int, params: dict, headers: dict | None = None
) -> list[dict]:
    got: list[dict] = []
    with (
        httpx.Client(base_url=server.url, headers=server.headers(), timeout=30) as client,
        client.stream("GET", path, params=params, headers=headers or {}) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in sse_events(response):
            got.append(event)
            if len(got) == count:
                break
    return got


def test_bus_stream_replays_follows_and_resumes(server: LiveServer, admin: httpx.Client) -> None:
    topic = f"s:{uuid.uuid4().hex[:6]}"
    first = admin.post("/v1/bus/messages", json={"topic": topic, "body": 0}).json()
    params = {"pattern": topic, "after_seq": first["seq"] - 1}
    result: list[list[dict]] = []
    reader = threading.Thread(
        target=lambda: result.append(read_stream(server, "/v1/bus/stream", 3, params))
    )
    reader.start()
    for body in (1, 2):
        admin.post("/v1/bus/messages", json={"topic": topic, "body": body})
    reader.join(timeout=30)
    events = result[0]
    assert [json.loads(e["data"])["body"] for e in events] == [0, 1, 2]
    assert all(e["event"] == "message" for e in events)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    # A reconnecting client sends Last-Event-ID: it gets what came after, nothing twice.
    admin.post("/v1/bus/messages", json={"topic": topic, "body": 3})
    resumed = read_stream(
        server, "/v1/bus/stream", 1, {"pattern": topic}, {"Last-Event-ID": str(ids[1])}
    )
    assert [json.loads(e["data"])["body"] for e in resumed] == [2]
    last = read_stream(server, "/v1/bus/stream", 2, {"pattern": topic, "last": 2})
    assert [json.loads(e["data"])["body"] for e in last] == [2, 3]


@pytest.mark.parametrize("params", [{"pattern": "bad pattern"}, {"after_seq": "-1"}])
def test_bad_stream_requests(admin: httpx.Client, params: dict) -> None:
    assert_problem(admin.get("/v1/bus/stream", params=params), 400)


def test_events_stream(server: LiveServer, admin: httpx.Client, session_id: str) -> None:
    admin.put(kv_url(session_id, "x"), content=b"1")
    listed = admin.get("/v1/events", params={"type": "kv.*", "session_id": session_id}).json()
    assert [e["type"] for e in listed["items"]] == ["kv.put"]
    event = listed["items"][0]
    assert (event["subject"], event["session_id"]) == ("x", session_id)
    streamed = read_stream(
        server,
        "/v1/events/stream",
        1,
        {"type": "kv.*", "session_id": session_id, "after_seq": event["seq"] - 1},
    )
    assert json.loads(streamed[0]["data"])["seq"] == event["seq"]
    assert_problem(admin.get("/v1/events", params={"type": "Bad"}), 400)
