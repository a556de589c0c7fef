"""Importing folders, archives, fsspec URLs and git commits as trees; refusing unsafe input."""

from __future__ import annotations

import gzip
import http.server
import io
import os
import shutil
import stat
import subprocess
import tarfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import fsspec
import pytest
import zstandard

from aether_data.errors import Invalid, NotFound, Unavailable
from aether_data.objects import CHUNKING_THRESHOLD, EntryKind
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore
from aether_data.workspace import importers
from aether_data.workspace.export import export_zip, iter_tree
from aether_data.workspace.importers import (
    ImportResult,
    import_archive,
    import_folder,
    import_git,
    import_url,
)

FILES = {
    "README.md": b"# demo\n",
    "data/orders.csv": b"id,amount\n1,10\n2,20\n",
    "data/nested/deep/x.json": b'{"a": 1}',
    "empty.txt": b"",
    "caf\u00e9/na\u00efve.txt": b"unicode names",
}
BIG = bytes(range(256)) * (CHUNKING_THRESHOLD // 256 + 1000)  # chunked in the store


@pytest.fixture
def store() -> ObjectStore:
    return MemoryObjectStore()


def make_folder(root: Path, *, empty_dir: bool = True, big: bool = False) -> Path:
    """A folder with files, an executable, links (inside the tree) and an empty folder."""
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "link-to-readme").symlink_to("README.md")
    (root / "data" / "nested" / "up").symlink_to("../../README.md")
    if empty_dir:
        (root / "empty-dir").mkdir()
    if big:
        (root / "big.bin").write_bytes(BIG)
    return root


def flatten(store: ObjectStore, tree_id: str) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for path, entry in iter_tree(store, tree_id):
        if entry.kind is EntryKind.DIR:
            out[path + "/"] = ("dir",)
        else:
            out[path] = (entry.kind, store.read_bytes(entry.id))
    return out


def tar_bytes(*members: tuple[tarfile.TarInfo, bytes | None], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, *, link: str = "", mode: int = 0o644):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, mode
    return info


def regular(name: str, data: bytes = b"x", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    return member(name, mode=mode), data


def symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    return member(name, tarfile.SYMTYPE, link=target), None


def folder(name: str) -> tuple[tarfile.TarInfo, None]:
    return member(name, tarfile.DIRTYPE, mode=0o755), None


def zip_bytes(*entries: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def zip_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


class OneWay(io.RawIOBase):
    """A non-seekable reader, like a pipe or an HTTP body, handing out small pieces."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        piece = self._data.read(min(len(buf), 1000))
        buf[: len(piece)] = piece
        return len(piece)


# ================================================================================= folder
def test_import_folder_counts_and_provenance(store: ObjectStore, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src", big=True)
    seen: list[int] = []
    result = import_folder(store, src, progress=seen.append)
    assert isinstance(result, ImportResult)
    content = sum(len(d) for d in FILES.values()) + len(b"#!/bin/sh\necho hi\n") + len(BIG)
    assert (result.files, result.bytes) == (len(FILES) + 2 + 2, content)  # + run.sh, big, links
    assert sum(seen) == content
    assert result.provenance == {"folder": str(src)}
    flat = flatten(store, result.tree_id)
    assert flat["run.sh"][0] is EntryKind.EXEC
    assert flat["data/nested/up"] == (EntryKind.LINK, b"../../README.md")
    assert flat["empty-dir/"] == ("dir",)


@pytest.mark.parametrize("target", ["../outside", "/etc/passwd", "d/up/.."])
def test_import_folder_refuses_links_leading_outside(
    store: ObjectStore, tmp_path: Path, target: str
) -> None:
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "up").symlink_to("..")  # fine alone: it resolves to the root
    (src / "bad").symlink_to(target)
    with pytest.raises(Invalid, match="'bad'"):
        import_folder(store, src)


def test_import_folder_missing_is_not_found(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_folder(store, tmp_path / "nope")


# ================================================================================= archives
def test_tar_with_every_kind_and_hard_link(store: ObjectStore) -> None:
    data = tar_bytes(
        folder("./"),
        folder("./a"),
        regular("./a/f.txt", b"hello"),
        regular("a/run", b"#!", mode=0o755),
        symlink("a/l", "f.txt"),
        (member("a/hard", tarfile.LNKTYPE, link="./a/run"), None),
        regular("implicit/parent/x", b"x"),
        folder("implicit"),  # declared after its contents: fine
    )
    result = import_archive(store, io.BytesIO(data))
    assert flatten(store, result.tree_id) == {
        "a/": ("dir",),
        "a/f.txt": (EntryKind.FILE, b"hello"),
        "a/hard": (EntryKind.EXEC, b"#!"),
        "a/l": (EntryKind.LINK, b"f.txt"),
        "a/run": (EntryKind.EXEC, b"#!"),
        "implicit/": ("dir",),
        "implicit/parent/": ("dir",),
        "implicit/parent/x": (EntryKind.FILE, b"x"),
    }
    assert (result.files, result.bytes) == (5, 5 + 2 + 2 + 1)
    assert result.provenance == {"archive-format": "tar"}


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "zst"])
def test_compressed_tars_are_recognised_by_content(
    store: ObjectStore, tmp_path: Path, mode: str
) -> None:
    members = (regular("a.txt", b"a"), regular("big.bin", BIG))
    if mode == "zst":
        data = zstandard.ZstdCompressor().compress(tar_bytes(*members))
    else:
        data = tar_bytes(*members, mode=mode)
    path = tmp_path / "archive.bin"  # the name says nothing
    path.write_bytes(data)
    result = import_archive(store, path)
    assert flatten(store, result.tree_id)["big.bin"] == (EntryKind.FILE, BIG)
    assert result.provenance["archive"] == str(path)
    assert result.provenance["archive-format"].startswith("tar+")


def test_non_seekable_streams(store: ObjectStore) -> None:
    tar = tar_bytes(regular("a/b.txt", b"b"), mode="w:gz")
    zipped = zip_bytes(("a/b.txt", b"b"))
    from_tar = import_archive(store, OneWay(tar))
    from_zip = import_archive(store, OneWay(zipped))
    assert from_tar.tree_id == from_zip.tree_id
    assert import_archive(store, io.BufferedReader(OneWay(tar))).tree_id == from_tar.tree_id


def test_zip_honours_unix_modes(store: ObjectStore) -> None:
    data = zip_bytes(
        (zip_entry("bin/", stat.S_IFDIR | 0o755), b""),
        (zip_entry("bin/tool", stat.S_IFREG | 0o755), b"#!/bin/sh"),
        (zip_entry("bin/link", stat.S_IFLNK | 0o777), b"tool"),
        ("plain.txt", b"no unix mode"),
        ("dir-by-name/", b""),
    )
    result = import_archive(store, io.BytesIO(data))
    assert flatten(store, result.tree_id) == {
        "bin/": ("dir",),
        "bin/link": (EntryKind.LINK, b"tool"),
        "bin/tool": (EntryKind.EXEC, b"#!/bin/sh"),
        "dir-by-name/": ("dir",),
        "plain.txt": (EntryKind.FILE, b"no unix mode"),
    }
    assert result.provenance == {"archive-format": "zip"}


def test_zip_with_utf8_name_but_no_flag(store: ObjectStore) -> None:
    # Info-ZIP on Unix writes UTF-8 bytes without the UTF-8 flag; zipfile reads them as cp437.
    data = zip_bytes(("x.txt", b"1"))
    data = data.replace(b"x.txt", "\u00e9.tx".encode())  # same length: 2 bytes + 3
    result = import_archive(store, io.BytesIO(data))
    assert list(flatten(store, result.tree_id)) == ["\u00e9.tx"]


def test_empty_archives_give_the_empty_tree(store: ObjectStore) -> None:
    empty_tree = import_archive(store, io.BytesIO(tar_bytes())).tree_id
    assert import_archive(store, io.BytesIO(tar_bytes(mode="w:gz"))).tree_id == empty_tree
    assert import_archive(store, io.BytesIO(zip_bytes())).tree_id == empty_tree
    assert list(iter_tree(store, empty_tree)) == []


def test_everything_is_durable_on_return(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    result = import_archive(store, io.BytesIO(tar_bytes(regular("a", BIG))))
    reopened = LocalObjectStore(tmp_path / "objects")
    assert reopened.read_bytes(next(iter(reopened.get_tree(result.tree_id))).id) == BIG


TAR_REFUSALS: dict[str, tuple[Callable[[], bytes], str]] = {
    "dot-dot": (lambda: tar_bytes(regular("../evil")), r"'\.\./evil'.*not allowed"),
    "inner-dot-dot": (lambda: tar_bytes(regular("a/../../evil")), "a/../../evil"),
    "absolute": (lambda: tar_bytes(regular("/abs")), "'/abs'.*absolute"),
    "backslash": (lambda: tar_bytes(regular("a\\b")), "backslash"),
    "non-utf8": (lambda: _raw_name_tar(b"bad\xff.txt"), "UTF-8"),
    "duplicate": (lambda: tar_bytes(regular("a"), regular("a")), "'a'.*twice"),
    "duplicate-dir": (lambda: tar_bytes(folder("d"), folder("d/")), "'d'.*twice"),
    "file-as-folder": (
        lambda: tar_bytes(regular("a"), regular("a/b")),
        "'a/b'.*'a' is a file or link, not a folder",
    ),
    "through-symlink": (
        lambda: tar_bytes(symlink("l", "d"), folder("d"), regular("l/x")),
        "'l/x'.*'l' is a file or link",
    ),
    "link-escape": (lambda: tar_bytes(symlink("l", "../../etc/passwd")), "'l'.*outside"),
    "link-absolute": (lambda: tar_bytes(symlink("l", "/etc/passwd")), "'l'.*absolute"),
    "link-chain-escape": (
        lambda: tar_bytes(symlink("d/up", ".."), symlink("e", "d/up/..")),
        "'e'.*outside",
    ),
    "link-chain-escape-nested": (
        lambda: tar_bytes(symlink("a/b/up2", "../.."), symlink("a/x", "b/up2/../y")),
        "'a/x'.*outside",
    ),
    "link-loop": (lambda: tar_bytes(symlink("a", "b"), symlink("b", "a")), "loop"),
    "char-device": (lambda: tar_bytes((member("dev", tarfile.CHRTYPE), None)), "'dev'.*device"),
    "fifo": (lambda: tar_bytes((member("p", tarfile.FIFOTYPE), None)), "'p'.*FIFO"),
    "hard-link-missing": (
        lambda: tar_bytes((member("h", tarfile.LNKTYPE, link="nowhere"), None)),
        "'h'.*hard link",
    ),
    "hard-link-escape": (
        lambda: tar_bytes((member("h", tarfile.LNKTYPE, link="../../etc/passwd"), None)),
        "etc/passwd",
    ),
    "file-as-root": (lambda: tar_bytes(regular("./")), "root"),
}


def _raw_name_tar(name: bytes) -> bytes:
    block = bytearray(tar_bytes(regular("PLACEHOLDER.txt", b"x"), mode="w"))
    # A ustar header is the only way to carry raw bytes: patch the name, fix the checksum.
    start = block.index(b"PLACEHOLDER.txt")
    header = start - start % 512
    block[start : start + 15] = name.ljust(15, b"\0")
    block[header + 148 : header + 156] = b" " * 8
    checksum = sum(block[header : header + 512])
    block[header + 148 : header + 156] = b"%06o\0 " % checksum
    return bytes(block)


@pytest.mark.parametrize("case", sorted(TAR_REFUSALS))
def test_unsafe_tar_is_refused(store: ObjectStore, case: str) -> None:
    build, message = TAR_REFUSALS[case]
    with pytest.raises(Invalid, match=message):
        import_archive(store, io.BytesIO(build()))


def _zip_with_raw_name(name: bytes) -> bytes:
    data = zip_bytes(("PLACEHOLDER", b"x"))
    return data.replace(b"PLACEHOLDER", name.ljust(11, b"_"))


def _zip_duplicates() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"1")
        with pytest.warns(UserWarning, match="Duplicate"):
            zf.writestr("a.txt", b"2")
    return buf.getvalue()


ZIP_REFUSALS: dict[str, tuple[Callable[[], bytes], str]] = {
    "dot-dot": (lambda: zip_bytes(("../evil", b"x")), r"\.\./evil"),
    "absolute": (lambda: zip_bytes(("/abs", b"x")), "absolute"),
    "backslash": (lambda: zip_bytes(("..\\evil", b"x")), "backslash"),
    "nul": (lambda: _zip_with_raw_name(b"a\0b"), "NUL"),
    "non-utf8": (lambda: _zip_with_raw_name(b"bad\xff"), "UTF-8"),
    "duplicate": (_zip_duplicates, "twice"),
    "link-escape": (
        lambda: zip_bytes((zip_entry("l", stat.S_IFLNK | 0o777), b"../../etc/passwd")),
        "'l'.*outside",
    ),
    "device": (lambda: zip_bytes((zip_entry("dev", stat.S_IFCHR | 0o600), b"")), "device"),
}


@pytest.mark.parametrize("case", sorted(ZIP_REFUSALS))
def test_unsafe_zip_is_refused(store: ObjectStore, case: str) -> None:
    build, message = ZIP_REFUSALS[case]
    with pytest.raises(Invalid, match=message):
        import_archive(store, io.BytesIO(build()))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a tar or zip"),
        (b"just some text\n" * 100, "not a tar or zip"),
        (gzip.compress(b"not a tar at all" * 100), "compressed data that is not a tar"),
        (b"\x1f\x8bgarbage", "damaged"),
        (b"PK\x03\x04 not really a zip", "zip"),
    ],
)
def test_not_an_archive(store: ObjectStore, data: bytes, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        import_archive(store, io.BytesIO(data))


def test_truncated_member_is_refused(store: ObjectStore) -> None:
    data = tar_bytes(regular("a.bin", b"y" * 5000))
    with pytest.raises(Invalid, match=r"a\.bin|damaged"):
        import_archive(store, io.BytesIO(data[:3000]))


def test_encrypted_zip_member_is_refused(store: ObjectStore) -> None:
    data = bytearray(zip_bytes(("secret.txt", b"x")))
    # Set the "encrypted" flag bit in both headers.
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(sig) + offset
        data[at] |= 1
    with pytest.raises(Invalid, match=r"secret\.txt"):
        import_archive(store, io.BytesIO(bytes(data)))


def test_member_count_limit(store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "MAX_MEMBERS", 3)
    four = [regular(f"f{i}") for i in range(4)]
    with pytest.raises(Invalid, match="more than 3 entries"):
        import_archive(store, io.BytesIO(tar_bytes(*four)))
    with pytest.raises(Invalid, match="more than 3 entries"):
        import_archive(store, io.BytesIO(zip_bytes(*[(f"f{i}", b"") for i in range(4)])))
    assert import_archive(store, io.BytesIO(tar_bytes(*four[:3]))).files == 3


def test_declared_sizes_are_not_trusted(store: ObjectStore) -> None:
    # A zip whose central directory claims a tiny size for a big member: the reader stops at
    # the declared size and the CRC check fails, so the lie is refused rather than believed.
    data = bytearray(zip_bytes(("a.bin", b"z" * 100_000)))
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    with pytest.raises(Invalid, match=r"a\.bin"):
        import_archive(store, io.BytesIO(bytes(data)))


def test_missing_archive_path(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_archive(store, tmp_path / "nope.tar")
    with pytest.raises(Invalid, match="folder"):
        import_archive(store, tmp_path)


# ================================================================================= URLs
@pytest.fixture
def memory_root() -> Iterator[str]:
    fs = fsspec.filesystem("memory")
    root = f"/import-{uuid.uuid4().hex}"
    yield root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_import_url_memory_folder(store: ObjectStore, memory_root: str) -> None:
    fs = fsspec.filesystem("memory")
    for rel, data in FILES.items():
        fs.pipe(f"{memory_root}/{rel}", data)
    fs.makedirs(f"{memory_root}/empty-dir", exist_ok=True)
    url = f"memory://{memory_root}"
    result = import_url(store, url)
    flat = flatten(store, result.tree_id)
    assert {k: v[1] for k, v in flat.items() if v[0] != "dir"} == FILES
    assert "empty-dir/" in flat
    assert result.provenance == {"url": url}
    assert (result.files, result.bytes) == (len(FILES), sum(map(len, FILES.values())))


def test_import_url_memory_archive(store: ObjectStore, memory_root: str) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{memory_root}/x.tgz", tar_bytes(regular("a/b", b"b"), mode="w:gz"))
    fs.pipe(f"{memory_root}/notes.txt", b"plain text, not an archive")
    result = import_url(store, f"memory://{memory_root}/x.tgz")
    assert flatten(store, result.tree_id) == {"a/": ("dir",), "a/b": (EntryKind.FILE, b"b")}
    single = import_url(store, f"memory://{memory_root}/notes.txt")
    assert flatten(store, single.tree_id) == {
        "notes.txt": (EntryKind.FILE, b"plain text, not an archive")
    }
    fs.pipe(f"{memory_root}/fake.zip", b"PK but not really")
    with pytest.raises(Invalid, match="zip"):
        import_url(store, f"memory://{memory_root}/fake.zip")


def test_import_url_refuses_unsafe_names(store: ObjectStore, memory_root: str) -> None:
    fsspec.filesystem("memory").pipe(f"{memory_root}/a\\b", b"x")
    with pytest.raises(Invalid, match="backslash"):
        import_url(store, f"memory://{memory_root}")


def test_import_url_file_folder_keeps_links_and_modes(store: ObjectStore, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src")
    result = import_url(store, src.as_uri())
    assert result.tree_id == import_folder(store, src).tree_id
    assert result.provenance == {"url": src.as_uri()}


def test_import_url_file_archive(store: ObjectStore, tmp_path: Path) -> None:
    src = make_folder(tmp_path / "src")
    archive = tmp_path / "src.zip"
    with archive.open("wb") as out:
        export_zip(store, import_folder(store, src).tree_id, out)
    assert import_url(store, archive.as_uri()).tree_id == import_folder(store, src).tree_id


def test_import_url_errors(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_url(store, (tmp_path / "nope").as_uri())
    with pytest.raises(NotFound):
        import_url(store, "memory://does/not/exist")
    with pytest.raises(Invalid, match="nosuchscheme"):
        import_url(store, "nosuchscheme://x/y")


@pytest.mark.s3
def test_import_url_s3_folder_and_archive(
    store: ObjectStore, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    for rel, data in FILES.items():
        s3_client.put_object(Bucket=s3_bucket, Key=f"ws/{rel}", Body=data)
    s3_client.put_object(
        Bucket=s3_bucket, Key="ws.tar.gz", Body=tar_bytes(regular("a", BIG), mode="w:gz")
    )
    options = {
        "key": "testing",  # moto's credentials, as in tests/conftest.py
        "secret": "testing",
        "endpoint_url": s3_endpoint,
        "client_kwargs": {"region_name": "us-east-1"},
    }
    result = import_url(store, f"s3://{s3_bucket}/ws", storage_options=options)
    flat = flatten(store, result.tree_id)
    assert {k: v[1] for k, v in flat.items() if v[0] != "dir"} == FILES
    archive = import_url(store, f"s3://{s3_bucket}/ws.tar.gz", storage_options=options)
    assert flatten(store, archive.tree_id) == {"a": (EntryKind.FILE, BIG)}
    with pytest.raises(NotFound):
        import_url(store, f"s3://{s3_bucket}/missing", storage_options=options)


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def test_import_url_http_archive(store: ObjectStore, http_folder: tuple[str, Path]) -> None:
    base, served = http_folder
    (served / "x.tar.xz").write_bytes(tar_bytes(regular("a/b", b"b"), mode="w:xz"))
    result = import_url(store, f"{base}/x.tar.xz")
    assert flatten(store, result.tree_id) == {"a/": ("dir",), "a/b": (EntryKind.FILE, b"b")}


def test_provenance_drops_url_passwords(store: ObjectStore) -> None:
    assert (
        importers._without_password("https://me:secret@example.com:8443/x.tgz")
        == "https://me@example.com:8443/x.tgz"
    )
    assert importers._without_password("s3://bucket/x") == "s3://bucket/x"


# ================================================================================= git
def git(*args: str | Path, cwd: Path | None = None) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd or Path.cwd()),
        "PATH": os.environ["PATH"],
    }
    out = subprocess.run(
        ["git", *map(str, args)], cwd=cwd, env=env, capture_output=True, check=True, text=True
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main holds make_folder's content (minus the empty folder), a
    `feature` branch with one more file, and an annotated tag `v1` on the first commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "repo"
    make_folder(work, empty_dir=False)
    (work / ".gitattributes").write_text("README.md export-ignore\n")
    git("init", "--quiet", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "first", cwd=work)
    git("tag", "-a", "v1", "-m", "v1", cwd=work)
    git("checkout", "--quiet", "-b", "feature", cwd=work)
    (work / "feature.txt").write_text("new")
    git("add", "feature.txt", cwd=work)
    git("commit", "--quiet", "-m", "feature", cwd=work)
    git("checkout", "--quiet", "main", cwd=work)
    return work


def _without_git_dir(store: ObjectStore, src: Path, tmp_path: Path) -> str:
    copy = tmp_path / "copy"
    shutil.copytree(src, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    return import_folder(store, copy).tree_id


def test_import_git_local_repo(store: ObjectStore, repo: Path, tmp_path: Path) -> None:
    result = import_git(store, repo)
    assert result.provenance == {
        "git-commit": git("rev-parse", "HEAD", cwd=repo),
        "git-ref": "HEAD",
        "git-repo": str(repo),
    }
    # Exactly the committed tree: exec bits, links, and files that export-ignore would drop.
    assert result.tree_id == _without_git_dir(store, repo, tmp_path)
    flat = flatten(store, result.tree_id)
    assert flat["run.sh"][0] is EntryKind.EXEC
    assert flat["link-to-readme"] == (EntryKind.LINK, b"README.md")
    assert "README.md" in flat


def test_import_git_branch_tag_and_sha(store: ObjectStore, repo: Path) -> None:
    feature = import_git(store, repo, "feature")
    assert flatten(store, feature.tree_id)["feature.txt"] == (EntryKind.FILE, b"new")
    assert feature.provenance["git-commit"] == git("rev-parse", "feature", cwd=repo)
    tagged = import_git(store, repo, "v1")
    assert tagged.provenance["git-commit"] == git("rev-parse", "v1^{commit}", cwd=repo)
    assert tagged.tree_id == import_git(store, repo, "main").tree_id
    by_sha = import_git(store, repo, feature.provenance["git-commit"])
    assert by_sha.tree_id == feature.tree_id


def test_import_git_by_url_and_bare(store: ObjectStore, repo: Path, tmp_path: Path) -> None:
    local = import_git(store, repo, "feature")
    cloned = import_git(store, repo.as_uri(), "feature")
    assert cloned.tree_id == local.tree_id
    assert cloned.provenance["git-repo"] == repo.as_uri()
    bare = tmp_path / "bare.git"
    git("clone", "--quiet", "--bare", repo, bare)
    assert import_git(store, bare, "feature").tree_id == local.tree_id


def test_import_git_errors(store: ObjectStore, repo: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no-such-branch"):
        import_git(store, repo, "no-such-branch")
    with pytest.raises(NotFound, match="no-such-branch"):
        import_git(store, repo.as_uri(), "no-such-branch")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(Invalid, match="not a git repository"):
        import_git(store, plain)
    with pytest.raises(NotFound):
        import_git(store, tmp_path / "missing")
    with pytest.raises(NotFound, match="clone"):
        import_git(store, (tmp_path / "missing").as_uri())
    with pytest.raises(Invalid, match="ref"):
        import_git(store, repo, "--output=/tmp/x")


def test_import_git_inside_another_repo_is_not_confused(store: ObjectStore, repo: Path) -> None:
    # `data/` is a folder inside a work tree, not a repository: git must not search upwards.
    with pytest.raises(Invalid, match="not a git repository"):
        import_git(store, repo / "data")


def test_import_git_refuses_escaping_links(store: ObjectStore, repo: Path) -> None:
    (repo / "evil").symlink_to("../../etc/passwd")
    git("add", "evil", cwd=repo)
    git("commit", "--quiet", "-m", "evil", cwd=repo)
    with pytest.raises(Invalid, match=r"'evil'.*outside"):
        import_git(store, repo)


def test_git_missing_is_a_clear_error(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(importers.shutil, "which", lambda _name: None)
    with pytest.raises(Unavailable, match="git command-line tool"):
        import_git(store, tmp_path)
