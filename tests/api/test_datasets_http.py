"""Dataset profiles over HTTP: ``GET /v1/sessions/{id}/datasets/{path}`` (paths with slashes
and encoded characters, traversal refused, problems for what is not a readable dataset,
scopes and tenants) and ``GET /v1/sessions/{id}/manifest?datasets=true``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from _apitest import assert_problem

from _live import LiveServer

Clients = Callable[[str | None], httpx.Client]
CSV = b"id\tcity\n1\tOslo\n2\t\n"


@pytest.fixture
def stocked(admin: httpx.Client, session_id: str) -> str:
    for path, data in {
        "data/by%20city.tsv": CSV,
        "data/bad.jsonl": b'{"a": 1}\n{oops\n',
        "notes.md": b"# notes\n",
    }.items():
        answer = admin.put(f"/v1/sessions/{session_id}/files/{path}", content=data)
        assert answer.status_code == 201, answer.text
    return session_id


def test_profile_of_a_file_in_a_folder(admin: httpx.Client, stocked: str) -> None:
    answer = admin.get(f"/v1/sessions/{stocked}/datasets/data/by%20city.tsv")
    assert answer.status_code == 200, answer.text
    profile = answer.json()
    file_id = admin.get(f"/v1/sessions/{stocked}/entry", params={"path": "data/by city.tsv"})
    assert profile["path"] == "data/by city.tsv"
    assert profile["id"] == file_id.json()["id"]
    assert (profile["format"], profile["row_count"], profile["size"]) == ("csv", 2, len(CSV))
    assert profile["columns"] == [
        {
            "name": "id",
            "type": "BIGINT",
            "null_count": 0,
            "distinct_count": 2,
            "min": 1,
            "max": 2,
        },
        {
            "name": "city",
            "type": "VARCHAR",
            "null_count": 1,
            "distinct_count": 1,
            "min": "Oslo",
            "max": "Oslo",
        },
    ]
    assert profile["preview"] == [[1, "Oslo"], [2, None]]
    assert profile["dialect"] == {"delimiter": "\t", "quote": "", "escape": "", "header": True}


def test_problems(admin: httpx.Client, stocked: str) -> None:
    base = f"/v1/sessions/{stocked}/datasets"
    problem = assert_problem(admin.get(f"{base}/data/bad.jsonl"), 400, "invalid")
    assert "cannot read data/bad.jsonl as jsonl" in problem["detail"]
    assert_problem(admin.get(f"{base}/notes.md"), 400, "invalid")
    assert_problem(admin.get(f"{base}/data"), 400, "invalid")
    assert_problem(admin.get(f"{base}/data/missing.csv"), 404, "not-found")
    assert_problem(admin.get(f"{base}/data/..%2Fnotes.md"), 400, "invalid")
    assert_problem(admin.get("/v1/sessions/s-0000000000000000/datasets/a.csv"), 404)


def test_scopes_and_tenants(client_for: Clients, server: LiveServer, stocked: str) -> None:
    url = f"/v1/sessions/{stocked}/datasets/data/by%20city.tsv"
    assert client_for(server.issue(["session.read"])).get(url).status_code == 200
    assert_problem(client_for(server.issue(["session.write"])).get(url), 403, "forbidden")
    assert_problem(client_for(server.issue(["admin"], tenant="tenant-x")).get(url), 404)
    with httpx.Client(base_url=server.url) as anonymous:
        assert_problem(anonymous.get(url), 401, "unauthorized")


def test_manifest_with_dataset_hints(admin: httpx.Client, stocked: str) -> None:
    url = f"/v1/sessions/{stocked}/manifest"
    plain = admin.get(url).json()["items"]
    assert all("dataset" not in item for item in plain)
    hinted = {
        item["path"]: item.get("dataset")
        for item in admin.get(url, params={"datasets": "true"}).json()["items"]
    }
    assert hinted["data/by city.tsv"] == {
        "format": "csv",
        "row_count": 2,
        "columns": [{"name": "id", "type": "BIGINT"}, {"name": "city", "type": "VARCHAR"}],
    }
    assert hinted["data/bad.jsonl"] is None
    assert hinted["notes.md"] is None
    assert_problem(admin.get(url, params={"datasets": "maybe"}), 400)


def test_documented_in_the_schema(admin: httpx.Client, server: LiveServer) -> None:
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    route = schema["paths"]["/v1/sessions/{session_id}/datasets/{path}"]["get"]
    assert (route["operationId"], route["x-aether-scope"]) == ("inspect_dataset", "session.read")
    manifest = schema["paths"]["/v1/sessions/{session_id}/manifest"]["get"]
    assert "datasets" in {parameter["name"] for parameter in manifest["parameters"]}
