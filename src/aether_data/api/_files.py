"""``/v1/sessions/{id}/files|entries|entry|dirs|symlinks|rename|batch``: a session's tree.

File reads answer with the content hash as a strong ETag, honour ``If-None-Match`` (304),
``If-Match`` (412) and one byte range (206 / 416), and stream anything over 1 MiB. Writes
stream the request body into the store and take ``If-Match`` / ``If-None-Match: *``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, BinaryIO

from litestar import Controller, Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from aether_data.api._auth import WorkspaceDep
from aether_data.api._http import (
    etag_of,
    expected_from,
    matches,
    parse_range,
    path_from_raw,
)
from aether_data.api._routes import operation, page_of
from aether_data.api._streams import PIECE, blob_stream, consume_body
from aether_data.errors import Invalid, NotFound, PreconditionFailed
from aether_data.service import Scope
from aether_data.wire import (
    CREATE_ONLY,
    BatchRequest,
    Entry,
    MkdirRequest,
    Page,
    RenameRequest,
    Session,
    SymlinkRequest,
    WorkspaceAPI,
)

__all__ = ["FilesController"]

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
At = Annotated[
    str | None,
    QueryParameter(
        description="Read the tree as it was at this checkpoint of the session (its name) or "
        "commit reachable from it; the tree as it is now when absent."
    ),
]
AnyRequest = Request[Any, Any, Any]
_READ, _WRITE = Scope.SESSION_READ.value, Scope.SESSION_WRITE.value
_DELETE = Scope.SESSION_DELETE.value
_PATH_AT = 5  # "/v1/sessions/{id}/files/" holds five segments before the path
_OCTETS = "application/octet-stream"


def _headers(entry: Entry) -> dict[str, str]:
    headers = {"ETag": etag_of(entry.id), "X-Aether-Kind": entry.kind}
    if entry.kind != "dir":
        headers |= {"Content-Length": str(entry.size), "Accept-Ranges": "bytes"}
    return headers


def _check_conditions(request: AnyRequest, entry: Entry) -> bool:
    """False when ``If-None-Match`` says the caller has it (304); 412 when ``If-Match`` fails."""
    if_match = request.headers.get("if-match")
    if if_match is not None and not matches(if_match, entry.id):
        raise PreconditionFailed(f"{entry.name!r} is {etag_of(entry.id)}, not {if_match}")
    if_none_match = request.headers.get("if-none-match")
    return if_none_match is None or not matches(if_none_match, entry.id)


def _wanted_range(request: AnyRequest, entry: Entry) -> tuple[int, int] | None:
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag_of(entry.id):
        return None  # the caller's copy is stale: send it all
    return parse_range(request.headers.get("range"), entry.size)


def _open(ws: WorkspaceAPI, session_id: str, path: str, at: str | None) -> tuple[Entry, BinaryIO]:
    try:
        return ws.open_reader(session_id, path, at=at)  # type: ignore[attr-defined]
    except Invalid:
        if ws.stat(session_id, path, at=at).kind == "dir":
            raise Invalid(
                f"{path!r} is a folder; list it with /v1/sessions/{session_id}/entries?path={path}"
            ) from None
        raise


def _file_response(request: AnyRequest, entry: Entry, reader: BinaryIO) -> Response | Stream:
    headers = _headers(entry)
    if not _check_conditions(request, entry):
        reader.close()
        return Response(b"", status_code=304, headers={"ETag": headers["ETag"]})
    wanted = _wanted_range(request, entry)
    start, length = wanted or (0, entry.size)
    status = 200 if wanted is None else 206
    headers["Content-Length"] = str(length)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{entry.size}"
    if length > PIECE:
        return Stream(
            blob_stream(reader, start, length),
            status_code=status,
            headers=headers,
            media_type=_OCTETS,
        )
    with reader:
        reader.seek(start)
        data = reader.read(length)
    return Response(data, status_code=status, headers=headers, media_type=_OCTETS)


def _write(
    ws: WorkspaceAPI,
    session_id: str,
    path: str,
    body: BinaryIO,
    *,
    expected: str | None,
    executable: bool,
) -> tuple[Entry, bool]:
    # A precondition already says whether the path exists; else ask, for 201 versus 200.
    created = expected == CREATE_ONLY
    if expected is None:
        try:
            ws.stat(session_id, path)
        except NotFound:
            created = True
    return ws.write(session_id, path, body, expected=expected, executable=executable), created


class FilesController(Controller):
    """Files, folders and links inside a session."""

    path = "/v1/sessions/{session_id:str}"
    tags = ["files"]

    @operation("GET", "/entry", scope=_READ, summary="Stat a path")
    def stat(
        self, ws: WorkspaceDep, session_id: FromPath[str], path: FromQuery[str] = "", at: At = None
    ) -> Entry:
        return ws.stat(session_id, path, at=at)

    @operation("GET", "/entries", scope=_READ, summary="List a folder")
    def listdir(
        self,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        *,
        path: FromQuery[str] = "",
        at: At = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 1000,
    ) -> Page[Entry]:
        entries = ws.listdir(session_id, path, at=at)
        return page_of(entries, lambda entry: entry.name, cursor, limit)

    @operation("GET", "/files/{path:path}", scope=_READ, summary="Read a file", media_type=_OCTETS)
    def read_file(
        self,
        request: AnyRequest,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        path: FromPath[str],
        at: At = None,
    ) -> Response | Stream:
        entry, reader = _open(ws, session_id, path_from_raw(request, _PATH_AT, path), at)
        try:
            return _file_response(request, entry, reader)
        except BaseException:
            reader.close()
            raise

    @operation("HEAD", "/files/{path:path}", scope=_READ, summary="Stat a file by its headers")
    def head_file(
        self,
        request: AnyRequest,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        path: FromPath[str],
        at: At = None,
    ) -> Response[None]:
        entry = ws.stat(session_id, path_from_raw(request, _PATH_AT, path), at=at)
        status = 200 if _check_conditions(request, entry) else 304
        return Response(None, status_code=status, headers=_headers(entry))

    @operation(
        "PUT",
        "/files/{path:path}",
        scope=_WRITE,
        summary="Write a file",
        binary_body=True,
        request_max_body_size=None,
        responses={201: ResponseSpec(Entry, description="Created: the path was new.")},
    )
    async def write_file(
        self,
        request: AnyRequest,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        path: FromPath[str],
        executable: FromQuery[bool] = False,
    ) -> Response[Entry]:
        """The body is the file's bytes, streamed into the store."""
        canonical = path_from_raw(request, _PATH_AT, path)
        headers = request.headers
        expected = expected_from(headers.get("if-match"), headers.get("if-none-match"))
        write = partial(_write, ws, session_id, canonical, expected=expected, executable=executable)
        entry, created = await consume_body(request, write)
        return Response(
            entry, status_code=201 if created else 200, headers={"ETag": etag_of(entry.id)}
        )

    @operation(
        "DELETE", "/files/{path:path}", scope=_DELETE, summary="Delete a file", status_code=204
    )
    def delete_file(
        self,
        request: AnyRequest,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        path: FromPath[str],
        recursive: FromQuery[bool] = False,
    ) -> None:
        canonical = path_from_raw(request, _PATH_AT, path)
        expected = expected_from(request.headers.get("if-match"), None)
        ws.delete(session_id, canonical, expected=expected, recursive=recursive)

    @operation("POST", "/dirs", scope=_WRITE, summary="Create a folder", status_code=204)
    def mkdir(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[MkdirRequest]
    ) -> None:
        ws.mkdir(session_id, data.path, exist_ok=data.exist_ok)

    @operation(
        "DELETE",
        "/dirs/{path:path}",
        scope=_DELETE,
        summary="Remove an empty folder",
        status_code=204,
    )
    def rmdir(
        self, request: AnyRequest, ws: WorkspaceDep, session_id: FromPath[str], path: FromPath[str]
    ) -> None:
        ws.rmdir(session_id, path_from_raw(request, _PATH_AT, path))

    @operation("POST", "/symlinks", scope=_WRITE, summary="Create a link", status_code=201)
    def symlink(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[SymlinkRequest]
    ) -> Entry:
        return ws.symlink(session_id, data.path, data.target)

    @operation("POST", "/rename", scope=_WRITE, summary="Move a path", status_code=204)
    def rename(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[RenameRequest]
    ) -> None:
        ws.rename(
            session_id,
            data.source,
            data.destination,
            overwrite=data.overwrite,
            expected=data.expected,
        )

    @operation("POST", "/batch", scope=_WRITE, summary="Apply changes atomically", status_code=200)
    def batch(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[BatchRequest]
    ) -> Session:
        return ws.batch(session_id, data.operations)
