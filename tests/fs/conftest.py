"""Filesystem fixtures: an ``AetherFileSystem`` over the embedded workspace (a fresh home per
test), or over the HTTP client of one live server shared by the run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aether_data.fs import AetherFileSystem
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI


@pytest.fixture(scope="session")
def fs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One live server (tests/_live.py) for every filesystem test of the run."""
    from _live import start_thread_server  # noqa: PLC0415 - needs litestar and uvicorn

    with start_thread_server(Settings.for_home(tmp_path_factory.mktemp("fs-server"))) as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[WorkspaceAPI]:
    """The embedded workspace of a fresh home."""
    with open_services(Settings.for_home(tmp_path / "home")) as services:
        yield services.workspace()


@pytest.fixture
def afs(workspace: WorkspaceAPI) -> AetherFileSystem:
    """An ``AetherFileSystem`` over the embedded workspace."""
    return AetherFileSystem(api=workspace, skip_instance_cache=True)


@pytest.fixture
def sid(workspace: WorkspaceAPI) -> str:
    """A new, empty session's id."""
    return workspace.create_session(name="fs").id
