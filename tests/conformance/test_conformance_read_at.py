"""Reading a session's files as they were at a checkpoint or commit (``at=``), through the
``WorkspaceAPI``: the same assertions, embedded and over HTTP."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest

from aether_data.errors import Invalid, NotFound
from aether_data.wire import WorkspaceAPI

Fresh = Callable[[str], str]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def downloaded(api: WorkspaceAPI, session: str, path: str, at: str) -> tuple[bytes, str]:
    out = io.BytesIO()
    entry = api.download(session, path, out, at=at)
    return out.getvalue(), entry.id


def every_read(api: WorkspaceAPI, session: str, path: str, at: str) -> list[Callable[[], object]]:
    """Each read of ``path`` at ``at`` (``listdir`` of its folder), to be called."""
    folder = path.rpartition("/")[0]
    return [
        lambda: api.read(session, path, at=at),
        lambda: api.download(session, path, io.BytesIO(), at=at),
        lambda: api.stat(session, path, at=at),
        lambda: api.listdir(session, folder, at=at),
    ]


def names(api: WorkspaceAPI, session: str, path: str = "", at: str | None = None) -> list[str]:
    return [e.name for e in api.listdir(session, path, at=at)]


# ---------------------------------------------------------------------------- checkpoints
def test_a_changed_file_reads_as_it_was_at_the_checkpoint(api: WorkspaceAPI, session: str) -> None:
    before = api.write(session, "data/a.csv", b"id\n1\n")
    taken = api.checkpoint(session, "v1")
    api.write(session, "data/a.csv", b"id\n1\n2\n")
    api.write(session, "data/b.csv", b"new\n")

    assert api.read(session, "data/a.csv", at=taken.name) == b"id\n1\n"
    assert api.read(session, "data/a.csv", 3, 1, at=taken.name) == b"1"
    assert downloaded(api, session, "data/a.csv", taken.name) == (b"id\n1\n", sha(b"id\n1\n"))
    assert api.stat(session, "data/a.csv", at=taken.name) == before
    assert names(api, session, "data", at=taken.name) == ["a.csv"]
    assert api.stat(session, "", at=taken.name).id == taken.tree
    assert api.read(session, "data/a.csv") == b"id\n1\n2\n"  # the working tree is untouched
    assert names(api, session, "data") == ["a.csv", "b.csv"]


def test_a_deleted_file_reads_at_the_checkpoint(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "notes/gone.txt", b"still here")
    api.checkpoint(session, "kept")
    api.delete(session, "notes", recursive=True)

    assert api.read(session, "notes/gone.txt", at="kept") == b"still here"
    assert downloaded(api, session, "notes/gone.txt", "kept")[0] == b"still here"
    assert api.stat(session, "notes/gone.txt", at="kept").size == len(b"still here")
    assert names(api, session, at="kept") == ["notes"]
    assert names(api, session, "notes", at="kept") == ["gone.txt"]
    with pytest.raises(NotFound):
        api.read(session, "notes/gone.txt")


def test_a_file_not_yet_written_at_the_checkpoint_is_not_found(
    api: WorkspaceAPI, session: str
) -> None:
    api.checkpoint(session, "empty")
    api.write(session, "later/file.txt", b"x")
    for call in every_read(api, session, "later/file.txt", "empty"):
        with pytest.raises(NotFound):
            call()
    assert names(api, session, at="empty") == []


def test_a_folder_at_a_checkpoint_is_not_a_file(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "d/f.txt", b"x")
    api.checkpoint(session, "with-d")
    with pytest.raises(Invalid):
        api.read(session, "d", at="with-d")
    with pytest.raises(Invalid):
        api.listdir(session, "d/f.txt", at="with-d")


def test_an_unknown_checkpoint_is_not_found_by_name(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "a.txt", b"x")
    for call in every_read(api, session, "a.txt", "no-such-checkpoint"):
        with pytest.raises(NotFound, match="no-such-checkpoint"):
            call()


def test_another_sessions_checkpoint_is_not_found(api: WorkspaceAPI, session: str) -> None:
    other = api.create_session(name="other").id
    api.write(other, "a.txt", b"theirs")
    api.checkpoint(other, "theirs")
    with pytest.raises(NotFound):
        api.read(session, "a.txt", at="theirs")


@pytest.mark.parametrize("bad", ["", "../up", "has space", "-dash-first", "x" * 101, "a/b"])
def test_a_malformed_at_is_invalid(api: WorkspaceAPI, session: str, bad: str) -> None:
    api.write(session, "a.txt", b"x")
    for call in every_read(api, session, "a.txt", bad):
        with pytest.raises(Invalid):
            call()


@pytest.mark.parametrize("ending", ["archive", "retire"])
def test_checkpoints_read_after_the_session_ends(
    api: WorkspaceAPI, session: str, ending: str
) -> None:
    api.write(session, "a.txt", b"v1")
    api.checkpoint(session, "first")
    api.write(session, "a.txt", b"v2")
    getattr(api, ending)(session)
    assert api.read(session, "a.txt", at="first") == b"v1"
    assert downloaded(api, session, "a.txt", "first")[0] == b"v1"
    if ending == "retire":  # retiring keeps the last tree as the checkpoint "retired"
        assert api.read(session, "a.txt", at="retired") == b"v2"


# ---------------------------------------------------------------------------- commits
def test_a_commit_reachable_from_the_session(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = fresh("src")
    api.create_source(source)
    work = api.create_session(source=source).id
    api.write(work, "a.txt", b"first")
    first = api.commit(work, message="first").commit
    api.write(work, "a.txt", b"second")
    second = api.commit(work, message="second").commit
    api.write(work, "a.txt", b"working")
    assert first is not None
    assert second is not None

    assert api.read(work, "a.txt", at=first) == b"first"
    assert api.read(work, "a.txt", at=second) == b"second"
    assert api.stat(work, "a.txt", at=first).id == sha(b"first")
    assert names(api, work, at=first) == ["a.txt"]
    empty_start = api.log(source).items[-1].id  # the source's first, empty commit
    with pytest.raises(NotFound):
        api.read(work, "a.txt", at=empty_start)


def test_a_commit_the_session_does_not_reach_is_not_found(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = fresh("src")
    api.create_source(source)
    ahead, behind = api.create_session(source=source).id, api.create_session(source=source).id
    api.write(ahead, "a.txt", b"elsewhere")
    elsewhere = api.commit(ahead, message="not for the other")
    assert elsewhere.commit is not None
    for unknown in (elsewhere.commit, "0" * 64):
        with pytest.raises(NotFound, match=unknown):
            api.read(behind, "a.txt", at=unknown)
