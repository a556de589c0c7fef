"""One plan per API method: the request it sends and the value it makes of the reply.

The contract of each ``WorkspaceAPI`` method is documented once, on the protocol
(``aether_data.wire.protocol``); the docstrings here only name the route.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO

from aether_data.client._calls import (
    Call,
    Plan,
    Sleep,
    decode,
    file_url,
    json_call,
    segment,
)
from aether_data.errors import Invalid
from aether_data.wire import (
    CREATE_ONLY,
    BatchOperation,
    BatchRequest,
    Change,
    Checkpoint,
    CheckpointOrigin,
    CheckpointRequest,
    Commit,
    CommitRequest,
    CommitResult,
    CreateRefRequest,
    CreateSessionRequest,
    CreateSourceRequest,
    CreateTokenRequest,
    Entry,
    ExportFormat,
    ForkRequest,
    ImportJob,
    ImportRequest,
    IssuedToken,
    ManifestItem,
    MergeFromRequest,
    MkdirRequest,
    Page,
    PromoteRequest,
    Ref,
    RenameRequest,
    ResolveRequest,
    RestoreRequest,
    Session,
    Source,
    SymlinkRequest,
    Token,
    WhoAmI,
)

# Every plan below; the clients turn each into a method of the same name.
__all__ = [
    "archive",
    "batch",
    "checkpoint",
    "commit",
    "create_ref",
    "create_session",
    "create_source",
    "create_token",
    "delete",
    "diff",
    "download",
    "export",
    "fork",
    "get_import",
    "get_session",
    "get_source",
    "health",
    "list_checkpoints",
    "list_imports",
    "list_refs",
    "list_sessions",
    "list_sources",
    "list_tokens",
    "listdir",
    "log",
    "manifest",
    "merge_from",
    "mkdir",
    "promote",
    "read",
    "rename",
    "resolve",
    "restore",
    "retire",
    "revoke_token",
    "rmdir",
    "start_import",
    "stat",
    "symlink",
    "upload_session",
    "wait_import",
    "whoami",
    "write",
]

_FINISHED = ("SUCCEEDED", "FAILED")
_DATASET_PAGE = 50  # changes per page of a diff with data summaries


def _session(session_id: str, *rest: str) -> str:
    return "/".join((f"/v1/sessions/{segment(session_id)}", *rest))


def _source(name: str, *rest: str) -> str:
    return "/".join((f"/v1/sources/{segment(name)}", *rest))


# ----------------------------------------------------------------------------- sessions
def create_session(
    *,
    source: str | None = None,
    ref: str | None = None,
    template: str | None = None,
    checkpoint: tuple[str, str] | None = None,
    name: str | None = None,
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Plan[Session]:
    """``POST /v1/sessions``."""
    origin = (
        None if checkpoint is None else CheckpointOrigin(session=checkpoint[0], name=checkpoint[1])
    )
    body = CreateSessionRequest(
        source=source,
        ref=ref,
        template=template,
        checkpoint=origin,
        name=name,
        tags=list(tags),
        metadata=dict(metadata or {}),
    )
    return (yield from json_call("POST", "/v1/sessions", Session, json=body))


def upload_session(
    archive: BinaryIO, *, name: str | None = None, tags: Sequence[str] = ()
) -> Plan[Session]:
    """``POST /v1/sessions/upload`` (the archive is streamed)."""
    params = {"name": name, "tags": list(tags) or None}
    return (
        yield from json_call("POST", "/v1/sessions/upload", Session, params=params, body=archive)
    )


def get_session(session_id: str) -> Plan[Session]:
    """``GET /v1/sessions/{id}``."""
    return (yield from json_call("GET", _session(session_id), Session))


def list_sessions(
    *,
    status: str | None = None,
    source: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[Session]]:
    """``GET /v1/sessions``."""
    params = {"status": status, "source": source, "tag": tag, "cursor": cursor, "limit": limit}
    return (yield from json_call("GET", "/v1/sessions", Page[Session], params=params))


def fork(session_id: str, *, name: str | None = None) -> Plan[Session]:
    """``POST /v1/sessions/{id}/fork``."""
    body = ForkRequest(name=name)
    return (yield from json_call("POST", _session(session_id, "fork"), Session, json=body))


def checkpoint(session_id: str, name: str | None = None, *, message: str = "") -> Plan[Checkpoint]:
    """``POST /v1/sessions/{id}/checkpoints``."""
    body = CheckpointRequest(name=name, message=message)
    url = _session(session_id, "checkpoints")
    return (yield from json_call("POST", url, Checkpoint, json=body))


def list_checkpoints(
    session_id: str, *, cursor: str | None = None, limit: int = 100
) -> Plan[Page[Checkpoint]]:
    """``GET /v1/sessions/{id}/checkpoints``."""
    url = _session(session_id, "checkpoints")
    params = {"cursor": cursor, "limit": limit}
    return (yield from json_call("GET", url, Page[Checkpoint], params=params))


def restore(session_id: str, checkpoint: str) -> Plan[Session]:
    """``POST /v1/sessions/{id}/restore``."""
    body = RestoreRequest(checkpoint=checkpoint)
    return (yield from json_call("POST", _session(session_id, "restore"), Session, json=body))


def merge_from(session_id: str, other: str) -> Plan[Session]:
    """``POST /v1/sessions/{id}/merge-from``."""
    body = MergeFromRequest(session=other)
    return (yield from json_call("POST", _session(session_id, "merge-from"), Session, json=body))


def commit(
    session_id: str, *, message: str, author: str = "aether", branch: str | None = None
) -> Plan[CommitResult]:
    """``POST /v1/sessions/{id}/commit``."""
    body = CommitRequest(message=message, author=author, branch=branch)
    return (yield from json_call("POST", _session(session_id, "commit"), CommitResult, json=body))


def resolve(
    session_id: str, take: Mapping[str, str], *, message: str, author: str = "aether"
) -> Plan[CommitResult]:
    """``POST /v1/sessions/{id}/resolve``."""
    body = ResolveRequest(take=dict(take), message=message, author=author)  # type: ignore[arg-type]
    return (yield from json_call("POST", _session(session_id, "resolve"), CommitResult, json=body))


def promote(
    session_id: str,
    *,
    source: str | None = None,
    branch: str | None = None,
    message: str = "promoted from a session",
    author: str = "aether",
) -> Plan[Ref]:
    """``POST /v1/sessions/{id}/promote``."""
    body = PromoteRequest(source=source, branch=branch, message=message, author=author)
    return (yield from json_call("POST", _session(session_id, "promote"), Ref, json=body))


def archive(session_id: str) -> Plan[Session]:
    """``POST /v1/sessions/{id}/archive``."""
    return (yield from json_call("POST", _session(session_id, "archive"), Session))


def retire(session_id: str) -> Plan[Session]:
    """``POST /v1/sessions/{id}/retire``."""
    return (yield from json_call("POST", _session(session_id, "retire"), Session))


def manifest(
    session_id: str,
    *,
    prefix: str = "",
    cursor: str | None = None,
    limit: int = 1000,
    datasets: bool = False,
) -> Plan[Page[ManifestItem]]:
    """``GET /v1/sessions/{id}/manifest``."""
    params = {"prefix": prefix, "cursor": cursor, "limit": limit, "datasets": datasets or None}
    url = _session(session_id, "manifest")
    return (yield from json_call("GET", url, Page[ManifestItem], params=params))


def diff(
    session_id: str, *, against: str | None = None, prefix: str = "", datasets: bool = False
) -> Plan[list[Change]]:
    """``GET /v1/sessions/{id}/diff``, every page."""
    url = _session(session_id, "diff")
    params: dict[str, Any] = {"against": against, "prefix": prefix}
    if datasets:  # each dataset file of a page is diffed: keep a page's work short
        params |= {"datasets": True, "limit": _DATASET_PAGE}
    return (yield from _all_pages(url, Change, params))


def export(session_id: str, out: BinaryIO, *, format: ExportFormat = "tar") -> Plan[None]:
    """``GET /v1/sessions/{id}/export`` streamed into ``out``."""
    url = _session(session_id, "export")
    yield Call("GET", url, params={"format": format}, sink=out)


# ----------------------------------------------------------------------------- files
def stat(session_id: str, path: str, *, at: str | None = None) -> Plan[Entry]:
    """``GET /v1/sessions/{id}/entry?path=&at=``."""
    url = _session(session_id, "entry")
    return (yield from json_call("GET", url, Entry, params={"path": path, "at": at}))


def listdir(session_id: str, path: str = "", *, at: str | None = None) -> Plan[list[Entry]]:
    """``GET /v1/sessions/{id}/entries?path=&at=``, every page."""
    url = _session(session_id, "entries")
    return (yield from _all_pages(url, Entry, {"path": path, "at": at}))


def read(
    session_id: str, path: str, start: int = 0, length: int = -1, *, at: str | None = None
) -> Plan[bytes]:
    """``GET /v1/sessions/{id}/files/{path}?at=`` with a ``Range`` header for part of a file."""
    if start < 0:
        raise Invalid(f"cannot read from a negative offset ({start})")
    # A zero-length read still asks for one byte, so a missing file or a folder is an error.
    ask = 1 if length == 0 else length
    url = file_url(session_id, "files", path)
    call = Call("GET", url, params={"at": at}, headers=_range(start, ask), accept=(416,))
    reply = yield call
    assert reply is not None
    if reply.status == 416 or length == 0:
        return b""
    if reply.status == 200 and start:  # a server that ignores Range sends everything
        return reply.content[start : None if length < 0 else start + length]
    return reply.content if length < 0 else reply.content[:length]


def _range(start: int, length: int) -> dict[str, str]:
    if length < 0:
        return {"Range": f"bytes={start}-"} if start else {}
    return {"Range": f"bytes={start}-{start + length - 1}"}


def download(session_id: str, path: str, out: BinaryIO, *, at: str | None = None) -> Plan[Entry]:
    """``GET /v1/sessions/{id}/files/{path}?at=`` streamed into ``out``."""
    url = file_url(session_id, "files", path)
    reply = yield Call("GET", url, params={"at": at}, sink=out)
    assert reply is not None
    return Entry(
        name=path.rstrip("/").rsplit("/", 1)[-1],
        kind=reply.headers.get("x-aether-kind", "file"),  # type: ignore[arg-type]
        id=_etag(reply.headers.get("etag", "")),
        size=reply.received,
    )


def _etag(value: str) -> str:
    return value.removeprefix("W/").strip('"')


def write(
    session_id: str,
    path: str,
    data: bytes | BinaryIO,
    *,
    expected: str | None = None,
    executable: bool = False,
) -> Plan[Entry]:
    """``PUT /v1/sessions/{id}/files/{path}`` (a stream is sent in pieces)."""
    body = bytes(data) if isinstance(data, bytearray | memoryview) else data
    call = dict(params={"executable": executable}, headers=_precondition(expected), body=body)
    return (yield from json_call("PUT", file_url(session_id, "files", path), Entry, **call))


def _precondition(expected: str | None) -> dict[str, str]:
    if expected is None:
        return {}
    if expected == CREATE_ONLY:
        return {"If-None-Match": "*"}
    return {"If-Match": f'"{expected}"'}


def delete(
    session_id: str, path: str, *, expected: str | None = None, recursive: bool = False
) -> Plan[None]:
    """``DELETE /v1/sessions/{id}/files/{path}``."""
    url = file_url(session_id, "files", path)
    headers = _precondition(expected)
    yield Call("DELETE", url, params={"recursive": recursive}, headers=headers)


def mkdir(session_id: str, path: str, *, exist_ok: bool = False) -> Plan[None]:
    """``POST /v1/sessions/{id}/dirs``."""
    body = MkdirRequest(path=path, exist_ok=exist_ok)
    yield Call("POST", _session(session_id, "dirs"), json=body)


def rmdir(session_id: str, path: str) -> Plan[None]:
    """``DELETE /v1/sessions/{id}/dirs/{path}``."""
    yield Call("DELETE", file_url(session_id, "dirs", path))


def rename(
    session_id: str,
    source: str,
    destination: str,
    *,
    overwrite: bool = False,
    expected: str | None = None,
) -> Plan[None]:
    """``POST /v1/sessions/{id}/rename``."""
    body = RenameRequest(
        source=source, destination=destination, overwrite=overwrite, expected=expected
    )
    yield Call("POST", _session(session_id, "rename"), json=body)


def symlink(session_id: str, path: str, target: str) -> Plan[Entry]:
    """``POST /v1/sessions/{id}/symlinks``."""
    body = SymlinkRequest(path=path, target=target)
    return (yield from json_call("POST", _session(session_id, "symlinks"), Entry, json=body))


def batch(session_id: str, operations: Iterable[BatchOperation]) -> Plan[Session]:
    """``POST /v1/sessions/{id}/batch``."""
    body = BatchRequest(operations=list(operations))
    return (yield from json_call("POST", _session(session_id, "batch"), Session, json=body))


# ----------------------------------------------------------------------------- sources
def create_source(name: str, *, description: str = "") -> Plan[Source]:
    """``POST /v1/sources``."""
    body = CreateSourceRequest(name=name, description=description)
    return (yield from json_call("POST", "/v1/sources", Source, json=body))


def get_source(name: str) -> Plan[Source]:
    """``GET /v1/sources/{name}``."""
    return (yield from json_call("GET", _source(name), Source))


def list_sources(*, cursor: str | None = None, limit: int = 100) -> Plan[Page[Source]]:
    """``GET /v1/sources``."""
    params = {"cursor": cursor, "limit": limit}
    return (yield from json_call("GET", "/v1/sources", Page[Source], params=params))


def list_refs(source: str, *, cursor: str | None = None, limit: int = 100) -> Plan[Page[Ref]]:
    """``GET /v1/sources/{name}/refs``."""
    params = {"cursor": cursor, "limit": limit}
    return (yield from json_call("GET", _source(source, "refs"), Page[Ref], params=params))


def create_ref(source: str, name: str, *, at: str | None = None, kind: str = "branch") -> Plan[Ref]:
    """``POST /v1/sources/{name}/refs``."""
    body = CreateRefRequest(name=name, at=at, kind=kind)  # type: ignore[arg-type]
    return (yield from json_call("POST", _source(source, "refs"), Ref, json=body))


def log(
    source: str, ref: str | None = None, *, cursor: str | None = None, limit: int = 50
) -> Plan[Page[Commit]]:
    """``GET /v1/sources/{name}/commits``."""
    params = {"ref": ref, "cursor": cursor, "limit": limit}
    return (yield from json_call("GET", _source(source, "commits"), Page[Commit], params=params))


def start_import(
    source: str,
    origin: str,
    *,
    branch: str | None = None,
    git_ref: str = "HEAD",
    message: str | None = None,
) -> Plan[ImportJob]:
    """``POST /v1/sources/{name}/imports``."""
    body = ImportRequest(origin=origin, branch=branch, git_ref=git_ref, message=message)
    return (yield from json_call("POST", _source(source, "imports"), ImportJob, json=body))


def get_import(source: str, job_id: str) -> Plan[ImportJob]:
    """``GET /v1/sources/{name}/imports/{job}``."""
    return (yield from json_call("GET", _source(source, "imports", segment(job_id)), ImportJob))


def list_imports(
    source: str, *, cursor: str | None = None, limit: int = 100
) -> Plan[Page[ImportJob]]:
    """``GET /v1/sources/{name}/imports``."""
    params = {"cursor": cursor, "limit": limit}
    url = _source(source, "imports")
    return (yield from json_call("GET", url, Page[ImportJob], params=params))


def wait_import(
    source: str, job_id: str, timeout: float = 60.0, *, interval: float = 0.05
) -> Plan[ImportJob]:
    """Poll ``get_import`` until the job SUCCEEDED or FAILED and return it.

    Raises:
        TimeoutError: the job is still queued or running after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        job = yield from get_import(source, job_id)
        if job.status in _FINISHED:
            return job
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"import {job_id} into {source} is still {job.status} after {timeout}s"
            )
        yield Sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, 1.0)


# ----------------------------------------------------------------------------- service
def whoami() -> Plan[WhoAmI]:
    """``GET /v1/whoami``: the caller's token, tenant and scopes."""
    return (yield from json_call("GET", "/v1/whoami", WhoAmI))


def health() -> Plan[dict[str, Any]]:
    """``GET /health``: the server's health report."""
    return (yield from json_call("GET", "/health", dict[str, Any]))


def create_token(
    name: str,
    scopes: Sequence[str],
    *,
    tenant: str | None = None,
    expires_in: int | None = None,
) -> Plan[IssuedToken]:
    """``POST /v1/tokens`` (scope ``admin``): a new token; its secret is shown this once.

    Args:
        name: What the token is for.
        scopes: What it may do (``session.read``, ``admin``, ...).
        tenant: Its tenant (the caller's when None).
        expires_in: Seconds until it expires (never when None).
    """
    body = CreateTokenRequest(name=name, scopes=list(scopes), tenant=tenant, expires_in=expires_in)
    return (yield from json_call("POST", "/v1/tokens", IssuedToken, json=body))


def list_tokens(
    *, tenant: str | None = None, cursor: str | None = None, limit: int = 100
) -> Plan[Page[Token]]:
    """``GET /v1/tokens`` (scope ``admin``): tokens by id, never their secrets."""
    params = {"tenant": tenant, "cursor": cursor, "limit": limit}
    return (yield from json_call("GET", "/v1/tokens", Page[Token], params=params))


def revoke_token(token_id: str) -> Plan[None]:
    """``DELETE /v1/tokens/{id}`` (scope ``admin``): stop a token from working, for good."""
    yield Call("DELETE", f"/v1/tokens/{segment(token_id)}")


# ----------------------------------------------------------------------------- paging
def _all_pages(url: str, item: type, params: dict[str, Any]) -> Plan[list[Any]]:
    items: list[Any] = []
    cursor = None
    while True:
        reply = yield Call("GET", url, params={**params, "cursor": cursor})
        assert reply is not None
        page = decode(reply, Page[item])  # type: ignore[valid-type]
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
