"""Server-Sent Events for the clients' two streams (``subscribe``, ``follow_events``): a line
parser, and ``Resume``, the sans-IO bookkeeping of a stream that reconnects where it left off.
The sync and the async client only differ in how they read lines and wait."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from aether_data.client._calls import Call, error_of, unreachable
from aether_data.errors import Unavailable

__all__ = ["RETRIES", "Resume", "SseEvent", "SseParser", "parse"]

T = TypeVar("T")

RETRIES = 5
"""Reconnects tried in a row (each failing: transport error or 5xx) before ``Unavailable``."""
_FIRST_PAUSE = 0.2  # seconds before a reconnect; doubles with each failure in a row
_MAX_PAUSE = 5.0


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its ``data`` lines joined with ``\\n``."""

    data: str
    event: str = "message"
    id: str | None = None


class SseParser:
    """Feed it lines (without their line break); a blank line completes an event.

    As the SSE standard says, an event the stream ends in the middle of is never dispatched:
    its data may be cut short, and a stream resumed from ``last_id`` sends it again.
    """

    def __init__(self, last_id: str | None = None) -> None:
        self.last_id = last_id
        """The id of the last dispatched event (what ``Last-Event-ID`` resumes from)."""
        self._id_buffer = last_id
        self._data: list[str] = []
        self._event = ""

    def feed(self, line: str) -> SseEvent | None:
        """The event ``line`` completes, if it does."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):  # a comment (keep-alive)
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        return None

    def _dispatch(self) -> SseEvent | None:
        self.last_id = self._id_buffer
        data, event = self._data, self._event or "message"
        self._data, self._event = [], ""
        if not data:
            return None
        return SseEvent("\n".join(data), event, self.last_id)


def parse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Every complete event of ``lines``."""
    parser = SseParser()
    for line in lines:
        if (event := parser.feed(line)) is not None:
            yield event


class Resume(Generic[T]):
    """One stream's progress: the request to (re)connect with, what each event ``name``
    decodes to, and how long to wait after the connection dropped.

    The first connection fails like any call (unreachable: ``Unavailable``; an error status:
    its error). Once connected, a dropped stream is reopened with ``Last-Event-ID``; after
    ``RETRIES`` failures in a row (transport errors or 5xx) it is ``Unavailable``.
    """

    def __init__(
        self, base_url: str, url: str, params: Mapping[str, Any], type_: type[T], name: str
    ) -> None:
        self.base_url, self.url, self.type, self.name = base_url, url, type_, name
        self.query = Call("GET", url, params=params).query()
        self.parser = SseParser()
        self.connected = False
        self.failures = 0

    def headers(self) -> dict[str, str]:
        """The request headers: ``Last-Event-ID`` once an event came."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.parser.last_id is not None:
            headers["Last-Event-ID"] = self.parser.last_id
        return headers

    def opened(self) -> None:
        """The server accepted the stream: start reading events afresh."""
        self.connected, self.failures = True, 0
        self.parser = SseParser(self.parser.last_id)  # drop a half-read event

    def feed(self, line: str) -> T | None:
        """The value ``line`` completes, if it does."""
        event = self.parser.feed(line)
        if event is None or event.event != self.name:
            return None
        try:
            return msgspec.json.decode(event.data, type=self.type)
        except msgspec.DecodeError as exc:
            raise Unavailable(f"the server sent an unreadable {self.type.__name__}: {exc}") from exc

    def dropped(self, exc: Exception | None) -> float:
        """Seconds to wait before reconnecting after the stream ended (``exc`` None) or broke."""
        if not self.connected and exc is not None:
            raise unreachable(self.base_url, exc) from exc
        return self._retry(lambda: unreachable(self.base_url, exc or EOFError("stream ended")))

    def refused(self, status: int, headers: Mapping[str, str], content: bytes, url: str) -> float:
        """Seconds to wait after an error status (5xx while reconnecting), or its error."""
        error = error_of(status, headers, content, url)
        if status < 500 or not self.connected:
            raise error
        return self._retry(lambda: error)

    def _retry(self, error: Any) -> float:
        self.failures += 1
        if self.failures > RETRIES:
            cause = error()
            message = f"the stream {self.url} broke; {RETRIES} reconnects failed: {cause}"
            raise Unavailable(message) from cause
        return min(_FIRST_PAUSE * 2 ** (self.failures - 1), _MAX_PAUSE)
