"""Dataset file formats: which paths are datasets, and how DuckDB reads each one.

Parquet, CSV (DuckDB's sniffer finds the delimiter, quoting, header and column types; ``.tsv``
too), Arrow IPC / Feather (through pyarrow, memory-mapped) and JSON Lines. Reading errors
(truncated Parquet, ragged CSV, bad JSON) become ``Invalid`` naming the file and the cause.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from aether_data.errors import Invalid

__all__ = [
    "DatasetFormat",
    "connect",
    "detect_format",
    "is_dataset_path",
    "quote",
    "reading",
    "register",
    "sql_string",
]


class DatasetFormat(StrEnum):
    """A dataset file format."""

    PARQUET = "parquet"
    CSV = "csv"
    ARROW = "arrow"
    JSONL = "jsonl"


_SUFFIXES = {
    ".parquet": DatasetFormat.PARQUET,
    ".pq": DatasetFormat.PARQUET,
    ".csv": DatasetFormat.CSV,
    ".tsv": DatasetFormat.CSV,
    ".arrow": DatasetFormat.ARROW,
    ".feather": DatasetFormat.ARROW,
    ".ipc": DatasetFormat.ARROW,
    ".jsonl": DatasetFormat.JSONL,
    ".ndjson": DatasetFormat.JSONL,
}


def detect_format(path: str | os.PathLike[str]) -> DatasetFormat | None:
    """The format a path's suffix names (case-insensitive), or None for other files."""
    return _SUFFIXES.get(PurePosixPath(os.fspath(path)).suffix.lower())


def is_dataset_path(path: str | os.PathLike[str]) -> bool:
    """Whether the path names a dataset file by its suffix."""
    return detect_format(path) is not None


def _duckdb() -> Any:
    import duckdb  # noqa: PLC0415 - heavy; only dataset work needs it

    return duckdb


def connect(
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
) -> Any:
    """A fresh in-memory DuckDB connection; joins spill to ``temp_directory`` past
    ``memory_limit`` (such as ``"1GB"``)."""
    con = _duckdb().connect(":memory:")
    settings = {
        "memory_limit": memory_limit,
        "threads": threads,
        "temp_directory": temp_directory,
    }
    for name, value in settings.items():
        if value is not None:
            con.execute(f"SET {name} = {sql_string(str(value))}").fetchall()
    con.execute("SET preserve_insertion_order = false").fetchall()
    # In a Jupyter kernel without ipywidgets DuckDB refuses to touch this setting at all.
    with suppress(_duckdb().InvalidInputException):
        con.execute("SET enable_progress_bar = false").fetchall()
    return con


def sql_string(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def register(
    con: Any,
    view: str,
    path: str | os.PathLike[str],
    fmt: DatasetFormat | None = None,
    *,
    name: str | None = None,
) -> DatasetFormat:
    """Make ``view`` read the dataset at ``path`` (its format from the suffix unless given),
    and check that it can be read at all; returns the format. Errors name the file ``name``
    (the path by default), such as the session path of a file copied out of the store.

    Raises:
        Invalid: not a dataset path, or the file cannot be read as its format (a ragged CSV
            among them: rows with more or fewer fields than the first).
    """
    where = os.fspath(path)
    fmt = fmt or detect_format(where)
    if fmt is None:
        raise Invalid(
            f"{name or where} is not a dataset: use .parquet, .csv, .tsv, .arrow or .jsonl"
        )
    with reading(where, fmt, name=name):
        _create_view(con, view, where, fmt)
        con.execute(f"SELECT * FROM {quote(view)} LIMIT 0").fetchall()
        if fmt is DatasetFormat.CSV:
            _refuse_ragged(con, where)
    return fmt


@contextmanager
def reading(
    path: str | os.PathLike[str], fmt: DatasetFormat, *, name: str | None = None
) -> Iterator[None]:
    """Turn the errors of reading a registered dataset (DuckDB's, pyarrow's, the OS's) into
    ``Invalid`` naming the file: a scan can fail long after ``register`` (a ragged line or a
    corrupt row group deep in the file), so wrap every query of a dataset view in this."""
    where = os.fspath(path)
    try:
        yield
    except Invalid as exc:
        if where in str(exc) and name:
            raise Invalid(str(exc).replace(where, name)) from exc
        raise
    except _read_errors() as exc:
        reason = _reason(exc).replace(where, name or where)
        raise Invalid(f"cannot read {name or where} as {fmt.value}: {reason}") from exc


def _create_view(con: Any, view: str, path: str, fmt: DatasetFormat) -> None:
    source = sql_string(path)
    if fmt is DatasetFormat.PARQUET:
        query = f"SELECT * FROM read_parquet({source})"
    elif fmt is DatasetFormat.CSV:
        query = f"SELECT * FROM read_csv({source}, auto_detect = true, strict_mode = true)"
    elif fmt is DatasetFormat.JSONL:
        query = f"SELECT * FROM read_json({source}, format = 'newline_delimited')"
    else:
        _register_arrow(con, view + "__arrow", path)
        query = f"SELECT * FROM {quote(view + '__arrow')}"
    con.execute(f"CREATE OR REPLACE VIEW {quote(view)} AS {query}").fetchall()


def _register_arrow(con: Any, name: str, path: str) -> None:
    import pyarrow.dataset as pads  # noqa: PLC0415 - heavy

    con.register(name, pads.dataset(path, format="ipc"))


# A CSV whose rows disagree on their number of fields defeats DuckDB's sniffer, which then
# reads every line whole as one VARCHAR column, or skips the first lines as a preamble and
# loses them: both are a ragged file, not a one-column file or one with a preamble.
_DELIMITERS = (",", ";", "\t", "|")
_RAGGED_SAMPLE = 20_480  # lines, as many as DuckDB's sniffer samples


def _refuse_ragged(con: Any, path: str) -> None:
    query = f"SELECT Delimiter, SkipRows, len(Columns) FROM sniff_csv({sql_string(path)})"
    # fetchall: a half-read result would keep the caller's connection busy (DuckDB 2)
    ((delimiter, skipped, columns),) = con.execute(query).fetchall()
    if columns == 1:
        suspects: tuple[str, ...] = _DELIMITERS
    elif skipped:
        suspects = (delimiter,)
    else:
        return
    for suspect in suspects:
        problem = _ragged_line(path, suspect)
        if problem is not None:
            raise Invalid(f"cannot read {path} as csv: {problem}")


def _ragged_line(path: str, delimiter: str) -> str | None:
    """Where the file's rows stop having the first row's number of fields when split at
    ``delimiter``; None when the first row is not split at all, or every sampled row agrees."""
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as text:
            rows = csv.reader(text, delimiter=delimiter)
            first = len(next(rows, []))
            if first < 2:  # one field: the delimiter is not this one
                return None
            for number, row in enumerate(rows, 2):
                if number > _RAGGED_SAMPLE:
                    return None
                if row and len(row) != first:
                    return (
                        f"line {rows.line_num} has {len(row)} fields where the first has "
                        f"{first} (delimiter {delimiter!r})"
                    )
    except csv.Error:
        return None  # not parseable this way either: DuckDB's reading stands
    return None


def _read_errors() -> tuple[type[BaseException], ...]:
    import pyarrow  # noqa: PLC0415 - heavy

    return (_duckdb().Error, pyarrow.ArrowException, OSError)


# DuckDB explains a CSV error over several lines (where, the line, what it expected) and then
# suggests options; the explanation is the reason, the suggestions are not.
_REASON_LINES = 3
_REASON_CHARS = 400


def _reason(exc: BaseException) -> str:
    lines = []
    for line in str(exc).strip().splitlines():
        if not line.strip() or line.startswith("Possible fixes"):
            break
        lines.append(line.strip())
    text = "; ".join(lines[:_REASON_LINES]) or type(exc).__name__
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
