"""``DatasetsAPI``: profiles of a session's dataset files (Parquet, CSV/TSV, Arrow IPC/Feather,
JSON Lines), the schema hints the manifest shows for them, and dataset diffs: what changed in
one dataset file, schema and rows. The embedded implementation is
``aether_data.service.EmbeddedDatasets`` (``services.datasets_api(tenant)``); the HTTP client
implements it too, and one conformance suite runs against both.

HTTP routes (under ``/v1``, bearer token):

=========================================================  ===================  ==============
route                                                      method               scope
=========================================================  ===================  ==============
GET    /sessions/{id}/datasets/{path}                      inspect_dataset      session.read
GET    /sessions/{id}/dataset-diff/{path}?against=&key=    diff_dataset /       session.read
       &tolerance=&offset=&limit=&format=                  download_dataset_diff
=========================================================  ===================  ==============

``{path}`` is the file's path in the session, slashes and all, each segment percent-encoded
on its own (as for ``/files/{path}``). A profile is computed once per file content (its
content hash) and kept; asking again costs nothing, whichever session or path holds the same
bytes. ``WorkspaceAPI.manifest(..., datasets=True)`` (``?datasets=true``) gives each dataset
file's ``DatasetHint`` (format, row count, column names and types) from the same profiles.

The dataset diff route answers one resource in two forms. Without ``format`` (and without an
``Accept`` naming a format) it is JSON: a ``DatasetDiffResult`` holding one page of the changed
rows (``offset``, ``limit``). With ``format=arrow|parquet|csv|json`` (or ``Accept:
application/vnd.apache.arrow.stream``, ``application/vnd.apache.parquet``, ``text/csv``,
``application/x-ndjson``) it streams every changed row: an Arrow IPC stream, a Parquet file,
CSV with a header, or JSON Lines. ``key`` repeats for a key of several columns
(``key=day&key=shop``); ``tolerance`` repeats too, one column each, as ``COLUMN:ABS:REL``
(``REL`` may be left out: ``COLUMN:ABS``), read from the right so a column name may hold
``:``. ``against`` names the old side as ``WorkspaceAPI.diff`` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO, Literal, Protocol, runtime_checkable

import msgspec

from aether_data.errors import Invalid

__all__ = [
    "DIFF_FORMATS",
    "ColumnHint",
    "ColumnProfile",
    "ColumnRename",
    "ColumnTolerance",
    "ColumnTypeChange",
    "CsvDialect",
    "DatasetChangeSummary",
    "DatasetDiffResult",
    "DatasetDiffSummary",
    "DatasetFormatName",
    "DatasetHint",
    "DatasetProfile",
    "DatasetSchemaDiff",
    "DatasetsAPI",
    "DiffFormat",
    "KeyIssues",
    "ToleranceSpec",
    "parse_tolerance",
    "tolerance_param",
    "tolerances",
]

DatasetFormatName = Literal["parquet", "csv", "arrow", "jsonl"]
DiffFormat = Literal["arrow", "parquet", "csv", "json"]
"""How the whole detail of a dataset diff travels: an Arrow IPC stream, a Parquet file, CSV
with a header, or JSON Lines (one changed row per line)."""

DIFF_FORMATS: dict[str, str] = {
    "arrow": "application/vnd.apache.arrow.stream",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
    "json": "application/x-ndjson",
}
"""The media type of each ``DiffFormat``."""


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


# ---------------------------------------------------------------------------- dataset diffs
class ColumnTolerance(msgspec.Struct, frozen=True, kw_only=True):
    """How far apart two numbers of a column may be and still count as equal:
    ``|before - after| <= abs + rel * |after|``."""

    abs: float = 0.0
    rel: float = 0.0


ToleranceSpec = ColumnTolerance | float | Mapping[str, float]
"""A column's tolerance as callers may give it: a ``ColumnTolerance`` (or anything with
``abs`` and ``rel``), a number (an absolute tolerance), or a mapping with ``abs`` and ``rel``."""


class ColumnRename(msgspec.Struct, frozen=True):
    """A dropped and an added column holding the same values."""

    from_: str = msgspec.field(name="from")
    to: str


class ColumnTypeChange(msgspec.Struct, frozen=True):
    """A column whose type changed; its values are compared in a type both can take."""

    name: str
    from_: str = msgspec.field(name="from")
    to: str


class DatasetSchemaDiff(msgspec.Struct, frozen=True, kw_only=True):
    """How the columns changed: ``before`` and ``after`` list them (name, type) in order;
    ``renamed`` pairs are matched by their data; ``reordered`` says whether the shared columns
    come in another order."""

    before: list[ColumnHint] = []
    after: list[ColumnHint] = []
    added: list[str] = []
    dropped: list[str] = []
    renamed: list[ColumnRename] = []
    type_changed: list[ColumnTypeChange] = []
    reordered: bool = False


class KeyIssues(msgspec.Struct, frozen=True, kw_only=True):
    """Rows of one side left out of a keyed diff: a NULL in a key column (``null_rows``), a
    key several rows share (``duplicate_keys`` keys held by ``duplicate_rows`` rows), or a key
    the other side repeats (``other_side_rows``); ``examples`` shows a few repeated keys."""

    null_rows: int = 0
    duplicate_keys: int = 0
    duplicate_rows: int = 0
    other_side_rows: int = 0
    examples: list[list[Any]] = []


class DatasetDiffSummary(msgspec.Struct, frozen=True, kw_only=True):
    """Counts of a dataset diff, consistent with its rows. ``changed_cells`` counts changed
    rows per compared column; ``skipped_row_groups`` counts Parquet row groups equal on both
    sides and left unread. Without a key, rows are compared whole with multiplicity: ``added``
    and ``removed`` count copies, ``changed`` is 0."""

    rows_before: int
    rows_after: int
    added: int
    removed: int
    changed: int
    unchanged: int
    changed_cells: dict[str, int] = {}
    keys_before: KeyIssues = msgspec.field(default_factory=KeyIssues)
    keys_after: KeyIssues = msgspec.field(default_factory=KeyIssues)
    skipped_row_groups: int = 0


KeySource = Literal["given", "config", "inferred", "none"]


class DatasetChangeSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What changed in a dataset file, without its rows: the key rows were matched by (None:
    whole rows compared) and where it came from (``given`` by the caller, ``config`` from
    ``aether.toml``, ``inferred``, or ``none``), the schema changes and the counts."""

    key: list[str] | None
    key_source: KeySource
    schema: DatasetSchemaDiff
    summary: DatasetDiffSummary


class DatasetDiffResult(msgspec.Struct, frozen=True, kw_only=True):
    """A dataset diff of the file at ``path`` (content ``old_id`` -> ``new_id``) with one page
    of its changed rows, in key order. Each row is an object: ``_change`` (``added``,
    ``removed``, ``changed``), ``_changed`` (the columns that differ), the key columns, then
    ``before.<column>`` and ``after.<column>`` per compared column; without a key,
    ``_change``, ``_count`` (copies) and the columns. Values are JSON: times ISO 8601 text,
    decimals text, bytes base64. ``total_rows`` counts every changed row; ``next_offset`` is
    the offset of the next page (None after the last)."""

    path: str
    old_id: str
    new_id: str
    key: list[str] | None
    key_source: KeySource
    schema: DatasetSchemaDiff
    summary: DatasetDiffSummary
    rows: list[dict[str, Any]]
    offset: int = 0
    total_rows: int
    next_offset: int | None = None


def tolerances(given: Mapping[str, ToleranceSpec] | None) -> dict[str, ColumnTolerance]:
    """``given`` as ``ColumnTolerance`` values by column; ``Invalid`` for a negative or
    non-numeric one."""
    out = {}
    for column, spec in (given or {}).items():
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            pair = (float(spec), 0.0)
        elif isinstance(spec, Mapping) and set(spec) <= {"abs", "rel"}:
            pair = (spec.get("abs", 0.0), spec.get("rel", 0.0))
        else:
            pair = (getattr(spec, "abs", None), getattr(spec, "rel", None))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair):
            raise Invalid(f"tolerance of {column!r} must be a number or abs and rel numbers")
        tolerance_abs, tolerance_rel = (float(v) for v in pair)
        if not all(v >= 0 and math.isfinite(v) for v in (tolerance_abs, tolerance_rel)):
            raise Invalid(f"tolerance of {column!r} must be a finite number, not negative")
        out[column] = ColumnTolerance(abs=tolerance_abs, rel=tolerance_rel)
    return out


def tolerance_param(column: str, tolerance: ColumnTolerance) -> str:
    """The ``tolerance`` query parameter of a column: ``COLUMN:ABS:REL``."""
    return f"{column}:{tolerance.abs!r}:{tolerance.rel!r}"


def parse_tolerance(text: str) -> tuple[str, ColumnTolerance]:
    """A ``tolerance`` query parameter, ``COLUMN:ABS:REL`` or ``COLUMN:ABS``, read from the
    right; ``Invalid`` when it is neither."""
    head, _, last = text.rpartition(":")
    column, _, middle = head.rpartition(":")
    if column and _number(middle) is not None and _number(last) is not None:
        return column, tolerances({column: {"abs": float(middle), "rel": float(last)}})[column]
    if head and _number(last) is not None:
        return head, tolerances({head: float(last)})[head]
    raise Invalid(f"tolerance {text!r} is not COLUMN:ABS or COLUMN:ABS:REL")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


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

    def diff_dataset(
        self,
        session_id: str,
        path: str,
        *,
        against: str | None = None,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, ToleranceSpec] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> DatasetDiffResult:
        """What changed in the dataset file at ``path``: schema, counts and the changed rows
        from ``offset`` (``limit`` of them, 0 to 10,000), from the old side to the session's
        current tree.

        Args:
            against: The old side, as ``WorkspaceAPI.diff`` names it: None (the session's
                origin), a checkpoint name, ``session:<id>`` or ``source:<name>[@<ref>]``.
            key: The column(s) that identify a row on both sides. When None, the key (and,
                when ``tolerance`` is None, the tolerances) of ``aether.toml`` at the root of
                the session's tree, else a key inferred from the data (a column, or pair,
                unique and never NULL on both sides), else whole rows are compared.
            tolerance: Per column: ``|before - after| <= abs + rel * |after|`` counts as
                equal.

        Raises:
            NotFound: no such session, checkpoint, other session or source (or another
                tenant's), or no file at ``path`` on one of the sides (the message says which).
            Invalid: ``path`` is a folder or a link, its suffix names no dataset format, a
                side cannot be read as its format, a key column is missing on one side, a
                tolerance is for an unknown or non-numeric column, or ``aether.toml`` is
                malformed.
        """
        ...

    def download_dataset_diff(
        self,
        session_id: str,
        path: str,
        out: BinaryIO,
        *,
        against: str | None = None,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, ToleranceSpec] | None = None,
        format: DiffFormat = "arrow",
    ) -> None:
        """Write every changed row of ``diff_dataset`` (same arguments and errors) to
        ``out``, streamed: an Arrow IPC stream (``pyarrow.ipc.open_stream`` reads it), a
        Parquet file, CSV with a header, or JSON Lines. ``Invalid`` for another format."""
        ...
