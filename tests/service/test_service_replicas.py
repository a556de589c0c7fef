"""Scale-out: two replicas (separate Services, as two processes have) sharing one PostgreSQL
catalog and one S3 bucket see each other's work at once; nothing in a replica's memory is
authoritative."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from aether_data.errors import PreconditionFailed
from aether_data.service import Services, open_services
from aether_data.settings import Settings


@pytest.fixture
def replicas(
    pg_server, pg_database, s3_endpoint, s3_bucket, tmp_path, monkeypatch
) -> Iterator[tuple]:
    # The service takes S3 credentials from the standard AWS chain, as in production.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from aether_data.catalog import SqlCatalog  # noqa: PLC0415 - migrate before emptying

    url = pg_server.url(pg_database)
    SqlCatalog(url).close()
    pg_server.empty(pg_database)
    opened = []
    for name in ("a", "b"):
        settings = Settings.for_home(
            tmp_path / name,
            catalog_url=url,
            store_url=f"s3://{s3_bucket}/objects",
            s3_endpoint_url=s3_endpoint,
            s3_region="us-east-1",
        )
        opened.append(open_services(settings))
    yield tuple(opened)
    for services in opened:
        services.close()


@pytest.mark.postgres
@pytest.mark.s3
def test_each_replica_sees_the_others_changes(replicas: tuple[Services, Services]) -> None:
    a, b = (r.workspace("acme") for r in replicas)
    session = a.create_session(template="starter")
    first = a.write(session.id, "notes.txt", b"from a")
    assert b.read(session.id, "notes.txt") == b"from a"  # b caches nothing stale
    b.write(session.id, "notes.txt", b"from b", expected=first.id)
    assert a.read(session.id, "notes.txt") == b"from b"
    with pytest.raises(PreconditionFailed):
        a.write(session.id, "notes.txt", b"lost update", expected=first.id)
    a.checkpoint(session.id, "cp")
    assert [c.name for c in b.list_checkpoints(session.id).items] == ["cp"]
    a.create_source("shared")
    assert b.get_source("shared").name == "shared"


@pytest.mark.postgres
@pytest.mark.s3
def test_concurrent_writers_on_two_replicas_lose_nothing(replicas) -> None:
    a, b = (r.workspace() for r in replicas)
    session = a.create_session()

    def writer(workspace, prefix: str) -> None:
        for i in range(10):
            workspace.write(session.id, f"{prefix}/{i}.txt", f"{prefix}{i}".encode())

    threads = [threading.Thread(target=writer, args=(w, p)) for w, p in ((a, "a"), (b, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = {item.path for item in b.manifest(session.id).items if item.kind == "file"}
    assert names == {f"{p}/{i}.txt" for p in "ab" for i in range(10)}
    assert a.read(session.id, "b/9.txt") == b"b9"
