"""The S3 object store (scale-out): objects as keys under a prefix in a bucket, through s3fs.

Layout: ``<prefix>/<first two hex digits>/<remaining 62 hex digits>``, the same fan-out as the
local store. A PUT, and the completion of a multipart upload, is atomic and durable once S3
acknowledges it: there are no temporary files, and nothing for ``_flush`` to do. The only
leftovers of interrupted writes are incomplete multipart uploads, which ``sweep_temporary``
aborts.

Retrying happens here and only here. botocore's and s3fs's own retry loops are switched off, so
that ``max_attempts`` means what it says instead of multiplying with theirs; every primitive
retries transient failures (connection errors, timeouts, 5xx, throttling) with exponential
backoff and full jitter, and translates permanent ones (``NotFound``, ``Forbidden``) at once.
"""

from __future__ import annotations

import contextlib
import functools
import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from aether_data.errors import (
    AetherError,
    Forbidden,
    Invalid,
    MissingExtra,
    NotFound,
    Unavailable,
)
from aether_data.ids import ObjectId
from aether_data.storage.base import ObjectStat, ObjectStore

__all__ = ["MULTIPART_THRESHOLD", "S3ObjectStore"]

_T = TypeVar("_T")

MULTIPART_THRESHOLD = 8 << 20
"""Objects of at least this many bytes are uploaded in parts of this size."""

_OBJECT_ID = re.compile(r"[0-9a-f]{64}")
_FAN_OUT = re.compile(r"([0-9a-f]{2})/([0-9a-f]{62})")
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "RequestLimitExceeded",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
    }
)
_MISSING_KEY_CODES = frozenset({"NoSuchKey", "NotFound", "404"})  # a HEAD's 404 has no body
_BASE_DELAY = 0.1
_MAX_DELAY = 5.0


def _import_s3fs() -> Any:
    try:
        import s3fs  # noqa: PLC0415 - an optional extra, imported only when an S3 store is made
    except ImportError as exc:
        raise MissingExtra("s3fs", "s3", "the S3 object store") from exc
    return s3fs


def _s3_error(exc: BaseException) -> tuple[str, int] | None:
    """The S3 error code and HTTP status behind ``exc``, or None if it never reached S3.

    s3fs re-raises botocore's ``ClientError`` as an ``OSError`` caused by it, so look at both.
    """
    for err in (exc, exc.__cause__):
        response = getattr(err, "response", None)
        if isinstance(response, dict) and "Error" in response:
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return str(response["Error"].get("Code", "")), int(status)
    return None


def _transient_types() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import ConnectionError as BotoConnectionError  # noqa: PLC0415
    from s3fs.core import S3_RETRYABLE_ERRORS  # noqa: PLC0415 - what s3fs itself would retry

    return (ConnectionError, TimeoutError, BotoConnectionError, *S3_RETRYABLE_ERRORS)


def _is_transient(exc: BaseException) -> bool:
    """True for failures worth another attempt: 5xx, throttling, lost connections, timeouts."""
    s3_error = _s3_error(exc)
    if s3_error is not None:
        code, status = s3_error
        return code in _TRANSIENT_CODES or status in _TRANSIENT_STATUS
    return isinstance(exc, _transient_types())


def _retry(
    call: Callable[[], _T],
    attempts: int,
    *,
    is_transient: Callable[[BaseException], bool] = _is_transient,
    sleep: Callable[[float], object] = time.sleep,
) -> _T:
    """Run ``call`` up to ``attempts`` times while it fails transiently; the last error escapes."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
        # Full jitter: replicas throttled together must not come back together.
        sleep(random.uniform(0, min(_MAX_DELAY, _BASE_DELAY * 2**attempt)))
    return call()


def _parse_url(url: str) -> tuple[str, str]:
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise Invalid(f"not an s3://bucket/prefix url: {url!r}")
    return bucket, prefix.strip("/")


class S3ObjectStore(ObjectStore):
    """Objects as keys in an S3 bucket (or any S3-compatible endpoint).

    Credentials, endpoint and region come only from the arguments; with ``key`` and ``secret``
    left out, botocore's usual credential chain applies.
    """

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        key: str | None = None,
        secret: str | None = None,
        region: str | None = None,
        max_attempts: int = 5,
    ) -> None:
        super().__init__()
        if max_attempts < 1:
            raise Invalid(f"max_attempts must be at least 1, not {max_attempts}")
        self.bucket, self.prefix = _parse_url(url)
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.max_attempts = max_attempts
        self._key_prefix = f"{self.prefix}/" if self.prefix else ""
        self._fs = _import_s3fs().S3FileSystem(
            endpoint_url=endpoint_url,
            key=key,
            secret=secret,
            client_kwargs={"region_name": region} if region else {},
            # One retry loop, ours (see _retry); botocore's would multiply with it.
            config_kwargs={"retries": {"total_max_attempts": 1}},
            # Cached listings or instances would hide objects other replicas wrote or deleted.
            use_listings_cache=False,
            skip_instance_cache=True,
        )
        self._fs.retries = 1  # and so would s3fs's

    # ----------------------------------------------------------------- plumbing
    def _key(self, oid: ObjectId) -> str:
        if not isinstance(oid, str) or not _OBJECT_ID.fullmatch(oid):
            raise Invalid(f"not an object id: {oid!r}")
        return f"{self._key_prefix}{oid[:2]}/{oid[2:]}"

    def _oid_of(self, key: str) -> ObjectId | None:
        """The id a key under the prefix stands for; None for keys outside the layout."""
        match = _FAN_OUT.fullmatch(key, len(self._key_prefix))
        return None if match is None else ObjectId(match[1] + match[2])

    def _run(self, call: Callable[[], _T], oid: ObjectId | None = None) -> _T:
        """``call`` with retries, its permanent S3 errors translated to their meaning."""
        try:
            return _retry(call, self.max_attempts)
        except Exception as exc:
            meaning = self._meaning(exc, oid)
            if meaning is None:
                raise
            raise meaning from exc

    def _meaning(self, exc: BaseException, oid: ObjectId | None) -> AetherError | None:
        code, status = _s3_error(exc) or ("", 0)
        if code == "NoSuchBucket":
            return NotFound(f"bucket {self.bucket!r} does not exist (store {self.url})")
        if oid is not None and code in _MISSING_KEY_CODES:
            return NotFound(f"object {oid} is not in the store")
        if code == "NoSuchUpload":
            return NotFound(f"that multipart upload is no longer in progress in {self.url}")
        if status == 403:
            return Forbidden(f"access to {self.url} was denied ({code})")
        if _is_transient(exc):
            return Unavailable(
                f"{self.url} did not answer after {self.max_attempts} attempts: {exc}"
            )
        return None

    def _call(self, method: str, oid: ObjectId | None = None, **kwargs: Any) -> Any:
        """One S3 API call on this store's bucket, retried and translated."""
        return self._run(lambda: self._fs.call_s3(method, Bucket=self.bucket, **kwargs), oid)

    # ----------------------------------------------------------------- primitives
    def _get(self, oid: ObjectId, start: int = 0, end: int | None = None) -> bytes:
        path = f"{self.bucket}/{self._key(oid)}"
        if end is not None and end <= start:
            self._stat(oid)  # S3 would ignore such a Range and send everything; still owe NotFound
            return b""
        # start=None, end=None is a plain GET; max_concurrency=1 spares s3fs a HEAD to size it.
        fetch = functools.partial(
            self._fs.cat_file, path, start=start or None, end=end, max_concurrency=1
        )
        try:
            return self._run(fetch, oid)
        except OSError as exc:
            if (_s3_error(exc) or ("", 0))[0] == "InvalidRange":  # starts at or past the end
                return b""
            raise

    def _put(self, oid: ObjectId, data: bytes, sync: bool) -> None:
        key = self._key(oid)
        if len(data) < MULTIPART_THRESHOLD:
            self._call("put_object", Key=key, Body=data)
        else:
            self._put_multipart(key, data)

    def _put_multipart(self, key: str, data: bytes) -> None:
        # The object appears only when the upload completes; parts retry one by one.
        upload = self._call("create_multipart_upload", Key=key)["UploadId"]
        try:
            parts = [
                self._upload_part(key, upload, number, data[offset : offset + MULTIPART_THRESHOLD])
                for number, offset in enumerate(range(0, len(data), MULTIPART_THRESHOLD), 1)
            ]
            self._call(
                "complete_multipart_upload",
                Key=key,
                UploadId=upload,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # The original error matters more; an upload left behind is for sweep_temporary.
            with contextlib.suppress(Exception):
                self._call("abort_multipart_upload", Key=key, UploadId=upload)
            raise

    def _upload_part(self, key: str, upload: str, number: int, body: bytes) -> dict[str, Any]:
        kwargs = {"Key": key, "UploadId": upload, "PartNumber": number, "Body": body}
        return {"PartNumber": number, "ETag": self._call("upload_part", **kwargs)["ETag"]}

    def _stat(self, oid: ObjectId) -> ObjectStat:
        head = self._call("head_object", oid, Key=self._key(oid))
        return ObjectStat(oid, head["ContentLength"], head["LastModified"].timestamp())

    def _iter(self) -> Iterator[ObjectStat]:
        paging: dict[str, str] = {}
        while True:
            page = self._call("list_objects_v2", Prefix=self._key_prefix, **paging)
            for entry in page.get("Contents", ()):
                oid = self._oid_of(entry["Key"])
                if oid is not None:
                    yield ObjectStat(oid, entry["Size"], entry["LastModified"].timestamp())
            if not page.get("IsTruncated"):
                return
            paging = {"ContinuationToken": page["NextContinuationToken"]}

    def _delete(self, oid: ObjectId) -> None:
        self._call("delete_object", Key=self._key(oid))  # S3 deletes of absent keys succeed

    def _touch(self, oid: ObjectId) -> bool:
        # S3 has no utime: copying an object onto itself renews LastModified, and S3 accepts a
        # self-copy only if something changes, hence REPLACE (we keep no metadata to lose).
        key = self._key(oid)
        source = {"Bucket": self.bucket, "Key": key}
        try:
            self._call("copy_object", oid, Key=key, CopySource=source, MetadataDirective="REPLACE")
        except NotFound:
            return False  # deleted meanwhile (gc): the writer stores it again
        return True

    def sweep_temporary(self, older_than: float) -> int:
        removed = 0
        for upload in self._incomplete_uploads():
            ours = self._oid_of(upload["Key"]) is not None
            if ours and upload["Initiated"].timestamp() < older_than:
                with contextlib.suppress(NotFound):  # finished or aborted meanwhile
                    self._call(
                        "abort_multipart_upload", Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed

    def _incomplete_uploads(self) -> Iterator[dict[str, Any]]:
        paging: dict[str, str] = {}
        while True:
            page = self._call("list_multipart_uploads", Prefix=self._key_prefix, **paging)
            yield from page.get("Uploads", ())
            if not page.get("IsTruncated"):
                return
            paging = {"KeyMarker": page["NextKeyMarker"]}
            paging["UploadIdMarker"] = page["NextUploadIdMarker"]

    def close(self) -> None:
        # s3fs keeps an aiohttp session open until garbage collection; release it now.
        # ``_s3creator`` exists only once a request was made, and closing twice is harmless.
        creator = getattr(self._fs, "_s3creator", None)
        if creator is not None:
            self._fs.close_session(self._fs.loop, creator)
