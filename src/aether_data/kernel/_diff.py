"""``%aether diff A B``: the dataset files that differ between two versions of the kernel's
session, compared by the local engine (``aether_data.datasets.diff``) on cached copies.

A side is ``current`` (the session's tree now), a checkpoint name of the session,
``session:ID`` (another session's tree now) or ``source:NAME[@REF]``, as
``WorkspaceAPI.diff`` names them. The content id of each file on a side comes from the
manifest (``current``, ``session:ID``) or from ``WorkspaceAPI.diff`` against it; the bytes
from the cache, else from the session that holds them (a checkpoint's: the session, read
``at`` it). A source holds no session to read from: when one of its files is not in the cache
yet, a session is made from it to read the file and retired at the end (tagged
``aether-kernel-scratch``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from aether_data.datasets import DatasetFormat, detect_format
from aether_data.datasets import diff as diff_datasets
from aether_data.datasets.config import CONFIG_PATH, DatasetConfig, parse_config
from aether_data.errors import Invalid
from aether_data.kernel._binding import AetherSession, manifest_items
from aether_data.kernel._cache import DatasetCache

__all__ = ["CURRENT", "Side", "render_diff"]

CURRENT = "current"
SCRATCH_TAG = "aether-kernel-scratch"


class Side:
    """One version of the session's files: ``ids`` maps each file path to its content id."""

    def __init__(self, session: AetherSession, spec: str, prefix: str = "") -> None:
        self.session = session
        self.spec = spec
        self._reader: str | None = None
        self._at: str | None = None
        self._scratch: str | None = None
        if spec in (CURRENT, f"session:{session.id}"):
            self._reader = session.id
            self.ids = _file_ids(session, session.id, prefix)
        elif spec.startswith("session:"):
            self._reader = spec.removeprefix("session:")
            self.ids = _file_ids(session, self._reader, prefix)
        else:
            if not spec.startswith("source:"):  # a checkpoint of the session
                self._reader, self._at = session.id, spec
            self.ids = self._ids_against(prefix)

    def _ids_against(self, prefix: str) -> dict[str, str]:
        ids = _file_ids(self.session, self.session.id, prefix)
        for change in self.session.api.diff(self.session.id, against=self.spec, prefix=prefix):
            ids.pop(change.path, None)
            old = change.old
            if old is not None and old.kind in ("file", "exec"):
                ids[change.old_path or change.path] = old.id
        return ids

    def fetch(self, path: str, out: BinaryIO) -> None:
        """Write the bytes of ``path`` on this side to ``out``."""
        self.session.api.download(self._reading_session(), path, out, at=self._at)

    def read(self, path: str) -> bytes:
        """The bytes of the (small) file ``path`` on this side."""
        return self.session.api.read(self._reading_session(), path, at=self._at)

    def _reading_session(self) -> str:
        if self._reader is None:
            self._scratch = self._reader = self._make_scratch()
        return self._reader

    def _make_scratch(self) -> str:
        name, _, ref = self.spec.removeprefix("source:").partition("@")
        made = self.session.api.create_session(source=name, ref=ref or None, tags=[SCRATCH_TAG])
        return made.id

    def close(self) -> None:
        """Retire the scratch session, if one was made."""
        if self._scratch is not None:
            self.session.api.retire(self._scratch)
            self._scratch = None


def _file_ids(session: AetherSession, session_id: str, prefix: str) -> dict[str, str]:
    items = manifest_items(session.api, session_id, prefix)
    return {i.path: i.id for i in items if i.kind in ("file", "exec")}


def render_diff(
    session: AetherSession,
    cache: DatasetCache,
    old: str,
    new: str,
    paths: Sequence[str] = (),
    *,
    memory_limit: str = "2GB",
) -> str:
    """HTML of the dataset diffs between ``old`` and ``new`` of ``paths`` (every dataset
    file that differs when empty)."""
    for path in paths:
        if detect_format(path) is None:
            raise Invalid(f"{path} is not a dataset: use .parquet, .csv, .tsv, .arrow or .jsonl")
    with ExitStack() as stack:
        before = Side(session, old)
        stack.callback(before.close)
        after = Side(session, new)
        stack.callback(after.close)
        chosen = list(paths) or _changed_datasets(before, after)
        if not chosen:
            return f"<p>No dataset file differs between {_code(old)} and {_code(new)}.</p>"
        config = _config(after)
        parts = [
            _one(cache, before, after, path, config=config, memory_limit=memory_limit)
            for path in chosen
        ]
        return "\n".join(parts)


def _changed_datasets(before: Side, after: Side) -> list[str]:
    paths = set(before.ids) | set(after.ids)
    return sorted(p for p in paths if detect_format(p) and before.ids.get(p) != after.ids.get(p))


def _config(side: Side) -> DatasetConfig:
    if CONFIG_PATH not in side.ids:
        return parse_config("")
    return parse_config(side.read(CONFIG_PATH))


def _one(
    cache: DatasetCache,
    before: Side,
    after: Side,
    path: str,
    *,
    config: DatasetConfig,
    memory_limit: str,
) -> str:
    old, new = before.spec, after.spec
    heading = f"<h4>{_code(path)}: {_code(old)} &rarr; {_code(new)}</h4>"
    old_id, new_id = before.ids.get(path), after.ids.get(path)
    if old_id is None or new_id is None:
        where, side = (old, "old") if old_id is None else (new, "new")
        return f"{heading}<p>Not on the {side} side ({_code(where)}).</p>"
    if old_id == new_id:
        return f"{heading}<p>Unchanged.</p>"
    fmt = detect_format(path)
    assert fmt is not None
    old_copy = _copy(cache, before, path, old_id, fmt)
    new_copy = _copy(cache, after, path, new_id, fmt)
    settings = config.for_path(path)
    with diff_datasets(
        old_copy,
        new_copy,
        key=settings.key,
        tolerance=dict(settings.tolerance) or None,
        memory_limit=memory_limit,
        names=(f"{old}:{path}", f"{new}:{path}"),
    ) as result:
        return heading + result.to_html()


def _copy(cache: DatasetCache, side: Side, path: str, content_id: str, fmt: DatasetFormat) -> Path:
    return cache.get(content_id, fmt, lambda out: side.fetch(path, out))


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"
