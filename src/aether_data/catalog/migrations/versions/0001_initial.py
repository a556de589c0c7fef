"""Initial catalog schema: sources, refs, commit index, sessions, overlays, checkpoints.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(100)
REF = sa.String(255)
OBJECT_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("name", NAME, nullable=False),
        sa.Column("default_branch", REF, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sources"),
    )
    op.create_table(
        "refs",
        sa.Column("source", NAME, nullable=False),
        sa.Column("name", REF, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("commit_id", OBJECT_ID, nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name="fk_refs_source_sources", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("source", "name", name="pk_refs"),
    )
    op.create_table(
        "commits",
        sa.Column("source", NAME, nullable=False),
        sa.Column("commit_id", OBJECT_ID, nullable=False),
        sa.Column("tree_id", OBJECT_ID, nullable=False),
        sa.Column("parents", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source"], ["sources.name"], name="fk_commits_source_sources", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("source", "commit_id", name="pk_commits"),
    )
    op.create_index("ix_commits_source_committed_at", "commits", ["source", "committed_at"])
    op.create_table(
        "sessions",
        sa.Column("id", NAME, nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("source", NAME, nullable=True),
        sa.Column("ref", REF, nullable=True),
        sa.Column("base_commit", OBJECT_ID, nullable=True),
        sa.Column("base_tree", OBJECT_ID, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_created_at_id", "sessions", ["created_at", "id"])
    op.create_index("ix_sessions_status", "sessions", ["status"])
    op.create_index("ix_sessions_source", "sessions", ["source"])
    _create_session_children()


def _create_session_children() -> None:
    op.create_table(
        "session_tags",
        sa.Column("session_id", NAME, nullable=False),
        sa.Column("tag", NAME, nullable=False),
        _session_fk("session_tags"),
        sa.PrimaryKeyConstraint("session_id", "tag", name="pk_session_tags"),
    )
    op.create_index("ix_session_tags_tag", "session_tags", ["tag"])
    op.create_table(
        "overlay_entries",
        sa.Column("session_id", NAME, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_id", OBJECT_ID, nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        _session_fk("overlay_entries"),
        sa.PrimaryKeyConstraint("session_id", "path", name="pk_overlay_entries"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("session_id", NAME, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("tree_id", OBJECT_ID, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _session_fk("checkpoints"),
        sa.PrimaryKeyConstraint("session_id", "name", name="pk_checkpoints"),
    )


def _session_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["session_id"], ["sessions.id"], name=f"fk_{table}_session_id_sessions", ondelete="CASCADE"
    )


def downgrade() -> None:
    for table in ("checkpoints", "overlay_entries", "session_tags", "sessions", "commits", "refs"):
        op.drop_table(table)
    op.drop_table("sources")
