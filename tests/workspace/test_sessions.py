"""The session lifecycle: create, read, change under preconditions, checkpoint, restore, fork."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aether_data.catalog import SessionStatus, SqlCatalog
from aether_data.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from aether_data.ids import object_id_of
from aether_data.objects import EntryKind
from aether_data.storage import LocalObjectStore, ObjectStore
from aether_data.workspace import ingest_directory
from aether_data.workspace.sessions import CREATE_ONLY, Sessions


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return LocalObjectStore(tmp_path / "objects")


@pytest.fixture
def sessions(store: ObjectStore, catalog_url: str):
    with SqlCatalog(catalog_url) as catalog:
        yield Sessions(store, catalog)


@pytest.fixture
def base_tree(store: ObjectStore, tmp_path: Path):
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "data" / "orders.csv").write_bytes(b"id,amount\n1,10\n")
    (src / "data" / "customers.csv").write_bytes(b"id,name\n1,Ada\n")
    (src / "README.md").write_bytes(b"# demo\n")
    return ingest_directory(store, src)


def run_threads(worker, count: int) -> None:
    """Run ``worker(i)`` for i in range(count), each in its own thread, and wait for all."""
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def files(sessions: Sessions, sid) -> dict[str, bytes]:
    view = sessions.view(sid)
    return {
        path: sessions.read(sid, path)
        for path, entry in view.walk()
        if entry.kind is not EntryKind.DIR
    }


def test_create_from_a_tree_and_read(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree, name="demo", tags=["t1"])
    assert s.status is SessionStatus.ACTIVE
    assert sessions.read(s.id, "data/orders.csv") == b"id,amount\n1,10\n"
    assert sessions.read(s.id, "data/orders.csv", start=3, length=6) == b"amount"
    assert [e.name for e in sessions.listdir(s.id, "")] == ["README.md", "data"]
    assert sessions.tree(s.id) == base_tree


def test_empty_session(sessions: Sessions) -> None:
    s = sessions.create()
    assert sessions.listdir(s.id) == []
    assert sessions.manifest(s.id).items == ()


def test_write_delete_mkdir_rename_and_tree(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.write(s.id, "data/orders.csv", b"id,amount\n1,11\n")
    sessions.write(s.id, "new/deep/file.txt", b"hello")
    sessions.delete(s.id, "data/customers.csv")
    sessions.mkdir(s.id, "empty")
    sessions.rename(s.id, "README.md", "docs/README.md")
    assert files(sessions, s.id) == {
        "data/orders.csv": b"id,amount\n1,11\n",
        "docs/README.md": b"# demo\n",
        "new/deep/file.txt": b"hello",
    }
    assert sessions.stat(s.id, "empty").kind is EntryKind.DIR
    # the materialized tree holds exactly that, and the base is untouched
    other = sessions.create(tree=sessions.tree(s.id))
    assert files(sessions, other.id) == files(sessions, s.id)
    assert files(sessions, sessions.create(tree=base_tree).id)["README.md"] == b"# demo\n"


def test_tree_id_is_the_tree_without_storing_it(sessions: Sessions, base_tree, store) -> None:
    s = sessions.create(tree=base_tree)
    assert sessions.tree_id(s.id) == base_tree
    sessions.write(s.id, "new/deep/file.txt", b"hello")
    sessions.delete(s.id, "data/customers.csv")
    computed = sessions.tree_id(s.id)
    assert not store.has(computed)
    assert sessions.tree(s.id) == computed
    assert store.has(computed)


def test_rename_a_folder_moves_everything_below(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.write(s.id, "data/extra.csv", b"x")
    sessions.rename(s.id, "data", "archive/2026")
    assert sorted(files(sessions, s.id)) == [
        "README.md",
        "archive/2026/customers.csv",
        "archive/2026/extra.csv",
        "archive/2026/orders.csv",
    ]
    with pytest.raises(NotFound):
        sessions.stat(s.id, "data")
    with pytest.raises(Invalid, match="into itself"):
        sessions.rename(s.id, "archive", "archive/inner")


def test_delete_then_recreate_under_a_deleted_folder(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    with pytest.raises(Conflict, match="not empty"):
        sessions.delete(s.id, "data")
    sessions.delete(s.id, "data", recursive=True)
    assert sorted(files(sessions, s.id)) == ["README.md"]
    sessions.write(s.id, "data/fresh.csv", b"new")
    assert sorted(files(sessions, s.id)) == ["README.md", "data/fresh.csv"]


def test_preconditions(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    current = object_id_of(b"# demo\n")
    with pytest.raises(PreconditionFailed):
        sessions.write(s.id, "README.md", b"x", expected=object_id_of(b"something else"))
    with pytest.raises(PreconditionFailed, match="already exists"):
        sessions.write(s.id, "README.md", b"x", expected=CREATE_ONLY)
    sessions.write(s.id, "README.md", b"v2", expected=current)
    sessions.write(s.id, "NEW.md", b"n", expected=CREATE_ONLY)
    with pytest.raises(PreconditionFailed):
        sessions.delete(s.id, "README.md", expected=current)
    assert sessions.read(s.id, "README.md") == b"v2"
    with pytest.raises(PreconditionFailed):
        sessions.rename(s.id, "README.md", "R.md", expected=current)
    sessions.rename(s.id, "README.md", "R.md", expected=object_id_of(b"v2"))
    assert sessions.read(s.id, "R.md") == b"v2"


def test_writing_below_a_file_is_a_conflict(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    with pytest.raises(Conflict, match="not a folder"):
        sessions.write(s.id, "README.md/inner.txt", b"x")


@pytest.mark.parametrize(
    "path", ["../escape", "/abs", "a\\b", "a/../b", "nul\0", "x" * 300, "a//b", ""]
)
def test_bad_paths_are_refused_and_write_nothing(sessions: Sessions, base_tree, path: str) -> None:
    s = sessions.create(tree=base_tree)
    with pytest.raises(Invalid):
        sessions.write(s.id, path, b"x")
    assert sessions.get(s.id).version == s.version


def test_symlinks_stay_inside(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.symlink(s.id, "data/latest.csv", "orders.csv")
    sessions.symlink(s.id, "top", "data/../README.md")
    entry = sessions.stat(s.id, "data/latest.csv")
    assert entry.kind is EntryKind.LINK
    assert sessions.read(s.id, "data/latest.csv") == b"orders.csv"  # never followed
    for target in ["../../etc/passwd", "/etc/passwd", "../../x", "a\\b"]:
        with pytest.raises(Invalid):
            sessions.symlink(s.id, "data/bad", target)


def test_unknown_session_and_path(sessions: Sessions) -> None:
    with pytest.raises(NotFound):
        sessions.read("s-nope", "x")
    s = sessions.create()
    with pytest.raises(NotFound):
        sessions.read(s.id, "missing.txt")


def test_batch_is_all_or_nothing(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    with pytest.raises(PreconditionFailed):
        sessions.batch(
            s.id,
            [
                {"op": "write", "path": "a.txt", "data": b"a"},
                {"op": "delete", "path": "README.md", "expected": object_id_of(b"wrong")},
            ],
        )
    assert "a.txt" not in files(sessions, s.id)
    sessions.batch(
        s.id,
        [
            {"op": "write", "path": "a.txt", "data": b"a"},
            {"op": "delete", "path": "README.md"},
            {"op": "mkdir", "path": "out"},
            {"op": "rename", "source": "data/orders.csv", "destination": "out/orders.csv"},
        ],
    )
    assert sorted(files(sessions, s.id)) == ["a.txt", "data/customers.csv", "out/orders.csv"]
    with pytest.raises(Invalid, match="unknown batch operation"):
        sessions.batch(s.id, [{"op": "chmod", "path": "a.txt"}])


def test_manifest_pages_are_stable_and_complete(sessions: Sessions) -> None:
    s = sessions.create()
    expected = []
    for i in range(30):
        path = f"d{i % 3}/f{i:02d}.txt"
        sessions.write(s.id, path, f"{i}".encode())
        expected.append(path)
    seen, cursor = [], None
    while True:
        page = sessions.manifest(s.id, cursor=cursor, limit=7)
        seen += [e.path for e in page.items if e.kind is EntryKind.FILE]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(expected)
    only = sessions.manifest(s.id, prefix="d1")
    assert all(e.path.startswith("d1/") for e in only.items)
    assert len(only.items) == 10


def test_checkpoint_restore_and_undo(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.write(s.id, "v.txt", b"one")
    sessions.checkpoint(s.id, "one")
    sessions.write(s.id, "v.txt", b"two")
    sessions.restore(s.id, "one")
    assert sessions.read(s.id, "v.txt") == b"one"
    undo = [
        c for c in sessions.catalog.list_checkpoints(s.id) if c.name.startswith("before-restore")
    ]
    assert len(undo) == 1
    sessions.restore(s.id, undo[0].name)
    assert sessions.read(s.id, "v.txt") == b"two"
    with pytest.raises(Conflict):
        sessions.checkpoint(s.id, "one")
    with pytest.raises(NotFound):
        sessions.restore(s.id, "never")


def test_fork_is_isolated_and_copies_only_changes(sessions: Sessions, base_tree) -> None:
    parent = sessions.create(tree=base_tree)
    sessions.write(parent.id, "p.txt", b"parent")
    child = sessions.fork(parent.id, name="child")
    assert files(sessions, child.id) == files(sessions, parent.id)
    sessions.write(child.id, "c.txt", b"child")
    sessions.write(parent.id, "p.txt", b"parent v2")
    assert "c.txt" not in files(sessions, parent.id)
    assert sessions.read(child.id, "p.txt") == b"parent"
    assert len(sessions.catalog.get_overlay(child.id)) == 2  # p.txt and c.txt, nothing else


def test_archived_sessions_are_read_only(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.archive(s.id)
    with pytest.raises(Forbidden, match="ARCHIVED"):
        sessions.write(s.id, "x.txt", b"x")
    assert sessions.read(s.id, "README.md") == b"# demo\n"


def test_retire_keeps_a_checkpoint(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    sessions.write(s.id, "x.txt", b"x")
    sessions.retire(s.id)
    assert sessions.get(s.id).status is SessionStatus.RETIRED
    kept = sessions.catalog.get_checkpoint(s.id, "retired")
    restored = sessions.create(tree=kept.tree_id)
    assert sessions.read(restored.id, "x.txt") == b"x"
    with pytest.raises(Forbidden):
        sessions.write(s.id, "y.txt", b"y")


def test_eight_writers_one_version_exactly_one_wins(sessions: Sessions, base_tree) -> None:
    s = sessions.create(tree=base_tree)
    start = object_id_of(b"# demo\n")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        barrier.wait()
        try:
            sessions.write(s.id, "README.md", f"writer {i}".encode(), expected=start)
            result = f"won {i}"
        except PreconditionFailed:
            result = "lost"
        with lock:
            outcomes.append(result)

    run_threads(writer, 8)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1
    assert outcomes.count("lost") == 7
    assert sessions.read(s.id, "README.md") == f"writer {winners[0].split()[1]}".encode()


def test_concurrent_writers_of_different_paths_lose_nothing(sessions: Sessions) -> None:
    s = sessions.create()

    def writer(i: int) -> None:
        for j in range(10):
            sessions.write(s.id, f"w{i}/f{j}.txt", f"{i}-{j}".encode())

    run_threads(writer, 4)
    assert len(files(sessions, s.id)) == 40


def test_writers_in_one_process_take_turns(sessions: Sessions) -> None:
    """16 threads writing one session: every change is applied at its first attempt (before
    turns, writers spoiled each other's attempts and some ran out of them)."""
    s = sessions.create()
    attempts = []
    apply = sessions.catalog.apply_overlay

    def counted(*args, **kwargs):
        attempts.append(1)
        return apply(*args, **kwargs)

    sessions.catalog.apply_overlay = counted  # type: ignore[method-assign]

    def writer(i: int) -> None:
        for j in range(5):
            sessions.write(s.id, f"w{i:02d}/f{j}.txt", f"{i}-{j}".encode())

    run_threads(writer, 16)
    assert len(files(sessions, s.id)) == 80
    assert len(attempts) == 80
    assert sessions.get(s.id).version == 81
    assert sessions._turns.held() == 0  # no writer is left holding or waiting


def test_writers_in_two_processes_meet_at_the_compare_and_set(
    store: ObjectStore, catalog_url: str
) -> None:
    """Two Sessions over one catalog stand for two processes: their writers retry (with a
    random pause) and nothing is lost."""
    with SqlCatalog(catalog_url) as one, SqlCatalog(catalog_url) as two:
        replicas = [Sessions(store, one), Sessions(store, two)]
        s = replicas[0].create()

        def writer(i: int) -> None:
            for j in range(5):
                replicas[i % 2].write(s.id, f"w{i}/f{j}.txt", f"{i}-{j}".encode())

        run_threads(writer, 8)
        assert len(files(replicas[1], s.id)) == 40


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8])
def test_manifest_pages_join_up_to_the_full_walk(sessions: Sessions, limit: int) -> None:
    s = sessions.create()
    for path in ["a/x/1", "a/x/2", "a/y", "b", "c/d/e/f", "c/d/g", "é", "z/1", "z/2/3"]:
        sessions.write(s.id, path, path.encode())
    sessions.mkdir(s.id, "empty")
    full = [e.path for e in sessions.manifest(s.id, limit=1000).items]
    assert full[:4] == ["a", "a/x", "a/x/1", "a/x/2"]
    seen, cursor = [], None
    while True:
        page = sessions.manifest(s.id, cursor=cursor, limit=limit)
        seen += [e.path for e in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == full
    inside = sessions.manifest(s.id, prefix="c", limit=2)
    rest = sessions.manifest(s.id, prefix="c", cursor=inside.next_cursor, limit=10)
    assert [e.path for e in inside.items + rest.items] == ["c/d", "c/d/e", "c/d/e/f", "c/d/g"]
    with pytest.raises(Invalid, match="cursor"):
        sessions.manifest(s.id, prefix="c", cursor="a/x")


def test_folder_with_only_new_files_is_not_empty(sessions: Sessions) -> None:
    s = sessions.create()
    sessions.mkdir(s.id, "d")
    sessions.write(s.id, "d/x.txt", b"x")
    with pytest.raises(Conflict, match="not empty"):
        sessions.delete(s.id, "d")
    with pytest.raises(Conflict, match="not empty"):
        sessions.rmdir(s.id, "d")
    assert sessions.read(s.id, "d/x.txt") == b"x"
    sessions.delete(s.id, "d/x.txt")
    sessions.rmdir(s.id, "d")
    assert sessions.listdir(s.id) == []
