"""``session``: the kernel's handle on one session, over a ``WorkspaceAPI`` (embedded or a
server's), and what it is opened from."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aether_data.errors import Invalid
from aether_data.settings import Settings
from aether_data.wire import Checkpoint, Entry, ManifestItem, Session, WorkspaceAPI

__all__ = ["AetherSession", "manifest_items", "open_session"]

_PAGE = 1000


class AetherSession:
    """One session, as the kernel sees it: ``id``, ``info`` (the ``Session`` record, as of the
    last ``refresh``), files (``read``, ``write``, ``ls``), ``checkpoint``, and ``api``, the
    ``WorkspaceAPI`` underneath for everything else.

    Args:
        api: The workspace the session lives in.
        session_id: The session.
        cache_dir: Where dataset files are kept by content hash.
        close: Called by ``close()`` (the client or the services behind ``api``).
        datasets: The ``DatasetsAPI`` of the same workspace, when there is one.
    """

    def __init__(
        self,
        api: WorkspaceAPI,
        session_id: str,
        cache_dir: Path,
        *,
        close: Callable[[], None] = lambda: None,
        datasets: Any = None,
    ) -> None:
        self.api = api
        self.id = session_id
        self.cache_dir = cache_dir
        self.datasets = datasets
        self._close = close
        self.info: Session = api.get_session(session_id)

    def __repr__(self) -> str:
        name = f" {self.info.name!r}" if self.info.name else ""
        return f"<AetherSession {self.id}{name} {self.info.status}>"

    def refresh(self) -> Session:
        """Read the session record again."""
        self.info = self.api.get_session(self.id)
        return self.info

    def read(self, path: str) -> bytes:
        """The bytes of the file at ``path``."""
        return self.api.read(self.id, path)

    def read_text(self, path: str, encoding: str = "utf-8") -> str:
        """The text of the file at ``path``."""
        return self.read(path).decode(encoding)

    def write(self, path: str, data: bytes | str, *, expected: str | None = None) -> Entry:
        """Store ``data`` (text is written as UTF-8) at ``path``; ``expected``: the content
        hash the file must have now (``PreconditionFailed`` otherwise)."""
        payload = data.encode() if isinstance(data, str) else data
        return self.api.write(self.id, path, payload, expected=expected)

    def ls(self, path: str = "") -> list[str]:
        """The names in the folder at ``path`` (folders end in ``/``)."""
        entries = self.api.listdir(self.id, path)
        return [e.name + ("/" if e.kind == "dir" else "") for e in entries]

    def manifest(self, prefix: str = "") -> list[ManifestItem]:
        """Every file, link and folder under ``prefix``."""
        return list(manifest_items(self.api, self.id, prefix))

    def checkpoint(self, message: str = "", name: str | None = None) -> Checkpoint:
        """An immutable snapshot of the session's tree now."""
        return self.api.checkpoint(self.id, name, message=message)

    def checkpoints(self) -> list[Checkpoint]:
        """The session's checkpoints, oldest first."""
        found: list[Checkpoint] = []
        cursor = None
        while True:
            page = self.api.list_checkpoints(self.id, cursor=cursor)
            found += page.items
            if (cursor := page.next_cursor) is None:
                return found

    def download(self, path: str) -> bytes:
        """The whole file at ``path``, streamed."""
        out = io.BytesIO()
        self.api.download(self.id, path, out)
        return out.getvalue()

    def close(self) -> None:
        """Close the client or the services behind ``api``."""
        self._close()


def manifest_items(api: WorkspaceAPI, session_id: str, prefix: str = "") -> Iterator[ManifestItem]:
    """Every item of a session's manifest under ``prefix``, following the cursors."""
    cursor = None
    while True:
        page = api.manifest(session_id, prefix=prefix, cursor=cursor, limit=_PAGE)
        yield from page.items
        if (cursor := page.next_cursor) is None:
            return


def open_session(settings: Settings, session_id: str | None, cache_dir: Path) -> AetherSession:
    """The session ``session_id`` of the workspace ``settings`` name: the server of
    ``settings.server`` (with ``settings.token``), else the embedded data folder."""
    if not session_id:
        raise Invalid(
            "no session: set AETHER_SESSION to a session id in the kernel's environment "
            "(`aether jupyter SESSION` does), then %load_ext aether_data.kernel"
        )
    api, datasets, close = _workspace(settings)
    try:
        return AetherSession(api, session_id, cache_dir, close=close, datasets=datasets)
    except BaseException:
        close()
        raise


def _workspace(settings: Settings) -> tuple[WorkspaceAPI, Any, Callable[[], None]]:
    if settings.server:
        from aether_data.client import AetherClient  # noqa: PLC0415 - only remote needs it

        client = AetherClient(settings.server, settings.token)
        return client, client, client.close
    from aether_data.service import open_services  # noqa: PLC0415 - the whole service layer

    services = open_services(settings)
    workspace = services.workspace(actor=settings.actor)
    return workspace, services.datasets_api(workspace.tenant), services.close
