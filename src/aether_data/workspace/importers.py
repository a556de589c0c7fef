"""Store a folder, an archive, an fsspec URL or a git commit as a tree.

Every importer builds the tree in memory from a stream of entries (an archive is never extracted
to disk) and refuses unsafe input with ``Invalid`` naming the entry: absolute paths, ``..``,
backslashes, NUL, names that are not UTF-8, the same path twice, a file where a folder is needed,
links whose target is absolute or leads outside the tree once resolved (through other links),
and special files. A leading ``./`` on archive names is dropped (``tar -C dir -cf x.tar .``).

Content is written with ``sync=False`` and made durable by one ``flush`` before the importer
returns. Nothing is named in the catalog: recording the tree is the caller's job. A refused
import may leave unreferenced objects behind, which gc removes.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit, urlunsplit

import zstandard

from aether_data.errors import Invalid, NotFound, Unavailable
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage.base import BlobInfo, ObjectStore
from aether_data.workspace.export import _filesystem, _is_local, iter_tree
from aether_data.workspace.ingest import ingest_directory
from aether_data.workspace.paths import MAX_PATH_BYTES, normalize_path

__all__ = [
    "ARCHIVE_SUFFIXES",
    "MAX_MEMBERS",
    "ImportResult",
    "import_archive",
    "import_folder",
    "import_git",
    "import_url",
]

Progress = Callable[[int], None]

MAX_MEMBERS = 1_000_000
ARCHIVE_SUFFIXES = (
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".tar.zst",
    ".tzst",
    ".zip",
)
"""Names of single files that an import unpacks instead of storing as one file."""
"""Archives (and URL folders) with more entries than this are refused."""

_MAX_LINK_HOPS = 40  # as Linux's ELOOP limit
_PIECE = 1 << 20
_TAR_BLOCK = 512
_COMPRESSIONS = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Errors that mean "the archive is damaged or unsupported" while reading it.
_READ_ERRORS = (
    OSError,
    EOFError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    NotImplementedError,
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an importer stored: the root tree, what it holds, and where it came from."""

    tree_id: ObjectId
    files: int
    """Entries that are not folders: regular files, executables and links."""
    bytes: int
    """Total size of the regular files' content."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Where the tree came from, e.g. ``{"url": ...}`` or ``{"git-commit": ...}``."""


# =============================================================================== folder
def import_folder(
    store: ObjectStore, path: str | os.PathLike[str], progress: Progress | None = None
) -> ImportResult:
    """Store a local folder as a tree (through ``ingest_directory``).

    Beyond ``ingest_directory``'s checks, links whose target is absolute or leads outside the
    folder are refused, as for archives, so every imported tree exports safely.
    ``progress`` is called with the byte count of each file stored.

    Raises:
        NotFound: ``path`` is not a folder.
        Invalid: an unsafe name, a special file or an escaping link (the message names it).
    """
    tree_id = ingest_directory(store, path, progress=progress)
    builder = _TreeBuilder(store, "folder")
    for entry_path, entry in iter_tree(store, tree_id):
        builder.add_entry(entry_path, entry)
    builder.check_links()
    return ImportResult(tree_id, builder.files, builder.bytes, {"folder": os.path.abspath(path)})


# =============================================================================== archive
def import_archive(
    store: ObjectStore,
    path_or_fileobj: str | os.PathLike[str] | BinaryIO,
    progress: Progress | None = None,
) -> ImportResult:
    """Store the content of a tar or zip archive as a tree, without extracting it to disk.

    The format is recognised from the content, not the name: tar (plain, gzip, bzip2, xz or
    zstd) or zip. File objects need not be seekable (a pipe, an HTTP body); a zip read from
    one is first copied to a temporary file, because zip keeps its index at the end. Member
    content is streamed into the store; declared sizes are never trusted for memory.

    Zip entries keep the Unix mode in their external attributes: executables and links are
    restored from it. A tar hard link is stored as a second copy of its target, which must be
    an earlier regular file of the archive (content addressing makes the copy free).

    Raises:
        NotFound: ``path_or_fileobj`` is a path that does not exist.
        Invalid: not a tar or zip archive, damaged, more than ``MAX_MEMBERS`` entries, or an
            unsafe entry (named in the message; see the module documentation).
    """
    with _open_source(path_or_fileobj) as (stream, name):
        builder, fmt = _read_archive(store, stream, progress)
    provenance = {"archive-format": fmt} | ({"archive": name} if name else {})
    return _finish(store, builder, provenance)


@contextmanager
def _open_source(source: str | os.PathLike[str] | BinaryIO) -> Iterator[tuple[BinaryIO, str]]:
    if not isinstance(source, str | os.PathLike):
        name = getattr(source, "name", "")
        yield source, name if isinstance(name, str) else ""
        return
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError as exc:
        raise NotFound(f"no such archive: {os.fspath(source)}") from exc
    except IsADirectoryError as exc:
        raise Invalid(f"{os.fspath(source)} is a folder, not an archive") from exc
    with stream:
        yield stream, os.path.abspath(source)


def _finish(store: ObjectStore, builder: _TreeBuilder, provenance: dict[str, str]) -> ImportResult:
    builder.check_links()
    tree_id = builder.store_trees()
    store.flush()
    return ImportResult(tree_id, builder.files, builder.bytes, provenance)


def _read_archive(
    store: ObjectStore, stream: BinaryIO, progress: Progress | None
) -> tuple[_TreeBuilder, str]:
    """Recognise the format from the first bytes and read every entry into a builder."""
    builder = _TreeBuilder(store, "archive", progress)
    magic, stream = _peek(stream, 8)
    compression = next((name for sig, name in _COMPRESSIONS if magic.startswith(sig)), None)
    if compression is not None:
        _read_tar(builder, _decompressed(stream, compression), compressed=True)
        return builder, f"tar+{compression}"
    if magic.startswith(_ZIP_MAGICS):
        _read_zip(builder, stream)
        return builder, "zip"
    if _read_tar(builder, stream, compressed=False):
        return builder, "tar"
    if _seekable(stream) and _is_zip(stream):  # a zip behind a prefix (self-extracting)
        stream.seek(0)
        _read_zip(builder, stream)
        return builder, "zip"
    raise Invalid("not a tar or zip archive")


def _is_zip(stream: BinaryIO) -> bool:
    try:
        return zipfile.is_zipfile(stream)
    except (OSError, ValueError):  # some remote files refuse a seek before their start
        return False


def _decompressed(stream: BinaryIO, compression: str) -> IO[bytes]:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if compression == "bzip2":
        return bz2.BZ2File(stream, "rb")
    if compression == "xz":
        return lzma.LZMAFile(stream, "rb")
    decompressor = zstandard.ZstdDecompressor()
    return decompressor.stream_reader(stream, read_across_frames=True, closefd=False)  # type: ignore[return-value]


# --------------------------------------------------------------------------------- tar
def _read_tar(builder: _TreeBuilder, stream: IO[bytes], *, compressed: bool) -> bool:
    """Read a tar stream into ``builder``; False if it does not start like a tar archive."""
    # Decompressors claim to seek but only by decompressing again; replay instead.
    with _damaged():
        head, stream = _peek(stream, _TAR_BLOCK, rewind=not compressed)
    if len(head) == _TAR_BLOCK and head.count(0) == _TAR_BLOCK:
        return True  # only end-of-archive blocks: an empty archive
    if not _is_tar_header(head):
        if compressed:
            raise Invalid("compressed data that is not a tar archive")
        return False
    with _damaged():
        archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 - closed below
    with archive:
        for count, member in enumerate(_tar_members(archive), start=1):
            if count > MAX_MEMBERS:
                raise Invalid(f"the archive has more than {MAX_MEMBERS} entries")
            _add_tar_member(builder, archive, member)
    return True


def _is_tar_header(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


@contextmanager
def _damaged() -> Iterator[None]:
    """Errors while reading the archive's structure mean it is damaged or not supported."""
    try:
        yield
    except _READ_ERRORS as exc:
        raise Invalid(f"the archive is damaged or not supported: {exc}") from exc


def _tar_members(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        with _damaged():
            member = archive.next()
        if member is None:
            return
        # Stream mode keeps every header it has read; a million-entry archive need not.
        archive.members.clear()
        yield member


def _add_tar_member(
    builder: _TreeBuilder, archive: tarfile.TarFile, member: tarfile.TarInfo
) -> None:
    path = _entry_path("archive", member.name, root_ok=member.isdir())
    if member.isdir():
        if path:
            builder.add_dir(path)
    elif member.isreg():
        kind = EntryKind.EXEC if member.mode & 0o111 else EntryKind.FILE
        content = archive.extractfile(member)
        assert content is not None  # a regular member always has content
        builder.add_stream(path, kind, _Guarded(content, member.name))
    elif member.issym():
        builder.add_link(path, member.linkname.encode("utf-8", "surrogateescape"))
    elif member.islnk():
        _add_hard_link(builder, path, member)
    else:
        raise Invalid(
            f"archive entry {member.name!r} is a device, FIFO or other special file; "
            "only files, folders and links can be imported"
        )


def _add_hard_link(builder: _TreeBuilder, path: str, member: tarfile.TarInfo) -> None:
    try:
        target = _entry_path("archive", member.linkname, root_ok=False)
    except Invalid as exc:
        raise Invalid(
            f"archive entry {member.name!r} is a hard link to an unsafe path: {exc}"
        ) from exc
    leaf = builder.leaf_at(target)
    if leaf is None or not leaf.kind.is_file:
        raise Invalid(
            f"archive entry {member.name!r} is a hard link to {member.linkname!r}, "
            "which is not an earlier regular file of the archive"
        )
    builder.add_blob(path, leaf.kind, BlobInfo(leaf.id, leaf.size))


# --------------------------------------------------------------------------------- zip
def _read_zip(builder: _TreeBuilder, stream: BinaryIO) -> None:
    if not _seekable(stream):
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(stream, spool, _PIECE)
            spool.seek(0)
            _read_zip(builder, spool)  # type: ignore[arg-type]
        return
    try:
        archive = zipfile.ZipFile(stream)
    except (*_READ_ERRORS, UnicodeDecodeError) as exc:
        raise Invalid(f"not a readable zip archive: {exc}") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise Invalid(f"the archive has more than {MAX_MEMBERS} entries")
        for member in members:
            _add_zip_member(builder, archive, member)


def _zip_name(member: zipfile.ZipInfo) -> str:
    """The entry's name as written (zipfile cuts names at NUL and guesses cp437 without the
    UTF-8 flag; Info-ZIP on Unix writes UTF-8 without setting it)."""
    name = member.orig_filename
    if member.flag_bits & 0x800:
        return name
    raw = name.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeError as exc:
        raise Invalid(f"archive entry {raw!r}: name is not valid UTF-8") from exc


def _add_zip_member(
    builder: _TreeBuilder, archive: zipfile.ZipFile, member: zipfile.ZipInfo
) -> None:
    name = _zip_name(member)
    mode = member.external_attr >> 16 if member.create_system == 3 else 0
    kind = stat.S_IFMT(mode)
    # Without a Unix mode, the MS-DOS folder flag (0x10) is the only other sign of a folder.
    is_dir = (
        name.endswith("/")
        or stat.S_ISDIR(mode)
        or (kind == 0 and bool(member.external_attr & 0x10))
    )
    path = _entry_path("archive", name, root_ok=is_dir)
    if is_dir:
        if path:
            builder.add_dir(path)
    elif kind in (0, stat.S_IFREG):
        with _open_zip_member(archive, member, name) as content:
            file_kind = EntryKind.EXEC if mode & 0o111 else EntryKind.FILE
            builder.add_stream(path, file_kind, content)
    elif kind == stat.S_IFLNK:
        with _open_zip_member(archive, member, name) as content:
            builder.add_link(path, content.read(MAX_PATH_BYTES + 1))
    else:
        raise Invalid(
            f"archive entry {name!r} is a device, FIFO or other special file; "
            "only files, folders and links can be imported"
        )


@contextmanager
def _open_zip_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str
) -> Iterator[_Guarded]:
    try:
        content = archive.open(member)
    except (*_READ_ERRORS, RuntimeError) as exc:  # RuntimeError: encrypted
        raise Invalid(f"cannot read archive entry {name!r}: {exc}") from exc
    with content:
        yield _Guarded(content, name)


# --------------------------------------------------------------------------------- streams
class _Guarded:
    """A read-only stream whose read errors become ``Invalid`` naming the archive entry."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._name = name

    def read(self, n: int = -1) -> bytes:
        try:
            return self._stream.read(n)
        except _READ_ERRORS as exc:
            raise Invalid(f"cannot read archive entry {self._name!r}: {exc}") from exc


class _Replay:
    """A read-only stream that returns ``head`` again before the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def read(self, n: int | None = -1) -> bytes:
        if not self._head:
            return self._stream.read(n)
        if n is None or n < 0:
            piece, self._head = self._head + self._stream.read(), b""
        else:
            piece, self._head = self._head[:n], self._head[n:]
        return piece

    def seekable(self) -> bool:
        return False


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _peek(stream: Any, size: int, *, rewind: bool = True) -> tuple[bytes, Any]:
    """The first ``size`` bytes of ``stream``, and a stream that still starts with them."""
    if rewind and _seekable(stream):
        start = stream.tell()
        head = _read_up_to(stream, size)
        stream.seek(start)
        return head, stream
    head = _read_up_to(stream, size)
    return head, _Replay(head, stream)


def _read_up_to(stream: Any, size: int) -> bytes:
    parts, have = [], 0
    while have < size and (piece := stream.read(size - have)):
        parts.append(piece)
        have += len(piece)
    return b"".join(parts)


# =============================================================================== url
def import_url(
    store: ObjectStore,
    url: str,
    storage_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Store what an fsspec URL names (file://, s3://, http(s)://, memory://, ...) as a tree.

    A single file named like an archive (``ARCHIVE_SUFFIXES``: .tar, .tar.gz, .tgz, .zip, ...)
    is unpacked as one (``import_archive``); any other single file (a dataset: ``orders.csv``,
    ``x.parquet``) becomes a tree holding that one file under its name.
    A folder is walked with fsspec and every file streamed into the store, with the same name
    checks; a local folder (file://) goes through ``import_folder``, which keeps links and
    executable bits. Elsewhere a file is executable only if the filesystem reports a mode.
    ``storage_options`` go to the fsspec filesystem (credentials, endpoint).

    Raises:
        NotFound: nothing at ``url``.
        MissingExtra: s3:// without s3fs installed.
        Invalid: an unsupported URL, a damaged archive, or an unsafe entry.
    """
    fs, root = _filesystem(url, storage_options)
    provenance = {"url": _without_password(url)}
    if _url_type(fs, root, url) == "file":
        with _guard_missing(url), fs.open(root, "rb") as stream:
            builder = _read_single(store, _file_name(root), stream, progress)
        return _finish(store, builder, provenance)
    if _is_local(fs):
        return replace(import_folder(store, root, progress), provenance=provenance)
    builder = _TreeBuilder(store, "URL", progress)
    _walk_url(builder, fs, root)
    return _finish(store, builder, provenance)


def _read_single(
    store: ObjectStore, name: str, stream: BinaryIO, progress: Progress | None
) -> _TreeBuilder:
    """An archive (by its name) is unpacked; any other file is the one file of the tree."""
    if name.lower().endswith(ARCHIVE_SUFFIXES):
        return _read_archive(store, stream, progress)[0]
    builder = _TreeBuilder(store, "URL", progress)
    builder.add_stream(_entry_path("URL", name, root_ok=False), EntryKind.FILE, stream)
    return builder


def _file_name(root: str) -> str:
    name = root.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not name:
        raise Invalid(f"cannot name the file at {root!r}")
    return name


def _url_type(fs: Any, root: str, url: str) -> str:
    with _guard_missing(url):
        kind = fs.info(root).get("type")
    if kind not in ("file", "directory"):
        raise Invalid(f"{url} is neither a file nor a folder (type {kind!r})")
    return str(kind)


@contextmanager
def _guard_missing(url: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError as exc:
        raise NotFound(f"nothing at {url}") from exc


def _walk_url(builder: _TreeBuilder, fs: Any, root: str) -> None:
    prefix = root.rstrip("/") + "/"
    listing: dict[str, dict[str, Any]] = fs.find(root, withdirs=True, detail=True)
    if len(listing) > MAX_MEMBERS:
        raise Invalid(f"the folder has more than {MAX_MEMBERS} entries")
    for full in sorted(listing):
        if not full.startswith(prefix):
            continue  # the root itself
        path = _entry_path("URL", full[len(prefix) :], root_ok=False)
        info = listing[full]
        if info.get("type") == "directory":
            builder.add_dir(path)
        elif info.get("type") == "file":
            with fs.open(full, "rb") as content:
                builder.add_stream(path, _kind_from_mode(info.get("mode")), content)
        else:
            raise Invalid(f"URL entry {path!r} is neither a file nor a folder")


def _kind_from_mode(mode: object) -> EntryKind:
    return EntryKind.EXEC if isinstance(mode, int) and mode & 0o111 else EntryKind.FILE


def _without_password(url: str) -> str:
    """Provenance is shown to people: keep the user name of a URL, drop its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# =============================================================================== git
def import_git(
    store: ObjectStore,
    repo: str | os.PathLike[str],
    ref: str = "HEAD",
    progress: Progress | None = None,
) -> ImportResult:
    """Store the tree of a git commit: ``repo`` is a local repository path or a URL.

    Uses the ``git`` command-line tool: a URL is cloned bare into a temporary folder; a local
    repository (bare or not) is read in place. The commit's tree is listed with ``git ls-tree``
    and blobs streamed from ``git cat-file --batch``, so the tree is exactly what is committed
    (``.gitattributes`` export rules do not apply), with executable bits and symbolic links.
    Submodules become empty folders. Provenance records the commit, the ref and the repository.

    Raises:
        Unavailable: the ``git`` tool is not installed.
        NotFound: no repository at ``repo``, or ``ref`` names no commit (git's message included).
        Invalid: ``repo`` is not a git repository, or the tree holds an unsafe entry.
    """
    git = _git_tool()
    ref = str(ref)
    if not ref or ref.startswith("-"):
        raise Invalid(f"not a git ref: {ref!r}")
    source = os.fspath(repo)
    with _git_dir(git, source) as git_dir:
        commit = _resolve_commit(git, git_dir, source, ref)
        builder = _TreeBuilder(store, "git tree", progress)
        _read_git_tree(git, git_dir, commit, builder)
    provenance = {"git-commit": commit, "git-ref": ref, "git-repo": _without_password(source)}
    return _finish(store, builder, provenance)


def _git_tool() -> str:
    git = shutil.which("git")
    if git is None:
        raise Unavailable(
            "importing from git needs the git command-line tool on PATH; install git "
            "(for example: apt-get install git)"
        )
    return git


def _run_git(git: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([git, *args], stdin=subprocess.DEVNULL, capture_output=True, check=False)


def _git_message(result: subprocess.CompletedProcess[bytes]) -> str:
    return (
        result.stderr.decode("utf-8", "replace").strip() or f"git exited with {result.returncode}"
    )


_SCP_LIKE = re.compile(r"^[\w.+-]+@[\w.-]+:")


@contextmanager
def _git_dir(git: str, source: str) -> Iterator[str]:
    """The git directory to read: the repository itself, or a bare clone of a URL."""
    if source.startswith("-"):
        raise Invalid(f"not a git repository: {source!r}")
    if "://" in source or _SCP_LIKE.match(source):
        with tempfile.TemporaryDirectory(prefix="aether-git-") as scratch:
            clone = os.path.join(scratch, "repo.git")
            result = _run_git(git, "clone", "--bare", "--quiet", "--", source, clone)
            if result.returncode != 0:
                raise NotFound(f"cannot clone git repository {source}: {_git_message(result)}")
            yield clone
        return
    if not os.path.isdir(source):
        raise NotFound(f"no git repository at {source}")
    # --git-dir (not -C) so git does not search upwards into an enclosing repository.
    dot_git = os.path.join(source, ".git")
    git_dir = dot_git if os.path.exists(dot_git) else source
    result = _run_git(git, f"--git-dir={git_dir}", "rev-parse", "--git-dir")
    if result.returncode != 0:
        raise Invalid(f"{source} is not a git repository: {_git_message(result)}")
    yield git_dir


def _resolve_commit(git: str, git_dir: str, source: str, ref: str) -> str:
    def rev_parse(name: str) -> subprocess.CompletedProcess[bytes]:
        return _run_git(
            git,
            f"--git-dir={git_dir}",
            "rev-parse",
            "--verify",
            "--end-of-options",
            f"{name}^{{commit}}",
        )

    result = rev_parse(ref)
    if result.returncode != 0 and "://" in source:
        # A bare clone lacks refs outside branches and reachable tags; ask the remote for it.
        fetched = _run_git(git, f"--git-dir={git_dir}", "fetch", "--quiet", "origin", "--", ref)
        if fetched.returncode == 0:
            result = rev_parse("FETCH_HEAD")
    if result.returncode != 0:
        raise NotFound(f"git ref {ref!r} names no commit in {source}: {_git_message(result)}")
    return result.stdout.decode("ascii").strip()


def _read_git_tree(git: str, git_dir: str, commit: str, builder: _TreeBuilder) -> None:
    listing = _run_git(git, f"--git-dir={git_dir}", "ls-tree", "-r", "-t", "-z", commit)
    if listing.returncode != 0:
        raise Invalid(f"cannot list git commit {commit}: {_git_message(listing)}")
    with _CatFile(git, git_dir) as blobs:
        for record in listing.stdout.split(b"\0"):
            if record:
                _add_git_entry(builder, blobs, record)


def _add_git_entry(builder: _TreeBuilder, blobs: _CatFile, record: bytes) -> None:
    meta, _, raw_path = record.partition(b"\t")
    mode, _, oid = meta.decode("ascii").split(" ")
    path = _entry_path("git tree", raw_path, root_ok=False)
    if mode in ("040000", "160000"):  # a folder, or a submodule (kept as an empty folder)
        builder.add_dir(path)
    elif mode == "120000":
        builder.add_link(path, blobs.read_small(oid, MAX_PATH_BYTES, path))
    else:
        kind = EntryKind.EXEC if int(mode, 8) & 0o111 else EntryKind.FILE
        builder.add_blob(path, kind, blobs.store(oid, builder))


class _CatFile:
    """A ``git cat-file --batch`` process: one request, one response, so pipes never fill up.

    Each git blob is stored once, however many paths name it.
    """

    def __init__(self, git: str, git_dir: str) -> None:
        self._proc = subprocess.Popen(
            [git, f"--git-dir={git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._stored: dict[str, BlobInfo] = {}

    def __enter__(self) -> _CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc.stdin is not None
        if exc[0] is not None:
            self._proc.kill()
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        self._proc.wait()
        assert self._proc.stdout is not None
        self._proc.stdout.close()

    def store(self, oid: str, builder: _TreeBuilder) -> BlobInfo:
        if oid not in self._stored:
            size = self._request(oid)
            self._stored[oid] = builder.put_stream(_Limited(self._stdout, size))
            self._stdout.read(1)  # the newline after the content
        return self._stored[oid]

    def read_small(self, oid: str, limit: int, path: str) -> bytes:
        size = self._request(oid)
        if size > limit:
            raise Invalid(f"git tree entry {path!r}: link target is longer than {limit} bytes")
        return self._stdout.read(size + 1)[:size]  # the content and its newline

    @property
    def _stdout(self) -> IO[bytes]:
        assert self._proc.stdout is not None
        return self._proc.stdout

    def _request(self, oid: str) -> int:
        assert self._proc.stdin is not None
        self._proc.stdin.write(oid.encode("ascii") + b"\n")
        self._proc.stdin.flush()
        header = self._stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise Invalid(f"git object {oid} is not a readable blob: {b' '.join(header)!r}")
        return int(header[2])


class _Limited:
    """Reads at most ``size`` bytes of ``stream``; short input is an error, not an end."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream = stream
        self._left = size

    def read(self, n: int = -1) -> bytes:
        want = self._left if n is None or n < 0 else min(n, self._left)
        piece = self._stream.read(want) if want else b""
        if want and not piece:
            raise Invalid("git cat-file ended before the blob did")
        self._left -= len(piece)
        return piece


# =============================================================================== builder
def _entry_path(origin: str, raw: str | bytes, *, root_ok: bool) -> str:
    """The canonical path of an entry name; "" for the root itself (folders only)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"{origin} entry {raw!r}: name is not valid UTF-8") from exc
    text = raw
    while text.startswith("./"):
        text = text[2:]
    if text in ("", "."):
        if root_ok:
            return ""
        raise Invalid(f"{origin} entry {raw!r} names the root folder but is not a folder")
    try:
        return normalize_path(text)
    except Invalid as exc:
        raise Invalid(f"{origin} entry {raw!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class _Leaf:
    kind: EntryKind
    id: ObjectId
    size: int
    target: str = ""  # links only


@dataclass(slots=True)
class _Dir:
    children: dict[str, _Leaf | _Dir] = field(default_factory=dict)
    declared: bool = False  # seen as an entry of its own (not only as a parent)


class _TreeBuilder:
    """A tree under construction in memory; refuses unsafe shapes as entries arrive."""

    def __init__(self, store: ObjectStore, origin: str, progress: Progress | None = None) -> None:
        self._store = store
        self._origin = origin
        self._progress = progress
        self._root = _Dir(declared=True)
        self._links: list[str] = []
        self.files = 0
        self.bytes = 0

    def _error(self, path: str, problem: str) -> Invalid:
        return Invalid(f"{self._origin} entry {path!r}: {problem}")

    # ----------------------------------------------------------------- adding entries
    def add_dir(self, path: str) -> None:
        parent, name = self._parent(path)
        node = parent.children.get(name)
        if node is None:
            parent.children[name] = _Dir(declared=True)
        elif isinstance(node, _Dir) and not node.declared:
            node.declared = True
        else:
            raise self._error(path, "the path appears twice")

    def add_stream(self, path: str, kind: EntryKind, stream: Any) -> None:
        parent, name = self._free_slot(path)
        parent.children[name] = self._leaf(kind, self.put_stream(stream))

    def add_blob(self, path: str, kind: EntryKind, info: BlobInfo) -> None:
        parent, name = self._free_slot(path)
        parent.children[name] = self._leaf(kind, info)

    def add_link(self, path: str, target: bytes) -> None:
        text = self._link_text(path, target)
        parent, name = self._free_slot(path)
        oid = self._store.put_bytes(target, sync=False)
        parent.children[name] = _Leaf(EntryKind.LINK, oid, len(target), text)
        self._links.append(path)
        self.files += 1

    def add_entry(self, path: str, entry: TreeEntry) -> None:
        """Add an entry of a stored tree (its content is already in the store)."""
        if entry.kind is EntryKind.DIR:
            self.add_dir(path)
        elif entry.kind is EntryKind.LINK:
            self.add_link(path, self._store.read_bytes(entry.id))
        else:
            self.add_blob(path, entry.kind, BlobInfo(entry.id, entry.size))

    def put_stream(self, stream: Any) -> BlobInfo:
        info = self._store.put_stream(stream, sync=False)
        if self._progress is not None:
            self._progress(info.size)
        return info

    def _leaf(self, kind: EntryKind, info: BlobInfo) -> _Leaf:
        self.files += 1
        self.bytes += info.size
        return _Leaf(kind, info.id, info.size)

    def _link_text(self, path: str, target: bytes) -> str:
        try:
            text = target.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._error(path, f"link target {target!r} is not valid UTF-8") from exc
        if not text or "\0" in text or "\\" in text or len(target) > MAX_PATH_BYTES:
            raise self._error(path, f"link target {text!r} is empty, too long, or has NUL or '\\'")
        if text.startswith("/"):
            raise self._error(path, f"link target {text!r} is absolute; links must stay inside")
        return text

    def _free_slot(self, path: str) -> tuple[_Dir, str]:
        parent, name = self._parent(path)
        if name in parent.children:
            raise self._error(path, "the path appears twice")
        return parent, name

    def _parent(self, path: str) -> tuple[_Dir, str]:
        *folders, name = path.split("/")
        node = self._root
        for depth, part in enumerate(folders):
            child = node.children.setdefault(part, _Dir())
            if not isinstance(child, _Dir):
                blocker = "/".join(folders[: depth + 1])
                raise self._error(path, f"{blocker!r} is a file or link, not a folder")
            node = child
        return node, name

    # ----------------------------------------------------------------- reading back
    def _node(self, parts: list[str]) -> _Leaf | _Dir | None:
        node: _Leaf | _Dir | None = self._root
        for part in parts:
            if not isinstance(node, _Dir):
                return None
            node = node.children.get(part)
        return node

    def leaf_at(self, path: str) -> _Leaf | None:
        node = self._node(path.split("/"))
        return node if isinstance(node, _Leaf) else None

    # ----------------------------------------------------------------- links
    def check_links(self) -> None:
        """Refuse links that lead outside the tree, following links met on the way."""
        for path in self._links:
            self._check_link(path)

    def _check_link(self, path: str) -> None:
        leaf = self.leaf_at(path)
        assert leaf is not None
        here = path.split("/")[:-1]  # the resolved folder, always inside the tree
        pending = list(reversed(leaf.target.split("/")))
        hops = 0
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not here:
                    raise self._error(path, f"link target {leaf.target!r} leads outside the tree")
                here.pop()
                continue
            node = self._node([*here, part])
            if isinstance(node, _Leaf) and node.kind is EntryKind.LINK:
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    raise self._error(path, "links form a loop or a chain too long to follow")
                pending.extend(reversed(node.target.split("/")))  # relative to `here`
            else:
                here.append(part)  # a folder, a file or nothing: no further redirection

    # ----------------------------------------------------------------- storing
    def store_trees(self) -> ObjectId:
        """Store every folder bottom-up (iteratively: paths may be a thousand levels deep)."""
        ids: dict[int, ObjectId] = {}
        stack: list[tuple[_Dir, bool]] = [(self._root, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                ids[id(node)] = self._store.put_tree(self._tree(node, ids), sync=False)
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in node.children.values() if isinstance(c, _Dir))
        return ids[id(self._root)]

    @staticmethod
    def _tree(node: _Dir, ids: dict[int, ObjectId]) -> Tree:
        entries = []
        for name, child in node.children.items():
            if isinstance(child, _Dir):
                entries.append(TreeEntry(name, EntryKind.DIR, ids[id(child)]))
            else:
                entries.append(TreeEntry(name, child.kind, child.id, child.size))
        return Tree(entries)
