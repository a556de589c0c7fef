"""The ``WorkspaceAPI`` conformance fixtures: every test runs against the embedded workspace
and against ``AetherClient`` talking to a live server, with the same assertions.

The embedded workspace gets a fresh home per test; the live server is shared by the run
(``shared_server``), so tests name what they create uniquely (``fresh``) and never assume an
empty tenant.
"""

from __future__ import annotations

import functools
import http.server
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aether_data.client import AetherClient
from aether_data.service import Services, open_services
from aether_data.settings import Settings
from aether_data.wire import DatasetsAPI, LintAPI, WorkspaceAPI

API_KINDS = ["embedded", "http"]


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One live server (tests/_live.py) for the whole run: ``live_server`` starts one per
    test, about a second each, which this suite cannot afford a hundred times."""
    from _live import start_thread_server  # noqa: PLC0415 - needs litestar and uvicorn

    home = tmp_path_factory.mktemp("conformance-server")
    with start_thread_server(Settings.for_home(home)) as server:
        yield server


@pytest.fixture(params=API_KINDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkspaceAPI]:
    """A ``WorkspaceAPI``: the embedded workspace, or the HTTP client of a live server."""
    if request.param == "embedded":
        with open_services(Settings.for_home(tmp_path / "home")) as services:
            yield services.workspace()
    else:
        server = request.getfixturevalue("shared_server")
        with AetherClient(server.url, server.token) as client:
            yield client


def _with_workspace(
    request: pytest.FixtureRequest, tmp_path: Path, embedded_api: Callable[[Services], Any]
) -> Iterator[tuple[WorkspaceAPI, Any]]:
    """The workspace and another API of the same services: embedded (``embedded_api`` picks
    it) or over HTTP (the client implements them all)."""
    if request.param == "embedded":
        with open_services(Settings.for_home(tmp_path / "home")) as services:
            yield services.workspace(), embedded_api(services)
        return
    server = request.getfixturevalue("shared_server")
    with AetherClient(server.url, server.token) as client:
        yield client, client


@pytest.fixture(params=API_KINDS)
def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[WorkspaceAPI, DatasetsAPI]]:
    """The workspace and the datasets API, embedded or over HTTP."""
    yield from _with_workspace(request, tmp_path, lambda services: services.datasets_api())


@pytest.fixture(params=API_KINDS)
def lint_pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[WorkspaceAPI, LintAPI]]:
    """The workspace and the lint API, embedded or over HTTP."""
    yield from _with_workspace(request, tmp_path, lambda services: services.lint_api())


@pytest.fixture
def kind(request: pytest.FixtureRequest, api: WorkspaceAPI) -> str:
    """``embedded`` or ``http``: only for the differences the protocol allows."""
    return request.node.callspec.params["api"]


@pytest.fixture
def fresh() -> Callable[[str], str]:
    """Unique names (sources, tags, checkpoints) so tests can share a live server."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def session(api: WorkspaceAPI) -> str:
    """The id of a new, empty session."""
    return api.create_session(name="conformance").id


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``(base URL, folder)`` of a plain HTTP server on loopback serving the folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass
