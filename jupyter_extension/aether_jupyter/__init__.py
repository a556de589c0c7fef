"""Jupyter integration for Aether Data sessions.

- ``AetherContentsManager``: Jupyter's contents API over one session (embedded or remote);
- ``AetherCheckpoints``: Jupyter checkpoints as session checkpoints;
- the server extension (``jupyter server --ServerApp.jpserver_extensions="{'aether_jupyter':
  True}"``): installs the contents manager if another one is configured, streams ``/files/``
  from the session and adds ``/aether/api/session``, ``/aether/api/checkpoints`` and
  ``/aether/api/diff``.

Configuration, on the contents manager: ``c.AetherContentsManager.session`` (required),
``server_url``, ``token`` and ``home`` (else ``AETHER_SERVER``, ``AETHER_TOKEN``,
``AETHER_HOME``).
"""

from __future__ import annotations

from typing import Any

from aether_jupyter.checkpoints import AetherCheckpoints
from aether_jupyter.contents import HASH_ALGORITHM, AetherContentsManager

__all__ = [
    "HASH_ALGORITHM",
    "AetherCheckpoints",
    "AetherContentsManager",
]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "aether_jupyter"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from aether_jupyter.handlers import AetherFilesHandler, rest_handlers  # noqa: PLC0415

    manager = serverapp.contents_manager
    if not isinstance(manager, AetherContentsManager):
        manager = AetherContentsManager(
            parent=serverapp, log=serverapp.log, root_dir=serverapp.root_dir
        )
        serverapp.contents_manager = manager
        serverapp.web_app.settings["contents_manager"] = manager
        serverapp.session_manager.contents_manager = manager
    base_url = serverapp.web_app.settings["base_url"]
    # Added handlers come before the server's own: /files/ is the session's, not the disk's.
    files = (base_url.rstrip("/") + "/files/(.*)", AetherFilesHandler)
    serverapp.web_app.add_handlers(".*$", [files, *rest_handlers(base_url)])
    serverapp.log.info("aether_jupyter: serving session %s", manager.session)
