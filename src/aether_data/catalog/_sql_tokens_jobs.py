"""The API tokens and import jobs of ``SqlCatalog``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from aether_data.errors import Conflict, NotFound
from aether_data.ids import ObjectId, SourceName

from . import _checks as check
from . import _codec as codec
from ._schema import import_jobs, tokens
from ._sql_base import SqlBase, after, created_cursor, id_cursor
from .records import JobRecord, JobStatus, Page, TokenRecord


class SqlTokensAndJobs(SqlBase):
    """Tokens and jobs are rows of their own: no other table refers to them."""

    # --- API tokens ----------------------------------------------------------------------

    def create_token(self, record: TokenRecord) -> TokenRecord:
        row = codec.token_row(record)
        with self._write() as conn:
            if not conn.execute(self._insert_new(tokens, row)).rowcount:
                raise Conflict(f"token {record.id!r} already exists")
        return codec.token_from_row(row)

    def get_token(self, token_id: str) -> TokenRecord:
        query = select(tokens).where(tokens.c.id == token_id)
        with self._read() as conn:
            row = self._one(conn, query, f"token {token_id!r}")
        return codec.token_from_row(row)

    def list_tokens(
        self, *, tenant: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[TokenRecord]:
        query = select(tokens).order_by(tokens.c.id)
        if tenant is not None:
            query = query.where(tokens.c.tenant == tenant)
        if cursor is not None:
            query = query.where(tokens.c.id > codec.decode_key_cursor(cursor))
        return self._page(query, limit, id_cursor, codec.token_from_row)

    def revoke_token(self, token_id: str, *, at: datetime | None = None) -> TokenRecord:
        revoked_at = codec.to_micros(self._now() if at is None else at)
        # COALESCE keeps the first revocation, in the one statement that also reads the row.
        query = (
            update(tokens)
            .where(tokens.c.id == token_id)
            .values(revoked_at=func.coalesce(tokens.c.revoked_at, revoked_at))
            .returning(*tokens.c)
        )
        with self._write() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"no token {token_id!r}")
        return codec.token_from_row(row)

    # --- import jobs ---------------------------------------------------------------------

    def create_job(self, record: JobRecord) -> JobRecord:
        row = codec.job_row(record)
        with self._write() as conn:
            if not conn.execute(self._insert_new(import_jobs, row)).rowcount:
                raise Conflict(f"job {record.id!r} already exists")
        return codec.job_from_row(row)

    def get_job(self, job_id: str) -> JobRecord:
        query = select(import_jobs).where(import_jobs.c.id == job_id)
        with self._read() as conn:
            row = self._one(conn, query, f"job {job_id!r}")
        return codec.job_from_row(row)

    def list_jobs(
        self,
        *,
        tenant: str | None = None,
        source: SourceName | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[JobRecord]:
        query = select(import_jobs).order_by(import_jobs.c.created_at, import_jobs.c.id)
        if tenant is not None:
            query = query.where(import_jobs.c.tenant == tenant)
        if source is not None:
            query = query.where(import_jobs.c.source == source)
        if cursor is not None:
            query = query.where(after(import_jobs, cursor))
        return self._page(query, limit, created_cursor, codec.job_from_row)

    def update_job(
        self,
        job_id: str,
        *,
        expected_version: int,
        status: JobStatus | None = None,
        error: str | None = None,
        commit_id: ObjectId | None = None,
    ) -> JobRecord:
        version = check.version(expected_version)  # None would skip the compare
        values = codec.job_changes(status, error, commit_id)
        with self._write() as conn:
            row = self._bump(conn, job_id, version, values, table=import_jobs)
        return codec.job_from_row(row)
