"""A statement that does not parse cannot be checked: report it rather than pass it."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Severity
from ._base import Context, Hit, Rule, Statement

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if statement.node is None:
        yield Hit(f"cannot parse this statement as {context.dialect} SQL: {statement.error}")


RULE = Rule(
    id="syntax-error",
    summary="a statement does not parse",
    check=check,
    severity=Severity.ERROR,
    help="fix the statement, or lint with the --dialect it is written in",
    parsed_only=False,
)
