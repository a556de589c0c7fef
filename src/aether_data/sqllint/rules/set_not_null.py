"""ALTER COLUMN ... SET NOT NULL scans the whole table to check for NULLs while holding an
ACCESS EXCLUSIVE lock: no reads nor writes for as long as the scan takes. Since PostgreSQL
12 the scan is skipped when a validated CHECK (col IS NOT NULL) already proves it, and such
a CHECK can be added NOT VALID and validated under a weaker lock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import added_constraints, altered_table, command_table, command_text, fold

__all__ = ["RULE", "check"]

_VALIDATE = re.compile(r"\bVALIDATE\s+CONSTRAINT\s+(\"[^\"]+\"|[\w$]+)", re.IGNORECASE)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = altered_table(statement.node)
    if table is None or context.is_new_table(table_name(table)):
        return
    actions = [a for a in statement.node.args.get("actions") or [] if _sets_not_null(a)]
    proven = (
        _proven(context, table_name(table)) if actions and context.postgres_version >= 12 else set()
    )
    for action in actions:
        if column_name(action.this) not in proven:
            yield Hit(
                f"SET NOT NULL on {table_name(table)}.{column_name(action.this)} scans the "
                "table under an ACCESS EXCLUSIVE lock",
                action,
            )


def _sets_not_null(action: exp.Expression) -> bool:
    return (
        isinstance(action, exp.AlterColumn)
        and action.args.get("allow_null") is False
        and not action.args.get("drop")
    )


def _proven(context: Context, table: str) -> set[str]:
    """Columns of ``table`` a CHECK (col IS NOT NULL) validated earlier in the file proves."""
    checks: dict[str, str] = {}
    proven: set[str] = set()
    for earlier in context.statements[: context.index]:
        node = earlier.node
        if _on(node, table):
            for where, kind in added_constraints(node):
                column = _not_null_check(kind)
                if column and isinstance(where, exp.Constraint):
                    checks[column_name(where.this)] = column
                if column and not node.args.get("not_valid"):
                    proven.add(column)
        text = command_text(node)
        match = _VALIDATE.search(text)
        if match and command_table(text) == table:
            proven.add(checks.get(fold(match.group(1)), ""))
    return proven


def _on(node: exp.Expression | None, table: str) -> bool:
    """Whether ``node`` is an ALTER TABLE ``table`` that adds a constraint."""
    actions = node.args.get("actions") if isinstance(node, exp.Alter) else None
    if not any(isinstance(action, exp.AddConstraint) for action in actions or []):
        return False
    target = altered_table(node)
    return target is not None and table_name(target) == table


def _not_null_check(kind: exp.Expression) -> str:
    """The column of a CHECK (col IS NOT NULL), else ""."""
    test = kind.this if isinstance(kind, exp.CheckColumnConstraint) else None
    if isinstance(test, exp.Paren):
        test = test.this
    if isinstance(test, exp.Is) and test.args.get("negate") and isinstance(test.this, exp.Column):
        return column_name(test.this) if isinstance(test.expression, exp.Null) else ""
    return ""


RULE = Rule(
    id="set-not-null",
    summary="ALTER COLUMN ... SET NOT NULL on an existing table",
    check=check,
    dialects=POSTGRES,
    help="add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it, then SET NOT NULL "
    "(PostgreSQL 12+ skips the scan) and drop the CHECK",
    squawk=("adding-not-nullable-field",),
    kinds=(exp.Alter,),
)
