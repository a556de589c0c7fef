"""``/v1/sessions/{id}/datasets/{path}``: profiles of a session's dataset files
(``DatasetsAPI``). The path is read from the raw request path, as for ``/files/{path}``, so
percent-encoded separators cannot hide a traversal."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.params import FromPath

from aether_data.api._auth import ServicesDep, caller_of
from aether_data.api._http import path_from_raw
from aether_data.api._routes import operation
from aether_data.service import Scope
from aether_data.wire.datasets import DatasetProfile

__all__ = ["DatasetsController"]

AnyRequest = Request[Any, Any, Any]
_READ = Scope.SESSION_READ.value
_PATH_AT = 5  # "/v1/sessions/{id}/datasets/" holds five segments before the path


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
