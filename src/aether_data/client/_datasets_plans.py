"""One plan per method of ``DatasetsAPI``. The contract is documented once, on
``aether_data.wire.datasets``; the docstrings here only name the route."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from aether_data.client._calls import Call, Plan, file_url, json_call
from aether_data.errors import Invalid
from aether_data.wire.datasets import (
    DIFF_FORMATS,
    DatasetDiffResult,
    DatasetProfile,
    DiffFormat,
    ToleranceSpec,
    tolerance_param,
    tolerances,
)

# Every plan below; the clients turn each into a method of the same name.
__all__ = ["diff_dataset", "download_dataset_diff", "inspect_dataset"]


def inspect_dataset(session_id: str, path: str) -> Plan[DatasetProfile]:
    """``GET /v1/sessions/{id}/datasets/{path}``."""
    url = file_url(session_id, "datasets", path)
    return (yield from json_call("GET", url, DatasetProfile))


def diff_dataset(
    session_id: str,
    path: str,
    *,
    against: str | None = None,
    key: str | Sequence[str] | None = None,
    tolerance: Mapping[str, ToleranceSpec] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Plan[DatasetDiffResult]:
    """``GET /v1/sessions/{id}/dataset-diff/{path}`` (JSON, one page of rows)."""
    url = file_url(session_id, "dataset-diff", path)
    params = _options(against, key, tolerance) | {"offset": offset, "limit": limit}
    return (yield from json_call("GET", url, DatasetDiffResult, params=params))


def download_dataset_diff(
    session_id: str,
    path: str,
    out: BinaryIO,
    *,
    against: str | None = None,
    key: str | Sequence[str] | None = None,
    tolerance: Mapping[str, ToleranceSpec] | None = None,
    format: DiffFormat = "arrow",
) -> Plan[None]:
    """``GET /v1/sessions/{id}/dataset-diff/{path}?format=`` streamed into ``out``."""
    if format not in DIFF_FORMATS:
        raise Invalid(f"a dataset diff is written as arrow, parquet, csv or json, not {format!r}")
    url = file_url(session_id, "dataset-diff", path)
    params = _options(against, key, tolerance) | {"format": format}
    yield Call("GET", url, params=params, sink=out)


def _options(
    against: str | None,
    key: str | Sequence[str] | None,
    tolerance: Mapping[str, ToleranceSpec] | None,
) -> dict[str, Any]:
    keys = [key] if isinstance(key, str) else list(key or ())
    given = [tolerance_param(column, t) for column, t in tolerances(tolerance).items()]
    return {"against": against, "key": keys or None, "tolerance": given or None}
