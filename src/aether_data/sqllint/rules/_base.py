"""The contract of a lint rule: a pure function from a parsed statement and its context to
hits. Rules never see the file system, the settings or each other.

A rule module defines ``RULE = Rule(id=..., summary=..., check=check, ...)`` and one
``check(statement, context)`` that yields ``Hit``s; the engine turns hits into findings
with positions, severities and suppressions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ..config import ALL_DIALECTS, POSTGRES
from ..findings import Severity

__all__ = [
    "ALL_DIALECTS",
    "POSTGRES",
    "Context",
    "Hit",
    "Rule",
    "Statement",
    "column_name",
    "creates_new_table",
    "is_begin",
    "is_create_table",
    "is_end",
    "table_name",
]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a file. ``node`` is sqlglot's tree, None when it does not parse
    (``error`` says why, at ``error_offset``)."""

    index: int
    sql: str
    start: int
    """Offset of the statement's first character in the file."""
    end: int
    """Offset just past its last character (before the ``;``)."""
    node: exp.Expression | None
    error: str | None = None
    error_offset: int | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule knows besides the statement: the dialect and what ran before it."""

    dialect: str = "postgres"
    postgres_version: int = 16
    assume_in_transaction: bool = False
    transaction_depth: int = 0
    """Transactions opened (BEGIN) and not yet closed before this statement, in this file."""
    created_tables: frozenset[str] = frozenset()
    """Tables created earlier in this file (``table_name`` form)."""
    known_tables: frozenset[str] = frozenset()
    """Tables created by the earlier files of a migration set."""
    column_types: Mapping[str, Mapping[str, exp.DataType]] = field(default_factory=dict)
    """Column types by table as the earlier statements, and the earlier files of a migration
    set, declared them (CREATE TABLE, ADD COLUMN, ALTER COLUMN ... TYPE)."""
    settings: frozenset[str] = frozenset()
    """Settings (lower-case names) in force after the earlier statements of this file, such
    as ``lock_timeout``: SET (to a value other than 0 or DEFAULT), or SET LOCAL in the
    transaction still open."""
    local_settings: frozenset[str] = frozenset()
    """Those of ``settings`` that only SET LOCAL holds: they end with the transaction."""
    statements: tuple[Statement, ...] = ()
    """The whole file, for rules that look ahead (a BEGIN without a COMMIT)."""
    index: int = 0

    @property
    def in_transaction(self) -> bool:
        """Whether this statement runs inside a transaction (an open BEGIN, or assumed, as
        migration tools that wrap each file in one do)."""
        return self.assume_in_transaction or self.transaction_depth > 0

    def is_new_table(self, name: str) -> bool:
        """Whether the table was created in this file: it holds no rows others can see, so
        locking or rewriting it is harmless."""
        return name in self.created_tables


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule found: a message and the node it is about (its position is the finding's;
    None: the statement's start)."""

    message: str
    node: exp.Expression | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule. ``check`` is None for the few the engine reports itself (unused
    suppressions, missing down migrations)."""

    id: str
    summary: str
    check: Callable[[Statement, Context], Iterable[Hit]] | None
    severity: Severity = Severity.ERROR
    dialects: frozenset[str] = ALL_DIALECTS
    help: str = ""
    """What to do instead."""
    default: bool = True
    """On unless ``[lint] disable`` names it (False: off unless ``enable`` names it)."""
    parsed_only: bool = True
    """Run only on statements that parsed (``node`` is not None)."""
    squawk: tuple[str, ...] = ()
    """squawk's rules for the same problem, for the differential test."""
    kinds: tuple[type[exp.Expression], ...] = ()
    """The statements (types of sqlglot's root node) the rule can find something in; the
    engine runs it on no other (empty: every statement)."""


def table_name(table: Any) -> str:
    """A table's name as the rules compare them: ``schema.name``, unquoted parts lower-cased
    (as PostgreSQL folds them)."""
    if not isinstance(table, exp.Table):
        return ""
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p]
    return ".".join(_fold(p) for p in parts)


def column_name(node: Any) -> str:
    """A column or identifier's name, folded as ``table_name`` folds."""
    if isinstance(node, exp.Column):
        node = node.this
    return _fold(node) if node is not None else ""


def _fold(part: Any) -> str:
    if isinstance(part, exp.Identifier):
        return part.this if part.quoted else part.this.lower()
    return str(part.name if isinstance(part, exp.Expression) else part).lower()


def is_create_table(node: exp.Expression | None) -> bool:
    """Whether ``node`` is a CREATE TABLE (not a view, index, ...)."""
    return isinstance(node, exp.Create) and str(node.args.get("kind", "")).upper() == "TABLE"


def creates_new_table(node: exp.Expression | None) -> bool:
    """Whether ``node`` makes a table that holds no rows yet: a CREATE TABLE without IF NOT
    EXISTS (with it, the table may well exist already, with rows)."""
    return is_create_table(node) and not node.args.get("exists")


def _word(node: exp.Expression | None) -> str:
    """START, ABORT, END, SAVEPOINT ...: keywords sqlglot reads as a column or an alias."""
    if isinstance(node, exp.Alias) and isinstance(node.this, exp.Column):
        return f"{node.this.name} {node.alias}".upper()
    if isinstance(node, exp.Column) and not node.table:
        return node.name.upper()
    return ""


def is_begin(node: exp.Expression | None) -> bool:
    """BEGIN, BEGIN WORK, START TRANSACTION (which sqlglot reads as ``START AS TRANSACTION``)."""
    return isinstance(node, exp.Transaction) or _word(node) == "START TRANSACTION"


def is_end(node: exp.Expression | None) -> bool:
    """COMMIT, END, ROLLBACK, ABORT: not ROLLBACK TO SAVEPOINT nor COMMIT AND CHAIN."""
    if isinstance(node, exp.Commit | exp.Rollback):
        return not node.args.get("savepoint") and not node.args.get("chain")
    return _word(node) in {"END", "ABORT"}
