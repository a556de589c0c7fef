"""Dataset profiles: what ``aether inspect`` found in a dataset file, kept by the file's
content id (its SHA-256), so a profile never goes stale and is computed once.

Revision ID: 0005
Revises: 0004
Create Date: 2025-09-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_profiles",
        sa.Column("content_id", sa.String(64), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("content_id", name="pk_dataset_profiles"),
    )


def downgrade() -> None:
    op.drop_table("dataset_profiles")
