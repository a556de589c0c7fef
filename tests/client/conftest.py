"""A live server shared by the client tests (``live_server`` starts one per test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aether_data.settings import Settings


@pytest.fixture(scope="session")
def client_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One live server (tests/_live.py) for every client test of the run."""
    from _live import start_thread_server  # noqa: PLC0415 - needs litestar and uvicorn

    with start_thread_server(Settings.for_home(tmp_path_factory.mktemp("client-server"))) as server:
        yield server
