"""``AetherContentsManager``: Jupyter's contents API over one session's files.

Notebooks and files are read from and written to a session through a ``WorkspaceAPI``: the
HTTP client when a server is configured, else the embedded workspace. Jupyter's ``hash`` is the
file's id (its SHA-256), so it costs nothing; times come from ``_times.Times``.

Configuration (``c.AetherContentsManager.<name>``): ``session`` (required), ``server_url``,
``token``, ``home``; unset values come from the Aether settings (``AETHER_SERVER``, ...).
"""

from __future__ import annotations

import asyncio
import mimetypes
import posixpath
import tempfile
import weakref
from base64 import b64decode, encodebytes
from binascii import Error as Base64Error
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, BinaryIO

import nbformat
from jupyter_server.services.contents.manager import AsyncContentsManager, copy_pat
from tornado.web import HTTPError
from traitlets import Any as AnyTrait
from traitlets import Bool, Int, Unicode, default

from aether_data.errors import AetherError, Conflict, Invalid, NotFound
from aether_data.wire import BatchOperation, Entry
from aether_jupyter._connect import connect
from aether_jupyter._errors import http_error, translated, web_error
from aether_jupyter._times import Times
from aether_jupyter.checkpoints import AetherCheckpoints

__all__ = ["HASH_ALGORITHM", "AetherContentsManager"]

HASH_ALGORITHM = "sha256"
"""Jupyter's ``hash_algorithm``: a file's hash is its Aether id, the SHA-256 of its bytes."""

_SPOOL_IN_MEMORY = 16 << 20
_MANIFEST_PAGE = 1000


class AetherContentsManager(AsyncContentsManager):
    """Jupyter contents (notebooks, files, folders) of one Aether session.

    A save whose model carries ``hash`` (the hash the client last read) only lands if the file
    still has that content; otherwise it fails with 409 and nothing is overwritten. Jupyter's
    checkpoints are session checkpoints (``AetherCheckpoints``). Listing a folder is one call
    to the workspace, whatever the number of entries.
    """

    session = Unicode("", config=True, help="Id of the Aether session served.")
    server_url = Unicode(
        "", config=True, help="URL of an Aether server; empty: AETHER_SERVER, else embedded."
    )
    token = Unicode("", config=True, help="Bearer token for server_url (else AETHER_TOKEN).")
    home = Unicode(
        "", config=True, help="Data folder of the embedded workspace (else AETHER_HOME)."
    )
    api = AnyTrait(None, allow_none=True, help="A WorkspaceAPI to use instead of connecting.")
    hash_algorithm = HASH_ALGORITHM  # not an option: a file's hash is its id

    # FileContentsManager's options, with the same names and defaults.
    delete_to_trash = Bool(
        True,
        config=True,
        help="Sessions have no trash: this, like always_delete_dir, lets a delete remove a "
        "folder that has files (still recoverable from the session's checkpoints).",
    )
    always_delete_dir = Bool(False, config=True, help="Delete folders that have files.")
    max_copy_folder_size_mb = Int(500, config=True, help="The largest folder copy, in MB.")

    @default("checkpoints_class")
    def _default_checkpoints_class(self) -> type:
        return AetherCheckpoints

    @default("files_handler_class")
    def _default_files_handler_class(self) -> type:
        from aether_jupyter.handlers import AetherFilesHandler  # noqa: PLC0415 - a cycle

        return AetherFilesHandler

    @default("files_handler_params")
    def _default_files_handler_params(self) -> dict[str, Any]:
        return {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.api is None:
            self.api, owned = connect(self.server_url, self.token, self.home)
            weakref.finalize(self, owned.close)
        if not self.session:
            raise ValueError(
                "AetherContentsManager needs a session (c.AetherContentsManager.session)"
            )
        info = self.api.get_session(self.session)
        self._writable = info.status == "ACTIVE"
        self.times = Times(info.updated_at)
        self._staged: dict[str, tuple[tempfile.SpooledTemporaryFile[bytes], datetime]] = {}

    # ----------------------------------------------------------------- calling the workspace
    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``WorkspaceAPI.<method>(session, *args, **kwargs)`` in a worker thread (the API is
        synchronous); errors stay ``AetherError``s."""
        bound: Callable[..., Any] = getattr(self.api, method)
        return await asyncio.to_thread(bound, self.session, *args, **kwargs)

    # ----------------------------------------------------------------- existence
    async def _entry(self, path: str) -> Entry | None:
        try:
            return await self.call("stat", path)
        except NotFound:
            return None
        except AetherError as exc:
            raise http_error(exc, path) from exc

    async def dir_exists(self, path: str) -> bool:
        entry = await self._entry(path.strip("/"))
        return entry is not None and entry.kind == "dir"

    async def file_exists(self, path: str) -> bool:
        entry = await self._entry(path.strip("/"))
        return entry is not None and entry.kind != "dir"

    async def exists(self, path: str) -> bool:
        return await self._entry(path.strip("/")) is not None

    async def is_hidden(self, path: str) -> bool:
        """Whether a name on the path starts with a dot (sessions have no hidden flags)."""
        return _hidden(path)

    def _refuse_hidden(self, status: int, *paths: str) -> None:
        if not self.allow_hidden and any(_hidden(p) for p in paths):
            raise web_error(status, f"hidden file or folder: {paths[0]}")

    # ----------------------------------------------------------------- reading
    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> dict[str, Any]:
        path = path.strip("/")
        self._refuse_hidden(404, path)
        if not content:
            model = await self._model_without_content(path, type, require_hash)
        elif type == "directory" or (type is None and _folder_first(path)):
            model = await self._folder_or_file(path, type, format, require_hash)
        else:
            model = await self._file_or_folder(path, type, format, require_hash)
        self.emit(data={"action": "get", "path": path})
        return model

    async def _model_without_content(
        self, path: str, type: str | None, require_hash: bool
    ) -> dict[str, Any]:
        entry = await self._entry(path)
        if entry is None:
            raise web_error(404, f"No such file or directory: {path}")
        _check_type(path, entry.kind == "dir", type)
        return self.model_of(path, entry, type=type, require_hash=require_hash)

    async def _folder_or_file(
        self, path: str, type: str | None, format: str | None, require_hash: bool
    ) -> dict[str, Any]:
        try:
            entries = await self.call("listdir", path)
        except Invalid:  # a file after all
            _check_type(path, False, type)
            return await self._file_or_folder(path, type, format, require_hash)
        except AetherError as exc:
            raise http_error(exc, path) from exc
        return self._folder_model(path, entries)

    async def _file_or_folder(
        self, path: str, type: str | None, format: str | None, require_hash: bool
    ) -> dict[str, Any]:
        out = _Collected()
        try:
            entry = await self.call("download", path, out)
        except Invalid:  # a folder after all
            _check_type(path, True, type)
            return await self._folder_or_file(path, "directory", format, require_hash)
        except AetherError as exc:
            raise http_error(exc, path) from exc
        model = self.model_of(path, entry, type=type, require_hash=require_hash)
        if model["type"] == "notebook":
            self._fill_notebook(model, out.getvalue())
        else:
            self._fill_file(model, out.getvalue(), format)
        return model

    def _folder_model(self, path: str, entries: list[Entry]) -> dict[str, Any]:
        children = [
            self.model_of(posixpath.join(path, e.name), e)
            for e in entries
            if self.should_list(e.name) and (self.allow_hidden or not e.name.startswith("."))
        ]
        model = self._base(path, None, size=None)
        model.update(type="directory", content=children, format="json")
        return model

    def model_of(
        self,
        path: str,
        entry: Entry,
        *,
        type: str | None = None,
        require_hash: bool = False,
    ) -> dict[str, Any]:
        """The content-less model of ``path`` from its entry (no call to the workspace)."""
        if entry.kind == "dir":
            model = self._base(path, None, size=None)
            model["type"] = "directory"
            return model
        model = self._base(path, entry.id, size=entry.size)
        if type == "notebook" or (type is None and path.endswith(".ipynb")):
            model["type"] = "notebook"
        else:
            model.update(type="file", mimetype=mimetypes.guess_type(path)[0])
        if require_hash:
            model.update(hash=entry.id, hash_algorithm=HASH_ALGORITHM)
        return model

    def _base(self, path: str, content_id: str | None, *, size: int | None) -> dict[str, Any]:
        created, modified = self.times.of(path, content_id)
        return {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "last_modified": modified,
            "created": created,
            "content": None,
            "format": None,
            "mimetype": None,
            "size": size,
            "writable": self._writable,
            "hash": None,
            "hash_algorithm": None,
        }

    def _fill_notebook(self, model: dict[str, Any], data: bytes) -> None:
        path = model["path"]
        validation_error: dict[str, Any] = {}
        try:
            nb = nbformat.reads(
                data.decode("utf-8"), as_version=4, capture_validation_error=validation_error
            )
        except Exception as exc:
            raise web_error(400, f"Unreadable Notebook: {path} {exc!r}") from exc
        self.mark_trusted_cells(nb, path)
        model.update(content=nb, format="json")
        self.validate_notebook_model(model, validation_error)

    def _fill_file(self, model: dict[str, Any], data: bytes, format: str | None) -> None:
        if format in (None, "text"):
            try:
                model.update(content=data.decode("utf-8"), format="text")
            except UnicodeDecodeError as exc:
                if format == "text":
                    message = f"{model['path']} is not UTF-8 encoded"
                    raise web_error(400, message, reason="bad format") from exc
        if model["format"] is None:
            model.update(content=encodebytes(data).decode("ascii"), format="base64")
        if model["mimetype"] is None:
            default_type = {"text": "text/plain", "base64": "application/octet-stream"}
            model["mimetype"] = default_type[model["format"]]

    # ----------------------------------------------------------------- writing
    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        path = path.strip("/")
        chunk = model.get("chunk")
        if chunk is not None:
            return await self._save_chunk(model, path, chunk)
        self.run_pre_save_hooks(model=model, path=path)
        kind = model.get("type")
        if kind is None:
            raise HTTPError(400, "No file type provided")
        if "content" not in model and kind != "directory":
            raise HTTPError(400, "No file content provided")
        self._refuse_hidden(400, path)
        if kind == "directory":
            saved = await self._save_folder(path)
        elif kind == "notebook":
            saved = await self._save_notebook(model, path)
        elif kind == "file":
            data = _file_bytes(model["content"], model.get("format"))
            saved = await self._store(path, data, model, kind="file")
        else:
            raise web_error(400, f"Unhandled contents type: {kind}")
        self.run_post_save_hooks(model=saved, os_path=path)
        self.emit(data={"action": "save", "path": path})
        return saved

    async def _save_notebook(self, model: dict[str, Any], path: str) -> dict[str, Any]:
        nb = nbformat.from_dict(model["content"])
        self.check_and_sign(nb, path)
        validation_error: dict[str, Any] = {}
        text = nbformat.writes(
            nb, version=nbformat.NO_CONVERT, capture_validation_error=validation_error
        )
        saved = await self._store(path, text.encode("utf-8"), model, kind="notebook")
        # As FileContentsManager: a notebook always has a checkpoint to revert to.
        if not await self.checkpoints.has_checkpoint(path):
            await self.create_checkpoint(path)
        self.validate_notebook_model(model, validation_error=validation_error)
        if "message" in model:
            saved["message"] = model["message"]
        return saved

    async def _store(
        self, path: str, data: bytes | BinaryIO, model: dict[str, Any], *, kind: str
    ) -> dict[str, Any]:
        expected = _expected_hash(model)
        with translated(path):
            entry = await self.call("write", path, data, expected=expected)
        self.times.changed(path, entry.id)
        return self.model_of(path, entry, type=kind, require_hash=True)

    async def _save_folder(self, path: str) -> dict[str, Any]:
        try:
            await self.call("mkdir", path, exist_ok=True)
        except Conflict as exc:  # a file holds the name
            raise web_error(400, f"Not a directory: {path}") from exc
        except AetherError as exc:
            raise http_error(exc, path) from exc
        self.times.changed(path, None)
        model = self._base(path, None, size=None)
        model["type"] = "directory"
        return model

    async def _save_chunk(self, model: dict[str, Any], path: str, chunk: int) -> dict[str, Any]:
        """Chunks 1..n of an upload are staged locally; chunk -1 (the last) stores the whole
        file as one blob, in one write."""
        self._refuse_hidden(400, path)
        data = _file_bytes(model.get("content", ""), model.get("format"))
        if chunk == 1:
            self._discard_staged(path)
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
            self._staged[path] = (spool, datetime.now(UTC))
        elif path not in self._staged:
            raise web_error(400, f"chunk {chunk} of {path} without chunk 1")
        spool, started = self._staged[path]
        spool.write(data)
        if chunk != -1:
            staged = self._base(path, None, size=spool.tell())
            staged.update(type="file", last_modified=max(started, staged["last_modified"]))
            return staged
        try:
            spool.seek(0)
            saved = await self._store(path, spool, model, kind="file")  # type: ignore[arg-type]
        finally:
            self._discard_staged(path)
        self.emit(data={"action": "save", "path": path})
        return saved

    def _discard_staged(self, path: str) -> None:
        staged = self._staged.pop(path, None)
        if staged is not None:
            staged[0].close()

    # ----------------------------------------------------------------- changing the tree
    async def delete_file(self, path: str) -> None:
        path = path.strip("/")
        self._refuse_hidden(400, path)
        # Without a trash, deleted folders stay recoverable from session checkpoints only:
        # delete_to_trash and always_delete_dir both allow deleting a folder that has files.
        recursive = self.delete_to_trash or self.always_delete_dir
        try:
            await self.call("delete", path, recursive=recursive)
        except Conflict as exc:
            raise web_error(400, f"Directory {path} not empty") from exc
        except AetherError as exc:
            raise http_error(exc, path) from exc

    async def rename_file(self, old_path: str, new_path: str) -> None:
        old_path, new_path = old_path.strip("/"), new_path.strip("/")
        if old_path == new_path:
            return
        self._refuse_hidden(400, old_path, new_path)
        try:
            await self.call("rename", old_path, new_path)
        except Invalid as exc:  # e.g. a folder into itself: a taken name says more
            if await self.exists(new_path):
                raise web_error(409, f"File already exists: {new_path}") from exc
            raise http_error(exc, old_path) from exc
        except AetherError as exc:
            raise http_error(exc, old_path) from exc
        self.times.moved(old_path, new_path)

    async def copy(self, from_path: str, to_path: str | None = None) -> dict[str, Any]:
        """Copy a file or a folder (whole, in one atomic batch), as FileContentsManager names
        the copy: into a folder as ``name-CopyN``, else to the path given."""
        source = from_path.strip("/")
        with translated(source):
            entry = await self.call("stat", source)
        target = await self._copy_target(source, to_path, folder=entry.kind == "dir")
        if entry.kind == "dir":
            model = await self._copy_folder(source, target)
        else:
            out = BytesIO()
            with translated(source):
                await self.call("download", source, out)
            kind = "notebook" if target.endswith(".ipynb") else "file"
            model = await self._store(target, out.getvalue(), {}, kind=kind)
        self.emit(data={"action": "copy", "path": target, "source_path": from_path})
        return model

    async def _copy_target(self, source: str, to_path: str | None, *, folder: bool) -> str:
        parent, _, name = source.rpartition("/")
        destination = parent if to_path is None else to_path.strip("/")
        if await self.dir_exists(destination):
            unique = await self.increment_filename(copy_pat.sub(".", name), destination, "-Copy")
            return posixpath.join(destination, unique)
        if to_path is None:
            raise web_error(404, f"No such directory: {destination}")
        if folder:  # as FileContentsManager: a folder lands inside the (new) folder named
            return posixpath.join(destination, name)
        parent = destination.rpartition("/")[0]
        if parent and not await self.dir_exists(parent):
            raise web_error(404, f"No such parent directory: {parent} to copy file in")
        return destination

    async def _copy_folder(self, source: str, target: str) -> dict[str, Any]:
        items = await self._manifest(source)
        size = sum(item.size for item in items if item.kind != "dir")
        if size > self.max_copy_folder_size_mb * 1024 * 1024:
            limit = self.max_copy_folder_size_mb
            raise web_error(400, f"Can't copy folders larger than {limit}MB: {source}")
        operations = [BatchOperation(op="mkdir", path=target)]
        for item in items:
            moved = target + item.path[len(source) :]
            if item.kind == "dir":
                operations.append(BatchOperation(op="mkdir", path=moved))
            else:
                with translated(item.path):
                    data = await self.call("read", item.path)
                operations.append(BatchOperation(op="write", path=moved, data=data))
        with translated(target):
            await self.call("batch", operations)
        return await self._model_without_content(target, "directory", False)

    async def _manifest(self, folder: str) -> list[Any]:
        items: list[Any] = []
        cursor = None
        while True:
            with translated(folder):
                page = await self.call(
                    "manifest", prefix=folder, cursor=cursor, limit=_MANIFEST_PAGE
                )
            items += [i for i in page.items if i.path != folder]
            if (cursor := page.next_cursor) is None:
                return items


class _Collected:
    """A sink for ``download`` that keeps the pieces it is given and joins them once, in the
    caller's thread: the worker thread that downloads then allocates nothing (a thread's own
    malloc arena makes growing a BytesIO there slow). Pieces that are views of ``bytes``
    (immutable) are kept as they are; any other buffer is copied, as it may be reused."""

    def __init__(self) -> None:
        self._pieces: list[bytes | memoryview] = []

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = data if isinstance(data, memoryview) else None
        if isinstance(data, bytes) or (view is not None and isinstance(view.obj, bytes)):
            self._pieces.append(data)
        else:
            self._pieces.append(bytes(data))
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._pieces)


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.strip("/").split("/") if part)


def _folder_first(path: str) -> bool:
    """Whether ``path`` more likely names a folder (no extension) than a file."""
    return "." not in path.rsplit("/", 1)[-1]


def _check_type(path: str, is_folder: bool, wanted: str | None) -> None:
    if is_folder and wanted not in (None, "directory"):
        raise web_error(400, f"{path} is a directory, not a {wanted}", reason="bad type")
    if not is_folder and wanted == "directory":
        raise web_error(400, f"{path} is not a directory", reason="bad type")


def _file_bytes(content: Any, format: str | None) -> bytes:
    if format == "text":
        return str(content).encode("utf-8")
    if format == "base64":
        try:
            return b64decode(str(content).encode("ascii"))
        except (Base64Error, ValueError) as exc:
            raise web_error(400, f"Encoding error saving file: {exc}") from exc
    raise HTTPError(400, "Must specify format of file contents as 'text' or 'base64'")


def _expected_hash(model: dict[str, Any]) -> str | None:
    """The content the client last read, when it says so: a save then only replaces that."""
    known = model.get("hash")
    if not known or model.get("hash_algorithm") not in (None, HASH_ALGORITHM):
        return None
    return str(known)
