"""Fixtures shared by the whole suite: an S3 endpoint on loopback and a fresh S3 store per test.

The endpoint is moto's threaded server (as s3fs's own tests use), bound to 127.0.0.1 on a free
port for the whole session. A missing test dependency skips on a user's machine and fails in CI.
"""

from __future__ import annotations

import importlib
import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest

from aether_data.storage.s3 import S3ObjectStore

S3_REGION = "us-east-1"
S3_KEY = "testing"
S3_SECRET = "testing"


def pytest_configure(config: pytest.Config) -> None:
    """Python programs this run starts (the ``aether`` executable hundreds of times, servers,
    kernels) keep their compiled bytecode. Where the environment forbids writing it beside the
    sources (PYTHONDONTWRITEBYTECODE), each would compile the whole package again at start,
    about half a second a time; they keep it in a cache folder of their own instead."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        cache = os.path.join(tempfile.gettempdir(), f"aether-tests-pycache-{os.getuid()}")
        os.environ.pop("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONPYCACHEPREFIX"] = cache


def require(module: str) -> ModuleType:
    """Import a test dependency, or skip (user's machine) / fail (CI) saying how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed; run: pip install 'aether-data[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of an S3 endpoint (moto) on loopback, shared by every test of the run."""
    require("s3fs")
    moto_server = require("moto.server")
    port = _free_loopback_port()
    # The server thread is a daemon, so even a run that never reaches stop() exits.
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    """A boto3 S3 client for the test endpoint, for arranging and inspecting buckets."""
    boto3 = require("boto3")
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A new, empty bucket; emptied and removed afterwards so moto's memory stays small."""
    name = f"aether-test-{uuid.uuid4().hex[:20]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    _remove_bucket(s3_client, name)


def _remove_bucket(client: Any, name: str) -> None:
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", ()):
            client.abort_multipart_upload(
                Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
            )
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": entry["Key"]} for entry in page.get("Contents", ())]
        if keys:
            client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
    client.delete_bucket(Bucket=name)


@pytest.fixture
def make_s3_store(s3_endpoint: str) -> Iterator[Callable[[str], S3ObjectStore]]:
    """Makes S3ObjectStores for any ``s3://`` url on the test endpoint; closes them afterwards."""
    made: list[S3ObjectStore] = []

    def make(url: str, **options: Any) -> S3ObjectStore:
        credentials = {"key": S3_KEY, "secret": S3_SECRET, "region": S3_REGION}
        made.append(S3ObjectStore(url, endpoint_url=s3_endpoint, **credentials, **options))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture
def s3_store(make_s3_store: Callable[[str], S3ObjectStore], s3_bucket: str) -> S3ObjectStore:
    """An S3ObjectStore on a fresh bucket, under the prefix ``objects``."""
    return make_s3_store(f"s3://{s3_bucket}/objects")


# --------------------------------------------------------------------------- PostgreSQL
PG_HOST, PG_PORT, PG_MAINTENANCE_DB = "127.0.0.1", 5432, "test"
START_HINT = (
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
CATALOG_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not usable ({reason}); {START_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class PgServer:
    """Creates and drops databases through a maintenance connection."""

    def __init__(self) -> None:
        try:
            self._psycopg = importlib.import_module("psycopg")
        except ImportError:
            _unavailable("the psycopg package is not installed")
        self._admin, self._user = self._connect()
        self._created: list[str] = []

    def _connect(self) -> tuple[Any, str | None]:
        errors = []
        # Trust auth: the OS user if it has a role, else the usual superuser.
        for user in (None, "postgres"):
            try:
                conn = self._psycopg.connect(
                    host=PG_HOST,
                    port=PG_PORT,
                    dbname=PG_MAINTENANCE_DB,
                    user=user,
                    autocommit=True,
                    connect_timeout=3,
                )
                return conn, user
            except self._psycopg.OperationalError as exc:
                errors.append(str(exc).strip().splitlines()[0])
        _unavailable("; ".join(dict.fromkeys(errors)))
        raise AssertionError  # unreachable: _unavailable raises

    def url(self, database: str) -> str:
        user = f"{self._user}@" if self._user else ""
        return f"postgresql+psycopg://{user}{PG_HOST}:{PG_PORT}/{database}"

    def create_database(self) -> str:
        name = f"aether_catalog_{uuid.uuid4().hex[:12]}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        # FORCE ends connections a failed test may have leaked (PostgreSQL 13+).
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def empty(self, database: str) -> None:
        from aether_data.catalog._schema import metadata  # noqa: PLC0415 - tests only

        # DELETE, not TRUNCATE: on a few rows it is ~100x faster (no new files to create).
        with self._psycopg.connect(self.url(database).replace("+psycopg", "")) as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(f'DELETE FROM "{table.name}"')

    def close(self) -> None:
        for name in list(self._created):
            self.drop_database(name)
        self._admin.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def pg_database(pg_server: PgServer) -> str:
    """The database this test run shares between tests (migrated by the first catalog)."""
    return pg_server.create_database()


@pytest.fixture(params=CATALOG_BACKENDS)
def catalog_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A catalog URL: a SQLite file, or the run's PostgreSQL database emptied for this test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    database = request.getfixturevalue("pg_database")
    url = server.url(database)
    from aether_data.catalog import SqlCatalog  # noqa: PLC0415 - migrate before emptying

    SqlCatalog(url).close()
    server.empty(database)
    return url


# --------------------------------------------------------------------------- live HTTP server
@pytest.fixture
def live_server(tmp_path) -> Iterator[Any]:
    """A real HTTP server (uvicorn in a thread) over a fresh data folder; ``.url``, ``.token``
    (admin of tenant ``default``), ``.issue(scopes, tenant=...)``. See ``tests/_live.py``."""
    from _live import start_thread_server  # noqa: PLC0415 - needs litestar and uvicorn
    from aether_data.settings import Settings  # noqa: PLC0415

    with start_thread_server(Settings.for_home(tmp_path / "server")) as server:
        yield server


# ------------------------------------------------------------------------------------ races
@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """``race(worker, threads=8)``: call ``worker(i)`` from threads released together; return
    each result or raised exception."""

    def run_all(worker: Callable[[int], Any], threads: int = 8) -> list[Any]:
        barrier = threading.Barrier(threads)

        def run(i: int) -> Any:
            barrier.wait()
            try:
                return worker(i)
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(run, range(threads)))

    return run_all
