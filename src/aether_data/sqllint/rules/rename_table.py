"""Renaming a table breaks the code that still uses the old name while the release rolls
out (old and new code run side by side)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ._base import Context, Hit, Rule, Statement, table_name
from ._types import alter_table

__all__ = ["RULE", "check"]

_RENAME_TABLE = re.compile(r"^\s*TABLE\s+(.*)$", re.IGNORECASE | re.DOTALL)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    alter = alter_table(node)
    if alter is not None:
        yield from _alter_renames(alter, context)
    elif isinstance(node, exp.Command) and str(node.this).upper() == "RENAME":
        yield from _rename_command(node, context)


def _alter_renames(alter: exp.Alter, context: Context) -> Iterator[Hit]:
    old = table_name(alter.this)
    if context.is_new_table(old) or alter.args.get("options"):
        return  # options: PostgreSQL's RENAME a TO b, a column (rename-column)
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            new = table_name(action.this)
            yield Hit(f"RENAME {old} TO {new} breaks code using {old}", alter.this)


def _rename_command(node: exp.Command, context: Context) -> Iterator[Hit]:
    """MySQL's RENAME TABLE a TO b, c TO d, which sqlglot keeps as text (no positions)."""
    text = node.args.get("expression")
    match = _RENAME_TABLE.match(text.name if isinstance(text, exp.Expression) else "")
    for pair in match.group(1).split(",") if match else []:
        names = re.split(r"\s+TO\s+", pair.strip(), flags=re.IGNORECASE)
        old = names[0].strip('`" ').lower()
        if len(names) == 2 and not context.is_new_table(old):
            yield Hit(f"RENAME TABLE {old} TO {names[1].strip()} breaks code using {old}")


RULE = Rule(
    id="rename-table",
    summary="ALTER TABLE ... RENAME TO",
    check=check,
    help="move the code to a new table or a view first, rename in a later release",
    squawk=("renaming-table",),
)
