"""Tenants on sources and sessions; API tokens; import jobs.

Rows written before this revision belong to the tenant 'default' (the column's server default).

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(100)
OBJECT_ID = sa.String(64)


def _tenant() -> sa.Column:
    return sa.Column("tenant", NAME, nullable=False, server_default="default")


def upgrade() -> None:
    # The catalog is migrated by the first replica that starts, before it serves; these
    # indexes are built on the metadata of sources and sessions (small tables), so a short
    # write lock is accepted instead of CREATE INDEX CONCURRENTLY outside the transaction.
    if op.get_context().as_sql:
        op.execute("-- aether-lint: ignore-file=index-without-concurrently")
    # Adding a column and an index is a plain ALTER even on SQLite: batch mode does not rebuild
    # these tables (a rebuild would drop sessions, cascading to their overlays).
    with op.batch_alter_table("sources") as batch:
        batch.add_column(_tenant())
        batch.create_index("ix_sources_tenant", ["tenant"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(_tenant())
        batch.create_index("ix_sessions_tenant_created_at_id", ["tenant", "created_at", "id"])
    _create_tokens()
    _create_import_jobs()


def _create_tokens() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", OBJECT_ID, nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
    )
    op.create_index("ix_tokens_tenant", "tokens", ["tenant"])


def _create_import_jobs() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", NAME, nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("source", NAME, nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("commit_id", OBJECT_ID, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
    )
    op.create_index(
        "ix_import_jobs_tenant_created_at_id", "import_jobs", ["tenant", "created_at", "id"]
    )
    op.create_index("ix_import_jobs_source", "import_jobs", ["source"])


def downgrade() -> None:
    op.drop_table("import_jobs")
    op.drop_table("tokens")
    # Not batch mode: on SQLite it would rebuild the tables, and dropping the old sessions table
    # cascades to overlays and checkpoints. SQLite 3.35+ drops a column in place.
    op.drop_index("ix_sessions_tenant_created_at_id", "sessions")
    op.drop_column("sessions", "tenant")
    op.drop_index("ix_sources_tenant", "sources")
    op.drop_column("sources", "tenant")
