"""Write a stored tree out: to a local folder, a tar or zip stream, or any fsspec URL.

Every writer streams file content from the store (nothing is held whole in memory) and walks the
tree in one canonical order, so the same tree always produces the same archive bytes. Links are
written as links from their stored target text and never followed; the importers refuse targets
that leave the tree, so a tree that came in through them exports safely.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import secrets
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import zstandard

from aether_data.errors import Conflict, Invalid, MissingExtra, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, TreeEntry
from aether_data.storage.base import ObjectStore
from aether_data.workspace.paths import join

__all__ = [
    "TAR_COMPRESSIONS",
    "ZIP_EPOCH",
    "export_folder",
    "export_tar",
    "export_url",
    "export_zip",
    "iter_tree",
]

Progress = Callable[[int], None]

TAR_COMPRESSIONS = (None, "gz", "bz2", "xz", "zst")
"""Values ``export_tar`` accepts for ``compression``."""

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry; the default, so exports do not depend on the clock."""

_PIECE = 1 << 20
_FILE_MODE = {EntryKind.FILE: 0o644, EntryKind.EXEC: 0o755}
_DIR_MODE = 0o755
_LINK_MODE = 0o777
# Members at least this big get zip64 headers from the start (zipfile cannot add them later
# when it streams to an output it cannot seek back into).
_ZIP64_FROM = zipfile.ZIP64_LIMIT // 2


def iter_tree(store: ObjectStore, tree_id: ObjectId) -> Iterator[tuple[str, TreeEntry]]:
    """Yield ``(path, entry)`` for everything under a tree, depth first, in canonical order.

    A folder comes just before its contents; names within a folder come in tree order (by
    UTF-8 bytes). Paths are canonical session paths (``a/b/c``). The walk keeps one open
    listing per level, so deep trees do not recurse.
    """
    levels: list[tuple[str, Iterator[TreeEntry]]] = [("", iter(store.get_tree(tree_id)))]
    while levels:
        prefix, entries = levels[-1]
        entry = next(entries, None)
        if entry is None:
            levels.pop()
            continue
        path = join(prefix, entry.name)
        yield path, entry
        if entry.kind is EntryKind.DIR:
            levels.append((path, iter(store.get_tree(entry.id))))


# --------------------------------------------------------------------------------- folder
def export_folder(
    store: ObjectStore,
    tree_id: ObjectId,
    dest: str | os.PathLike[str],
    progress: Progress | None = None,
) -> None:
    """Materialize a tree as the local folder ``dest``, which must be empty or absent.

    Files get mode 0o644 (executables 0o755), links are created as symbolic links with their
    stored target. Everything is written into a hidden sibling folder that is renamed onto
    ``dest`` at the end, so a failure leaves ``dest`` as it was and no partial export behind.
    ``progress`` is called with the byte count of each file written.

    Raises:
        Conflict: ``dest`` exists and is not an empty folder (also if it fills up meanwhile).
    """
    target = Path(dest)
    _require_empty_folder(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _make_staging(target)
    try:
        for path, entry in iter_tree(store, tree_id):
            _write_entry(store, path, entry, staging, progress)
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _require_empty_folder(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise Conflict(f"export destination {str(target)!r} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise Conflict(f"export destination {str(target)!r} is not empty")


def _make_staging(target: Path) -> Path:
    # mkdir (not mkdtemp) so the folder gets the usual permissions, not mkdtemp's 0o700.
    while True:
        staging = target.parent / f".{target.name}.export-{secrets.token_hex(6)}"
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging


def _write_entry(
    store: ObjectStore, path: str, entry: TreeEntry, staging: Path, progress: Progress | None
) -> None:
    dest = staging / path
    if entry.kind is EntryKind.DIR:
        dest.mkdir()
    elif entry.kind is EntryKind.LINK:
        os.symlink(_link_target(store, entry, path), dest)
    else:
        _write_file(store, entry, dest, progress)


def _write_file(
    store: ObjectStore, entry: TreeEntry, dest: Path, progress: Progress | None
) -> None:
    # O_EXCL | O_NOFOLLOW: never write through anything already at the path.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(dest, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(fd, _FILE_MODE[entry.kind])
        for piece in store.iter_bytes(entry.id):
            out.write(piece)
            if progress is not None:
                progress(len(piece))


def _move_into_place(staging: Path, target: Path) -> None:
    try:
        # rename(2) replaces an empty folder and refuses a non-empty one: no check-then-act gap.
        os.rename(staging, target)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise Conflict(f"export destination {str(target)!r} changed during export") from exc
        raise


def _link_target(store: ObjectStore, entry: TreeEntry, where: str = "") -> str:
    """The target text of a stored link; ``Invalid`` if it is not a safe relative target.

    The importers refuse targets that escape the tree once resolved; this check repeats the
    part that needs no context (absolute, NUL, not UTF-8) as a last guard before writing.
    """
    raw = store.read_bytes(entry.id)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"link {where or entry.name!r} has a target that is not UTF-8") from exc
    if not text or text.startswith("/") or "\0" in text:
        raise Invalid(f"link {where or entry.name!r} has an unsafe target {text!r}")
    return text


# --------------------------------------------------------------------------------- tar
def export_tar(
    store: ObjectStore,
    tree_id: ObjectId,
    fileobj: BinaryIO,
    compression: str | None = None,
    *,
    mtime: int = 0,
) -> None:
    """Write a tree as a tar archive to ``fileobj``, streaming; ``fileobj`` need not seek.

    ``compression`` is one of ``TAR_COMPRESSIONS`` (None, "gz", "bz2", "xz", "zst"). Output is
    deterministic: canonical order, PAX format, owner 0:0 without names, every time ``mtime``,
    modes 0o644 / 0o755 (executables, folders) / 0o777 (links), and no time in the gzip
    header. ``fileobj`` is not closed.
    """
    sink = _compressor(fileobj, compression)
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for path, entry in iter_tree(store, tree_id):
            _add_tar_entry(store, archive, path, entry, mtime)
    if sink is not fileobj:
        sink.close()  # writes the compressor's trailer; fileobj itself stays open


def _compressor(fileobj: BinaryIO, compression: str | None) -> IO[bytes]:
    if compression is None:
        return fileobj
    if compression == "gz":
        return gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, mtime=0, compresslevel=6)
    if compression == "bz2":
        return bz2.BZ2File(fileobj, "wb")
    if compression == "xz":
        return lzma.LZMAFile(fileobj, "wb")
    if compression == "zst":
        return zstandard.ZstdCompressor().stream_writer(fileobj, closefd=False)
    raise Invalid(f"unknown tar compression {compression!r}; use one of {TAR_COMPRESSIONS}")


def _add_tar_entry(
    store: ObjectStore, archive: tarfile.TarFile, path: str, entry: TreeEntry, mtime: int
) -> None:
    info = tarfile.TarInfo(path)
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
    if entry.kind is EntryKind.DIR:
        info.type, info.mode = tarfile.DIRTYPE, _DIR_MODE
        archive.addfile(info)
    elif entry.kind is EntryKind.LINK:
        info.type, info.mode = tarfile.SYMTYPE, _LINK_MODE
        info.linkname = _link_target(store, entry, path)
        archive.addfile(info)
    else:
        info.mode = _FILE_MODE[entry.kind]
        with store.open(entry.id) as content:
            info.size = content.size
            archive.addfile(info, content)


# --------------------------------------------------------------------------------- zip
def export_zip(
    store: ObjectStore,
    tree_id: ObjectId,
    fileobj: BinaryIO,
    *,
    date_time: tuple[int, int, int, int, int, int] = ZIP_EPOCH,
) -> None:
    """Write a tree as a zip archive to ``fileobj``, streaming; ``fileobj`` need not seek.

    Files are deflated, folders and links stored; Unix modes go in the external attributes
    (0o644 / 0o755 for executables and folders, links as S_IFLNK with the target as content),
    so Info-ZIP and ``import_archive`` restore them. Output is deterministic: canonical order,
    every entry dated ``date_time``. Members of 1 GiB or more get zip64 headers. ``fileobj``
    is not closed.
    """
    with zipfile.ZipFile(fileobj, "w", allowZip64=True) as archive:
        for path, entry in iter_tree(store, tree_id):
            _add_zip_entry(store, archive, path, entry, date_time)


def _zip_info(
    name: str, mode: int, date_time: tuple[int, int, int, int, int, int]
) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = mode << 16
    return info


def _add_zip_entry(
    store: ObjectStore,
    archive: zipfile.ZipFile,
    path: str,
    entry: TreeEntry,
    date_time: tuple[int, int, int, int, int, int],
) -> None:
    if entry.kind is EntryKind.DIR:
        info = _zip_info(path + "/", stat.S_IFDIR | _DIR_MODE, date_time)
        info.external_attr |= 0x10  # the MS-DOS folder flag, for non-Unix unzippers
        archive.writestr(info, b"")
    elif entry.kind is EntryKind.LINK:
        info = _zip_info(path, stat.S_IFLNK | _LINK_MODE, date_time)
        archive.writestr(info, _link_target(store, entry, path).encode("utf-8"))
    else:
        info = _zip_info(path, stat.S_IFREG | _FILE_MODE[entry.kind], date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        with store.open(entry.id) as content:
            info.file_size = content.size
            with archive.open(info, "w", force_zip64=content.size >= _ZIP64_FROM) as out:
                shutil.copyfileobj(content, out, _PIECE)


# --------------------------------------------------------------------------------- fsspec
def export_url(
    store: ObjectStore,
    tree_id: ObjectId,
    url: str,
    storage_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    *,
    skip_links: bool = False,
) -> None:
    """Write every file of a tree under an fsspec URL taken as a folder (s3://, memory://, ...).

    A ``file://`` URL goes through ``export_folder`` (atomic, keeps modes and links). Elsewhere
    the destination must be absent or empty (``Conflict`` otherwise); files are streamed one by
    one, so a failure can leave part of the tree written. Executable bits are not kept, empty
    folders only where the filesystem has real folders, and links cannot be represented: a tree
    with links raises ``Invalid`` before anything is written, unless ``skip_links``.
    """
    fs, root = _filesystem(url, storage_options)
    if _is_local(fs):
        export_folder(store, tree_id, root, progress)
        return
    entries = list(iter_tree(store, tree_id))
    links = [path for path, entry in entries if entry.kind is EntryKind.LINK]
    if links and not skip_links:
        raise Invalid(f"{url} cannot hold symbolic links (first: {links[0]!r}); pass skip_links")
    _require_empty_url(fs, root, url)
    fs.makedirs(root, exist_ok=True)
    for path, entry in entries:
        _write_url_entry(store, fs, f"{root.rstrip('/')}/{path}", entry, progress)


def _write_url_entry(
    store: ObjectStore, fs: Any, dest: str, entry: TreeEntry, progress: Progress | None
) -> None:
    if entry.kind is EntryKind.DIR:
        fs.makedirs(dest, exist_ok=True)
    elif entry.kind.is_file:
        with fs.open(dest, "wb") as out:
            for piece in store.iter_bytes(entry.id):
                out.write(piece)
                if progress is not None:
                    progress(len(piece))


def _require_empty_url(fs: Any, root: str, url: str) -> None:
    if not fs.exists(root):
        return
    if fs.isfile(root):
        raise Conflict(f"export destination {url} is a file")
    if fs.ls(root, detail=False):
        raise Conflict(f"export destination {url} is not empty")


def _filesystem(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem and path for ``url``; errors by meaning for bad or unsupported URLs.

    Raises:
        MissingExtra: s3:// without s3fs installed.
        Invalid: an unknown scheme, or one whose package is not installed.
    """
    import fsspec.core  # noqa: PLC0415 - fsspec costs ~50 ms; only URL work pays for it

    protocol = url.split("://", 1)[0] if "://" in url else "file"
    try:
        return fsspec.core.url_to_fs(url, **(storage_options or {}))
    except ImportError as exc:
        if protocol in ("s3", "s3a"):
            raise MissingExtra("s3fs", "s3", f"{protocol}:// URLs") from exc
        raise Invalid(f"{protocol}:// URLs need a package that is not installed: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise Invalid(f"unsupported URL {url!r}: {exc}") from exc
    except FileNotFoundError as exc:
        raise NotFound(f"{url}: {exc}") from exc


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return "file" in protocols or "local" in protocols
