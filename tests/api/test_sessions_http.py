"""Session lifecycle routes over HTTP, happy paths and their error statuses."""

from __future__ import annotations

import io
import tarfile
import uuid
import zipfile

import httpx
import pytest
from _apitest import assert_problem


def _write(client: httpx.Client, sid: str, path: str, data: bytes) -> None:
    answer = client.put(f"/v1/sessions/{sid}/files/{path}", content=data)
    assert answer.status_code in (200, 201), answer.text


def _source(client: httpx.Client) -> str:
    name = f"src-{uuid.uuid4().hex[:8]}"
    assert client.post("/v1/sources", json={"name": name}).status_code == 201
    return name


def test_create_get_and_list(admin: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    made = admin.post("/v1/sessions", json={"name": "one", "tags": [tag], "metadata": {"k": 1}})
    assert made.status_code == 201
    session = made.json()
    assert session["status"] == "ACTIVE"
    assert session["tags"] == [tag]
    assert admin.get(f"/v1/sessions/{session['id']}").json() == session
    for _ in range(2):
        admin.post("/v1/sessions", json={"tags": [tag]})
    first = admin.get("/v1/sessions", params={"tag": tag, "limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["items"][0]["id"] == session["id"]
    rest = admin.get("/v1/sessions", params={"tag": tag, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    active = admin.get("/v1/sessions", params={"status": "active", "tag": tag}).json()
    assert len(active["items"]) == 3


def test_create_errors(admin: httpx.Client) -> None:
    assert_problem(admin.post("/v1/sessions", json={"surprise": 1}), 400, "invalid")
    assert_problem(admin.post("/v1/sessions", json={"tags": "not-a-list"}), 400)
    assert_problem(
        admin.post(
            "/v1/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
    )
    assert_problem(admin.post("/v1/sessions", json={"source": "nope"}), 404)
    two = {"template": "starter", "checkpoint": {"session": "s-1", "name": "c"}}
    assert_problem(admin.post("/v1/sessions", json=two), 400)
    assert_problem(admin.post("/v1/sessions", json={"template": "no-such-template"}), 404)
    assert_problem(admin.get("/v1/sessions", params={"limit": 5000}), 400)
    assert_problem(admin.get("/v1/sessions", params={"status": "sleeping"}), 400)
    assert_problem(admin.get("/v1/sessions/s-0000000000000000"), 404, "not-found")


def test_from_template(admin: httpx.Client) -> None:
    made = admin.post("/v1/sessions", json={"template": "starter"})
    assert made.status_code == 201, made.text
    manifest = admin.get(f"/v1/sessions/{made.json()['id']}/manifest").json()
    assert manifest["items"]


def test_fork_checkpoint_restore(admin: httpx.Client, session_id: str) -> None:
    base = f"/v1/sessions/{session_id}"
    _write(admin, session_id, "a.txt", b"one")
    point = admin.post(f"{base}/checkpoints", json={"name": "c1", "message": "first"})
    assert point.status_code == 201
    assert point.json()["name"] == "c1"
    assert_problem(admin.post(f"{base}/checkpoints", json={"name": "c1"}), 409, "conflict")
    assert admin.post(f"{base}/checkpoints").status_code == 201  # no body: a generated name
    listed = admin.get(f"{base}/checkpoints", params={"limit": 1}).json()
    assert [c["name"] for c in listed["items"]] == ["c1"]
    assert listed["next_cursor"]
    _write(admin, session_id, "a.txt", b"two")
    restored = admin.post(f"{base}/restore", json={"checkpoint": "c1"})
    assert restored.status_code == 200
    assert admin.get(f"{base}/files/a.txt").content == b"one"
    assert_problem(admin.post(f"{base}/restore", json={"checkpoint": "nope"}), 404)
    assert_problem(admin.post(f"{base}/restore", json={}), 400)
    fork = admin.post(f"{base}/fork", json={"name": "child"})
    assert fork.status_code == 201
    child = fork.json()["id"]
    assert admin.get(f"/v1/sessions/{child}/files/a.txt").content == b"one"
    assert admin.post(f"{base}/fork").status_code == 201
    from_point = admin.post(
        "/v1/sessions", json={"checkpoint": {"session": session_id, "name": "c1"}}
    )
    assert from_point.status_code == 201


def test_merge_from_and_diff(admin: httpx.Client, session_id: str) -> None:
    base = f"/v1/sessions/{session_id}"
    _write(admin, session_id, "a.txt", b"a")
    child = admin.post(f"{base}/fork").json()["id"]
    _write(admin, child, "b.txt", b"b")
    _write(admin, child, "c.txt", b"c")
    merged = admin.post(f"{base}/merge-from", json={"session": child})
    assert merged.status_code == 200, merged.text
    assert admin.get(f"{base}/files/b.txt").content == b"b"
    diff = admin.get(f"{base}/diff", params={"limit": 2}).json()
    assert [c["path"] for c in diff["items"]] == ["a.txt", "b.txt"]
    assert diff["items"][0]["status"] == "added"
    rest = admin.get(f"{base}/diff", params={"cursor": diff["next_cursor"]}).json()
    assert [c["path"] for c in rest["items"]] == ["c.txt"]
    against = admin.get(f"{base}/diff", params={"against": f"session:{child}"}).json()
    assert against["items"] == []
    assert_problem(admin.post(f"{base}/merge-from", json={"session": "s-0000000000000000"}), 404)
    assert_problem(admin.get(f"{base}/diff", params={"against": "no-checkpoint"}), 404)


def test_manifest_pages(admin: httpx.Client, session_id: str) -> None:
    for path in ("a/1.txt", "a/2.txt", "b.txt"):
        _write(admin, session_id, path, path.encode())
    url = f"/v1/sessions/{session_id}/manifest"
    first = admin.get(url, params={"limit": 2}).json()
    assert [i["path"] for i in first["items"]] == ["a", "a/1.txt"]
    rest = admin.get(url, params={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert [i["path"] for i in rest["items"]] == ["a/2.txt", "b.txt"]
    under = admin.get(url, params={"prefix": "a"}).json()
    assert [i["path"] for i in under["items"]] == ["a/1.txt", "a/2.txt"]


def test_commit_resolve_and_promote(admin: httpx.Client) -> None:
    source = _source(admin)
    one = admin.post("/v1/sessions", json={"source": source}).json()["id"]
    two = admin.post("/v1/sessions", json={"source": source}).json()["id"]
    _write(admin, one, "x.txt", b"one")
    _write(admin, two, "x.txt", b"two")
    done = admin.post(f"/v1/sessions/{one}/commit", json={"message": "first"})
    assert done.status_code == 200, done.text
    assert done.json()["commit"]
    clash = admin.post(f"/v1/sessions/{two}/commit", json={"message": "second"}).json()
    assert clash["commit"] is None
    assert [c["path"] for c in clash["conflicts"]] == ["x.txt"]
    resolved = admin.post(
        f"/v1/sessions/{two}/resolve", json={"take": {"x.txt": "session"}, "message": "mine"}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["commit"]
    assert_problem(admin.post(f"/v1/sessions/{two}/commit", json={}), 400)
    bad_take = {"take": {"x.txt": "neither"}, "message": "m"}
    assert_problem(admin.post(f"/v1/sessions/{two}/resolve", json=bad_take), 400)
    branch = admin.post(f"/v1/sessions/{one}/promote", json={"branch": "feature"})
    assert branch.status_code == 201, branch.text
    assert branch.json()["name"] == "feature"
    new_source = f"promoted-{uuid.uuid4().hex[:6]}"
    promoted = admin.post(f"/v1/sessions/{one}/promote", json={"source": new_source})
    assert promoted.status_code == 201
    assert promoted.json()["source"] == new_source
    assert_problem(admin.post(f"/v1/sessions/{one}/promote", json={"source": new_source}), 409)


def test_archive_and_retire(admin: httpx.Client, session_id: str) -> None:
    base = f"/v1/sessions/{session_id}"
    _write(admin, session_id, "a.txt", b"a")
    archived = admin.post(f"{base}/archive")
    assert archived.status_code == 200
    assert archived.json()["status"] == "ARCHIVED"
    assert_problem(admin.put(f"{base}/files/b.txt", content=b"b"), 403, "forbidden")
    assert admin.get(f"{base}/files/a.txt").content == b"a"
    retired = admin.post(f"{base}/retire")
    assert retired.status_code == 200
    assert retired.json()["status"] == "RETIRED"


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_export(admin: httpx.Client, session_id: str, fmt: str) -> None:
    _write(admin, session_id, "d/a.txt", b"hello")
    _write(admin, session_id, "big.bin", bytes(range(256)) * 20_000)
    with admin.stream("GET", f"/v1/sessions/{session_id}/export", params={"format": fmt}) as got:
        assert got.status_code == 200
        assert "attachment" in got.headers["content-disposition"]
        assert f'{session_id}.{fmt}"' in got.headers["content-disposition"]
        data = b"".join(got.iter_bytes())
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.read("d/a.txt") == b"hello"
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            assert archive.extractfile("d/a.txt").read() == b"hello"
            assert len(archive.extractfile("big.bin").read()) == 256 * 20_000


def test_export_errors(admin: httpx.Client, session_id: str) -> None:
    url = f"/v1/sessions/{session_id}/export"
    assert_problem(admin.get(url, params={"format": "rar"}), 400)
    assert_problem(admin.get("/v1/sessions/s-0000000000000000/export"), 404)


def test_upload_archive(admin: httpx.Client) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("data/a.csv")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"id\n1\n"))
    made = admin.post(
        "/v1/sessions/upload",
        params={"name": "up", "tags": ["x", "y"]},
        content=buffer.getvalue(),
    )
    assert made.status_code == 201, made.text
    session = made.json()
    assert session["name"] == "up"
    assert session["tags"] == ["x", "y"]
    assert admin.get(f"/v1/sessions/{session['id']}/files/data/a.csv").content == b"id\n1\n"
    assert_problem(admin.post("/v1/sessions/upload", content=b"not an archive"), 400)
