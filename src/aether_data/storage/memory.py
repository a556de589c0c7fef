"""An in-memory object store, for tests and throwaway work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from aether_data.errors import NotFound
from aether_data.ids import ObjectId
from aether_data.storage.base import ObjectStat, ObjectStore

__all__ = ["MemoryObjectStore"]


class MemoryObjectStore(ObjectStore):
    """Objects kept in a dict; nothing survives the process."""

    def __init__(self) -> None:
        super().__init__()
        self.url = "memory://"
        self._objects: dict[ObjectId, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def _get(self, oid: ObjectId, start: int = 0, end: int | None = None) -> bytes:
        try:
            data, _ = self._objects[oid]
        except KeyError:
            raise NotFound(f"object {oid} is not in the store") from None
        return data[start:end]

    def _put(self, oid: ObjectId, data: bytes, sync: bool) -> None:
        with self._lock:
            self._objects[oid] = (bytes(data), time.time())

    def _stat(self, oid: ObjectId) -> ObjectStat:
        try:
            data, mtime = self._objects[oid]
        except KeyError:
            raise NotFound(f"object {oid} is not in the store") from None
        return ObjectStat(oid, len(data), mtime)

    def _iter(self) -> Iterator[ObjectStat]:
        with self._lock:
            items = list(self._objects.items())
        return (ObjectStat(oid, len(data), mtime) for oid, (data, mtime) in items)

    def _delete(self, oid: ObjectId) -> None:
        with self._lock:
            self._objects.pop(oid, None)

    def _touch(self, oid: ObjectId) -> bool:
        with self._lock:
            if oid not in self._objects:
                return False
            self._objects[oid] = (self._objects[oid][0], time.time())
            return True

    def delete_if_stale(self, oid: ObjectId, cutoff: float) -> bool:
        with self._lock:
            entry = self._objects.get(oid)
            if entry is None or entry[1] >= cutoff:
                return False
            del self._objects[oid]
            return True
