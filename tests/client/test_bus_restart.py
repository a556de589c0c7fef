"""Two subscribers of the bus through the HTTP client get every message in order, once each,
across a restart of the server (the client reconnects with ``Last-Event-ID``)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from _live import free_port, start_thread_server
from aether_data.client import AetherClient
from aether_data.settings import Settings


def subscriber(url: str, token: str, count: int, got: list[Any]) -> threading.Thread:
    def follow() -> None:
        with AetherClient(url, token) as client:
            stream = client.subscribe(["jobs:*"], after_seq=0)
            got.extend(itertools.islice(stream, count))
            stream.close()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return thread


def publish(url: str, token: str, numbers: range) -> None:
    with AetherClient(url, token) as client:
        for n in numbers:
            client.publish("jobs:load", n)
            client.publish("other", n)  # not matched: never delivered


def test_two_subscribers_get_everything_once_across_a_restart(tmp_path) -> None:
    settings, port = Settings.for_home(tmp_path / "server"), free_port()
    server = start_thread_server(settings, port)
    token, url = server.token, server.url
    first: list[Any] = []
    second: list[Any] = []
    threads = [subscriber(url, token, 10, got) for got in (first, second)]
    publish(url, token, range(5))
    deadline = time.monotonic() + 20
    while min(len(first), len(second)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()  # both streams break here
    with start_thread_server(settings, port) as again:
        publish(again.url, token, range(5, 10))
        for thread in threads:
            thread.join(timeout=30)
    for got in (first, second):
        assert [m.body for m in got] == list(range(10))
        seqs = [m.seq for m in got]
        assert seqs == sorted(set(seqs))
