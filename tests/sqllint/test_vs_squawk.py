"""Differential test: our rules against squawk-cli, statement by statement.

A seeded generator writes a corpus of small PostgreSQL migrations (a few hundred statements:
drops, renames, added columns with and without NOT NULL and DEFAULT, type changes, indexes
with and without CONCURRENTLY, constraints with and without NOT VALID, TRUNCATE, column
types, transactions, timeouts and harmless statements), one statement per line, one file per
migration. squawk lints every file in one run (``--reporter json``) and ``lint_text`` lints
the same texts under the same settings (PostgreSQL version, ``assume_in_transaction``).

For each loaded rule with a ``squawk`` mapping, a statement is relevant when squawk flags it
with one of the mapped squawk rules or we flag it with ours; the two agree on it when both
do. The agreement per rule and overall is printed (``pytest -s``); the overall one must be at
least ``MIN_AGREEMENT``, and the assertion lists the disagreements. Rules still to come join
the comparison as they land: the test reads ``all_rules()``.

squawk is ``pip install squawk-cli``; without it the test skips, except in CI (``CI=true``)
where it fails.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aether_data.sqllint import LintConfig, all_rules, lint_text, rules_for

SEED = 20_240_611
MIGRATIONS = 220
MIN_AGREEMENT = 0.95
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
    return out


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


@dataclass
class Verdicts:
    """Per rule: which (file, line) each side flagged."""

    ours: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    squawk: dict[str, dict[tuple[str, int], set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    """rule -> (file, line) -> the names squawk reported there for that rule's mapping."""


def _compare(folder: Path, assume: bool) -> tuple[str, float, int, list[str]]:
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
                verdicts.squawk[rule_id][path, line].add(finding["rule_name"])
    for migration in migrations:
        result = lint_text(migration.text, migration.name, config, rules=rules)
        for finding in result.findings:
            if finding.rule == "syntax-error":
                syntax.append(
                    f"our syntax error at {migration.name}:{finding.line}: {finding.message}"
                )
            if finding.rule in mapped:
                verdicts.ours[finding.rule].add((migration.name, finding.line))
    notes = [f"squawk reports {alias} as {name}" for name, alias in sorted(aliases.items())]
    return _report(verdicts, mapped, by_name, unknown, notes + syntax, assume)


def _report(
    verdicts: Verdicts,
    mapped: dict,
    by_name: dict[str, Migration],
    unknown: set[str],
    notes: list[str],
    assume: bool,
) -> tuple[str, float, int, list[str]]:
    statements = sum(len(m.statement_at) for m in by_name.values())
    lines = [
        f"squawk vs ours over {len(by_name)} migrations, {statements} statements "
        f"(assume_in_transaction={assume}, PostgreSQL {PG_VERSION})",
        f"{'rule':<30} {'squawk rules':<52} {'relevant':>8} {'agree':>6} "
        f"{'squawk only':>11} {'ours only':>9} {'rate':>6}",
    ]
    relevant_total = agree_total = 0
    problems: list[str] = []
    for rule_id, rule in mapped.items():
        ours, theirs = verdicts.ours[rule_id], set(verdicts.squawk[rule_id])
        both, only_squawk, only_ours = ours & theirs, theirs - ours, ours - theirs
        relevant = len(ours | theirs)
        relevant_total += relevant
        agree_total += len(both)
        rate = f"{len(both) / relevant:.3f}" if relevant else "-"
        lines.append(
            f"{rule_id:<30} {','.join(rule.squawk):<52} {relevant:>8} {len(both):>6} "
            f"{len(only_squawk):>11} {len(only_ours):>9} {rate:>6}"
        )
        misses = [("squawk only", where) for where in sorted(only_squawk)]
        misses += [("ours only", where) for where in sorted(only_ours)]
        if misses:
            problems.append(f"{rule_id} ({len(misses)} disagreements):")
        for side, (path, line) in misses[:SHOWN_PER_RULE]:
            migration = by_name[path]
            sql = migration.statement_at.get(line, "?")
            context = " | ".join(migration.lines)
            which = verdicts.squawk[rule_id].get((path, line), set())
            by = f" ({', '.join(sorted(which))})" if which else ""
            problems.append(f"  {side}{by}: {path}:{line}: {sql}    [file: {context}]")
        if len(misses) > SHOWN_PER_RULE:
            problems.append(f"  ... and {len(misses) - SHOWN_PER_RULE} more")
    rate = agree_total / relevant_total if relevant_total else 1.0
    lines.append(f"overall: {agree_total}/{relevant_total} relevant statements agree = {rate:.3f}")
    if unknown:
        problems.insert(0, f"squawk knows no rule named {sorted(unknown)} (fix the mappings)")
    lines += [f"note: {note}" for note in notes[:20]]
    return "\n".join(lines), rate, relevant_total, problems


@pytest.mark.parametrize("assume", [False, True], ids=["own-transactions", "assume-in-transaction"])
def test_rules_agree_with_squawk(tmp_path: Path, assume: bool) -> None:
    table, rate, relevant, problems = _compare(tmp_path, assume)
    print("\n" + table)
    for line in problems:
        print(line)
    assert relevant, "no statement of the corpus is flagged by a mapped rule on either side"
    assert not problems or not problems[0].startswith("squawk knows no rule"), problems[0]
    assert rate >= MIN_AGREEMENT, f"agreement {rate:.3f} < {MIN_AGREEMENT}\n{table}\n" + "\n".join(
        problems
    )


def test_corpus_is_deterministic_and_large_enough() -> None:
    first, second = corpus(), corpus()
    assert [m.text for m in first] == [m.text for m in second]
    assert sum(len(m.statement_at) for m in first) >= 400
