"""``/v1/sessions/{id}/datasets/{path}`` and ``/v1/sessions/{id}/dataset-diff/{path}``:
profiles and diffs of a session's dataset files (``DatasetsAPI``). The path is read from the
raw request path, as for ``/files/{path}``, so percent-encoded separators cannot hide a
traversal."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, BinaryIO, TypeVar
from urllib.parse import quote

import anyio.to_thread
from litestar import Controller, Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from aether_data.api._auth import ServicesDep, caller_of
from aether_data.api._http import path_from_raw
from aether_data.api._routes import operation
from aether_data.api._streams import long_waits, pipe_stream
from aether_data.service import OpenDiff, Scope
from aether_data.wire.datasets import (
    DIFF_FORMATS,
    DatasetDiffResult,
    DatasetProfile,
    DiffFormat,
    parse_tolerance,
)

__all__ = ["DatasetDiffController", "DatasetsController"]

AnyRequest = Request[Any, Any, Any]
T = TypeVar("T")
_READ = Scope.SESSION_READ.value
_PATH_AT = 5  # "/v1/sessions/{id}/datasets/" holds five segments before the path
_FORMAT_OF = {media: name for name, media in DIFF_FORMATS.items()}
_DIFF_ANSWER = ResponseSpec(
    data_container=DatasetDiffResult,
    description="JSON: the diff with one page of changed rows. With `format` (or an `Accept` "
    "naming one), every changed row instead: `application/vnd.apache.arrow.stream`, "
    "`application/vnd.apache.parquet`, `text/csv` or `application/x-ndjson`, streamed.",
)


class DatasetsController(Controller):
    """Dataset files of a session: schema, counts, bounds and first rows."""

    path = "/v1/sessions/{session_id:str}/datasets"
    tags = ["datasets"]

    @operation("GET", "/{path:path}", scope=_READ, summary="Profile a dataset file")
    def inspect_dataset(
        self,
        request: AnyRequest,
        services: ServicesDep,
        session_id: FromPath[str],
        path: FromPath[str],
    ) -> DatasetProfile:
        """Computed the first time the file's content is asked for, then kept (400: not a
        dataset, or unreadable as its format)."""
        datasets = services.datasets_api(caller_of(request).tenant)
        return datasets.inspect_dataset(session_id, path_from_raw(request, _PATH_AT, path))


class DatasetDiffController(Controller):
    """What changed in a session's dataset file: schema and rows."""

    path = "/v1/sessions/{session_id:str}/dataset-diff"
    tags = ["datasets"]

    @operation(
        "GET",
        "/{path:path}",
        scope=_READ,
        summary="Diff a dataset file",
        responses={200: _DIFF_ANSWER},
    )
    async def diff_dataset(
        self,
        request: AnyRequest,
        services: ServicesDep,
        session_id: FromPath[str],
        path: FromPath[str],
        *,
        against: Annotated[
            str | None,
            QueryParameter(
                description="The old side: a checkpoint, session:ID, source:NAME[@REF]."
            ),
        ] = None,
        key: Annotated[
            list[str] | None, QueryParameter(description="A key column; repeat for several.")
        ] = None,
        tolerance: Annotated[
            list[str] | None,
            QueryParameter(description="COLUMN:ABS[:REL], one column each; repeat for several."),
        ] = None,
        offset: Annotated[int, QueryParameter(ge=0, description="First changed row.")] = 0,
        limit: Annotated[
            int, QueryParameter(ge=0, le=10_000, description="Changed rows in the page.")
        ] = 100,
        format: FromQuery[DiffFormat | None] = None,
    ) -> Response[Any]:
        """400: not a dataset, unreadable, a key column missing, a bad tolerance; 404: no
        such session or old side, or the file is missing on a side. A diff may take long: it
        runs on the threads of transfers, not those of short requests."""
        datasets = services.datasets_api(caller_of(request).tenant)
        file = path_from_raw(request, _PATH_AT, path)
        options: dict[str, Any] = {
            "against": against,
            "key": key or None,
            "tolerance": dict(parse_tolerance(text) for text in tolerance or ()) or None,
        }
        wanted = format or _accepted(request.headers.get("accept"))
        if wanted is None:
            page = partial(datasets.diff_dataset, offset=offset, limit=limit, **options)
            return Response(await _long(page, session_id, file))
        opened = await _long(partial(datasets.open_dataset_diff, **options), session_id, file)
        return Stream(
            pipe_stream(lambda out: _write_and_close(opened, out, wanted)),
            media_type=DIFF_FORMATS[wanted],
            headers={"Content-Disposition": _attachment(file, wanted)},
        )


async def _long(work: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(partial(work, *args), limiter=long_waits())


def _attachment(path: str, format: str) -> str:
    """``Content-Disposition`` naming the download after the file (header values are
    Latin-1: the name is plain ASCII, with its UTF-8 spelling beside it)."""
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0] + f"-diff.{format}"
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _accepted(header: str | None) -> str | None:
    """The ``DiffFormat`` an ``Accept`` header names first, or None for JSON (or anything
    else, ``*/*`` among them)."""
    for part in (header or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in _FORMAT_OF:
            return _FORMAT_OF[media]
        if media in ("application/json", "*/*"):
            return None
    return None


def _write_and_close(opened: OpenDiff, out: BinaryIO, format: str) -> None:
    with opened:
        opened.write(out, format)
