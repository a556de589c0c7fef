"""Profiles of session files that are datasets, kept in the catalog by content hash, and the
embedded ``DatasetsAPI`` over them and over dataset diffs (the HTTP service answers through it
too).

A file's id is the SHA-256 of its bytes, so its profile never goes stale: it is computed once,
from a copy of the file streamed out of the store into the scratch folder, and then read from
the catalog by every session, path and replica holding the same bytes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from aether_data.catalog import Catalog
from aether_data.datasets import (
    DatasetFormat,
    DatasetProfile,
    detect_format,
    inspect,
    is_dataset_path,
)
from aether_data.errors import Invalid
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind
from aether_data.storage import ObjectStore
from aether_data.wire import ManifestItem
from aether_data.wire import datasets as wire
from aether_data.workspace.paths import normalize_path

if TYPE_CHECKING:
    from aether_data.service import Services
    from aether_data.service._dataset_diff import OpenDiff

__all__ = [
    "DATASET_FILES",
    "DatasetProfiler",
    "EmbeddedDatasets",
    "check_diff_format",
    "dataset_format",
    "is_dataset_path",
    "stored_copies",
    "with_dataset_hints",
]

DATASET_FILES = frozenset({EntryKind.FILE, EntryKind.EXEC})
"""The kinds of entry a dataset can be (never a folder or a link)."""
_MAX_ROWS = 10_000  # changed rows one page of a dataset diff may hold


@contextmanager
def stored_copies(
    store: ObjectStore, scratch: Path, files: Sequence[tuple[ObjectId, str]], *, prefix: str
) -> Iterator[list[Path]]:
    """Copies of stored files, ``(content id, file name)`` each, streamed out of the store
    into a new folder of ``scratch``, side by side (reading verifies and decompresses, which
    leaves the GIL); the folder is removed when the block ends."""
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=prefix) as folder:
        targets = [(content_id, Path(folder) / name) for content_id, name in files]
        if len(targets) == 1:
            _copy_out(store, *targets[0])
        else:
            with ThreadPoolExecutor(len(targets)) as pool:
                list(pool.map(lambda target: _copy_out(store, *target), targets))
        yield [copy for _, copy in targets]


def _copy_out(store: ObjectStore, content_id: ObjectId, copy: Path) -> None:
    with copy.open("wb") as out:
        for piece in store.iter_bytes(content_id):
            out.write(piece)


class DatasetProfiler:
    """Profiles of stored files by content id: from the catalog when kept, else computed
    from a temporary copy (in ``scratch``) and kept."""

    def __init__(self, store: ObjectStore, catalog: Catalog, scratch: Path) -> None:
        self._store = store
        self._catalog = catalog
        self._scratch = scratch

    def profile(self, content_id: ObjectId, fmt: DatasetFormat, *, name: str) -> DatasetProfile:
        """The profile of the stored file ``content_id`` read as ``fmt``.

        Raises:
            Invalid: the file cannot be read as ``fmt`` (the message calls it ``name``).
        """
        kept = self._kept(content_id, fmt)
        if kept is not None:
            return kept
        found = self._compute(content_id, fmt, name)
        self._catalog.put_dataset_profile(content_id, found.to_dict())
        return found

    def _kept(self, content_id: ObjectId, fmt: DatasetFormat) -> DatasetProfile | None:
        data = self._catalog.get_dataset_profile(content_id)
        if data is None:
            return None
        try:
            kept = DatasetProfile.from_dict(data)
        except Invalid:
            return None  # an older version of profiles: compute it again
        # The same bytes under a suffix of another format read differently.
        return kept if kept.format is fmt else None

    def _compute(self, content_id: ObjectId, fmt: DatasetFormat, name: str) -> DatasetProfile:
        files = [(content_id, f"data.{fmt.value}")]
        with stored_copies(self._store, self._scratch, files, prefix="inspect-") as (copy,):
            return inspect(copy, fmt, name=name)


def dataset_format(path: str) -> DatasetFormat:
    """The format ``path``'s suffix names; ``Invalid`` for a path that is no dataset."""
    fmt = detect_format(path)
    if fmt is None:
        raise Invalid(
            f"{path!r} is not a dataset: use .parquet, .csv, .tsv, .arrow, .feather or .jsonl"
        )
    return fmt


def profile_of(profile: DatasetProfile, *, path: str, content_id: str) -> wire.DatasetProfile:
    """A profile as the wire shows it, for the file at ``path``."""
    columns = [
        wire.ColumnProfile(
            name=c.name,
            type=c.type,
            null_count=c.null_count,
            distinct_count=c.distinct_count,
            min=c.min,
            max=c.max,
        )
        for c in profile.columns
    ]
    dialect = profile.dialect
    return wire.DatasetProfile(
        path=path,
        id=content_id,
        format=profile.format.value,
        size=profile.size,
        row_count=profile.row_count,
        columns=columns,
        preview=[list(row) for row in profile.preview],
        dialect=None
        if dialect is None
        else wire.CsvDialect(
            delimiter=dialect.delimiter,
            quote=dialect.quote,
            escape=dialect.escape,
            header=dialect.header,
        ),
    )


def hint_of(profile: DatasetProfile) -> wire.DatasetHint:
    """The schema hint the manifest shows for a dataset file."""
    return wire.DatasetHint(
        format=profile.format.value,
        row_count=profile.row_count,
        columns=[wire.ColumnHint(name=c.name, type=c.type) for c in profile.columns],
    )


def with_dataset_hints(
    profiles: DatasetProfiler, items: Sequence[ManifestItem]
) -> list[ManifestItem]:
    """The manifest items, each dataset file's carrying its schema hint; a file that cannot
    be read as its format gets none (inspecting it says why)."""
    return [_hinted(profiles, item) for item in items]


def _hinted(profiles: DatasetProfiler, item: ManifestItem) -> ManifestItem:
    fmt = detect_format(item.path)
    if fmt is None or EntryKind(item.kind) not in DATASET_FILES:
        return item
    try:
        found = profiles.profile(ObjectId(item.id), fmt, name=item.path)
    except Invalid:
        return item
    return ManifestItem(
        path=item.path, kind=item.kind, size=item.size, id=item.id, dataset=hint_of(found)
    )


class EmbeddedDatasets:
    """``DatasetsAPI`` over the process's stores, for one tenant."""

    def __init__(self, services: Services, tenant: str) -> None:
        self._services = services
        self.tenant = tenant

    def inspect_dataset(self, session_id: str, path: str) -> wire.DatasetProfile:
        services = self._services
        record = services.workspace(self.tenant).owned_session(session_id)
        canonical = normalize_path(path)
        entry = services.sessions.stat(record, canonical)
        if entry.kind not in DATASET_FILES:
            raise Invalid(f"{canonical!r} is a {entry.kind.value}, not a dataset file")
        fmt = dataset_format(canonical)
        found = services.datasets.profile(entry.id, fmt, name=canonical)
        return profile_of(found, path=canonical, content_id=entry.id)

    def diff_dataset(
        self,
        session_id: str,
        path: str,
        *,
        against: str | None = None,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, wire.ToleranceSpec] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> wire.DatasetDiffResult:
        if not (0 <= limit <= _MAX_ROWS and offset >= 0):
            raise Invalid(f"limit must be between 0 and {_MAX_ROWS}, offset not negative")
        opened = self.open_dataset_diff(
            session_id, path, against=against, key=key, tolerance=tolerance
        )
        with opened:
            return opened.page(offset, limit)

    def download_dataset_diff(
        self,
        session_id: str,
        path: str,
        out: BinaryIO,
        *,
        against: str | None = None,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, wire.ToleranceSpec] | None = None,
        format: wire.DiffFormat = "arrow",
    ) -> None:
        check_diff_format(format)
        opened = self.open_dataset_diff(
            session_id, path, against=against, key=key, tolerance=tolerance
        )
        with opened:
            opened.write(out, format)

    def open_dataset_diff(
        self,
        session_id: str,
        path: str,
        *,
        against: str | None = None,
        key: str | Sequence[str] | None = None,
        tolerance: Mapping[str, wire.ToleranceSpec] | None = None,
    ) -> OpenDiff:
        """The diff ``diff_dataset`` pages, open until closed (a context manager closes it).
        Not part of ``DatasetsAPI``: the HTTP service computes a diff before it starts to
        stream it, so that errors are answered as problems, not as a broken stream."""
        services = self._services
        old, new = services.workspace(self.tenant).compared_trees(session_id, against=against)
        return services.dataset_diffs.open(old, new, path, key=key, tolerance=tolerance)


def check_diff_format(format: str) -> None:
    """``Invalid`` unless ``format`` is a ``DiffFormat``."""
    if format not in wire.DIFF_FORMATS:
        raise Invalid(f"a dataset diff is written as arrow, parquet, csv or json, not {format!r}")
