"""timestamp (without time zone) stores wall-clock times with no zone: the same instant
reads differently per session setting, and comparisons across zones go wrong."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..findings import Severity
from ._base import POSTGRES, Context, Hit, Rule, Statement
from ._types import defined_columns, element_type, qualified, type_name

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    for column in defined_columns(statement.node):
        if type_name(element_type(column.dtype)) == "timestamp":
            where = qualified(column.table, column.column)
            yield Hit(f"column {where} is timestamp without time zone", column.node)


RULE = Rule(
    id="prefer-timestamptz",
    summary="timestamp without time zone column type",
    check=check,
    severity=Severity.WARNING,
    dialects=POSTGRES,
    help="use timestamptz, which stores an instant",
    squawk=("prefer-timestamptz",),
    kinds=(exp.Create, exp.Alter),
)
