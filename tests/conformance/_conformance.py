"""Helpers of the conformance suite."""

from __future__ import annotations

import time

from aether_data.wire import ImportJob, WorkspaceAPI

__all__ = ["wait_for"]


def wait_for(api: WorkspaceAPI, source: str, job_id: str, timeout: float = 30.0) -> ImportJob:
    """Poll an import job until it ends (the same way for both implementations)."""
    deadline = time.monotonic() + timeout
    while True:
        job = api.get_import(source, job_id)
        if job.status in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            return job
        time.sleep(0.02)
