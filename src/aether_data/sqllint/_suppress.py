"""Suppression comments.

    DROP TABLE old_orders;  -- aether-lint: ignore=drop-table
    -- aether-lint: ignore=drop-column,rename-column      (the next statement)
    -- aether-lint: ignore-file=prefer-text               (the whole file)

A comment on the line a statement ends on applies to that statement; any other applies to
the next statement after it. Suppressions that silence nothing are reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .rules import Statement

__all__ = ["Suppression", "find_suppressions"]

_COMMENT = re.compile(
    r"(?:--|/\*)[ \t]*aether-lint:[ \t]*(ignore-file|ignore)[ \t]*=[ \t]*"
    r"([A-Za-z0-9_\-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_\-]+)*)"
)


@dataclass(slots=True)
class Suppression:
    """One rule named by one comment: for ``statement`` (None: the whole file)."""

    rule: str
    offset: int
    statement: int | None
    used: bool = field(default=False)

    def covers(self, rule: str, statement: int | None) -> bool:
        return self.rule == rule and (self.statement is None or self.statement == statement)


def find_suppressions(text: str, statements: Sequence[Statement]) -> list[Suppression]:
    """The suppressions of ``text``, each bound to its statement."""
    found = []
    for match in _COMMENT.finditer(text):
        whole_file = match.group(1) == "ignore-file"
        target = None if whole_file else _statement_for(text, match.start(), statements)
        if not whole_file and target is None:
            target = -1  # after the last statement: silences nothing, so it is reported
        for rule in match.group(2).split(","):
            found.append(Suppression(rule.strip(), match.start(), target))
    return found


def _statement_for(text: str, offset: int, statements: Sequence[Statement]) -> int | None:
    line_start = text.rfind("\n", 0, offset) + 1
    for statement in statements:
        if statement.end <= offset and statement.end >= line_start:
            last = statement  # ends earlier on the comment's own line
            return _last_on_line(statements, last, line_start, offset)
        if statement.end > offset:
            return statement.index
    return None


def _last_on_line(statements, first, line_start: int, offset: int) -> int:
    chosen = first
    for statement in statements[first.index + 1 :]:
        if line_start <= statement.end <= offset:
            chosen = statement
        else:
            break
    return chosen.index
