"""A BEGIN with no COMMIT or ROLLBACK after it leaves the transaction open when the file
ends: the migration tool may commit it, roll it back or keep its locks held until the
session closes, and what the file meant is left unsaid. Reported at the last BEGIN (an
earlier one without an end is a nested BEGIN, which nested-transaction reports)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import Context, Hit, Rule, Statement, is_begin, is_end

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if not is_begin(statement.node):
        return
    later = context.statements[context.index + 1 :]
    if not any(is_end(s.node) or is_begin(s.node) for s in later):
        yield Hit("this transaction is never committed or rolled back in the file")


RULE = Rule(
    id="unclosed-transaction",
    summary="BEGIN without a COMMIT or ROLLBACK later in the file",
    check=check,
    help="end the transaction with COMMIT in the same file",
    squawk=("ban-uncommitted-transaction",),
    kinds=(exp.Transaction, exp.Alias),
)
