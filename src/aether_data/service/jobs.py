"""Asynchronous imports into sources: a job is recorded QUEUED in the catalog, run on a worker
thread of the process that accepted it, and ends SUCCEEDED (with the commit) or FAILED (with
the reason). Its state lives in the catalog, so any replica can answer for it.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
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

__all__ = ["REMOTE_SCHEMES", "ImportJobs"]

REMOTE_SCHEMES = frozenset({"http", "https", "s3"})
"""URL schemes a server imports from. Local paths and ``file://`` only in embedded mode."""

_log = logging.getLogger(__name__)


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
        self, store: ObjectStore, catalog: Catalog, sources: Sources, *, workers: int = 2
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.sources = sources
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

    def _run(self, job: JobRecord) -> None:
        try:
            job = self.catalog.update_job(
                job.id, expected_version=job.version, status=JobStatus.RUNNING
            )
        except PreconditionFailed:
            return  # someone else took it
        try:
            commit_id = self._import(job)
        except Exception as exc:  # a job reports every failure instead of raising it
            detail = str(exc) if isinstance(exc, AetherError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, AetherError):
                _log.exception("import job %s failed", job.id)
            self.catalog.update_job(
                job.id, expected_version=job.version, status=JobStatus.FAILED, error=detail
            )
            return
        self.catalog.update_job(
            job.id, expected_version=job.version, status=JobStatus.SUCCEEDED, commit_id=commit_id
        )

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
