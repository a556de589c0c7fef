"""Skipping Parquet row groups that are the same bytes on both sides.

Two row groups whose column chunks are byte for byte equal (under one schema) hold the same
rows, so a diff can leave both out without decoding them: a change confined to a few row
groups costs time in proportion to those. Row groups are paired by row count and chunk sizes,
then confirmed by comparing their bytes; each row group pairs at most once.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RowGroupPlan", "plan_row_groups", "read_groups", "register_row_groups"]


@dataclass(frozen=True, slots=True)
class RowGroupPlan:
    """Which row groups of each side to read; the rest are equal pairs (``skipped`` of them,
    holding ``skipped_rows`` rows on each side)."""

    keep_before: tuple[int, ...]
    keep_after: tuple[int, ...]
    skipped: int
    skipped_rows: int
    pairs: dict[int, int] = field(default_factory=dict)  # before's group -> after's equal one
    rows_before: tuple[int, ...] = ()  # rows of each row group of before
    rows_after: tuple[int, ...] = ()

    def after_column(self, before: Any, read_after: Any) -> Any:
        """After's column in file order, from before's (``before``, a pyarrow array) for the
        equal row groups and ``read_after(groups)`` for the rest: equal groups hold equal
        values, so they are not read twice."""
        import pyarrow as pa  # noqa: PLC0415 - heavy

        if isinstance(before, pa.ChunkedArray):
            before = before.combine_chunks()  # pieces must be Arrays (slices are views)
        starts = [sum(self.rows_before[:i]) for i in range(len(self.rows_before))]
        equal_to = {j: i for i, j in self.pairs.items()}
        kept = read_after(self.keep_after)
        pieces, offset = [], 0
        for j, rows in enumerate(self.rows_after):
            if j in equal_to:
                pieces.append(before.slice(starts[equal_to[j]], rows))
            else:
                pieces.append(kept.slice(offset, rows))
                offset += rows
        return pa.chunked_array(pieces, type=before.type)


Span = tuple[tuple[int, int], ...]  # (offset, length) of each column chunk


def _spans(metadata: Any) -> list[tuple[int, Span]]:
    groups = []
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        chunks = []
        for j in range(group.num_columns):
            column = group.column(j)
            start = column.data_page_offset
            if column.has_dictionary_page and column.dictionary_page_offset:
                start = min(start, column.dictionary_page_offset)
            chunks.append((start, column.total_compressed_size))
        groups.append((group.num_rows, tuple(chunks)))
    return groups


def plan_row_groups(
    before: str | os.PathLike[str], after: str | os.PathLike[str]
) -> RowGroupPlan | None:
    """The row groups to read of two Parquet files, or None when none can be skipped (other
    schemas, or no equal row groups)."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy

    first, second = pq.ParquetFile(before), pq.ParquetFile(after)
    if not first.schema_arrow.equals(second.schema_arrow, check_metadata=False):
        return None
    spans_a, spans_b = _spans(first.metadata), _spans(second.metadata)
    with _Reader(before) as read_a, _Reader(after) as read_b:
        pairs = _pair(spans_a, spans_b, read_a, read_b)
    if not pairs:
        return None
    matched = set(pairs.values())
    return RowGroupPlan(
        keep_before=tuple(i for i in range(len(spans_a)) if i not in pairs),
        keep_after=tuple(j for j in range(len(spans_b)) if j not in matched),
        skipped=len(pairs),
        skipped_rows=sum(spans_a[i][0] for i in pairs),
        pairs=pairs,
        rows_before=tuple(rows for rows, _ in spans_a),
        rows_after=tuple(rows for rows, _ in spans_b),
    )


def _pair(spans_a, spans_b, read_a, read_b) -> dict[int, int]:
    by_shape: dict[Any, list[int]] = defaultdict(list)
    for j, (rows, chunks) in enumerate(spans_b):
        by_shape[(rows, tuple(size for _, size in chunks))].append(j)
    pairs: dict[int, int] = {}
    for i, (rows, chunks) in enumerate(spans_a):
        candidates = by_shape.get((rows, tuple(size for _, size in chunks)), [])
        for j in candidates:
            if _same_bytes(chunks, spans_b[j][1], read_a, read_b):
                pairs[i] = j
                candidates.remove(j)
                break
    return pairs


def _same_bytes(chunks_a: Span, chunks_b: Span, read_a, read_b) -> bool:
    for (start_a, size), (start_b, _) in zip(chunks_a, chunks_b, strict=True):
        if read_a(start_a, size) != read_b(start_b, size):
            return False
    return True


class _Reader:
    """Reads byte ranges of a file with ``pread``: plain ``bytes`` compare with ``memcmp``
    (several times faster than comparing memoryviews), and no memory map to page-fault."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._fd = os.open(path, os.O_RDONLY)

    def __call__(self, start: int, size: int) -> bytes:
        return os.pread(self._fd, size, start)

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)


def register_row_groups(
    con: Any, name: str, path: str | os.PathLike[str], groups: tuple[int, ...]
) -> None:
    """Make ``name`` scan only row groups ``groups`` of the Parquet file at ``path``."""
    import pyarrow.dataset as pads  # noqa: PLC0415 - heavy

    dataset = pads.dataset(os.fspath(path), format="parquet")
    (fragment,) = dataset.get_fragments()
    subset = fragment.subset(row_group_ids=list(groups))
    con.register(
        name, pads.FileSystemDataset([subset], dataset.schema, dataset.format, dataset.filesystem)
    )


def read_groups(path: str | os.PathLike[str], column: str, groups: tuple[int, ...]) -> Any:
    """One column of some row groups of a Parquet file, in order (a pyarrow array)."""
    import pyarrow as pa  # noqa: PLC0415 - heavy
    import pyarrow.parquet as pq  # noqa: PLC0415

    file = pq.ParquetFile(path)
    if not groups:
        return pa.array([], type=file.schema_arrow.field(column).type)
    return file.read_row_groups(list(groups), columns=[column]).column(0).combine_chunks()
