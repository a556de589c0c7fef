"""A statement sqlglot keeps only as raw text (``exp.Command``: DO blocks, some ALTERs) is
not analysed by any rule: say so, so that nothing passes silently."""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from ..findings import Severity
from ._base import Context, Hit, Rule, Statement

__all__ = ["RULE", "check"]


def check(statement: Statement, context: Context) -> Iterator[Hit]:
    if isinstance(statement.node, exp.Command):
        keyword = str(statement.node.this).upper()
        yield Hit(f"{keyword} statement is not analysed by the linter; review it by hand")


RULE = Rule(
    id="unanalysed-statement",
    summary="a statement the linter cannot analyse",
    check=check,
    severity=Severity.WARNING,
    help="suppress with `-- aether-lint: ignore=unanalysed-statement` once reviewed",
)
