"""A statement sqlglot keeps only as raw text (``exp.Command``: DO blocks, some ALTERs) is
not analysed by any rule: say so, so that nothing passes silently."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from ..findings import Severity
from ._base import Context, Hit, Rule, Statement

__all__ = ["RULE", "check"]


# Statements sqlglot keeps as text whose whole meaning the rules know: VALIDATE CONSTRAINT
# only scans under a lock that lets reads and writes go on.
_UNDERSTOOD = re.compile(
    r"^\s*ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?[\w.\"]+\s+VALIDATE\s+CONSTRAINT\s+[\w\"]+\s*$",
    re.IGNORECASE,
)


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if isinstance(statement.node, exp.Command) and not _UNDERSTOOD.match(statement.sql):
        keyword = str(statement.node.this).upper()
        yield Hit(f"{keyword} statement is not analysed by the linter; review it by hand")


RULE = Rule(
    id="unanalysed-statement",
    summary="a statement the linter cannot analyse",
    check=check,
    severity=Severity.WARNING,
    help="suppress with `-- aether-lint: ignore=unanalysed-statement` once reviewed",
    kinds=(exp.Command,),
)
