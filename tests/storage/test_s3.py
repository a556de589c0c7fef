"""What only the S3 backend does: layout, multipart, retries, error translation, cleanup.

The ObjectStore contract itself is checked by test_conformance.py, which runs on S3 too.
"""

from __future__ import annotations

import os
import random
import socket
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from aether_data.errors import Forbidden, Invalid, MissingExtra, NotFound, Unavailable
from aether_data.ids import ObjectId, object_id_of
from aether_data.storage import s3 as s3_module
from aether_data.storage.s3 import MULTIPART_THRESHOLD, S3ObjectStore

# Without the s3 extra this module skips on a user's machine; in CI (CI=true) it must fail.
if os.environ.get("CI") != "true":
    pytest.importorskip("s3fs", reason="run: pip install 'aether-data[dev]'")

from botocore import exceptions as botocore_exceptions
from botocore.exceptions import ClientError

MISSING = ObjectId("0" * 64)


def _client_error(code: str, status: int) -> Exception:
    response = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetObject")


def _s3fs_style(error: Exception) -> OSError:
    """An error as s3fs raises it: an OSError caused by botocore's ClientError."""
    wrapped = OSError(5, str(error))
    wrapped.__cause__ = error
    return wrapped


class _Flaky:
    """A callable that fails with ``errors`` in turn, then returns ``value``."""

    def __init__(self, *errors: Exception, value: Any = "done") -> None:
        self.errors = list(errors)
        self.value = value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


def _keys(client: Any, bucket: str) -> set[str]:
    return {entry["Key"] for entry in client.list_objects_v2(Bucket=bucket).get("Contents", ())}


# ----------------------------------------------------------------- layout
def test_keys_follow_the_fan_out_layout_under_the_prefix(
    s3_store: S3ObjectStore, s3_client: Any, s3_bucket: str
) -> None:
    oid = s3_store.put_bytes(b"id,name\n1,alpha\n")
    assert _keys(s3_client, s3_bucket) == {f"objects/{oid[:2]}/{oid[2:]}"}
    assert s3_store.url == f"s3://{s3_bucket}/objects"


def test_a_store_at_the_bucket_root(make_s3_store: Any, s3_client: Any, s3_bucket: str) -> None:
    store = make_s3_store(f"s3://{s3_bucket}")
    oid = store.put_bytes(b"at the root")
    assert _keys(s3_client, s3_bucket) == {f"{oid[:2]}/{oid[2:]}"}
    assert [s.id for s in store.iter_objects()] == [oid]


def test_keys_outside_the_layout_are_ignored(
    s3_store: S3ObjectStore, s3_client: Any, s3_bucket: str
) -> None:
    oid = s3_store.put_bytes(b"ours")
    hex62 = "ab" * 31
    for foreign in [
        "objects/README.txt",
        f"objects/{oid[:2]}/short",
        f"objects/zz/{hex62}",
        f"objects/AB/{hex62.upper()}",
        f"objects/{oid[:2]}/{oid[2:]}/nested",
        f"objects/{oid[:2]}/{oid[2:]}.tmp",
        f"objects-old/ab/{hex62}",
        f"elsewhere/ab/{hex62}",
        f"ab/{hex62}",
    ]:
        s3_client.put_object(Bucket=s3_bucket, Key=foreign, Body=b"not ours")
    assert [s.id for s in s3_store.iter_objects()] == [oid]


def test_listing_follows_pagination(s3_store: S3ObjectStore, monkeypatch) -> None:
    ids = {s3_store.put_bytes(f"object {i}".encode()) for i in range(5)}
    original = s3_store._fs.call_s3

    def small_pages(method: str, **kwargs: Any) -> Any:
        if method == "list_objects_v2":
            kwargs["MaxKeys"] = 2
        return original(method, **kwargs)

    monkeypatch.setattr(s3_store._fs, "call_s3", small_pages)
    assert {s.id for s in s3_store.iter_objects()} == ids


@pytest.mark.parametrize("url", ["http://bucket/prefix", "s3://", "s3:///prefix", "bucket"])
def test_bad_urls_are_invalid(url: str) -> None:
    with pytest.raises(Invalid):
        S3ObjectStore(url)


def test_url_prefix_is_normalised() -> None:
    store = S3ObjectStore("s3://bucket/a/b/", endpoint_url="http://127.0.0.1:9")
    assert (store.bucket, store.prefix, store.url) == ("bucket", "a/b", "s3://bucket/a/b")


# ----------------------------------------------------------------- reads and writes
def test_large_object_goes_multipart_and_round_trips(
    s3_store: S3ObjectStore, s3_client: Any, s3_bucket: str
) -> None:
    data = random.Random(8).randbytes(MULTIPART_THRESHOLD + 12345)
    oid = object_id_of(data)
    s3_store._put(oid, data, True)
    etag = s3_client.head_object(Bucket=s3_bucket, Key=f"objects/{oid[:2]}/{oid[2:]}")["ETag"]
    assert etag.strip('"').endswith("-2")  # S3 marks multipart objects with their part count
    assert s3_store._get(oid) == data
    around_the_seam = (MULTIPART_THRESHOLD - 10, MULTIPART_THRESHOLD + 10)
    assert s3_store._get(oid, *around_the_seam) == data[slice(*around_the_seam)]
    assert s3_store.stat(oid).stored_size == len(data)
    assert not s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


def test_failed_multipart_upload_is_aborted_and_invisible(
    s3_store: S3ObjectStore, s3_client: Any, s3_bucket: str, monkeypatch
) -> None:
    original = s3_store._fs.call_s3

    def failing_second_part(method: str, **kwargs: Any) -> Any:
        if method == "upload_part" and kwargs["PartNumber"] == 2:
            raise _s3fs_style(_client_error("InvalidPart", 400))
        return original(method, **kwargs)

    monkeypatch.setattr(s3_store._fs, "call_s3", failing_second_part)
    data = bytes(MULTIPART_THRESHOLD + 1)
    with pytest.raises(OSError, match="InvalidPart"):
        s3_store._put(object_id_of(data), data, True)
    assert not s3_store.has(object_id_of(data))
    assert not s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


def test_edge_ranges(s3_store: S3ObjectStore) -> None:
    empty, short = object_id_of(b""), object_id_of(b"short")
    s3_store._put(empty, b"", True)
    s3_store._put(short, b"short", True)
    assert s3_store._get(empty, 0, 16) == b""  # S3 answers 416 for any range of an empty object
    assert s3_store._get(short, 3, 3) == b""  # S3 would ignore this range and send everything
    assert s3_store._get(short, 10, 20) == b""
    assert s3_store._get(short, 2) == b"ort"
    with pytest.raises(NotFound, match=MISSING):
        s3_store._get(MISSING, 3, 3)


def test_touch_renews_last_modified_and_ignores_missing_objects(s3_store: S3ObjectStore) -> None:
    oid = s3_store.put_bytes(b"touch me")
    before = s3_store.stat(oid)
    time.sleep(1.1)  # LastModified has one-second resolution
    s3_store._touch(oid)
    after = s3_store.stat(oid)
    assert after.mtime > before.mtime
    assert after.stored_size == before.stored_size
    assert s3_store.read_bytes(oid) == b"touch me"
    s3_store._touch(MISSING)


def test_sweep_temporary_aborts_old_incomplete_uploads(
    s3_store: S3ObjectStore, s3_client: Any, s3_bucket: str, monkeypatch
) -> None:
    ours = s3_client.create_multipart_upload(Bucket=s3_bucket, Key=f"objects/ab/{'c' * 62}")
    theirs = [
        s3_client.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
        for key in ["elsewhere/file", "objects/notes.txt"]
    ]
    original = s3_store._fs.call_s3

    def started_just_now(method: str, **kwargs: Any) -> Any:
        # moto reports one fixed date (in 2010) as every upload's Initiated; S3 tells the truth.
        page = original(method, **kwargs)
        for upload in page.get("Uploads", ()) if method == "list_multipart_uploads" else ():
            upload["Initiated"] = datetime.now(UTC)
        return page

    monkeypatch.setattr(s3_store._fs, "call_s3", started_just_now)
    assert s3_store.sweep_temporary(time.time() - 3600) == 0  # still within its grace period
    assert s3_store.sweep_temporary(time.time() + 60) == 1
    left = s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert sorted(u["UploadId"] for u in left) == sorted(theirs)
    assert ours["UploadId"] not in theirs


def test_close_is_idempotent(make_s3_store: Any, s3_bucket: str) -> None:
    store = make_s3_store(f"s3://{s3_bucket}/objects")
    store.close()  # before any request: nothing to release
    oid = store.put_bytes(b"x")
    store.close()
    store.close()
    assert store.has(oid)  # s3fs reconnects on demand after a close


# ----------------------------------------------------------------- errors
def test_missing_bucket_is_not_found_naming_it(make_s3_store: Any) -> None:
    store = make_s3_store("s3://no-such-bucket-here/objects", max_attempts=1)
    with pytest.raises(NotFound, match="no-such-bucket-here"):
        list(store.iter_objects())
    with pytest.raises(NotFound, match="no-such-bucket-here"):
        store.put_bytes(b"nowhere to go")
    with pytest.raises(NotFound):
        store.read_bytes(MISSING)


def test_access_denied_is_forbidden(s3_store: S3ObjectStore) -> None:
    denied = _Flaky(_s3fs_style(_client_error("AccessDenied", 403)))
    with pytest.raises(Forbidden, match="AccessDenied") as caught:
        s3_store._run(denied, MISSING)
    assert denied.calls == 1
    assert isinstance(caught.value.__cause__, OSError)


def test_missing_s3fs_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # makes ``import s3fs`` fail
    with pytest.raises(MissingExtra, match=r"pip install 'aether-data\[s3\]'") as caught:
        S3ObjectStore("s3://bucket/objects")
    assert caught.value.extra == "s3"


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(Invalid, match="max_attempts"):
        S3ObjectStore("s3://bucket", max_attempts=0)


# ----------------------------------------------------------------- retries
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(_client_error("SlowDown", 503), id="SlowDown"),
        pytest.param(_client_error("ThrottlingException", 400), id="throttling"),
        pytest.param(_s3fs_style(_client_error("InternalError", 500)), id="500-via-s3fs"),
        pytest.param(_client_error("BadGateway", 502), id="502"),
        pytest.param(_client_error("GatewayTimeout", 504), id="504"),
        pytest.param(
            botocore_exceptions.EndpointConnectionError(endpoint_url="http://x"), id="no-connection"
        ),
        pytest.param(
            botocore_exceptions.ReadTimeoutError(endpoint_url="http://x"), id="read-timeout"
        ),
        pytest.param(ConnectionResetError(), id="reset"),
        pytest.param(TimeoutError(), id="timeout"),
    ],
)
def test_transient_errors(error: Exception) -> None:
    assert s3_module._is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(_client_error("NoSuchKey", 404), id="NoSuchKey"),
        pytest.param(_s3fs_style(_client_error("AccessDenied", 403)), id="AccessDenied"),
        pytest.param(_client_error("InvalidRange", 416), id="InvalidRange"),
        pytest.param(ValueError("a bug"), id="bug"),
    ],
)
def test_permanent_errors(error: Exception) -> None:
    assert not s3_module._is_transient(error)


def test_retry_retries_transient_errors_with_growing_backoff() -> None:
    flaky = _Flaky(ConnectionResetError(), _client_error("SlowDown", 503))
    delays: list[float] = []
    assert s3_module._retry(flaky, 5, sleep=delays.append) == "done"
    assert flaky.calls == 3
    assert len(delays) == 2
    assert 0 <= delays[0] <= s3_module._BASE_DELAY
    assert 0 <= delays[1] <= 2 * s3_module._BASE_DELAY


def test_retry_gives_up_after_max_attempts_with_the_last_error() -> None:
    errors = [_client_error("ServiceUnavailable", 503) for _ in range(4)]
    flaky = _Flaky(*errors)
    delays: list[float] = []
    with pytest.raises(ClientError) as caught:
        s3_module._retry(flaky, 3, sleep=delays.append)
    assert caught.value is errors[2]
    assert flaky.calls == 3
    assert len(delays) == 2


def test_retry_does_not_retry_permanent_errors() -> None:
    flaky = _Flaky(_client_error("NoSuchKey", 404))
    with pytest.raises(ClientError):
        s3_module._retry(flaky, 5, sleep=pytest.fail)
    assert flaky.calls == 1


def test_backoff_is_capped() -> None:
    flaky = _Flaky(*[ConnectionResetError() for _ in range(19)])
    delays: list[float] = []
    s3_module._retry(flaky, 20, sleep=delays.append)
    assert max(delays) <= s3_module._MAX_DELAY


def test_every_primitive_retries_through_the_store(s3_store: S3ObjectStore, monkeypatch) -> None:
    oid = s3_store.put_bytes(b"worth the wait")
    original = s3_store._fs.call_s3
    failures = {"head_object": 2, "list_objects_v2": 2, "copy_object": 2, "delete_object": 2}

    def unsteady(method: str, **kwargs: Any) -> Any:
        if failures.get(method):
            failures[method] -= 1
            raise _s3fs_style(_client_error("SlowDown", 503))
        return original(method, **kwargs)

    monkeypatch.setattr(s3_store._fs, "call_s3", unsteady)
    assert s3_store.stat(oid).id == oid
    assert [s.id for s in s3_store.iter_objects()] == [oid]
    s3_store._touch(oid)
    s3_store.delete(oid)
    assert not any(failures.values())
    assert not s3_store.has(oid)


def test_store_gives_up_after_max_attempts(make_s3_store: Any, s3_bucket: str, monkeypatch) -> None:
    store = make_s3_store(f"s3://{s3_bucket}/objects", max_attempts=2)
    calls: list[str] = []

    def down(method: str, **kwargs: Any) -> Any:
        calls.append(method)
        raise _s3fs_style(_client_error("ServiceUnavailable", 503))

    monkeypatch.setattr(store._fs, "call_s3", down)
    with pytest.raises(Unavailable, match="ServiceUnavailable"):
        store.stat(MISSING)
    assert calls == ["head_object", "head_object"]


def test_unreachable_endpoint_fails_after_max_attempts() -> None:
    with socket.socket() as sock:  # a loopback port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = S3ObjectStore(
        "s3://bucket/objects",
        endpoint_url=f"http://127.0.0.1:{port}",
        key="testing",
        secret="testing",
        region="us-east-1",
        max_attempts=2,
    )
    try:
        with pytest.raises(Unavailable, match="2 attempts") as caught:
            store.stat(MISSING)
        assert isinstance(caught.value.__cause__, botocore_exceptions.EndpointConnectionError)
    finally:
        store.close()
