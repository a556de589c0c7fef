"""What a Parquet file's footer already knows about its columns: the row count, and per flat
column the null count and the min and max, when every row group recorded them. Reading the
footer costs one small read; whatever it lacks, a scan computes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FooterColumn", "FooterFacts", "footer_facts"]


@dataclass(frozen=True, slots=True)
class FooterColumn:
    """One flat column's statistics; None where some row group did not record them."""

    null_count: int | None = None
    min_max: tuple[Any, Any] | None = None


@dataclass(frozen=True, slots=True)
class FooterFacts:
    """The row count and, by column name, what the footer says of each flat column."""

    row_count: int
    columns: dict[str, FooterColumn] = field(default_factory=dict)


def footer_facts(path: str) -> FooterFacts:
    """The facts of the footer of the Parquet file at ``path`` (pyarrow errors propagate)."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy

    with pq.ParquetFile(path) as parquet:
        metadata = parquet.metadata
        schema = parquet.schema_arrow
    columns: dict[str, FooterColumn] = {}
    leaf = 0
    for arrow_field in schema:
        if _leaves(arrow_field.type) == 1 and not _nested(arrow_field.type):
            columns[arrow_field.name] = _column(metadata, leaf, _exact_bounds(arrow_field.type))
        leaf += _leaves(arrow_field.type)
    return FooterFacts(metadata.num_rows, columns)


def _column(metadata: Any, leaf: int, trust_bounds: bool) -> FooterColumn:
    groups = [metadata.row_group(g) for g in range(metadata.num_row_groups)]
    stats = [group.column(leaf).statistics for group in groups]
    if any(s is None for s in stats):
        return FooterColumn()
    counted = all(s.has_null_count for s in stats)
    nulls = sum(s.null_count for s in stats) if counted else None
    bounded = [s for s in stats if s.has_min_max]
    # A row group of values without bounds leaves the column's bounds unknown; one of NULLs
    # only has none to give.
    all_bounded = counted and all(
        s.has_min_max or s.null_count == g.num_rows for s, g in zip(stats, groups, strict=True)
    )
    if not (trust_bounds and all_bounded):
        return FooterColumn(nulls)
    if not bounded:
        return FooterColumn(nulls, (None, None))  # every value is NULL
    return FooterColumn(nulls, (min(s.min for s in bounded), max(s.max for s in bounded)))


def _exact_bounds(arrow_type: Any) -> bool:
    """Whether footer bounds of this type are exact and compare as DuckDB compares: not for
    text and bytes (writers may cut them short), nor for types whose statistics pyarrow
    returns in another shape than DuckDB's values (time zones, nanoseconds, decimals)."""
    import pyarrow as pa  # noqa: PLC0415 - heavy

    types = pa.types
    if types.is_timestamp(arrow_type):
        return arrow_type.tz is None and arrow_type.unit in ("s", "ms", "us")
    return (
        types.is_integer(arrow_type)
        or types.is_float32(arrow_type)
        or types.is_float64(arrow_type)
        or types.is_boolean(arrow_type)
        or types.is_date32(arrow_type)
    )


def _nested(arrow_type: Any) -> bool:
    import pyarrow as pa  # noqa: PLC0415 - heavy

    return pa.types.is_nested(arrow_type)


def _leaves(arrow_type: Any) -> int:
    """How many Parquet leaf columns a field of this Arrow type takes."""
    import pyarrow as pa  # noqa: PLC0415 - heavy

    types = pa.types
    if types.is_struct(arrow_type):
        return sum(_leaves(arrow_type.field(i).type) for i in range(arrow_type.num_fields))
    if types.is_map(arrow_type):
        return _leaves(arrow_type.key_type) + _leaves(arrow_type.item_type)
    if types.is_list(arrow_type) or types.is_large_list(arrow_type):
        return _leaves(arrow_type.value_type)
    if types.is_fixed_size_list(arrow_type) or types.is_list_view(arrow_type):
        return _leaves(arrow_type.value_type)
    if types.is_dictionary(arrow_type):
        return _leaves(arrow_type.value_type)
    return 1
