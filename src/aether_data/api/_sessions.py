"""``/v1/sessions``: the session lifecycle (create, fork, checkpoint, merge, commit, export)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, BinaryIO

import anyio.to_thread
from litestar import Controller, Request
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from aether_data.api._auth import WorkspaceDep
from aether_data.api._routes import BINARY_ANSWER, operation
from aether_data.api._streams import consume_body, long_waits, pipe_stream
from aether_data.service import Scope
from aether_data.wire import (
    Change,
    Checkpoint,
    CheckpointRequest,
    CommitRequest,
    CommitResult,
    CreateSessionRequest,
    ExportFormat,
    ForkRequest,
    ManifestItem,
    MergeFromRequest,
    Page,
    PromoteRequest,
    Ref,
    ResolveRequest,
    RestoreRequest,
    Session,
    WorkspaceAPI,
)

__all__ = ["SessionsController"]

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
_READ, _WRITE = Scope.SESSION_READ.value, Scope.SESSION_WRITE.value
_MERGE, _DELETE = Scope.SESSION_MERGE.value, Scope.SESSION_DELETE.value
_ARCHIVE_TYPES = {
    "tar": "application/x-tar",
    "tar.gz": "application/gzip",
    "zip": "application/zip",
}


def _upload(ws: WorkspaceAPI, archive: BinaryIO, *, name: str | None, tags: list[str]) -> Session:
    return ws.upload_session(archive, name=name, tags=tags)


class SessionsController(Controller):
    """Sessions of the caller's tenant."""

    path = "/v1/sessions"
    tags = ["sessions"]

    @operation("POST", "/", scope=_WRITE, summary="Create a session", status_code=201)
    def create_session(self, ws: WorkspaceDep, data: JSONBody[CreateSessionRequest]) -> Session:
        origin = data.checkpoint
        return ws.create_session(
            source=data.source,
            ref=data.ref,
            template=data.template,
            checkpoint=None if origin is None else (origin.session, origin.name),
            name=data.name,
            tags=data.tags,
            metadata=data.metadata,
        )

    @operation(
        "POST",
        "/upload",
        scope=_WRITE,
        summary="Create a session from an archive",
        binary_body=True,
        status_code=201,
        request_max_body_size=None,
    )
    async def upload_session(
        self,
        request: Request[Any, Any, Any],
        ws: WorkspaceDep,
        name: FromQuery[str | None] = None,
        tags: FromQuery[list[str] | None] = None,
    ) -> Session:
        """The body is a tar, tar.gz or zip archive, read as a stream."""
        upload = partial(_upload, ws, name=name, tags=tags or ())
        return await consume_body(request, upload)

    @operation("GET", "/", scope=_READ, summary="List sessions")
    def list_sessions(
        self,
        *,
        ws: WorkspaceDep,
        status: FromQuery[str | None] = None,
        source: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[Session]:
        return ws.list_sessions(
            status=status, source=source, tag=tag, cursor=cursor or None, limit=limit
        )

    @operation("GET", "/{session_id:str}", scope=_READ, summary="Get a session")
    def get_session(self, ws: WorkspaceDep, session_id: FromPath[str]) -> Session:
        return ws.get_session(session_id)

    @operation(
        "POST", "/{session_id:str}/fork", scope=_WRITE, summary="Fork a session", status_code=201
    )
    def fork(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[ForkRequest | None] = None
    ) -> Session:
        return ws.fork(session_id, name=None if data is None else data.name)

    @operation("GET", "/{session_id:str}/checkpoints", scope=_READ, summary="List checkpoints")
    def list_checkpoints(
        self,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[Checkpoint]:
        return ws.list_checkpoints(session_id, cursor=cursor or None, limit=limit)

    @operation(
        "POST",
        "/{session_id:str}/checkpoints",
        scope=_WRITE,
        summary="Checkpoint a session",
        status_code=201,
    )
    def checkpoint(
        self,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        data: JSONBody[CheckpointRequest | None] = None,
    ) -> Checkpoint:
        data = data or CheckpointRequest()
        return ws.checkpoint(session_id, data.name, message=data.message)

    @operation(
        "POST",
        "/{session_id:str}/restore",
        scope=_WRITE,
        summary="Restore a checkpoint",
        status_code=200,
    )
    def restore(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[RestoreRequest]
    ) -> Session:
        return ws.restore(session_id, data.checkpoint)

    @operation(
        "POST",
        "/{session_id:str}/merge-from",
        scope=_MERGE,
        summary="Merge another session's changes in",
        status_code=200,
    )
    def merge_from(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[MergeFromRequest]
    ) -> Session:
        return ws.merge_from(session_id, data.session)

    @operation(
        "POST",
        "/{session_id:str}/commit",
        scope=_MERGE,
        summary="Commit to the session's source",
        status_code=200,
    )
    def commit(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[CommitRequest]
    ) -> CommitResult:
        return ws.commit(session_id, message=data.message, author=data.author, branch=data.branch)

    @operation(
        "POST",
        "/{session_id:str}/resolve",
        scope=_MERGE,
        summary="Commit a conflicted session",
        status_code=200,
    )
    def resolve(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[ResolveRequest]
    ) -> CommitResult:
        return ws.resolve(session_id, data.take, message=data.message, author=data.author)

    @operation(
        "POST",
        "/{session_id:str}/promote",
        scope=_MERGE,
        summary="Promote to a source or branch",
        status_code=201,
    )
    def promote(
        self, ws: WorkspaceDep, session_id: FromPath[str], data: JSONBody[PromoteRequest]
    ) -> Ref:
        return ws.promote(
            session_id,
            source=data.source,
            branch=data.branch,
            message=data.message,
            author=data.author,
        )

    @operation(
        "POST",
        "/{session_id:str}/archive",
        scope=_WRITE,
        summary="Make a session read-only",
        status_code=200,
    )
    def archive(self, ws: WorkspaceDep, session_id: FromPath[str]) -> Session:
        return ws.archive(session_id)

    @operation(
        "POST",
        "/{session_id:str}/retire",
        scope=_DELETE,
        summary="Drop a session's working state",
        status_code=200,
    )
    def retire(self, ws: WorkspaceDep, session_id: FromPath[str]) -> Session:
        return ws.retire(session_id)

    @operation("GET", "/{session_id:str}/manifest", scope=_READ, summary="A session's manifest")
    def manifest(
        self,
        *,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        prefix: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
        limit: Limit = 1000,
        datasets: Annotated[
            bool, QueryParameter(description="Give each dataset file's schema (DatasetHint).")
        ] = False,
    ) -> Page[ManifestItem]:
        return ws.manifest(
            session_id, prefix=prefix, cursor=cursor or None, limit=limit, datasets=datasets
        )

    @operation("GET", "/{session_id:str}/diff", scope=_READ, summary="What a session changed")
    async def diff(
        self,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        *,
        against: FromQuery[str | None] = None,
        prefix: FromQuery[str] = "",
        cursor: FromQuery[str | None] = None,
        limit: Limit = 1000,
        datasets: Annotated[
            bool,
            QueryParameter(description="Give each changed dataset file's data summary."),
        ] = False,
    ) -> Page[Change]:
        """With ``datasets``, the page's dataset files are diffed, which may take long: that
        runs on the threads of transfers, not those of short requests."""
        page = partial(
            ws.diff_page,  # type: ignore[attr-defined]
            session_id,
            against=against,
            prefix=prefix,
            cursor=cursor or None,
            limit=limit,
            datasets=datasets,
        )
        limiter = long_waits() if datasets else None
        return await anyio.to_thread.run_sync(page, limiter=limiter)

    @operation(
        "GET",
        "/{session_id:str}/export",
        scope=_READ,
        summary="Export as an archive",
        responses={200: BINARY_ANSWER},
    )
    def export(
        self,
        ws: WorkspaceDep,
        session_id: FromPath[str],
        format: FromQuery[ExportFormat] = "tar",
    ) -> Stream:
        ws.get_session(session_id)  # a missing session is a 404, not a broken 200 stream
        filename = f"{session_id}.{format}"
        return Stream(
            pipe_stream(lambda out: ws.export(session_id, out, format=format)),
            media_type=_ARCHIVE_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
