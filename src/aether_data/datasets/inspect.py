"""Profiles of dataset files: the format, the row count, each column's DuckDB type, null
count, min, max and approximate distinct count, the first rows, and for CSV the dialect
DuckDB's sniffer found.

One scan computes what the file does not record: a Parquet footer gives the row count and,
for flat numeric, boolean, date and timestamp columns, null counts and bounds; the scan then
only estimates distinct counts (HyperLogLog) and covers the other columns. A profile is a
pure function of the file's bytes and format, so callers may cache it by content hash.

Min and max skip NULL and NaN, and are left out (None) for nested and binary columns. Values
are JSON-able: numbers stay numbers, times are ISO 8601 text (time zones in UTC), decimals
and other exact types are text, and text is cut at ``MAX_TEXT`` characters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from aether_data.errors import Invalid

from ._parquet_stats import FooterColumn, FooterFacts, footer_facts
from ._values import MAX_TEXT, jsonable
from .formats import DatasetFormat, connect, quote, reading, register, sql_string

__all__ = [
    "MAX_TEXT",
    "PROFILE_VERSION",
    "ColumnProfile",
    "CsvDialect",
    "DatasetProfile",
    "inspect",
]

PROFILE_VERSION = 1
"""Bumped whenever what a profile holds or how it is computed changes: a cached profile of
another version is computed again."""

_VIEW = "data"
_UNORDERED = ("STRUCT", "MAP", "UNION", "BLOB", "BIT", "VARIANT")
_FLOATS = ("FLOAT", "DOUBLE")


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How a CSV file is written, as DuckDB's sniffer found it (``""``: no quote or escape
    character)."""

    delimiter: str
    quote: str
    escape: str
    header: bool


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """One column: its DuckDB type (``BIGINT``, ``VARCHAR``, ``TIMESTAMP``, ...), exact null
    count, min and max (None when every value is NULL, or the type has no order we report),
    and an approximate distinct count (HyperLogLog, within a few percent)."""

    name: str
    type: str
    null_count: int
    min: Any = None
    max: Any = None
    distinct_count: int = 0


@dataclass(frozen=True, slots=True)
class DatasetProfile:
    """What a dataset file holds. ``preview`` has the first rows, each a list of values in
    the order of ``columns``; ``size`` is the file's size in bytes."""

    format: DatasetFormat
    row_count: int
    size: int
    columns: tuple[ColumnProfile, ...]
    preview: tuple[tuple[Any, ...], ...] = ()
    dialect: CsvDialect | None = None

    def to_dict(self) -> dict[str, Any]:
        """The profile as JSON-able data (with ``version``: ``PROFILE_VERSION``)."""
        data = asdict(self)
        data["format"] = self.format.value
        data["preview"] = [list(row) for row in self.preview]
        return {"version": PROFILE_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        """The profile ``to_dict`` gave.

        Raises:
            Invalid: not a profile of this ``PROFILE_VERSION``.
        """
        if data.get("version") != PROFILE_VERSION:
            raise Invalid(f"not a dataset profile of version {PROFILE_VERSION}")
        try:
            dialect = data.get("dialect")
            return cls(
                format=DatasetFormat(data["format"]),
                row_count=data["row_count"],
                size=data["size"],
                columns=tuple(ColumnProfile(**column) for column in data["columns"]),
                preview=tuple(tuple(row) for row in data["preview"]),
                dialect=CsvDialect(**dialect) if dialect else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"not a dataset profile: {exc}") from exc


def inspect(
    path: str | os.PathLike[str],
    fmt: DatasetFormat | None = None,
    *,
    preview_rows: int = 10,
    name: str | None = None,
) -> DatasetProfile:
    """Profile the dataset file at ``path``.

    Args:
        path: A local Parquet, CSV/TSV, Arrow IPC/Feather or JSON Lines file.
        fmt: Its format; by default the suffix says.
        preview_rows: How many of the first rows to keep (0: none).
        name: How errors name the file (the path by default), such as its session path.

    Raises:
        Invalid: not a dataset path, or the file cannot be read as its format (truncated or
            corrupt Parquet, a ragged CSV, a line that is not JSON), naming the file.
    """
    if preview_rows < 0:
        raise Invalid(f"preview_rows must not be negative, not {preview_rows}")
    where = os.fspath(path)
    con = connect()
    try:
        # The preview shows the file's first rows, in order; times read alike on every host.
        con.execute("SET preserve_insertion_order = true").fetchall()
        con.execute("SET TimeZone = 'UTC'").fetchall()
        fmt = register(con, _VIEW, where, fmt, name=name)
        with reading(where, fmt, name=name):
            return _profile(con, where, fmt, preview_rows)
    finally:
        con.close()


def _profile(con: Any, path: str, fmt: DatasetFormat, preview_rows: int) -> DatasetProfile:
    footer = footer_facts(path) if fmt is DatasetFormat.PARQUET else None
    described = con.execute(f"DESCRIBE {quote(_VIEW)}").fetchall()
    names_types = [(str(row[0]), str(row[1])) for row in described]
    row_count, columns = _columns(con, names_types, footer)
    return DatasetProfile(
        format=fmt,
        row_count=row_count,
        size=os.path.getsize(path),
        columns=columns,
        preview=_preview(con, preview_rows),
        dialect=_dialect(con, path) if fmt is DatasetFormat.CSV else None,
    )


def _ordered(duck_type: str) -> bool:
    """Whether min and max of this type are reported (not for nested or binary types)."""
    return not (duck_type.endswith("]") or duck_type.startswith(_UNORDERED))


class _Plan(NamedTuple):
    """What the scan computes for one column: the rest comes from the footer."""

    column: str
    duck_type: str
    footer: FooterColumn
    nulls: bool  # count the NULLs
    bounds: bool  # find min and max


def _plan(column: str, duck_type: str, footer: FooterColumn) -> _Plan:
    nulls = footer.null_count is None
    bounds = _ordered(duck_type) and footer.min_max is None
    return _Plan(column, duck_type, footer, nulls, bounds)


def _aggregates(plan: _Plan) -> list[str]:
    """The SQL aggregates of a plan, in the order ``_column`` reads them."""
    ident = quote(plan.column)
    wanted = [f"approx_count_distinct({ident})"]
    if plan.nulls:
        wanted.append(f"count({ident})")
    if plan.bounds:
        keep = f" FILTER (WHERE NOT isnan({ident}))" if plan.duck_type in _FLOATS else ""
        wanted += [f"min({ident}){keep}", f"max({ident}){keep}"]
    return wanted


def _columns(
    con: Any, names_types: list[tuple[str, str]], footer: FooterFacts | None
) -> tuple[int, tuple[ColumnProfile, ...]]:
    """The row count and every column's profile, from the footer and one scan."""
    known = footer.columns if footer else {}
    plans = [
        _plan(column, duck_type, known.get(column, FooterColumn()))
        for column, duck_type in names_types
    ]
    sql = [] if footer else ["count(*)"]  # a footer knows the row count
    for plan in plans:
        sql += _aggregates(plan)
    values = iter(con.execute(f"SELECT {', '.join(sql)} FROM {quote(_VIEW)}").fetchone())
    row_count = footer.row_count if footer else int(next(values))
    return row_count, tuple(_column(plan, values, row_count) for plan in plans)


def _column(plan: _Plan, values: Iterator[Any], row_count: int) -> ColumnProfile:
    distinct = int(next(values))
    null_count = row_count - int(next(values)) if plan.nulls else plan.footer.null_count
    if plan.bounds:
        low, high = next(values), next(values)
    elif plan.footer.min_max is not None:
        low, high = plan.footer.min_max
    else:
        low = high = None
    return ColumnProfile(
        name=plan.column,
        type=plan.duck_type,
        null_count=null_count,
        min=jsonable(low),
        max=jsonable(high),
        distinct_count=distinct,
    )


def _preview(con: Any, rows: int) -> tuple[tuple[Any, ...], ...]:
    if rows == 0:
        return ()
    found = con.execute(f"SELECT * FROM {quote(_VIEW)} LIMIT {int(rows)}").fetchall()
    return tuple(tuple(jsonable(value) for value in row) for row in found)


def _dialect(con: Any, path: str) -> CsvDialect:
    query = (
        "SELECT Delimiter, Quote, Escape, HasHeader "
        f"FROM sniff_csv({sql_string(path)}, strict_mode = true)"
    )
    delimiter, quote_char, escape, header = con.execute(query).fetchone()
    return CsvDialect(
        delimiter=delimiter,
        quote=_character(quote_char),
        escape=_character(escape),
        header=bool(header),
    )


def _character(sniffed: str | None) -> str:
    """A sniffed quote or escape character; DuckDB says ``(empty)`` for none."""
    return "" if sniffed in (None, "(empty)") else sniffed
