"""Records of reviews: knowledge entries (key/value) of sessions and sources, the audit log of
events and the message bus.

Events and bus messages are numbered by an autoincrementing ``seq`` (AUTOINCREMENT on SQLite,
so numbers are never reused).

Revision ID: 0003
Revises: 0002
Create Date: 2025-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = sa.String(100)
LABEL = sa.String(255)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _create_kv_entries()
    _create_events()
    _create_bus_messages()


def _create_kv_entries() -> None:
    op.create_table(
        "kv_entries",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("owner", NAME, nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "owner", "key", name="pk_kv_entries"),
    )
    op.create_index("ix_kv_entries_tenant", "kv_entries", ["tenant"])


def _create_events() -> None:
    op.create_table(
        "events",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("type", LABEL, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("session_id", NAME, nullable=True),
        sa.Column("source", NAME, nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_tenant_seq", "events", ["tenant", "seq"])
    op.create_index("ix_events_session_id_seq", "events", ["session_id", "seq"])


def _create_bus_messages() -> None:
    op.create_table(
        "bus_messages",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("tenant", NAME, nullable=False),
        sa.Column("session_id", NAME, nullable=True),
        sa.Column("topic", LABEL, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_bus_messages"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bus_messages_tenant_seq", "bus_messages", ["tenant", "seq"])
    op.create_index("ix_bus_messages_session_id_seq", "bus_messages", ["session_id", "seq"])


def downgrade() -> None:
    op.drop_table("bus_messages")
    op.drop_table("events")
    op.drop_table("kv_entries")
