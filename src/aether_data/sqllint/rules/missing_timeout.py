"""A statement that needs a strong lock (ALTER TABLE, CREATE INDEX, DROP, TRUNCATE, CREATE
TRIGGER, ALTER TYPE ...) queues behind any long transaction holding the table, and every
query on the table then queues behind it: a migration waiting for its lock takes the
application down with it. ``SET lock_timeout`` makes it give up (and retry) instead.
Reported once per file, at the first such statement."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Severity
from ._base import POSTGRES, Context, Hit, Rule, Statement
from ._locks import first_lock, lock_timeout_set

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if "lock_timeout" in context.settings:
        return
    # The file's first lock is found once (and kept): asking per statement costs nothing.
    where, found = first_lock(context.statements or (statement,))
    if found is not None and where == context.index and not lock_timeout_set(context):
        what, node = found
        yield Hit(f"{what} waits for a strong lock with no lock_timeout set", node)


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
