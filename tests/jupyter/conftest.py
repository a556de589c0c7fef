"""Jupyter fixtures: pytest-jupyter's ``jp_*`` fixtures and tornado loop (for this folder only),
an embedded workspace with an empty session, and contents managers over it.

pytest-jupyter registers no plugin entry point, and ``pytest_plugins`` only works in the root
conftest: importing its names here makes its fixtures and hooks apply under tests/jupyter alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

if os.environ.get("CI") != "true":  # in CI a missing package fails at the import below
    pytest.importorskip("jupyter_server", reason="run: pip install 'aether-data[dev]'")
    pytest.importorskip("pytest_jupyter", reason="run: pip install 'aether-data[dev]'")

from pytest_jupyter.jupyter_server import *  # noqa: F403

from aether_data.service import Services, open_services
from aether_data.settings import Settings
from aether_jupyter import AetherContentsManager


@pytest.fixture
def aether_home(tmp_path) -> Any:
    return tmp_path / "aether"


@pytest.fixture
def services(aether_home) -> Iterator[Services]:
    with open_services(Settings.for_home(aether_home)) as opened:
        yield opened


@pytest.fixture
def workspace(services: Services) -> Any:
    return services.workspace()


@pytest.fixture
def session_id(workspace: Any) -> str:
    return workspace.create_session(name="jupyter").id


@pytest.fixture
def jp_server_config(aether_home: Any, session_id: str, services: Services) -> dict[str, Any]:
    """A real jupyter_server (pytest-jupyter's ``jp_serverapp``) on the session, with the
    server extension loaded."""
    return {
        "ServerApp": {
            "contents_manager_class": AetherContentsManager,
            "jpserver_extensions": {"aether_jupyter": True},
        },
        "AetherContentsManager": {"session": session_id, "home": str(aether_home)},
    }


@pytest.fixture
def make_manager(workspace: Any, session_id: str) -> Any:
    """``make_manager(api=None, **traits)``: a manager of the session (over ``api``)."""

    def make(api: Any = None, **traits: Any) -> AetherContentsManager:
        return AetherContentsManager(api=api or workspace, session=session_id, **traits)

    return make
