"""Dropping a table, schema or database loses its data for good (and breaks the code that
still reads it while the release rolls out)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import Context, Hit, Rule, Statement

__all__ = ["RULE", "check"]

_KINDS = {"TABLE", "SCHEMA", "DATABASE"}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, exp.Drop) and str(node.args.get("kind", "")).upper() in _KINDS:
        kind = str(node.args["kind"]).lower()
        for target in node.args.get("tables") or []:
            yield Hit(f"DROP {kind.upper()} {target.sql()} deletes the {kind} and its data", target)


RULE = Rule(
    id="drop-table",
    summary="DROP TABLE, DROP SCHEMA or DROP DATABASE",
    check=check,
    help="stop using it in one release, drop it in a later one, and keep a backup",
    squawk=("ban-drop-table", "ban-drop-schema", "ban-drop-database"),
    kinds=(exp.Drop,),
)
