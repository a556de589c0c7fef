"""A server per test module (starting one per test is slow), and clients for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from _live import LiveServer, start_thread_server
from aether_data.settings import Settings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server for the tests of a module (each test makes its own sessions)."""
    with start_thread_server(Settings.for_home(tmp_path_factory.mktemp("server"))) as live:
        yield live


@pytest.fixture
def client_for(server: LiveServer) -> Iterator[Callable[[str | None], httpx.Client]]:
    """Makes clients of the module's server holding a token (the admin's when None)."""
    made: list[httpx.Client] = []

    def make(secret: str | None = None) -> httpx.Client:
        made.append(httpx.Client(base_url=server.url, headers=server.headers(secret), timeout=60))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def admin(client_for: Callable[[str | None], httpx.Client]) -> httpx.Client:
    """A client with the admin token of tenant ``default``."""
    return client_for(None)


@pytest.fixture
def session_id(admin: httpx.Client) -> str:
    """A new, empty session of tenant ``default``."""
    answer = admin.post("/v1/sessions", json={})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]
