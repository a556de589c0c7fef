"""PostgreSQL silently truncates identifiers to 63 bytes: two long names can become one, and
the name in the database is not the one in the code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ._base import POSTGRES, Context, Hit, Rule, Statement

__all__ = ["RULE", "check"]

_LIMIT = 63  # NAMEDATALEN - 1
# A name of more than 63 bytes holds more than 63 ASCII characters, or 16 of any kind (4
# bytes at most each): statements with no run that long need no walk of their tree.
_ASCII_RUN = re.compile(r'"[^"]{64,}"|[^\s,;()"]{64,}')
_ANY_RUN = re.compile(r'"[^"]{16,}"|[^\s,;()"]{16,}')


def _may_hold_long_name(sql: str) -> bool:
    return bool((_ASCII_RUN if sql.isascii() else _ANY_RUN).search(sql))


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    node = statement.node
    if node is None or not _may_hold_long_name(statement.sql):
        return
    for ident in node.find_all(exp.Identifier):
        raw = str(ident.this or "").encode()
        if len(raw) > _LIMIT:
            kept = raw[:_LIMIT].decode(errors="ignore")
            yield Hit(
                f"identifier {ident.this} is {len(raw)} bytes; PostgreSQL truncates it to {kept}",
                ident,
            )


RULE = Rule(
    id="identifier-too-long",
    summary="an identifier longer than 63 bytes",
    check=check,
    dialects=POSTGRES,
    help="use a name of at most 63 bytes in UTF-8",
    squawk=("identifier-too-long",),
)
