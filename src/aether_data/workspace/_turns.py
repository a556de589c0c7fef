"""Writers of one session take turns within a process, and back off between processes.

A change to a session is planned against one version and applied by compare-and-set; when
another writer moved the version first, it is planned again. Writers in one process queue on
the session's turn instead, so they never spoil each other's attempt (16 threads writing one
session used to exhaust 100 attempts now and then). Writers in different processes (replicas,
the CLI) still meet at the compare-and-set, and wait a little, at random, before trying again.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Turn", "Turns", "back_off"]

_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05


@dataclass(eq=False)
class Turn:
    """A key's turn: its lock, how many hold or wait for it, and what the last holder left
    for the next (the session record it produced, fresher than one read before waiting)."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0
    latest: Any = None


class Turns:
    """One re-entrant turn per key. Idle turns are kept (the most recent ``keep``), so what
    the last writer left (``Turn.latest``) is still there for a writer that read the session
    before the last one finished."""

    def __init__(self, keep: int = 1024) -> None:
        self._lock = threading.Lock()
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._keep = keep

    @contextmanager
    def of(self, key: str) -> Iterator[Turn]:
        """Hold ``key``'s turn for the block."""
        with self._lock:
            turn = self._turns.get(key)
            if turn is None:
                turn = self._turns[key] = Turn()
                self._forget_idle()
            self._turns.move_to_end(key)
            turn.users += 1
        try:
            with turn.lock:
                yield turn
        finally:
            with self._lock:
                turn.users -= 1

    def _forget_idle(self) -> None:
        if len(self._turns) <= self._keep:
            return
        for key in [k for k, t in self._turns.items() if not t.users][: len(self._turns) // 2]:
            del self._turns[key]

    def held(self) -> int:
        """How many turns someone holds or waits for."""
        with self._lock:
            return sum(1 for turn in self._turns.values() if turn.users)

    def __len__(self) -> int:
        return len(self._turns)


def back_off(attempt: int) -> None:
    """Sleep before retry number ``attempt`` (1, 2, ...): up to 1 ms, doubling, at most 50 ms."""
    time.sleep(random.uniform(0, min(_LONGEST_PAUSE, _FIRST_PAUSE * 2 ** (attempt - 1))))
