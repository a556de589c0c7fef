"""The session lifecycle through the ``WorkspaceAPI``: the same assertions, embedded and over
HTTP."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable

import pytest

from aether_data.errors import Conflict, Forbidden, Invalid, NotFound
from aether_data.wire import Session, WorkspaceAPI

Fresh = Callable[[str], str]


def files_of(api: WorkspaceAPI, session: str) -> dict[str, bytes]:
    """Every file of a session with its bytes."""
    return {
        item.path: api.read(session, item.path)
        for item in api.manifest(session).items
        if item.kind in ("file", "exec")
    }


def seeded_source(api: WorkspaceAPI, fresh: Fresh, files: dict[str, bytes]) -> str:
    """A new source whose main branch holds ``files``."""
    name = fresh("src")
    api.create_source(name)
    work = api.create_session(source=name).id
    for path, data in files.items():
        api.write(work, path, data)
    result = api.commit(work, message="seed")
    assert result.commit is not None
    return name


# ---------------------------------------------------------------------------- create
def test_create_an_empty_session(api: WorkspaceAPI, fresh: Fresh) -> None:
    tag = fresh("tag")
    created = api.create_session(name="empty one", tags=[tag], metadata={"purpose": "test"})
    assert isinstance(created, Session)
    assert (created.status, created.name, created.tags) == ("ACTIVE", "empty one", [tag])
    assert created.metadata["purpose"] == "test"
    assert created.source is None
    assert api.get_session(created.id) == created
    assert api.listdir(created.id, "") == []


def test_create_from_a_source(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"data/a.csv": b"a\n1\n"})
    created = api.create_session(source=source)
    assert (created.source, created.ref) == (source, "main")
    assert created.base_commit == api.log(source).items[0].id
    assert files_of(api, created.id) == {"data/a.csv": b"a\n1\n"}


def test_create_from_a_ref(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"v.txt": b"1"})
    api.create_ref(source, "v1", kind="tag")
    later = api.create_session(source=source).id
    api.write(later, "v.txt", b"2")
    api.commit(later, message="two")
    assert files_of(api, api.create_session(source=source, ref="v1").id) == {"v.txt": b"1"}
    assert files_of(api, api.create_session(source=source).id) == {"v.txt": b"2"}
    with pytest.raises(NotFound):
        api.create_session(source=source, ref="no-such-ref")


def test_create_from_a_template(api: WorkspaceAPI) -> None:
    created = api.create_session(template="starter")
    files = files_of(api, created.id)
    assert "README.md" in files
    assert files["data/orders.csv"].startswith(b"order_id") or b"," in files["data/orders.csv"]
    with pytest.raises(NotFound):
        api.create_session(template="no-such-template")


def test_create_from_a_checkpoint(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "a.txt", b"at checkpoint")
    api.checkpoint(session, "cp1")
    api.write(session, "a.txt", b"later")
    copy = api.create_session(checkpoint=(session, "cp1"))
    assert files_of(api, copy.id) == {"a.txt": b"at checkpoint"}
    with pytest.raises(NotFound):
        api.create_session(checkpoint=(session, "no-such-checkpoint"))


def test_two_origins_are_invalid(api: WorkspaceAPI, fresh: Fresh, session: str) -> None:
    source = fresh("src")
    api.create_source(source)
    with pytest.raises(Invalid):
        api.create_session(source=source, template="starter")
    api.checkpoint(session, "cp")
    with pytest.raises(Invalid):
        api.create_session(template="starter", checkpoint=(session, "cp"))


def test_unknown_source_is_not_found(api: WorkspaceAPI, fresh: Fresh) -> None:
    with pytest.raises(NotFound):
        api.create_session(source=fresh("nothing"))


def test_list_sessions_pages_and_filters(api: WorkspaceAPI, fresh: Fresh) -> None:
    tag = fresh("tag")
    made = [api.create_session(name=f"s{i}", tags=[tag]).id for i in range(3)]
    first = api.list_sessions(tag=tag, limit=2)
    assert len(first.items) == 2
    assert first.next_cursor is not None
    second = api.list_sessions(tag=tag, limit=2, cursor=first.next_cursor)
    assert second.next_cursor is None
    assert [s.id for s in first.items + second.items] == made  # oldest first
    api.archive(made[1])
    assert [s.id for s in api.list_sessions(tag=tag, status="ARCHIVED").items] == [made[1]]
    assert [s.id for s in api.list_sessions(tag=tag, status="ACTIVE").items] == [made[0], made[2]]
    with pytest.raises(Invalid):
        api.list_sessions(status="NOT-A-STATUS")


def test_list_sessions_by_source(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = fresh("src")
    api.create_source(source)
    mine = api.create_session(source=source).id
    assert [s.id for s in api.list_sessions(source=source).items] == [mine]


# ---------------------------------------------------------------------------- fork, checkpoint
def test_fork_is_independent(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "shared.txt", b"shared")
    child = api.fork(session, name="child")
    assert child.id != session
    assert child.name == "child"
    assert files_of(api, child.id) == {"shared.txt": b"shared"}
    api.write(child.id, "child.txt", b"c")
    api.write(session, "parent.txt", b"p")
    assert set(files_of(api, child.id)) == {"shared.txt", "child.txt"}
    assert set(files_of(api, session)) == {"shared.txt", "parent.txt"}


def test_checkpoints_page_and_restore(api: WorkspaceAPI, session: str) -> None:
    for i in range(3):
        api.write(session, "n.txt", str(i).encode())
        cp = api.checkpoint(session, f"cp{i}", message=f"state {i}")
        assert (cp.session, cp.name, cp.message) == (session, f"cp{i}", f"state {i}")
    with pytest.raises(Conflict):
        api.checkpoint(session, "cp0")
    first = api.list_checkpoints(session, limit=2)
    assert [c.name for c in first.items] == ["cp0", "cp1"]
    assert first.next_cursor is not None
    rest = api.list_checkpoints(session, cursor=first.next_cursor, limit=2)
    assert ([c.name for c in rest.items], rest.next_cursor) == (["cp2"], None)
    restored = api.restore(session, "cp0")
    assert restored.id == session
    assert api.read(session, "n.txt") == b"0"
    names = [c.name for c in api.list_checkpoints(session).items]
    assert len(names) == 4
    assert names[3].startswith("before-restore-")
    with pytest.raises(NotFound):
        api.restore(session, "no-such-checkpoint")


def test_unnamed_checkpoint_gets_a_name(api: WorkspaceAPI, session: str) -> None:
    cp = api.checkpoint(session)
    assert cp.name
    assert [c.name for c in api.list_checkpoints(session).items] == [cp.name]


# ---------------------------------------------------------------------------- merge, commit
def test_merge_from_another_session(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "base.txt", b"base")
    other = api.fork(session).id
    api.write(other, "theirs.txt", b"theirs")
    api.write(session, "ours.txt", b"ours")
    merged = api.merge_from(session, other)
    assert merged.id == session
    assert files_of(api, session) == {
        "base.txt": b"base",
        "ours.txt": b"ours",
        "theirs.txt": b"theirs",
    }


def test_merge_from_conflict_changes_nothing(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "c.txt", b"base")
    other = api.fork(session).id
    api.write(other, "c.txt", b"theirs")
    api.write(session, "c.txt", b"ours")
    with pytest.raises(Conflict) as caught:
        api.merge_from(session, other)
    assert "c.txt" in str(caught.value)
    assert api.read(session, "c.txt") == b"ours"


def test_commit_merge_conflict_and_resolve(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"a.txt": b"a0", "b.txt": b"b0", "c.txt": b"c0"})
    one, two, three = (api.create_session(source=source).id for _ in range(3))
    api.write(one, "a.txt", b"a1")
    first = api.commit(one, message="one", author="ann")
    assert (first.branch, first.merged, first.conflicts) == ("main", False, [])
    api.write(two, "b.txt", b"b2")
    second = api.commit(two, message="two")
    assert second.merged is True
    assert second.commit == api.log(source).items[0].id
    log = api.log(source).items
    assert [c.message for c in log[:3]] == ["two", "one", "seed"]
    assert log[1].author == "ann"
    assert log[0].parents == [first.commit]

    api.write(three, "a.txt", b"a3")  # one changed a.txt since three started
    clash = api.commit(three, message="three")
    assert clash.commit is None
    assert [c.path for c in clash.conflicts] == ["a.txt"]
    assert api.get_session(three).status == "CONFLICT"
    resolved = api.resolve(three, {"a.txt": "session"}, message="take ours")
    assert resolved.commit is not None
    after = api.create_session(source=source).id
    assert files_of(api, after) == {"a.txt": b"a3", "b.txt": b"b2", "c.txt": b"c0"}


def test_resolve_needs_a_conflict(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"a.txt": b"a"})
    calm = api.create_session(source=source).id
    with pytest.raises(Invalid):
        api.resolve(calm, {"a.txt": "session"}, message="nothing to resolve")


def test_commit_without_a_source_is_invalid(api: WorkspaceAPI, session: str) -> None:
    with pytest.raises(Invalid):
        api.commit(session, message="nowhere to go")


def test_commit_to_another_branch(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"a.txt": b"a"})
    api.create_ref(source, "dev")
    work = api.create_session(source=source).id
    api.write(work, "dev.txt", b"dev")
    result = api.commit(work, message="to dev", branch="dev")
    assert result.branch == "dev"
    assert "dev.txt" in files_of(api, api.create_session(source=source, ref="dev").id)
    assert "dev.txt" not in files_of(api, api.create_session(source=source).id)


def test_promote_to_a_new_source_and_branch(api: WorkspaceAPI, fresh: Fresh) -> None:
    work = api.create_session().id
    api.write(work, "p.txt", b"promoted")
    target = fresh("promoted")
    ref = api.promote(work, source=target, message="hello")
    assert (ref.source, ref.name, ref.kind) == (target, "main", "branch")
    assert api.get_source(target).name == target
    assert files_of(api, api.create_session(source=target).id) == {"p.txt": b"promoted"}

    again = api.create_session(source=target).id
    api.write(again, "q.txt", b"q")
    branch = api.promote(again, branch="feature")
    assert (branch.source, branch.name) == (target, "feature")
    on_branch = api.create_session(source=target, ref="feature").id
    assert set(files_of(api, on_branch)) == {"p.txt", "q.txt"}
    with pytest.raises(Conflict):
        api.promote(again, branch="feature")
    with pytest.raises(Conflict):
        api.promote(work, source=target)


# ---------------------------------------------------------------------------- archive, retire
def test_archive_makes_a_session_read_only(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "keep.txt", b"kept")
    archived = api.archive(session)
    assert archived.status == "ARCHIVED"
    assert api.read(session, "keep.txt") == b"kept"
    with pytest.raises(Forbidden):
        api.write(session, "new.txt", b"x")
    with pytest.raises(Forbidden):
        api.delete(session, "keep.txt")
    with pytest.raises(Forbidden):
        api.mkdir(session, "d")
    assert api.fork(session).status == "ACTIVE"  # reading is still allowed


def test_retire_keeps_checkpoints(api: WorkspaceAPI, session: str) -> None:
    api.write(session, "gone.txt", b"soon gone")
    api.checkpoint(session, "mine")
    retired = api.retire(session)
    assert retired.status == "RETIRED"
    names = {c.name for c in api.list_checkpoints(session).items}
    assert {"mine", "retired"} <= names
    with pytest.raises(Forbidden):
        api.write(session, "x.txt", b"x")
    with pytest.raises(Forbidden):
        api.archive(session)
    revived = api.create_session(checkpoint=(session, "retired"))
    assert files_of(api, revived.id) == {"gone.txt": b"soon gone"}


# ---------------------------------------------------------------------------- manifest, diff
def test_manifest_pages_with_a_cursor(api: WorkspaceAPI, session: str) -> None:
    for path in ("a/1.txt", "a/2.txt", "b.txt", "c/d/e.txt"):
        api.write(session, path, path.encode())
    whole = api.manifest(session)
    paths = [m.path for m in whole.items]
    assert paths == ["a", "a/1.txt", "a/2.txt", "b.txt", "c", "c/d", "c/d/e.txt"]
    assert whole.next_cursor is None
    seen, cursor = [], None
    while True:
        page = api.manifest(session, cursor=cursor, limit=3)
        assert len(page.items) <= 3
        seen += [m.path for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == paths
    assert [m.path for m in api.manifest(session, prefix="c").items] == ["c/d", "c/d/e.txt"]
    item = next(m for m in whole.items if m.path == "b.txt")
    assert (item.kind, item.size, item.id) == ("file", 5, api.stat(session, "b.txt").id)


def test_diff_against_origin_checkpoint_and_session(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"keep.txt": b"k", "edit.txt": b"e0", "drop.txt": b"d"})
    work = api.create_session(source=source).id
    assert api.diff(work) == []
    api.write(work, "edit.txt", b"e1")
    api.delete(work, "drop.txt")
    api.write(work, "add.txt", b"a")
    changes = {c.path: c.status for c in api.diff(work)}
    assert changes == {"edit.txt": "modified", "drop.txt": "removed", "add.txt": "added"}
    edit = next(c for c in api.diff(work) if c.path == "edit.txt")
    assert edit.old is not None
    assert edit.new is not None
    assert (edit.old.size, edit.new.id) == (2, api.stat(work, "edit.txt").id)

    api.checkpoint(work, "mid")
    api.write(work, "late.txt", b"l")
    assert {c.path: c.status for c in api.diff(work, against="mid")} == {"late.txt": "added"}

    other = api.create_session(source=source).id
    against_other = {c.path: c.status for c in api.diff(work, against=f"session:{other}")}
    assert against_other == {**changes, "late.txt": "added"}
    with pytest.raises(NotFound):
        api.diff(work, against="no-such-checkpoint")


def test_diff_against_a_source_and_under_a_prefix(api: WorkspaceAPI, fresh: Fresh) -> None:
    source = seeded_source(api, fresh, {"a/x.txt": b"x", "b/y.txt": b"y"})
    api.create_ref(source, "v1", kind="tag")
    work = api.create_session(source=source).id
    api.write(work, "a/x.txt", b"x2")
    api.write(work, "b/z.txt", b"z")
    both = {"a/x.txt": "modified", "b/z.txt": "added"}
    for against in (f"source:{source}", f"source:{source}@main", f"source:{source}@v1"):
        assert {c.path: c.status for c in api.diff(work, against=against)} == both
    assert [c.path for c in api.diff(work, prefix="b")] == ["b/z.txt"]
    assert [c.path for c in api.diff(work, against=f"source:{source}", prefix="a")] == ["a/x.txt"]
    with pytest.raises(NotFound):
        api.diff(work, against="source:no-such-source")
    with pytest.raises(Invalid):
        api.diff(work, prefix="../a")


def test_diff_of_many_changes_is_whole(api: WorkspaceAPI, session: str) -> None:
    from aether_data.wire import BatchOperation  # noqa: PLC0415

    api.batch(
        session, [BatchOperation(op="write", path=f"f/{i:04d}", data=b"") for i in range(1050)]
    )
    assert len(api.diff(session)) == 1050


# ---------------------------------------------------------------------------- export, upload
FILES = {"README.md": b"# hi\n", "data/a.csv": b"x\n1\n", "bin/run": b"#!/bin/sh\n"}


def _fill(api: WorkspaceAPI, session: str) -> None:
    for path, data in FILES.items():
        api.write(session, path, data, executable=path == "bin/run")
    api.symlink(session, "latest.csv", "data/a.csv")


@pytest.mark.parametrize("format", ["tar", "tar.gz"])
def test_export_tar_round_trip(api: WorkspaceAPI, session: str, format: str) -> None:
    _fill(api, session)
    out = io.BytesIO()
    api.export(session, out, format=format)  # type: ignore[arg-type]
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        files = {n: tar.extractfile(m).read() for n, m in members.items() if m.isfile()}  # type: ignore[union-attr]
        assert files == FILES
        assert members["bin/run"].mode & 0o111
        assert members["latest.csv"].issym()
        assert members["latest.csv"].linkname == "data/a.csv"


def test_export_zip_round_trip(api: WorkspaceAPI, session: str) -> None:
    _fill(api, session)
    out = io.BytesIO()
    api.export(session, out, format="zip")
    out.seek(0)
    with zipfile.ZipFile(out) as archive:
        files = {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
    assert {k: v for k, v in files.items() if k in FILES} == FILES


def test_export_refuses_an_unknown_format(api: WorkspaceAPI, session: str) -> None:
    with pytest.raises(Invalid):
        api.export(session, io.BytesIO(), format="rar")  # type: ignore[arg-type]


def test_upload_a_tar_as_a_session(api: WorkspaceAPI, session: str, fresh: Fresh) -> None:
    _fill(api, session)
    archive = io.BytesIO()
    api.export(session, archive, format="tar.gz")
    archive.seek(0)
    tag = fresh("up")
    uploaded = api.upload_session(archive, name="uploaded", tags=[tag, "second"])
    assert (uploaded.name, uploaded.tags, uploaded.status) == (
        "uploaded",
        [tag, "second"],
        "ACTIVE",
    )
    assert files_of(api, uploaded.id) == FILES
    assert api.stat(uploaded.id, "bin/run").kind == "exec"
    assert api.stat(uploaded.id, "latest.csv").kind == "link"


def test_upload_refuses_what_is_not_an_archive(api: WorkspaceAPI) -> None:
    with pytest.raises(Invalid):
        api.upload_session(io.BytesIO(b"just some text, not an archive"))
