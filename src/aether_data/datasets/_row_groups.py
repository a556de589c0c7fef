"""Skipping Parquet row groups that are the same bytes on both sides.

Two row groups whose column chunks are byte for byte equal (under one schema) hold the same
rows, so a diff can leave both out without decoding them: a change confined to a few row
groups costs time in proportion to those. Row groups are paired by row count and chunk sizes,
then confirmed by comparing their bytes; each row group pairs at most once.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

__all__ = ["RowGroupPlan", "plan_row_groups", "register_row_groups"]


@dataclass(frozen=True, slots=True)
class RowGroupPlan:
    """Which row groups of each side to read; the rest are equal pairs (``skipped`` of them,
    holding ``skipped_rows`` rows on each side)."""

    keep_before: tuple[int, ...]
    keep_after: tuple[int, ...]
    skipped: int
    skipped_rows: int


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
    """Reads byte ranges of a file into one reused buffer (``pread``: no page-faulting
    memory map, no new allocation per range); compare a result before the next read."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._buffer = bytearray(1 << 20)

    def __call__(self, start: int, size: int) -> memoryview:
        if size > len(self._buffer):
            self._buffer = bytearray(size)
        got = os.preadv(self._fd, [memoryview(self._buffer)[:size]], start)
        return memoryview(self._buffer)[:got]

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
