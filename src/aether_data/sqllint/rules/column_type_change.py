"""ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes under an ACCESS
EXCLUSIVE lock, unless the old type is binary coercible to the new one: varchar(n) to a
wider varchar, to varchar or text; numeric(p,s) to a wider precision or to numeric; cidr to
inet. The statement does not say the old type, so the change counts as safe only when an
earlier statement (of the file, or of an earlier migration of the set) shows it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import altered_table

__all__ = ["RULE", "check"]

T = exp.DataType.Type


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = altered_table(statement.node)
    if table is None or context.is_new_table(table_name(table)):
        return
    for action in statement.node.args.get("actions") or []:
        new = action.args.get("dtype") if isinstance(action, exp.AlterColumn) else None
        if not isinstance(new, exp.DataType):
            continue
        column = column_name(action.this)
        old = _old_type(context, table_name(table), column)
        if not (_safe(old, new) and _plain_using(action, column)):
            to = new.sql(dialect="postgres").lower()
            yield Hit(
                f"changing the type of {table_name(table)}.{column} to {to} rewrites the table "
                "under an ACCESS EXCLUSIVE lock",
                action,
            )


def _params(dtype: exp.DataType) -> list[int | None]:
    out: list[int | None] = []
    for param in dtype.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        is_int = isinstance(value, exp.Literal) and value.name.isdigit()
        out.append(int(value.name) if is_int else None)
    return out


def _safe(old: exp.DataType | None, new: exp.DataType) -> bool:
    if old is None:
        return False  # the old type is unknown: text from a number rewrites too
    if old == new:
        return True
    if _is(old, "cidr") and new.this == T.INET:
        return True
    if old.this in {T.VARCHAR, T.TEXT} and new.this in {T.VARCHAR, T.TEXT}:
        return _wider(old, new) if new.this == T.VARCHAR else True
    if old.this == T.DECIMAL and new.this == T.DECIMAL:
        return _wider(old, new)
    return False


def _wider(old: exp.DataType, new: exp.DataType) -> bool:
    """Whether ``new`` (varchar(n) or numeric(p,s)) holds every value of ``old`` unchanged."""
    before, after = _params(old), _params(new)
    if not after:
        return True
    if not before or None in before or None in after or len(before) > len(after):
        return False
    scale = (before[1:] or [0]) == (after[1:] or [0])
    return after[0] >= before[0] and scale


def _is(dtype: exp.DataType, name: str) -> bool:
    kind = dtype.args.get("kind")
    return dtype.this == T.USERDEFINED and column_name(kind).lower() == name


def _plain_using(action: exp.AlterColumn, column: str) -> bool:
    """No USING, or one that only casts the column itself."""
    using = action.args.get("using")
    if isinstance(using, exp.Cast):
        using = using.this
    return not using or (isinstance(using, exp.Column) and column_name(using) == column)


def _old_type(context: Context, table: str, column: str) -> exp.DataType | None:
    """The column's type as earlier statements (of this file or of earlier migrations of
    the set) declared it, if they did."""
    return context.column_types.get(table, {}).get(column)


RULE = Rule(
    id="column-type-change",
    summary="ALTER COLUMN ... TYPE that rewrites the table",
    check=check,
    dialects=POSTGRES,
    help="add a column of the new type, backfill it in batches, switch reads and writes to it, "
    "then drop the old one",
    squawk=("changing-column-type",),
    kinds=(exp.Alter,),
)
