"""Bridges between the async server and the synchronous workspace, with bounded memory:
request bodies are pulled into a worker thread piece by piece, blobs are read in 1 MiB pieces,
and archives are written by a thread into a short queue that the response drains."""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, BinaryIO

import anyio.from_thread
import anyio.to_thread
from litestar import Request

from aether_data.errors import TooLarge

__all__ = ["PIECE", "BodyReader", "blob_stream", "limited_body", "pipe_stream"]

PIECE = 1 << 20
"""Bytes per piece of a streamed response."""
_QUEUE_DEPTH = 4
_DONE = object()


class BodyReader(io.RawIOBase):
    """A read-only file over a request body's async stream, for use in a worker thread
    started by anyio (``anyio.to_thread.run_sync``): each read pulls the next piece from
    the event loop, so the body is never held whole."""

    def __init__(self, pieces: AsyncIterator[bytes], *, limit: int | None = None) -> None:
        super().__init__()
        self._pieces = pieces
        self._limit = limit
        self._left = memoryview(b"")
        self._ended = False
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._left and not self._pull():
            return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size

    def _pull(self) -> bool:
        while not self._ended and not self._left:
            try:
                piece = anyio.from_thread.run(self._pieces.__anext__)
            except StopAsyncIteration:
                self._ended = True
                break
            self.received += len(piece)
            if self._limit is not None and self.received > self._limit:
                raise TooLarge(f"the upload is larger than the limit of {self._limit} bytes")
            self._left = memoryview(piece)
        return bool(self._left)


def limited_body(request: Request[Any, Any, Any]) -> BodyReader:
    """The request's body as a file for a worker thread, refused (413) past the app's upload
    limit: at once when ``Content-Length`` announces too much, else when the bytes run over."""
    limit: int = request.app.state.upload_limit
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise TooLarge(f"the upload ({announced} bytes) is larger than the limit of {limit} bytes")
    return BodyReader(request.stream(), limit=limit)


async def blob_stream(reader: BinaryIO, start: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of ``reader`` from ``start``, in pieces of at most ``PIECE``; closes it."""
    try:
        await anyio.to_thread.run_sync(reader.seek, start)
        left = length
        while left > 0:
            piece = await anyio.to_thread.run_sync(reader.read, min(PIECE, left))
            if not piece:
                raise OSError(f"the file ended {left} bytes early")
            left -= len(piece)
            yield piece
    finally:
        reader.close()


class _Pipe(io.RawIOBase):
    """The writing end handed to a producer thread; pieces go through a short queue."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._buffer = bytearray()
        self.abandoned = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) >= PIECE:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        return len(data)

    def _send(self, item: object) -> None:
        while True:
            if self.abandoned.is_set():
                raise BrokenPipeError("the client stopped reading")
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def run(self, produce: Callable[[BinaryIO], object]) -> None:
        item: object = _DONE
        try:
            produce(self)  # type: ignore[arg-type]
            if self._buffer:
                self._send(bytes(self._buffer))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            item = exc
        with contextlib.suppress(BrokenPipeError):
            self._send(item)

    def next_piece(self) -> bytes | None:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return None if item is _DONE else item  # type: ignore[return-value]


async def pipe_stream(produce: Callable[[BinaryIO], object]) -> AsyncIterator[bytes]:
    """Run ``produce(out)`` on its own thread and yield what it writes, a few MiB ahead at
    most; a client that goes away stops the producer at its next write."""
    pipe = _Pipe()
    threading.Thread(target=pipe.run, args=(produce,), name="aether-pipe", daemon=True).start()
    try:
        while (piece := await anyio.to_thread.run_sync(pipe.next_piece)) is not None:
            yield piece
    finally:
        pipe.abandoned.set()
