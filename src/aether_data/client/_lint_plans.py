"""One plan per method of ``LintAPI``. The contract is documented once, on
``aether_data.wire.lint``; the docstrings here only name the route."""

from __future__ import annotations

from aether_data.client._calls import Plan, json_call, segment
from aether_data.wire.lint import LintResult

# Every plan below; the clients turn each into a method of the same name.
__all__ = ["lint_session"]


def lint_session(
    session_id: str,
    *,
    path: str | None = None,
    dialect: str | None = None,
    dry_run: bool = False,
    postgres_version: int | None = None,
    assume_in_transaction: bool | None = None,
) -> Plan[LintResult]:
    """``GET /v1/sessions/{id}/lint``."""
    url = f"/v1/sessions/{segment(session_id)}/lint"
    params = {
        "path": path,
        "dialect": dialect,
        "dry_run": dry_run,
        "postgres_version": postgres_version,
        "assume_in_transaction": assume_in_transaction,
    }
    return (yield from json_call("GET", url, LintResult, params=params))
