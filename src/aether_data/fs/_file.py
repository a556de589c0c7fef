"""``AetherBufferedFile``: ranged reads, and writes that land in one piece when the file closes.

A written file is spooled (memory, then a temporary file) and stored with a single
``write`` on close, guarded by what the path held when the file was opened: nothing there
(create-only) or the content id seen then. A writer that changed the file in between makes
the close fail instead of being overwritten.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractBufferedFile

from aether_data.fs._errors import translated
from aether_data.wire import CREATE_ONLY

if TYPE_CHECKING:
    from aether_data.fs.filesystem import AetherFileSystem

__all__ = ["AetherBufferedFile"]

_SPOOL_IN_MEMORY = 16 << 20
_PIECE = 1 << 20


class AetherBufferedFile(AbstractBufferedFile):
    """A file of a session, opened ``rb``, ``wb``, ``xb`` (create only) or ``ab``.

    Closing a written file raises ``FileExistsError`` when a create-only file appeared
    meanwhile, and ``OSError(errno.ESTALE)`` when the file changed since it was opened; the
    other writer's content stays.
    """

    fs: AetherFileSystem

    def __init__(  # noqa: PLR0917 - fsspec's positional signature
        self,
        fs: AetherFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.session, self.inner = fs.split_path(path)
        self.expected: str | None = None
        self._spool: Any = None
        if mode != "rb":
            self._prepare_write(fs, path, mode)
        super().__init__(
            fs,
            path,
            mode=mode,
            block_size=block_size,
            autocommit=autocommit,
            cache_type=cache_type,
            cache_options=cache_options,
            **kwargs,
        )
        if mode == "rb" and self.details["type"] == "directory":
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)

    # ------------------------------------------------------------------ reading
    def _fetch_range(self, start: int, end: int) -> bytes:
        with translated(self.path, invalid=errno.EISDIR):
            return self.fs.api.read(self.session, self.inner, start, end - start)

    # ------------------------------------------------------------------ writing
    def _prepare_write(self, fs: AetherFileSystem, path: str, mode: str) -> None:
        try:
            found = fs.info(path)
        except FileNotFoundError:
            found = None
        if found is not None and found["type"] == "directory":
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
        if found is not None and mode == "xb":
            raise FileExistsError(errno.EEXIST, "the file exists (opened with 'x')", path)
        self.expected = CREATE_ONLY if found is None else found["id"]
        # Lives as long as the file: closed by commit() or discard().
        self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        if found is not None and mode == "ab":
            with translated(path):
                fs.api.download(self.session, self.inner, self._spool)

    def _upload_chunk(self, final: bool = False) -> bool:
        self.buffer.seek(0)
        shutil.copyfileobj(self.buffer, self._spool, _PIECE)
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        """Store what was written, if the path still holds what it held at open."""
        if self._spool is None:
            return
        spool, self._spool = self._spool, None
        stale = errno.EEXIST if self.expected == CREATE_ONLY else errno.ESTALE
        with spool, translated(self.path, conflict=errno.EISDIR, precondition=stale):
            spool.seek(0)
            self.fs.api.write(self.session, self.inner, spool, expected=self.expected)

    def discard(self) -> None:
        """Forget what was written."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None
