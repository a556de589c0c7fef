"""Sources, refs, history and imports over HTTP."""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _apitest import assert_problem


def _name() -> str:
    return f"src-{uuid.uuid4().hex[:8]}"


def test_create_get_list_sources(admin: httpx.Client) -> None:
    name = _name()
    made = admin.post("/v1/sources", json={"name": name, "description": "d"})
    assert made.status_code == 201
    assert made.json()["default_branch"] == "main"
    assert admin.get(f"/v1/sources/{name}").json()["description"] == "d"
    assert_problem(admin.post("/v1/sources", json={"name": name}), 409, "conflict")
    assert_problem(admin.post("/v1/sources", json={"name": "Bad Name!"}), 400)
    assert_problem(admin.post("/v1/sources", json={}), 400)
    assert_problem(admin.get("/v1/sources/missing-source"), 404)
    other = _name()
    admin.post("/v1/sources", json={"name": other})
    names, cursor = [], None
    while True:
        page = admin.get("/v1/sources", params={"limit": 1, "cursor": cursor}).json()
        names += [s["name"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert {name, other} <= set(names)
    assert names == sorted(names)


def test_refs_and_log(admin: httpx.Client) -> None:
    name = _name()
    admin.post("/v1/sources", json={"name": name})
    sid = admin.post("/v1/sessions", json={"source": name}).json()["id"]
    admin.put(f"/v1/sessions/{sid}/files/a.txt", content=b"a")
    first = admin.post(f"/v1/sessions/{sid}/commit", json={"message": "add a"}).json()["commit"]
    admin.put(f"/v1/sessions/{sid}/files/b.txt", content=b"b")
    admin.post(f"/v1/sessions/{sid}/commit", json={"message": "add b"})
    tag = admin.post(f"/v1/sources/{name}/refs", json={"name": "v1", "at": first, "kind": "tag"})
    assert tag.status_code == 201, tag.text
    assert tag.json() | {"updated_at": None} == {
        "source": name,
        "name": "v1",
        "kind": "tag",
        "commit": first,
        "updated_at": None,
    }
    assert admin.post(f"/v1/sources/{name}/refs", json={"name": "dev"}).status_code == 201
    assert_problem(admin.post(f"/v1/sources/{name}/refs", json={"name": "dev"}), 409)
    assert_problem(admin.post(f"/v1/sources/{name}/refs", json={"name": "x", "kind": "?"}), 400)
    refs = admin.get(f"/v1/sources/{name}/refs").json()
    assert [r["name"] for r in refs["items"]] == ["dev", "main", "v1"]
    log = admin.get(f"/v1/sources/{name}/commits", params={"limit": 2}).json()
    assert [c["message"] for c in log["items"]] == ["add b", "add a"]
    older = admin.get(f"/v1/sources/{name}/commits", params={"cursor": log["next_cursor"]})
    assert len(older.json()["items"]) == 1  # the source's first, empty commit
    at_tag = admin.get(f"/v1/sources/{name}/commits", params={"ref": "v1"}).json()
    assert at_tag["items"][0]["id"] == first
    assert_problem(admin.get(f"/v1/sources/{name}/commits", params={"ref": "nope"}), 404)
    assert_problem(admin.get("/v1/sources/missing-source/refs"), 404)


@pytest.fixture
def served_archive(tmp_path: Path) -> Iterator[str]:
    """URL of a tar.gz holding ``data/a.csv``, from a web server on loopback."""
    with tarfile.open(tmp_path / "ws.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("data/a.csv")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"id\n1\n"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{web.server_address[1]}/ws.tar.gz"
    finally:
        web.shutdown()
        web.server_close()


def _finished(client: httpx.Client, url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {url} did not finish")


def test_import_over_http(admin: httpx.Client, served_archive: str) -> None:
    pytest.importorskip("aiohttp", reason="fsspec's http filesystem needs aiohttp")
    name = _name()
    admin.post("/v1/sources", json={"name": name})
    started = admin.post(f"/v1/sources/{name}/imports", json={"origin": served_archive})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    done = _finished(admin, f"/v1/sources/{name}/imports/{job['id']}")
    assert done["status"] == "SUCCEEDED", done
    listed = admin.get(f"/v1/sources/{name}/imports").json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    sid = admin.post("/v1/sessions", json={"source": name}).json()["id"]
    assert admin.get(f"/v1/sessions/{sid}/files/data/a.csv").content == b"id\n1\n"


def test_import_errors(admin: httpx.Client, tmp_path: Path) -> None:
    name = _name()
    admin.post("/v1/sources", json={"name": name})
    url = f"/v1/sources/{name}/imports"
    assert_problem(admin.post(url, json={"origin": str(tmp_path)}), 403)  # the server's own disk
    assert_problem(admin.post(url, json={"origin": f"file://{tmp_path}"}), 403)
    assert_problem(admin.post(url, json={"origin": "ftp://example.invalid/x"}), 400)
    assert_problem(admin.post(url, json={}), 400)
    assert_problem(admin.get(f"{url}/no-such-job"), 404)
    assert_problem(admin.post("/v1/sources/missing-source/imports", json={"origin": "x"}), 404)
