"""Request size limits (413), problem+json for every error, health and metrics."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from _apitest import PROBLEM, assert_problem

from _live import LiveServer, start_thread_server
from aether_data.settings import Settings

JSON_LIMIT = 64 * 1024
UPLOAD_LIMIT = 1 << 20


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small limits: 64 KiB of JSON, 1 MiB per upload."""
    settings = Settings.for_home(
        tmp_path_factory.mktemp("small"), max_json_bytes=JSON_LIMIT, max_upload_bytes=UPLOAD_LIMIT
    )
    with start_thread_server(settings) as live:
        yield live


@pytest.fixture
def small_client(small: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=small.url, headers=small.headers(), timeout=60) as client:
        yield client


def test_oversized_json_is_413(small_client: httpx.Client) -> None:
    metadata = {"blob": "x" * (JSON_LIMIT + 10)}
    answer = small_client.post("/v1/sessions", json={"metadata": metadata})
    assert_problem(answer, 413, "too-large")
    assert small_client.post("/v1/sessions", json={"metadata": {"a": "x" * 1000}}).is_success


def test_oversized_json_without_length_is_413(small_client: httpx.Client) -> None:
    text = json.dumps({"metadata": {"blob": "x" * (JSON_LIMIT + 10)}}).encode()
    pieces = (text[i : i + 8192] for i in range(0, len(text), 8192))
    answer = small_client.post(
        "/v1/sessions", content=pieces, headers={"Content-Type": "application/json"}
    )
    assert_problem(answer, 413, "too-large")


def test_oversized_upload_is_413(small_client: httpx.Client) -> None:
    sid = small_client.post("/v1/sessions", json={}).json()["id"]
    url = f"/v1/sessions/{sid}/files/big.bin"
    assert small_client.put(url, content=os.urandom(UPLOAD_LIMIT)).status_code == 201
    assert_problem(small_client.put(url, content=os.urandom(UPLOAD_LIMIT + 1)), 413, "too-large")
    pieces = (os.urandom(65536) for _ in range(UPLOAD_LIMIT // 65536 + 1))
    assert_problem(small_client.put(url, content=pieces), 413)  # chunked: no Content-Length
    with_length = small_client.get(url)
    assert len(with_length.content) == UPLOAD_LIMIT  # the first upload is untouched


def test_oversized_archive_upload_is_413(small_client: httpx.Client) -> None:
    answer = small_client.post("/v1/sessions/upload", content=os.urandom(UPLOAD_LIMIT + 1))
    assert_problem(answer, 413)


def test_unknown_route_and_method_are_problems(server: LiveServer) -> None:
    headers = server.headers()
    assert_problem(httpx.get(server.url + "/v1/nothing-here", headers=headers), 404)
    assert_problem(httpx.get(server.url + "/nothing", headers=headers), 404)
    answer = httpx.patch(server.url + "/v1/sessions", headers=headers)
    problem = assert_problem(answer, 405)
    assert problem["title"] == "Method Not Allowed"
    assert "GET" in answer.headers["allow"]


def test_validation_errors_name_the_field(admin: httpx.Client) -> None:
    answer = admin.post("/v1/sources", json={"name": 5})
    problem = assert_problem(answer, 400, "invalid")
    assert problem["extra"]["errors"][0]["key"] == "name"


def test_problem_instance_is_the_path(admin: httpx.Client) -> None:
    problem = assert_problem(admin.get("/v1/sessions/s-0000000000000000"), 404)
    assert problem["instance"] == "/v1/sessions/s-0000000000000000"
    assert problem["title"] == "Not found"


def test_health(server: LiveServer) -> None:
    answer = httpx.get(server.url + "/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_metrics_count_requests_by_route(server: LiveServer, admin: httpx.Client) -> None:
    sid = admin.post("/v1/sessions", json={}).json()["id"]
    admin.put(f"/v1/sessions/{sid}/files/m.txt", content=b"x" * 1000)
    admin.get(f"/v1/sessions/{sid}/files/m.txt")
    admin.get(f"/v1/sessions/{sid}/files/missing.txt")
    text = httpx.get(server.url + "/metrics").text
    route = "/v1/sessions/{session_id}/files/{path}"
    assert f'aether_http_requests_total{{method="GET",route="{route}",status="200"}}' in text
    assert f'aether_http_requests_total{{method="GET",route="{route}",status="404"}}' in text
    assert f'aether_http_request_duration_seconds_count{{route="{route}"}}' in text
    assert f'aether_http_request_duration_seconds_bucket{{route="{route}",le="+Inf"}}' in text
    received = re.search(
        rf'aether_http_request_bytes_total{{route="{re.escape(route)}"}} (\d+)', text
    )
    sent = re.search(rf'aether_http_response_bytes_total{{route="{re.escape(route)}"}} (\d+)', text)
    assert int(received.group(1)) >= 1000
    assert int(sent.group(1)) >= 1000
    assert "# TYPE aether_http_request_duration_seconds histogram" in text
    assert httpx.get(server.url + "/metrics").headers["content-type"].startswith("text/plain")


def test_errors_never_leak_tracebacks(admin: httpx.Client) -> None:
    for answer in (
        admin.get("/v1/sessions/s-0000000000000000/files/%00"),
        admin.post(
            "/v1/sessions", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
        ),
        admin.get("/v1/sessions", params={"limit": "many"}),
    ):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert "Traceback" not in answer.text
        assert 'File "' not in answer.text
