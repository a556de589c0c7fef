"""The message bus: topics, publish, subscribe with glob patterns, replay by sequence number
or of the last N messages. Messages live in the catalog, so every replica sees them, and stay
until pruned (``Bus.prune``: by age and/or by count)."""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aether_data.catalog import BusMessage, Catalog
from aether_data.errors import Invalid, TooLarge
from aether_data.review._follow import Wakeup, follow

__all__ = ["MAX_BODY_BYTES", "TOPIC", "Bus", "BusReader", "topic_matches"]

TOPIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}")
"""A topic: letters, digits and ``._:/@+-``, up to 255 characters (``tests:unit``)."""
_PATTERN = re.compile(r"[A-Za-z0-9._:/@+\-*?\[\]!]{1,255}")
MAX_BODY_BYTES = 256 << 10
_BATCH = 1000


def _check_topic(topic: str) -> str:
    if not isinstance(topic, str) or not TOPIC.fullmatch(topic):
        raise Invalid(f"not a topic: {topic!r} (letters, digits and ._:/@+-, at most 255)")
    return topic


def _check_patterns(patterns: Sequence[str]) -> tuple[str, ...]:
    if isinstance(patterns, str):
        patterns = [patterns]
    bad = [p for p in patterns if not isinstance(p, str) or not _PATTERN.fullmatch(p)]
    if bad or not patterns:
        raise Invalid(f"not a topic pattern: {', '.join(map(repr, bad)) or '(none given)'}")
    return tuple(patterns)


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def topic_matches(topic: str, patterns: Sequence[str]) -> bool:
    """Whether ``topic`` matches any glob of ``patterns`` (``*``, ``?``, ``[...]``; case counts)."""
    return _compiled(_check_patterns(patterns)).match(topic) is not None


def _encode(body: Any) -> str:
    try:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"a message body must be JSON: {exc}") from exc
    size = len(text.encode())
    if size > MAX_BODY_BYTES:
        raise TooLarge(f"the message body has {size} bytes; the limit is {MAX_BODY_BYTES}")
    return text


class Bus:
    """Publish and subscribe within a tenant, or within one of its sessions."""

    def __init__(
        self, catalog: Catalog, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.catalog = catalog
        self._clock = clock
        self._wakeup = Wakeup()

    def publish(
        self, tenant: str, topic: str, body: Any, *, author: str, session_id: str | None = None
    ) -> BusMessage:
        """Publish ``body`` (any JSON value) on ``topic``; to one session's subscribers when
        ``session_id`` is given, else tenant-wide. Returns the message with its sequence."""
        message = BusMessage(
            seq=0,
            tenant=tenant,
            topic=_check_topic(topic),
            body=_encode(body),
            author=author,
            created_at=self._clock(),
            session_id=session_id,
        )
        stored = self.catalog.publish(message)
        self._wakeup.ring()
        return stored

    def read(
        self,
        tenant: str,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int = 0,
        last: int | None = None,
        limit: int = _BATCH,
    ) -> list[BusMessage]:
        """Messages matching ``patterns`` after ``after_seq`` (at most ``limit``), or the
        ``last`` N of them. With ``session_id``: that session's messages and, unless
        ``session_only``, the tenant-wide ones."""
        reader = self.reader(tenant, patterns, session_id=session_id, session_only=session_only)
        if last is not None:
            return reader.last(last, after_seq)[0]
        found: list[BusMessage] = []
        seq = after_seq
        while len(found) < limit:
            matching, reached = reader.read(seq)
            if reached == seq:
                break
            found += matching
            seq = reached
        return found[:limit]

    def subscribe(
        self,
        tenant: str,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
        poll: float = 0.25,
        stop: threading.Event | None = None,
    ) -> Iterator[BusMessage]:
        """Replay (after ``after_seq``, or the ``last`` N; neither: only new messages), then
        every new matching message in order, until ``stop`` is set."""
        reader = self.reader(tenant, patterns, session_id=session_id, session_only=session_only)
        replay, start = self.start(reader, after_seq=after_seq, last=last)
        followed = follow(
            reader.raw,
            lambda message: message.seq,
            after_seq=start,
            wakeup=self._wakeup,
            poll=poll,
            stop=stop,
        )
        # Built eagerly (bad patterns raise here), iterated lazily.
        return itertools.chain(replay, (m for m in followed if reader.wanted(m)))

    @staticmethod
    def start(
        reader: BusReader, *, after_seq: int | None, last: int | None
    ) -> tuple[list[BusMessage], int]:
        """Where a subscription starts: the messages to replay and the sequence number to
        follow from (``last`` N, else after ``after_seq``, else from now on)."""
        if last is not None:
            return reader.last(last, after_seq or 0)
        if after_seq is None:
            return [], reader.end()
        if after_seq < 0:
            raise Invalid(f"after_seq must not be negative, not {after_seq}")
        return [], after_seq

    def reader(
        self,
        tenant: str,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
    ) -> BusReader:
        """A reader of the tenant's (or a session's) messages on ``patterns``."""
        if session_only and session_id is None:
            raise Invalid("session_only needs a session")
        return BusReader(self.catalog, tenant, _check_patterns(patterns), session_id, session_only)

    def prune(self, *, before: datetime | None = None, keep_last: int | None = None) -> int:
        """Drop messages older than ``before`` and/or all but the newest ``keep_last``."""
        if keep_last is not None and keep_last < 0:
            raise Invalid(f"keep_last must not be negative, not {keep_last}")
        return self.catalog.prune_bus(before=before, keep_last=keep_last)


class BusReader:
    """One subscription's view of the log: its tenant, session scope and topic globs. Reads
    in batches by sequence number, for followers that wait their own way (an SSE stream)."""

    def __init__(
        self,
        catalog: Catalog,
        tenant: str,
        patterns: tuple[str, ...],
        session_id: str | None,
        session_only: bool,
    ) -> None:
        self._catalog, self._tenant, self._session = catalog, tenant, session_id
        self._session_only = session_only
        self._topics = _compiled(patterns)

    def wanted(self, message: BusMessage) -> bool:
        """Whether ``message``'s topic matches."""
        return self._topics.match(message.topic) is not None

    def raw(self, after_seq: int) -> list[BusMessage]:
        """The next stored messages of this scope after ``after_seq``, matching or not."""
        return self._catalog.read_bus(
            tenant=self._tenant,
            after_seq=after_seq,
            session_id=self._session,
            include_tenant_wide=not self._session_only,
            limit=_BATCH,
        )

    def read(self, after_seq: int) -> tuple[list[BusMessage], int]:
        """The next matching messages after ``after_seq`` and the sequence number read up to
        (``after_seq`` when nothing new was stored)."""
        raw = self.raw(after_seq)
        return [m for m in raw if self.wanted(m)], raw[-1].seq if raw else after_seq

    def last(self, count: int, after_seq: int = 0) -> tuple[list[BusMessage], int]:
        """The last ``count`` matching messages after ``after_seq``, and the sequence number
        the scan reached (the log's end when it ran)."""
        if count < 0:
            raise Invalid(f"last must not be negative, not {count}")
        window: deque[BusMessage] = deque(maxlen=count)
        seq = after_seq
        while True:
            matching, reached = self.read(seq)
            if reached == seq:
                return list(window), seq
            window.extend(matching)
            seq = reached

    def end(self) -> int:
        """The sequence number of the tenant's newest message (0: none)."""
        return self._catalog.last_bus_seq(tenant=self._tenant)
