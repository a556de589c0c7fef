"""Helpers shared by the locking rules: the parts of an ALTER TABLE, transactions as
PostgreSQL sees them, what earlier statements of the file created, and which statements
wait for a strong lock.

All are pure functions of sqlglot trees and of ``Context.statements``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ._base import (
    Context,
    Statement,
    column_name,
    creates_new_table,
    is_begin,
    is_end,
    table_name,
)

__all__ = [
    "added_columns",
    "added_constraints",
    "altered_table",
    "column_constraint",
    "command_table",
    "command_text",
    "created_indexes",
    "created_table_schema",
    "first_lock",
    "fold",
    "in_transaction",
    "index_name",
    "is_begin",
    "is_end",
    "lock_timeout_set",
    "record_created",
    "strong_lock",
    "transaction_open",
]


def altered_table(node: exp.Expression | None) -> exp.Table | None:
    """The table of an ``ALTER TABLE`` sqlglot parsed (not a Command), else None."""
    if isinstance(node, exp.Alter) and str(node.args.get("kind") or "").upper() == "TABLE":
        target = node.this
        return target if isinstance(target, exp.Table) else None
    return None


def added_columns(node: exp.Expression) -> list[exp.ColumnDef]:
    """The ``ADD COLUMN`` actions of an ALTER TABLE."""
    return [a for a in node.args.get("actions") or [] if isinstance(a, exp.ColumnDef)]


def column_constraint(column: exp.ColumnDef, *kinds: type) -> exp.ColumnConstraint | None:
    """The first constraint of ``column`` whose kind is one of ``kinds``."""
    for constraint in column.args.get("constraints") or []:
        if isinstance(constraint, exp.ColumnConstraint) and isinstance(
            constraint.args.get("kind"), kinds
        ):
            return constraint
    return None


def added_constraints(node: exp.Expression) -> Iterator[tuple[exp.Expression, exp.Expression]]:
    """``(where, kind)`` for each ``ADD [CONSTRAINT name] ...`` of an ALTER TABLE: ``where``
    is the named Constraint (or the bare constraint), ``kind`` the ForeignKey,
    CheckColumnConstraint, UniqueColumnConstraint, PrimaryKey, ..."""
    for action in node.args.get("actions") or []:
        if not isinstance(action, exp.AddConstraint):
            continue
        for item in action.expressions:
            if isinstance(item, exp.Constraint):
                for kind in item.expressions:
                    yield item, kind
            else:
                yield item, item


def command_text(node: exp.Expression | None) -> str:
    """The text of a statement sqlglot kept as a Command (``ALTER TABLE t VALIDATE ...``),
    upper-cased keyword first; "" for anything else."""
    if not isinstance(node, exp.Command):
        return ""
    rest = node.args.get("expression")
    rest = rest.name if isinstance(rest, exp.Expression) else str(rest or "")
    return f"{node.name} {rest.strip()}".strip()


_COMMAND_TABLE = re.compile(
    r"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?((?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))*)",
    re.IGNORECASE,
)


def fold(raw: str) -> str:
    """An identifier as written (``"Name"`` or ``name``) folded as ``column_name`` folds."""
    if len(raw) > 1 and raw.startswith('"') and raw.endswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.lower()


def command_table(text: str) -> str | None:
    """The table of an ``ALTER TABLE`` kept as a Command, in ``table_name`` form."""
    match = _COMMAND_TABLE.match(text)
    if not match:
        return None
    try:
        return table_name(exp.to_table(match.group(1), dialect="postgres"))
    except SqlglotError:  # a name sqlglot cannot read: an unknown table
        return None


# Transactions, as PostgreSQL runs them: BEGIN inside a transaction is ignored (a warning),
# COMMIT ends it whatever the nesting, ROLLBACK TO SAVEPOINT and COMMIT AND CHAIN do not.


def transaction_open(statements: Sequence[Statement], index: int) -> bool:
    """Whether a BEGIN of this file is open before statement ``index``: the last BEGIN or
    end before it is a BEGIN."""
    for statement in reversed(statements[:index]):
        if is_begin(statement.node):
            return True
        if is_end(statement.node):
            return False
    return False


def in_transaction(context: Context) -> bool:
    """``context.in_transaction``, counting START TRANSACTION and savepoints right."""
    return context.assume_in_transaction or transaction_open(context.statements, context.index)


# What earlier statements of the file did.


def _created_table(node: exp.Expression | None) -> str | None:
    if not creates_new_table(node):
        return None
    target = node.this if isinstance(node.this, exp.Table) else node.this.find(exp.Table)
    return table_name(target)


def created_table_schema(node: exp.Expression | None, table: str) -> exp.Schema | None:
    """The column list of a CREATE TABLE ``table`` (None for anything else)."""
    if _created_table(node) == table and isinstance(node.this, exp.Schema):
        return node.this
    return None


def _created_view(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.Create) and str(node.args.get("kind") or "").upper() == "VIEW":
        return table_name(node.this) or None
    return None


def index_name(node: exp.Expression | None) -> str:
    """The name (last part, folded) of the index a CREATE INDEX creates, "" if unnamed."""
    if isinstance(node, exp.Create) and isinstance(node.this, exp.Index):
        name = node.this.this
        return column_name(name) if name is not None else ""
    return ""


def created_indexes(statements: Sequence[Statement], index: int) -> dict[str, str]:
    """The indexes created by the statements before ``index``: name (last part, folded) to
    the table they are on."""
    found = {}
    for statement in statements[:index]:
        name, node = index_name(statement.node), statement.node
        if name:
            found[name] = table_name(node.this.args.get("table"))
    return found


def record_created(node: exp.Expression | None, tables: set[str], indexes: set[str]) -> None:
    """Add what ``node`` creates to ``tables`` (tables and views) and ``indexes`` (those on
    the new tables), as a pass over the file goes."""
    name = _created_table(node) or _created_view(node)
    if name:
        tables.add(name)
    if index_name(node) and table_name(node.this.args.get("table")) in tables:
        indexes.add(index_name(node))


Lock = tuple[str, exp.Expression | None]
_FIRST: dict[int, tuple[Sequence[Statement], int, Lock | None]] = {}


def first_lock(statements: Sequence[Statement]) -> tuple[int, Lock | None]:
    """The index of the first statement that waits for a strong lock on something the
    statements before it did not create, and ``strong_lock``'s answer for it. Kept for the
    last few files (a pure function: the same tuple gives the same answer)."""
    cached = _FIRST.get(id(statements))
    if cached is not None and cached[0] is statements:
        return cached[1], cached[2]
    tables: set[str] = set()
    indexes: set[str] = set()
    where, found = -1, None
    for index, statement in enumerate(statements):
        found = strong_lock(statement.node, tables, indexes)
        if found is not None:
            where = index
            break
        record_created(statement.node, tables, indexes)
    if isinstance(statements, tuple):
        if len(_FIRST) > 8:
            _FIRST.clear()
        _FIRST[id(statements)] = (statements, where, found)
    return where, found


def _set_config(node: exp.Expression | None) -> set[str]:
    """Settings a ``SELECT set_config('name', ...)`` sets."""
    names = set()
    for call in node.find_all(exp.Anonymous) if isinstance(node, exp.Select) else []:
        args = call.expressions
        if call.name.lower() == "set_config" and args and isinstance(args[0], exp.Literal):
            names.add(args[0].name.lower())
    return names


def lock_timeout_set(context: Context) -> bool:
    """Whether ``lock_timeout`` was set earlier in the file (SET or set_config)."""
    if "lock_timeout" in context.settings:
        return True
    earlier = context.statements[: context.index]
    return any("lock_timeout" in _set_config(s.node) for s in earlier)


# Statements that wait for a strong lock on an existing table.

_COMMANDS = re.compile(r"^(ALTER|LOCK|REINDEX|REFRESH|VACUUM\s+(\(\s*)?FULL|CLUSTER)\b", re.I)


def strong_lock(
    node: exp.Expression | None, new_tables: AbstractSet[str], new_indexes: AbstractSet[str]
) -> tuple[str, exp.Expression | None] | None:
    """``(what, node)`` when the statement waits for a strong lock on a table that is not
    in ``new_tables`` (an index not in ``new_indexes``, those on new tables): ALTER, CREATE
    INDEX without CONCURRENTLY, CREATE TRIGGER, a foreign key to an existing table, DROP
    TABLE/SCHEMA/VIEW/INDEX/TRIGGER, TRUNCATE, LOCK, REINDEX..."""
    if isinstance(node, exp.Alter):
        return _alter_lock(node, new_tables)
    if isinstance(node, exp.Create):
        return _create_lock(node, new_tables)
    if isinstance(node, exp.Drop):
        return _drop_lock(node, new_tables, new_indexes)
    if isinstance(node, exp.TruncateTable):
        old = [t for t in node.expressions if table_name(t) not in new_tables]
        return ("TRUNCATE " + old[0].sql(dialect="postgres"), old[0]) if old else None
    return _command_lock(command_text(node), new_tables)


def _alter_lock(node: exp.Alter, new: AbstractSet[str]) -> tuple[str, exp.Expression] | None:
    target = node.this
    if not isinstance(target, exp.Table):
        return None
    if table_name(target) in new:
        return _referenced(node, new)
    kind = str(node.args.get("kind") or "TABLE").upper()
    return f"ALTER {kind} {target.sql(dialect='postgres')}", target


def _referenced(node: exp.Expression, new: AbstractSet[str]) -> tuple[str, exp.Expression] | None:
    """A foreign key of a new table to an existing one: SHARE ROW EXCLUSIVE on that one."""
    for reference in node.find_all(exp.Reference):
        table = reference.find(exp.Table)
        if table is not None and table_name(table) not in new:
            return f"a FOREIGN KEY to {table.sql(dialect='postgres')} (locking it)", table
    return None


def _create_lock(node: exp.Create, new: AbstractSet[str]) -> tuple[str, exp.Expression] | None:
    kind = str(node.args.get("kind") or "").upper()
    if kind == "TABLE":
        return _referenced(node, new)
    if kind == "INDEX" and not node.args.get("concurrently"):
        table = node.this.args.get("table") if isinstance(node.this, exp.Index) else None
    elif kind == "TRIGGER":
        table = node.find(exp.TriggerProperties)
        table = table.args.get("table") if table else None
    else:
        return None
    if not isinstance(table, exp.Table) or table_name(table) in new:
        return None
    return f"CREATE {kind} on {table.sql(dialect='postgres')}", table


_DROPPED = {"TABLE", "SCHEMA", "VIEW"}  # a materialized view is a VIEW


def _drop_lock(
    node: exp.Drop, new: AbstractSet[str], new_indexes: AbstractSet[str]
) -> tuple[str, exp.Expression] | None:
    kind = str(node.args.get("kind") or "").upper()
    for target in node.args.get("tables") or []:
        if kind in _DROPPED and table_name(target) not in new:
            return f"DROP {kind} {target.sql(dialect='postgres')}", target
        dropped = column_name(target.this)
        if kind == "INDEX" and not node.args.get("concurrently") and dropped not in new_indexes:
            return f"DROP INDEX {target.sql(dialect='postgres')}", target
        if kind == "TRIGGER":
            on = node.args.get("cluster")
            table = on.this if isinstance(on, exp.OnProperty) else None
            if not isinstance(table, exp.Table) or table_name(table) not in new:
                return f"DROP TRIGGER {target.sql(dialect='postgres')}", target
    return None


def _command_lock(text: str, new: AbstractSet[str]) -> tuple[str, None] | None:
    if not _COMMANDS.match(text) or "CONCURRENTLY" in text.upper().split():
        return None
    if command_table(text) in new:
        return None
    return " ".join(text.split()[:3]), None
