"""Asynchronous imports into sources: a job is recorded QUEUED in the catalog, run on a worker
thread of the process that accepted it, and ends SUCCEEDED (with the commit) or FAILED (with
the reason). Its state lives in the catalog, so any replica can answer for it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aether_data.catalog import Catalog, JobRecord, JobStatus
from aether_data.errors import AetherError, Forbidden, Invalid, PreconditionFailed
from aether_data.ids import SourceName
from aether_data.storage import ObjectStore
from aether_data.workspace import (
    ImportResult,
    Sources,
    import_archive,
    import_folder,
    import_git,
    import_url,
)

__all__ = ["HEARTBEAT", "REMOTE_SCHEMES", "STALE_AFTER", "ImportJobs"]

REMOTE_SCHEMES = frozenset({"http", "https", "s3"})
"""URL schemes a server imports from. Local paths and ``file://`` only in embedded mode."""

_log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=30)
"""How often a running job's worker says it is alive (its ``updated_at`` moves)."""
STALE_AFTER = timedelta(minutes=5)
"""A RUNNING job silent for this long lost its worker (the process stopped): it is FAILED."""


def check_origin(origin: str, *, local: bool) -> None:
    """Refuse an origin this process may not read (``Forbidden``) or cannot parse (``Invalid``)."""
    url = origin[4:] if origin.startswith("git+") else origin
    scheme = urlparse(url).scheme if "://" in url else ""
    if scheme in REMOTE_SCHEMES:
        return
    if not scheme or scheme == "file":
        if local:
            return
        raise Forbidden(
            f"the service does not import local paths ({origin!r}); "
            "upload an archive to /v1/sessions/upload or import an http(s) or s3 URL"
        )
    raise Invalid(f"cannot import {origin!r}: use http(s)://, s3://, or git+ before either")


class ImportJobs:
    """Start, run and report import jobs."""

    def __init__(
        self,
        store: ObjectStore,
        catalog: Catalog,
        sources: Sources,
        *,
        workers: int = 2,
        heartbeat: timedelta = HEARTBEAT,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.sources = sources
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aether-import")

    def start(
        self,
        tenant: str,
        source: SourceName,
        origin: str,
        *,
        branch: str | None = None,
        git_ref: str = "HEAD",
        message: str | None = None,
        local: bool = False,
    ) -> JobRecord:
        """Record a QUEUED job and hand it to a worker."""
        check_origin(origin, local=local)
        options = {"branch": branch, "git_ref": git_ref, "message": message}
        record = self.catalog.create_job(
            JobRecord(
                id=f"j-{secrets.token_hex(8)}",
                tenant=tenant,
                source=source,
                origin=origin,
                options={k: v for k, v in options.items() if v is not None},
            )
        )
        self._pool.submit(self._run, record)
        return record

    def shutdown(self) -> None:
        """Wait for running jobs to end; queued ones stay QUEUED in the catalog."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def settle(self, job: JobRecord) -> JobRecord:
        """``job`` as it stands: a RUNNING job whose worker went silent is marked FAILED."""
        silent = datetime.now(UTC) - job.updated_at
        if job.status is not JobStatus.RUNNING or silent < self.stale_after:
            return job
        reason = (
            f"the process running this import stopped (silent for {int(silent.total_seconds())}"
            " s); start the import again"
        )
        try:
            return self.catalog.update_job(
                job.id, expected_version=job.version, status=JobStatus.FAILED, error=reason
            )
        except PreconditionFailed:
            return self.catalog.get_job(job.id)  # it moved meanwhile: alive after all

    def _run(self, job: JobRecord) -> None:
        try:
            job = self.catalog.update_job(
                job.id, expected_version=job.version, status=JobStatus.RUNNING
            )
        except PreconditionFailed:
            return  # someone else took it
        beat = _Heartbeat(self.catalog, job, self.heartbeat.total_seconds())
        try:
            outcome: dict[str, Any] = {
                "status": JobStatus.SUCCEEDED,
                "commit_id": self._import(job),
            }
        except Exception as exc:  # a job reports every failure instead of raising it
            detail = str(exc) if isinstance(exc, AetherError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, AetherError):
                _log.exception("import job %s failed", job.id)
            outcome = {"status": JobStatus.FAILED, "error": detail}
        finally:
            job = beat.stop()
        self.catalog.update_job(job.id, expected_version=job.version, **outcome)

    def _import(self, job: JobRecord):
        result = self._fetch(job.origin, job.options.get("git_ref", "HEAD"))
        return self.sources.commit_tree(
            job.source,
            result.tree_id,
            branch=job.options.get("branch"),
            message=job.options.get("message") or f"import {job.origin}",
            provenance={**result.provenance, "import_job": job.id},
        )

    def _fetch(self, origin: str, git_ref: str) -> ImportResult:
        if origin.startswith("git+"):
            return import_git(self.store, origin[4:], git_ref)
        if "://" in origin:
            return import_url(self.store, origin)
        path = Path(origin)
        return (
            import_folder(self.store, path) if path.is_dir() else import_archive(self.store, path)
        )


class _Heartbeat:
    """Moves a running job's ``updated_at`` every ``interval`` seconds until stopped, so that
    readers can tell a live job from one whose process died."""

    def __init__(self, catalog: Catalog, job: JobRecord, interval: float) -> None:
        self._catalog = catalog
        self._job = job
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"aether-beat-{job.id}")
        self._thread.daemon = True
        self._thread.start()

    def _beat(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._job = self._catalog.update_job(
                    self._job.id, expected_version=self._job.version
                )
            except AetherError:
                _log.warning("heartbeat of import job %s failed", self._job.id, exc_info=True)

    def stop(self) -> JobRecord:
        """Stop beating; the job's latest record (its version moved with each beat)."""
        self._stopped.set()
        self._thread.join()
        return self._job
