"""``DatasetsAPI``: profiles of a session's dataset files (Parquet, CSV/TSV, Arrow IPC/Feather,
JSON Lines), and the schema hints the manifest shows for them. The embedded implementation is
``aether_data.service.EmbeddedDatasets`` (``services.datasets_api(tenant)``); the HTTP client
implements it too, and one conformance suite runs against both.

HTTP routes (under ``/v1``, bearer token):

=========================================================  ===================  ==============
route                                                      method               scope
=========================================================  ===================  ==============
GET    /sessions/{id}/datasets/{path}                      inspect_dataset      session.read
=========================================================  ===================  ==============

``{path}`` is the file's path in the session, slashes and all, each segment percent-encoded
on its own (as for ``/files/{path}``). A profile is computed once per file content (its
content hash) and kept; asking again costs nothing, whichever session or path holds the same
bytes. ``WorkspaceAPI.manifest(..., datasets=True)`` (``?datasets=true``) gives each dataset
file's ``DatasetHint`` (format, row count, column names and types) from the same profiles.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

__all__ = [
    "ColumnHint",
    "ColumnProfile",
    "CsvDialect",
    "DatasetFormatName",
    "DatasetHint",
    "DatasetProfile",
    "DatasetsAPI",
]

DatasetFormatName = Literal["parquet", "csv", "arrow", "jsonl"]


class CsvDialect(msgspec.Struct, frozen=True, kw_only=True):
    """How a CSV file is written, as DuckDB's sniffer found it (``""``: no quote or escape
    character)."""

    delimiter: str
    quote: str
    escape: str
    header: bool


class ColumnProfile(msgspec.Struct, frozen=True, kw_only=True):
    """One column: DuckDB type, exact null count, min and max (NULL and NaN skipped; None for
    nested and binary types, or when every value is NULL), approximate distinct count.
    Dates and times are ISO 8601 text, decimals text, long text cut and ending in ``…``."""

    name: str
    type: str
    null_count: int
    distinct_count: int
    min: Any = None
    max: Any = None


class DatasetProfile(msgspec.Struct, frozen=True, kw_only=True):
    """What the dataset file at ``path`` (content hash ``id``, ``size`` bytes) holds; each row
    of ``preview`` lists values in the order of ``columns``."""

    path: str
    id: str
    format: DatasetFormatName
    size: int
    row_count: int
    columns: list[ColumnProfile]
    preview: list[list[Any]] = msgspec.field(default_factory=list)
    dialect: CsvDialect | None = None


class ColumnHint(msgspec.Struct, frozen=True, kw_only=True):
    """A column's name and DuckDB type."""

    name: str
    type: str


class DatasetHint(msgspec.Struct, frozen=True, kw_only=True):
    """The schema of a dataset file, as the manifest shows it."""

    format: DatasetFormatName
    row_count: int
    columns: list[ColumnHint]


@runtime_checkable
class DatasetsAPI(Protocol):
    """Dataset files of one tenant's sessions."""

    def inspect_dataset(self, session_id: str, path: str) -> DatasetProfile:
        """The profile of the dataset file at ``path``: computed the first time its content
        is asked for, then kept.

        Raises:
            NotFound: no such session (or another tenant's), or no file at ``path``.
            Invalid: ``path`` is a folder, its suffix names no dataset format, or the file
                cannot be read as its format (the message names the path and the cause).
        """
        ...
