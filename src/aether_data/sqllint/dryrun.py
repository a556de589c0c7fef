"""Dry run: apply migrations in order to a scratch DuckDB database loaded with datasets.

    report = dry_run([("migrations/0001.sql", sql)], {"orders": "/tmp/copy/orders.parquet"})
    report.ok, report.failure    # the first statement that failed, with DuckDB's error

Statements are translated from the lint dialect to DuckDB's by sqlglot. Some cannot run in
DuckDB at all (transaction control, session settings, DO blocks, constraints DuckDB cannot
add to a table); those are listed as skipped, with why, never silently passed. An added NOT
NULL column is added, then set NOT NULL, so existing rows are checked as PostgreSQL would.
The datasets are copied into the database: the files are only read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from aether_data.datasets.formats import connect, register

from ._migrations import is_down, migration_order
from ._parse import Lines, parse_statements
from .rules import Statement

__all__ = ["DryRunFailure", "DryRunReport", "dry_run"]


@dataclass(frozen=True, slots=True)
class DryRunFailure:
    """The statement that failed: where it is, its text, DuckDB's error."""

    path: str
    statement: int
    line: int
    column: int
    sql: str
    error: str


@dataclass(frozen=True, slots=True)
class DryRunReport:
    """What a dry run did: statements applied, skipped (with reasons), the first failure, and
    the row counts of the tables at the end."""

    files: tuple[str, ...] = ()
    applied: int = 0
    skipped: tuple[tuple[str, int, str], ...] = ()
    """``(path, line, reason)`` of each statement not run."""
    failure: DryRunFailure | None = None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        failure = self.failure
        return {
            "ok": self.ok,
            "files": list(self.files),
            "applied": self.applied,
            "skipped": [{"path": p, "line": n, "reason": r} for p, n, r in self.skipped],
            "failure": None
            if failure is None
            else {
                "path": failure.path,
                "statement": failure.statement,
                "line": failure.line,
                "column": failure.column,
                "sql": failure.sql,
                "error": failure.error,
            },
            "tables": dict(self.tables),
        }


def dry_run(
    files: Sequence[tuple[str, str]],
    tables: Mapping[str, str | os.PathLike[str]],
    *,
    dialect: str = "postgres",
    names: Mapping[str, str] | None = None,
    memory_limit: str = "2GB",
) -> DryRunReport:
    """Apply the up migrations of ``files`` (``(path, text)``, in version order) to a new
    DuckDB database holding ``tables`` (table name -> dataset file), stopping at the first
    failure. ``names``: what errors call the dataset files (default: their paths).

    Raises:
        Invalid: a dataset file cannot be read.
    """
    con = connect(memory_limit=memory_limit)
    try:
        run(con, "CREATE SCHEMA IF NOT EXISTS public")
        run(con, "SET schema = 'public'")
        for table, path in tables.items():
            _load(con, table, path, (names or {}).get(table))
        return _Run(con, dialect).apply(files)
    finally:
        con.close()


def run(con: Any, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` to its end."""
    return con.execute(sql).fetchall()


def _load(con: Any, table: str, path: str | os.PathLike[str], name: str | None) -> None:
    view = f"__aether_source_{len(con.execute('SHOW TABLES').fetchall())}"
    register(con, view, path, name=name or os.fspath(path))
    run(con, f"CREATE TABLE {_quoted(table)} AS SELECT * FROM {_quoted(view)}")
    run(con, f"DROP VIEW {_quoted(view)}")


def _quoted(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


class _Run:
    """One dry run: the database, the statements applied and skipped so far."""

    def __init__(self, con: Any, dialect: str) -> None:
        self.con, self.dialect = con, dialect
        self.applied = 0
        self.skipped: list[tuple[str, int, str]] = []

    def apply(self, files: Sequence[tuple[str, str]]) -> DryRunReport:
        texts = dict(files)
        ups = [p for p in migration_order(list(texts)) if not is_down(p)]
        failure = None
        for path in ups:
            failure = self._file(path, texts[path])
            if failure is not None:
                break
        return DryRunReport(
            files=tuple(ups),
            applied=self.applied,
            skipped=tuple(self.skipped),
            failure=failure,
            tables=self._counts(),
        )

    def _file(self, path: str, text: str) -> DryRunFailure | None:
        lines = Lines(text)
        for statement in parse_statements(text, self.dialect):
            line, column = lines.position(statement.start)
            if statement.node is None:
                return DryRunFailure(
                    path,
                    statement.index,
                    line,
                    column,
                    statement.sql,
                    f"cannot parse: {statement.error}",
                )
            why = _not_run(statement.node)
            if why is None and _is_index(statement.node):
                why, error = self._index(statement.node)
                if error is not None:
                    return DryRunFailure(path, statement.index, line, column, statement.sql, error)
            if why:
                self.skipped.append((path, line, why))
                continue
            error = self._execute(statement)
            if error is not None and error.startswith("skip:"):
                self.skipped.append((path, line, error.removeprefix("skip:")))
            elif error is not None:
                return DryRunFailure(path, statement.index, line, column, statement.sql, error)
            else:
                self.applied += 1
        return None

    def _execute(self, statement: Statement) -> str | None:
        import duckdb  # noqa: PLC0415 - heavy

        try:
            for sql in _duckdb_sql(statement.node):
                run(self.con, sql)
        except duckdb.NotImplementedException as exc:
            return f"skip:DuckDB cannot run it ({_first_line(exc)})"
        except duckdb.ParserException as exc:
            return f"skip:DuckDB does not know this syntax ({_first_line(exc)})"
        except duckdb.CatalogException as exc:
            reason = _first_line(exc)
            if "Table with name" in reason and "does not exist" in reason:
                # Not among the datasets: the dry run cannot judge what it does to it.
                return f"skip:{reason} (map a dataset file to it in [lint.tables] of aether.toml)"
            return reason
        except duckdb.Error as exc:
            return _first_line(exc)
        return None

    def _index(self, node: exp.Create) -> tuple[str, str | None]:
        """Indexes are not built (DuckDB could then not alter their tables); a unique one
        is checked against the rows instead."""
        if not node.args.get("unique"):
            return "an index does not change the data; not built here", None
        index = node.this
        table = index.args.get("table")
        params = index.args.get("params")
        if table is None or params is None:
            return "an index without a table", None
        keys = ", ".join(c.this.sql(dialect="duckdb") for c in params.args.get("columns") or [])
        where = params.args.get("where")
        condition = f" WHERE {where.this.sql(dialect='duckdb')}" if where is not None else ""
        nulls = " AND ".join(
            f"({c.this.sql(dialect='duckdb')}) IS NOT NULL"
            for c in params.args.get("columns") or []
        )
        condition += (" AND " if condition else " WHERE ") + nulls if nulls else ""
        query = (
            f"SELECT count(*) FROM (SELECT {keys} FROM {table.sql(dialect='duckdb')}{condition} "
            f"GROUP BY ALL HAVING count(*) > 1)"
        )
        try:
            repeated = run(self.con, query)[0][0]
        except Exception as exc:
            return "", _first_line(exc)
        if repeated:
            return (
                "",
                f"{repeated} key(s) repeat in {table.sql()}: the unique index cannot be built",
            )
        return "a unique index: its keys were checked, the index is not built", None

    def _counts(self) -> dict[str, int]:
        rows = run(
            self.con,
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
            "ORDER BY schema_name, table_name",
        )
        counts = {}
        for schema, table in rows:
            name = table if schema == "public" else f"{schema}.{table}"
            counts[name] = run(
                self.con, f"SELECT count(*) FROM {_quoted(schema)}.{_quoted(table)}"
            )[0][0]
        return counts


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_SKIPPED: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Transaction, "transaction control (each migration runs on its own here)"),
    (exp.Commit, "transaction control"),
    (exp.Rollback, "transaction control"),
    (exp.Set, "a session setting of the database server"),
    (exp.Command, "raw text sqlglot cannot analyse (such as a DO block)"),
    (exp.Grant, "privileges"),
)


def _is_index(node: exp.Expression) -> bool:
    return isinstance(node, exp.Create) and str(node.args.get("kind", "")).upper() == "INDEX"


def _not_run(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Drop) and str(node.args.get("kind", "")).upper() == "INDEX":
        return "indexes are not built here"
    for kind, why in _SKIPPED:
        if isinstance(node, kind):
            return why
    return None


def _duckdb_sql(node: exp.Expression) -> list[str]:
    """DuckDB statements that do what ``node`` does to the data."""
    node = node.copy()
    for part in node.find_all(exp.Create, exp.Drop):
        part.set("concurrently", False)  # a scratch database has no concurrent readers
    later = []
    if isinstance(node, exp.Alter):
        later = _not_null_later(node)
    return [node.sql(dialect="duckdb"), *later]


def _is_not_null(kind: Any) -> bool:
    return isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null")


def _not_null_later(node: exp.Alter) -> list[str]:
    """DuckDB cannot add a column with constraints: add it plain, then SET NOT NULL, which
    checks the rows as PostgreSQL's ADD COLUMN ... NOT NULL does."""
    table = node.this.sql(dialect="duckdb")
    later = []
    for action in node.args.get("actions") or []:
        if not isinstance(action, exp.ColumnDef):
            continue
        constraints = action.args.get("constraints") or []
        not_null = [c for c in constraints if _is_not_null(c.args.get("kind"))]
        for constraint in not_null:
            constraint.pop()
            later.append(
                f"ALTER TABLE {table} ALTER COLUMN {action.this.sql(dialect='duckdb')} SET NOT NULL"
            )
    return later
