"""``AetherCheckpoints``: Jupyter's per-file checkpoints as session checkpoints.

A Jupyter checkpoint of ``path`` is a session checkpoint (a snapshot of the whole tree, O(1))
named ``jupyter-<digest of path>-<time>-<random>`` (Jupyter's routes take ids of word
characters and ``-`` only); its message names the path. Restoring it puts back
that one file's content, leaving the rest of the session as it is.

Session checkpoints are immutable and have no delete, so deleting a Jupyter checkpoint adds a
marker checkpoint ``deleted-<name>`` that hides it (the snapshot itself stays, still usable
with ``aether session restore``); and checkpoints stay with the path they were taken for when
a file is renamed (they cannot be renamed).

A restore first asks ``diff(against=checkpoint, prefix=path)`` (nothing to do when the file
did not change), then reads the file as it was at the checkpoint (``download(..., at=...)``,
no other session is made) and writes it back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from jupyter_server.services.contents.checkpoints import AsyncCheckpoints

from aether_data.errors import AetherError
from aether_data.wire import Checkpoint
from aether_jupyter._errors import translated, web_error

if TYPE_CHECKING:
    from aether_jupyter.contents import AetherContentsManager

__all__ = ["AetherCheckpoints", "checkpoint_prefix"]

_DELETED = "deleted-"
_PAGE = 1000


def checkpoint_prefix(path: str) -> str:
    """The start of the names of the session checkpoints taken for ``path``."""
    digest = hashlib.sha256(path.strip("/").encode("utf-8")).hexdigest()[:24]
    return f"jupyter-{digest}-"


class AetherCheckpoints(AsyncCheckpoints):
    """Checkpoints of the session of the contents manager that owns them (``parent``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._with_checkpoints: set[str] = set()

    @property
    def manager(self) -> AetherContentsManager:
        return self.parent  # type: ignore[no-any-return]

    async def create_checkpoint(self, contents_mgr: Any, path: str) -> dict[str, Any]:
        path = path.strip("/")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{checkpoint_prefix(path)}{stamp}-{secrets.token_hex(2)}"
        with translated(path):
            taken = await self.manager.call(
                "checkpoint", name, message=f"Jupyter checkpoint of {path}"
            )
        self._with_checkpoints.add(path)
        return _model(taken)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        path = path.strip("/")
        found = [_model(c) for c in await self._live(path)]
        if found:
            self._with_checkpoints.add(path)
        return found

    async def has_checkpoint(self, path: str) -> bool:
        """Whether ``path`` has a checkpoint (remembered once seen: saves ask every time)."""
        return path in self._with_checkpoints or bool(await self.list_checkpoints(path))

    async def restore_checkpoint(self, contents_mgr: Any, checkpoint_id: str, path: str) -> None:
        path = path.strip("/")
        await self._known(checkpoint_id, path)
        with translated(path):
            changes = await self.manager.call("diff", against=checkpoint_id, prefix=path)
        change = next((c for c in changes if c.path == path), None)
        if change is None:
            return  # the file is as it was
        if change.old is None:
            raise web_error(404, f"{path} is not in checkpoint {checkpoint_id}")
        out = BytesIO()
        with translated(path):
            await self.manager.call("download", path, out, at=checkpoint_id)
            entry = await self.manager.call("write", path, out.getvalue())
        self.manager.times.changed(path, entry.id)

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        path = path.strip("/")
        await self._known(checkpoint_id, path)
        with translated(path):
            await self.manager.call(
                "checkpoint", _DELETED + checkpoint_id, message=f"hides {checkpoint_id}"
            )
        self._with_checkpoints.discard(path)

    async def delete_all_checkpoints(self, path: str) -> None:
        for checkpoint in await self._live(path.strip("/")):
            await self.delete_checkpoint(checkpoint.name, path)

    async def rename_checkpoint(self, checkpoint_id: str, old_path: str, new_path: str) -> None:
        """Nothing: session checkpoints cannot be renamed; they stay with ``old_path``."""

    async def rename_all_checkpoints(self, old_path: str, new_path: str) -> None:
        """Nothing, without listing (see ``rename_checkpoint``)."""

    async def _known(self, checkpoint_id: str, path: str) -> None:
        if checkpoint_id not in {c.name for c in await self._live(path)}:
            raise web_error(404, f"checkpoint {checkpoint_id} of {path} does not exist")

    async def _live(self, path: str) -> list[Checkpoint]:
        """The session checkpoints of ``path`` not deleted, oldest first."""
        prefix = checkpoint_prefix(path)
        ours, deleted = [], set()
        for checkpoint in await self._every_checkpoint():
            if checkpoint.name.startswith(prefix):
                ours.append(checkpoint)
            elif checkpoint.name.startswith(_DELETED + prefix):
                deleted.add(checkpoint.name.removeprefix(_DELETED))
        return [c for c in ours if c.name not in deleted]

    async def _every_checkpoint(self) -> list[Checkpoint]:
        found: list[Checkpoint] = []
        cursor = None
        while True:
            try:
                page = await self.manager.call("list_checkpoints", cursor=cursor, limit=_PAGE)
            except AetherError as exc:
                raise web_error(500, f"listing checkpoints: {exc}") from exc
            found += page.items
            if (cursor := page.next_cursor) is None:
                return found


def _model(checkpoint: Checkpoint) -> dict[str, Any]:
    return {"id": checkpoint.name, "last_modified": checkpoint.created_at}
