"""A local folder of dataset files keyed by content hash: a file is downloaded once per
content, whatever session or path holds it, and a repeat costs nothing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from aether_data.datasets import DatasetFormat
from aether_data.errors import Conflict

__all__ = ["DatasetCache"]

_SUFFIX = {
    DatasetFormat.PARQUET: ".parquet",
    DatasetFormat.CSV: ".csv",
    DatasetFormat.ARROW: ".arrow",
    DatasetFormat.JSONL: ".jsonl",
}


class DatasetCache:
    """Files named ``<content id><suffix of its format>`` in ``folder``; ``downloads`` counts
    the files fetched by this object (a hit fetches nothing)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.downloads = 0

    def path(self, content_id: str, fmt: DatasetFormat) -> Path:
        """Where the content ``content_id`` read as ``fmt`` is (or would be) kept."""
        return self.folder / f"{content_id}{_SUFFIX[fmt]}"

    def get(self, content_id: str, fmt: DatasetFormat, fetch: Callable[[BinaryIO], object]) -> Path:
        """The kept copy of ``content_id``; when missing, ``fetch(out)`` writes the bytes,
        which are checked against the id before they are kept."""
        target = self.path(content_id, fmt)
        if target.is_file():
            return target
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed into place below
            dir=self.folder, prefix=".fetch-", delete=False
        )
        try:
            with handle:
                fetch(handle)
                handle.flush()
                os.fsync(handle.fileno())
            _check(Path(handle.name), content_id)
            os.replace(handle.name, target)
        finally:
            Path(handle.name).unlink(missing_ok=True)
        self.downloads += 1
        return target


def _check(path: Path, content_id: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != content_id:
        raise Conflict(
            f"the file changed while it was downloaded (expected {content_id[:12]}, got "
            f"{digest.hexdigest()[:12]}): run %aether refresh"
        )
