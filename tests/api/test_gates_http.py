"""Review gates over HTTP: annotations, approvals, checks and branch policies, and a commit
to a protected branch that needs them. Tokens are the actors, so two tokens are two people."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from _apitest import assert_problem

from _live import LiveServer

Clients = Callable[[str | None], httpx.Client]
AUTHOR = ["session.read", "session.write", "session.merge", "source.read"]
REVIEWER = ["session.read", "review.approve"]


@pytest.fixture
def author(client_for: Clients, server: LiveServer) -> httpx.Client:
    """Someone who writes, requests approval and commits, but may not approve."""
    return client_for(server.issue(AUTHOR))


@pytest.fixture
def reviewer(client_for: Clients, server: LiveServer) -> httpx.Client:
    """Someone who may approve."""
    return client_for(server.issue(REVIEWER))


@pytest.fixture
def source(admin: httpx.Client) -> str:
    name = f"gates-{uuid.uuid4().hex[:8]}"
    assert admin.post("/v1/sources", json={"name": name}).status_code == 201
    return name


def _session_on(client: httpx.Client, source: str) -> str:
    made = client.post("/v1/sessions", json={"source": source})
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    assert client.put(f"/v1/sessions/{sid}/files/a.txt", content=b"one").status_code == 201
    return sid


def _ok(answer: httpx.Response, status: int = 200) -> dict:
    assert answer.status_code == status, answer.text
    return answer.json()


# ---------------------------------------------------------------------------- annotations
def test_annotations(admin: httpx.Client, session_id: str) -> None:
    url = f"/v1/sessions/{session_id}/annotations"
    admin.put(f"/v1/sessions/{session_id}/files/data/a.csv", content=b"x,y\n1,2\n")
    admin.put(f"/v1/sessions/{session_id}/files/b.txt", content=b"b")
    made = _ok(admin.post(url, json={"path": "data/a.csv", "body": "why 2?", "lines": [2, 2]}), 201)
    assert (made["state"], made["outdated"], made["lines"]) == ("open", False, [2, 2])
    other = _ok(admin.post(url, json={"path": "b.txt", "body": "ok"}), 201)
    assert _ok(admin.get(f"{url}/{made['id']}")) == made
    listed = _ok(admin.get(url, params={"limit": 1}))
    assert [a["id"] for a in listed["items"]] == [made["id"]]
    rest = _ok(admin.get(url, params={"cursor": listed["next_cursor"]}))
    assert ([a["id"] for a in rest["items"]], rest["next_cursor"]) == ([other["id"]], None)
    in_folder = _ok(admin.get(url, params={"path": "data"}))["items"]
    assert [a["id"] for a in in_folder] == [made["id"]]
    resolved = _ok(admin.post(f"{url}/{made['id']}/resolve"))
    assert resolved["state"] == "resolved"
    assert resolved["resolved_by"] == made["author"]
    states = _ok(admin.get(url, params={"state": "open"}))["items"]
    assert [a["id"] for a in states] == [other["id"]]
    assert _ok(admin.post(f"{url}/{made['id']}/reopen"))["state"] == "open"
    assert_problem(admin.get(url, params={"state": "closed"}), 400)
    assert_problem(admin.get(f"{url}/ann-missing"), 404)
    assert_problem(admin.post(url, json={"path": "nope.txt", "body": "?"}), 404)
    assert_problem(admin.post(url, json={"path": "b.txt", "body": "?", "extra": 1}), 400)


def test_an_annotation_is_outdated_once_its_file_is_rewritten(
    admin: httpx.Client, session_id: str
) -> None:
    files, url = f"/v1/sessions/{session_id}/files", f"/v1/sessions/{session_id}/annotations"
    admin.put(f"{files}/a.txt", content=b"one")
    made = _ok(admin.post(url, json={"path": "a.txt", "body": "typo"}), 201)
    stale = {"path": "a.txt", "body": "?", "content_hash": "0" * 64}
    assert_problem(admin.post(url, json=stale), 412, "precondition-failed")
    assert admin.put(f"{files}/a.txt", content=b"two").status_code == 200
    now = _ok(admin.get(f"{url}/{made['id']}"))
    assert (now["state"], now["outdated"]) == ("outdated", True)
    assert [a["id"] for a in _ok(admin.get(url, params={"state": "outdated"}))["items"]] == [
        made["id"]
    ]


# ---------------------------------------------------------------------------- approvals
def test_approvals_are_granted_and_denied_by_someone_else(
    author: httpx.Client, reviewer: httpx.Client
) -> None:
    sid = _ok(author.post("/v1/sessions", json={}), 201)["id"]
    url = f"/v1/sessions/{sid}/approvals"
    asked = _ok(author.post(url, json={"reason": "PUBLISH", "details": {"ticket": 7}}), 201)
    assert (asked["state"], asked["reason"], asked["details"]) == (
        "pending",
        "PUBLISH",
        {"ticket": 7},
    )
    assert _ok(author.get(f"{url}/{asked['id']}")) == asked
    assert_problem(author.post(f"{url}/{asked['id']}/grant"), 403, "forbidden")  # no scope
    granted = _ok(reviewer.post(f"{url}/{asked['id']}/grant", json={"comment": "fine"}))
    assert (granted["state"], granted["comment"]) == ("granted", "fine")
    assert granted["decided_by"] != asked["requested_by"]
    assert_problem(reviewer.post(f"{url}/{asked['id']}/deny"), 409, "conflict")
    second = _ok(author.post(url), 201)  # no body: the default reason
    assert second["reason"] == "COMMIT"
    denied = _ok(reviewer.post(f"{url}/{second['id']}/deny", json={"comment": "no"}))
    assert denied["state"] == "denied"
    assert [a["id"] for a in _ok(author.get(url, params={"state": "denied"}))["items"]] == [
        second["id"]
    ]
    page = _ok(author.get(url, params={"limit": 1}))
    assert page["next_cursor"] == asked["id"]
    assert_problem(author.get(url, params={"state": "maybe"}), 400)
    assert_problem(author.get(f"{url}/apr-missing"), 404)


def test_requesters_do_not_grant_their_own_approval(
    client_for: Clients, server: LiveServer
) -> None:
    both = client_for(server.issue([*AUTHOR, "review.approve"]))
    sid = _ok(both.post("/v1/sessions", json={}), 201)["id"]
    asked = _ok(both.post(f"/v1/sessions/{sid}/approvals", json={}), 201)
    url = f"/v1/sessions/{sid}/approvals/{asked['id']}"
    assert_problem(both.post(f"{url}/grant", json={}), 403, "forbidden")
    assert_problem(both.post(f"{url}/deny"), 403, "forbidden")
    assert both.get(url).json()["state"] == "pending"


def test_a_grant_after_the_session_changed_conflicts(
    author: httpx.Client, reviewer: httpx.Client
) -> None:
    sid = _ok(author.post("/v1/sessions", json={}), 201)["id"]
    asked = _ok(author.post(f"/v1/sessions/{sid}/approvals"), 201)
    author.put(f"/v1/sessions/{sid}/files/late.txt", content=b"after the request")
    url = f"/v1/sessions/{sid}/approvals/{asked['id']}"
    assert _ok(author.get(url))["state"] == "stale"
    assert_problem(reviewer.post(f"{url}/grant", json={}), 409, "conflict")


# ---------------------------------------------------------------------------- checks
def test_checks_run_and_are_reported(admin: httpx.Client, session_id: str) -> None:
    known = _ok(admin.get("/v1/checks"))
    assert {"valid-json", "no-conflict-markers"} <= {c["name"] for c in known["items"]}
    assert known["next_cursor"] is None
    first = _ok(admin.get("/v1/checks", params={"limit": 1}))
    assert [c["name"] for c in first["items"]] == [first["next_cursor"]]
    files, url = f"/v1/sessions/{session_id}/files", f"/v1/sessions/{session_id}/checks"
    admin.put(f"{files}/good.json", content=b'{"a": 1}')
    runs = _ok(admin.post(url, json={"checks": ["valid-json"]}))
    assert [(r["check"], r["status"], r["current"]) for r in runs] == [
        ("valid-json", "passed", True)
    ]
    assert _ok(admin.post(url)) == []  # no source: no branch requires a check
    admin.put(f"{files}/bad.json", content=b"{oops")
    failed = _ok(admin.post(url, json={"checks": ["valid-json"]}))[0]
    assert failed["status"] == "failed"
    assert [f["path"] for f in failed["findings"]] == ["bad.json"]
    every = _ok(admin.get(url))["items"]
    assert [r["id"] for r in every] == [runs[0]["id"], failed["id"]]
    assert [r["current"] for r in every] == [False, True]
    current = _ok(admin.get(url, params={"current": "true"}))["items"]
    assert [r["id"] for r in current] == [failed["id"]]
    assert_problem(admin.get(url, params={"current": "perhaps"}), 400)
    assert_problem(admin.post(url, json={"checks": ["no-such-check"]}), 400)


# ---------------------------------------------------------------------------- policies
def test_branch_policies_with_slashes(
    admin: httpx.Client, author: httpx.Client, source: str
) -> None:
    base = f"/v1/sources/{source}/policies"
    wanted = {"required_approvals": 2, "required_checks": ["valid-json"]}
    made = _ok(admin.put(f"{base}/feature/x", json=wanted))
    assert (made["branch"], made["required_approvals"], made["required_checks"]) == (
        "feature/x",
        2,
        ["valid-json"],
    )
    assert _ok(admin.put(f"{base}/main"))["required_approvals"] == 1  # no body: the defaults
    assert _ok(author.get(f"{base}/feature/x")) == made
    assert _ok(author.get(f"{base}/feature%2Fx")) == made  # an encoded slash is a slash
    listed = _ok(author.get(base))
    assert [p["branch"] for p in listed["items"]] == ["feature/x", "main"]
    assert _ok(author.get(base, params={"limit": 1}))["next_cursor"] == "feature/x"
    assert_problem(author.put(f"{base}/dev", json={}), 403, "forbidden")  # admin only
    assert_problem(admin.put(f"{base}/dev", json={"required_checks": ["nope"]}), 400)
    assert_problem(admin.put(f"{base}/dev", json={"required_approvals": -1}), 400)
    assert admin.delete(f"{base}/feature/x").status_code == 204
    assert_problem(author.get(f"{base}/feature/x"), 404, "not-found")
    assert_problem(admin.delete(f"{base}/feature/x"), 404, "not-found")
    assert_problem(author.get("/v1/sources/missing-source/policies"), 404)


def test_a_protected_branch_needs_an_approval(
    admin: httpx.Client, author: httpx.Client, reviewer: httpx.Client, source: str
) -> None:
    _ok(admin.put(f"/v1/sources/{source}/policies/main", json={"required_approvals": 1}))
    sid = _session_on(author, source)
    refused = author.post(f"/v1/sessions/{sid}/commit", json={"message": "add a"})
    assert_problem(refused, 403, "approval-required")
    assert _ok(author.get(f"/v1/sessions/{sid}"))["status"] == "PENDING_APPROVAL"
    asked = _ok(author.post(f"/v1/sessions/{sid}/approvals"), 201)
    assert asked["reason"] == "COMMIT_TO_MAIN"
    _ok(reviewer.post(f"/v1/sessions/{sid}/approvals/{asked['id']}/grant", json={}))
    done = _ok(author.post(f"/v1/sessions/{sid}/commit", json={"message": "add a"}))
    assert (done["branch"], done["commit"] is not None) == ("main", True)
    assert _ok(author.get(f"/v1/sessions/{sid}"))["status"] == "ACTIVE"


def test_a_failing_required_check_refuses_the_commit(
    admin: httpx.Client, author: httpx.Client, source: str
) -> None:
    policy = {"required_approvals": 0, "required_checks": ["valid-json"]}
    _ok(admin.put(f"/v1/sources/{source}/policies/main", json=policy))
    sid = _session_on(author, source)
    author.put(f"/v1/sessions/{sid}/files/broken.json", content=b"[1,")
    refused = author.post(f"/v1/sessions/{sid}/commit", json={"message": "m"})
    assert_problem(refused, 409, "checks-failed")
    reports = _ok(author.get(f"/v1/sessions/{sid}/checks", params={"current": True}))["items"]
    assert [(r["check"], r["status"]) for r in reports] == [("valid-json", "failed")]
    assert _ok(author.post(f"/v1/sessions/{sid}/checks"))[0]["status"] == "failed"  # required
    author.put(f"/v1/sessions/{sid}/files/broken.json", content=b"[1]")
    assert _ok(author.post(f"/v1/sessions/{sid}/commit", json={"message": "m"}))["commit"]


# ---------------------------------------------------------------------------- tenants
def test_another_tenants_session_and_source_are_not_found(
    admin: httpx.Client, client_for: Clients, server: LiveServer, source: str
) -> None:
    sid = _session_on(admin, source)
    note = _ok(
        admin.post(f"/v1/sessions/{sid}/annotations", json={"path": "a.txt", "body": "b"}), 201
    )
    asked = _ok(admin.post(f"/v1/sessions/{sid}/approvals"), 201)
    _ok(admin.put(f"/v1/sources/{source}/policies/main"))
    stranger = client_for(server.issue(["admin"], tenant="tenant-gates"))
    for method, url in [
        ("GET", f"/v1/sessions/{sid}/annotations"),
        ("GET", f"/v1/sessions/{sid}/annotations/{note['id']}"),
        ("POST", f"/v1/sessions/{sid}/annotations/{note['id']}/resolve"),
        ("GET", f"/v1/sessions/{sid}/approvals/{asked['id']}"),
        ("POST", f"/v1/sessions/{sid}/approvals/{asked['id']}/grant"),
        ("POST", f"/v1/sessions/{sid}/checks"),
        ("GET", f"/v1/sessions/{sid}/checks"),
        ("GET", f"/v1/sources/{source}/policies/main"),
        ("DELETE", f"/v1/sources/{source}/policies/main"),
    ]:
        assert_problem(stranger.request(method, url), 404, "not-found")
    assert _ok(admin.get(f"/v1/sessions/{sid}/approvals/{asked['id']}"))["state"] == "pending"
    assert _ok(admin.get(f"/v1/sources/{source}/policies/main"))["branch"] == "main"
