"""The audit log: one event per mutating operation (who, what, when, which ids), kept in the
catalog, listed by page and followed as it grows."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aether_data.catalog import Catalog, EventRecord, Page
from aether_data.errors import Invalid
from aether_data.review._follow import Wakeup, follow

__all__ = ["EVENT_TYPE", "Events"]

EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
"""An event type: dotted lower-case words, the noun first (``session.write``)."""
_TYPE_FILTER = re.compile(rf"(?:{EVENT_TYPE.pattern})|(?:[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*)")
_BATCH = 500


def _check_type(kind: str) -> str:
    if not isinstance(kind, str) or not EVENT_TYPE.fullmatch(kind):
        raise Invalid(f"not an event type: {kind!r} (dotted lower-case words: session.write)")
    return kind


def _check_filters(types: Sequence[str] | None) -> list[str] | None:
    if types is None:
        return None
    bad = [kind for kind in types if not _TYPE_FILTER.fullmatch(kind)]
    if bad:
        raise Invalid(f"not an event type or prefix ('session.*'): {', '.join(map(repr, bad))}")
    return list(types)


class Events:
    """Record, list and follow a tenant's events."""

    def __init__(
        self, catalog: Catalog, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.catalog = catalog
        self._clock = clock
        self._wakeup = Wakeup()

    def record(
        self,
        tenant: str,
        kind: str,
        actor: str,
        *,
        session_id: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> EventRecord:
        """Append one event; returns it with its sequence number."""
        event = self.make(
            tenant,
            kind,
            actor,
            session_id=session_id,
            source=source,
            subject=subject,
            details=details,
        )
        stored = self.catalog.append_event(event)
        self.notify()
        return stored

    def make(
        self,
        tenant: str,
        kind: str,
        actor: str,
        *,
        session_id: str | None = None,
        source: str | None = None,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> EventRecord:
        """An event to append along with a change, in its transaction (``seq`` not yet set;
        call ``notify`` once it is stored)."""
        return EventRecord(
            seq=0,
            tenant=tenant,
            type=_check_type(kind),
            actor=actor,
            created_at=self._clock(),
            session_id=session_id,
            source=source,
            subject=subject,
            details=dict(details or {}),
        )

    def notify(self) -> None:
        """Wake this process's followers: events were stored."""
        self._wakeup.ring()

    def list(
        self,
        tenant: str,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[EventRecord]:
        """The tenant's events in order, filtered; ``types`` may end in ``.*`` (a prefix)."""
        return self.catalog.list_events(
            tenant=tenant,
            types=_check_filters(types),
            session_id=session_id,
            since=since,
            until=until,
            after_seq=after_seq,
            limit=limit,
            cursor=cursor,
        )

    def reader(
        self,
        tenant: str,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
    ) -> Callable[[int], tuple[list[EventRecord], int]]:
        """``read(seq) -> (the next matching events after seq, the seq reached)``: for
        followers that wait their own way (an SSE stream). Filters are checked now."""
        filters = _check_filters(types)

        def read(seq: int) -> tuple[list[EventRecord], int]:
            page = self.catalog.list_events(
                tenant=tenant, types=filters, session_id=session_id, after_seq=seq, limit=_BATCH
            )
            return list(page.items), page.items[-1].seq if page.items else seq

        return read

    def follow(
        self,
        tenant: str,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        after_seq: int = 0,
        poll: float = 0.5,
        stop: threading.Event | None = None,
    ) -> Iterator[EventRecord]:
        """Every event after ``after_seq``, then each new one as it is recorded (in this
        process at once, elsewhere within ``poll`` seconds), until ``stop`` is set."""
        read = self.reader(tenant, types=types, session_id=session_id)
        return follow(
            lambda seq: read(seq)[0],
            lambda event: event.seq,
            after_seq=after_seq,
            wakeup=self._wakeup,
            poll=poll,
            stop=stop,
        )
