"""TRUNCATE ... CASCADE also empties every table with a foreign key to the truncated ones,
and theirs in turn: far more data than the statement names."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, table_name

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if (
        isinstance(node, exp.TruncateTable)
        and str(node.args.get("option") or "").upper() == "CASCADE"
    ):
        tables = [t for t in node.expressions if isinstance(t, exp.Table)]
        names = ", ".join(table_name(t) for t in tables)
        yield Hit(
            f"TRUNCATE {names} CASCADE also empties every table that references them",
            tables[0] if tables else None,
        )


RULE = Rule(
    id="truncate-cascade",
    summary="TRUNCATE ... CASCADE",
    check=check,
    dialects=POSTGRES,
    help="truncate the referencing tables by name, or delete the rows you mean",
    squawk=("ban-truncate-cascade",),
    kinds=(exp.TruncateTable,),
)
