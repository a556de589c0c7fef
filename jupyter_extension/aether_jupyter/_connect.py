"""The ``WorkspaceAPI`` a Jupyter server works on: an Aether server through the HTTP client, or
the embedded workspace of a data folder."""

from __future__ import annotations

from typing import Any

from aether_data.client import AetherClient
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI

__all__ = ["connect"]


def connect(server_url: str, token: str, home: str) -> tuple[WorkspaceAPI, Any]:
    """The API to use and what to close with it (a client or the embedded services).

    Empty values come from the settings (``AETHER_SERVER``, ``AETHER_TOKEN``, ``AETHER_HOME``
    or the config file); with no server at all, the embedded workspace.
    """
    settings = Settings.from_env()
    if home:
        settings = Settings.for_home(home, server=settings.server, token=settings.token)
    server = server_url or settings.server
    if server:
        client = AetherClient(server, token or settings.token)
        return client, client
    # Deferred: the embedded workspace pulls in the whole service layer.
    from aether_data.service import open_services  # noqa: PLC0415

    services = open_services(settings)
    return services.workspace(actor=settings.actor), services
