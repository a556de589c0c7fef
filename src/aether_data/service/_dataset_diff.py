"""Dataset diffs of stored files: one path between two trees (its two versions copied out of
the store into the scratch folder, compared by ``aether_data.datasets.diff``), and the data
summaries a tree diff shows for its changed dataset files.

The key and tolerances come from the caller, else from ``aether.toml`` at the root of the new
tree, else the engine infers a key. The copies are removed as soon as the diff is computed
(its detail is then held by DuckDB). Computed diffs are kept for the next request that asks
for the same one (``DiffCache``); the diff's own scratch goes when it leaves the cache.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aether_data.datasets import (
    DatasetDiff,
    DatasetFormat,
    DiffSummary,
    KeyIssues,
    SchemaDiff,
    Tolerance,
    diff,
    to_jsonable,
)
from aether_data.datasets.config import CONFIG_PATH, DatasetConfig, DatasetSettings, parse_config
from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, TreeEntry
from aether_data.service._diff_cache import DiffCache, Lease
from aether_data.service.datasets import (
    DATASET_FILES,
    check_diff_format,
    dataset_format,
    stored_copies,
)
from aether_data.storage import ObjectStore
from aether_data.wire import Change
from aether_data.wire import datasets as wire
from aether_data.workspace.paths import normalize_path, split_path

__all__ = ["DatasetDiffs", "OpenDiff"]

_PIECE = 1 << 20
_BATCH = 65_536  # rows per Arrow batch of a streamed detail
_COMPARED = ("modified", "renamed")


@dataclass(frozen=True, slots=True)
class _Side:
    """One version of the file: its path in its tree, content id and format."""

    path: str
    id: ObjectId
    format: DatasetFormat


class DatasetDiffs:
    """Dataset diffs between trees of one store; copies go to ``scratch``, and DuckDB spills
    to disk past ``memory_limit``. Computed diffs are kept in ``cache`` (a new one by
    default) until ``close``."""

    def __init__(
        self,
        store: ObjectStore,
        scratch: Path,
        memory_limit: str,
        *,
        cache: DiffCache | None = None,
    ) -> None:
        self._store = store
        self._scratch = scratch
        self._memory_limit = memory_limit
        self.cache = cache if cache is not None else DiffCache()

    def close(self) -> None:
        """Drop the kept diffs."""
        self.cache.close()

    def open(
        self,
        old_tree: ObjectId | None,
        new_tree: ObjectId,
        path: str,
        *,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, wire.ToleranceSpec] | None = None,
    ) -> OpenDiff:
        """The diff of the dataset file at ``path`` from ``old_tree`` to ``new_tree`` (close
        it when done). ``DatasetsAPI.diff_dataset`` documents the errors."""
        canonical = normalize_path(path)
        fmt = dataset_format(canonical)
        old = self._side(old_tree, canonical, fmt, "old")
        new = self._side(new_tree, canonical, fmt, "new")
        return self._compare(old, new, self.config(new_tree), key=key, tolerance=tolerance)

    def config(self, tree: ObjectId | None) -> DatasetConfig:
        """The ``[datasets]`` settings of ``aether.toml`` at the root of ``tree`` (none when
        there is no such file)."""
        entry = _entry_in(self._store, tree, CONFIG_PATH)
        if entry is None or entry.kind not in DATASET_FILES:
            return DatasetConfig()
        return parse_config(self._store.read_bytes(entry.id))

    def summaries(
        self, old_tree: ObjectId | None, new_tree: ObjectId, changes: Sequence[Change]
    ) -> list[Change]:
        """``changes`` (of a tree diff from ``old_tree`` to ``new_tree``), each dataset file
        whose content changed carrying what changed in its data, or why it could not be
        compared; one bad file never fails the others."""
        config: DatasetConfig | Exception | None = None
        out = []
        for change in changes:
            sides = _compared_sides(change)
            if sides is None:
                out.append(change)
                continue
            if config is None:
                config = _or_error(lambda: self.config(new_tree))
            out.append(self._summarized(change, sides, config))
        return out

    def _summarized(
        self, change: Change, sides: tuple[_Side, _Side], config: DatasetConfig | Exception
    ) -> Change:
        try:
            if isinstance(config, Exception):
                raise config
            with self._compare(*sides, config) as opened:
                found = opened.change_summary()
        # A tree diff lists every change even when one file defeats the engine (whatever
        # DuckDB or pyarrow raise): the reason goes with that change instead.
        except Exception as exc:
            return _replace(change, dataset_error=str(exc) or type(exc).__name__)
        return _replace(change, dataset=found)

    def _side(self, tree: ObjectId | None, path: str, fmt: DatasetFormat, which: str) -> _Side:
        entry = _entry_in(self._store, tree, path)
        if entry is None:
            raise NotFound(f"no file {path!r} on the {which} side of the diff")
        if entry.kind not in DATASET_FILES:
            raise Invalid(f"{path!r} is a {entry.kind.value} on the {which} side, not a file")
        return _Side(path, entry.id, fmt)

    def _compare(
        self,
        old: _Side,
        new: _Side,
        config: DatasetConfig,
        *,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, wire.ToleranceSpec] | None = None,
    ) -> OpenDiff:
        chosen_key, source = _key(key, config.for_path(new.path))
        chosen_tolerance = _tolerance(tolerance, config.for_path(new.path))
        tolerances = tuple(sorted((c, t.abs, t.rel) for c, t in chosen_tolerance.items()))
        lease = self.cache.lease(
            (old, new, chosen_key, tolerances),
            lambda: self._computed(old, new, chosen_key, chosen_tolerance),
        )
        if source is None:
            source = lease.result.key_source
        return OpenDiff(lease, old=old, new=new, key_source=source, scratch=self._scratch)

    def _computed(
        self,
        old: _Side,
        new: _Side,
        key: tuple[str, ...] | None,
        tolerance: Mapping[str, Tolerance],
    ) -> DatasetDiff:
        copies = [(old.id, f"old.{old.format.value}"), (new.id, f"new.{new.format.value}")]
        with stored_copies(self._store, self._scratch, copies, prefix="diff-") as (a, b):
            return diff(
                a,
                b,
                key=key,
                tolerance=tolerance,
                format_before=old.format,
                format_after=new.format,
                memory_limit=self._memory_limit,
                names=(f"old {old.path}", f"new {new.path}"),
                temp_directory=self._scratch,
            )


class OpenDiff:
    """A computed dataset diff, as the wire shows it; holds a share of DuckDB's detail until
    closed."""

    def __init__(
        self, lease: Lease, *, old: _Side, new: _Side, key_source: str, scratch: Path
    ) -> None:
        self.result = lease.result
        self._release = lease.release
        self._old, self._new = old, new
        self._key_source = key_source
        self._scratch = scratch

    def change_summary(self) -> wire.DatasetChangeSummary:
        """Key, schema changes and counts, without rows."""
        result = self.result
        return wire.DatasetChangeSummary(
            key=list(result.key) if result.key else None,
            key_source=self._key_source,  # type: ignore[arg-type]
            schema=_schema(result.schema),
            summary=_summary(result.summary),
        )

    def page(self, offset: int, limit: int) -> wire.DatasetDiffResult:
        """The diff with ``limit`` changed rows from ``offset``."""
        result = self.result
        table = result.rows(offset, limit)
        total = result.summary_rows()
        shown = offset + table.num_rows
        head = self.change_summary()
        return wire.DatasetDiffResult(
            path=self._new.path,
            old_id=self._old.id,
            new_id=self._new.id,
            key=head.key,
            key_source=head.key_source,
            schema=head.schema,
            summary=head.summary,
            rows=[_row(row) for row in table.to_pylist()],
            offset=offset,
            total_rows=total,
            next_offset=shown if shown < total and table.num_rows else None,
        )

    def write(self, out: BinaryIO, format: str) -> None:
        """Every changed row to ``out`` as a ``DiffFormat``, streamed."""
        check_diff_format(format)
        if format == "arrow":
            self._write_arrow(out)
        elif format == "json":
            self._write_json_lines(out)
        else:
            self._write_file(out, format)

    def html(self) -> str:
        """The engine's HTML rendering (as a notebook shows it: the first 50 rows)."""
        return self.result.to_html()

    def _write_arrow(self, out: BinaryIO) -> None:
        import pyarrow as pa  # noqa: PLC0415 - heavy

        reader = self.result.batches(_BATCH)
        with pa.ipc.new_stream(out, reader.schema) as stream:
            for batch in reader:
                stream.write_batch(batch)

    def _write_json_lines(self, out: BinaryIO) -> None:
        for batch in self.result.batches(_BATCH):
            lines = (json.dumps(_row(row), ensure_ascii=False) + "\n" for row in batch.to_pylist())
            out.write("".join(lines).encode())

    def _write_file(self, out: BinaryIO, format: str) -> None:
        """Parquet and CSV as the engine writes them, through a file in the scratch folder."""
        self._scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._scratch, prefix="diff-out-") as folder:
            target = Path(folder) / f"detail.{format}"
            self.result.write(target, format)
            with target.open("rb") as written:
                shutil.copyfileobj(written, out, _PIECE)

    def close(self) -> None:
        """Let go of the detail (it stays kept for the next request, if it is)."""
        self._release()

    def __enter__(self) -> OpenDiff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------- helpers
def _entry_in(store: ObjectStore, tree: ObjectId | None, path: str) -> TreeEntry | None:
    entry = None
    for name in split_path(path):
        if tree is None:
            return None
        entry = store.get_tree(tree).get(name)
        tree = entry.id if entry is not None and entry.kind is EntryKind.DIR else None
    return entry


def _compared_sides(change: Change) -> tuple[_Side, _Side] | None:
    """Both versions of a change a tree diff compares as data: a dataset file (by suffix) on
    both sides whose content differs; None for any other change."""
    old, new = change.old, change.new
    if change.status not in _COMPARED or old is None or new is None or old.id == new.id:
        return None
    if EntryKind(old.kind) not in DATASET_FILES or EntryKind(new.kind) not in DATASET_FILES:
        return None
    old_path = change.old_path or change.path
    try:
        formats = dataset_format(old_path), dataset_format(change.path)
    except Invalid:
        return None
    return (
        _Side(old_path, ObjectId(old.id), formats[0]),
        _Side(change.path, ObjectId(new.id), formats[1]),
    )


def _or_error(read: Any) -> Any:
    try:
        return read()
    except Invalid as exc:
        return exc


def _replace(change: Change, **fields: Any) -> Change:
    values = {name: getattr(change, name) for name in change.__struct_fields__}
    return Change(**(values | fields))


def _key(
    given: str | Sequence[str] | None, settings: DatasetSettings
) -> tuple[tuple[str, ...] | None, str | None]:
    """The key to diff by and where it came from (None: the engine says)."""
    if given:
        return ((given,) if isinstance(given, str) else tuple(given)), "given"
    if settings.key:
        return settings.key, "config"
    return None, None


def _tolerance(
    given: Mapping[str, wire.ToleranceSpec] | None, settings: DatasetSettings
) -> Mapping[str, Tolerance]:
    if not given:
        return settings.tolerance
    return {c: Tolerance(abs=t.abs, rel=t.rel) for c, t in wire.tolerances(given).items()}


# ---------------------------------------------------------------------------- to the wire
def _schema(schema: SchemaDiff) -> wire.DatasetSchemaDiff:
    return wire.DatasetSchemaDiff(
        before=[wire.ColumnHint(name=c.name, type=c.type) for c in schema.before],
        after=[wire.ColumnHint(name=c.name, type=c.type) for c in schema.after],
        added=list(schema.added),
        dropped=list(schema.dropped),
        renamed=[wire.ColumnRename(old, new) for old, new in schema.renamed],
        type_changed=[wire.ColumnTypeChange(n, old, new) for n, old, new in schema.type_changed],
        reordered=schema.reordered,
    )


def _issues(issues: KeyIssues) -> wire.KeyIssues:
    return wire.KeyIssues(
        null_rows=issues.null_rows,
        duplicate_keys=issues.duplicate_keys,
        duplicate_rows=issues.duplicate_rows,
        other_side_rows=issues.other_side_rows,
        examples=[[to_jsonable(v) for v in example] for example in issues.examples],
    )


def _summary(summary: DiffSummary) -> wire.DatasetDiffSummary:
    return wire.DatasetDiffSummary(
        rows_before=summary.rows_before,
        rows_after=summary.rows_after,
        added=summary.added,
        removed=summary.removed,
        changed=summary.changed,
        unchanged=summary.unchanged,
        changed_cells=dict(summary.changed_cells),
        keys_before=_issues(summary.keys_before),
        keys_after=_issues(summary.keys_after),
        skipped_row_groups=summary.skipped_row_groups,
    )


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: to_jsonable(value) for name, value in row.items()}
