"""Assertions shared by the HTTP API tests."""

from __future__ import annotations

import httpx

__all__ = ["PROBLEM", "assert_problem"]

PROBLEM = "application/problem+json"


def assert_problem(answer: httpx.Response, status: int, kind: str | None = None) -> dict:
    """``answer`` is an RFC 9457 problem with ``status`` (and type ``...:<kind>``)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM), answer.headers
    problem = answer.json()
    assert problem["status"] == status
    if kind is not None:
        assert problem["type"] == f"urn:aether:problem:{kind}", problem
    assert "Traceback" not in answer.text
    return problem
