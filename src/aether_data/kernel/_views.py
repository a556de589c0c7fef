"""One DuckDB view per dataset file of a session, named from its path.

A file's view is its file name without the suffix (``data/orders.parquet`` -> ``orders``),
made a SQL-friendly identifier (other characters become ``_``; a leading digit gets a ``_``
in front). When several dataset files would share a name (``a/orders.csv`` and
``b/orders.parquet``), each of them is named from its whole path without the suffix
(``a_orders``, ``b_orders``), and if that still clashes, with the suffix too
(``data_orders_csv``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from aether_data.datasets import DatasetFormat, detect_format, register
from aether_data.datasets.formats import quote
from aether_data.errors import AetherError
from aether_data.wire import ManifestItem

__all__ = ["DatasetView", "Views", "view_names"]


@dataclass(frozen=True, slots=True)
class DatasetView:
    """A view of the dataset file ``path`` (content ``id``), read from ``local``."""

    name: str
    path: str
    id: str
    format: DatasetFormat
    local: Path


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return "_" + name if not name or name[0].isdigit() else name


def view_names(paths: Iterable[str]) -> dict[str, str]:
    """The view name of each dataset path (see the module's docstring)."""
    paths = sorted(paths)
    choices = [
        lambda p: _identifier(PurePosixPath(p).stem),
        lambda p: _identifier(str(PurePosixPath(p).with_suffix(""))),
        _identifier,
    ]
    names: dict[str, str] = {}
    left = paths
    for choose in choices:
        counts = Counter(choose(p) for p in left)
        names |= {p: choose(p) for p in left if counts[choose(p)] == 1}
        left = [p for p in left if p not in names]
    # Only paths differing in case or punctuation are left: number them.
    for index, path in enumerate(left, 1):
        names[path] = f"{_identifier(path)}_{index}"
    return names


class Views:
    """The dataset views of one session on one DuckDB connection."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.views: dict[str, DatasetView] = {}
        self.errors: dict[str, str] = {}

    def sync(
        self, items: Iterable[ManifestItem], local: Callable[[str, str, DatasetFormat], Path]
    ) -> None:
        """Make the views those of the dataset files among ``items``; ``local(path, id,
        format)`` gives a file's local copy. A file that cannot be read gets no view; its
        reason is kept in ``errors``."""
        files = {i.path: i for i in items if i.kind in ("file", "exec") and detect_format(i.path)}
        names = view_names(files)
        wanted: dict[str, DatasetView] = {}
        self.errors = {}
        for path, name in names.items():
            item, fmt = files[path], detect_format(path)
            assert fmt is not None
            try:
                wanted[name] = self._view(name, item, fmt, local)
            except AetherError as exc:
                self.errors[path] = str(exc)
                self._drop(name)
        for name in set(self.views) - set(wanted):
            self._drop(name)
        self.views = wanted

    def _view(
        self,
        name: str,
        item: ManifestItem,
        fmt: DatasetFormat,
        local: Callable[[str, str, DatasetFormat], Path],
    ) -> DatasetView:
        current = self.views.get(name)
        if current is not None and current.id == item.id and current.path == item.path:
            return current
        copy = local(item.path, item.id, fmt)
        register(self.con, name, copy, fmt, name=item.path)
        return DatasetView(name, item.path, item.id, fmt, copy)

    def _drop(self, name: str) -> None:
        self.con.execute(f"DROP VIEW IF EXISTS {quote(name)}")
