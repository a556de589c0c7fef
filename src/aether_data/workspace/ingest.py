"""Store a local folder as a tree: files in parallel, trees bottom-up, one durability barrier."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import CHUNKING_THRESHOLD, EntryKind, Tree, TreeEntry, validate_name
from aether_data.storage.base import ObjectStore

__all__ = ["ingest_directory"]

Progress = Callable[[int], None]
_Pending = dict[str, "tuple[EntryKind, Future[tuple[ObjectId, int]] | _Dir]"]


class _Dir:
    """A folder whose files are still being stored."""

    def __init__(self) -> None:
        self.children: _Pending = {}


def ingest_directory(
    store: ObjectStore,
    root: str | os.PathLike[str],
    *,
    workers: int = 4,
    progress: Progress | None = None,
) -> ObjectId:
    """Store every file, link and folder under ``root``; return the root tree's id.

    Symbolic links are stored as links (their target text), never followed. Names that are not
    safe tree names, and special files (sockets, FIFOs, devices), raise ``Invalid`` naming the
    path before anything refers to what was stored. Everything is durable when this returns.
    """
    base = Path(root)
    if not base.is_dir():
        raise NotFound(f"not a folder: {base}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        top = _scan(base, lambda p, size: pool.submit(_store_file, store, p, size, progress))
        tree_id = _build(store, top)
    store.flush()
    return tree_id


def _scan(folder: Path, submit: Callable[[Path, int], Future]) -> _Dir:
    node = _Dir()
    with os.scandir(folder) as entries:
        for entry in entries:
            path = Path(entry.path)
            name = _safe_name(path)
            node.children[name] = _classify(entry, path, submit)
    return node


def _classify(entry: os.DirEntry, path: Path, submit: Callable[[Path, int], Future]):
    st = entry.stat(follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        target = os.fsencode(os.readlink(path))
        done: Future = Future()
        done.set_result(target)
        return EntryKind.LINK, done
    if stat.S_ISDIR(st.st_mode):
        return EntryKind.DIR, _scan(path, submit)
    if stat.S_ISREG(st.st_mode):
        kind = EntryKind.EXEC if st.st_mode & 0o111 else EntryKind.FILE
        return kind, submit(path, st.st_size)
    raise Invalid(f"cannot store special file (socket, FIFO or device): {path}")


def _safe_name(path: Path) -> str:
    try:
        return validate_name(os.fsencode(path.name))
    except Invalid as exc:
        raise Invalid(f"{exc} (at {os.fsdecode(path)!r})") from exc


def _store_file(
    store: ObjectStore, path: Path, size: int, progress: Progress | None
) -> tuple[ObjectId, int]:
    with open(path, "rb") as f:
        if size <= CHUNKING_THRESHOLD:
            data = f.read()
            result = store.put_bytes(data, sync=False), len(data)
        else:
            info = store.put_stream(f, sync=False)
            result = info.id, info.size
    if progress is not None:
        progress(result[1])
    return result


def _build(store: ObjectStore, node: _Dir) -> ObjectId:
    entries = []
    for name, (kind, pending) in node.children.items():
        if isinstance(pending, _Dir):
            entries.append(TreeEntry(name, kind, _build(store, pending)))
        elif kind is EntryKind.LINK:
            target = pending.result()
            entries.append(TreeEntry(name, kind, store.put_bytes(target, sync=False), len(target)))
        else:
            oid, size = pending.result()
            entries.append(TreeEntry(name, kind, oid, size))
    return store.put_tree(Tree(entries), sync=False)
