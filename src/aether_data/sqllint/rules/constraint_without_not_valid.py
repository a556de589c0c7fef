"""ADD CONSTRAINT ... FOREIGN KEY or CHECK on an existing table checks every row while it
holds its lock (ACCESS EXCLUSIVE for a CHECK; SHARE ROW EXCLUSIVE on both tables for a
foreign key): writes wait for the whole scan. Added NOT VALID, the constraint holds for new
rows at once and VALIDATE CONSTRAINT checks the old ones later under a lock that lets
writes go on. ADD COLUMN ... REFERENCES cannot be NOT VALID and locks the referenced table
too."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import (
    added_columns,
    added_constraints,
    altered_table,
    column_constraint,
    command_table,
    command_text,
)

__all__ = ["RULE", "check"]


_COMMAND = re.compile(r"\bADD\s+(?:CONSTRAINT\s+\S+\s+)?(CHECK|FOREIGN\s+KEY)\b", re.IGNORECASE)
_NOT_VALID = re.compile(r"\bNOT\s+VALID\b", re.IGNORECASE)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    table = altered_table(node)
    if table is None:
        yield from _command(command_text(node), context)
        return
    if context.is_new_table(table_name(table)):
        return
    name = table_name(table)
    if not node.args.get("not_valid"):
        for where, kind in added_constraints(node):
            what = _kind(kind)
            if what:
                yield Hit(f"{what} constraint{_named(where)} on {name} without NOT VALID", where)
    for column in added_columns(node):
        reference = column_constraint(column, exp.Reference)
        if reference is not None:
            target = reference.find(exp.Table) or reference
            yield Hit(
                f"column {column_name(column.this)} added to {name} with a FOREIGN KEY to "
                f"{table_name(target)}: validated at once, under lock",
                target,
            )


def _command(text: str, context: Context) -> Iterator[Hit]:
    """An ALTER TABLE sqlglot keeps as text (ADD CHECK without a constraint name)."""
    name = command_table(text)
    match = _COMMAND.search(text)
    if name and match and not _NOT_VALID.search(text) and not context.is_new_table(name):
        what = " ".join(match.group(1).upper().split())
        yield Hit(f"{what} constraint on {name} without NOT VALID")


def _kind(kind: exp.Expression) -> str:
    if isinstance(kind, exp.ForeignKey):
        return "FOREIGN KEY"
    return "CHECK" if isinstance(kind, exp.CheckColumnConstraint) else ""


def _named(where: exp.Expression) -> str:
    return f" {column_name(where.this)}" if isinstance(where, exp.Constraint) else ""


RULE = Rule(
    id="constraint-without-not-valid",
    summary="ADD CONSTRAINT ... FOREIGN KEY or CHECK without NOT VALID",
    check=check,
    dialects=POSTGRES,
    help="add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later transaction; "
    "for a new column, add the column first and the constraint NOT VALID after",
    squawk=("constraint-missing-not-valid", "adding-foreign-key-constraint"),
)
