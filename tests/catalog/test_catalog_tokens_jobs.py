"""Catalog conformance for API tokens and import jobs, on SQLite and PostgreSQL via ``catalog``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aether_data.catalog import JobRecord, JobStatus, SqlCatalog, TokenRecord
from aether_data.errors import Conflict, Invalid, NotFound, PreconditionFailed
from aether_data.ids import ObjectId, object_id_of

T0 = datetime(2024, 1, 1, tzinfo=UTC)
THREADS = 8  # what the race fixture uses
Race = Callable[..., list[Any]]


def oid(n: object) -> ObjectId:
    return object_id_of(str(n).encode())


def token(token_id: str = "t1", **fields: Any) -> TokenRecord:
    defaults: dict[str, Any] = {
        "tenant": "acme",
        "name": "ci",
        "secret_hash": hashlib.sha256(token_id.encode()).hexdigest(),
        "scopes": ("source.read",),
        "created_at": T0,
    }
    return TokenRecord(id=token_id, **(defaults | fields))


def job(job_id: str = "j1", **fields: Any) -> JobRecord:
    defaults: dict[str, Any] = {
        "tenant": "acme",
        "source": "sales",
        "origin": "s3://bucket/sales/",
        "created_at": T0,
        "updated_at": T0,
    }
    return JobRecord(id=job_id, **(defaults | fields))


def walk(list_page: Callable[..., Any], **filters: Any) -> list[str]:
    """Ids of every item, walking the cursors one item per page."""
    ids, cursor = [], None
    while True:
        page = list_page(limit=1, cursor=cursor, **filters)
        ids += [item.id for item in page.items]
        if (cursor := page.next_cursor) is None:
            return ids


# --- tokens --------------------------------------------------------------------------------


def test_create_and_get_token(catalog: SqlCatalog) -> None:
    record = token(
        scopes=("session.write", "source.read", "session.write"),
        expires_at=T0 + timedelta(days=30),
    )
    stored = catalog.create_token(record)
    assert stored.scopes == ("session.write", "source.read")  # a set, kept sorted
    assert (stored.tenant, stored.name, stored.secret_hash) == ("acme", "ci", record.secret_hash)
    assert (stored.created_at, stored.expires_at, stored.revoked_at) == (
        T0,
        T0 + timedelta(days=30),
        None,
    )
    assert catalog.get_token("t1") == stored


def test_create_existing_token_conflicts(catalog: SqlCatalog) -> None:
    catalog.create_token(token(name="first"))
    with pytest.raises(Conflict, match="t1"):
        catalog.create_token(token(name="second", tenant="globex"))
    assert catalog.get_token("t1").name == "first"


@pytest.mark.parametrize(
    "fields",
    [
        {"token_id": ""},
        {"token_id": "x" * 33},
        {"token_id": "a/b"},
        {"tenant": ""},
        {"name": None},
        {"secret_hash": "abc"},
        {"secret_hash": "A" * 64},
        {"scopes": "source.read"},
        {"scopes": ["has space"]},
        {"scopes": [""]},
        {"created_at": datetime(2024, 1, 1)},
        {"expires_at": datetime(2024, 1, 1)},
    ],
)
def test_create_token_checks_fields(catalog: SqlCatalog, fields: dict[str, Any]) -> None:
    fields = dict(fields)  # the parameter is shared by both engines' runs
    with pytest.raises(Invalid):
        catalog.create_token(token(fields.pop("token_id", "t1"), **fields))
    assert catalog.list_tokens().items == ()


def test_unknown_token(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound, match="nope"):
        catalog.get_token("nope")
    with pytest.raises(NotFound, match="nope"):
        catalog.revoke_token("nope")


def test_list_tokens_by_id_and_tenant(catalog: SqlCatalog) -> None:
    for n, tenant in [(3, "acme"), (1, "globex"), (2, "acme"), (0, "acme"), (4, "globex")]:
        catalog.create_token(token(f"t{n}", tenant=tenant))
    assert [t.id for t in catalog.list_tokens().items] == ["t0", "t1", "t2", "t3", "t4"]
    assert [t.id for t in catalog.list_tokens(tenant="globex").items] == ["t1", "t4"]
    assert walk(catalog.list_tokens) == ["t0", "t1", "t2", "t3", "t4"]
    assert walk(catalog.list_tokens, tenant="acme") == ["t0", "t2", "t3"]
    first = catalog.list_tokens(limit=2)
    catalog.revoke_token("t3")  # revoked tokens stay listed
    rest = catalog.list_tokens(limit=10, cursor=first.next_cursor)
    assert [t.id for t in rest.items] == ["t2", "t3", "t4"]
    assert rest.next_cursor is None


def test_list_tokens_bad_arguments(catalog: SqlCatalog) -> None:
    for kwargs in ({"cursor": "!!"}, {"cursor": "WzEsImEiXQ"}, {"limit": 0}, {"limit": True}):
        with pytest.raises(Invalid):
            catalog.list_tokens(**kwargs)


def test_revoke_token_keeps_the_first_revocation(catalog: SqlCatalog) -> None:
    catalog.create_token(token())
    revoked = catalog.revoke_token("t1", at=T0 + timedelta(hours=1))
    assert revoked.revoked_at == T0 + timedelta(hours=1)
    again = catalog.revoke_token("t1", at=T0 + timedelta(hours=2))
    assert again == revoked == catalog.get_token("t1")


def test_revoke_token_defaults_to_now(catalog: SqlCatalog) -> None:
    catalog.create_token(token())
    before = datetime.now(UTC)
    revoked = catalog.revoke_token("t1")
    assert revoked.revoked_at is not None
    assert before - timedelta(seconds=1) <= revoked.revoked_at <= datetime.now(UTC)
    with pytest.raises(Invalid):
        catalog.revoke_token("t1", at=datetime(2024, 1, 1))


def test_token_is_active_until_expired_or_revoked() -> None:
    record = token(expires_at=T0 + timedelta(days=1))
    assert record.is_active(T0)
    assert not record.is_active(T0 + timedelta(days=1))
    never_expires = token()
    assert never_expires.is_active(T0 + timedelta(days=10_000))
    revoked = token(revoked_at=T0 + timedelta(hours=1))
    assert revoked.is_active(T0)
    assert not revoked.is_active(T0 + timedelta(hours=1))


def test_revoked_token_read_back_is_inactive(catalog: SqlCatalog) -> None:
    catalog.create_token(token())
    now = datetime.now(UTC)
    assert catalog.get_token("t1").is_active(now)
    catalog.revoke_token("t1", at=now)
    assert not catalog.get_token("t1").is_active(now)


def test_token_revoke_race_keeps_one_revocation(race: Race, catalog: SqlCatalog) -> None:
    catalog.create_token(token())
    results = race(lambda i: catalog.revoke_token("t1", at=T0 + timedelta(minutes=i)))
    assert {r.revoked_at for r in results} == {catalog.get_token("t1").revoked_at}, results


# --- import jobs ---------------------------------------------------------------------------


def test_create_and_get_job(catalog: SqlCatalog) -> None:
    record = job(options={"branch": "main", "depth": 1}, version=9)
    stored = catalog.create_job(record)
    assert stored.version == 1
    assert (stored.status, stored.error, stored.commit_id) == (JobStatus.QUEUED, None, None)
    assert (stored.tenant, stored.source, stored.origin) == ("acme", "sales", record.origin)
    assert stored.options == {"branch": "main", "depth": 1}
    assert (stored.created_at, stored.updated_at) == (T0, T0)
    assert catalog.get_job("j1") == stored


def test_create_existing_job_conflicts(catalog: SqlCatalog) -> None:
    catalog.create_job(job(origin="s3://a/"))
    with pytest.raises(Conflict, match="j1"):
        catalog.create_job(job(origin="s3://b/", tenant="globex"))
    assert catalog.get_job("j1").origin == "s3://a/"


@pytest.mark.parametrize(
    "fields",
    [
        {"job_id": "a/b"},
        {"tenant": ""},
        {"source": "-bad"},
        {"origin": ""},
        {"options": [1]},
        {"options": {"when": T0}},
        {"status": "DONE"},
        {"commit_id": "abc"},
        {"error": 1},
        {"updated_at": datetime(2024, 1, 1)},
    ],
)
def test_create_job_checks_fields(catalog: SqlCatalog, fields: dict[str, Any]) -> None:
    fields = dict(fields)  # the parameter is shared by both engines' runs
    with pytest.raises(Invalid):
        catalog.create_job(job(fields.pop("job_id", "j1"), **fields))
    assert catalog.list_jobs().items == ()


def test_unknown_job(catalog: SqlCatalog) -> None:
    with pytest.raises(NotFound, match="nope"):
        catalog.get_job("nope")
    with pytest.raises(NotFound, match="nope"):
        catalog.update_job("nope", expected_version=1, status=JobStatus.RUNNING)


def test_list_jobs_filters(catalog: SqlCatalog) -> None:
    catalog.create_job(job("a", source="sales"))
    catalog.create_job(job("b", source="hr", tenant="globex"))
    catalog.create_job(job("c", source="hr"))
    catalog.create_job(job("d", source="sales", tenant="globex"))
    ids = lambda page: [j.id for j in page.items]  # noqa: E731
    assert ids(catalog.list_jobs()) == ["a", "b", "c", "d"]
    assert ids(catalog.list_jobs(tenant="acme")) == ["a", "c"]
    assert ids(catalog.list_jobs(source="hr")) == ["b", "c"]
    assert ids(catalog.list_jobs(tenant="globex", source="sales")) == ["d"]
    assert ids(catalog.list_jobs(tenant="nobody")) == []


def test_list_jobs_oldest_first_in_pages(catalog: SqlCatalog) -> None:
    # Few distinct times: ids break the ties.
    for n, seconds in [(4, 1), (0, 0), (3, 1), (2, 0), (1, 2), (5, 1)]:
        at = T0 + timedelta(seconds=seconds)
        catalog.create_job(job(f"j{n}", tenant="acme" if n % 2 else "globex", created_at=at))
    expected = ["j0", "j2", "j3", "j4", "j5", "j1"]
    assert [j.id for j in catalog.list_jobs(limit=1000).items] == expected
    assert walk(catalog.list_jobs) == expected
    assert walk(catalog.list_jobs, tenant="acme") == ["j3", "j5", "j1"]
    first = catalog.list_jobs(limit=3)
    # A job changed mid-walk keeps its place: the order is by creation, not by update.
    catalog.update_job("j4", expected_version=1, status=JobStatus.RUNNING)
    catalog.create_job(job("j9", created_at=T0 + timedelta(days=1)))
    rest = catalog.list_jobs(limit=10, cursor=first.next_cursor)
    assert [j.id for j in first.items + rest.items] == [*expected, "j9"]


def test_list_jobs_bad_arguments(catalog: SqlCatalog) -> None:
    for kwargs in ({"cursor": "!!"}, {"cursor": "WyJhIl0"}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(Invalid):
            catalog.list_jobs(**kwargs)


def test_update_job_runs_it_to_the_end(catalog: SqlCatalog) -> None:
    created = catalog.create_job(job())
    running = catalog.update_job("j1", expected_version=1, status=JobStatus.RUNNING)
    assert (running.status, running.version) == (JobStatus.RUNNING, 2)
    assert running.updated_at > created.updated_at
    done = catalog.update_job(
        "j1", expected_version=2, status=JobStatus.SUCCEEDED, commit_id=oid("c")
    )
    assert (done.status, done.commit_id, done.error, done.version) == (
        JobStatus.SUCCEEDED,
        oid("c"),
        None,
        3,
    )
    assert (done.created_at, done.origin, done.options) == (T0, created.origin, {})
    assert catalog.get_job("j1") == done


def test_update_job_keeps_fields_left_out(catalog: SqlCatalog) -> None:
    catalog.create_job(job())
    failed = catalog.update_job("j1", expected_version=1, status="FAILED", error="no such bucket")
    touched = catalog.update_job("j1", expected_version=2)
    assert (touched.status, touched.error, touched.version) == ("FAILED", "no such bucket", 3)
    assert touched.updated_at >= failed.updated_at


def test_update_job_at_stale_version_fails(catalog: SqlCatalog) -> None:
    catalog.create_job(job())
    catalog.update_job("j1", expected_version=1, status=JobStatus.RUNNING)
    with pytest.raises(PreconditionFailed, match="expected version 1, found version 2"):
        catalog.update_job("j1", expected_version=1, status=JobStatus.FAILED, error="late")
    assert (catalog.get_job("j1").status, catalog.get_job("j1").error) == ("RUNNING", None)


@pytest.mark.parametrize(
    "changes",
    [
        {"expected_version": 0},
        {"expected_version": None},
        {"expected_version": 1, "status": "DONE"},
        {"expected_version": 1, "commit_id": "abc"},
        {"expected_version": 1, "error": 1},
    ],
)
def test_update_job_checks_fields(catalog: SqlCatalog, changes: dict[str, Any]) -> None:
    catalog.create_job(job())
    with pytest.raises(Invalid):
        catalog.update_job("j1", **changes)
    assert catalog.get_job("j1").version == 1


def test_job_claim_race_has_one_winner(race: Race, catalog: SqlCatalog) -> None:
    catalog.create_job(job())
    results = race(lambda i: catalog.update_job("j1", expected_version=1, status=JobStatus.RUNNING))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, PreconditionFailed) for r in results) == THREADS - 1
    assert catalog.get_job("j1") == winners[0]


def test_job_commits_are_roots(catalog: SqlCatalog) -> None:
    catalog.create_job(job("queued"))
    catalog.create_job(job("done", status=JobStatus.SUCCEEDED, commit_id=oid("c")))
    assert list(catalog.iter_roots()) == [oid("c")]
