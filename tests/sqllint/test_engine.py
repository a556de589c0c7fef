"""The lint engine: statements and positions, suppressions, settings, migration sets."""

from __future__ import annotations

import pytest

from aether_data.errors import Invalid
from aether_data.sqllint import (
    LintConfig,
    Rule,
    Severity,
    all_rules,
    lint_files,
    lint_text,
    parse_lint_config,
)
from aether_data.sqllint._migrations import migration_order

# The engine's tests watch a few rules; the others have their own fixtures.
WATCHED = {"drop-table", "drop-column", "syntax-error", "unanalysed-statement", "truncate-cascade"}
ONLY = LintConfig(disable=frozenset(set(all_rules()) - WATCHED))


def _found(text: str, config: LintConfig = ONLY) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in lint_text(text, "m.sql", config).findings]


def test_each_statement_is_checked_on_its_own_even_after_a_broken_one() -> None:
    text = "SELECT FROM WHERE;\nDROP TABLE a;\n  DROP TABLE b;"
    assert _found(text) == [("syntax-error", 1, 13), ("drop-table", 2, 12), ("drop-table", 3, 14)]


def test_semicolons_inside_strings_and_dollar_quotes_do_not_split() -> None:
    text = (
        "INSERT INTO t VALUES ('a;b');\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;"
    )
    report = lint_text(text)
    assert report.statements == 2


def test_an_unterminated_string_is_one_syntax_error() -> None:
    assert [r for r, _, _ in _found("SELECT 'abc;\nDROP TABLE x;")] == ["syntax-error"]


def test_suppression_comments_for_a_statement_and_for_a_file() -> None:
    text = (
        "-- aether-lint: ignore=drop-table\n"
        "DROP TABLE a;\n"
        "DROP TABLE b; -- aether-lint: ignore=drop-table\n"
        "DROP TABLE c;\n"
    )
    assert _found(text) == [("drop-table", 4, 12)]
    whole = "-- aether-lint: ignore-file=drop-table\nDROP TABLE a;\nDROP TABLE b;\n"
    assert _found(whole) == []


def test_unused_and_unknown_suppressions_are_reported() -> None:
    text = (
        "DROP TABLE a; -- aether-lint: ignore=drop-column\n"
        "-- aether-lint: ignore=no-such-rule\n"
        "SELECT 1;\n"
        "-- aether-lint: ignore=drop-table\n"
    )
    findings = lint_text(text, config=ONLY).findings
    assert [(f.rule, f.line) for f in findings] == [
        ("drop-table", 1),
        ("unused-suppression", 1),
        ("unused-suppression", 2),
        ("unused-suppression", 4),
    ]
    assert "names no rule" in findings[2].message
    assert "silences nothing" in findings[1].message


def test_settings_disable_enable_and_change_severities() -> None:
    text = "DROP TABLE a;\nDO $$ BEGIN END $$;"
    off = ONLY.replace(disable=ONLY.disable | {"drop-table"})
    assert [r for r, _, _ in _found(text, off)] == ["unanalysed-statement"]
    louder = ONLY.replace(severity={"unanalysed-statement": Severity.ERROR})
    report = lint_files([("m.sql", text)], louder)
    assert report.errors == 2
    assert report.exit_code == 1
    quiet = ONLY.replace(severity={"drop-table": Severity.WARNING})
    assert lint_files([("m.sql", text)], quiet).exit_code == 0


def test_unknown_rules_and_dialects_in_settings_are_refused() -> None:
    with pytest.raises(Invalid, match="unknown lint rule 'nope'"):
        lint_files([("m.sql", "SELECT 1")], LintConfig(disable=frozenset({"nope"})))
    with pytest.raises(Invalid, match="unknown SQL dialect 'oracle'"):
        LintConfig(dialect="oracle")


def test_rules_apply_only_to_their_dialects() -> None:
    text = "TRUNCATE orders CASCADE;"
    assert [r for r, _, _ in _found(text)] == ["truncate-cascade"]
    assert _found(text, ONLY.replace(dialect="sqlite")) == []


def test_aether_toml_lint_table() -> None:
    config = parse_lint_config(
        b'[lint]\ndialect = "mysql"\npostgres_version = 12\ndisable = ["drop-table"]\n'
        b'severity = { unanalysed-statement = "error" }\n[lint.tables]\norders = "data/o.parquet"\n'
    )
    assert config.dialect == "mysql"
    assert config.postgres_version == 12
    assert config.disable == {"drop-table"}
    assert config.severity == {"unanalysed-statement": Severity.ERROR}
    assert config.tables == {"orders": "data/o.parquet"}
    assert parse_lint_config("") == LintConfig()
    for bad, message in [
        ("[lint]\ncolour = 1", "unknown \\[lint\\] key 'colour'"),
        ("[lint]\ndisable = 'x'", "disable is a list"),
        ("[lint]\nseverity = { a = 'loud' }", "unknown severity 'loud'"),
        ("[lint", "not valid TOML"),
        ("[lint]\npostgres_version = 3", "not a PostgreSQL release"),
    ]:
        with pytest.raises(Invalid, match=message):
            parse_lint_config(bad)


def test_migration_files_run_in_version_order() -> None:
    paths = [
        "m/V10__ten.sql",
        "m/V2__two.sql",
        "m/V1_1__one_one.sql",
        "m/notes.sql",
        "m/20240101_a.down.sql",
        "m/20240101_a.up.sql",
    ]
    assert migration_order(paths) == [
        "m/V1_1__one_one.sql",
        "m/V2__two.sql",
        "m/V10__ten.sql",
        "m/20240101_a.up.sql",
        "m/20240101_a.down.sql",
        "m/notes.sql",
    ]


def test_tables_created_by_earlier_files_are_not_new_in_later_ones() -> None:
    files = [
        ("migrations/0002_drop.sql", "ALTER TABLE t DROP COLUMN a;"),
        (
            "migrations/0001_init.sql",
            "CREATE TABLE t (a bigint, b text);\nALTER TABLE t DROP COLUMN b;",
        ),
    ]
    report = lint_files(files, ONLY)
    assert [(f.path, f.rule) for f in report.findings] == [
        ("migrations/0002_drop.sql", "drop-column")
    ]
    assert [f.path for f in report.files] == [
        "migrations/0001_init.sql",
        "migrations/0002_drop.sql",
    ]


def test_an_up_migration_without_its_down_is_reported() -> None:
    files = [
        ("db/1_a.up.sql", "CREATE TABLE a (id bigint);"),
        ("db/1_a.down.sql", "DROP TABLE a; -- aether-lint: ignore=drop-table"),
        ("db/2_b.up.sql", "CREATE TABLE b (id bigint);"),
    ]
    report = lint_files(files, ONLY)
    assert [(f.path, f.rule) for f in report.findings] == [
        ("db/2_b.up.sql", "missing-down-migration")
    ]
    assert lint_files(files[:2], ONLY).findings == []


def test_the_context_follows_transactions_settings_and_new_tables() -> None:
    seen: list[tuple[bool, frozenset[str], frozenset[str]]] = []

    def record(statement, context):
        seen.append((context.in_transaction, context.settings, context.created_tables))
        return ()

    probe = {"probe": Rule(id="probe", summary="records the context", check=record)}
    text = (
        "START TRANSACTION;\nBEGIN;\nSET lock_timeout = '1s';\nCREATE TABLE t (id bigint);\n"
        "ROLLBACK TO SAVEPOINT s;\nCOMMIT;\nSELECT 1;\nBEGIN;\nABORT;\nSELECT 2;"
    )
    lint_text(text, rules=probe)
    opened = [in_transaction for in_transaction, _, _ in seen]
    assert opened == [False, True, True, True, True, True, False, False, True, False]
    assert seen[3][1] == {"lock_timeout"}
    assert seen[3][2] == frozenset()
    assert seen[4][2] == {"t"}


def test_column_types_declared_by_earlier_files_are_known_to_later_ones() -> None:
    config = LintConfig(disable=frozenset(set(all_rules()) - {"column-type-change"}))
    first = ("m/0001.sql", "CREATE TABLE t (name varchar(50), qty int);")
    widen = ("m/0002.sql", "ALTER TABLE t ALTER COLUMN name TYPE varchar(80);")
    retype = ("m/0003.sql", "ALTER TABLE t ALTER COLUMN qty TYPE text;")
    found = lint_files([first, widen, retype], config).findings
    assert [(f.path, f.rule) for f in found] == [("m/0003.sql", "column-type-change")]
    alone = lint_files([widen], config).findings  # without 0001 the old type is unknown
    assert [f.rule for f in alone] == ["column-type-change"]


def _settings_seen(text: str, **options: object) -> list[frozenset[str]]:
    seen: list[frozenset[str]] = []

    def record(statement, context):
        seen.append(context.settings)
        return ()

    probe = {"probe": Rule(id="probe", summary="records the settings", check=record)}
    lint_text(text, config=LintConfig(**options), rules=probe)  # type: ignore[arg-type]
    return seen


def test_settings_end_as_postgresql_ends_them() -> None:
    timeout = frozenset({"lock_timeout"})
    local = (
        "SET LOCAL lock_timeout = '1s';\nBEGIN;\nSET LOCAL lock_timeout = '1s';\nCOMMIT;\nSELECT 1;"
    )
    assert _settings_seen(local) == [frozenset(), frozenset(), frozenset(), timeout, frozenset()]
    assert _settings_seen(local, assume_in_transaction=True)[1] == timeout
    session = "SET lock_timeout = '1s';\nBEGIN;\nCOMMIT;\nSET lock_timeout = 0;\nSELECT 1;"
    assert _settings_seen(session) == [frozenset(), timeout, timeout, timeout, frozenset()]
    for off in ("SET lock_timeout TO DEFAULT", "RESET lock_timeout", "RESET ALL"):
        assert _settings_seen(f"SET lock_timeout = '2s';\n{off};\nSELECT 1;")[-1] == frozenset()


def test_create_table_if_not_exists_is_not_a_new_table() -> None:
    config = LintConfig(disable=frozenset(set(all_rules()) - {"drop-column"}))
    text = "CREATE TABLE IF NOT EXISTS t (a bigint, b text);\nALTER TABLE t DROP COLUMN b;"
    assert [f.rule for f in lint_text(text, config=config).findings] == ["drop-column"]
    fresh = text.replace(" IF NOT EXISTS", "")
    assert lint_text(fresh, config=config).findings == ()
