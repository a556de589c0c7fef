"""Renaming a column breaks the code that reads or writes the old name while the release
rolls out (old and new code run side by side)."""

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
    for old, new in _renames(alter):
        old_name = qualified(table, column_name(_ident(old)))
        message = f"RENAME COLUMN {old_name} TO {column_name(_ident(new))} breaks code reading"
        yield Hit(f"{message} {old_name}", old)


def _renames(alter: exp.Alter) -> Iterator[tuple[exp.Expression, exp.Expression]]:
    """The (old, new) name nodes of the columns ``alter`` renames."""
    options = [o for o in alter.args.get("options") or [] if isinstance(o, exp.ToTableProperty)]
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.RenameColumn) and action.this and action.args.get("to"):
            yield action.this, action.args["to"]
        elif isinstance(action, exp.AlterRename) and options and action.this:
            # PostgreSQL's RENAME a TO b (no COLUMN): sqlglot reads a table rename and a TO.
            yield action.this, options[0].this
        elif isinstance(action, exp.ModifyColumn):
            yield from _changed(action)


def _changed(action: exp.ModifyColumn) -> Iterator[tuple[exp.Expression, exp.Expression]]:
    """MySQL's CHANGE old new type, when the name changes."""
    old, new = action.args.get("rename_from"), action.this
    new = new.this if isinstance(new, exp.ColumnDef) else new
    if old is not None and new is not None and column_name(old) != column_name(new):
        yield old, new


def _ident(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Table | exp.Column) else node


RULE = Rule(
    id="rename-column",
    summary="ALTER TABLE ... RENAME COLUMN",
    check=check,
    help="add the new column, write both, move the readers, then drop the old one",
    squawk=("renaming-column",),
    kinds=(exp.Alter,),
)
