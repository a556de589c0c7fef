"""Profiles of session files that are datasets, kept in the catalog by content hash, and the
embedded ``DatasetsAPI`` over them (the HTTP service answers through it too).

A file's id is the SHA-256 of its bytes, so its profile never goes stale: it is computed once,
from a copy of the file streamed out of the store into the scratch folder, and then read from
the catalog by every session, path and replica holding the same bytes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aether_data.catalog import Catalog
from aether_data.datasets import DatasetFormat, DatasetProfile, detect_format, inspect
from aether_data.errors import Invalid
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind
from aether_data.storage import ObjectStore
from aether_data.wire import ManifestItem
from aether_data.wire import datasets as wire
from aether_data.workspace.paths import normalize_path

if TYPE_CHECKING:
    from aether_data.service import Services

__all__ = ["DatasetProfiler", "EmbeddedDatasets", "with_dataset_hints"]

_DATASET_FILES = {EntryKind.FILE, EntryKind.EXEC}


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
        self._scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._scratch, prefix="inspect-") as folder:
            copy = Path(folder) / f"data.{fmt.value}"
            with copy.open("wb") as out:
                for piece in self._store.iter_bytes(content_id):
                    out.write(piece)
            return inspect(copy, fmt, name=name)


def _dataset_format(path: str) -> DatasetFormat:
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
    if fmt is None or EntryKind(item.kind) not in _DATASET_FILES:
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
        if entry.kind not in _DATASET_FILES:
            raise Invalid(f"{canonical!r} is a {entry.kind.value}, not a dataset file")
        fmt = _dataset_format(canonical)
        found = services.datasets.profile(entry.id, fmt, name=canonical)
        return profile_of(found, path=canonical, content_id=entry.id)
