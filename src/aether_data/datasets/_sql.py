"""Small SQL helpers shared by the dataset modules."""

from __future__ import annotations

from typing import Any

__all__ = ["Column", "describe", "one", "quote", "run", "scalar"]

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a dataset: its name and DuckDB type (``BIGINT``, ``VARCHAR``, ...)."""

    name: str
    type: str


def quote(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def describe(con: Any, view: str) -> tuple[Column, ...]:
    """The columns of ``view``, in order."""
    rows = con.execute(f"DESCRIBE {quote(view)}").fetchall()
    return tuple(Column(row[0], row[1]) for row in rows)


def run(con: Any, statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run a statement to its end (DuckDB holds the connection until a result is read
    through) and return its rows."""
    return con.execute(statement, params or []).fetchall()


def one(con: Any, query: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    """The first row of ``query``."""
    return run(con, query, params)[0]


def scalar(con: Any, query: str, params: list[Any] | None = None) -> Any:
    """The first value of the first row of ``query``."""
    return one(con, query, params)[0]
