"""CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table while it builds the
index: reads go on, but every INSERT, UPDATE and DELETE waits, for minutes on a big table.
DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table, which
the statement does not name: it is known only for an index created earlier in the file."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import created_indexes

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Index):
        yield from _create(node, node.this, context)
    elif isinstance(node, exp.Drop) and str(node.args.get("kind") or "").upper() == "INDEX":
        yield from _drop(node, context)


def _create(node: exp.Create, index: exp.Index, context: Context) -> Iterator[Hit]:
    table = index.args.get("table")
    if node.args.get("concurrently") or not isinstance(table, exp.Table):
        return
    if not context.is_new_table(table_name(table)):
        name = f"index {column_name(index.this)}" if index.this else "an index"
        yield Hit(
            f"CREATE INDEX without CONCURRENTLY: building {name} on {table_name(table)} "
            "blocks its writes",
            index,
        )


def _drop(node: exp.Drop, context: Context) -> Iterator[Hit]:
    if node.args.get("concurrently"):
        return
    created = created_indexes(context.statements, context.index)
    for target in node.args.get("tables") or []:
        on = created.get(column_name(target.this)) if isinstance(target, exp.Table) else None
        if isinstance(target, exp.Table) and not (on and context.is_new_table(on)):
            yield Hit(
                f"DROP INDEX {table_name(target)} without CONCURRENTLY locks its table "
                "(ACCESS EXCLUSIVE)",
                target,
            )


RULE = Rule(
    id="index-without-concurrently",
    summary="CREATE INDEX or DROP INDEX without CONCURRENTLY",
    check=check,
    dialects=POSTGRES,
    help="use CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY, outside a transaction",
    squawk=("require-concurrent-index-creation", "require-concurrent-index-deletion"),
)
