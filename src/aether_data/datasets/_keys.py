"""Keys: checking a declared key, inferring one, and finding NULL and duplicate keys.

A key is unique and non-NULL on both sides. Rows whose key is NULL, or shared with another row
of the same side, are left out of the keyed comparison and reported instead, so no two rows
are ever joined many-to-many.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from aether_data.errors import Invalid

from ._sql import Column, one, quote, run, scalar
from .formats import DatasetFormat, sql_string

__all__ = [
    "KeyIssues",
    "check_key",
    "infer_key",
    "key_issues",
    "read_key_column",
    "sorted_key_issues",
]

_MAX_SINGLE = 12  # columns tried alone when inferring a key
_MAX_PAIR = 6  # columns combined in pairs when no single one works
_EXAMPLES = 5
_FLOATS = ("FLOAT", "DOUBLE", "REAL")
_PREFERRED = re.compile(r"^(id|key|uuid|pk)$|(_id|_key|id)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class KeyIssues:
    """Rows of one side that have no usable key: NULL in a key column, or a key that several
    rows share (``duplicate_keys`` counts keys, ``duplicate_rows`` the rows holding them). A
    key repeated on either side is left out on both."""

    null_rows: int = 0
    duplicate_keys: int = 0
    duplicate_rows: int = 0
    examples: tuple[tuple[Any, ...], ...] = field(default=())
    other_side_rows: int = 0
    """Rows left out because the other side repeats their key."""

    @property
    def excluded_rows(self) -> int:
        """How many rows the keyed comparison leaves out."""
        return self.null_rows + self.duplicate_rows + self.other_side_rows


def check_key(key: tuple[str, ...], before: tuple[Column, ...], after: tuple[Column, ...]) -> None:
    """Refuse a declared key whose columns are not on both sides."""
    if not key:
        raise Invalid("a key needs at least one column")
    for side, columns in (("before", before), ("after", after)):
        names = [c.name for c in columns]
        missing = [k for k in key if k not in names]
        if missing:
            raise Invalid(
                f"key column {missing[0]!r} is missing from the {side} side "
                f"(its columns: {', '.join(names)})"
            )


def infer_key(
    con: Any, before: tuple[Column, ...], after: tuple[Column, ...]
) -> tuple[str, ...] | None:
    """The first column, else pair of columns, that is unique and never NULL on both sides.

    Candidates are the columns both sides share with one type, floats excluded; names such as
    ``id``, ``key`` or ``*_id`` come first, then the rest in column order.
    """
    types = {c.name: c.type for c in after}
    shared = [c.name for c in before if types.get(c.name) == c.type and not _is_float(c.type)]
    ranked = sorted(shared, key=lambda n: 0 if _PREFERRED.search(n) else 1)
    for name in ranked[:_MAX_SINGLE]:
        if _unique(con, (name,)):
            return (name,)
    head = ranked[:_MAX_PAIR]
    for i, first in enumerate(head):
        for second in head[i + 1 :]:
            if _unique(con, (first, second)):
                return (first, second)
    return None


def _is_float(type_name: str) -> bool:
    return type_name.upper().startswith(_FLOATS)


def _unique(con: Any, key: tuple[str, ...]) -> bool:
    cols = ", ".join(quote(k) for k in key)
    not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in key)
    for view in ("a_all", "b_all"):
        # Cheap estimate first: most non-keys fail it without an exact count.
        total, approx = one(con, f"SELECT count(*), approx_count_distinct(({cols})) FROM {view}")
        if total == 0 or approx < total * 0.9:
            return False
        exact = scalar(
            con,
            f"SELECT count(*) = (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {view} "
            f"WHERE {not_null})) FROM {view}",
        )
        if not exact:
            return False
    return True


def key_issues(
    con: Any,
    view: str,
    key: tuple[str, ...],
    path: str | os.PathLike[str],
    fmt: DatasetFormat,
    *,
    column: Any = None,
) -> KeyIssues:
    """NULL and duplicate keys of one side (``view`` over all of its rows). ``column``: the
    side's one key column in file order, when the caller has it already."""
    if column is None and len(key) == 1:
        column = read_key_column(path, fmt, key[0])
    quick = sorted_key_issues(column) if column is not None else None
    if quick is not None:
        return quick
    cols = ", ".join(quote(k) for k in key)
    any_null = " OR ".join(f"{quote(k)} IS NULL" for k in key)
    not_null = f"NOT ({any_null})"
    nulls = scalar(con, f"SELECT count(*) FILTER (WHERE {any_null}) FROM {view}")
    dups = (
        f"SELECT {cols}, count(*) AS n FROM {view} WHERE {not_null} "
        f"GROUP BY {cols} HAVING count(*) > 1"
    )
    keys, rows = one(con, f"SELECT count(*), coalesce(sum(n), 0) FROM ({dups})")
    examples = run(con, f"SELECT {cols} FROM ({dups}) ORDER BY {cols} LIMIT {_EXAMPLES}")
    return KeyIssues(nulls, keys, int(rows), tuple(tuple(r) for r in examples))


def sorted_key_issues(column: Any) -> KeyIssues | None:
    """For one key column in file order: if its non-NULL values strictly increase (or
    decrease), the key has no duplicates, found without hashing. None when that does not
    settle it."""
    nulls = column.null_count
    values = _comparable(column)
    if values is None:
        return None
    if len(values) < 2:
        return KeyIssues(null_rows=nulls)
    head, tail = values[:-1], values[1:]
    if bool((tail > head).all()) or bool((tail < head).all()):
        return KeyIssues(null_rows=nulls)
    return None


def _comparable(column: Any) -> Any:
    """The non-NULL values as a NumPy array, for numbers, dates and times; else None."""
    import pyarrow as pa  # noqa: PLC0415 - heavy
    import pyarrow.compute as pc  # noqa: PLC0415

    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_temporal(kind)):
        return None
    values = pc.drop_null(column) if column.null_count else column
    try:
        return values.to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def read_key_column(path: str | os.PathLike[str], fmt: DatasetFormat, name: str) -> Any:
    """One column of a Parquet or Arrow file in file order (a pyarrow array); None for other
    formats or when it cannot be read so (the exact query decides then)."""
    if fmt not in (DatasetFormat.PARQUET, DatasetFormat.ARROW):
        return None
    try:
        if fmt is DatasetFormat.PARQUET:
            import duckdb  # noqa: PLC0415 - heavy

            # A connection of its own: this read must keep the file's row order.
            with duckdb.connect() as con:
                query = f"SELECT {quote(name)} FROM read_parquet({sql_string(os.fspath(path))})"
                return con.sql(query).to_arrow_table().column(0)
        import pyarrow.dataset as pads  # noqa: PLC0415

        return pads.dataset(path, format="ipc").to_table(columns=[name]).column(0)
    except Exception:  # an odd file or column: the exact query decides instead
        return None
