"""Lint settings: the dialect, PostgreSQL's version, which rules run and how severe they are.
Read from the ``[lint]`` table of ``aether.toml`` at the root of a tree:

    [lint]
    dialect = "postgres"              # postgres (default), duckdb, mysql, sqlite
    postgres_version = 16
    assume_in_transaction = false     # true when the migration tool wraps each file in one
    migrations = "migrations"         # the folder of the migration set
    disable = ["prefer-text"]
    enable = ["prefer-identity"]      # rules that are off by default
    severity = { missing-timeout = "error" }

    [lint.tables]                     # dry run: table name -> dataset file of the tree
    orders = "data/orders.parquet"
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether_data.errors import Invalid

from .findings import Severity

__all__ = ["ALL_DIALECTS", "CONFIG_PATH", "POSTGRES", "LintConfig", "parse_lint_config"]

CONFIG_PATH = "aether.toml"
# The dialects the linter knows (settings name one; each rule says which it applies to). Kept
# here, not beside the rules, so reading settings does not load the SQL parser.
ALL_DIALECTS = frozenset({"postgres", "duckdb", "mysql", "sqlite"})
POSTGRES = frozenset({"postgres"})


@dataclass(frozen=True, slots=True)
class LintConfig:
    """How to lint. ``enable``/``disable`` name rules; ``severity`` overrides defaults."""

    dialect: str = "postgres"
    postgres_version: int = 16
    assume_in_transaction: bool = False
    migrations: str = "migrations"
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dialect not in ALL_DIALECTS:
            known = ", ".join(sorted(ALL_DIALECTS))
            raise Invalid(f"unknown SQL dialect {self.dialect!r}; dialects: {known}")
        if not 9 <= self.postgres_version <= 30:
            raise Invalid(f"postgres_version {self.postgres_version} is not a PostgreSQL release")

    def replace(self, **changes: Any) -> LintConfig:
        """A copy with ``changes`` (None values are left out)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_lint_config(text: str | bytes, *, where: str = CONFIG_PATH) -> LintConfig:
    """The ``[lint]`` table of an ``aether.toml`` (defaults when it has none).

    Raises:
        Invalid: the file is not TOML, or the table holds an unknown key or a bad value.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        table = tomllib.loads(text).get("lint", {})
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"{where} is not valid TOML: {exc}") from exc
    if not isinstance(table, dict):
        raise Invalid(f"{where}: [lint] is a table")
    return _from_table(table, where)


_KEYS = {
    "dialect",
    "postgres_version",
    "assume_in_transaction",
    "migrations",
    "enable",
    "disable",
    "severity",
    "tables",
}


def _from_table(table: dict[str, Any], where: str) -> LintConfig:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise Invalid(
            f"{where}: unknown [lint] key {unknown[0]!r} (keys: {', '.join(sorted(_KEYS))})"
        )
    try:
        return LintConfig(
            dialect=str(table.get("dialect", "postgres")).lower(),
            postgres_version=int(table.get("postgres_version", 16)),
            assume_in_transaction=bool(table.get("assume_in_transaction", False)),
            migrations=str(table.get("migrations", "migrations")).strip("/"),
            enable=frozenset(_names(table.get("enable", []), "enable", where)),
            disable=frozenset(_names(table.get("disable", []), "disable", where)),
            severity={
                rule: Severity.parse(str(level))
                for rule, level in _mapping(table.get("severity", {}), "severity", where).items()
            },
            tables={
                name: str(path)
                for name, path in _mapping(table.get("tables", {}), "tables", where).items()
            },
        )
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{where}: [lint]: {exc}") from exc


def _names(value: Any, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{where}: [lint] {key} is a list of rule names")
    return value


def _mapping(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{where}: [lint] {key} is a table")
    return value
