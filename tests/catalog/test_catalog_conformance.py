"""Catalog conformance suite: every test runs on SQLite and PostgreSQL through ``catalog``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_data.catalog import (
    DEFAULT_TENANT,
    CommitRecord,
    OverlayEntry,
    OverlayKind,
    RefKind,
    SessionRecord,
    SessionStatus,
    SqlCatalog,
)
from aether_data.errors import Conflict, Invalid, NotFound, PreconditionFailed
from aether_data.ids import ObjectId, SessionId, object_id_of

T0 = datetime(2024, 1, 1, tzinfo=UTC)
THREADS = 8  # what the race fixture uses
Race = Callable[..., list[Any]]


def oid(n: object) -> ObjectId:
    return object_id_of(str(n).encode())


def session(session_id: str = "s1", **fields: Any) -> SessionRecord:
    return SessionRecord(
        id=SessionId(session_id), base_tree=fields.pop("base_tree", oid("base")), **fields
    )


def file(n: object, size: int = 1) -> OverlayEntry:
    return OverlayEntry(OverlayKind.FILE, oid(n), size)


# --- sources -------------------------------------------------------------------------------


def test_create_and_get_source(catalog: SqlCatalog) -> None:
    made = catalog.create_source(
        "sales", default_branch="trunk", description="d", metadata={"from": ["s3://x"]}
    )
    assert made == catalog.get_source("sales")
    assert (made.name, made.default_branch, made.description) == ("sales", "trunk", "d")
    assert made.metadata == {"from": ["s3://x"]}
    assert made.created_at.tzinfo is not None


def test_create_source_defaults(catalog: SqlCatalog) -> None:
    made = catalog.create_source("sales")
    assert (made.default_branch, made.description, made.metadata) == ("main", "", {})
    assert made.tenant == DEFAULT_TENANT == "default"


def test_source_keeps_its_tenant(catalog: SqlCatalog) -> None:
    made = catalog.create_source("sales", tenant="acme")
    assert made.tenant == "acme"
    assert catalog.get_source("sales") == made


def test_source_names_are_unique_across_tenants(catalog: SqlCatalog) -> None:
    catalog.create_source("sales", tenant="acme")
    with pytest.raises(Conflict, match="sales"):
        catalog.create_source("sales", tenant="globex")
    assert catalog.get_source("sales").tenant == "acme"


@pytest.mark.parametrize("tenant", ["", "-x", "a b", "x" * 101, None])
def test_bad_source_tenant_is_invalid(catalog: SqlCatalog, tenant: Any) -> None:
    with pytest.raises(Invalid, match="tenant"):
        catalog.create_source("sales", tenant=tenant)


def test_create_existing_source_conflicts(catalog: SqlCatalog) -> None:
    catalog.create_source("sales")
    with pytest.raises(Conflict, match="sales"):
        catalog.create_source("sales")


@pytest.mark.parametrize("name", ["", "-x", ".x", "a b", "a/b", "x" * 101, "é", None])
def test_bad_source_name_is_invalid(catalog: SqlCatalog, name: Any) -> None:
    with pytest.raises(Invalid):
        catalog.create_source(name)


def test_source_metadata_must_be_json(catalog: SqlCatalog) -> None:
    with pytest.raises(Invalid):
        catalog.create_source("sales", metadata={"when": datetime.now(UTC)})
    with pytest.raises(NotFound):
        catalog.get_source("sales")


def test_get_missing_source(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.get_source("nope")


def test_list_sources_by_name(catalog: SqlCatalog) -> None:
    for name in ["b", "c", "a"]:
        catalog.create_source(name)
    page = catalog.list_sources()
    assert [s.name for s in page.items] == ["a", "b", "c"]
    assert page.next_cursor is None


def test_list_sources_of_a_tenant(catalog: SqlCatalog) -> None:
    catalog.create_source("a", tenant="acme")
    catalog.create_source("b")
    catalog.create_source("c", tenant="acme")
    names = lambda page: [s.name for s in page.items]  # noqa: E731
    assert names(catalog.list_sources(tenant="acme")) == ["a", "c"]
    assert names(catalog.list_sources(tenant="default")) == ["b"]
    assert names(catalog.list_sources(tenant="nobody")) == []


def test_list_sources_pages_visit_each_source_once(catalog: SqlCatalog) -> None:
    for n in [3, 0, 4, 1, 2, 6, 5]:
        catalog.create_source(f"s{n}", tenant="acme" if n % 2 else "default")
    first = catalog.list_sources(limit=3)
    assert [s.name for s in first.items] == ["s0", "s1", "s2"]
    # Sources made mid-walk show up if they sort after the cursor, and never twice.
    catalog.create_source("s00")
    catalog.create_source("s9")
    seen, cursor = list(first.items), first.next_cursor
    while cursor is not None:
        page = catalog.list_sources(limit=3, cursor=cursor)
        seen += page.items
        cursor = page.next_cursor
    assert [s.name for s in seen] == ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s9"]
    acme, cursor = [], None
    while True:
        page = catalog.list_sources(tenant="acme", limit=1, cursor=cursor)
        acme += [s.name for s in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert acme == ["s1", "s3", "s5"]


def test_list_sources_bad_arguments(catalog: SqlCatalog) -> None:
    catalog.create_source("sales")
    session_cursor = "WzEsImEiXQ"  # [1,"a"]: a session listing's cursor, not a source's
    for kwargs in ({"cursor": "!!"}, {"cursor": session_cursor}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(Invalid):
            catalog.list_sources(**kwargs)


def test_delete_source_takes_refs_and_commits(catalog: SqlCatalog) -> None:
    catalog.create_source("sales")
    catalog.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    catalog.record_commit("sales", CommitRecord(commit_id=oid(1), tree_id=oid("t")))
    catalog.delete_source("sales")
    with pytest.raises(NotFound):
        catalog.get_source("sales")
    catalog.create_source("sales")
    assert catalog.list_refs("sales") == []
    assert catalog.list_commits("sales") == []


def test_delete_missing_source(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.delete_source("nope")


# --- refs ----------------------------------------------------------------------------------


@pytest.fixture
def sales(catalog: SqlCatalog) -> SqlCatalog:
    catalog.create_source("sales")
    return catalog


def test_create_ref(sales: SqlCatalog) -> None:
    ref = sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    assert ref is not None
    assert (ref.source, ref.name, ref.kind, ref.commit_id) == ("sales", "main", "branch", oid(1))
    assert sales.get_ref("sales", "main") == ref


def test_create_existing_ref_fails_precondition(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    with pytest.raises(PreconditionFailed, match=f"expected no ref, found {oid(1)}"):
        sales.compare_and_set_ref("sales", "main", new=oid(2), expected=None)


def test_move_ref(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    moved = sales.compare_and_set_ref("sales", "main", new=oid(2), expected=oid(1))
    assert moved is not None
    assert moved.commit_id == oid(2)
    assert sales.get_ref("sales", "main").commit_id == oid(2)


def test_move_ref_from_stale_value_fails(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    sales.compare_and_set_ref("sales", "main", new=oid(2), expected=oid(1))
    with pytest.raises(PreconditionFailed, match=f"expected {oid(1)}, found {oid(2)}"):
        sales.compare_and_set_ref("sales", "main", new=oid(3), expected=oid(1))
    assert sales.get_ref("sales", "main").commit_id == oid(2)


def test_move_missing_ref_fails(sales: SqlCatalog) -> None:
    with pytest.raises(PreconditionFailed, match="found no ref"):
        sales.compare_and_set_ref("sales", "main", new=oid(2), expected=oid(1))


def test_delete_ref(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    with pytest.raises(PreconditionFailed):
        sales.compare_and_set_ref("sales", "main", new=None, expected=oid(2))
    assert sales.compare_and_set_ref("sales", "main", new=None, expected=oid(1)) is None
    with pytest.raises(NotFound):
        sales.get_ref("sales", "main")


def test_assert_ref_absent(sales: SqlCatalog) -> None:
    assert sales.compare_and_set_ref("sales", "main", new=None, expected=None) is None
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    with pytest.raises(PreconditionFailed):
        sales.compare_and_set_ref("sales", "main", new=None, expected=None)


def test_ref_on_unknown_source(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.compare_and_set_ref("nope", "main", new=oid(1), expected=None)
    with pytest.raises(NotFound):
        catalog.get_ref("nope", "main")
    with pytest.raises(NotFound):
        catalog.list_refs("nope")


def test_get_missing_ref(sales: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        sales.get_ref("sales", "main")


def test_list_refs_by_kind(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None)
    sales.compare_and_set_ref("sales", "v1", new=oid(1), expected=None, kind=RefKind.TAG)
    sales.compare_and_set_ref("sales", "dev", new=oid(2), expected=None)
    assert [r.name for r in sales.list_refs("sales")] == ["dev", "main", "v1"]
    assert [r.name for r in sales.list_refs("sales", RefKind.BRANCH)] == ["dev", "main"]
    assert [r.name for r in sales.list_refs("sales", kind="tag")] == ["v1"]


def test_moving_a_ref_keeps_its_kind(sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "v1", new=oid(1), expected=None, kind="tag")
    moved = sales.compare_and_set_ref("sales", "v1", new=oid(2), expected=oid(1))
    assert moved is not None
    assert moved.kind is RefKind.TAG


@pytest.mark.parametrize(
    "name",
    ["", "a..b", "-x", "a b", "a/", "/a", "a//b", "x.lock", "a/b.lock/c", "a/.hidden", ".a",
     "a\x01", "a\x7f", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "@", "a@{b", "a.",
     "x" * 256],
)  # fmt: skip
def test_bad_ref_name_is_invalid(sales: SqlCatalog, name: str) -> None:
    with pytest.raises(Invalid):
        sales.compare_and_set_ref("sales", name, new=oid(1), expected=None)


@pytest.mark.parametrize("name", ["main", "feature/x-1", "release/2024.01", "u/ana/wip", "a@b"])
def test_good_ref_names(sales: SqlCatalog, name: str) -> None:
    sales.compare_and_set_ref("sales", name, new=oid(1), expected=None)
    assert sales.get_ref("sales", name).name == name


@pytest.mark.parametrize("bad", ["abc", "A" * 64, oid(1)[:-1] + "g", b"0" * 64])
def test_bad_object_id_is_invalid(sales: SqlCatalog, bad: Any) -> None:
    with pytest.raises(Invalid):
        sales.compare_and_set_ref("sales", "main", new=bad, expected=None)


def test_bad_ref_kind_is_invalid(sales: SqlCatalog) -> None:
    with pytest.raises(Invalid):
        sales.compare_and_set_ref("sales", "main", new=oid(1), expected=None, kind="branchy")


# --- commit index --------------------------------------------------------------------------


def commit(n: int, **fields: Any) -> CommitRecord:
    fields.setdefault("committed_at", T0 + timedelta(minutes=n))
    return CommitRecord(commit_id=oid(n), tree_id=oid(f"tree{n}"), **fields)


def test_record_and_get_commit(sales: SqlCatalog) -> None:
    record = commit(1, parents=(oid(0),), author="ana <ana@x>", message="first")
    sales.record_commit("sales", record)
    assert sales.get_commit("sales", oid(1)) == record


def test_record_commit_is_idempotent(sales: SqlCatalog) -> None:
    sales.record_commit("sales", commit(1))
    sales.record_commit("sales", commit(1))
    assert sales.list_commits("sales") == [commit(1)]


def test_record_commit_on_unknown_source(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.record_commit("nope", commit(1))


def test_record_commit_checks_fields(sales: SqlCatalog) -> None:
    with pytest.raises(Invalid):
        sales.record_commit("sales", commit(1, committed_at=datetime(2024, 1, 1)))
    with pytest.raises(Invalid):
        sales.record_commit("sales", commit(1, parents=("nope",)))


def test_get_missing_commit(sales: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        sales.get_commit("sales", oid(1))


def test_list_commits_newest_first_in_pages(sales: SqlCatalog) -> None:
    for n in range(10):
        sales.record_commit("sales", commit(n))
    first = sales.list_commits("sales", limit=4)
    assert [c.commit_id for c in first] == [oid(n) for n in (9, 8, 7, 6)]
    rest = sales.list_commits("sales", limit=100, before=first[-1].commit_id)
    assert [c.commit_id for c in rest] == [oid(n) for n in range(5, -1, -1)]
    older = sales.list_commits("sales", before=T0 + timedelta(minutes=2))
    assert [c.commit_id for c in older] == [oid(1), oid(0)]


def test_list_commits_errors(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.list_commits("nope")
    catalog.create_source("sales")
    with pytest.raises(NotFound):
        catalog.list_commits("sales", before=oid(1))
    with pytest.raises(Invalid):
        catalog.list_commits("sales", limit=0)


# --- sessions ------------------------------------------------------------------------------


def test_create_and_get_session(catalog: SqlCatalog) -> None:
    record = session(
        name="exploration",
        source="sales",
        ref="main",
        base_commit=oid("c"),
        tags=("team:data", "q3", "q3"),
        metadata={"owner": "ana"},
        version=7,
    )
    stored = catalog.create_session(record)
    assert stored.version == 1
    assert stored.tags == ("team:data", "q3")
    assert stored.status is SessionStatus.ACTIVE
    assert stored.tenant == DEFAULT_TENANT
    assert catalog.get_session("s1") == stored
    assert stored.created_at == record.created_at


def test_session_keeps_its_tenant(catalog: SqlCatalog) -> None:
    stored = catalog.create_session(session(tenant="acme"))
    assert stored.tenant == "acme"
    assert catalog.get_session("s1") == stored
    updated = catalog.update_session("s1", expected_version=1, name="renamed")
    assert updated.tenant == "acme"
    with pytest.raises(Invalid, match="tenant"):
        catalog.update_session("s1", expected_version=2, tenant="globex")


def test_create_existing_session_conflicts(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    with pytest.raises(Conflict):
        catalog.create_session(session())


@pytest.mark.parametrize(
    "fields",
    [
        {"session_id": "a/b"},
        {"base_tree": "x"},
        {"status": "DONE"},
        {"tags": "abc"},
        {"tags": ["\n"]},
        {"source": "-bad"},
        {"ref": "a..b"},
        {"metadata": [1]},
        {"created_at": datetime(2024, 1, 1)},
        {"tenant": "a/b"},
        {"tenant": ""},
    ],
)
def test_create_session_checks_fields(catalog: SqlCatalog, fields: dict[str, Any]) -> None:
    fields = dict(fields)  # the parameter is shared by both engines' runs
    record = session(fields.pop("session_id", "s1"), **fields)
    with pytest.raises(Invalid):
        catalog.create_session(record)


def test_get_missing_session(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.get_session("nope")


def test_update_session(catalog: SqlCatalog) -> None:
    created = catalog.create_session(session(tags=["a"]))
    updated = catalog.update_session(
        "s1",
        expected_version=1,
        name="renamed",
        status=SessionStatus.PENDING_APPROVAL,
        tags=["b", "c"],
        base_commit=oid("c2"),
        base_tree=oid("t2"),
        source="sales",
        ref="dev",
        metadata={"k": 1},
    )
    assert updated.version == 2
    assert updated.updated_at >= created.updated_at
    assert (updated.name, updated.status, updated.tags) == (
        "renamed",
        "PENDING_APPROVAL",
        ("b", "c"),
    )
    assert (updated.base_commit, updated.base_tree) == (oid("c2"), oid("t2"))
    assert (updated.source, updated.ref, updated.metadata) == ("sales", "dev", {"k": 1})
    assert updated.created_at == created.created_at
    assert catalog.get_session("s1") == updated


def test_update_session_can_clear_optional_fields(catalog: SqlCatalog) -> None:
    catalog.create_session(session(name="n", source="sales", ref="main", base_commit=oid(1)))
    cleared = catalog.update_session(
        "s1", expected_version=1, name=None, source=None, ref=None, base_commit=None
    )
    assert (cleared.name, cleared.source, cleared.ref, cleared.base_commit) == (None,) * 4


def test_update_session_at_stale_version_fails(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.update_session("s1", expected_version=1, name="x")
    with pytest.raises(PreconditionFailed, match="expected version 1, found version 2"):
        catalog.update_session("s1", expected_version=1, name="y")
    assert catalog.get_session("s1").name == "x"


def test_update_session_errors(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.update_session("nope", expected_version=1, name="x")
    catalog.create_session(session())
    with pytest.raises(Invalid, match="created_at"):
        catalog.update_session("s1", expected_version=1, created_at=T0)
    with pytest.raises(Invalid):
        catalog.update_session("s1", expected_version=1, status="DONE")
    with pytest.raises(Invalid):
        catalog.update_session("s1", expected_version=1, base_tree=None)
    assert catalog.get_session("s1").version == 1


def test_delete_session_takes_overlay_and_checkpoints(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.apply_overlay("s1", expected_version=1, changes={"a": file(1)})
    catalog.create_checkpoint("s1", "cp", oid("t"))
    catalog.delete_session("s1")
    for call in (catalog.get_session, catalog.get_overlay, catalog.list_checkpoints):
        with pytest.raises(NotFound):
            call("s1")
    catalog.create_session(session(tags=["x"]))  # the id is free again, with nothing left over
    assert catalog.get_overlay("s1") == {}
    assert catalog.list_checkpoints("s1") == []


def test_delete_session_errors(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.delete_session("nope")
    catalog.create_session(session())
    with pytest.raises(PreconditionFailed):
        catalog.delete_session("s1", expected_version=2)
    catalog.delete_session("s1", expected_version=1)


def test_list_sessions_filters(catalog: SqlCatalog) -> None:
    catalog.create_session(session("a", source="sales", tags=["x"]))
    catalog.create_session(session("b", source="sales", status=SessionStatus.ARCHIVED))
    catalog.create_session(session("c", source="hr", tags=["x", "y"]))
    ids = lambda page: [s.id for s in page.items]  # noqa: E731
    assert ids(catalog.list_sessions()) == ["a", "b", "c"]
    assert ids(catalog.list_sessions(source="sales")) == ["a", "b"]
    assert ids(catalog.list_sessions(status="ARCHIVED")) == ["b"]
    assert ids(catalog.list_sessions(tag="x")) == ["a", "c"]
    assert ids(catalog.list_sessions(tag="x", source="hr")) == ["c"]
    catalog.update_session("a", expected_version=1, tags=["z"])
    assert ids(catalog.list_sessions(tag="x")) == ["c"]
    assert ids(catalog.list_sessions(tag="z")) == ["a"]


def test_list_sessions_of_a_tenant(catalog: SqlCatalog) -> None:
    catalog.create_session(session("a", tenant="acme", source="sales"))
    catalog.create_session(session("b", source="sales"))
    catalog.create_session(session("c", tenant="acme", tags=["x"]))
    ids = lambda page: [s.id for s in page.items]  # noqa: E731
    assert ids(catalog.list_sessions(tenant="acme")) == ["a", "c"]
    assert ids(catalog.list_sessions(tenant="default")) == ["b"]
    assert ids(catalog.list_sessions(tenant="acme", source="sales")) == ["a"]
    assert ids(catalog.list_sessions(tenant="acme", tag="x")) == ["c"]
    assert ids(catalog.list_sessions(tenant="nobody")) == []
    first = catalog.list_sessions(tenant="acme", limit=1)
    second = catalog.list_sessions(tenant="acme", limit=1, cursor=first.next_cursor)
    assert (ids(first), ids(second), second.next_cursor) == (["a"], ["c"], None)


def test_list_sessions_pages(catalog: SqlCatalog) -> None:
    for n in range(5):
        catalog.create_session(session(f"s{n}", created_at=T0 + timedelta(seconds=n)))
    first = catalog.list_sessions(limit=2)
    assert [s.id for s in first.items] == ["s0", "s1"]
    assert first.next_cursor
    # A session created mid-walk does not disturb the walk; being newest, it shows up last.
    catalog.create_session(session("s9", created_at=T0 + timedelta(days=1)))
    second = catalog.list_sessions(limit=2, cursor=first.next_cursor)
    third = catalog.list_sessions(limit=2, cursor=second.next_cursor)
    assert [s.id for s in second.items + third.items] == ["s2", "s3", "s4", "s9"]
    assert third.next_cursor is None


def test_list_sessions_bad_arguments(catalog: SqlCatalog) -> None:
    for kwargs in ({"cursor": "!!"}, {"cursor": "WzFd"}, {"limit": 0}, {"status": "DONE"}):
        with pytest.raises(Invalid):
            catalog.list_sessions(**kwargs)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moments=st.lists(st.integers(min_value=0, max_value=3), max_size=12),
    limit=st.integers(min_value=1, max_value=5),
)
def test_session_paging_is_stable_and_complete(
    catalog: SqlCatalog, moments: list[int], limit: int
) -> None:
    tag = uuid.uuid4().hex  # this example's sessions only; the database outlives examples
    for at in moments:  # few distinct times: ids must break the ties
        record = session(uuid.uuid4().hex[:10], tags=[tag], created_at=T0 + timedelta(seconds=at))
        catalog.create_session(record)
    seen, cursor = [], None
    while True:
        page = catalog.list_sessions(tag=tag, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(moments) == len({s.id for s in seen})
    assert [s.created_at for s in seen] == sorted(s.created_at for s in seen)
    assert list(catalog.list_sessions(tag=tag, limit=1000).items) == seen


# --- overlays ------------------------------------------------------------------------------


def test_apply_and_get_overlay(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    changes = {
        "data/a.csv": file(1, 10),
        "run.sh": OverlayEntry(OverlayKind.EXEC, oid(2), 5),
        "old.txt": OverlayEntry.tombstone(),
        "empty": OverlayEntry(OverlayKind.DIR),
        "latest": OverlayEntry(OverlayKind.LINK, oid(3), 8),
    }
    after = catalog.apply_overlay("s1", expected_version=1, changes=changes)
    assert after.version == 2
    overlay = catalog.get_overlay("s1")
    assert overlay == changes
    assert list(overlay) == sorted(changes)


def test_apply_overlay_none_reverts_path(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.apply_overlay("s1", expected_version=1, changes={"a": file(1), "b": file(2)})
    catalog.apply_overlay("s1", expected_version=2, changes={"a": None, "b": file(3), "c": None})
    assert catalog.get_overlay("s1") == {"b": file(3)}


def test_apply_overlay_replace(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.apply_overlay("s1", expected_version=1, changes={"a": file(1), "b": file(2)})
    catalog.apply_overlay("s1", expected_version=2, changes={"c": file(3)}, replace=True)
    assert catalog.get_overlay("s1") == {"c": file(3)}


def test_apply_overlay_many_paths(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    paths = [f"part/{n:04}.parquet" for n in range(1200)]
    catalog.apply_overlay("s1", expected_version=1, changes={p: file(p) for p in paths})
    catalog.apply_overlay("s1", expected_version=2, changes=dict.fromkeys(paths[:1100]))
    assert list(catalog.get_overlay("s1")) == paths[1100:]


def test_get_overlay_prefix_is_a_folder(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    paths = ["a", "a/b", "a/b/c", "a/bc", "A/b", "a_b/x", "a%/x", "b"]
    catalog.apply_overlay("s1", expected_version=1, changes={p: file(p) for p in paths})
    assert list(catalog.get_overlay("s1", prefix="a/b")) == ["a/b", "a/b/c"]
    assert list(catalog.get_overlay("s1", prefix="a/b/")) == ["a/b", "a/b/c"]
    assert list(catalog.get_overlay("s1", prefix="a")) == ["a", "a/b", "a/b/c", "a/bc"]
    assert list(catalog.get_overlay("s1", prefix="a%")) == ["a%/x"]
    assert len(catalog.get_overlay("s1", prefix="")) == len(paths)


def test_failed_precondition_writes_nothing(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.apply_overlay("s1", expected_version=1, changes={"a": file(1)})
    with pytest.raises(PreconditionFailed, match="expected version 1, found version 2"):
        catalog.apply_overlay(
            "s1", expected_version=1, changes={"a": None, "b": file(2)}, replace=True
        )
    assert catalog.get_overlay("s1") == {"a": file(1)}
    assert catalog.get_session("s1").version == 2


@pytest.mark.parametrize(
    "change",
    [
        {"/abs": file(1)},
        {"a//b": file(1)},
        {"a/../b": file(1)},
        {"a/./b": file(1)},
        {"": file(1)},
        {"x\n": file(1)},
        {"x" * 2049: file(1)},
        {"ok": OverlayEntry(OverlayKind.FILE)},
        {"ok": OverlayEntry(OverlayKind.TOMBSTONE, oid(1))},
        {"ok": OverlayEntry("socket", oid(1))},
        {"ok": OverlayEntry(OverlayKind.FILE, oid(1), -1)},
        {"ok": "not an entry"},
    ],
)
def test_bad_overlay_change_writes_nothing(catalog: SqlCatalog, change: dict[str, Any]) -> None:
    catalog.create_session(session())
    with pytest.raises(Invalid):
        catalog.apply_overlay("s1", expected_version=1, changes={"fine": file(0), **change})
    assert catalog.get_overlay("s1") == {}
    assert catalog.get_session("s1").version == 1


def test_overlay_of_missing_session(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.get_overlay("nope")
    with pytest.raises(NotFound):
        catalog.apply_overlay("nope", expected_version=1, changes={"a": file(1)})


def test_copy_overlay(catalog: SqlCatalog) -> None:
    catalog.create_session(session("parent"))
    catalog.create_session(session("child"))
    catalog.apply_overlay("parent", expected_version=1, changes={"a": file(1), "b/c": file(2)})
    catalog.apply_overlay("child", expected_version=1, changes={"stale": file(3)})
    child = catalog.copy_overlay("parent", "child", expected_version=2)
    assert child.version == 3
    assert catalog.get_overlay("child") == {"a": file(1), "b/c": file(2)}
    assert catalog.get_session("parent").version == 2
    catalog.apply_overlay("child", expected_version=3, changes={"a": None})
    assert catalog.get_overlay("parent") == {"a": file(1), "b/c": file(2)}  # copies are separate


def test_copy_overlay_errors(catalog: SqlCatalog) -> None:
    catalog.create_session(session("parent"))
    with pytest.raises(NotFound):
        catalog.copy_overlay("parent", "nope")
    with pytest.raises(NotFound):
        catalog.copy_overlay("nope", "parent")
    with pytest.raises(Invalid):
        catalog.copy_overlay("parent", "parent")
    catalog.create_session(session("child"))
    with pytest.raises(PreconditionFailed):
        catalog.copy_overlay("parent", "child", expected_version=5)


# --- checkpoints ---------------------------------------------------------------------------


def test_checkpoints(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    first = catalog.create_checkpoint("s1", "z-first", oid("t1"), message="before cleanup")
    second = catalog.create_checkpoint("s1", "auto-2024-01-01T00:00:00Z", oid("t2"))
    assert catalog.get_checkpoint("s1", "z-first") == first
    assert (first.tree_id, first.message, second.message) == (oid("t1"), "before cleanup", "")
    assert catalog.list_checkpoints("s1") == [first, second]


def test_checkpoints_are_immutable(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.create_checkpoint("s1", "cp", oid("t1"))
    with pytest.raises(Conflict):
        catalog.create_checkpoint("s1", "cp", oid("t2"))
    assert catalog.get_checkpoint("s1", "cp").tree_id == oid("t1")


def test_checkpoint_errors(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.create_checkpoint("nope", "cp", oid(1))
    catalog.create_session(session())
    with pytest.raises(NotFound):
        catalog.get_checkpoint("s1", "cp")
    with pytest.raises(Invalid):
        catalog.create_checkpoint("s1", "a b", oid(1))
    with pytest.raises(Invalid):
        catalog.create_checkpoint("s1", "cp", "tree")


def test_delete_checkpoint(catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    catalog.create_checkpoint("s1", "cp", oid(1))
    catalog.delete_checkpoint("s1", "cp")
    with pytest.raises(NotFound):
        catalog.delete_checkpoint("s1", "cp")
    assert catalog.list_checkpoints("s1") == []


# --- reachability --------------------------------------------------------------------------


def test_iter_roots_names_exactly_the_catalogs_objects(catalog: SqlCatalog) -> None:
    assert list(catalog.iter_roots()) == []
    catalog.create_source("sales")
    catalog.compare_and_set_ref("sales", "main", new=oid("ref"), expected=None)
    catalog.compare_and_set_ref("sales", "v1", new=oid("ref"), expected=None, kind="tag")
    catalog.record_commit(
        "sales", CommitRecord(commit_id=oid("c"), tree_id=oid("ct"), parents=(oid("p"),))
    )
    catalog.create_session(session("a", base_tree=oid("bt"), base_commit=oid("bc")))
    catalog.create_session(session("b", base_tree=oid("bt")))
    changes = {"x": file("o1"), "y": OverlayEntry.tombstone(), "d": OverlayEntry(OverlayKind.DIR)}
    catalog.apply_overlay("a", expected_version=1, changes=changes)
    catalog.create_checkpoint("b", "cp", oid("cpt"))
    roots = list(catalog.iter_roots())
    assert len(roots) == len(set(roots))
    assert set(roots) == {oid(n) for n in ("ref", "c", "ct", "bt", "bc", "o1", "cpt")}


# --- concurrency ---------------------------------------------------------------------------


def test_ref_move_race_has_one_winner(race: Race, sales: SqlCatalog) -> None:
    sales.compare_and_set_ref("sales", "main", new=oid(0), expected=None)
    results = race(
        lambda i: sales.compare_and_set_ref("sales", "main", new=oid(i + 1), expected=oid(0))
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, PreconditionFailed) for r in results if r not in winners)
    assert sales.get_ref("sales", "main").commit_id == winners[0].commit_id


def test_ref_create_race_has_one_winner(race: Race, sales: SqlCatalog) -> None:
    results = race(lambda i: sales.compare_and_set_ref("sales", "new", new=oid(i), expected=None))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert sum(isinstance(r, PreconditionFailed) for r in results) == THREADS - 1


def test_ref_counter_loses_no_update(
    race: Race, sales: SqlCatalog, open_again: Callable[[], SqlCatalog]
) -> None:
    """Threads on two catalog instances (two replicas) increment a counter held in a ref."""
    per_thread = 5
    value_of = {oid(n): n for n in range(THREADS * per_thread + 1)}
    sales.compare_and_set_ref("sales", "counter", new=oid(0), expected=None)
    replicas = [sales, open_again()]

    def increment(i: int) -> int:
        catalog, retries = replicas[i % 2], 0
        for _ in range(per_thread):
            while True:
                current = catalog.get_ref("sales", "counter").commit_id
                new = oid(value_of[current] + 1)
                try:
                    catalog.compare_and_set_ref("sales", "counter", new=new, expected=current)
                    break
                except PreconditionFailed:
                    retries += 1
        return retries

    results = race(increment)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert value_of[sales.get_ref("sales", "counter").commit_id] == THREADS * per_thread


def test_session_update_race_has_one_winner(race: Race, catalog: SqlCatalog) -> None:
    catalog.create_session(session())
    results = race(lambda i: catalog.update_session("s1", expected_version=1, name=f"n{i}"))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, PreconditionFailed) for r in results) == THREADS - 1
    assert catalog.get_session("s1") == winners[0]


def test_session_counter_loses_no_update(
    race: Race, catalog: SqlCatalog, open_again: Callable[[], SqlCatalog]
) -> None:
    per_thread = 5
    catalog.create_session(session(metadata={"count": 0}))
    replicas = [catalog, open_again()]

    def increment(i: int) -> None:
        replica = replicas[i % 2]
        for _ in range(per_thread):
            while True:
                current = replica.get_session("s1")
                count = current.metadata["count"] + 1
                try:
                    replica.update_session(
                        "s1", expected_version=current.version, metadata={"count": count}
                    )
                    break
                except PreconditionFailed:
                    continue

    assert race(increment) == [None] * THREADS
    final = catalog.get_session("s1")
    assert final.metadata["count"] == THREADS * per_thread == final.version - 1


def test_overlay_race_has_one_winner(race: Race, catalog: SqlCatalog) -> None:
    catalog.create_session(session())

    def write(i: int) -> Any:
        changes = {f"by-{i}/{n}": file((i, n)) for n in range(20)}
        return catalog.apply_overlay("s1", expected_version=1, changes=changes)

    results = race(write)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    overlay = catalog.get_overlay("s1")
    assert len(overlay) == 20
    assert len({path.split("/")[0] for path in overlay}) == 1
