"""A thread-safe LRU of verified small-file payloads, bounded by bytes.

Objects are immutable (their id is their content hash), so a cached payload never goes stale:
only gc's deletes evict early. The cache saves a small read its system calls, its decompression
and its hash check; a server reading the same small files again and again spends most of its
time there otherwise.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from aether_data.ids import ObjectId

__all__ = ["BlobCache"]


class BlobCache:
    """Payloads of small files, least recently used first out once over ``budget`` bytes."""

    def __init__(self, budget: int, largest: int) -> None:
        """``budget``: total payload bytes kept (0 turns the cache off); ``largest``: bigger
        payloads are never kept."""
        self.budget = budget
        self.largest = min(largest, budget)
        self._items: OrderedDict[ObjectId, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, oid: ObjectId) -> bytes | None:
        """The payload of ``oid``, if kept."""
        with self._lock:
            payload = self._items.get(oid)
            if payload is not None:
                self._items.move_to_end(oid)
            return payload

    def put(self, oid: ObjectId, payload: bytes) -> None:
        """Keep ``payload`` (verified by the caller) if it is small enough."""
        if len(payload) > self.largest:
            return
        with self._lock:
            if oid in self._items:
                return
            self._items[oid] = payload
            self._bytes += len(payload)
            while self._bytes > self.budget:
                self._bytes -= len(self._items.popitem(last=False)[1])

    def discard(self, oid: ObjectId) -> None:
        """Forget ``oid`` (it is being deleted)."""
        with self._lock:
            payload = self._items.pop(oid, None)
            if payload is not None:
                self._bytes -= len(payload)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        """Payload bytes kept."""
        return self._bytes
