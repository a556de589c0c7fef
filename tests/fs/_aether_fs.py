"""Helpers of the filesystem tests."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from aether_data.client import AetherClient
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI

__all__ = ["FAST", "open_api", "require"]

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


def require(module: str) -> ModuleType:
    """Import a test dependency, or skip (user's machine) / fail (CI) naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed; run: pip install 'aether-data[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason, allow_module_level=True)
