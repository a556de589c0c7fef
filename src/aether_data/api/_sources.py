"""``/v1/sources``: durable histories, their refs and commits, and imports into them."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from aether_data.api._auth import WorkspaceDep
from aether_data.api._routes import operation
from aether_data.service import Scope
from aether_data.wire import (
    Commit,
    CreateRefRequest,
    CreateSourceRequest,
    ImportJob,
    ImportRequest,
    Page,
    Ref,
    Source,
)

__all__ = ["ImportsController", "SourcesController"]

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Items per page.")]
_READ, _WRITE = Scope.SOURCE_READ.value, Scope.SOURCE_WRITE.value
_IMPORT = Scope.SOURCE_IMPORT.value


class SourcesController(Controller):
    """Sources of the caller's tenant."""

    path = "/v1/sources"
    tags = ["sources"]

    @operation("POST", "/", scope=_WRITE, summary="Create a source", status_code=201)
    def create_source(self, ws: WorkspaceDep, data: JSONBody[CreateSourceRequest]) -> Source:
        return ws.create_source(data.name, description=data.description)

    @operation("GET", "/", scope=_READ, summary="List sources")
    def list_sources(
        self, ws: WorkspaceDep, cursor: FromQuery[str | None] = None, limit: Limit = 100
    ) -> Page[Source]:
        return ws.list_sources(cursor=cursor or None, limit=limit)

    @operation("GET", "/{name:str}", scope=_READ, summary="Get a source")
    def get_source(self, ws: WorkspaceDep, name: FromPath[str]) -> Source:
        return ws.get_source(name)

    @operation("GET", "/{name:str}/refs", scope=_READ, summary="List branches and tags")
    def list_refs(
        self,
        ws: WorkspaceDep,
        name: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[Ref]:
        return ws.list_refs(name, cursor=cursor or None, limit=limit)

    @operation(
        "POST", "/{name:str}/refs", scope=_WRITE, summary="Create a branch or tag", status_code=201
    )
    def create_ref(
        self, ws: WorkspaceDep, name: FromPath[str], data: JSONBody[CreateRefRequest]
    ) -> Ref:
        return ws.create_ref(name, data.name, at=data.at, kind=data.kind)

    @operation("GET", "/{name:str}/commits", scope=_READ, summary="A ref's history")
    def log(
        self,
        ws: WorkspaceDep,
        name: FromPath[str],
        ref: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[Commit]:
        return ws.log(name, ref, cursor=cursor or None, limit=limit)


class ImportsController(Controller):
    """Asynchronous imports into a source's branch."""

    path = "/v1/sources/{name:str}/imports"
    tags = ["imports"]

    @operation("POST", "/", scope=_IMPORT, summary="Start an import", status_code=202)
    def start_import(
        self, ws: WorkspaceDep, name: FromPath[str], data: JSONBody[ImportRequest]
    ) -> ImportJob:
        return ws.start_import(
            name, data.origin, branch=data.branch, git_ref=data.git_ref, message=data.message
        )

    @operation("GET", "/", scope=_READ, summary="List a source's imports")
    def list_imports(
        self,
        ws: WorkspaceDep,
        name: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> Page[ImportJob]:
        return ws.list_imports(name, cursor=cursor or None, limit=limit)

    @operation("GET", "/{job_id:str}", scope=_READ, summary="Get an import")
    def get_import(self, ws: WorkspaceDep, name: FromPath[str], job_id: FromPath[str]) -> ImportJob:
        return ws.get_import(name, job_id)
