"""ADD COLUMN ... NOT NULL without a DEFAULT fails on a table that has rows (the new column
would be NULL in each of them), after waiting for an ACCESS EXCLUSIVE lock: the migration
works on an empty development database and breaks in production."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import added_columns, altered_table, column_constraint

__all__ = ["RULE", "check"]

_FILLED = (exp.GeneratedAsIdentityColumnConstraint, exp.ComputedColumnConstraint)
_SERIAL = {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = altered_table(statement.node)
    if table is None or context.is_new_table(table_name(table)):
        return
    for column in added_columns(statement.node):
        if _required(column) and not _filled(column):
            yield Hit(
                f"column {column_name(column.this)} of {table_name(table)} is NOT NULL "
                "without a DEFAULT: adding it fails when the table has rows",
                column,
            )


def _required(column: exp.ColumnDef) -> bool:
    """NOT NULL (not a plain NULL) or PRIMARY KEY."""
    found = column_constraint(column, exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint)
    return found is not None and not found.args["kind"].args.get("allow_null")


def _filled(column: exp.ColumnDef) -> bool:
    """Whether existing rows get a value: a non-NULL default, identity, generated, serial."""
    default = column_constraint(column, exp.DefaultColumnConstraint)
    if default is not None and not isinstance(default.args["kind"].this, exp.Null):
        return True
    kind = column.args.get("kind")
    serial = isinstance(kind, exp.DataType) and kind.this in _SERIAL
    return serial or column_constraint(column, *_FILLED) is not None


RULE = Rule(
    id="not-null-without-default",
    summary="ADD COLUMN ... NOT NULL without a DEFAULT",
    check=check,
    dialects=POSTGRES,
    help="add the column with a DEFAULT, or add it nullable, backfill, then SET NOT NULL safely",
    squawk=("adding-required-field",),
    kinds=(exp.Alter,),
)
