"""``last_modified`` and ``created`` for session paths, which carry no times of their own.

A session entry has a content id but no mtime, so the manager keeps, per path, the content id
it last saw there and the times it gave out for it:

- a path seen for the first time gets the *baseline*: the session's ``updated_at`` when the
  manager started (nothing in the session is newer than its last change), so the same files
  read after a restart show the same times as long as the session did not change;
- the same content at the same path keeps its times, however often it is read (stable);
- new content at a known path (a save through this manager, or a change seen in a listing) gets
  ``max(now, previous + 1 µs)``: times never go back, even if the clock does;
- a rename carries the times along (Jupyter warns when a renamed file looks newer).

Everything is in memory and keyed by path: a few hundred bytes per path seen.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Times"]

_TICK = timedelta(microseconds=1)


@dataclass
class _Seen:
    content: str | None
    created: datetime
    modified: datetime


class Times:
    """Times of the paths of one session (thread-safe)."""

    def __init__(self, baseline: datetime) -> None:
        self.baseline = baseline.astimezone(UTC)
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def of(self, path: str, content: str | None) -> tuple[datetime, datetime]:
        """``(created, last_modified)`` of ``path`` holding ``content`` (None: unknown, e.g. a
        folder, whose times then stay as they are)."""
        with self._lock:
            seen = self._seen.get(path)
            if seen is None:
                seen = self._seen[path] = _Seen(content, self.baseline, self.baseline)
            elif content is not None and content != seen.content:
                if seen.content is not None:
                    seen.modified = _later(seen.modified)
                seen.content = content
            return seen.created, seen.modified

    def changed(self, path: str, content: str | None) -> None:
        """This manager just wrote ``content`` (None: a folder) at ``path``."""
        with self._lock:
            seen = self._seen.get(path)
            if seen is None:
                now = max(datetime.now(UTC), self.baseline)
                self._seen[path] = _Seen(content, now, now)
            elif content is None or content != seen.content:
                seen.modified = _later(seen.modified)
                seen.content = content

    def moved(self, source: str, destination: str) -> None:
        """``source`` (and everything under it) is now at ``destination``."""
        with self._lock:
            inside = source + "/"
            for path in [p for p in self._seen if p == source or p.startswith(inside)]:
                seen = self._seen.pop(path)
                target = destination + path[len(source) :]
                known = self._seen.get(target)
                if known is not None:  # never earlier than what that path already showed
                    seen.modified = max(seen.modified, known.modified)
                self._seen[target] = seen


def _later(previous: datetime) -> datetime:
    return max(datetime.now(UTC), previous + _TICK)
