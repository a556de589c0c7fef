"""Store a local folder as a tree: files in parallel, trees bottom-up, one durability barrier."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import CHUNKING_THRESHOLD, EntryKind, Tree, TreeEntry, validate_name
from aether_data.storage.base import ObjectStore

__all__ = ["ingest_directory"]

Progress = Callable[[int], None]

# Small files travel to the workers in batches: one hand-off per batch, not per file.
_BATCH_FILES = 64
_BATCH_BYTES = 8 << 20


@dataclass
class _File:
    path: str
    size: int
    kind: EntryKind
    id: ObjectId | None = None


@dataclass
class _Dir:
    entries: dict[str, _File | _Dir] = field(default_factory=dict)


def ingest_directory(
    store: ObjectStore,
    root: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ObjectId:
    """Store every file, link and folder under ``root``; return the root tree's id.

    Symbolic links are stored as links (their target text), never followed. Names that are not
    safe tree names, and special files (sockets, FIFOs, devices), raise ``Invalid`` naming the
    path before anything is stored. Everything is durable when this returns.
    """
    base = Path(root)
    if not base.is_dir():
        raise NotFound(f"not a folder: {base}")
    files: list[_File] = []
    top = _scan(os.fspath(base), files)
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        for result in [pool.submit(_store_batch, store, b, progress) for b in _batches(files)]:
            result.result()
    tree_id = _build(store, top)
    store.flush()
    return tree_id


def _scan(folder: str, files: list[_File]) -> _Dir:
    node = _Dir()
    with os.scandir(folder) as entries:
        for entry in entries:
            name = _safe_name(entry)
            node.entries[name] = _classify(entry, files)
    return node


def _classify(entry: os.DirEntry[str], files: list[_File]) -> _File | _Dir:
    st = entry.stat(follow_symlinks=False)
    if stat.S_ISDIR(st.st_mode):
        return _scan(entry.path, files)
    if stat.S_ISLNK(st.st_mode):
        return _File(entry.path, st.st_size, EntryKind.LINK)
    if not stat.S_ISREG(st.st_mode):
        raise Invalid(f"cannot store special file (socket, FIFO or device): {entry.path}")
    item = _File(entry.path, st.st_size, EntryKind.EXEC if st.st_mode & 0o111 else EntryKind.FILE)
    files.append(item)
    return item


def _safe_name(entry: os.DirEntry[str]) -> str:
    try:
        return validate_name(os.fsencode(entry.name))
    except Invalid as exc:
        raise Invalid(f"{exc} (at {entry.path!r})") from exc


def _batches(files: list[_File]) -> list[list[_File]]:
    """Large files alone and first (they take longest), then small files in batches."""
    ordered = sorted(files, key=lambda f: f.size, reverse=True)
    batches: list[list[_File]] = []
    current: list[_File] = []
    current_bytes = 0
    for item in ordered:
        if item.size > CHUNKING_THRESHOLD:
            batches.append([item])
            continue
        current.append(item)
        current_bytes += item.size
        if len(current) >= _BATCH_FILES or current_bytes >= _BATCH_BYTES:
            batches.append(current)
            current, current_bytes = [], 0
    return [*batches, current] if current else batches


def _store_batch(store: ObjectStore, batch: list[_File], progress: Progress | None) -> None:
    for item in batch:
        info = store.put_path(item.path, sync=False)
        item.id, item.size = info.id, info.size
        if progress is not None:
            progress(info.size)


def _build(store: ObjectStore, node: _Dir) -> ObjectId:
    entries = []
    for name, item in node.entries.items():
        if isinstance(item, _Dir):
            entries.append(TreeEntry(name, EntryKind.DIR, _build(store, item)))
        elif item.kind is EntryKind.LINK:
            target = os.fsencode(os.readlink(item.path))
            entries.append(
                TreeEntry(name, item.kind, store.put_bytes(target, sync=False), len(target))
            )
        else:
            assert item.id is not None  # every regular file went through _store_batch
            entries.append(TreeEntry(name, item.kind, item.id, item.size))
    return store.put_tree(Tree(entries), sync=False)
