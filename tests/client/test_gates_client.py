"""The ``GatesAPI`` of the clients: the signatures, what goes on the wire (routes, encoded
path segments, branch names with slashes, bodies, paging of whole listings), the two new error
families, and a full round trip through ``AsyncAetherClient`` against a live server."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aether_data.client import AetherClient, AsyncAetherClient
from aether_data.errors import ApprovalRequired, ChecksFailed, Forbidden, Invalid
from aether_data.wire.gates import GatesAPI

NOW = "2026-01-01T00:00:00Z"
POLICY = {
    "source": "src",
    "branch": "feature/x",
    "required_approvals": 1,
    "required_checks": [],
    "updated_by": "t",
    "updated_at": NOW,
}
APPROVAL = {
    "id": "apr-1",
    "session_id": "s-1",
    "reason": "COMMIT",
    "tree": "0" * 64,
    "requested_by": "t",
    "state": "pending",
    "created_at": NOW,
    "updated_at": NOW,
}
PROTOCOL = [
    name
    for name, value in vars(GatesAPI).items()
    if inspect.isfunction(value) and not name.startswith("_")
]

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler) -> AetherClient:
    return AetherClient("http://aether.test", "aet_t", transport=httpx.MockTransport(handler))


def recording(seen: list[httpx.Request], answer: Any = POLICY, status: int = 200) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(status, json=answer)

    return handle


def problem(status: int, kind: str) -> Handler:
    body = {"type": f"urn:aether:problem:{kind}", "title": kind, "status": status, "detail": kind}
    headers = {"content-type": "application/problem+json"}
    return lambda _: httpx.Response(status, content=json.dumps(body), headers=headers)


# ---------------------------------------------------------------------------- the protocol
@pytest.mark.parametrize("cls", [AetherClient, AsyncAetherClient])
@pytest.mark.parametrize("name", PROTOCOL)
def test_every_gates_method_with_its_signature(cls: type, name: str) -> None:
    wanted = inspect.signature(getattr(GatesAPI, name))
    got = inspect.signature(getattr(cls, name))
    assert list(got.parameters) == list(wanted.parameters)
    for param, expected in zip(got.parameters.values(), wanted.parameters.values(), strict=True):
        assert (param.kind, param.default) == (expected.kind, expected.default), param.name
    assert getattr(cls, name).__doc__


def test_both_clients_are_gates_apis() -> None:
    with client_with(recording([])) as client:
        assert isinstance(client, GatesAPI)
    assert isinstance(AsyncAetherClient("http://127.0.0.1:1"), GatesAPI)


# ---------------------------------------------------------------------------- the wire
@pytest.mark.parametrize(
    ("branch", "path"),
    [
        ("main", "/v1/sources/my%20src/policies/main"),
        ("feature/x", "/v1/sources/my%20src/policies/feature/x"),
        ("team/a b/ünï", "/v1/sources/my%20src/policies/team/a%20b/%C3%BCn%C3%AF"),
        ("50%/x?y#z", "/v1/sources/my%20src/policies/50%25/x%3Fy%23z"),
        ("release/./1", "/v1/sources/my%20src/policies/release/%2E/1"),
    ],
)
def test_branches_keep_their_slashes(branch: str, path: str) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return (
            httpx.Response(204) if request.method == "DELETE" else httpx.Response(200, json=POLICY)
        )

    with client_with(handle) as client:
        client.get_branch_policy("my src", branch)
        client.protect_branch("my src", branch, required_checks=("valid-json",))
        client.unprotect_branch("my src", branch)
    assert [(r.method, r.url.raw_path.decode()) for r in seen] == [
        ("GET", path),
        ("PUT", path),
        ("DELETE", path),
    ]
    body = json.loads(seen[1].content)
    assert body == {"required_approvals": 1, "required_checks": ["valid-json"]}


@pytest.mark.parametrize("branch", ["", "/main", "main/", "a//b"])
def test_branches_with_empty_parts_are_invalid_before_sending(branch: str) -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen)) as client, pytest.raises(Invalid):
        client.get_branch_policy("src", branch)
    assert seen == []


def test_ids_travel_as_one_segment() -> None:
    seen: list[httpx.Request] = []
    with client_with(recording(seen, APPROVAL)) as client:
        client.grant_approval("s/1", "apr 1?", comment="ok")
        client.deny_approval("s-1", "..")
    assert [r.url.raw_path.decode() for r in seen] == [
        "/v1/sessions/s%2F1/approvals/apr%201%3F/grant",
        "/v1/sessions/s-1/approvals/%2E%2E/deny",
    ]
    assert [json.loads(r.content) for r in seen] == [{"comment": "ok"}, {"comment": ""}]


def test_queries_and_bodies() -> None:
    seen: list[httpx.Request] = []
    page = {"items": [], "next_cursor": None}
    with client_with(recording(seen, page)) as client:
        client.list_check_runs("s-1", current=True, limit=5)
        client.list_annotations("s-1", path="data", state="outdated")
        client.list_approvals("s-1")
    with client_with(recording(seen, [])) as client:
        assert client.run_checks("s-1") == []
        client.run_checks("s-1", ("valid-json",))
    assert [str(r.url) for r in seen[:3]] == [
        "http://aether.test/v1/sessions/s-1/checks?current=true&limit=5",
        "http://aether.test/v1/sessions/s-1/annotations?path=data&state=outdated&limit=100",
        "http://aether.test/v1/sessions/s-1/approvals?limit=100",
    ]
    assert [json.loads(r.content) for r in seen[3:]] == [
        {"checks": None},
        {"checks": ["valid-json"]},
    ]


def test_whole_listings_follow_the_cursors() -> None:
    seen: list[httpx.Request] = []
    pages = {
        None: {"items": [{**POLICY, "branch": "a"}], "next_cursor": "a"},
        "a": {"items": [{**POLICY, "branch": "b"}], "next_cursor": None},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    with client_with(handle) as client:
        assert [p.branch for p in client.list_branch_policies("src")] == ["a", "b"]
    assert [r.url.params.get("cursor") for r in seen] == [None, "a"]


@pytest.mark.parametrize(
    ("status", "kind", "error"),
    [
        (403, "approval-required", ApprovalRequired),
        (409, "checks-failed", ChecksFailed),
        (403, "forbidden", Forbidden),
    ],
)
def test_gate_refusals_come_back_as_their_family(status: int, kind: str, error: type) -> None:
    with client_with(problem(status, kind)) as client, pytest.raises(error) as raised:
        client.commit("s-1", message="m")
    assert type(raised.value) is error


# ---------------------------------------------------------------------------- live
@pytest.mark.parametrize("branch", ["feature/x", "team/ünï/ä-b", "50%/x#y", "a%2Fb"])
def test_odd_branch_names_round_trip(client_server: Any, branch: str) -> None:
    with AetherClient(client_server.url, client_server.token) as client:
        source = f"src-{uuid.uuid4().hex[:10]}"
        client.create_source(source)
        policy = client.protect_branch(source, branch, required_approvals=2)
        assert (policy.branch, policy.required_approvals) == (branch, 2)
        assert client.get_branch_policy(source, branch) == policy
        assert client.list_branch_policies(source) == [policy]
        client.unprotect_branch(source, branch)
        assert client.list_branch_policies(source) == []


# ---------------------------------------------------------------------------- async
def test_async_round_trip(client_server: Any) -> None:
    reviewer_token = client_server.issue(["session.read", "session.write", "review.approve"])

    async def scenario() -> None:
        async with (
            AsyncAetherClient(client_server.url, client_server.token) as author,
            AsyncAetherClient(client_server.url, reviewer_token) as reviewer,
        ):
            source = f"src-{uuid.uuid4().hex[:10]}"
            await author.create_source(source)
            session = (await author.create_session(source=source)).id
            await author.write(session, "data/a.json", b"[1, 2]")
            note = await author.annotate(session, "data/a.json", "why 2?", lines=(1, 1))
            assert (await reviewer.get_annotation(session, note.id)) == note
            assert (await reviewer.resolve_annotation(session, note.id)).state == "resolved"
            policy = await author.protect_branch(source, "main", required_checks=["valid-json"])
            assert await author.list_branch_policies(source) == [policy]
            assert [r.status for r in await author.run_checks(session)] == ["passed"]
            with pytest.raises(ApprovalRequired):
                await author.commit(session, message="load")
            assert (await author.get_session(session)).status == "PENDING_APPROVAL"
            asked = await author.request_approval(session)
            with pytest.raises(Forbidden):
                await author.grant_approval(session, asked.id)
            assert (await reviewer.grant_approval(session, asked.id)).state == "granted"
            assert (await author.commit(session, message="load")).branch == "main"
            assert (await author.get_session(session)).status == "ACTIVE"
            runs = (await author.list_check_runs(session, current=True)).items
            assert {(r.check, r.status) for r in runs} == {("valid-json", "passed")}
            await author.unprotect_branch(source, "main")
            assert await author.list_branch_policies(source) == []

    asyncio.run(scenario())
