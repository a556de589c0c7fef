"""Tokens, scopes and tenants: every operation of the published schema is checked for 401 without
a token, 403 with a read-only token for anything that changes state, and 404 across tenants."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from _apitest import assert_problem

from _live import LiveServer
from aether_data.wire import datasets, gates, lint, protocol, review

PUBLIC_PATHS = {"/health", "/metrics"}
WRITE_METHODS = {"post", "put", "delete", "patch"}
READ_ONLY = ["session.read", "source.read"]

# A valid body per operation, so that 403 / 404 are never masked by a 400.
BODIES: dict[str, object] = {
    "create_session": {},
    "fork": {},
    "checkpoint": {"name": "c"},
    "restore": {"checkpoint": "c"},
    "merge_from": {"session": "{session_id}"},
    "commit": {"message": "m"},
    "resolve": {"take": {}, "message": "m"},
    "promote": {"branch": "b"},
    "mkdir": {"path": "d"},
    "symlink": {"path": "l", "target": "t"},
    "rename": {"source": "a", "destination": "b"},
    "batch": {"operations": []},
    "create_source": {"name": "x"},
    "create_ref": {"name": "r"},
    "start_import": {"origin": "https://example.invalid/x.tar"},
    "create_token": {"name": "t", "scopes": ["session.read"]},
    "publish": {"topic": "t"},
    "annotate": {"path": "a.txt", "body": "b"},
    "request_approval": {},
    "grant_approval": {},
    "deny_approval": {},
    "run_checks": {},
    "protect_branch": {"required_approvals": 1},
}

# Required query parameters, for the same reason.
QUERIES: dict[str, dict[str, str]] = {
    "kv_delete_prefix": {"prefix": "k"},
    "source_kv_delete_prefix": {"prefix": "k"},
}


@pytest.fixture(scope="module")
def schema(server: LiveServer) -> dict:
    answer = httpx.get(server.url + "/schema/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def _operations(schema: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head"}:
                yield method, path, operation


def _call(
    client: httpx.Client, method: str, path: str, operation: dict, values: dict[str, str]
) -> httpx.Response:
    url = path.format(**values)
    params = QUERIES.get(operation["operationId"])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    body = BODIES.get(operation["operationId"])
    if body is not None:
        text = json.dumps(body).replace("{session_id}", values["session_id"])
        return client.request(
            method.upper(), url, content=text, headers={"Content-Type": "application/json"}
        )
    content = b"bytes" if "requestBody" in operation else None
    return client.request(method.upper(), url, content=content)


@pytest.fixture
def values(admin: httpx.Client) -> dict[str, str]:
    """Real path parameters of tenant ``default``: a session with a file, an annotation and an
    approval, a source with a protected branch, a job."""
    sid = admin.post("/v1/sessions", json={}).json()["id"]
    admin.put(f"/v1/sessions/{sid}/files/a.txt", content=b"a")
    name = f"src-{uuid.uuid4().hex[:8]}"
    admin.post("/v1/sources", json={"name": name})
    admin.put(f"/v1/sessions/{sid}/kv/k", content=b"v")
    note = admin.post(f"/v1/sessions/{sid}/annotations", json={"path": "a.txt", "body": "b"})
    approval = admin.post(f"/v1/sessions/{sid}/approvals", json={})
    admin.put(f"/v1/sources/{name}/policies/feature/x", json={})
    return {
        "session_id": sid,
        "path": "a.txt",
        "name": name,
        "job_id": "job",
        "token_id": "tok",
        "key": "k",
        "annotation_id": note.json()["id"],
        "approval_id": approval.json()["id"],
        "branch": "feature/x",
    }


def test_every_operation_is_documented_with_its_scope(schema: dict) -> None:
    assert "bearer" in schema["components"]["securitySchemes"]
    for method, path, operation in _operations(schema):
        if path in PUBLIC_PATHS:
            assert "security" not in operation, path
            continue
        assert operation["security"] == [{"bearer": []}], (method, path)
        scope = operation["x-aether-scope"]
        assert scope in operation["description"] or scope == "any", (method, path)


def _protocol_routes(module=protocol) -> dict[tuple[str, str], str]:
    routes = {}
    for line in (module.__doc__ or "").splitlines():
        match = re.match(r"(GET|HEAD|POST|PUT|DELETE)\s+(/\S+).*\s(\S+)$", line)
        if match:
            path = re.sub(r"\{[^}]*\}", "{}", match.group(2).split("?")[0])
            routes[(match.group(1).lower(), "/v1" + path)] = match.group(3)
    return routes


def test_the_protocol_route_table_is_served_with_its_scopes(schema: dict) -> None:
    served = {
        (method, re.sub(r"\{[^}]*\}", "{}", path)): operation.get("x-aether-scope")
        for method, path, operation in _operations(schema)
    }
    table = _protocol_routes()
    assert len(table) == 37  # GET files serves both read and download
    review_table = _protocol_routes(review)
    assert len(review_table) == 10  # and the same five knowledge routes under /sources/{name}
    for route, scope in (table | review_table).items():
        assert served.get(route) == scope, route
    for (method, path), scope in review_table.items():
        if "/kv" in path:
            source_scope = scope.replace("session.", "source.")
            assert served[method, path.replace("/sessions/", "/sources/")] == source_scope


@pytest.mark.parametrize(("module", "count"), [(gates, 17), (datasets, 2), (lint, 1)])
def test_route_tables_are_served_with_their_scopes_and_names(
    schema: dict, module, count: int
) -> None:
    """The tables of ``wire.gates``, ``wire.datasets`` and ``wire.lint``: method, route, name
    and scope."""
    served = {
        (method, re.sub(r"\{[^}]*\}", "{}", path)): operation
        for method, path, operation in _operations(schema)
    }
    table = {}
    for line in (module.__doc__ or "").splitlines():
        words = line.split()
        if words and words[0] in {"GET", "POST", "PUT", "DELETE"}:
            path = re.sub(r"\{[^}]*\}", "{}", words[1].split("?")[0])
            table[words[0].lower(), "/v1" + path] = (words[2], words[-1])
    assert len(table) == count
    for route, (name, scope) in table.items():
        assert (served[route]["operationId"], served[route]["x-aether-scope"]) == (name, scope)


def test_no_token_is_401_everywhere(schema: dict, server: LiveServer, values: dict) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for method, path, operation in _operations(schema):
            if path in PUBLIC_PATHS:
                continue
            answer = _call(anonymous, method, path, operation, values)
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
            if method != "head":
                assert_problem(answer, 401, "unauthorized")


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Bearer aet_0123456789abcdef_" + "x" * 43, "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_bad_tokens_are_401(server: LiveServer, header: str) -> None:
    answer = httpx.get(server.url + "/v1/sessions", headers={"Authorization": header})
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_read_only_token_is_403_on_every_change(
    schema: dict,
    client_for: Callable[[str | None], httpx.Client],
    server: LiveServer,
    values: dict,
) -> None:
    reader = client_for(server.issue(READ_ONLY))
    checked = 0
    for method, path, operation in _operations(schema):
        if method not in WRITE_METHODS:
            continue
        answer = _call(reader, method, path, operation, values)
        assert_problem(answer, 403, "forbidden")
        checked += 1
    assert checked >= 20
    # ... and nothing changed: the file is still there and no session was made
    admin = client_for(None)
    assert admin.get(f"/v1/sessions/{values['session_id']}/files/a.txt").content == b"a"


def test_read_only_token_reads(client_for, server: LiveServer, values: dict) -> None:
    reader = client_for(server.issue(READ_ONLY))
    assert reader.get(f"/v1/sessions/{values['session_id']}/files/a.txt").content == b"a"
    assert reader.get(f"/v1/sources/{values['name']}").status_code == 200
    assert_problem(reader.get("/v1/tokens"), 403)


def test_scopes_are_checked_one_by_one(client_for, server: LiveServer, values: dict) -> None:
    sid = values["session_id"]
    writer = client_for(server.issue(["session.write"]))
    assert writer.put(f"/v1/sessions/{sid}/files/b.txt", content=b"b").status_code == 201
    assert_problem(writer.get(f"/v1/sessions/{sid}"), 403)  # write does not imply read
    assert_problem(writer.delete(f"/v1/sessions/{sid}/files/b.txt"), 403)
    assert_problem(writer.post(f"/v1/sessions/{sid}/commit", json={"message": "m"}), 403)
    deleter = client_for(server.issue(["session.delete"]))
    assert deleter.delete(f"/v1/sessions/{sid}/files/b.txt").status_code == 204
    source_writer = client_for(server.issue(["source.write"]))
    url = f"/v1/sources/{values['name']}/imports"
    assert_problem(source_writer.post(url, json={"origin": "https://x.invalid/a.tar"}), 403)


def test_tenants_do_not_see_each_other(
    schema: dict, client_for, server: LiveServer, values: dict
) -> None:
    """An admin of another tenant gets 404 on this tenant's session and source, every route."""
    stranger = client_for(server.issue(["admin"], tenant="tenant-a"))
    checked = 0
    for method, path, operation in _operations(schema):
        if "{session_id}" not in path and "{name}" not in path:
            continue
        answer = _call(stranger, method, path, operation, values)
        assert answer.status_code == 404, (method, path, answer.text)
        checked += 1
    assert checked >= 30
    own = stranger.post("/v1/sessions", json={}).json()["id"]
    merge = stranger.post(f"/v1/sessions/{own}/merge-from", json={"session": values["session_id"]})
    assert_problem(merge, 404)
    listed = stranger.get("/v1/sessions").json()["items"]
    assert [s["id"] for s in listed] == [own]
    assert stranger.get("/v1/sources").json()["items"] == []
    admin = client_for(None)
    assert admin.get(f"/v1/sessions/{values['session_id']}/files/a.txt").content == b"a"
    assert_problem(admin.get(f"/v1/sessions/{own}"), 404)


def test_whoami(client_for, server: LiveServer) -> None:
    secret = server.issue(["session.read", "source.read"], tenant="team-x")
    me = client_for(secret).get("/v1/whoami")
    assert me.status_code == 200
    body = me.json()
    assert body["tenant"] == "team-x"
    assert body["scopes"] == ["session.read", "source.read"]
    assert secret.startswith(f"aet_{body['token']}_")


def test_token_administration(admin: httpx.Client, client_for) -> None:
    made = admin.post("/v1/tokens", json={"name": "ci", "scopes": ["session.read"]})
    assert made.status_code == 201, made.text
    issued = made.json()
    assert issued["token"]["tenant"] == "default"
    assert "secret_hash" not in issued["token"]
    user = client_for(issued["secret"])
    assert user.get("/v1/sessions").status_code == 200
    listed = admin.get("/v1/tokens", params={"limit": 1000}).json()["items"]
    assert issued["token"]["id"] in [t["id"] for t in listed]
    assert admin.delete(f"/v1/tokens/{issued['token']['id']}").status_code == 204
    assert_problem(user.get("/v1/sessions"), 401)
    assert_problem(admin.delete("/v1/tokens/0000000000000000"), 404)
    assert_problem(admin.post("/v1/tokens", json={"name": "x", "scopes": ["fly"]}), 400)
    assert_problem(admin.post("/v1/tokens", json={"name": "x", "scopes": []}), 400)
    assert_problem(
        admin.post("/v1/tokens", json={"name": "x", "scopes": ["admin"], "expires_in": -5}), 400
    )


def test_tokens_for_another_tenant(admin: httpx.Client, client_for) -> None:
    made = admin.post(
        "/v1/tokens",
        json={"name": "b", "scopes": ["admin"], "tenant": "tenant-b", "expires_in": 3600},
    ).json()
    assert made["token"]["tenant"] == "tenant-b"
    assert made["token"]["expires_at"] is not None
    other = client_for(made["secret"])
    assert other.get("/v1/whoami").json()["tenant"] == "tenant-b"
    assert [t["tenant"] for t in other.get("/v1/tokens").json()["items"]] == ["tenant-b"]
    assert_problem(
        admin.post("/v1/tokens", json={"name": "b", "scopes": ["admin"], "tenant": "Bad Tenant"}),
        400,
    )


def test_public_routes_need_no_token(server: LiveServer, tmp_path: Path) -> None:
    assert httpx.get(server.url + "/health").json() == {"status": "ok"}
    assert httpx.get(server.url + "/metrics").status_code == 200
    assert httpx.get(server.url + "/schema/openapi.json").status_code == 200
    assert httpx.get(server.url + "/schema").status_code == 200


def test_revocation_elsewhere_takes_effect_within_the_cache_time(
    server: LiveServer, client_for
) -> None:
    secret = server.issue(["session.read"])
    user = client_for(secret)
    assert user.get("/v1/whoami").status_code == 200  # now cached
    token_id = secret.split("_")[1]
    server.services.tokens.revoke(token_id)  # as the CLI would: not through this server
    deadline = time.monotonic() + 5
    while user.get("/v1/whoami").status_code == 200:
        assert time.monotonic() < deadline, "a revoked token still works after 5 s"
        time.sleep(0.1)
    assert_problem(user.get("/v1/whoami"), 401)
