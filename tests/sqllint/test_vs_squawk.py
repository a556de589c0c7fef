"""Differential test: our rules against squawk-cli, statement by statement.

A seeded generator writes a corpus of small PostgreSQL migrations (a few hundred statements:
drops, renames, added columns with and without NOT NULL and DEFAULT, type changes, indexes
with and without CONCURRENTLY, constraints with and without NOT VALID, TRUNCATE, column
types, long identifiers, transactions, timeouts and harmless statements), one statement per
line, one file per migration, plus a few fixed migrations (``FIXED``). squawk lints every
file in one run (``--reporter json``) and ``lint_text`` lints the same texts under the same
settings (PostgreSQL version, ``assume_in_transaction``).

For each loaded rule with a ``squawk`` mapping, a statement (a file, for the ``PER_FILE``
rules) is relevant when squawk flags it with one of the mapped squawk rules or we flag it
with ours; the two agree on it when both do. Three figures are printed (``pytest -s``):

* the raw agreement, over every relevant statement; it must stay at least ``RAW_FLOOR``
  (a regression guard, a little under what it is);
* the count of each known, deliberate difference (``DELIBERATE``): a disagreement where we
  believe ours matches PostgreSQL and squawk does not, recognised by rule, side, squawk rule
  and the shape of the statement or file (read from the SQL, not from either verdict);
  each must still occur at least once, or be removed;
* the agreement over the comparable statements, the relevant ones no deliberate difference
  explains; it must be at least ``MIN_AGREEMENT``, and the assertion lists the unexplained
  disagreements.

Rules still to come join the comparison as they land: the test reads ``all_rules()``.

squawk is ``pip install squawk-cli``; without it the test skips, except in CI (``CI=true``)
where it fails.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aether_data.sqllint import LintConfig, all_rules, lint_text, rules_for

SEED = 20_240_611
MIGRATIONS = 220
MIN_AGREEMENT = 0.95
"""Over the comparable statements: those no deliberate difference (``DELIBERATE``) explains."""
RAW_FLOOR = {False: 0.84, True: 0.87}
"""The raw agreement (every relevant statement), a little under what it is: a regression guard."""
PG_VERSION = 16
SHOWN_PER_RULE = 25
"""Disagreements listed per rule in the assertion message (the count is always given)."""

# -- the corpus ------------------------------------------------------------------------------

TYPES = [
    "integer",
    "int",
    "int4",
    "smallint",
    "bigint",
    "serial",
    "bigserial",
    "text",
    "varchar(64)",
    "character varying(255)",
    "varchar",
    "char(8)",
    "character(2)",
    "timestamp",
    "timestamp without time zone",
    "timestamptz",
    "timestamp with time zone",
    "boolean",
    "uuid",
    "numeric(12,2)",
    "jsonb",
    "date",
]
CONSTANT_DEFAULTS = {
    "integer": "0",
    "int": "1",
    "int4": "-1",
    "smallint": "0",
    "bigint": "42",
    "text": "'none'",
    "varchar(64)": "''",
    "character varying(255)": "'n/a'",
    "varchar": "'x'",
    "char(8)": "'abcdefgh'",
    "character(2)": "'NL'",
    "timestamp": "now()",
    "timestamp without time zone": "'2020-01-01 00:00:00'",
    "timestamptz": "CURRENT_TIMESTAMP",
    "timestamp with time zone": "now()",
    "boolean": "false",
    "uuid": "'00000000-0000-0000-0000-000000000000'",
    "numeric(12,2)": "0.00",
    "jsonb": "'[]'::jsonb",
    "date": "CURRENT_DATE",
}
VOLATILE_DEFAULTS = {
    "integer": "(random() * 100)::int",
    "bigint": "nextval('orders_seq')",
    "text": "md5(random()::text)",
    "timestamp": "clock_timestamp()",
    "timestamptz": "clock_timestamp()",
    "uuid": "gen_random_uuid()",
    "numeric(12,2)": "random()",
    "date": "timeofday()::date",
}
LONG_NAME = "a_column_name_that_is_far_too_long_for_postgres_to_keep_it_whole_x"
COLUMNS = ["amount", "email", "status", "created_at", "customer_id", "note"]


def _add_column() -> list[str]:
    out = []
    for kind in TYPES:
        defaults = [""]
        if "serial" not in kind:
            defaults.append(f" DEFAULT {CONSTANT_DEFAULTS[kind]}")
            if kind in VOLATILE_DEFAULTS:
                defaults.append(f" DEFAULT {VOLATILE_DEFAULTS[kind]}")
        for default in defaults:
            for not_null in ("", " NOT NULL"):
                name = "new_" + kind.split("(")[0].replace(" ", "_")
                out.append(f"ALTER TABLE {{t}} ADD COLUMN {name} {kind}{not_null}{default};")
    out += [
        "ALTER TABLE {t} ADD COLUMN IF NOT EXISTS archived boolean;",
        "ALTER TABLE {t} ADD archived_at timestamptz;",
        "ALTER TABLE {t} ADD COLUMN owner_id bigint REFERENCES {r} (id);",
        "ALTER TABLE {t} ADD COLUMN slug text UNIQUE;",
        "ALTER TABLE {t} ADD COLUMN slug text NOT NULL UNIQUE DEFAULT '';",
        "ALTER TABLE {t} ADD COLUMN pk bigserial PRIMARY KEY;",
        "ALTER TABLE {t} ADD COLUMN qty integer CHECK (qty >= 0);",
        f"ALTER TABLE {{t}} ADD COLUMN {LONG_NAME} text;",
        "ALTER TABLE {t} ADD COLUMN a text, ADD COLUMN b int NOT NULL;",
        "ALTER TABLE {t} ADD COLUMN total numeric GENERATED ALWAYS AS (amount * 2) STORED;",
        "ALTER TABLE {t} ADD COLUMN ident bigint GENERATED ALWAYS AS IDENTITY;",
    ]
    return out


def _alter_column() -> list[str]:
    out = []
    for column in COLUMNS:
        out += [
            f"ALTER TABLE {{t}} ALTER COLUMN {column} SET NOT NULL;",
            f"ALTER TABLE {{t}} ALTER COLUMN {column} DROP NOT NULL;",
            f"ALTER TABLE {{t}} ALTER {column} SET DEFAULT 0;",
            f"ALTER TABLE {{t}} ALTER COLUMN {column} DROP DEFAULT;",
        ]
    for kind in ("bigint", "text", "varchar(255)", "timestamptz", "numeric(14,2)", "int"):
        out += [
            f"ALTER TABLE {{t}} ALTER COLUMN amount TYPE {kind};",
            f"ALTER TABLE {{t}} ALTER COLUMN amount SET DATA TYPE {kind};",
        ]
    out += [
        "ALTER TABLE {t} ALTER COLUMN amount TYPE bigint USING amount::bigint;",
        "ALTER TABLE {t} ALTER COLUMN status SET NOT NULL, ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE {t} ALTER COLUMN note SET STATISTICS 500;",
    ]
    return out


def _drops_and_renames() -> list[str]:
    return [
        "DROP TABLE {t};",
        "DROP TABLE IF EXISTS {t};",
        "DROP TABLE IF EXISTS {t} CASCADE;",
        "DROP TABLE {t}, {r};",
        "DROP SCHEMA archive CASCADE;",
        "DROP DATABASE legacy;",
        "DROP VIEW IF EXISTS {t}_report;",
        "DROP SEQUENCE IF EXISTS orders_seq;",
        "ALTER TABLE {t} DROP COLUMN note;",
        "ALTER TABLE {t} DROP COLUMN IF EXISTS note;",
        "ALTER TABLE {t} DROP COLUMN note CASCADE;",
        "ALTER TABLE {t} DROP note;",
        "ALTER TABLE {t} DROP CONSTRAINT {t}_amount_check;",
        "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {t}_email_key;",
        "ALTER TABLE {t} RENAME COLUMN note TO comment;",
        "ALTER TABLE {t} RENAME note TO remarks;",
        "ALTER TABLE {t} RENAME TO {t}_old;",
        "ALTER TABLE IF EXISTS {t} RENAME TO {t}_v2;",
        "ALTER TABLE {t} RENAME CONSTRAINT {t}_pkey TO {t}_pk;",
        "ALTER INDEX {t}_email_idx RENAME TO {t}_email_index;",
        "ALTER TABLE {t} SET SCHEMA archive;",
    ]


def _indexes() -> list[str]:
    out = []
    for unique in ("", "UNIQUE "):
        for concurrently in ("", "CONCURRENTLY "):
            for if_not_exists in ("", "IF NOT EXISTS "):
                name = f"{{t}}_{unique.strip().lower() or 'plain'}_idx"
                out.append(
                    f"CREATE {unique}INDEX {concurrently}{if_not_exists}{name} ON {{t}} (email);"
                )
    out += [
        "CREATE INDEX CONCURRENTLY {t}_partial_idx ON {t} (status) WHERE status <> 'done';",
        "CREATE INDEX {t}_btree_idx ON {t} USING btree (customer_id, created_at);",
        "CREATE INDEX ON {t} (created_at);",
        "CREATE INDEX CONCURRENTLY ON {t} (lower(email));",
        f"CREATE INDEX {LONG_NAME} ON {{t}} (note);",
        "DROP INDEX {t}_email_idx;",
        "DROP INDEX IF EXISTS {t}_email_idx;",
        "DROP INDEX CONCURRENTLY {t}_email_idx;",
        "DROP INDEX CONCURRENTLY IF EXISTS {t}_email_idx;",
        "REINDEX INDEX {t}_email_idx;",
    ]
    return out


def _constraints() -> list[str]:
    out = []
    for not_valid in ("", " NOT VALID"):
        out += [
            f"ALTER TABLE {{t}} ADD CONSTRAINT {{t}}_customer_fk FOREIGN KEY (customer_id) "
            f"REFERENCES {{r}} (id){not_valid};",
            f"ALTER TABLE {{t}} ADD CONSTRAINT {{t}}_customer_fk FOREIGN KEY (customer_id) "
            f"REFERENCES {{r}} (id) ON DELETE CASCADE{not_valid};",
            f"ALTER TABLE {{t}} ADD FOREIGN KEY (customer_id) REFERENCES {{r}}{not_valid};",
            f"ALTER TABLE {{t}} ADD CONSTRAINT {{t}}_amount_check CHECK (amount >= 0){not_valid};",
            f"ALTER TABLE {{t}} ADD CHECK (status IN ('new', 'done')){not_valid};",
        ]
    out += [
        "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_customer_fk;",
        "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_amount_check;",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_email_key UNIQUE (email);",
        "ALTER TABLE {t} ADD UNIQUE (email, status);",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_email_key UNIQUE USING INDEX {t}_unique_idx;",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_pkey PRIMARY KEY (id);",
        "ALTER TABLE {t} ADD PRIMARY KEY (id);",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_pkey PRIMARY KEY USING INDEX {t}_unique_idx;",
        "ALTER TABLE {t} ADD CONSTRAINT {t}_status_nn CHECK (status IS NOT NULL) NOT VALID;",
    ]
    return out


def _create_tables(rng: random.Random) -> list[str]:
    ids = [
        "id serial PRIMARY KEY",
        "id bigserial PRIMARY KEY",
        "id integer PRIMARY KEY",
        "id bigint PRIMARY KEY",
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
        "id smallserial PRIMARY KEY",
    ]
    out = []
    for number, id_column in enumerate(ids * 3):
        picked = rng.sample(TYPES, 3)
        columns = [id_column] + [f"c{i} {kind}" for i, kind in enumerate(picked)]
        if number % 4 == 1:
            columns.append("customer_id bigint REFERENCES {r} (id)")
        if number % 5 == 2:
            columns.append("email text NOT NULL UNIQUE")
        exists = "IF NOT EXISTS " if number % 3 == 0 else ""
        out.append(f"CREATE TABLE {exists}{{n}} ({', '.join(columns)});")
    return out


TRUNCATES = [
    "TRUNCATE {t};",
    "TRUNCATE TABLE {t};",
    "TRUNCATE {t} CASCADE;",
    "TRUNCATE TABLE {t}, {r} RESTART IDENTITY CASCADE;",
    "TRUNCATE {t} RESTRICT;",
]
HARMLESS = [
    "SELECT 1;",
    "SELECT count(*) FROM {t} WHERE status = 'new';",
    "INSERT INTO {t} (email, status) VALUES ('a@example.com', 'new');",
    "INSERT INTO {t} (email) SELECT email FROM {r} WHERE id < 100;",
    "UPDATE {t} SET status = 'done' WHERE id = 5;",
    "UPDATE {t} SET status = 'done';",
    "DELETE FROM {t} WHERE created_at < '2020-01-01';",
    "DELETE FROM {t};",
    "CREATE VIEW {t}_report AS SELECT status, count(*) AS n FROM {t} GROUP BY status;",
    "COMMENT ON TABLE {t} IS 'the orders';",
    "COMMENT ON COLUMN {t}.note IS 'free text';",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto;",
    "CREATE SEQUENCE IF NOT EXISTS orders_seq;",
    "GRANT SELECT ON {t} TO reporting;",
    "ANALYZE {t};",
    "CREATE SCHEMA IF NOT EXISTS archive;",
    "SET search_path TO public;",
]
TIMEOUTS = [
    ["SET lock_timeout = '2s';", "SET statement_timeout = '30s';"],
    ["SET lock_timeout TO '1s';"],
    ["SET statement_timeout = 5000;"],
    ["SET LOCAL lock_timeout = '3s';", "SET LOCAL statement_timeout = '10s';"],
]
TABLES = [("orders", "customers"), ("accounts", "users"), ("events", "sessions")]
FIXED = [
    ["BEGIN;", "DROP INDEX CONCURRENTLY IF EXISTS {t}_email_idx;", "COMMIT;"],
    [
        "CREATE TABLE {t} (id bigint PRIMARY KEY, note text);",
        "ALTER TABLE {t} DROP CONSTRAINT {t}_pkey;",
    ],
    [
        "SET lock_timeout = '2s';",
        "CREATE TABLE IF NOT EXISTS {t} (id bigint PRIMARY KEY, note text);",
        "ALTER TABLE {t} ADD COLUMN flag boolean NOT NULL;",
        "ALTER TABLE {t} ALTER COLUMN note SET NOT NULL;",
    ],
]
"""Migrations added as they are, after the drawn ones: shapes the draw may miss (a DROP INDEX
CONCURRENTLY in a BEGIN, a DROP CONSTRAINT on a new table, a CREATE TABLE IF NOT EXISTS of a
table that may already hold rows)."""


@dataclass
class Migration:
    """One generated file: its statements, one per line, and which line holds which."""

    name: str
    lines: list[str] = field(default_factory=list)
    statement_at: dict[int, str] = field(default_factory=dict)
    """1-based line -> the statement on it."""

    def add(self, sql: str) -> None:
        self.lines.append(sql)
        if not sql.startswith("--"):
            self.statement_at[len(self.lines)] = sql

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def corpus(seed: int = SEED, count: int = MIGRATIONS) -> list[Migration]:
    """``count`` small migrations, the same for the same seed. Every statement of the pool
    is used at least once; each migration puts 1 to 3 of them in a random context (timeouts
    set or not, inside BEGIN/COMMIT or not, the table created earlier in the file or not)."""
    rng = random.Random(seed)
    pool = (
        _add_column()
        + _alter_column()
        + _drops_and_renames()
        + _indexes()
        + _constraints()
        + _create_tables(rng)
        + TRUNCATES
        + HARMLESS
    )
    rng.shuffle(pool)
    drawn = 0
    out = []
    for number in range(count):
        table, ref = TABLES[number % len(TABLES)]
        new = f"{table}_{number}"
        migration = Migration(f"{number:04d}_migration.sql")
        if rng.random() < 0.2:
            migration.add(f"-- migration {number}: generated")
        wrap = rng.random()
        if wrap < 0.3:
            migration.add(rng.choice(["BEGIN;", "START TRANSACTION;", "BEGIN TRANSACTION;"]))
        if rng.random() < 0.35:
            for sql in rng.choice(TIMEOUTS):
                migration.add(sql)
        if rng.random() < 0.2:
            migration.add(f"CREATE TABLE {table} (id bigint PRIMARY KEY, note text);")
        for _ in range(rng.randint(1, 3)):
            template = pool[drawn % len(pool)] if drawn < len(pool) else rng.choice(pool)
            drawn += 1
            migration.add(template.format(t=table, r=ref, n=new))
            if rng.random() < 0.04:
                migration.add("BEGIN;")  # nested, or left open
        if wrap < 0.25:
            migration.add(rng.choice(["COMMIT;", "END;", "ROLLBACK;", "COMMIT;"]))
        out.append(migration)
    for number, statements in enumerate(FIXED, start=count):
        table, ref = TABLES[number % len(TABLES)]
        migration = Migration(f"{number:04d}_fixed.sql")
        for sql in statements:
            migration.add(sql.format(t=table, r=ref))
        out.append(migration)
    return out


# -- known, deliberate differences ------------------------------------------------------------
#
# Each category explains one kind of disagreement by the rule, the side that flags, the
# squawk rules involved and the shape of the statement (or of the file, for the rules
# compared per file) read from the generated SQL itself, never from either linter's verdict.
# A category applies to one side only, so it can never turn an agreement into anything.

SQUAWK_ONLY = "squawk only"
OURS_ONLY = "ours only"
PER_FILE = frozenset({"missing-timeout"})
"""Rules compared per file (does the file need a fix at all?), not per statement: squawk
reports the file's first slow statement of any kind, ours the first one taking a strong lock
on an existing table, so the two name different lines of a file both want fixed."""

_ALTERED = re.compile(r"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(\w+)\b", re.IGNORECASE)
_INDEXED = re.compile(r"^CREATE (?:UNIQUE )?INDEX\b[^;]*?\bON (?:ONLY )?(\w+)\b", re.IGNORECASE)
_CREATED = re.compile(r"^CREATE TABLE (\w+) \(", re.IGNORECASE)
"""A CREATE TABLE that surely makes a new table (with IF NOT EXISTS it may be an old one)."""
_BEGIN = re.compile(r"^(?:BEGIN|START TRANSACTION)\b", re.IGNORECASE)
_END = re.compile(r"^(?:COMMIT|END|ROLLBACK|ABORT)\b(?! AND CHAIN| TO )", re.IGNORECASE)
_UNIQUE_OR_PK = re.compile(
    r"^ALTER TABLE [^;]*\bADD (?:CONSTRAINT \w+ )?(?:UNIQUE|PRIMARY KEY) \(", re.IGNORECASE
)
_NO_LIST = r"(?:[^,;()]|\([^()]*\))*"
"""Text without a top-level comma (one clause; ``numeric(12,2)`` is fine)."""
_ADD_ONE_COLUMN = re.compile(
    rf"^ALTER TABLE {_NO_LIST}\bADD (?:COLUMN )?(?:IF NOT EXISTS )?\w+ {_NO_LIST};$", re.IGNORECASE
)
_DEFAULT = re.compile(r"\bDEFAULT (.+);$", re.IGNORECASE)
_CONSTANT = re.compile(
    r"^(?:-?\d+(?:\.\d+)?|'[^']*'(?:::\w+)?|true|false|CURRENT_DATE|CURRENT_TIMESTAMP|now\(\))$",
    re.IGNORECASE,
)
_ADD_SERIAL = re.compile(r"\bADD (?:COLUMN )?\w+ (?:small|big)?serial\b", re.IGNORECASE)
_NOT_NULL = re.compile(r"\bNOT NULL\b", re.IGNORECASE)
_CONCURRENT_INDEX = re.compile(r"^CREATE (?:UNIQUE )?INDEX CONCURRENTLY\b", re.IGNORECASE)
_DROP_INDEX_CONCURRENTLY = re.compile(r"^DROP INDEX CONCURRENTLY\b", re.IGNORECASE)
_SET_LOCAL = re.compile(r"SET\s+LOCAL\b", re.I)
_LOCK_TIMEOUT = re.compile(r"^SET (?:LOCAL )?lock_timeout\b", re.IGNORECASE)
_WEAK_LOCK = re.compile(
    r"^(?:SELECT|INSERT|UPDATE|DELETE|SET|BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|GRANT"
    r"|ANALYZE|COMMENT ON|CREATE (?:SEQUENCE|VIEW|EXTENSION|SCHEMA)"
    r"|CREATE (?:UNIQUE )?INDEX CONCURRENTLY|DROP INDEX CONCURRENTLY)\b",
    re.IGNORECASE,
)
"""Statements that never wait for a lock conflicting with the application's reads and
writes (at most SHARE UPDATE EXCLUSIVE, which INSERT/UPDATE/DELETE do not queue behind)."""


def _target(sql: str) -> str | None:
    """The table an ALTER TABLE or CREATE INDEX acts on."""
    match = _ALTERED.match(sql) or _INDEXED.match(sql)
    return match.group(1).lower() if match else None


def _created_before(migration: Migration, line: int) -> set[str]:
    return {
        match.group(1).lower()
        for at, sql in migration.statement_at.items()
        if at < line and (match := _CREATED.match(sql))
    }


def _on_new_table(migration: Migration, line: int, assume: bool) -> bool:
    return _target(migration.statement_at[line]) in _created_before(migration, line)


def _in_transaction(migration: Migration, line: int, assume: bool) -> bool:
    """Inside a BEGIN of the file (the last BEGIN or end before ``line`` is a BEGIN), or in
    the migration tool's transaction."""
    for at in sorted(migration.statement_at, reverse=True):
        sql = migration.statement_at[at]
        if at < line and (_BEGIN.match(sql) or _END.match(sql)):
            return bool(_BEGIN.match(sql))
    return assume


def _unique_or_primary_key(migration: Migration, line: int, assume: bool) -> bool:
    return bool(_UNIQUE_OR_PK.match(migration.statement_at[line]))


def _constant_default(migration: Migration, line: int, assume: bool) -> bool:
    sql = migration.statement_at[line]
    default = _DEFAULT.search(sql) if _ADD_ONE_COLUMN.match(sql) else None
    return PG_VERSION >= 11 and default is not None and bool(_CONSTANT.match(default.group(1)))


def _serial_not_null(migration: Migration, line: int, assume: bool) -> bool:
    sql = migration.statement_at[line]
    return bool(_ADD_ONE_COLUMN.match(sql) and _ADD_SERIAL.search(sql) and _NOT_NULL.search(sql))


def _serial_added(migration: Migration, line: int, assume: bool) -> bool:
    sql = migration.statement_at[line]
    return bool(_ADD_ONE_COLUMN.match(sql) and _ADD_SERIAL.search(sql))


def _drop_index_concurrently_in_transaction(migration: Migration, line: int, assume: bool) -> bool:
    sql = migration.statement_at[line]
    return bool(_DROP_INDEX_CONCURRENTLY.match(sql)) and _in_transaction(migration, line, assume)


def _lone_concurrent_index(migration: Migration, line: int, assume: bool) -> bool:
    only = list(migration.statement_at) == [line]
    return assume and only and bool(_CONCURRENT_INDEX.match(migration.statement_at[line]))


def _no_strong_lock_on_old_table(migration: Migration, line: int, assume: bool) -> bool:
    """(A whole file.) Every statement before lock_timeout is set takes no lock the
    application's queries would queue behind, or acts on a table the file created."""
    for at, sql in sorted(migration.statement_at.items()):
        if _LOCK_TIMEOUT.match(sql):
            return True
        if _WEAK_LOCK.match(sql) or _on_new_table(migration, at, assume):
            continue
        if _CREATED.match(sql) and " REFERENCES " not in sql.upper():
            continue
        return False
    return True


def _local_timeout_outside_transaction(migration: Migration, line: int, assume: bool) -> bool:
    """(A whole file.) lock_timeout is only SET LOCAL, outside any transaction, where
    PostgreSQL ignores it."""
    sets = [at for at, sql in migration.statement_at.items() if _LOCK_TIMEOUT.match(sql)]
    return bool(sets) and all(
        _SET_LOCAL.match(migration.statement_at[at]) and not _in_transaction(migration, at, assume)
        for at in sets
    )


@dataclass(frozen=True)
class Deliberate:
    """A known, deliberate difference: where ours is believed to match PostgreSQL and
    squawk not. It explains a disagreement of one of ``rules`` on ``side`` whose statement
    (the file, for ``PER_FILE`` rules) has ``shape``, when squawk reported only ``squawk``
    rules there (any of the rule's mapping when empty), in the ``modes`` it lists."""

    name: str
    reason: str
    rules: frozenset[str]
    side: str
    shape: Callable[[Migration, int, bool], bool]
    squawk: frozenset[str] = frozenset()
    modes: tuple[bool, ...] = (False, True)
    """The ``assume_in_transaction`` settings it occurs under."""


DELIBERATE = (
    Deliberate(
        "table-created-in-file",
        "a table created earlier in the file has no rows and no readers yet: locking, "
        "rewriting or reshaping it is harmless; squawk flags it like an old one",
        frozenset(
            {
                "column-type-change",
                "constraint-without-not-valid",
                "drop-column",
                "drop-constraint",
                "index-without-concurrently",
                "not-null-without-default",
                "rename-column",
                "rename-table",
                "set-not-null",
                "unique-on-existing-table",
                "volatile-default",
            }
        ),
        SQUAWK_ONLY,
        _on_new_table,
    ),
    Deliberate(
        "not-valid-on-unique-or-primary-key",
        "PostgreSQL rejects NOT VALID on UNIQUE and PRIMARY KEY (unique-on-existing-table "
        "covers them); squawk's constraint-missing-not-valid asks for it",
        frozenset({"constraint-without-not-valid"}),
        SQUAWK_ONLY,
        _unique_or_primary_key,
        squawk=frozenset({"constraint-missing-not-valid"}),
    ),
    Deliberate(
        "constant-default",
        "since PostgreSQL 11 ADD COLUMN with a constant or stable DEFAULT (-1, CURRENT_DATE) "
        "is stored in the catalog, no rewrite; squawk's adding-field-with-default flags it",
        frozenset({"volatile-default"}),
        SQUAWK_ONLY,
        _constant_default,
        squawk=frozenset({"adding-field-with-default"}),
    ),
    Deliberate(
        "serial-not-null",
        "a serial column's nextval() default fills every existing row, so NOT NULL cannot "
        "fail; squawk's adding-required-field flags it",
        frozenset({"not-null-without-default"}),
        SQUAWK_ONLY,
        _serial_not_null,
        squawk=frozenset({"adding-required-field"}),
    ),
    Deliberate(
        "serial-rewrites-table",
        "ADD COLUMN serial/bigserial evaluates the volatile nextval() default per row, "
        "rewriting the table; squawk's adding-field-with-default misses it",
        frozenset({"volatile-default"}),
        OURS_ONLY,
        _serial_added,
    ),
    Deliberate(
        "drop-index-concurrently-in-transaction",
        "PostgreSQL refuses DROP INDEX CONCURRENTLY in a transaction block; squawk's "
        "ban-concurrent-index-creation-in-transaction checks only CREATE INDEX",
        frozenset({"concurrently-in-transaction"}),
        OURS_ONLY,
        _drop_index_concurrently_in_transaction,
    ),
    Deliberate(
        "lone-concurrent-index-in-tool-transaction",
        "a tool that wraps each file in a transaction wraps a one-statement file too, and "
        "PostgreSQL refuses CREATE INDEX CONCURRENTLY there; squawk exempts such files",
        frozenset({"concurrently-in-transaction"}),
        OURS_ONLY,
        _lone_concurrent_index,
        modes=(True,),
    ),
    Deliberate(
        "set-local-outside-transaction",
        "(per file) SET LOCAL outside a transaction block does nothing (PostgreSQL warns), so "
        "no lock_timeout is in force; squawk counts it as set",
        frozenset({"missing-timeout"}),
        OURS_ONLY,
        _local_timeout_outside_transaction,
        modes=(False,),
    ),
    Deliberate(
        "timeout-without-strong-lock",
        "(per file) nothing before lock_timeout is set takes a lock the application's "
        "queries queue behind (sequences, views, comments, CONCURRENTLY, new tables); "
        "squawk wants a timeout anyway",
        frozenset({"missing-timeout"}),
        SQUAWK_ONLY,
        _no_strong_lock_on_old_table,
    ),
)


def _explain(
    rule_id: str, side: str, migration: Migration, line: int, names: set[str], assume: bool
) -> Deliberate | None:
    """The first deliberate difference that explains this disagreement, if any."""
    for known in DELIBERATE:
        if rule_id not in known.rules or side != known.side or assume not in known.modes:
            continue
        if known.squawk and not names <= known.squawk:
            continue
        if known.shape(migration, line, assume):
            return known
    return None


# -- running both linters --------------------------------------------------------------------


def _squawk_binary() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("squawk")


def _squawk(
    binary: str, folder: Path, names: list[str], include: set[str], exclude: str, assume: bool
) -> tuple[list[dict], str | None]:
    """squawk's findings over ``names`` (files in ``folder``), or the rule name it rejected."""
    command = [
        binary,
        "--reporter",
        "json",
        f"--pg-version={PG_VERSION}.0",
        "--config",
        ".squawk.toml",
        "--assume-in-transaction" if assume else "--no-assume-in-transaction",
        *(f"--include={name}" for name in sorted(include)),
        *([f"--exclude={exclude}"] if exclude else []),
        *names,
    ]
    done = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    marker = "invalid rule name "
    if done.returncode == 2 and marker in done.stderr:
        return [], done.stderr.split(marker, 1)[1].split()[0].strip("'\"`")
    assert done.returncode in (0, 1), f"squawk failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout or "[]"), None


def _run_squawk(
    binary: str, folder: Path, names: list[str], wanted: set[str], assume: bool
) -> tuple[list[dict], set[str], dict[str, str]]:
    """squawk's findings with the ``wanted`` rules included; the wanted names it does not
    know; and the names it reports for wanted names it knows by another (an alias such as
    ``prefer-timestamptz``, reported as ``prefer-timestamp-tz``), found by excluding each
    name that never shows up in the findings and seeing which findings go."""
    (folder / ".squawk.toml").write_text("")
    unknown: set[str] = set()
    while True:
        found, rejected = _squawk(binary, folder, names, wanted - unknown, "", assume)
        if rejected is None:
            break
        unknown.add(rejected)
    reported = {f["rule_name"] for f in found}
    aliases = {}
    for name in sorted(wanted - unknown - reported):
        without, _ = _squawk(binary, folder, names, wanted - unknown, name, assume)
        gone = reported - {f["rule_name"] for f in without}
        if len(gone) == 1:
            aliases[gone.pop()] = name
    return found, unknown, aliases


Key = tuple[str, int]
"""(file, line); line 0 stands for the whole file, for the ``PER_FILE`` rules."""


def _key(rule_id: str, path: str, line: int) -> Key:
    return (path, 0) if rule_id in PER_FILE else (path, line)


@dataclass
class Verdicts:
    """Per rule: which statements (files, for ``PER_FILE`` rules) each side flagged."""

    ours: dict[str, set[Key]] = field(default_factory=lambda: defaultdict(set))
    squawk: dict[str, dict[Key, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    """rule -> key -> the names squawk reported there for that rule's mapping."""


@dataclass
class Outcome:
    """The figures of one comparison, and what the assertion message lists."""

    table: str
    relevant: int
    agree: int
    deliberate: dict[str, int]
    unexplained: list[str]
    notes: list[str]
    unknown: set[str]

    @property
    def raw(self) -> float:
        return self.agree / self.relevant if self.relevant else 1.0

    @property
    def comparable(self) -> int:
        return self.relevant - sum(self.deliberate.values())

    @property
    def rate(self) -> float:
        """Agreement over the statements no deliberate difference explains."""
        return self.agree / self.comparable if self.comparable else 1.0


def _compare(folder: Path, assume: bool) -> Outcome:
    binary = _squawk_binary()
    if binary is None:
        reason = "squawk is not installed; run: pip install squawk-cli"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    mapped = {rule_id: rule for rule_id, rule in all_rules().items() if rule.squawk}
    if not mapped:
        pytest.skip("no loaded rule has a squawk mapping yet")
    migrations = corpus()
    by_name = {m.name: m for m in migrations}
    config = LintConfig(
        postgres_version=PG_VERSION,
        assume_in_transaction=assume,
        enable=frozenset(mapped),
    )
    rules = rules_for(config)
    verdicts = Verdicts()
    syntax: list[str] = []
    for migration in migrations:
        (folder / migration.name).write_text(migration.text)
    wanted = {name for rule in mapped.values() for name in rule.squawk}
    found, unknown, aliases = _run_squawk(binary, folder, list(by_name), wanted, assume)
    for finding in found:
        path, line = Path(finding["file"]).name, finding["line"] + 1
        if finding["rule_name"] == "syntax-error":
            syntax.append(f"squawk syntax error at {path}:{line}: {finding['message']}")
        name = aliases.get(finding["rule_name"], finding["rule_name"])
        for rule_id, rule in mapped.items():
            if name in rule.squawk:
                verdicts.squawk[rule_id][_key(rule_id, path, line)].add(finding["rule_name"])
    for migration in migrations:
        result = lint_text(migration.text, migration.name, config, rules=rules)
        for finding in result.findings:
            if finding.rule == "syntax-error":
                syntax.append(
                    f"our syntax error at {migration.name}:{finding.line}: {finding.message}"
                )
            if finding.rule in mapped:
                verdicts.ours[finding.rule].add(_key(finding.rule, migration.name, finding.line))
    notes = [f"squawk reports {alias} as {name}" for name, alias in sorted(aliases.items())]
    return _report(verdicts, mapped, by_name, unknown, notes + syntax, assume)


def _describe(migration: Migration, line: int) -> str:
    if line == 0:
        return f"{migration.name}: [file: {' | '.join(migration.lines)}]"
    sql = migration.statement_at.get(line, "?")
    return f"{migration.name}:{line}: {sql}    [file: {' | '.join(migration.lines)}]"


def _report(
    verdicts: Verdicts,
    mapped: dict,
    by_name: dict[str, Migration],
    unknown: set[str],
    notes: list[str],
    assume: bool,
) -> Outcome:
    statements = sum(len(m.statement_at) for m in by_name.values())
    width = max(len(",".join(rule.squawk)) for rule in mapped.values())
    lines = [
        f"squawk vs ours over {len(by_name)} migrations, {statements} statements "
        f"(assume_in_transaction={assume}, PostgreSQL {PG_VERSION}; "
        f"{', '.join(sorted(PER_FILE))} compared per file)",
        f"{'rule':<30} {'squawk rules':<{width}} {'relevant':>8} {'agree':>5} {'squawk':>6} "
        f"{'ours':>4} {'known':>5} {'raw':>5} {'comp.':>5}",
    ]
    relevant_total = agree_total = 0
    deliberate = dict.fromkeys((known.name for known in DELIBERATE), 0)
    unexplained: list[str] = []
    for rule_id, rule in mapped.items():
        ours, theirs = verdicts.ours[rule_id], set(verdicts.squawk[rule_id])
        both, only_squawk, only_ours = ours & theirs, theirs - ours, ours - theirs
        relevant = len(ours | theirs)
        relevant_total += relevant
        agree_total += len(both)
        misses = [(SQUAWK_ONLY, where) for where in sorted(only_squawk)]
        misses += [(OURS_ONLY, where) for where in sorted(only_ours)]
        known_here = 0
        left: list[str] = []
        for side, (path, line) in misses:
            names = verdicts.squawk[rule_id].get((path, line), set())
            known = _explain(rule_id, side, by_name[path], line, names, assume)
            if known is not None:
                deliberate[known.name] += 1
                known_here += 1
                continue
            by = f" ({', '.join(sorted(names))})" if names else ""
            left.append(f"  {side}{by}: {_describe(by_name[path], line)}")
        if left:
            unexplained.append(f"{rule_id} ({len(left)} unexplained disagreements):")
            unexplained += left[:SHOWN_PER_RULE]
        if len(left) > SHOWN_PER_RULE:
            unexplained.append(f"  ... and {len(left) - SHOWN_PER_RULE} more")
        raw = f"{len(both) / relevant:.3f}" if relevant else "-"
        comparable = relevant - known_here
        rate = f"{len(both) / comparable:.3f}" if comparable else "-"
        lines.append(
            f"{rule_id:<30} {','.join(rule.squawk):<{width}} {relevant:>8} {len(both):>5} "
            f"{len(only_squawk):>6} {len(only_ours):>4} {known_here:>5} {raw:>5} {rate:>5}"
        )
    outcome = Outcome("", relevant_total, agree_total, deliberate, unexplained, notes, unknown)
    lines.append(
        f"raw agreement: {agree_total}/{relevant_total} relevant = {outcome.raw:.3f} "
        f"(floor {RAW_FLOOR[assume]})"
    )
    lines.append(f"known, deliberate differences: {sum(deliberate.values())}")
    for known in DELIBERATE:
        if assume in known.modes:
            lines.append(f"  {deliberate[known.name]:>4}  {known.name}: {known.reason}")
    lines.append(
        f"agreement over comparable: {agree_total}/{outcome.comparable} = {outcome.rate:.3f} "
        f"(minimum {MIN_AGREEMENT})"
    )
    lines += [f"note: {note}" for note in notes[:20]]
    outcome.table = "\n".join(lines)
    return outcome


@pytest.mark.parametrize("assume", [False, True], ids=["own-transactions", "assume-in-transaction"])
def test_rules_agree_with_squawk(tmp_path: Path, assume: bool) -> None:
    outcome = _compare(tmp_path, assume)
    print("\n" + outcome.table)
    for line in outcome.unexplained:
        print(line)
    details = f"\n{outcome.table}\n" + "\n".join(outcome.unexplained)
    assert outcome.relevant, "no statement of the corpus is flagged by a mapped rule on either side"
    assert not outcome.unknown, f"squawk knows no rule named {sorted(outcome.unknown)}"
    assert outcome.rate >= MIN_AGREEMENT, (
        f"agreement over comparable statements {outcome.rate:.3f} < {MIN_AGREEMENT}" + details
    )
    assert outcome.raw >= RAW_FLOOR[assume], (
        f"raw agreement {outcome.raw:.3f} < {RAW_FLOOR[assume]}" + details
    )
    unused = [k.name for k in DELIBERATE if assume in k.modes and not outcome.deliberate[k.name]]
    assert not unused, f"deliberate differences that no longer occur (remove them): {unused}"


def test_corpus_is_deterministic_and_large_enough() -> None:
    first, second = corpus(), corpus()
    assert [m.text for m in first] == [m.text for m in second]
    assert sum(len(m.statement_at) for m in first) >= 400
