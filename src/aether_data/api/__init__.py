"""The HTTP API: a Litestar app over the embedded workspace, one controller per resource.

Routes, scopes and errors are those of ``aether_data.wire`` (see ``wire.protocol``); the
guide is ``docs/http-api.md``.
"""

from aether_data.api._app import create_app

__all__ = ["create_app"]
