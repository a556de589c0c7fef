"""``/v1/sessions/{id}/lint``: a session's SQL migrations linted, and dry-run against its
datasets, by the service that holds them (``LintAPI``). Findings are the answer (200), errors
among them; problems are for requests that cannot be answered."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request
from litestar.params import FromPath, QueryParameter

from aether_data.api._auth import ServicesDep, caller_of
from aether_data.api._routes import operation
from aether_data.api._streams import long_waits
from aether_data.service import Scope
from aether_data.wire.lint import LintResult

__all__ = ["LintController"]

AnyRequest = Request[Any, Any, Any]
_READ = Scope.SESSION_READ.value


class LintController(Controller):
    """SQL migrations of a session: lint findings and a dry run."""

    path = "/v1/sessions/{session_id:str}/lint"
    tags = ["lint"]

    @operation("GET", "/", scope=_READ, summary="Lint a session's SQL migrations")
    async def lint_session(
        self,
        request: AnyRequest,
        services: ServicesDep,
        session_id: FromPath[str],
        *,
        path: Annotated[
            str | None,
            QueryParameter(
                description="A .sql file or a folder of the session (default: the [lint] "
                "migrations folder of its aether.toml, else migrations)."
            ),
        ] = None,
        dialect: Annotated[
            str | None,
            QueryParameter(description="postgres, duckdb, mysql or sqlite (default: aether.toml)."),
        ] = None,
        dry_run: Annotated[
            bool,
            QueryParameter(
                description="Also apply the migrations to a scratch DuckDB database loaded "
                "with the datasets [lint.tables] maps."
            ),
        ] = False,
        postgres_version: Annotated[
            int | None,
            QueryParameter(description="PostgreSQL major version (default: aether.toml, 16)."),
        ] = None,
        assume_in_transaction: Annotated[
            bool | None,
            QueryParameter(
                description="Each file runs in a transaction the migration tool opens "
                "(default: aether.toml, false)."
            ),
        ] = None,
    ) -> LintResult:
        """400: no .sql files there, a malformed aether.toml, an unknown dialect or rule, a
        [lint.tables] path that is no file of the session, a migration that is not UTF-8;
        404: no such session or path. A dry run may take long: it runs on the threads of
        transfers, not those of short requests."""
        linter = services.lint_api(caller_of(request).tenant)
        work = partial(
            linter.lint_session,
            session_id,
            path=path,
            dialect=dialect,
            dry_run=dry_run,
            postgres_version=postgres_version,
            assume_in_transaction=assume_in_transaction,
        )
        return await anyio.to_thread.run_sync(work, limiter=long_waits())
