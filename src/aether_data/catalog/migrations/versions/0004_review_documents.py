"""Review documents: annotations, approvals, check runs and branch policies, one table for
all (``kind`` tells them apart); the review layer reads ``data`` (JSON), the catalog only
compares and sets ``version``.

Revision ID: 0004
Revises: 0003
Create Date: 2025-08-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "review_records",
        sa.Column("id", NAME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("session_id", NAME, nullable=True),
        sa.Column("source", NAME, nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_records"),
    )
    op.create_index(
        "ix_review_records_session_id_kind",
        "review_records",
        ["session_id", "kind", "created_at"],
    )
    op.create_index(
        "ix_review_records_source_kind", "review_records", ["source", "kind", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("review_records")
