"""ADD CONSTRAINT ... UNIQUE or PRIMARY KEY on an existing table builds its index while
holding an ACCESS EXCLUSIVE lock: no reads nor writes until the build ends (and a primary
key also checks every row for NULLs). Built first with CREATE UNIQUE INDEX CONCURRENTLY,
the index becomes the constraint in an instant with ADD CONSTRAINT ... USING INDEX (which
sqlglot keeps as a Command, so it never reaches this rule)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import added_columns, added_constraints, altered_table, column_constraint

__all__ = ["RULE", "check"]

_KINDS = {
    exp.UniqueColumnConstraint: "UNIQUE",
    exp.PrimaryKey: "PRIMARY KEY",
    exp.PrimaryKeyColumnConstraint: "PRIMARY KEY",
}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    table = altered_table(node)
    if table is None or context.is_new_table(table_name(table)):
        return
    name = table_name(table)
    for where, kind in added_constraints(node):
        if type(kind) in _KINDS:
            label = f" {column_name(where.this)}" if isinstance(where, exp.Constraint) else ""
            yield Hit(
                f"{_KINDS[type(kind)]} constraint{label} on {name} builds its index under an "
                "ACCESS EXCLUSIVE lock",
                where,
            )
    for column in added_columns(node):
        found = column_constraint(column, *_KINDS)
        if found is not None:
            yield Hit(
                f"column {column_name(column.this)} added to {name} as "
                f"{_KINDS[type(found.args['kind'])]} builds its index under an ACCESS "
                "EXCLUSIVE lock",
                column,
            )


RULE = Rule(
    id="unique-on-existing-table",
    summary="ADD CONSTRAINT ... UNIQUE or PRIMARY KEY on an existing table",
    check=check,
    dialects=POSTGRES,
    help="CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT name UNIQUE (or PRIMARY "
    "KEY) USING INDEX index_name",
    squawk=("disallowed-unique-constraint", "adding-serial-primary-key-field"),
)
