"""HTTP handlers the extension adds to a Jupyter server.

- ``/files/<path>``: a session file's bytes, streamed in pieces (never held whole), with the
  content id as ETag; the bytes sent are checked against that id at the end.
- ``/aether/api/session``: the session (``wire.Session`` as JSON).
- ``/aether/api/checkpoints``: GET lists the session's checkpoints, POST ``{"name", "message"}``
  takes one.
- ``/aether/api/diff?against=&prefix=``: what changed (``wire.Change`` list).

All of them need Jupyter's authentication and the ``contents`` permission.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from typing import TYPE_CHECKING, Any

import msgspec
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web
from tornado.iostream import StreamClosedError

from aether_data.errors import AetherError
from aether_jupyter._errors import http_error, translated, web_error

if TYPE_CHECKING:
    from aether_jupyter.contents import AetherContentsManager

__all__ = [
    "PIECE",
    "AetherFilesHandler",
    "CheckpointsHandler",
    "DiffHandler",
    "SessionHandler",
    "rest_handlers",
]

PIECE = 1 << 20
"""Bytes read from the session per piece of a ``/files/`` download."""

AUTH_RESOURCE = "contents"


class AetherFilesHandler(JupyterHandler):
    """``/files/<path>`` of the session, streamed."""

    auth_resource = AUTH_RESOURCE

    @property
    def content_security_policy(self) -> str:
        # Served HTML or SVG must not reach the server's origin (as Jupyter's FilesHandler).
        return super().content_security_policy + "; sandbox allow-scripts"

    @web.authenticated
    @authorized
    async def head(self, path: str) -> None:
        await self.get(path, include_body=False)

    @web.authenticated
    @authorized
    async def get(self, path: str, include_body: bool = True) -> None:
        self.check_xsrf_cookie()
        manager: AetherContentsManager = self.contents_manager
        path = path.strip("/")
        if not manager.allow_hidden and await manager.is_hidden(path):
            raise web.HTTPError(404)
        with translated(path):
            entry = await manager.call("stat", path)
        if entry.kind == "dir":
            raise web_error(400, f"{path} is a directory")
        self._headers_for(path, entry.size, entry.id)
        if include_body:
            await self._stream(manager, path, entry.size, entry.id)
        await self.finish()

    def _headers_for(self, path: str, size: int, content_id: str) -> None:
        name = path.rsplit("/", 1)[-1]
        if self.get_argument("download", None):
            self.set_attachment_header(name)
        kind, encoding = mimetypes.guess_type(name)
        if name.lower().endswith(".ipynb"):
            kind = "application/x-ipynb+json"
        elif kind == "text/plain":
            kind = "text/plain; charset=UTF-8"
        if encoding is not None or kind is None:
            kind = "application/gzip" if encoding == "gzip" else "application/octet-stream"
        self.set_header("Content-Type", kind)
        self.set_header("Content-Length", str(size))
        self.set_header("ETag", f'"{content_id}"')
        self.set_header("Cache-Control", "no-cache")

    async def _stream(
        self, manager: AetherContentsManager, path: str, size: int, content_id: str
    ) -> None:
        digest = hashlib.sha256()
        start = 0
        while start < size:
            try:
                piece = await manager.call("read", path, start, min(PIECE, size - start))
            except AetherError as exc:
                raise http_error(exc, path) from exc
            if not piece:
                break
            digest.update(piece)
            start += len(piece)
            self.write(piece)
            try:
                await self.flush()
            except StreamClosedError:
                return  # the client went away
        if start != size or digest.hexdigest() != content_id:
            # The file changed while it was sent: cut the response rather than end it cleanly.
            self.log.warning("%s changed during download; response cut", path)
            if self.request.connection is not None:
                self.request.connection.close()  # type: ignore[attr-defined]


class _SessionAPIHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> AetherContentsManager:
        return self.contents_manager  # type: ignore[no-any-return]

    def send(self, value: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(msgspec.to_builtins(value)))


class SessionHandler(_SessionAPIHandler):
    """GET: the session served."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        with translated(self.manager.session):
            self.send(await self.manager.call("get_session"))


class CheckpointsHandler(_SessionAPIHandler):
    """GET: every checkpoint of the session; POST ``{"name"?, "message"?}``: a new one."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        found: list[Any] = []
        cursor = None
        while True:
            with translated(self.manager.session):
                page = await self.manager.call("list_checkpoints", cursor=cursor, limit=1000)
            found += page.items
            if (cursor := page.next_cursor) is None:
                break
        self.send(found)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.get_json_body() or {}
        name, message = body.get("name"), body.get("message", "")
        with translated(self.manager.session):
            taken = await self.manager.call("checkpoint", name, message=message)
        self.set_status(201)
        self.send(taken)


class DiffHandler(_SessionAPIHandler):
    """GET ``?against=&prefix=``: what changed (against the session's origin by default)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        against = self.get_argument("against", None) or None
        prefix = self.get_argument("prefix", "")
        with translated(prefix):
            changes = await self.manager.call("diff", against=against, prefix=prefix)
        self.send(changes)


def rest_handlers(base_url: str) -> list[tuple[str, type[web.RequestHandler]]]:
    """The extension's routes under ``base_url``."""
    root = base_url.rstrip("/") + "/aether/api"
    return [
        (root + "/session", SessionHandler),
        (root + "/checkpoints", CheckpointsHandler),
        (root + "/diff", DiffHandler),
    ]
