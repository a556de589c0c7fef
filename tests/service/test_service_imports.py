"""Import jobs: recorded QUEUED, run on a worker, ending SUCCEEDED with a commit on the branch or
FAILED with a reason; a server never reads its own disk for a caller."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aether_data.errors import Forbidden, Invalid, NotFound
from aether_data.service import Services, open_services
from aether_data.settings import Settings
from aether_data.wire import ImportJob


@pytest.fixture
def services(tmp_path) -> Iterator[Services]:
    with open_services(Settings.for_home(tmp_path / "home")) as opened:
        yield opened


@pytest.fixture
def web(tmp_path) -> Iterator[str]:
    """An HTTP server on loopback serving ``tmp_path / "www"``."""
    root = tmp_path / "www"
    root.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"id,amount\n1,10\n"
        info = tarfile.TarInfo("data/orders.csv")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (root / "orders.tar").write_bytes(buffer.getvalue())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _wait(services: Services, tenant: str, job: ImportJob) -> ImportJob:
    workspace = services.workspace(tenant)
    deadline = time.monotonic() + 30
    while job.status in ("QUEUED", "RUNNING"):
        assert time.monotonic() < deadline, "import job did not end"
        time.sleep(0.05)
        job = workspace.get_import(job.source, job.id)
    return job


def test_url_import_commits_onto_the_branch(services: Services, web: str) -> None:
    workspace = services.workspace("acme", local_imports=False)
    workspace.create_source("orders")
    job = workspace.start_import("orders", f"{web}/orders.tar", message="nightly")
    assert job.status in ("QUEUED", "RUNNING", "SUCCEEDED")
    done = _wait(services, "acme", job)
    assert done.status == "SUCCEEDED", done.error
    history = workspace.log("orders").items
    assert history[0].id == done.commit
    assert history[0].message == "nightly"
    assert history[0].metadata["import_job"] == job.id
    session = workspace.create_session(source="orders")
    assert workspace.read(session.id, "data/orders.csv") == b"id,amount\n1,10\n"
    assert [j.id for j in workspace.list_imports("orders").items] == [job.id]


def test_failed_import_reports_why_and_leaves_the_branch(services: Services, web: str) -> None:
    workspace = services.workspace()
    workspace.create_source("orders")
    before = workspace.log("orders").items[0].id
    job = workspace.start_import("orders", f"{web}/missing.tar")
    done = _wait(services, "default", job)
    assert done.status == "FAILED"
    assert done.error
    assert done.commit is None
    assert workspace.log("orders").items[0].id == before


def test_local_folder_import_only_when_allowed(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("local")
    remote = services.workspace(local_imports=False)
    remote.create_source("local")
    for origin in (str(folder), folder.as_uri(), f"git+{folder}"):
        with pytest.raises(Forbidden, match="does not import local paths"):
            remote.start_import("local", origin)
    with pytest.raises(Invalid, match="cannot import"):
        remote.start_import("local", "ftp://example.invalid/x.tar")
    embedded = services.workspace()
    done = _wait(services, "default", embedded.start_import("local", str(folder), branch="dev"))
    assert done.status == "SUCCEEDED", done.error
    session = embedded.create_session(source="local", ref="dev")
    assert embedded.read(session.id, "a.txt") == b"local"


def test_jobs_of_other_sources_and_tenants_are_not_found(services: Services, web: str) -> None:
    acme = services.workspace("acme")
    acme.create_source("orders")
    acme.create_source("other")
    job = acme.start_import("orders", f"{web}/orders.tar")
    with pytest.raises(NotFound):
        acme.get_import("other", job.id)
    with pytest.raises(NotFound):
        services.workspace("bob").get_import("orders", job.id)
    _wait(services, "acme", job)


def test_a_running_job_beats_and_a_silent_one_is_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from aether_data.catalog import JobRecord, JobStatus  # noqa: PLC0415
    from aether_data.service.jobs import ImportJobs  # noqa: PLC0415

    with open_services(Settings.for_home(tmp_path / "home")) as services:
        jobs = ImportJobs(
            services.store,
            services.catalog,
            services.sources,
            heartbeat=timedelta(seconds=0.05),
            stale_after=timedelta(seconds=0.2),
        )
        monkeypatch.setitem(services.__dict__, "imports", jobs)
        workspace = services.workspace()
        workspace.create_source("slow")
        folder = tmp_path / "folder"
        folder.mkdir()
        (folder / "a.txt").write_text("a")
        real_fetch = jobs._fetch

        def slow_fetch(origin: str, git_ref: str):
            time.sleep(0.6)  # three times longer than a silence that counts as dead
            return real_fetch(origin, git_ref)

        monkeypatch.setattr(jobs, "_fetch", slow_fetch)
        job = workspace.start_import("slow", str(folder))
        time.sleep(0.4)
        assert workspace.get_import("slow", job.id).status == "RUNNING"  # beating: alive
        done = _wait(services, "default", job)
        assert done.status == "SUCCEEDED", done.error
        assert services.catalog.get_job(job.id).version > 4  # queued, running, beats, end

        past = datetime.now(UTC) - timedelta(minutes=1)
        orphan = services.catalog.create_job(
            JobRecord(
                id="j-0000000000000001",
                tenant="default",
                source="slow",
                origin="https://example.invalid/x.tar",
                status=JobStatus.RUNNING,
                created_at=past,
                updated_at=past,
            )
        )
        settled = workspace.get_import("slow", orphan.id)
        assert settled.status == "FAILED"
        assert "stopped" in (settled.error or "")
        assert [j.status for j in workspace.list_imports("slow").items] == [
            "FAILED",
            "SUCCEEDED",
        ]
