"""A statement that needs a strong lock (ALTER TABLE, CREATE INDEX, DROP, TRUNCATE, CREATE
TRIGGER, ALTER TYPE ...) queues behind any long transaction holding the table, and every
query on the table then queues behind it: a migration waiting for its lock takes the
application down with it. ``SET lock_timeout`` makes it give up (and retry) instead.
Reported once per file, at the first such statement."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Severity
from ._base import POSTGRES, Context, Hit, Rule, Statement
from ._locks import created_indexes, created_tables, lock_timeout_set, strong_lock

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    found = _locking(context, context.index)
    if found is None or lock_timeout_set(context):
        return
    if any(_locking(context, k) for k in range(context.index)):
        return  # reported at an earlier statement, or lock_timeout was set before it
    what, node = found
    yield Hit(f"{what} waits for a strong lock with no lock_timeout set", node)


def _locking(context: Context, index: int) -> tuple[str, object] | None:
    statements = context.statements
    node = statements[index].node if index < len(statements) else None
    tables = created_tables(statements, index)
    indexes = created_indexes(statements, index)
    return strong_lock(node, tables, frozenset(k for k, v in indexes.items() if v in tables))


RULE = Rule(
    id="missing-timeout",
    summary="a statement that takes a strong lock without lock_timeout set",
    check=check,
    severity=Severity.WARNING,
    dialects=POSTGRES,
    help="SET lock_timeout = '2s' (and statement_timeout) at the top of the migration, and "
    "retry it when it times out",
    squawk=("require-timeout-settings", "require-lock-timeout"),
)
