"""The local-folder object store (the embedded default).

Layout: ``<root>/<first two hex digits>/<remaining 62 hex digits>``; temporary files live in the
same fan-out folder as their final name (``.tmp-*``) so the final ``rename`` never crosses a
filesystem. A write is: create temp file, write, fsync, rename, fsync the folder. Without ``sync``
the two fsyncs are left to ``_flush``, which syncs the whole filesystem once (``syncfs``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import itertools
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.storage.base import ObjectStat, ObjectStore

__all__ = ["TEMP_PREFIX", "LocalObjectStore"]

TEMP_PREFIX = ".tmp-"
_HEX = frozenset("0123456789abcdef")


def _syncfs_function():  # returns a ctypes function or None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs_function()


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pread(fd: int, start: int, count: int | None) -> bytes:
    """``count`` bytes (None: all) of ``fd`` from ``start``, or fewer at its end: one call for
    anything below Linux's 2 GiB per-call limit."""
    if count is None:
        count = max(0, os.fstat(fd).st_size - start)
    first = os.pread(fd, count, start)
    if len(first) == count or not first:
        return first
    parts, done = [first], len(first)
    while done < count and (piece := os.pread(fd, count - done, start + done)):
        parts.append(piece)
        done += len(piece)
    return b"".join(parts)


class LocalObjectStore(ObjectStore):
    """Objects as files in a folder, written crash-safely."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root)
        self.url = self.root.as_uri() if self.root.is_absolute() else str(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._root = str(self.root)
        self._made_dirs: set[str] = set()
        self._lock = threading.Lock()
        # Temp names: unique per process and store without asking the OS for randomness per write.
        self._temp_prefix = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-"
        self._temp_counter = itertools.count()

    def _path(self, oid: ObjectId) -> str:
        if len(oid) != 64 or not _HEX.issuperset(oid):
            raise Invalid(f"not an object id: {oid!r}")
        return f"{self._root}/{oid[:2]}/{oid[2:]}"

    def _get(self, oid: ObjectId, start: int = 0, end: int | None = None) -> bytes:
        # Bare descriptors and pread: three system calls for a small object where a Python
        # file object makes six (fstat, isatty, seek, ...), each a release of the GIL that
        # busy server threads then queue to take back.
        try:
            fd = os.open(self._path(oid), os.O_RDONLY)
        except FileNotFoundError:
            raise NotFound(f"object {oid} is not in the store") from None
        try:
            return _pread(fd, start, None if end is None else max(0, end - start))
        finally:
            os.close(fd)

    def _put(self, oid: ObjectId, data: bytes, sync: bool) -> None:
        final = self._path(oid)
        folder = f"{self._root}/{oid[:2]}"
        self._ensure_dir(folder, sync)
        temp = f"{folder}/{self._temp_prefix}{next(self._temp_counter)}"
        try:
            self._write_file(temp, data, sync)
            os.rename(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        if sync:
            _fsync_dir(folder)

    @staticmethod
    def _write_file(path: str, data: bytes, sync: bool) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _ensure_dir(self, folder: str, sync: bool) -> None:
        if folder in self._made_dirs:
            return
        if not os.path.isdir(folder):
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder)
            if sync:
                _fsync_dir(self._root)
        with self._lock:
            self._made_dirs.add(folder)

    def _stat(self, oid: ObjectId) -> ObjectStat:
        try:
            st = os.stat(self._path(oid))
        except FileNotFoundError:
            raise NotFound(f"object {oid} is not in the store") from None
        return ObjectStat(oid, st.st_size, st.st_mtime)

    def _iter(self) -> Iterator[ObjectStat]:
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not _HEX.issuperset(folder.name) or not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                oid = folder.name + entry.name
                if len(oid) == 64 and _HEX.issuperset(entry.name):
                    with contextlib.suppress(FileNotFoundError):
                        st = entry.stat()
                        yield ObjectStat(ObjectId(oid), st.st_size, st.st_mtime)

    def _delete(self, oid: ObjectId) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(oid))

    def _touch(self, oid: ObjectId) -> bool:
        try:
            os.utime(self._path(oid))
        except FileNotFoundError:
            return False
        return True

    def delete_if_stale(self, oid: ObjectId, cutoff: float) -> bool:
        # Rename first, then judge the mtime of what was renamed: a writer's touch either landed
        # before the rename (we see it and put the file back) or fails after it (the writer
        # stores the object again). Either way no reused object is lost.
        path = self._path(oid)
        quarantine = f"{self._root}/{oid[:2]}/{self._temp_prefix}gc-{next(self._temp_counter)}"
        try:
            os.rename(path, quarantine)
        except FileNotFoundError:
            return False
        if os.stat(quarantine).st_mtime >= cutoff:
            os.replace(quarantine, path)
            return False
        os.unlink(quarantine)
        return True

    def _flush(self) -> None:
        if _SYNCFS is not None:
            fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                if _SYNCFS(fd) == 0:
                    return
            finally:
                os.close(fd)
        os.sync()

    def iter_temp_files(self) -> Iterator[tuple[Path, float]]:
        """Temporary files left by interrupted writes, with their mtimes (for gc)."""
        for folder in self.root.iterdir():
            if folder.is_dir():
                for path in folder.glob(f"{TEMP_PREFIX}*"):
                    with contextlib.suppress(FileNotFoundError):
                        yield path, path.stat().st_mtime

    def sweep_temporary(self, older_than: float) -> int:
        removed = 0
        for path, mtime in list(self.iter_temp_files()):
            if mtime < older_than:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        return removed
