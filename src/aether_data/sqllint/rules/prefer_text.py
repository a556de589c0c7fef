"""varchar(n) and char(n) fix a length in the type: changing it later takes an exclusive
lock (and may rewrite the table), and char pads with blanks. text with a CHECK on the length
is as fast and can change without a rewrite."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..findings import Severity
from ._base import POSTGRES, Context, Hit, Rule, Statement
from ._types import defined_columns, element_type, qualified

__all__ = ["RULE", "check"]

_T = exp.DataType.Type
_VARYING = {_T.VARCHAR, _T.NVARCHAR}
_CHAR = {_T.CHAR, _T.NCHAR, _T.BPCHAR}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    for column in defined_columns(statement.node):
        dtype = element_type(column.dtype)
        where = qualified(column.table, column.column)
        if dtype.this in _CHAR:
            yield Hit(
                f"column {where} is {dtype.sql('postgres').lower()}, blank-padded", column.node
            )
        elif dtype.this in _VARYING and dtype.expressions:
            yield Hit(
                f"column {where} is {dtype.sql('postgres').lower()}, a fixed limit", column.node
            )


RULE = Rule(
    id="prefer-text",
    summary="varchar(n) or char(n) column type",
    check=check,
    severity=Severity.WARNING,
    dialects=POSTGRES,
    help="use text, with a CHECK on its length if the limit matters",
    squawk=("prefer-text-field", "ban-char-field"),
    kinds=(exp.Create, exp.Alter),
)
