"""Streaming keeps the server's memory bounded: 2 GiB up and back down through a server in its
own process, whose resident memory is sampled every 50 ms and must stay under 300 MiB."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from _live import LiveServer, start_process_server
from aether_data.settings import Settings

MIB = 1 << 20
TOTAL_MIB = 2048
RSS_LIMIT = 300 * MIB


class _RssSampler(threading.Thread):
    """Samples a process's resident set size until stopped; ``peak`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        psutil = pytest.importorskip("psutil")
        self._process = psutil.Process(pid)
        self._halt = threading.Event()
        self.peak = self.samples = 0

    def run(self) -> None:
        while not self._halt.wait(0.05):
            self.peak = max(self.peak, self._process.memory_info().rss)
            self.samples += 1

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def _distinct_mebibytes(count: int, digest: hashlib._Hash) -> Iterator[bytes]:
    """``count`` MiB in which every MiB differs everywhere (content addressing dedups equal
    chunks, which would make the test meaningless), hashed into ``digest`` as they go."""
    mask = (1 << (8 * MIB)) - 1
    base = int.from_bytes(os.urandom(MIB), "little")
    step = int.from_bytes(os.urandom(MIB), "little")
    for i in range(1, count + 1):
        piece = ((base ^ (step * i)) & mask).to_bytes(MIB, "little")
        digest.update(piece)
        yield piece


@pytest.fixture
def process_server(tmp_path) -> Iterator[LiveServer]:
    with start_process_server(Settings.for_home(tmp_path / "server")) as server:
        yield server


@pytest.mark.slow
def test_two_gib_round_trip_in_bounded_memory(process_server: LiveServer) -> None:
    server = process_server
    sampler = _RssSampler(server.pid)
    sampler.start()
    sent, received = hashlib.sha256(), hashlib.sha256()
    with httpx.Client(base_url=server.url, headers=server.headers(), timeout=600) as client:
        sid = client.post("/v1/sessions", json={}).json()["id"]
        url = f"/v1/sessions/{sid}/files/big.bin"
        started = time.monotonic()
        put = client.put(url, content=_distinct_mebibytes(TOTAL_MIB, sent))
        uploaded = time.monotonic()
        assert put.status_code == 201, put.text
        assert put.json()["size"] == TOTAL_MIB * MIB
        assert put.json()["id"] == sent.hexdigest()
        size = 0
        with client.stream("GET", url) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-length"] == str(TOTAL_MIB * MIB)
            for piece in answer.iter_raw(MIB):
                received.update(piece)
                size += len(piece)
        downloaded = time.monotonic()
    peak = sampler.stop()
    up_rate = TOTAL_MIB / (uploaded - started)
    down_rate = TOTAL_MIB / (downloaded - uploaded)
    print(
        f"\n2 GiB: upload {uploaded - started:.1f} s ({up_rate:.0f} MiB/s), download "
        f"{downloaded - uploaded:.1f} s ({down_rate:.0f} MiB/s); server peak RSS "
        f"{peak / MIB:.0f} MiB over {sampler.samples} samples"
    )
    assert size == TOTAL_MIB * MIB
    assert received.hexdigest() == sent.hexdigest()
    assert sampler.samples > 10
    assert peak < RSS_LIMIT, f"the server's RSS peaked at {peak / MIB:.0f} MiB"
