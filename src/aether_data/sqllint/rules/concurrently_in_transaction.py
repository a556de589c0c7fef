"""CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run
inside a transaction block: PostgreSQL refuses them, so the migration fails (and a tool
that wraps each file in a transaction makes every such file fail)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement
from ._locks import command_text, in_transaction

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    found = _concurrent(statement.node)
    if found is not None and in_transaction(context):
        what, node = found
        why = "the migration tool's" if context.assume_in_transaction else "an open"
        yield Hit(f"{what} cannot run inside a transaction block ({why} transaction)", node)


def _concurrent(node: exp.Expression | None) -> tuple[str, exp.Expression | None] | None:
    if not node or not node.args.get("concurrently"):
        words = command_text(node).upper().split()
        if words[:1] == ["REINDEX"] and "CONCURRENTLY" in words:
            return "REINDEX CONCURRENTLY", None
        return None
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Index):
        return "CREATE INDEX CONCURRENTLY", node.this
    if isinstance(node, exp.Drop):
        targets = node.args.get("tables") or [None]
        return "DROP INDEX CONCURRENTLY", targets[0]
    return None


RULE = Rule(
    id="concurrently-in-transaction",
    summary="CREATE/DROP INDEX CONCURRENTLY inside a transaction",
    check=check,
    dialects=POSTGRES,
    help="run it in a migration of its own, outside any transaction (turn the tool's "
    "per-file transaction off for that file)",
    squawk=("ban-concurrent-index-creation-in-transaction",),
)
