"""Files of a session through the ``WorkspaceAPI``: the same assertions, embedded and over HTTP."""

from __future__ import annotations

import hashlib
import io

import pytest

from aether_data.errors import Conflict, Invalid, NotFound, PreconditionFailed
from aether_data.wire import CREATE_ONLY, BatchOperation, WorkspaceAPI


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- write and read
def test_write_bytes_then_stat_and_read(api: WorkspaceAPI, session: str) -> None:
    entry = api.write(session, "data/a.csv", b"id,x\n1,2\n")
    assert (entry.name, entry.kind, entry.size, entry.id) == (
        "a.csv",
        "file",
        9,
        sha(b"id,x\n1,2\n"),
    )
    assert api.stat(session, "data/a.csv") == entry
    assert api.read(session, "data/a.csv") == b"id,x\n1,2\n"


def test_write_a_stream_bigger_than_a_piece(api: WorkspaceAPI, session: str) -> None:
    data = bytes(range(256)) * (5 * 1024 + 7)  # 1.25 MiB + a little: more than one piece
    entry = api.write(session, "big.bin", io.BytesIO(data))
    assert (entry.size, entry.id) == (len(data), sha(data))
    assert api.read(session, "big.bin") == data


def test_read_ranges(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "r.txt", b"0123456789")
    assert api.read(session, "r.txt", 2, 3) == b"234"
    assert api.read(session, "r.txt", 7) == b"789"
    assert api.read(session, "r.txt", 0, 4) == b"0123"
    assert api.read(session, "r.txt", 8, 100) == b"89"
    assert api.read(session, "r.txt", 10) == b""
    assert api.read(session, "r.txt", 50, 5) == b""
    assert api.read(session, "r.txt", 3, 0) == b""


def test_read_of_an_empty_file(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "empty", b"")
    assert api.read(session, "empty") == b""
    assert api.read(session, "empty", 0, 10) == b""


def test_read_refuses_a_negative_start(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "r.txt", b"0123")
    with pytest.raises(Invalid):
        api.read(session, "r.txt", -1, 2)


def test_read_of_a_folder_or_nothing(api: WorkspaceAPI, session: str) -> None:
    api.mkdir(session, "d")
    with pytest.raises(Invalid):
        api.read(session, "d")
    with pytest.raises(NotFound):
        api.read(session, "missing.txt")
    with pytest.raises(NotFound):
        api.read(session, "missing.txt", 0, 0)


def test_download_streams_the_file(api: WorkspaceAPI, session: str) -> None:
    data = b"x" * 100_000
    written = api.write(session, "dl/file.bin", data)
    out = io.BytesIO()
    entry = api.download(session, "dl/file.bin", out)
    assert out.getvalue() == data
    assert entry == written


def test_download_of_an_executable_names_its_kind(api: WorkspaceAPI, session: str) -> None:
    written = api.write(session, "run.sh", b"#!/bin/sh\n", executable=True)
    assert written.kind == "exec"
    assert api.download(session, "run.sh", io.BytesIO()) == written


def test_stat_of_the_root_and_of_nothing(api: WorkspaceAPI, session: str) -> None:
    root = api.stat(session, "")
    assert (root.name, root.kind) == ("", "dir")
    with pytest.raises(NotFound):
        api.stat(session, "nothing/here")


def test_listdir(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "b.txt", b"b")
    api.write(session, "a/x.txt", b"x")
    api.write(session, "c.sh", b"c", executable=True)
    entries = api.listdir(session, "")
    assert [(e.name, e.kind) for e in entries] == [
        ("a", "dir"),
        ("b.txt", "file"),
        ("c.sh", "exec"),
    ]
    assert [e.name for e in api.listdir(session, "a")] == ["x.txt"]
    with pytest.raises(Invalid):
        api.listdir(session, "b.txt")
    with pytest.raises(NotFound):
        api.listdir(session, "nope")


def test_listdir_of_a_big_folder_is_whole(api: WorkspaceAPI, session: str) -> None:
    names = [f"f{i:04d}" for i in range(1100)]  # more than one page of 1000
    api.batch(session, [BatchOperation(op="write", path=f"many/{n}", data=b"") for n in names])
    assert [e.name for e in api.listdir(session, "many")] == names


def test_writing_over_a_folder_conflicts(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "d/x", b"x")
    with pytest.raises(Conflict):
        api.write(session, "d", b"not a folder")


# ---------------------------------------------------------------------------- preconditions
def test_expected_content_guards_a_write(api: WorkspaceAPI, session: str) -> None:
    first = api.write(session, "p.txt", b"one")
    with pytest.raises(PreconditionFailed):
        api.write(session, "p.txt", b"two", expected=sha(b"something else"))
    assert api.read(session, "p.txt") == b"one"
    second = api.write(session, "p.txt", b"two", expected=first.id)
    assert api.stat(session, "p.txt") == second


def test_create_only(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "new.txt", b"1", expected=CREATE_ONLY)
    with pytest.raises(PreconditionFailed):
        api.write(session, "new.txt", b"2", expected=CREATE_ONLY)
    assert api.read(session, "new.txt") == b"1"


def test_expected_on_a_missing_file_fails(api: WorkspaceAPI, session: str) -> None:
    with pytest.raises(PreconditionFailed):
        api.write(session, "absent.txt", b"x", expected=sha(b"x"))


def test_delete_with_expected(api: WorkspaceAPI, session: str) -> None:
    entry = api.write(session, "del.txt", b"bye")
    with pytest.raises(PreconditionFailed):
        api.delete(session, "del.txt", expected=sha(b"other"))
    api.delete(session, "del.txt", expected=entry.id)
    with pytest.raises(NotFound):
        api.stat(session, "del.txt")
    with pytest.raises(NotFound):
        api.delete(session, "del.txt")


def test_delete_folders(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "tree/a/b.txt", b"b")
    with pytest.raises(Conflict):
        api.delete(session, "tree")
    api.delete(session, "tree", recursive=True)
    assert api.listdir(session, "") == []


# ---------------------------------------------------------------------------- folders, links, moves
def test_mkdir_and_rmdir(api: WorkspaceAPI, session: str) -> None:
    api.mkdir(session, "x/y/z")
    assert api.stat(session, "x/y").kind == "dir"
    with pytest.raises(Conflict):
        api.mkdir(session, "x/y")
    api.mkdir(session, "x/y", exist_ok=True)
    with pytest.raises(Conflict):
        api.rmdir(session, "x/y")  # holds z
    api.rmdir(session, "x/y/z")
    with pytest.raises(NotFound):
        api.stat(session, "x/y/z")
    api.write(session, "f.txt", b"f")
    with pytest.raises(Invalid):
        api.rmdir(session, "f.txt")
    with pytest.raises(Conflict):
        api.mkdir(session, "f.txt", exist_ok=True)  # a file is not a folder


def test_rename(api: WorkspaceAPI, session: str) -> None:
    a = api.write(session, "a.txt", b"a")
    api.write(session, "b.txt", b"b")
    with pytest.raises(Conflict):
        api.rename(session, "a.txt", "b.txt")
    with pytest.raises(PreconditionFailed):
        api.rename(session, "a.txt", "b.txt", overwrite=True, expected=sha(b"zzz"))
    api.rename(session, "a.txt", "b.txt", overwrite=True, expected=a.id)
    assert api.read(session, "b.txt") == b"a"
    with pytest.raises(NotFound):
        api.stat(session, "a.txt")
    with pytest.raises(NotFound):
        api.rename(session, "a.txt", "c.txt")


def test_rename_a_folder(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "src/one/1.txt", b"1")
    api.write(session, "src/2.txt", b"2")
    api.rename(session, "src", "moved/dst")
    assert api.read(session, "moved/dst/one/1.txt") == b"1"
    assert api.read(session, "moved/dst/2.txt") == b"2"
    with pytest.raises(NotFound):
        api.stat(session, "src")
    with pytest.raises(Invalid):
        api.rename(session, "moved", "moved/inside")


def test_symlinks(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "data/a.csv", b"a")
    link = api.symlink(session, "links/a", "../data/a.csv")
    assert (link.name, link.kind, link.size) == ("a", "link", len("../data/a.csv"))
    assert api.stat(session, "links/a") == link
    with pytest.raises(Invalid):
        api.symlink(session, "links/out", "../../etc/passwd")
    with pytest.raises(Invalid):
        api.symlink(session, "links/abs", "/etc/passwd")
    with pytest.raises(PreconditionFailed):
        api.symlink(session, "links/a", "../data/a.csv")  # a link is never replaced


# ---------------------------------------------------------------------------- batch
def test_batch_applies_every_step(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "old.txt", b"old")
    before = api.get_session(session).version
    result = api.batch(
        session,
        [
            BatchOperation(op="write", path="a/new.txt", data=b"new"),
            BatchOperation(op="write", path="run", data=b"#!", executable=True),
            BatchOperation(op="mkdir", path="empty"),
            BatchOperation(op="rename", source="old.txt", destination="a/old.txt"),
            BatchOperation(op="delete", path="a/new.txt"),
        ],
    )
    assert result.id == session
    assert result.version > before
    names = {m.path: m.kind for m in api.manifest(session).items}
    assert names == {"a": "dir", "a/old.txt": "file", "empty": "dir", "run": "exec"}


def test_batch_is_atomic(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "keep.txt", b"keep")
    steps = [
        BatchOperation(op="write", path="landed.txt", data=b"no"),
        BatchOperation(op="delete", path="keep.txt"),
        BatchOperation(op="delete", path="does/not/exist"),
    ]
    with pytest.raises(NotFound):
        api.batch(session, steps)
    assert [e.name for e in api.listdir(session, "")] == ["keep.txt"]
    with pytest.raises(PreconditionFailed):
        api.batch(
            session,
            [
                BatchOperation(op="write", path="landed.txt", data=b"no"),
                BatchOperation(op="write", path="keep.txt", data=b"x", expected=CREATE_ONLY),
            ],
        )
    assert api.read(session, "keep.txt") == b"keep"
    assert [e.name for e in api.listdir(session, "")] == ["keep.txt"]


def test_batch_refuses_an_incomplete_step(api: WorkspaceAPI, session: str) -> None:
    with pytest.raises(Invalid):
        api.batch(session, [BatchOperation(op="write", path="x")])  # no data


# ---------------------------------------------------------------------------- bad input
BAD_PATHS = ["../x", "a/../../x", "/abs", "a\\b", "a\x00b", "a//b", "."]


@pytest.mark.parametrize("path", BAD_PATHS, ids=repr)
def test_bad_paths_are_invalid(api: WorkspaceAPI, session: str, path: str) -> None:
    with pytest.raises(Invalid):
        api.write(session, path, b"x")
    with pytest.raises(Invalid):
        api.read(session, path)
    with pytest.raises(Invalid):
        api.stat(session, path)
    with pytest.raises(Invalid):
        api.delete(session, path)
    with pytest.raises(Invalid):
        api.mkdir(session, path)
    assert api.listdir(session, "") == []


def test_the_root_is_not_a_file(api: WorkspaceAPI, session: str) -> None:
    with pytest.raises(Invalid):
        api.write(session, "", b"x")
    with pytest.raises(Invalid):
        api.read(session, "")


def test_unknown_session(api: WorkspaceAPI) -> None:
    ghost = "s-0000000000000000"
    for call in (
        lambda: api.get_session(ghost),
        lambda: api.stat(ghost, ""),
        lambda: api.listdir(ghost, ""),
        lambda: api.read(ghost, "a.txt"),
        lambda: api.write(ghost, "a.txt", b"x"),
        lambda: api.delete(ghost, "a.txt"),
        lambda: api.fork(ghost),
        lambda: api.checkpoint(ghost, "cp"),
        lambda: api.manifest(ghost),
        lambda: api.diff(ghost),
        lambda: api.export(ghost, io.BytesIO()),
    ):
        with pytest.raises(NotFound):
            call()


def test_names_that_need_encoding(api: WorkspaceAPI, session: str) -> None:
    odd = "dir with space/ünïcödé #1?%&+=.txt"
    api.write(session, odd, b"odd")
    assert api.read(session, odd) == b"odd"
    assert api.stat(session, odd).name == "ünïcödé #1?%&+=.txt"
    assert [e.name for e in api.listdir(session, "dir with space")] == ["ünïcödé #1?%&+=.txt"]
    api.delete(session, odd)
