"""Helpers of the filesystem tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aether_data.client import AetherClient
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI

__all__ = ["FAST", "open_api"]

FAST = {"store_url": "memory://", "catalog_url": "sqlite://"}
"""Embedded settings that keep objects and the catalog in memory: for suites whose subject is
the filesystem layer, not durability."""


def open_api(
    kind: str, request: pytest.FixtureRequest, home: Path, **settings: str
) -> Iterator[WorkspaceAPI]:
    """The embedded workspace in ``home`` (``settings`` override its defaults), or a client of
    the shared live server."""
    if kind == "embedded":
        with open_services(Settings.for_home(home, **settings)) as services:
            yield services.workspace()
    else:
        server = request.getfixturevalue("fs_server")
        with AetherClient(server.url, server.token) as client:
            yield client
