"""Dropping a constraint (CHECK, UNIQUE, FOREIGN KEY, PRIMARY KEY) lets rows that break it
in from then on, and they stay after the constraint comes back as NOT VALID."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..findings import Severity
from ._base import Context, Hit, Rule, Statement, column_name
from ._types import existing_alter

__all__ = ["RULE", "check"]

# MySQL spells some as DROP FOREIGN KEY name, DROP CHECK name.
_KINDS = {"CONSTRAINT", "FOREIGN KEY", "CHECK"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    found = existing_alter(statement.node, context)
    if found is None:
        return
    alter, table = found
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.DropPrimaryKey):
            yield Hit(f"DROP PRIMARY KEY on {table} lets duplicate keys in", alter.this)
        elif isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() in _KINDS:
            for target in action.args.get("tables") or []:
                name = column_name(target.this if isinstance(target, exp.Table) else target)
                yield Hit(f"DROP CONSTRAINT {name} on {table} lets rows that break it in", target)


RULE = Rule(
    id="drop-constraint",
    summary="ALTER TABLE ... DROP CONSTRAINT",
    check=check,
    severity=Severity.WARNING,
    dialects=frozenset({"postgres", "duckdb", "mysql"}),
    help="make sure nothing relies on it; to replace it, add the new one before dropping",
    squawk=("ban-drop-constraint",),
    kinds=(exp.Alter,),
)
