"""Turns: one lock per session within a process; random pauses between processes."""

from __future__ import annotations

import threading
import time

import pytest

from aether_data.workspace import _turns
from aether_data.workspace._turns import Turns, back_off


def test_one_key_at_a_time_and_other_keys_meanwhile() -> None:
    turns, inside, peak = Turns(), [], [0]
    lock = threading.Lock()

    def worker(key: str) -> None:
        with turns.of(key):
            with lock:
                inside.append(key)
                peak[0] = max(peak[0], inside.count("a"))
            time.sleep(0.01)
            with lock:
                inside.remove(key)

    threads = [threading.Thread(target=worker, args=(k,)) for k in "aaaab"]
    for t in threads:
        t.start()
    with turns.of("b"):  # another key's turn is free while "a" is held
        pass
    for t in threads:
        t.join()
    assert peak[0] == 1
    assert turns.held() == 0


def test_a_turn_is_reentrant_and_released_on_error() -> None:
    turns = Turns()
    with pytest.raises(RuntimeError), turns.of("a"), turns.of("a"):
        raise RuntimeError
    assert turns.held() == 0


def test_idle_turns_are_kept_up_to_a_bound() -> None:
    turns = Turns(keep=4)
    for key in "abcdef":
        with turns.of(key) as turn:
            turn.latest = key
    assert len(turns) <= 4
    with turns.of("f") as turn:
        assert turn.latest == "f"  # the most recent idle turn still holds what it was left


def test_back_off_doubles_up_to_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(_turns.time, "sleep", pauses.append)
    monkeypatch.setattr(_turns.random, "uniform", lambda low, high: high)
    for attempt in range(1, 10):
        back_off(attempt)
    assert pauses == [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.05, 0.05, 0.05]
