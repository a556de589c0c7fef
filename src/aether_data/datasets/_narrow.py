"""Narrowing a keyed diff to the rows that may differ, by hashing rows instead of joining them.

Joining every row of two large versions builds a hash table that holds all of before's
values, and that table is most of the cost. Most rows of a new version are unchanged, so
this joins small rows instead:

1. before's keys and a 64-bit hash of each row's compared values (``a_hashes``);
2. after, joined to that on the key: its rows that are new or hash otherwise, and before's
   keys that are gone or hash otherwise (``b_narrow``);
3. before's rows of those keys (``a_narrow``).

Views ``a`` and ``b`` then hold only those rows, and the exact, value by value comparison
runs on them: the result is what comparing every row gives, unless two different rows hash
alike (about 1 in 2**64 for each changed row). When more than a share of the rows are
candidates (against twice before's rows: after's are not counted, which for a CSV file would
mean reading it once more), narrowing saves nothing, and the views are left as they were.
"""

from __future__ import annotations

from typing import Any

from ._sql import quote, run, scalar

__all__ = ["MAX_SHARE", "Hashed", "narrow"]

MAX_SHARE = 0.25  # candidates past this share of the rows: compare every row instead
_KEY = "__aether_key_{}"  # before's key columns, as b_narrow carries them


Hashed = list[tuple[str, str | None]]  # a side's compared columns, each with a type to cast to


def narrow(con: Any, key_types: dict[str, str], hashed: tuple[Hashed, Hashed]) -> bool:
    """Narrow views ``a`` and ``b`` to the rows that may differ: True if they were.

    ``key_types``: the key columns and the type they are joined in; ``hashed``: for each
    side, its compared columns in the same order, with the common type to cast each to
    (None: it has that type already)."""
    keys = _Keys(key_types)
    rows = _hash_before(con, keys, hashed[0])
    if _narrow_after(con, keys, hashed[1]) > MAX_SHARE * 2 * rows:
        run(con, "DROP TABLE b_narrow")
        return False
    _narrow_before(con, keys)
    run(
        con,
        f"CREATE OR REPLACE VIEW b AS SELECT * EXCLUDE ({keys.carried()}) FROM b_narrow b "
        f"WHERE {keys.present('b')}",
    )
    return True


class _Keys:
    """SQL pieces for the key columns of the two views, and before's as carried along."""

    def __init__(self, key_types: dict[str, str]) -> None:
        self.types = key_types

    def present(self, view: str) -> str:
        return " AND ".join(f"{view}.{quote(k)} IS NOT NULL" for k in self.types)

    def cast(self, view: str) -> list[str]:
        return [f"CAST({view}.{quote(k)} AS {t})" for k, t in self.types.items()]

    def carried(self, view: str = "") -> str:
        prefix = f"{view}." if view else ""
        return ", ".join(f"{prefix}{quote(_KEY.format(i))}" for i in range(len(self.types)))

    def on(self, view: str, carrier: str) -> str:
        pairs = enumerate(self.cast(view))
        return " AND ".join(f"{c} = {carrier}.{quote(_KEY.format(i))}" for i, c in pairs)


def _hash_before(con: Any, keys: _Keys, hashed: Hashed) -> int:
    """Table ``a_hashes``: before's keys and row hashes; returns how many rows it has."""
    carried = ", ".join(f"{c} AS {quote(_KEY.format(i))}" for i, c in enumerate(keys.cast("a")))
    run(
        con,
        f"CREATE TEMP TABLE a_hashes AS SELECT {carried}, {_hash(hashed, 'a')} AS __h "
        f"FROM a WHERE {keys.present('a')}",
    )
    return scalar(con, "SELECT count(*) FROM a_hashes")


def _narrow_after(con: Any, keys: _Keys, hashed: Hashed) -> int:
    """Table ``b_narrow``: after's rows that are new or hash otherwise, each with before's
    key if it has one, and before's keys that are gone; returns how many rows it has."""
    first = quote(next(iter(keys.types)))
    run(
        con,
        f"""CREATE TEMP TABLE b_narrow AS SELECT b.*, {keys.carried("h")}
        FROM (SELECT * FROM b WHERE {keys.present("b")}) b
        FULL OUTER JOIN a_hashes h ON {keys.on("b", "h")}
        WHERE b.{first} IS NULL OR h.__h IS NULL OR h.__h <> {_hash(hashed, "b")}""",
    )
    run(con, "DROP TABLE a_hashes")
    return scalar(con, "SELECT count(*) FROM b_narrow")


def _narrow_before(con: Any, keys: _Keys) -> None:
    """View ``a`` over before's rows of the keys ``b_narrow`` carries."""
    run(
        con,
        f"CREATE TEMP TABLE a_narrow AS SELECT a.* FROM (SELECT * FROM a WHERE "
        f"{keys.present('a')}) a SEMI JOIN (SELECT {keys.carried()} FROM b_narrow "
        f"WHERE {quote(_KEY.format(0))} IS NOT NULL) k ON {keys.on('a', 'k')}",
    )
    run(con, "CREATE OR REPLACE VIEW a AS SELECT * FROM a_narrow")


def _hash(columns: Hashed, view: str) -> str:
    """SQL of a row's hash over ``columns`` of ``view``; a constant when there are none."""
    if not columns:
        return "0::UBIGINT"
    values = [
        f"{view}.{quote(name)}" if cast is None else f"CAST({view}.{quote(name)} AS {cast})"
        for name, cast in columns
    ]
    return f"hash({', '.join(values)})"
