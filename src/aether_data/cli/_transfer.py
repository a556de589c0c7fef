"""Moving bytes between this machine and a ``WorkspaceAPI``: exports to files, folders and
stdout, uploads of folders and archives as new sessions, and file downloads."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from aether_data.cli._connect import Connection
from aether_data.cli._progress import byte_progress
from aether_data.cli._session_target import export_local, is_url
from aether_data.errors import Conflict, Invalid, NotFound
from aether_data.wire import ExportFormat, Session, WorkspaceAPI

__all__ = ["download_to", "export_session", "format_of", "upload_origin"]

_SUFFIXES = ((".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar", "tar"), (".zip", "zip"))


def format_of(destination: str) -> str:
    """The export format a destination's suffix names (a folder when none)."""
    found = (fmt for suffix, fmt in _SUFFIXES if destination.endswith(suffix))
    return next(found, "tar" if destination == "-" else "folder")


# ----------------------------------------------------------------------------- export
def export_session(
    conn: Connection,
    session: str,
    destination: str,
    fmt: str | None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write a session's files to an archive file, stdout (``-``), a new folder or a URL."""
    fmt = fmt or format_of(destination)
    if destination == "-":
        conn.api.export(session, sys.stdout.buffer, format=_archive_format(fmt))
        sys.stdout.buffer.flush()
    elif fmt != "folder" and not is_url(destination):
        _export_file(conn.api, session, Path(destination), _archive_format(fmt))
    elif conn.services is not None:  # the data is here: write it straight from the store
        export_local(conn.services, conn.api.stat(session, "").id, destination, progress)
    elif is_url(destination):
        raise Invalid(
            f"a remote session cannot be exported to a URL ({destination}); export it to a "
            "file or folder here, or run the export on the server machine"
        )
    else:
        _export_folder(conn.api, session, Path(destination))


def _archive_format(fmt: str) -> ExportFormat:
    return "zip" if fmt == "zip" else "tar.gz" if fmt == "tar.gz" else "tar"


def _export_file(api: WorkspaceAPI, session: str, path: Path, fmt: ExportFormat) -> None:
    if path.exists():
        raise Conflict(f"{path} already exists; choose a new file name")
    with _partial(path) as partial, partial.open("wb") as out:
        api.export(session, out, format=fmt)


@contextmanager
def _partial(path: Path) -> Iterator[Path]:
    """A hidden sibling to write into; renamed onto ``path`` when the block succeeds."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        yield partial
        partial.rename(path)
    except BaseException:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise


def _export_folder(api: WorkspaceAPI, session: str, dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Conflict(f"{dest} exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=dest.parent) as archive:
        api.export(session, archive, format="tar")
        archive.seek(0)
        with _partial(dest) as partial, tarfile.open(fileobj=archive, mode="r:") as tar:
            tar.extractall(partial, filter="data")  # refuses names and links leaving it
            if dest.is_dir():
                dest.rmdir()


# ----------------------------------------------------------------------------- upload
def upload_origin(
    api: WorkspaceAPI, origin: str, *, name: str | None, tags: tuple[str, ...], as_json: bool
) -> Session:
    """A new session holding a local folder or archive, sent to the server as a tar stream."""
    if is_url(origin):
        raise Invalid(
            f"a server imports URLs into sources, not sessions: run `aether source create NAME "
            f"--from {origin}`, then `aether session create --source NAME`"
        )
    path = Path(origin)
    if path.is_dir():
        total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        opener = folder_tar(path)
    elif path.is_file():
        total, opener = path.stat().st_size, path.open("rb")
    else:
        raise NotFound(f"{origin!r} is not a folder or an archive")
    with opener as stream, byte_progress(f"uploading {origin}", total, as_json) as advance:
        return api.upload_session(_Counted(stream, advance), name=name, tags=tags)


class _Counted:
    """A reader that reports how many bytes went through it."""

    def __init__(self, stream: BinaryIO, advance: Callable[[int], None]) -> None:
        self._stream, self._advance = stream, advance

    def read(self, size: int = -1) -> bytes:
        piece = self._stream.read(size)
        self._advance(len(piece))
        return piece


@contextmanager
def folder_tar(folder: Path) -> Iterator[BinaryIO]:
    """A stream of ``folder`` as a tar archive, written by a thread as it is read.

    If writing fails (an unreadable file, a socket in the folder), the reader raises that
    error instead of ending, so a half archive is never taken for a whole one.
    """
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []
    writer = threading.Thread(
        target=_write_tar, args=(folder, write_fd, failure), name="aether-tar", daemon=True
    )
    reader = _PipeReader(os.fdopen(read_fd, "rb"), failure)
    writer.start()
    try:
        yield reader
    finally:
        reader.close()  # a writer still blocked on a full pipe now stops with EPIPE
        writer.join()


def _write_tar(folder: Path, write_fd: int, failure: list[BaseException]) -> None:
    out = os.fdopen(write_fd, "wb")
    try:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in _walk(folder):
                _add(tar, path, path.relative_to(folder).as_posix())
    except BrokenPipeError:
        pass  # the reader gave up; its own error says why
    except BaseException as exc:  # handed to the reader, who raises it
        failure.append(exc)
    finally:
        with suppress(BrokenPipeError):
            out.close()


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):  # links to folders are listed, not entered
        dirs.sort()
        for name in sorted(dirs + files):
            yield Path(root, name)


def _add(tar: tarfile.TarFile, path: Path, name: str) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    if info.islnk():  # a second name of one inode: send the content again, as its own file
        info.type, info.linkname = tarfile.REGTYPE, ""
        info.size = path.stat().st_size
    if info.isreg():
        with path.open("rb") as data:
            tar.addfile(info, data)
    elif info.isdir() or info.issym():
        tar.addfile(info)
    else:
        raise Invalid(f"{path} is not a file, folder or link; move it out of the folder")


class _PipeReader:
    def __init__(self, raw: BinaryIO, failure: list[BaseException]) -> None:
        self._raw, self._failure = raw, failure

    def read(self, size: int = -1) -> bytes:
        piece = self._raw.read(size)
        if not piece and self._failure:
            raise self._failure[0]
        return piece

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _PipeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------- download
def download_to(api: WorkspaceAPI, session: str, path: str, destination: Path) -> None:
    """Copy a session file to a local file; a failure leaves no partial file behind."""
    with _partial(destination) as partial, partial.open("wb") as out:
        api.download(session, path, out)
