"""Dataset diffs over HTTP: ``GET /v1/sessions/{id}/dataset-diff/{path}`` as a JSON page and
as every changed row streamed (Arrow IPC stream, Parquet, CSV, JSON Lines; by ``format`` or
``Accept``), keys and tolerances as query parameters, problems answered before any streaming,
scopes and tenants; and ``GET /v1/sessions/{id}/diff?datasets=true``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _apitest import assert_problem

from _live import LiveServer

Clients = Callable[[str | None], httpx.Client]
BEFORE = "id,day,amount,note\n1,2024-01-01,1.5,a\n2,2024-01-02,2.5,b\n3,2024-01-03,3.5,c\n"
AFTER = "id,day,amount,note\n1,2024-01-01,1.55,a\n3,2024-01-03,3.5,see\n4,2024-01-04,4.5,d\n"
ARROW = "application/vnd.apache.arrow.stream"


@pytest.fixture
def edited(admin: httpx.Client, session_id: str) -> str:
    """A session whose checkpoint ``v1`` holds BEFORE at ``in/by day.csv``, now AFTER."""
    url = f"/v1/sessions/{session_id}/files/in/by%20day.csv"
    assert admin.put(url, content=BEFORE.encode()).status_code == 201
    assert admin.put(f"/v1/sessions/{session_id}/files/notes.md", content=b"#").status_code == 201
    made = admin.post(f"/v1/sessions/{session_id}/checkpoints", json={"name": "v1"})
    assert made.status_code == 201, made.text
    assert admin.put(url, content=AFTER.encode()).status_code == 200
    return session_id


def _url(session_id: str, path: str = "in/by%20day.csv") -> str:
    return f"/v1/sessions/{session_id}/dataset-diff/{path}"


def test_json_page(admin: httpx.Client, edited: str) -> None:
    answer = admin.get(_url(edited), params={"against": "v1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    found = answer.json()
    assert (found["path"], found["key"], found["key_source"]) == (
        "in/by day.csv",
        ["id"],
        "inferred",
    )
    assert found["summary"]["rows_before"] == found["summary"]["rows_after"] == 3
    counts = {k: found["summary"][k] for k in ("added", "removed", "changed", "unchanged")}
    assert counts == {"added": 1, "removed": 1, "changed": 2, "unchanged": 0}
    assert found["summary"]["changed_cells"] == {"day": 0, "amount": 1, "note": 1}
    assert [(r["_change"], r["id"], r["_changed"]) for r in found["rows"]] == [
        ("changed", 1, ["amount"]),
        ("removed", 2, []),
        ("changed", 3, ["note"]),
        ("added", 4, []),
    ]
    assert found["rows"][1]["before.day"] == "2024-01-02"
    assert (found["total_rows"], found["next_offset"]) == (4, None)
    page = admin.get(_url(edited), params={"against": "v1", "limit": 1, "offset": 1}).json()
    assert ([r["id"] for r in page["rows"]], page["offset"], page["next_offset"]) == ([2], 1, 2)


def test_keys_and_tolerances_as_query_parameters(admin: httpx.Client, edited: str) -> None:
    params: list[tuple[str, str]] = [("against", "v1"), ("key", "id"), ("key", "day")]
    found = admin.get(_url(edited), params=params).json()
    assert (found["key"], found["key_source"]) == (["id", "day"], "given")
    close = admin.get(_url(edited), params=[*params, ("tolerance", "amount:0.1")]).json()
    assert (close["summary"]["changed"], close["summary"]["changed_cells"]["amount"]) == (1, 0)
    relative = [*params, ("tolerance", "amount:0:0.05")]
    assert admin.get(_url(edited), params=relative).json()["summary"]["changed"] == 1
    tight = [*params, ("tolerance", "amount:0:0.01")]
    assert admin.get(_url(edited), params=tight).json()["summary"]["changed"] == 2
    for bad in ("amount", "amount:x", "amount:-1", "note:1", "nope:1"):
        answer = admin.get(_url(edited), params=[*params, ("tolerance", bad)])
        assert_problem(answer, 400, "invalid")


def test_streamed_arrow_equals_the_json_rows(admin: httpx.Client, edited: str) -> None:
    rows = admin.get(_url(edited), params={"against": "v1", "limit": 10_000}).json()["rows"]
    answer = admin.get(_url(edited), params={"against": "v1"}, headers={"Accept": ARROW})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(ARROW)
    assert 'filename="by day-diff.arrow"' in answer.headers["content-disposition"]
    table = pa.ipc.open_stream(answer.content).read_all()
    assert table.column_names == list(rows[0])
    streamed = table.to_pylist()
    for row in streamed:
        for side in ("before.day", "after.day"):
            row[side] = row[side] and row[side].isoformat()
    assert streamed == rows
    by_format = admin.get(_url(edited), params={"against": "v1", "format": "arrow"})
    assert by_format.content == answer.content


def test_streamed_parquet_csv_and_json_lines(admin: httpx.Client, edited: str) -> None:
    rows = admin.get(_url(edited), params={"against": "v1"}).json()["rows"]
    parquet = admin.get(_url(edited), params={"against": "v1", "format": "parquet"})
    assert parquet.headers["content-type"].startswith("application/vnd.apache.parquet")
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == len(rows)
    lines = admin.get(
        _url(edited), params={"against": "v1"}, headers={"Accept": "application/x-ndjson"}
    )
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in lines.text.splitlines()] == rows
    csv = admin.get(_url(edited), params={"against": "v1"}, headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("_change,_changed,id,before.day,after.day")
    assert len(csv.text.splitlines()) == 1 + len(rows)
    assert_problem(admin.get(_url(edited), params={"format": "xml"}), 400)


def test_problems_come_before_any_stream(admin: httpx.Client, edited: str) -> None:
    for headers in ({}, {"Accept": ARROW}):
        assert_problem(admin.get(_url(edited, "notes.md"), headers=headers), 400, "invalid")
        assert_problem(admin.get(_url(edited, "in"), headers=headers), 400, "invalid")
        missing = admin.get(_url(edited, "in/none.csv"), params={"against": "v1"}, headers=headers)
        assert "old side" in assert_problem(missing, 404, "not-found")["detail"]
        keyless = admin.get(_url(edited), params={"against": "v1", "key": "nope"}, headers=headers)
        assert "key column 'nope'" in assert_problem(keyless, 400, "invalid")["detail"]
        assert_problem(admin.get(_url(edited), params={"against": "v0"}, headers=headers), 404)
    assert_problem(admin.get(_url(edited, "in/..%2Fnotes.md")), 400, "invalid")
    assert_problem(admin.get(_url(edited), params={"limit": 10_001}), 400)
    assert_problem(admin.get(_url(edited), params={"offset": -1}), 400)
    assert_problem(admin.get(_url("s-0000000000000000", "a.csv")), 404)


def test_scopes_and_tenants(client_for: Clients, server: LiveServer, edited: str) -> None:
    url = _url(edited) + "?against=v1"
    assert client_for(server.issue(["session.read"])).get(url).status_code == 200
    assert_problem(client_for(server.issue(["session.write"])).get(url), 403, "forbidden")
    stranger = client_for(server.issue(["admin"], tenant="tenant-x"))
    assert_problem(stranger.get(url), 404)
    assert_problem(stranger.get(url, headers={"Accept": ARROW}), 404)
    with httpx.Client(base_url=server.url) as anonymous:
        assert_problem(anonymous.get(url), 401, "unauthorized")


def test_tree_diff_with_data_summaries(admin: httpx.Client, edited: str) -> None:
    url = f"/v1/sessions/{edited}/diff"
    plain = admin.get(url, params={"against": "v1"}).json()["items"]
    assert [(c["path"], c["dataset"]) for c in plain] == [("in/by day.csv", None)]
    items = admin.get(url, params={"against": "v1", "datasets": "true"}).json()["items"]
    summary = items[0]["dataset"]
    assert (summary["key"], summary["summary"]["changed"]) == (["id"], 2)
    assert items[0]["dataset_error"] is None
    admin.put(f"/v1/sessions/{edited}/files/notes.md", content=b"# more")
    first = admin.get(url, params={"against": "v1", "datasets": "true", "limit": 1}).json()
    assert [c["dataset"] is not None for c in first["items"]] == [True]
    rest = admin.get(
        url, params={"against": "v1", "datasets": "true", "cursor": first["next_cursor"]}
    ).json()
    assert [(c["path"], c["dataset"]) for c in rest["items"]] == [("notes.md", None)]
    assert_problem(admin.get(url, params={"datasets": "maybe"}), 400)


def test_documented_in_the_schema(server: LiveServer) -> None:
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    route = schema["paths"]["/v1/sessions/{session_id}/dataset-diff/{path}"]["get"]
    assert (route["operationId"], route["x-aether-scope"]) == ("diff_dataset", "session.read")
    names = {parameter["name"] for parameter in route["parameters"]}
    assert {"against", "key", "tolerance", "offset", "limit", "format"} <= names
    diff = schema["paths"]["/v1/sessions/{session_id}/diff"]["get"]
    assert "datasets" in {parameter["name"] for parameter in diff["parameters"]}


def test_download_names_any_file(admin: httpx.Client, session_id: str) -> None:
    url = f"/v1/sessions/{session_id}/files/%C3%BCn%C3%AF%20%22q%22.csv"
    assert admin.put(url, content=BEFORE.encode()).status_code == 201
    admin.post(f"/v1/sessions/{session_id}/checkpoints", json={"name": "v1"})
    assert admin.put(url, content=AFTER.encode()).status_code == 200
    answer = admin.get(
        _url(session_id, "%C3%BCn%C3%AF%20%22q%22.csv"), params={"against": "v1", "format": "csv"}
    )
    assert answer.status_code == 200, answer.text
    disposition = answer.headers["content-disposition"]
    assert 'filename="_n_ _q_-diff.csv"' in disposition
    assert "filename*=UTF-8''%C3%BCn%C3%AF%20%22q%22-diff.csv" in disposition
