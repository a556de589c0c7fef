"""Following an append-only log by sequence number: read what is there, then wait for more.

Appends made in this process wake followers at once; appends made elsewhere (another replica,
the CLI) are seen at the next poll. The catalog hands sequence numbers out in commit order, so
reading ``seq > last_seen`` never skips a row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["Wakeup", "follow"]

T = TypeVar("T")


class Wakeup:
    """A counter followers wait on; ``ring`` after every append in this process."""

    def __init__(self) -> None:
        self._turn = 0
        self._changed = threading.Condition()

    def ring(self) -> None:
        """Wake every follower."""
        with self._changed:
            self._turn += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until rung after ``seen`` (or ``timeout`` seconds); return the current turn."""
        with self._changed:
            self._changed.wait_for(lambda: self._turn != seen, timeout)
            return self._turn

    @property
    def turn(self) -> int:
        """How often it was rung."""
        return self._turn


def follow(
    read_after: Callable[[int], Sequence[T]],
    seq_of: Callable[[T], int],
    *,
    after_seq: int,
    wakeup: Wakeup,
    poll: float,
    stop: threading.Event | None = None,
) -> Iterator[T]:
    """Yield every item after ``after_seq`` in order, forever (until ``stop`` is set).

    ``read_after(seq)`` returns the next items after ``seq`` (a bounded batch, in order).
    """
    last = after_seq
    while stop is None or not stop.is_set():
        turn = wakeup.turn
        batch = read_after(last)
        for item in batch:
            last = seq_of(item)
            yield item
        if not batch:
            wakeup.wait(turn, poll)
