"""Bridges between the async server and the synchronous workspace, with bounded memory:
request bodies are queued a few MiB ahead of the worker thread that stores them, blobs are
read in 1 MiB pieces, and archives are written by a thread into a short queue that the
response drains."""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, BinaryIO, TypeVar

import anyio.from_thread
import anyio.to_thread
from anyio.lowlevel import RunVar
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from litestar import Request

from aether_data.errors import TooLarge

__all__ = ["PIECE", "BodyReader", "blob_stream", "consume_body", "long_waits", "pipe_stream"]

T = TypeVar("T")

PIECE = 1 << 20
"""Bytes per piece of a streamed response."""
_QUEUE_DEPTH = 4
_AHEAD = 32  # request pieces (network reads, 64-256 KiB each) queued ahead of the consumer
_DONE = object()


class _Feed:
    """What the event loop side of an upload learned: the error that ended it, if any."""

    error: BaseException | None = None


class BodyReader(io.RawIOBase):
    """A read-only file, for a worker thread started by anyio, over the pieces of a request
    body that the event loop queues ahead (a few MiB at most), so that reading the network
    and storing the bytes overlap."""

    def __init__(self, pieces: MemoryObjectReceiveStream[bytes], feed: _Feed) -> None:
        super().__init__()
        self._pieces = pieces
        self._feed = feed
        self._left = memoryview(b"")
        self._ended = False

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
        if not self._ended:
            self._left = memoryview(anyio.from_thread.run(self._gather))
        if self._ended and self._feed.error is not None:
            raise self._feed.error  # never store a body cut short as if it were whole
        return bool(self._left)

    async def _gather(self) -> bytes:
        # One trip to the event loop per MiB (or per wait), not per network read.
        parts = [await self._next()]
        size = len(parts[0])
        while size < PIECE and not self._ended:
            try:
                parts.append(self._pieces.receive_nowait())
            except anyio.WouldBlock:
                break
            except anyio.EndOfStream:
                self._ended = True
                break
            size += len(parts[-1])
        return b"".join(parts)

    async def _next(self) -> bytes:
        try:
            return await self._pieces.receive()
        except anyio.EndOfStream:
            self._ended = True
            return b""


async def _feed(
    pieces: AsyncIterator[bytes], out: MemoryObjectSendStream[bytes], limit: int, feed: _Feed
) -> None:
    received = 0
    try:
        async with out:
            async for piece in pieces:
                received += len(piece)
                if received > limit:
                    raise TooLarge(f"the upload is larger than the limit of {limit} bytes")
                await out.send(piece)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass  # the consumer stopped reading: it has its own answer
    except Exception as exc:  # handed to the consumer, which raises it in its thread
        feed.error = exc


_LONG_WAITS: RunVar[anyio.CapacityLimiter] = RunVar("aether_long_waits")
_LONG_TOKENS = 256


def long_waits() -> anyio.CapacityLimiter:
    """The threads for work that lasts as long as a transfer (an upload being stored, a
    download's pieces, an export's queue). They are apart from the default pool, which the
    short handlers share and which is kept small (``Settings.api_threads``), so that slow
    transfers never hold up quick requests."""
    try:
        return _LONG_WAITS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_LONG_TOKENS)
        _LONG_WAITS.set(limiter)
        return limiter


async def consume_body(request: Request[Any, Any, Any], consume: Callable[[BinaryIO], T]) -> T:
    """Run ``consume(body)`` in a worker thread over the request's streamed body, refused
    (413) past the app's upload limit: at once when ``Content-Length`` announces too much,
    else when the bytes run over."""
    limit: int = request.app.state.upload_limit
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise TooLarge(f"the upload ({announced} bytes) is larger than the limit of {limit} bytes")
    out, pieces = anyio.create_memory_object_stream[bytes](max_buffer_size=_AHEAD)
    feed = _Feed()
    failure: BaseException | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_feed, request.stream(), out, limit, feed)
        try:
            with pieces:
                reader = BodyReader(pieces, feed)
                result = await anyio.to_thread.run_sync(consume, reader, limiter=long_waits())
        except Exception as exc:  # raised below: inside the group it would come out grouped
            failure = exc
        finally:
            tasks.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result


async def blob_stream(reader: BinaryIO, start: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of ``reader`` from ``start``, in pieces of at most ``PIECE``; closes it."""
    try:
        await anyio.to_thread.run_sync(reader.seek, start, limiter=long_waits())
        left = length
        while left > 0:
            size = min(PIECE, left)
            piece = await anyio.to_thread.run_sync(reader.read, size, limiter=long_waits())
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
        limiter = long_waits()
        while True:
            piece = await anyio.to_thread.run_sync(pipe.next_piece, limiter=limiter)
            if piece is None:
                break
            yield piece
    finally:
        pipe.abandoned.set()
