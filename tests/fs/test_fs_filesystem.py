"""``AetherFileSystem`` beyond fsspec's suites: URLs, listings, ids, preconditions on close,
server-side moves, and the errors at the edge; on the embedded workspace and over HTTP."""

from __future__ import annotations

import errno
import hashlib
import io
import pickle
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from _aether_fs import open_api

from aether_data.client import AetherClient
from aether_data.errors import (
    Conflict,
    Corrupt,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from aether_data.fs import AetherFileSystem
from aether_data.fs._errors import os_error
from aether_data.wire import WorkspaceAPI


@pytest.fixture(params=["embedded", "http"])
def fs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AetherFileSystem]:
    for api in open_api(request.param, request, tmp_path / "home"):
        yield AetherFileSystem(api=api, skip_instance_cache=True)


@pytest.fixture
def sid(fs: AetherFileSystem) -> str:
    return fs.api.create_session(name="fs").id


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- urls
def test_urls() -> None:
    cls = AetherFileSystem
    assert cls._strip_protocol("aether://s-1/data/a.csv/") == "s-1/data/a.csv"
    assert cls._strip_protocol("aether://") == ""
    assert cls._strip_protocol("s-1/x") == "s-1/x"
    assert cls._get_kwargs_from_urls("aether://s-1/x") == {}
    assert fsspec.get_filesystem_class("aether") is cls


def test_split_and_unstrip(fs: AetherFileSystem) -> None:
    assert fs.split_path("aether://s-1/data/a.csv") == ("s-1", "data/a.csv")
    assert fs.split_path("s-1") == ("s-1", "")
    assert fs.unstrip_protocol("s-1/a") == "aether://s-1/a"


def test_fsspec_open_with_storage_options(fs: AetherFileSystem, sid: str) -> None:
    with fsspec.open(f"aether://{sid}/t.txt", "w", api=fs.api) as out:
        out.write("hello")
    with fsspec.open(f"aether://{sid}/t.txt", "r", api=fs.api) as back:
        assert back.read() == "hello"


# ---------------------------------------------------------------------------- listing and info
def test_ls_and_info(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/data/a.csv", b"a,b\n")
    fs.api.write(sid, "run.sh", b"#!", executable=True)
    fs.api.symlink(sid, "latest", "data/a.csv")
    assert sid in fs.ls("", detail=False)
    assert fs.ls(sid, detail=False) == [f"{sid}/data", f"{sid}/latest", f"{sid}/run.sh"]
    info = {i["name"]: i for i in fs.ls(sid)}
    assert info[f"{sid}/data"]["type"] == "directory"
    assert (info[f"{sid}/run.sh"]["type"], info[f"{sid}/run.sh"]["kind"]) == ("file", "exec")
    assert (info[f"{sid}/latest"]["type"], info[f"{sid}/latest"]["islink"]) == ("link", True)
    a = fs.info(f"aether://{sid}/data/a.csv")
    assert (a["name"], a["size"], a["type"], a["id"]) == (
        f"{sid}/data/a.csv",
        4,
        "file",
        sha(b"a,b\n"),
    )
    assert fs.ls(f"{sid}/data/a.csv") == [a]  # a file lists as itself
    assert fs.info(sid)["type"] == "directory"
    assert fs.info("")["type"] == "directory"
    assert fs.isdir(f"{sid}/data")
    assert fs.isfile(f"{sid}/data/a.csv")
    assert not fs.exists(f"{sid}/nothing")
    with pytest.raises(FileNotFoundError):
        fs.ls(f"{sid}/nothing")
    with pytest.raises(FileNotFoundError):
        fs.info("s-0000000000000000/x")


def test_find_and_glob(fs: AetherFileSystem, sid: str) -> None:
    for path in ("a/1.csv", "a/b/2.csv", "c.txt"):
        fs.pipe(f"{sid}/{path}", b"x")
    assert fs.find(sid) == [f"{sid}/a/1.csv", f"{sid}/a/b/2.csv", f"{sid}/c.txt"]
    assert fs.glob(f"{sid}/**/*.csv") == [f"{sid}/a/1.csv", f"{sid}/a/b/2.csv"]
    assert fs.du(sid) == 3


def test_checksum_is_the_content_id(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/x.bin", b"content")
    assert fs.checksum(f"{sid}/x.bin") == sha(b"content")
    assert fs.ukey(f"{sid}/x.bin") == sha(b"content")
    assert fs.checksum(f"{sid}/x.bin") == fs.api.stat(sid, "x.bin").id


def test_times_are_the_sessions(fs: AetherFileSystem, sid: str) -> None:
    created = fs.api.get_session(sid).created_at
    assert fs.created(sid) == created
    fs.pipe(f"{sid}/f", b"f")
    first = fs.modified(f"{sid}/f")
    assert first == fs.api.get_session(sid).updated_at >= created
    assert fs.created(f"{sid}/f") == created
    fs.pipe(f"{sid}/other", b"o")
    assert fs.modified(f"{sid}/f") >= first  # any change in the session may have been this one
    with pytest.raises(FileNotFoundError):
        fs.modified(f"{sid}/missing")


# ---------------------------------------------------------------------------- reading
def test_cat_ranges(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/r", b"0123456789")
    assert fs.cat_file(f"{sid}/r") == b"0123456789"
    assert fs.cat_file(f"{sid}/r", start=2, end=5) == b"234"
    assert fs.cat_file(f"{sid}/r", start=-3) == b"789"
    assert fs.cat_file(f"{sid}/r", start=1, end=-7) == b"12"
    assert fs.cat_file(f"{sid}/r", start=20) == b""
    assert fs.read_block(f"{sid}/r", 4, 3) == b"456"
    fs.makedirs(f"{sid}/d")
    with pytest.raises(IsADirectoryError):
        fs.cat_file(f"{sid}/d")
    with pytest.raises(FileNotFoundError):
        fs.cat_file(f"{sid}/missing")


def test_open_for_reading(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/lines.txt", b"one\ntwo\nthree\n")
    with fs.open(f"{sid}/lines.txt", "rb", block_size=4) as f:
        assert f.readline() == b"one\n"
        f.seek(-6, 2)
        assert f.read() == b"three\n"
        assert f.size == 14
    with fs.open(f"{sid}/lines.txt", "r") as text:
        assert text.read().splitlines() == ["one", "two", "three"]
    fs.makedirs(f"{sid}/d")
    with pytest.raises(IsADirectoryError):
        fs.open(f"{sid}/d", "rb")
    with pytest.raises(FileNotFoundError):
        fs.open(f"{sid}/missing", "rb")


# ---------------------------------------------------------------------------- writing
def test_open_for_writing(fs: AetherFileSystem, sid: str) -> None:
    with fs.open(f"{sid}/w/new.bin", "wb", block_size=5) as f:
        for _ in range(4):
            f.write(b"0123456789")  # several blocks: spooled, stored once on close
        assert not fs.exists(f"{sid}/w/new.bin")
    assert fs.cat(f"{sid}/w/new.bin") == b"0123456789" * 4
    with fs.open(f"{sid}/w/new.bin", "wb") as f:
        f.write(b"replaced")
    assert fs.cat(f"{sid}/w/new.bin") == b"replaced"
    with fs.open(f"{sid}/w/new.bin", "ab") as f:
        f.write(b"+more")
    assert fs.cat(f"{sid}/w/new.bin") == b"replaced+more"
    with pytest.raises(FileExistsError):
        fs.open(f"{sid}/w/new.bin", "xb")
    with fs.open(f"{sid}/w/x.bin", "xb") as f:
        f.write(b"exclusive")
    assert fs.cat(f"{sid}/w/x.bin") == b"exclusive"
    with pytest.raises(IsADirectoryError):
        fs.open(f"{sid}/w", "wb")


def test_a_change_between_open_and_close_fails_the_close(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/shared.csv", b"v1")
    f = fs.open(f"{sid}/shared.csv", "wb")
    f.write(b"mine")
    fs.api.write(sid, "shared.csv", b"theirs")  # another writer, meanwhile
    with pytest.raises(OSError, match="expected") as caught:
        f.close()
    assert caught.value.errno == errno.ESTALE
    assert fs.cat(f"{sid}/shared.csv") == b"theirs"  # nothing of theirs was lost

    g = fs.open(f"{sid}/fresh.csv", "wb")
    g.write(b"mine")
    fs.api.write(sid, "fresh.csv", b"theirs first")
    with pytest.raises(FileExistsError):
        g.close()
    assert fs.cat(f"{sid}/fresh.csv") == b"theirs first"


def test_transactions_store_on_commit_only(fs: AetherFileSystem, sid: str) -> None:
    with fs.transaction:
        fs.pipe(f"{sid}/t/a", b"a")
        with fs.open(f"{sid}/t/b", "wb") as f:
            f.write(b"b")
        assert not fs.exists(f"{sid}/t/b")
    assert fs.cat(f"{sid}/t/b") == b"b"

    def abandoned() -> None:
        with fs.transaction:
            with fs.open(f"{sid}/t/c", "wb") as f:
                f.write(b"c")
            raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        abandoned()
    assert not fs.exists(f"{sid}/t/c")


def test_pipe_modes(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe_file(f"{sid}/p", b"1", mode="create")
    with pytest.raises(FileExistsError):
        fs.pipe_file(f"{sid}/p", b"2", mode="create")
    fs.pipe_file(f"{sid}/p", b"3")
    assert fs.cat(f"{sid}/p") == b"3"
    fs.makedirs(f"{sid}/folder")
    with pytest.raises(IsADirectoryError):
        fs.pipe_file(f"{sid}/folder", b"x")


def test_put_and_get_files(fs: AetherFileSystem, sid: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    (local / "a.txt").write_bytes(b"a" * 3000)
    (local / "sub" / "b.txt").write_bytes(b"b")
    fs.put(str(local), f"{sid}/up", recursive=True)
    assert fs.find(f"{sid}/up") == [f"{sid}/up/a.txt", f"{sid}/up/sub/b.txt"]
    fs.get(f"{sid}/up", str(tmp_path / "down"), recursive=True)
    assert (tmp_path / "down" / "a.txt").read_bytes() == b"a" * 3000
    assert (tmp_path / "down" / "sub" / "b.txt").read_bytes() == b"b"
    out = io.BytesIO()
    fs.get_file(f"{sid}/up/a.txt", out)
    assert out.getvalue() == b"a" * 3000
    with pytest.raises(FileNotFoundError):
        fs.get_file(f"{sid}/up/missing", str(tmp_path / "missing"))
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------------------- folders, moves
def test_folders(fs: AetherFileSystem, sid: str) -> None:
    fs.makedirs(f"{sid}/x/y")
    assert fs.isdir(f"{sid}/x/y")
    with pytest.raises(FileExistsError):
        fs.makedirs(f"{sid}/x/y")
    fs.makedirs(f"{sid}/x/y", exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.mkdir(f"{sid}/x")
    with pytest.raises(FileNotFoundError):
        fs.mkdir(f"{sid}/no/parent", create_parents=False)
    fs.mkdir(f"{sid}/x/z", create_parents=False)
    with pytest.raises(OSError, match="not empty") as caught:
        fs.rmdir(f"{sid}/x")
    assert caught.value.errno == errno.ENOTEMPTY
    fs.rmdir(f"{sid}/x/z")
    fs.pipe(f"{sid}/file", b"f")
    with pytest.raises(NotADirectoryError):
        fs.rmdir(f"{sid}/file")
    with pytest.raises(FileExistsError):
        fs.makedirs(f"{sid}/file", exist_ok=True)
    with pytest.raises(FileExistsError):
        fs.makedirs(sid)
    fs.makedirs(sid, exist_ok=True)


def test_remove(fs: AetherFileSystem, sid: str) -> None:
    for path in ("t/a", "t/b/c", "keep"):
        fs.pipe(f"{sid}/{path}", b"x")
    fs.rm(f"{sid}/keep")
    with pytest.raises(OSError, match="not empty"):
        fs.rm_file(f"{sid}/t")
    fs.rm(f"{sid}/t", recursive=True)
    assert fs.ls(sid) == []
    with pytest.raises(FileNotFoundError):
        fs.rm(f"{sid}/t", recursive=True)
    with pytest.raises(FileNotFoundError):
        fs.rm(f"{sid}/nothing")
    with pytest.raises(PermissionError):
        fs.rm(sid, recursive=True)


def test_moves_inside_a_session_are_renames(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe({f"{sid}/src/1": b"1", f"{sid}/src/deep/2": b"2", f"{sid}/f": b"f"})
    fs.mv(f"{sid}/src", f"{sid}/dst")
    assert fs.find(sid) == [f"{sid}/dst/1", f"{sid}/dst/deep/2", f"{sid}/f"]
    fs.makedirs(f"{sid}/into")
    fs.mv(f"{sid}/f", f"{sid}/into")
    assert fs.cat(f"{sid}/into/f") == b"f"
    fs.pipe(f"{sid}/g", b"g")
    fs.mv(f"{sid}/g", f"{sid}/into/f")  # onto a file: replaces it
    assert fs.cat(f"{sid}/into/f") == b"g"
    with pytest.raises(FileNotFoundError):
        fs.mv(f"{sid}/nothing", f"{sid}/else")


def test_copies_and_moves_across_sessions(fs: AetherFileSystem, sid: str) -> None:
    other = fs.api.create_session().id
    fs.pipe({f"{sid}/a/1": b"1", f"{sid}/a/2": b"2"})
    fs.copy(f"{sid}/a", f"{other}/copied", recursive=True)
    assert fs.cat(f"{other}/copied/1") == b"1"
    fs.cp_file(f"{sid}/a/2", f"{sid}/a/3")
    assert fs.cat(f"{sid}/a/3") == b"2"
    fs.mv(f"{sid}/a", f"{other}/moved", recursive=True)
    assert sorted(fs.ls(f"{other}/moved", detail=False)) == [
        f"{other}/moved/1",
        f"{other}/moved/2",
        f"{other}/moved/3",
    ]
    assert not fs.exists(f"{sid}/a")


class Counting:
    """A ``WorkspaceAPI`` proxy that counts the calls made through it."""

    def __init__(self, api: WorkspaceAPI) -> None:
        self.api = api
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self.api, name)


def test_bulk_operations_reuse_listings_but_never_keep_them(
    fs: AetherFileSystem, sid: str, tmp_path: Path
) -> None:
    counting = Counting(fs.api)
    bulk = AetherFileSystem(api=counting, skip_instance_cache=True)  # type: ignore[arg-type]
    bulk.pipe({f"{sid}/d/{i}.txt": b"x" for i in range(5)})
    counting.calls.clear()
    bulk.get(f"{sid}/d", str(tmp_path / "one"), recursive=True)
    assert counting.calls["stat"] <= 2  # not one per file
    assert counting.calls["download"] == 5
    fs.api.write(sid, "d/5.txt", b"new")  # another writer, between two operations
    bulk.get(f"{sid}/d", str(tmp_path / "two"), recursive=True)
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == [f"{i}.txt" for i in range(6)]
    bulk.rm(f"{sid}/d/*.txt")
    assert bulk.ls(f"{sid}/d") == []


# ---------------------------------------------------------------------------- errors at the edge
def test_a_read_only_session_refuses_writes(fs: AetherFileSystem, sid: str) -> None:
    fs.pipe(f"{sid}/a", b"a")
    fs.api.archive(sid)
    assert fs.cat(f"{sid}/a") == b"a"
    with pytest.raises(PermissionError):
        fs.pipe(f"{sid}/b", b"b")
    with pytest.raises(PermissionError), fs.open(f"{sid}/a", "wb") as f:
        f.write(b"no")


def test_bad_paths(fs: AetherFileSystem, sid: str) -> None:
    with pytest.raises(OSError, match=r"not allowed|absolute|empty") as caught:
        fs.pipe(f"{sid}/a//b", b"x")
    assert caught.value.errno == errno.EINVAL
    with pytest.raises(FileNotFoundError):
        fs.cat("s-0000000000000000/x")


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (NotFound("x"), FileNotFoundError, errno.ENOENT),
        (Conflict("x"), FileExistsError, errno.EEXIST),
        (PreconditionFailed("x"), FileExistsError, errno.EEXIST),
        (Invalid("x"), OSError, errno.EINVAL),
        (TooLarge("x"), OSError, errno.EFBIG),
        (Forbidden("x"), PermissionError, errno.EACCES),
        (Unauthorized("x"), PermissionError, errno.EACCES),
        (Unavailable("x"), ConnectionError, errno.ECONNREFUSED),
        (Corrupt("abc", "x"), OSError, errno.EIO),
    ],
)
def test_error_mapping(error: Exception, kind: type, code: int) -> None:
    mapped = os_error(error, "s/p")  # type: ignore[arg-type]
    assert type(mapped) is kind
    assert (mapped.errno, mapped.filename) == (code, "s/p")
    assert str(error) in str(mapped)


# ---------------------------------------------------------------------------- construction
def test_embedded_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AETHER_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("AETHER_CONFIG", str(tmp_path / "none.toml"))
    for name in ("AETHER_CATALOG_URL", "AETHER_STORE_URL", "AETHER_SERVER", "AETHER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    fs = AetherFileSystem(skip_instance_cache=True)
    sid = fs.api.create_session().id
    fs.pipe(f"{sid}/e.txt", b"embedded")
    assert fs.cat(f"aether://{sid}/e.txt") == b"embedded"
    assert (tmp_path / "env-home" / "catalog.db").exists()


def test_a_server_from_the_environment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = request.getfixturevalue("fs_server")
    monkeypatch.setenv("AETHER_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("AETHER_SERVER", server.url)
    monkeypatch.setenv("AETHER_TOKEN", server.token)
    fs = AetherFileSystem(skip_instance_cache=True)
    assert isinstance(fs.api, AetherClient)
    assert fs.api.whoami().tenant == "default"
    monkeypatch.delenv("AETHER_SERVER")
    by_url = AetherFileSystem(server=server.url, skip_instance_cache=True)  # token from env
    assert by_url.api.whoami().tenant == "default"  # type: ignore[attr-defined]


def test_a_server_by_url_and_pickling(request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue("fs_server")
    fs = AetherFileSystem(server=server.url, token=server.token, skip_instance_cache=True)
    sid = fs.api.create_session().id
    fs.pipe(f"{sid}/remote.txt", b"remote")
    clone = pickle.loads(pickle.dumps(fs))
    assert clone.cat(f"{sid}/remote.txt") == b"remote"
    assert (
        fsspec.filesystem("aether", server=server.url, token=server.token).cat(f"{sid}/remote.txt")
        == b"remote"
    )


def test_api_is_required_to_be_a_workspace_api(fs: AetherFileSystem) -> None:
    assert isinstance(fs.api, WorkspaceAPI)
