"""A DELETE or UPDATE without WHERE changes every row of the table: almost always a
mistake in a migration (a forgotten or lost condition)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ._base import Context, Hit, Rule, Statement, table_name

__all__ = ["RULE", "check"]

_VERBS = re.compile(r"\b(DELETE|UPDATE)\b", re.IGNORECASE)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if node is None or not _VERBS.search(statement.sql):
        return  # no DELETE or UPDATE anywhere in the text: no need to walk the tree
    for found in node.find_all(exp.Delete, exp.Update):
        target = found.this
        if found.args.get("where") or not isinstance(target, exp.Table) or _joined(target):
            continue  # a MERGE's UPDATE has no table of its own
        verb = "DELETE" if isinstance(found, exp.Delete) else "UPDATE"
        yield Hit(f"{verb} of {table_name(target)} has no WHERE: it changes every row", target)


def _joined(table: exp.Table) -> bool:
    """Whether the target is joined ON a condition (MySQL's multi-table forms)."""
    return any(
        join.args.get("on") or join.args.get("using") for join in table.args.get("joins") or []
    )


RULE = Rule(
    id="missing-where",
    summary="DELETE or UPDATE without WHERE",
    check=check,
    help="add the WHERE clause; to really change every row, say WHERE true",
)
