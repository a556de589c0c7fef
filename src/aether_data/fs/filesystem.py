"""``AetherFileSystem``: sessions as an fsspec filesystem, ``aether://SESSION/path``.

The first path component is a session id, the rest a path inside that session; the root
(``aether://``) lists the sessions as folders. Everything goes through a ``WorkspaceAPI``: the
HTTP client when a server is named, else the embedded workspace of the local settings.
"""

from __future__ import annotations

import errno
import os
import posixpath
import tempfile
import weakref
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fsspec.callbacks import DEFAULT_CALLBACK
from fsspec.spec import AbstractFileSystem
from fsspec.utils import isfilelike

from aether_data.client import AetherClient
from aether_data.errors import AetherError, Invalid
from aether_data.fs._errors import os_error, translated
from aether_data.fs._file import AetherBufferedFile
from aether_data.fs._listings import Listings
from aether_data.wire import CREATE_ONLY, Entry, Session, WorkspaceAPI

__all__ = ["AetherFileSystem"]

_SPOOL_IN_MEMORY = 16 << 20
_GLOB_MAGIC = frozenset("*?[")


def _connect(server: str | None, token: str | None) -> tuple[WorkspaceAPI, Any]:
    """The API to use and what to close with the filesystem (a client or the services).

    Unset, the server and the token come from the settings (``AETHER_SERVER``,
    ``AETHER_TOKEN`` or the config file); without a server, the embedded workspace.
    """
    # Deferred: opening the embedded workspace pulls in the whole service layer.
    from aether_data.settings import Settings  # noqa: PLC0415

    settings = Settings.from_env()
    server = server or settings.server
    if server:
        client = AetherClient(server, token or settings.token)
        return client, client
    from aether_data.service import open_services  # noqa: PLC0415

    services = open_services(settings)
    return services.workspace(), services


class AetherFileSystem(AbstractFileSystem):
    """Session files for pandas, pyarrow, DuckDB, polars and anything else using fsspec.

    Args:
        api: The ``WorkspaceAPI`` to use (an ``AetherClient`` or an embedded workspace).
        server: URL of an Aether server, used when ``api`` is None.
        token: Bearer token for ``server``.
        **storage_options: Passed on to ``AbstractFileSystem``.

    Without ``api``, the server and token not given come from the settings
    (``aether_data.settings.Settings.from_env``: ``AETHER_SERVER``, ``AETHER_TOKEN`` or the
    config file); with no server at all the filesystem opens the embedded workspace of
    ``AETHER_HOME``.

    Listings carry ``name``, ``size``, ``type`` (``file``, ``directory`` or ``link``), the
    entry ``kind`` and the content ``id`` (the file's SHA-256, also ``checksum`` and
    ``ukey``). Errors are ``OSError``s: ``FileNotFoundError``, ``FileExistsError``,
    ``IsADirectoryError``, ``NotADirectoryError``, ``PermissionError`` (read-only session,
    missing scope), ``ConnectionError`` (server unreachable).
    """

    protocol = "aether"
    root_marker = ""

    def __init__(
        self,
        api: WorkspaceAPI | None = None,
        server: str | None = None,
        token: str | None = None,
        **storage_options: Any,
    ) -> None:
        super().__init__(api=api, server=server, token=token, **storage_options)
        if api is None:
            api, owned = _connect(server, token)
            weakref.finalize(self, owned.close)
        self.api = api
        self._listings = Listings()

    # ------------------------------------------------------------------ paths
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return super()._strip_protocol(path).lstrip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        """Nothing: an ``aether://SESSION/path`` URL names no server; pass ``server`` and
        ``token`` (or ``api``) as storage options, or rely on the environment."""
        return {}

    def split_path(self, path: str) -> tuple[str, str]:
        """``(session id, path inside the session)`` of a filesystem path or URL."""
        stripped = self._strip_protocol(path)
        session, _, inner = stripped.partition("/")
        return session, inner

    # ------------------------------------------------------------------ listing
    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        session, inner = self.split_path(path)
        infos = list(self._sessions()) if not session else self._listdir(path, session, inner)
        return infos if detail else [info["name"] for info in infos]

    def _sessions(self) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.api.list_sessions(cursor=cursor)
            for session in page.items:
                yield _folder(session.id, id=session.base_tree, session=session.name)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _listdir(self, path: str, session: str, inner: str) -> list[dict[str, Any]]:
        prefix = f"{session}/{inner}" if inner else session
        remembered = self._listings.listing(prefix)
        if remembered is not None:
            return remembered
        try:
            entries = self.api.listdir(session, inner)
        except Invalid:
            return [self.info(path)]  # not a folder: fsspec lists a file as itself
        except AetherError as exc:
            raise os_error(exc, path) from exc
        infos = [_info(posixpath.join(prefix, e.name), e) for e in entries]
        self._listings.remember(prefix, infos)
        return infos

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        session, inner = self.split_path(path)
        if not session:
            return _folder("")
        name = f"{session}/{inner}" if inner else session
        remembered = self._listings.info(name)
        if remembered == {}:
            raise FileNotFoundError(errno.ENOENT, "no such file or folder", path)
        if remembered is not None:
            return remembered
        with translated(path):
            entry = self.api.stat(session, inner)
        info = _info(name, entry)
        self._listings.remember_entry(info)
        return info

    def _known_folder(self, path: str) -> bool:
        """Whether a listing of this operation shows ``path`` as a folder (no call made)."""
        remembered = self._listings.info(self._strip_protocol(path))
        return bool(remembered) and remembered["type"] == "directory"  # type: ignore[index]

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget remembered listings that a change at ``path`` makes stale."""
        self._listings.forget(None if path is None else self._strip_protocol(path))
        super().invalidate_cache(path)

    # fsspec's bulk operations list folders, then ask about each path found: within one of
    # them, answer from those listings (see _listings.py).
    def get(self, *args: Any, **kwargs: Any) -> Any:
        with self._listings.during_operation():
            return super().get(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Any:
        with self._listings.during_operation():
            return super().put(*args, **kwargs)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        with self._listings.during_operation():
            return super().copy(*args, **kwargs)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        with self._listings.during_operation():
            return super().find(*args, **kwargs)

    def expand_path(self, *args: Any, **kwargs: Any) -> Any:
        with self._listings.during_operation():
            return super().expand_path(*args, **kwargs)

    def checksum(self, path: str) -> str:  # type: ignore[override]
        """The content id (SHA-256 hex) of a file: equal ids mean equal bytes."""
        return self.info(path)["id"]

    def ukey(self, path: str) -> str:
        """The content id: it changes exactly when the content does."""
        return self.checksum(path)

    def created(self, path: str) -> datetime:
        """When the path's session was created: files carry no times of their own."""
        return self._session_of(path).created_at

    def modified(self, path: str) -> datetime:
        """When the path's session last changed: files carry no times of their own, and any
        change to a file changes its session, so this never misses a change (caches that key
        on it, like DuckDB's, stay correct)."""
        return self._session_of(path).updated_at

    def _session_of(self, path: str) -> Session:
        session, inner = self.split_path(path)
        if not session:
            raise NotImplementedError("the root (all sessions) has no time")
        with translated(path):
            if inner:
                self.api.stat(session, inner)  # the path must exist
            return self.api.get_session(session)

    # ------------------------------------------------------------------ reading
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> AetherBufferedFile:
        return AetherBufferedFile(
            self,
            path,
            mode,
            block_size=block_size,
            autocommit=autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        session, inner = self.split_path(path)
        if (start or 0) < 0 or (end or 0) < 0:
            size = self.size(path)
            start = max(0, size + start) if start and start < 0 else start
            end = max(0, size + end) if end is not None and end < 0 else end
        first = start or 0
        length = -1 if end is None else max(0, end - first)
        with translated(path, invalid=errno.EISDIR):
            return self.api.read(session, inner, first, length)

    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Any = DEFAULT_CALLBACK,
        outfile: BinaryIO | None = None,
        **kwargs: Any,
    ) -> None:
        if outfile is None and isfilelike(lpath):
            outfile = lpath
        if outfile is not None:
            self._download(rpath, outfile)
            return
        if self._known_folder(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        target = _LocalTarget(os.fspath(lpath))
        try:
            entry = self._download(rpath, target)  # type: ignore[arg-type]
        except IsADirectoryError:  # a folder: found out without asking first
            target.discard()
            os.makedirs(lpath, exist_ok=True)
            return
        except BaseException:
            target.discard()
            raise
        target.close()
        callback.set_size(entry.size)
        callback.relative_update(entry.size)

    def _download(self, rpath: str, out: BinaryIO) -> Entry:
        session, inner = self.split_path(rpath)
        with translated(rpath, invalid=errno.EISDIR):
            return self.api.download(session, inner, out)

    # ------------------------------------------------------------------ writing
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        self._write(path, value, expected=CREATE_ONLY if mode == "create" else None)

    def put_file(
        self,
        lpath: Any,
        rpath: str,
        callback: Any = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        with open(lpath, "rb") as source:  # streamed: never read whole
            callback.set_size(os.fstat(source.fileno()).st_size)
            entry = self._write(rpath, source, expected=CREATE_ONLY if mode == "create" else None)
        callback.relative_update(entry.size)

    def _write(self, path: str, data: bytes | BinaryIO, *, expected: str | None) -> Entry:
        session, inner = self.split_path(path)
        self.invalidate_cache(path)
        with translated(path, conflict=errno.EISDIR):
            return self.api.write(session, inner, data, expected=expected)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        if self._known_folder(path1):
            self.makedirs(path2, exist_ok=True)
            return
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            try:
                self._download(path1, spool)
            except IsADirectoryError:  # fsspec copies folders too, as folders
                self.makedirs(path2, exist_ok=True)
                return
            spool.seek(0)
            self._write(path2, spool, expected=None)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        """Make an empty file (files carry no times, so an existing one is only truncated)."""
        if not truncate and self.exists(path):
            raise NotImplementedError("files carry no times: there is nothing to update")
        self._write(path, b"", expected=None)

    def mv(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Move inside one session with a server-side rename (a folder moves whole, at
        once); anything else (lists, globs, across sessions) is copied, then removed."""
        if not self._rename_in_place(path1, path2):
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)

    def _rename_in_place(self, path1: Any, path2: Any) -> bool:
        if not (isinstance(path1, str) and isinstance(path2, str)) or _GLOB_MAGIC & set(path1):
            return False
        (session, source), (other, destination) = self.split_path(path1), self.split_path(path2)
        if session != other or not source or not destination:
            return False
        if path2.endswith("/") or self.isdir(path2):
            destination = posixpath.join(destination, posixpath.basename(source))
        self.invalidate_cache(path1)
        self.invalidate_cache(f"{session}/{destination}")
        with translated(path1):
            self.api.rename(session, source, destination, overwrite=True)
        return True

    # ------------------------------------------------------------------ folders and removal
    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        session, inner = self.split_path(path)
        if not create_parents and inner and not self.isdir(self._parent(path)):
            raise FileNotFoundError(errno.ENOENT, "the parent folder does not exist", path)
        self._mkdir(path, session, inner, exist_ok=False)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        session, inner = self.split_path(path)
        self._mkdir(path, session, inner, exist_ok=exist_ok)

    def _mkdir(self, path: str, session: str, inner: str, *, exist_ok: bool) -> None:
        if not inner:  # a session root: it exists, or it cannot be made here
            self.info(path)
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, "the session exists", path)
            return
        self.invalidate_cache(path)
        with translated(path):
            self.api.mkdir(session, inner, exist_ok=exist_ok)

    def rmdir(self, path: str) -> None:
        session, inner = self.split_path(path)
        _refuse_root(path, inner)
        self.invalidate_cache(path)
        with translated(path, conflict=errno.ENOTEMPTY, invalid=errno.ENOTDIR):
            self.api.rmdir(session, inner)

    def rm_file(self, path: str) -> None:
        session, inner = self.split_path(path)
        _refuse_root(path, inner)
        self.invalidate_cache(path)
        with translated(path, conflict=errno.ENOTEMPTY):
            self.api.delete(session, inner)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Remove files, links and (with ``recursive``) folders; a single folder is removed
        server-side in one step."""
        if isinstance(path, str) and recursive and maxdepth is None and not _GLOB_MAGIC & set(path):
            session, inner = self.split_path(path)
            _refuse_root(path, inner)
            self.invalidate_cache(path)
            with translated(path):
                self.api.delete(session, inner, recursive=True)
            return
        with self._listings.during_operation():
            super().rm(path, recursive=recursive, maxdepth=maxdepth)


class _LocalTarget:
    """A local file opened on the first write (or on close), so that a download that turns
    out to be a folder leaves no empty file behind."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: BinaryIO | None = None

    def write(self, data: bytes) -> int:
        return self._opened().write(data)

    def _opened(self) -> BinaryIO:
        if self._file is None:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()/discard()
        return self._file

    def close(self) -> None:
        self._opened().close()

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            os.unlink(self.path)


def _refuse_root(path: str, inner: str) -> None:
    if not inner:
        raise PermissionError(
            errno.EPERM, "a session's root cannot be removed (retire the session)", path
        )


def _folder(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "size": 0, "type": "directory", **extra}


_TYPES = {"file": "file", "exec": "file", "dir": "directory", "link": "link"}


def _info(name: str, entry: Entry) -> dict[str, Any]:
    info = {"name": name, "size": entry.size, "type": _TYPES[entry.kind]}
    info.update(kind=entry.kind, id=entry.id, islink=entry.kind == "link")
    return info
