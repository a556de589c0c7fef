"""Computed dataset diffs kept for the next request: a reviewer pages through a diff, or
downloads it after looking, without each request copying both versions out of the store and
comparing them again.

Both versions are stored content, so a diff of two content ids with one key and one set of
tolerances never changes: entries need no invalidation, only a bound. At most ``entries``
diffs are kept, holding at most ``rows`` changed rows between them (a diff with more is
computed for its request alone), and one unused for ``idle`` seconds is dropped. Each request
gets a share of the kept result (``DatasetDiff.share``: a cursor of its own, so requests read
at the same time); the result is closed once it has left the cache and its last share is
closed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from aether_data.datasets import DatasetDiff

__all__ = ["DiffCache", "Lease"]


@dataclass(slots=True)
class _Entry:
    result: DatasetDiff
    rows: int
    shares: int = 0
    kept: bool = True
    used: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class Lease:
    """A share of a computed diff; ``release`` when done with it (closes the share)."""

    result: DatasetDiff
    release: Callable[[], None]


class DiffCache:
    """Kept diffs by a key the caller derives from what determines the result."""

    def __init__(self, *, entries: int = 8, rows: int = 1_000_000, idle: float = 600.0) -> None:
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._max_entries, self._max_rows, self._idle = entries, rows, idle
        self._lock = threading.Lock()

    def lease(self, key: Hashable, compute: Callable[[], DatasetDiff]) -> Lease:
        """A share of the diff kept under ``key``, computed (outside the lock) when there is
        none; a diff too large to keep is the lease's alone."""
        with self._lock:
            self._drop_idle()
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return self._share(entry)
        result = compute()
        try:
            entry = _Entry(result, result.summary_rows())
        except BaseException:
            result.close()
            raise
        with self._lock:
            if not self._keeps(entry) or key in self._entries:
                entry.kept = False  # too large, or computed meanwhile by another request
                return self._share(entry)
            self._make_room(entry.rows)
            self._entries[key] = entry
            return self._share(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Drop every entry (a result still shared closes with its last share)."""
        with self._lock:
            while self._entries:
                self._evict(next(iter(self._entries)))

    # ------------------------------------------------------------------- under the lock
    def _share(self, entry: _Entry) -> Lease:
        entry.shares += 1
        entry.used = time.monotonic()
        share = entry.result.share()
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            share.close()
            with self._lock:
                entry.shares -= 1
                entry.used = time.monotonic()
                if not entry.kept and entry.shares == 0:
                    entry.result.close()

        return Lease(share, release)

    def _keeps(self, entry: _Entry) -> bool:
        return self._max_entries > 0 and entry.rows <= self._max_rows

    def _make_room(self, rows: int) -> None:
        """Evict the least recently used entries until one more of ``rows`` rows fits."""
        while self._entries and (
            len(self._entries) >= self._max_entries or self._kept_rows() + rows > self._max_rows
        ):
            self._evict(next(iter(self._entries)))

    def _drop_idle(self) -> None:
        now = time.monotonic()
        stale = [
            key
            for key, entry in self._entries.items()
            if entry.shares == 0 and now - entry.used > self._idle
        ]
        for key in stale:
            self._evict(key)

    def _kept_rows(self) -> int:
        return sum(entry.rows for entry in self._entries.values())

    def _evict(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        entry.kept = False
        if entry.shares == 0:
            entry.result.close()
