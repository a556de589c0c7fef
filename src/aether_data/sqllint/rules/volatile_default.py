"""ADD COLUMN with a volatile DEFAULT (random(), clock_timestamp(), gen_random_uuid(),
nextval(), a serial, identity or stored generated column) rewrites the whole table and its
indexes under an ACCESS EXCLUSIVE lock: no reads nor writes for as long as that takes.
Before PostgreSQL 11 any non-NULL default does; since 11 a stable or immutable one (now(),
a literal) is stored once in the catalog and the ADD COLUMN is instant."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement, column_name, table_name
from ._locks import added_columns, altered_table, column_constraint

__all__ = ["RULE", "check"]

# Functions PostgreSQL marks stable or immutable, as sqlglot parses them.
_STABLE = (
    exp.Cast,
    exp.CurrentTimestamp,  # now(), current_timestamp: the transaction's start
    exp.CurrentDate,
    exp.CurrentTime,
    exp.Localtime,
    exp.Localtimestamp,
    exp.CurrentUser,
    exp.SessionUser,
    exp.CurrentSchema,
    exp.Array,
    exp.Coalesce,
    exp.Concat,
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.Abs,
    exp.Round,
    exp.Greatest,
    exp.Least,
    exp.Pi,
    exp.MakeInterval,
    exp.TimestampTrunc,
    exp.Extract,
)
_STABLE_NAMES = {
    "statement_timestamp",
    "transaction_timestamp",
    "current_setting",
    "to_jsonb",
    "to_json",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
}
_SERIAL = {exp.DataType.Type.SERIAL, exp.DataType.Type.BIGSERIAL, exp.DataType.Type.SMALLSERIAL}


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    table = altered_table(statement.node)
    if table is None or context.is_new_table(table_name(table)):
        return
    for column in added_columns(statement.node):
        found = _rewriting(column, context.postgres_version)
        if found is not None:
            what, node = found
            yield Hit(
                f"adding column {column_name(column.this)} to {table_name(table)} with "
                f"{what} rewrites the table under an ACCESS EXCLUSIVE lock",
                node,
            )


def _rewriting(column: exp.ColumnDef, version: int) -> tuple[str, exp.Expression] | None:
    kind = column.args.get("kind")
    if isinstance(kind, exp.DataType) and kind.this in _SERIAL:
        return f"a {kind.sql(dialect='postgres').lower()} type (a nextval() default)", column
    identity = column_constraint(column, exp.GeneratedAsIdentityColumnConstraint)
    if identity is not None and identity.args["kind"].args.get("expression") is None:
        return "an identity (a nextval() default)", column  # with an expression: VIRTUAL
    if column_constraint(column, exp.ComputedColumnConstraint) is not None:
        return "a stored generated value", column
    constraint = column_constraint(column, exp.DefaultColumnConstraint)
    default = constraint.args["kind"].this if constraint is not None else None
    if default is None or isinstance(default, exp.Null):
        return None
    if version < 11:
        return f"a DEFAULT (any default, before PostgreSQL 11): {default.sql('postgres')}", default
    volatile = _volatile(default)
    if volatile is not None:
        return f"the volatile DEFAULT {volatile.sql(dialect='postgres')}", volatile
    return None


def _volatile(default: exp.Expression) -> exp.Expression | None:
    """The first function of ``default`` not known to be stable or immutable."""
    for node in default.walk():
        if not isinstance(node, exp.Func) or isinstance(node, _STABLE):
            continue
        if isinstance(node, exp.Anonymous) and node.name.lower() in _STABLE_NAMES:
            continue
        return node
    return None


RULE = Rule(
    id="volatile-default",
    summary="ADD COLUMN with a default that rewrites the table",
    check=check,
    dialects=POSTGRES,
    help="add the column without a default (or a constant one), then backfill it in batches "
    "and SET DEFAULT for new rows",
    squawk=("adding-field-with-default",),
    kinds=(exp.Alter,),
)
