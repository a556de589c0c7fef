"""Dropping a column deletes its data for good, and breaks the code that still reads or
writes it while the release rolls out."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import Context, Hit, Rule, Statement, column_name
from ._types import existing_alter, qualified

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    found = existing_alter(statement.node, context)
    if found is None:
        return
    alter, table = found
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            for column in action.args.get("tables") or []:
                name = qualified(table, column_name(column))
                yield Hit(f"DROP COLUMN {name} deletes the column's data", column)


RULE = Rule(
    id="drop-column",
    summary="ALTER TABLE ... DROP COLUMN",
    check=check,
    help="stop reading and writing it in one release, drop it in a later one",
    squawk=("ban-drop-column",),
    kinds=(exp.Alter,),
)
