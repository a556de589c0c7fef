"""Sources: creation, source@ref, log, and committing sessions (CAS, merge, conflicts)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aether_data.catalog import SessionStatus, SqlCatalog
from aether_data.errors import Conflict, Forbidden, Invalid, NotFound
from aether_data.storage import LocalObjectStore
from aether_data.workspace.sessions import Sessions
from aether_data.workspace.sources import RefKind, Sources, parse_source_ref


@pytest.fixture
def env(tmp_path: Path, catalog_url: str):
    store = LocalObjectStore(tmp_path / "objects")
    with SqlCatalog(catalog_url) as catalog:
        yield Sessions(store, catalog), Sources(store, catalog)


def _session_on(sessions: Sessions, sources: Sources, source: str, ref: str | None = None):
    commit, tree = sources.resolve(source, ref)
    return sessions.create(tree=tree, source=source, ref=ref or "main", base_commit=commit)


def test_parse_source_ref() -> None:
    assert parse_source_ref("sales") == ("sales", None)
    assert parse_source_ref("sales@v1") == ("sales", "v1")
    for bad in ["", "@main", "sales@"]:
        with pytest.raises(Invalid):
            parse_source_ref(bad)


def test_create_resolve_and_log(env) -> None:
    sessions, sources = env
    sources.create("sales", provenance={"url": "file:///x"})
    _commit, tree = sources.resolve("sales")
    assert sessions.store.get_tree(tree).names == []
    assert [c.message for _, c in sources.log("sales")] == ["initial import"]
    assert sources.log("sales").__next__()[1].meta == {"url": "file:///x"}
    with pytest.raises(NotFound):
        sources.resolve("sales", "nope")
    with pytest.raises(Conflict):
        sources.create("sales")


def test_commit_fast_forward_and_rebase(env) -> None:
    sessions, sources = env
    sources.create("sales")
    s = _session_on(sessions, sources, "sales")
    sessions.write(s.id, "a.csv", b"1")
    out = sources.commit_session(sessions, s.id, message="add a")
    assert out.commit is not None
    assert not out.merged
    commit, _tree = sources.resolve("sales")
    assert commit == out.commit
    assert sessions.get(s.id).base_commit == commit
    assert sessions.catalog.get_overlay(s.id) == {}  # rebased onto its own commit
    assert sessions.read(s.id, "a.csv") == b"1"
    assert [c.message for _, c in sources.log("sales")] == ["add a", "initial import"]


def test_branch_moved_disjoint_changes_merge(env) -> None:
    sessions, sources = env
    sources.create("sales")
    one = _session_on(sessions, sources, "sales")
    two = _session_on(sessions, sources, "sales")
    sessions.write(one.id, "one.csv", b"1")
    sessions.write(two.id, "two.csv", b"2")
    assert sources.commit_session(sessions, one.id, message="one").merged is False
    second = sources.commit_session(sessions, two.id, message="two")
    assert second.merged is True
    reader = _session_on(sessions, sources, "sales")
    assert sessions.read(reader.id, "one.csv") == b"1"
    assert sessions.read(reader.id, "two.csv") == b"2"


def test_overlapping_changes_put_the_session_in_conflict(env) -> None:
    sessions, sources = env
    sources.create("sales")
    seed = _session_on(sessions, sources, "sales")
    sessions.write(seed.id, "shared.csv", b"base")
    sources.commit_session(sessions, seed.id, message="seed")
    one = _session_on(sessions, sources, "sales")
    two = _session_on(sessions, sources, "sales")
    sessions.write(one.id, "shared.csv", b"one")
    sessions.write(two.id, "shared.csv", b"two")
    sources.commit_session(sessions, one.id, message="one")
    head_before = sources.resolve("sales")[0]
    out = sources.commit_session(sessions, two.id, message="two")
    assert out.commit is None
    assert out.conflicts == [{"path": "shared.csv", "kind": out.conflicts[0]["kind"]}]
    record = sessions.get(two.id)
    assert record.status is SessionStatus.CONFLICT
    assert record.metadata["conflicts"][0]["path"] == "shared.csv"
    assert sources.resolve("sales")[0] == head_before  # nothing was committed


def test_two_sessions_committing_at_once_lose_no_update(env) -> None:
    sessions, sources = env
    sources.create("sales")
    workers = [_session_on(sessions, sources, "sales") for _ in range(4)]
    for i, s in enumerate(workers):
        sessions.write(s.id, f"w{i}.csv", str(i).encode())
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def commit(sid) -> None:
        barrier.wait()
        try:
            sources.commit_session(sessions, sid, message=f"commit {sid}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=(s.id,)) for s in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    reader = _session_on(sessions, sources, "sales")
    assert sorted(e.name for e in sessions.listdir(reader.id)) == [f"w{i}.csv" for i in range(4)]
    assert len(list(sources.log("sales"))) == 5


def test_session_without_source_cannot_commit(env) -> None:
    sessions, sources = env
    s = sessions.create()
    with pytest.raises(Invalid, match="no source"):
        sources.commit_session(sessions, s.id, message="x")


def _conflicted(env):
    sessions, sources = env
    sources.create("sales")
    seed = _session_on(sessions, sources, "sales")
    sessions.write(seed.id, "shared.csv", b"base")
    sessions.write(seed.id, "other.csv", b"base")
    sources.commit_session(sessions, seed.id, message="seed")
    one = _session_on(sessions, sources, "sales")
    two = _session_on(sessions, sources, "sales")
    sessions.write(one.id, "shared.csv", b"one")
    sessions.write(two.id, "shared.csv", b"two")
    sessions.write(two.id, "mine.csv", b"two only")
    sources.commit_session(sessions, one.id, message="one")
    sources.commit_session(sessions, two.id, message="two")
    return sessions, sources, two


@pytest.mark.parametrize(("take", "expected"), [("session", b"two"), ("branch", b"one")])
def test_resolving_a_conflict_commits_the_chosen_side(env, take: str, expected: bytes) -> None:
    sessions, sources, two = _conflicted(env)
    with pytest.raises(Invalid, match="take"):
        sources.resolve_conflicts(sessions, two.id, {"shared.csv": "mine"}, message="x")
    out = sources.resolve_conflicts(sessions, two.id, {"shared.csv": take}, message="resolved")
    assert out.commit == sources.resolve("sales")[0]
    reader = _session_on(sessions, sources, "sales")
    assert sessions.read(reader.id, "shared.csv") == expected
    assert sessions.read(reader.id, "mine.csv") == b"two only"
    assert sessions.get(two.id).status is SessionStatus.ACTIVE


def test_resolving_needs_every_path(env) -> None:
    sessions, sources, two = _conflicted(env)
    with pytest.raises(Conflict, match=r"shared\.csv"):
        sources.resolve_conflicts(sessions, two.id, {}, message="x")


def test_promote_to_a_new_source_and_to_a_branch(env) -> None:
    sessions, sources = env
    sources.create("sales")
    s = _session_on(sessions, sources, "sales")
    sessions.write(s.id, "x.csv", b"x")
    name, ref, _ = sources.promote(sessions, s.id, source="sales-v2")
    assert (name, ref) == ("sales-v2", "main")
    assert sessions.read(_session_on(sessions, sources, "sales-v2").id, "x.csv") == b"x"
    sources.promote(sessions, s.id, branch="experiment")
    assert sessions.read(_session_on(sessions, sources, "sales", "experiment").id, "x.csv") == b"x"
    with pytest.raises(Conflict, match="already exists"):
        sources.promote(sessions, s.id, branch="experiment")
    with pytest.raises(Invalid):
        sources.promote(sessions, s.id)


def test_merge_one_session_into_another(env) -> None:
    sessions, sources = env
    sources.create("sales")
    a = _session_on(sessions, sources, "sales")
    b = sessions.fork(a.id)
    sessions.write(a.id, "a.csv", b"a")
    sessions.write(b.id, "b.csv", b"b")
    sessions.merge_from(a.id, b.id)
    assert sessions.read(a.id, "b.csv") == b"b"
    assert sessions.read(a.id, "a.csv") == b"a"
    sessions.write(a.id, "same.csv", b"from a")
    sessions.write(b.id, "same.csv", b"from b")
    with pytest.raises(Conflict, match=r"same\.csv"):
        sessions.merge_from(a.id, b.id)
    assert sessions.read(a.id, "same.csv") == b"from a"


def test_branches_tags_and_commit_ids(env) -> None:
    sessions, sources = env
    sources.create("sales")
    first = sources.resolve("sales")[0]
    s = _session_on(sessions, sources, "sales")
    sessions.write(s.id, "a.csv", b"1")
    sources.commit_session(sessions, s.id, message="a")
    assert sources.create_ref("sales", "v1", kind=RefKind.TAG) == sources.resolve("sales")[0]
    assert sources.create_ref("sales", "old", at=first) == first
    with pytest.raises(Conflict, match="already exists"):
        sources.create_ref("sales", "v1", kind=RefKind.TAG)
    assert sources.resolve("sales", first)[0] == first
    tag = sessions.catalog.get_ref("sales", "v1")
    assert tag.kind is RefKind.TAG
    # a session on the tag sees the tagged state; one on "old" does not
    assert sessions.read(_session_on(sessions, sources, "sales", "v1").id, "a.csv") == b"1"
    old = _session_on(sessions, sources, "sales", "old")
    assert [e.name for e in sessions.listdir(old.id)] == []
    on_tag = _session_on(sessions, sources, "sales", "v1")
    sessions.write(on_tag.id, "b.csv", b"2")
    with pytest.raises(Forbidden, match="tag"):
        sources.commit_session(sessions, on_tag.id, message="move the tag?")
    assert sessions.catalog.get_ref("sales", "v1").commit_id == tag.commit_id
    out = sources.commit_session(sessions, on_tag.id, message="on a branch", branch="from-v1")
    assert sessions.store.get_commit(out.commit).parents == (tag.commit_id,)
