"""BEGIN inside a transaction does not nest: PostgreSQL ignores it with a warning and the
first COMMIT ends the whole transaction (MySQL commits the open one at once; SQLite and
DuckDB refuse it). When the migration tool already wraps the file in a transaction, a
COMMIT or ROLLBACK in the file ends the tool's transaction early, and what follows runs
outside it. (Open transactions are counted as PostgreSQL does, START TRANSACTION included:
after BEGIN; BEGIN; COMMIT none is open.)"""

from __future__ import annotations

from collections.abc import Iterator

from ._base import Context, Hit, Rule, Statement, is_begin, is_end
from ._locks import transaction_open

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if is_begin(node):
        if context.assume_in_transaction:
            yield Hit("BEGIN inside the transaction the migration tool opens for the file")
        elif transaction_open(context.statements, context.index):
            yield Hit("BEGIN while a transaction is already open: it does not nest")
    elif is_end(node) and context.assume_in_transaction:
        yield Hit("this ends the transaction the migration tool opened for the file early")


RULE = Rule(
    id="nested-transaction",
    summary="BEGIN inside a transaction, or COMMIT/ROLLBACK of the tool's transaction",
    check=check,
    help="drop the BEGIN/COMMIT (the tool's transaction covers the file), or use SAVEPOINT",
    squawk=("transaction-nesting",),
)
