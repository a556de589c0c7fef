"""Files over HTTP: streaming, ETags, conditional requests, byte ranges and safe paths."""

from __future__ import annotations

import hashlib
import os
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from _apitest import assert_problem


def _put(client: httpx.Client, sid: str, path: str, data: bytes, **headers: str):
    return client.put(f"/v1/sessions/{sid}/files/{path}", content=data, headers=headers)


def test_write_then_read_round_trips_with_etag(admin: httpx.Client, session_id: str) -> None:
    created = _put(admin, session_id, "data/a.csv", b"id\n1\n")
    assert created.status_code == 201
    entry = created.json()
    assert entry == {
        "name": "a.csv",
        "kind": "file",
        "id": hashlib.sha256(b"id\n1\n").hexdigest(),
        "size": 5,
    }
    assert created.headers["etag"] == f'"{entry["id"]}"'
    read = admin.get(f"/v1/sessions/{session_id}/files/data/a.csv")
    assert read.status_code == 200
    assert read.content == b"id\n1\n"
    assert read.headers["etag"] == f'"{entry["id"]}"'
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.headers["x-aether-kind"] == "file"
    assert read.headers["accept-ranges"] == "bytes"


def test_replacing_answers_200_and_executable_flag(admin: httpx.Client, session_id: str) -> None:
    assert _put(admin, session_id, "run.sh", b"echo 1\n").status_code == 201
    replaced = admin.put(
        f"/v1/sessions/{session_id}/files/run.sh", content=b"echo 2\n", params={"executable": True}
    )
    assert replaced.status_code == 200
    assert replaced.json()["kind"] == "exec"
    head = admin.head(f"/v1/sessions/{session_id}/files/run.sh")
    assert head.headers["x-aether-kind"] == "exec"


def test_head_gives_headers_only(admin: httpx.Client, session_id: str) -> None:
    entry = _put(admin, session_id, "a.txt", b"hello").json()
    head = admin.head(f"/v1/sessions/{session_id}/files/a.txt")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == "5"
    assert head.headers["etag"] == f'"{entry["id"]}"'
    assert head.headers["x-aether-kind"] == "file"
    folder = admin.head(f"/v1/sessions/{session_id}/files/a.txt/..x")
    assert folder.status_code == 404
    assert admin.head(f"/v1/sessions/{session_id}/files/missing").status_code == 404


def test_head_on_a_folder_says_dir(admin: httpx.Client, session_id: str) -> None:
    _put(admin, session_id, "d/a.txt", b"x")
    head = admin.head(f"/v1/sessions/{session_id}/files/d")
    assert head.status_code == 200
    assert head.headers["x-aether-kind"] == "dir"


def test_if_none_match_gives_304(admin: httpx.Client, session_id: str) -> None:
    etag = _put(admin, session_id, "a.txt", b"hello").headers["etag"]
    url = f"/v1/sessions/{session_id}/files/a.txt"
    cached = admin.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert admin.get(url, headers={"If-None-Match": '"other", ' + etag}).status_code == 304
    assert admin.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert admin.head(url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=0-3", 206, b"0123", "bytes 0-3/10"),
        ("bytes=4-", 206, b"456789", "bytes 4-9/10"),
        ("bytes=-3", 206, b"789", "bytes 7-9/10"),
        ("bytes=8-100", 206, b"89", "bytes 8-9/10"),
        ("bytes=-100", 206, b"0123456789", "bytes 0-9/10"),
        ("bytes=0-1,4-5", 200, b"0123456789", None),
        ("bytes=5-2", 200, b"0123456789", None),
        ("chunks=1-2", 200, b"0123456789", None),
    ],
)
def test_ranges(
    admin: httpx.Client,
    session_id: str,
    header: str,
    status: int,
    body: bytes,
    content_range: str | None,
) -> None:
    _put(admin, session_id, "digits", b"0123456789")
    answer = admin.get(f"/v1/sessions/{session_id}/files/digits", headers={"Range": header})
    assert answer.status_code == status
    assert answer.content == body
    assert answer.headers.get("content-range") == content_range
    assert answer.headers["content-length"] == str(len(body))


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_unsatisfiable_range_is_416(admin: httpx.Client, session_id: str, header: str) -> None:
    _put(admin, session_id, "digits", b"0123456789")
    answer = admin.get(f"/v1/sessions/{session_id}/files/digits", headers={"Range": header})
    assert_problem(answer, 416)
    assert answer.headers["content-range"] == "bytes */10"


def test_if_range_with_a_stale_tag_sends_everything(admin: httpx.Client, session_id: str) -> None:
    etag = _put(admin, session_id, "digits", b"0123456789").headers["etag"]
    url = f"/v1/sessions/{session_id}/files/digits"
    fresh = admin.get(url, headers={"Range": "bytes=0-1", "If-Range": etag})
    assert (fresh.status_code, fresh.content) == (206, b"01")
    stale = admin.get(url, headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert (stale.status_code, stale.content) == (200, b"0123456789")


def test_large_file_streams_and_ranges_across_pieces(admin: httpx.Client, session_id: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 123)
    assert _put(admin, session_id, "big.bin", data).status_code == 201
    url = f"/v1/sessions/{session_id}/files/big.bin"
    with admin.stream("GET", url) as answer:
        assert answer.headers["content-length"] == str(len(data))
        assert b"".join(answer.iter_bytes()) == data
    start, end = 1024 * 1024 - 10, 2 * 1024 * 1024 + 500_000
    part = admin.get(url, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206
    assert part.content == data[start : end + 1]


def test_if_match_guards_writes(admin: httpx.Client, session_id: str) -> None:
    etag = _put(admin, session_id, "a.txt", b"one").headers["etag"]
    stale = _put(admin, session_id, "a.txt", b"two", **{"If-Match": '"' + "0" * 64 + '"'})
    assert_problem(stale, 412, "precondition-failed")
    fresh = _put(admin, session_id, "a.txt", b"two", **{"If-Match": etag})
    assert fresh.status_code == 200
    assert admin.get(f"/v1/sessions/{session_id}/files/a.txt").content == b"two"
    missing = _put(admin, session_id, "new.txt", b"x", **{"If-Match": etag})
    assert_problem(missing, 412)


def test_if_match_on_read(admin: httpx.Client, session_id: str) -> None:
    etag = _put(admin, session_id, "a.txt", b"one").headers["etag"]
    url = f"/v1/sessions/{session_id}/files/a.txt"
    assert admin.get(url, headers={"If-Match": etag}).status_code == 200
    assert_problem(admin.get(url, headers={"If-Match": '"nope"'}), 412)


def test_create_only(admin: httpx.Client, session_id: str) -> None:
    first = _put(admin, session_id, "once.txt", b"1", **{"If-None-Match": "*"})
    assert first.status_code == 201
    again = _put(admin, session_id, "once.txt", b"2", **{"If-None-Match": "*"})
    assert_problem(again, 412)
    assert admin.get(f"/v1/sessions/{session_id}/files/once.txt").content == b"1"
    assert_problem(_put(admin, session_id, "x.txt", b"2", **{"If-None-Match": '"abc"'}), 400)


def test_delete_with_and_without_if_match(admin: httpx.Client, session_id: str) -> None:
    etag = _put(admin, session_id, "a.txt", b"one").headers["etag"]
    url = f"/v1/sessions/{session_id}/files/a.txt"
    assert_problem(admin.delete(url, headers={"If-Match": '"' + "1" * 64 + '"'}), 412)
    assert admin.delete(url, headers={"If-Match": etag}).status_code == 204
    assert_problem(admin.get(url), 404, "not-found")
    assert_problem(admin.delete(url), 404)
    _put(admin, session_id, "d/b.txt", b"x")
    folder = f"/v1/sessions/{session_id}/files/d"
    assert_problem(admin.delete(folder), 409)
    assert admin.delete(folder, params={"recursive": True}).status_code == 204


def test_get_on_a_folder_is_400(admin: httpx.Client, session_id: str) -> None:
    _put(admin, session_id, "d/a.txt", b"x")
    problem = assert_problem(admin.get(f"/v1/sessions/{session_id}/files/d"), 400, "invalid")
    assert "is a folder; list it with /" in problem["detail"]
    assert "entries" in problem["detail"]


def test_stat_and_listdir_with_pages(admin: httpx.Client, session_id: str) -> None:
    for name in ("c", "a", "b"):
        _put(admin, session_id, f"d/{name}.txt", name.encode())
    stat = admin.get(f"/v1/sessions/{session_id}/entry", params={"path": "d/a.txt"})
    assert stat.json()["name"] == "a.txt"
    root = admin.get(f"/v1/sessions/{session_id}/entry").json()
    assert root["kind"] == "dir"
    url = f"/v1/sessions/{session_id}/entries"
    first = admin.get(url, params={"path": "d", "limit": 2}).json()
    assert [e["name"] for e in first["items"]] == ["a.txt", "b.txt"]
    rest = admin.get(url, params={"path": "d", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert [e["name"] for e in rest["items"]] == ["c.txt"]
    assert rest["next_cursor"] is None
    assert_problem(admin.get(url, params={"path": "d/a.txt"}), 400)
    assert_problem(admin.get(url, params={"path": "nope"}), 404)
    assert_problem(admin.get(url, params={"limit": 0}), 400)


def test_reads_at_a_checkpoint(admin: httpx.Client, session_id: str) -> None:
    old = _put(admin, session_id, "d/a.txt", b"0123456789").json()
    assert admin.post(f"/v1/sessions/{session_id}/checkpoints", json={"name": "v1"}).is_success
    _put(admin, session_id, "d/a.txt", b"changed")
    url, at = f"/v1/sessions/{session_id}/files/d/a.txt", {"at": "v1"}

    head = admin.head(url, params=at)
    assert (head.status_code, head.headers["etag"]) == (200, f'"{old["id"]}"')
    assert head.headers["content-length"] == "10"
    part = admin.get(url, params=at, headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.content) == (206, b"234")
    cached = admin.get(url, params=at, headers={"If-None-Match": f'"{old["id"]}"'})
    assert cached.status_code == 304
    assert admin.get(url).content == b"changed"
    problem = assert_problem(admin.get(f"/v1/sessions/{session_id}/files/d", params=at), 400)
    assert "is a folder" in problem["detail"]
    assert_problem(admin.get(url, params={"at": "v9"}), 404, "not-found")
    assert admin.head(url, params={"at": "v9"}).status_code == 404
    assert_problem(admin.get(url, params={"at": "bad name"}), 400, "invalid")


def test_mkdir_rmdir_symlink_rename(admin: httpx.Client, session_id: str) -> None:
    base = f"/v1/sessions/{session_id}"
    assert admin.post(f"{base}/dirs", json={"path": "x/y"}).status_code == 204
    assert_problem(admin.post(f"{base}/dirs", json={"path": "x/y"}), 409)
    assert admin.post(f"{base}/dirs", json={"path": "x/y", "exist_ok": True}).status_code == 204
    assert admin.delete(f"{base}/dirs/x/y").status_code == 204
    assert_problem(admin.delete(f"{base}/dirs/x/y"), 404)
    _put(admin, session_id, "x/f.txt", b"f")
    link = admin.post(f"{base}/symlinks", json={"path": "x/l", "target": "f.txt"})
    assert link.status_code == 201
    assert link.json()["kind"] == "link"
    assert_problem(admin.post(f"{base}/symlinks", json={"path": "y", "target": "../../etc"}), 400)
    moved = admin.post(f"{base}/rename", json={"source": "x/f.txt", "destination": "g.txt"})
    assert moved.status_code == 204
    assert admin.get(f"{base}/files/g.txt").content == b"f"
    assert_problem(admin.post(f"{base}/rename", json={"source": "nope", "destination": "z"}), 404)


def test_batch_is_atomic(admin: httpx.Client, session_id: str) -> None:
    base = f"/v1/sessions/{session_id}"
    ops = [
        {"op": "write", "path": "a.txt", "data": "aGVsbG8="},  # base64 of "hello"
        {"op": "mkdir", "path": "d"},
    ]
    done = admin.post(f"{base}/batch", json={"operations": ops})
    assert done.status_code == 200, done.text
    assert admin.get(f"{base}/files/a.txt").content == b"hello"
    failing = [
        {"op": "write", "path": "b.txt", "data": "aGk="},
        {"op": "delete", "path": "missing.txt"},
    ]
    assert_problem(admin.post(f"{base}/batch", json={"operations": failing}), 404)
    assert_problem(admin.get(f"{base}/files/b.txt"), 404)
    bad = admin.post(f"{base}/batch", json={"operations": [{"op": "explode"}]})
    assert_problem(bad, 400)


@pytest.mark.parametrize(
    "raw",
    [
        "a/..%2f..%2fetc%2fpasswd",
        "a/%2e%2e/%2e%2e/etc/passwd",
        "%2e%2e",
        "a/..%5c..%5cetc",
        "a%00b",
        "a%2fb",
    ],
)
def test_encoded_traversal_is_refused(
    admin: httpx.Client, session_id: str, raw: str, server
) -> None:
    url = f"{server.url}/v1/sessions/{session_id}/files/{raw}"
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        answer = admin.request(method, httpx.URL(url), content=b"x" if method == "PUT" else None)
        assert answer.status_code == 400, (method, raw, answer.text)
        if method != "HEAD":
            assert_problem(answer, 400, "invalid")
    listing = admin.get(f"/v1/sessions/{session_id}/entries").json()
    assert listing["items"] == []


def _raw_request(url: str, target: str, token: str) -> bytes:
    host, port = urlsplit(url).hostname, urlsplit(url).port
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_literal_dot_segments_are_refused(server, session_id: str) -> None:
    """Clients normalise ``..`` away; a raw request keeps it, and the server refuses it."""
    for target in (
        f"/v1/sessions/{session_id}/files/a/../../../etc/passwd",
        f"/v1/sessions/{session_id}/files/../files/x",
        f"/v1/sessions/{session_id}/files/a/./b",
    ):
        answer = _raw_request(server.url, target, server.token)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"application/problem+json" in answer


def test_another_sessions_file_is_not_found(admin: httpx.Client, session_id: str) -> None:
    assert_problem(admin.get("/v1/sessions/s-0000000000000000/files/a.txt"), 404)
    assert_problem(_put(admin, "s-0000000000000000", "a.txt", b"x"), 404)
