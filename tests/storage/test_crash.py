"""A writer SIGKILLed at random moments leaves a store that fsck passes, with every reported
object intact."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _crash_writer import payload

from aether_data.storage import LocalObjectStore
from aether_data.workspace import fsck

WRITER = Path(__file__).with_name("_crash_writer.py")
OBJECTS = 1000


def _run_writer(root: Path, first: int, kill_after: float | None) -> dict[int, str]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(root), str(first), str(OBJECTS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=300)
    reported = {}
    for line in out.splitlines(keepends=True):
        if line.endswith("\n"):  # a torn last line was not reported
            seed, oid = line.split()
            reported[int(seed)] = oid
    return reported


@pytest.mark.slow
def test_sigkilled_writer_leaves_a_consistent_store(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    rnd = random.Random(1234)
    reported: dict[int, str] = {}
    for round_no in range(8):
        # the writer starts each round where a previous one may have been cut short
        reported |= _run_writer(root, round_no * 200, kill_after=rnd.uniform(0.05, 1.5))
    reported |= _run_writer(root, 10_000, kill_after=None)
    assert len(reported) >= OBJECTS  # the last run was not killed
    store = LocalObjectStore(root)
    for seed, oid in reported.items():
        assert store.read_bytes(oid) == payload(seed), f"object {oid} (seed {seed}) damaged"
    report = fsck(store, [])
    assert report.ok, [p.describe() for p in report.problems]
    assert report.checked >= len(reported)
