"""Helpers shared by the ALTER TABLE and column-type rules: the actions of an ALTER TABLE,
and the columns a statement defines or retypes with their types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from sqlglot import exp

from ._base import Context, column_name, is_create_table, table_name

__all__ = [
    "TypedColumn",
    "alter_table",
    "defined_columns",
    "element_type",
    "existing_alter",
    "qualified",
    "type_name",
]


class TypedColumn(NamedTuple):
    """A column a statement defines (CREATE TABLE, ADD COLUMN) or retypes (ALTER COLUMN
    TYPE): its table and name, the node to report at, and the type it gets."""

    table: str
    column: str
    node: exp.Expression
    dtype: exp.DataType


def alter_table(node: exp.Expression | None) -> exp.Alter | None:
    """``node`` when it is an ALTER TABLE (not an ALTER VIEW, INDEX, ...), else None."""
    if isinstance(node, exp.Alter) and str(node.args.get("kind") or "").upper() == "TABLE":
        return node
    return None


def existing_alter(node: exp.Expression | None, context: Context) -> tuple[exp.Alter, str] | None:
    """An ALTER TABLE and its table's name, unless the table is new in this file (no rows,
    no readers: the compatibility rules leave it alone)."""
    alter = alter_table(node)
    if alter is None:
        return None
    table = table_name(alter.this)
    return None if context.is_new_table(table) else (alter, table)


def defined_columns(node: exp.Expression | None) -> Iterator[TypedColumn]:
    """The columns ``node`` defines or retypes with a type (not casts in queries)."""
    if is_create_table(node) and isinstance(node.this, exp.Schema):
        table = table_name(node.this.this)
        yield from _typed(table, node.this.expressions)
    alter = alter_table(node)
    if alter is not None:
        yield from _typed(table_name(alter.this), alter.args.get("actions") or [])


def _typed(table: str, items: list[exp.Expression]) -> Iterator[TypedColumn]:
    for item in items:
        if isinstance(item, exp.ColumnDef):
            dtype = item.args.get("kind")
        elif isinstance(item, exp.AlterColumn):
            dtype = item.args.get("dtype")
        else:
            continue
        if isinstance(dtype, exp.DataType):
            yield TypedColumn(table, column_name(item.this), item, dtype)


def type_name(dtype: exp.DataType) -> str:
    """The type's name, lower-case: sqlglot's name for the types it knows (``int4`` is
    ``int``), else the name written (``serial8``); "" for a type of another schema than
    ``pg_catalog``."""
    kind = dtype.args.get("kind")
    if dtype.this != exp.DataType.Type.USERDEFINED:
        return str(getattr(dtype.this, "value", dtype.this)).lower()
    if isinstance(kind, exp.Dot):
        return kind.name.lower() if kind.this.name.lower() == "pg_catalog" else ""
    return kind.name.lower() if isinstance(kind, exp.Expression) else str(kind or "").lower()


def element_type(dtype: exp.DataType) -> exp.DataType:
    """The type of an array's elements (of its innermost array); the type itself if it is
    not an array."""
    while dtype.this == exp.DataType.Type.ARRAY and dtype.expressions:
        inner = dtype.expressions[0]
        if not isinstance(inner, exp.DataType):
            break
        dtype = inner
    return dtype


def qualified(table: str, column: str) -> str:
    """``table.column`` for messages (``column`` alone when the table is unknown)."""
    return f"{table}.{column}" if table else column
