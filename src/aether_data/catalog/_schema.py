"""The catalog's tables, as SQLAlchemy Core metadata. The migrations in ``migrations/versions``
build exactly this schema (a test compares them); change both together.

Times are integer microseconds since the Unix epoch (UTC). JSON columns hold canonical JSON text.
Tenants partition listings only: source names stay unique across tenants.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

NAME = String(100)
REF = String(255)
OBJECT_ID = String(64)
MICROS = BigInteger()
TOKEN_ID = String(32)
LABEL = String(255)
KV_KEY = String(1024)
# SQLite makes only a column of type exactly INTEGER the rowid (an autoincrementing key).
SEQ = BigInteger().with_variant(Integer(), "sqlite")


def _tenant() -> Column:
    # The server default gives rows written before tenants existed the default tenant.
    return Column("tenant", NAME, nullable=False, server_default="default")


def _owner(column: str, table: str, key: str) -> Column:
    return Column(
        column, ForeignKey(f"{table}.{key}", ondelete="CASCADE"), primary_key=True, nullable=False
    )


sources = Table(
    "sources",
    metadata,
    Column("name", NAME, primary_key=True),
    Column("default_branch", REF, nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("metadata", Text, nullable=False),
    _tenant(),
    Index("ix_sources_tenant", "tenant"),
)

refs = Table(
    "refs",
    metadata,
    _owner("source", "sources", "name"),
    Column("name", REF, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("commit_id", OBJECT_ID, nullable=False),
    Column("updated_at", MICROS, nullable=False),
)

commits = Table(
    "commits",
    metadata,
    _owner("source", "sources", "name"),
    Column("commit_id", OBJECT_ID, primary_key=True),
    Column("tree_id", OBJECT_ID, nullable=False),
    Column("parents", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("committed_at", MICROS, nullable=False),
    Index("ix_commits_source_committed_at", "source", "committed_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("name", Text, nullable=True),
    Column("source", NAME, nullable=True),
    Column("ref", REF, nullable=True),
    Column("base_commit", OBJECT_ID, nullable=True),
    Column("base_tree", OBJECT_ID, nullable=False),
    Column("status", String(32), nullable=False),
    Column("tags", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("metadata", Text, nullable=False),
    _tenant(),
    Index("ix_sessions_created_at_id", "created_at", "id"),
    Index("ix_sessions_status", "status"),
    Index("ix_sessions_source", "source"),
    Index("ix_sessions_tenant_created_at_id", "tenant", "created_at", "id"),
)

# Mirrors sessions.tags so that "sessions with tag X" is an indexed, engine-neutral lookup.
session_tags = Table(
    "session_tags",
    metadata,
    _owner("session_id", "sessions", "id"),
    Column("tag", NAME, primary_key=True),
    Index("ix_session_tags_tag", "tag"),
)

overlay_entries = Table(
    "overlay_entries",
    metadata,
    _owner("session_id", "sessions", "id"),
    Column("path", Text, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("object_id", OBJECT_ID, nullable=True),
    Column("size", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    _owner("session_id", "sessions", "id"),
    Column("name", NAME, primary_key=True),
    Column("tree_id", OBJECT_ID, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", TOKEN_ID, primary_key=True),
    Column("tenant", NAME, nullable=False),
    Column("name", Text, nullable=False),
    Column("secret_hash", OBJECT_ID, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("expires_at", MICROS, nullable=True),
    Column("revoked_at", MICROS, nullable=True),
    Index("ix_tokens_tenant", "tenant"),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("tenant", NAME, nullable=False),
    Column("source", NAME, nullable=False),
    Column("origin", Text, nullable=False),
    Column("options", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("error", Text, nullable=True),
    Column("commit_id", OBJECT_ID, nullable=True),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    Column("version", BigInteger, nullable=False),
    Index("ix_import_jobs_tenant_created_at_id", "tenant", "created_at", "id"),
    Index("ix_import_jobs_source", "source"),
)

# Owned by a session or a source (``scope`` says which): no foreign key can name both, so the
# catalog deletes an owner's entries itself when it deletes the owner.
kv_entries = Table(
    "kv_entries",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("owner", NAME, primary_key=True),
    Column("key", KV_KEY, primary_key=True),
    Column("tenant", NAME, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("author", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    Index("ix_kv_entries_tenant", "tenant"),
)


def _seq() -> Column:
    # AUTOINCREMENT on SQLite: a seq is never reused, even after the newest rows are deleted,
    # so a reader that has seen seq n never mistakes a later row for one it already has.
    return Column("seq", SEQ, primary_key=True, autoincrement=True)


events = Table(
    "events",
    metadata,
    _seq(),
    Column("tenant", NAME, nullable=False),
    Column("type", LABEL, nullable=False),
    Column("actor", Text, nullable=False),
    Column("session_id", NAME, nullable=True),
    Column("source", NAME, nullable=True),
    Column("subject", Text, nullable=True),
    Column("details", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Index("ix_events_tenant_seq", "tenant", "seq"),
    Index("ix_events_session_id_seq", "session_id", "seq"),
    sqlite_autoincrement=True,
)

bus_messages = Table(
    "bus_messages",
    metadata,
    _seq(),
    Column("tenant", NAME, nullable=False),
    Column("session_id", NAME, nullable=True),
    Column("topic", LABEL, nullable=False),
    Column("body", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Index("ix_bus_messages_tenant_seq", "tenant", "seq"),
    Index("ix_bus_messages_session_id_seq", "session_id", "seq"),
    sqlite_autoincrement=True,
)

review_records = Table(
    "review_records",
    metadata,
    Column("id", NAME, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("tenant", NAME, nullable=False),
    Column("session_id", NAME, nullable=True),
    Column("source", NAME, nullable=True),
    Column("state", String(32), nullable=False),
    Column("author", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("created_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
    Index("ix_review_records_session_id_kind", "session_id", "kind", "created_at"),
    Index("ix_review_records_source_kind", "source", "kind", "created_at"),
)

# Keyed by a file's content id: content never changes, so neither does its profile; no tenant,
# since only who holds the same bytes can ask for the profile of their id.
dataset_profiles = Table(
    "dataset_profiles",
    metadata,
    Column("content_id", OBJECT_ID, primary_key=True),
    Column("profile", Text, nullable=False),
    Column("created_at", MICROS, nullable=False),
)
