"""The kernel side of Jupyter: an IPython extension that binds a kernel to one session.

    %load_ext aether_data.kernel

It reads the kernel's environment: ``AETHER_SESSION`` (the session id), and the workspace as
``aether_data.settings.Settings.from_env`` does (``AETHER_SERVER`` and ``AETHER_TOKEN`` for a
server, else the embedded data folder ``AETHER_HOME``). Then it puts into the user namespace:

- ``session``: an ``AetherSession`` bound to the session: ``id``, ``info``, ``read``,
  ``write``, ``ls``, ``manifest``, ``checkpoint(message)``, ``checkpoints()`` and ``api``,
  the ``WorkspaceAPI`` underneath.
- ``con``: a DuckDB connection with one view per dataset file of the session (Parquet, CSV/TSV,
  Arrow IPC/Feather, JSON Lines), named from its path: ``data/orders.parquet`` -> ``orders``;
  files sharing a name get a name from their whole path (``aether_data.kernel._views``). Views
  read local copies kept by content hash in ``<AETHER_HOME>/cache/datasets``: a file is
  downloaded once per content, and a refresh of unchanged files downloads nothing.

and the magics:

- ``%%aether_sql [NAME]``: the cell's SQL on ``con``, as a pandas DataFrame (also assigned to
  NAME when given).
- ``%aether diff OLD [NEW] [-- PATH ...]``: the HTML dataset diff of the dataset files that
  differ (or of PATHs). OLD and NEW are a checkpoint name of the session, ``session:ID`` or
  ``source:NAME[@REF]`` as ``WorkspaceAPI.diff`` names them, or ``current`` (NEW's default).
- ``%aether checkpoint -m MSG [--name NAME]``, ``%aether refresh`` (read the manifest again and
  remake the views), ``%aether info``.

Errors (no such session, bad SQL, an unknown checkpoint) show as one line, not a traceback.

Loaded automatically by ``aether jupyter SESSION``, through the kernel's environment and its
kernelspec, nothing else: the server process (and so every kernel it starts) gets
``AETHER_SESSION`` and the workspace's ``AETHER_HOME`` / ``AETHER_SERVER`` / ``AETHER_TOKEN``,
and ``JUPYTER_PATH`` starts with ``<AETHER_HOME>/jupyter``, where a ``python3`` kernelspec runs
this Python's ``ipykernel_launcher`` with ``--ext=aether_data.kernel`` (IPython's own flag
for extensions to load at start). A kernel started some other way loads it with the
``%load_ext`` line above (loading it twice is harmless).
"""

from __future__ import annotations

import os
from typing import Any

from IPython.core.error import UsageError

from aether_data.errors import AetherError
from aether_data.kernel._binding import AetherSession, open_session
from aether_data.kernel._cache import DatasetCache
from aether_data.kernel._magics import AetherKernel, AetherMagics, report
from aether_data.kernel._views import view_names
from aether_data.settings import Settings

__all__ = [
    "SESSION_VARIABLE",
    "AetherKernel",
    "AetherSession",
    "DatasetCache",
    "load_ipython_extension",
    "open_session",
    "unload_ipython_extension",
    "view_names",
]

SESSION_VARIABLE = "AETHER_SESSION"
"""The environment variable naming the kernel's session."""

_LOADED: dict[int, AetherKernel] = {}


def load_ipython_extension(ip: Any) -> None:
    """Bind the kernel to ``$AETHER_SESSION``: push ``session`` and ``con``, register the
    magics. ``UsageError`` (one line in the notebook) when that fails."""
    try:
        settings = Settings.from_env()
        kernel = AetherKernel.open(settings, os.environ.get(SESSION_VARIABLE))
    except AetherError as exc:
        raise UsageError(f"aether: {exc}") from exc
    _LOADED[id(ip)] = kernel
    ip.register_magics(AetherMagics(ip, kernel))
    ip.push({"session": kernel.session, "con": kernel.con})
    report(kernel)


def unload_ipython_extension(ip: Any) -> None:
    """Close the connection and the workspace (``%reload_ext`` binds afresh)."""
    kernel = _LOADED.pop(id(ip), None)
    if kernel is not None:
        kernel.close()
