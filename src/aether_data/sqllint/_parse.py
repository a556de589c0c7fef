"""Splitting a file into statements and parsing each with sqlglot, keeping positions.

The file is tokenized once; statements are the token runs between semicolons, each parsed
on its own so one bad statement does not hide the others.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Sequence
from typing import Any

from sqlglot import ErrorLevel, TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from .rules import Statement

__all__ = ["Lines", "parse_statements"]

# sqlglot logs a warning for each statement it keeps as raw text; the linter reports those
# itself (unanalysed-statement).
logging.getLogger("sqlglot").setLevel(logging.ERROR)
_NEWLINE = re.compile("\n")


class Lines:
    """Offsets to 1-based (line, column) in one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column of the character at ``offset``."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """The offset of 1-based ``line`` and ``column`` (clamped to the text)."""
        line = min(max(line, 1), len(self._starts))
        return self._starts[line - 1] + max(column, 1) - 1


def parse_statements(text: str, dialect: str, lines: Lines | None = None) -> list[Statement]:
    """The statements of ``text``, parsed as ``dialect``. A text that cannot even be
    tokenized (an unterminated string or comment) is one unparsed statement."""
    lang = Dialect.get_or_raise(dialect)
    try:
        tokens = lang.tokenize(text)
    except TokenError as exc:
        return [Statement(0, text, 0, len(text), None, error=str(exc), error_offset=0)]
    parser = lang.parser(error_level=ErrorLevel.RAISE)
    lines = lines or Lines(text)
    return [_parse_one(parser, text, index, run, lines) for index, run in enumerate(_split(tokens))]


def _split(tokens: Sequence[Any]) -> list[list[Any]]:
    runs: list[list[Any]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            runs.append([])
        else:
            runs[-1].append(token)
    return [run for run in runs if run]


def _parse_one(parser: Any, text: str, index: int, run: list[Any], lines: Lines) -> Statement:
    start, end = run[0].start, run[-1].end + 1
    sql = text[start:end]
    try:
        nodes = [n for n in parser.parse(run, text) if n is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = _token_start(run, first.get("line"), first.get("col"), lines) or start
        message = first.get("description") or str(exc).splitlines()[0]
        return Statement(index, sql, start, end, None, error=message, error_offset=where)
    if len(nodes) != 1:
        return Statement(
            index, sql, start, end, None, error="not one statement", error_offset=start
        )
    return Statement(index=index, sql=sql, start=start, end=end, node=nodes[0])


def _token_start(run: list[Any], line: int | None, col: int | None, lines: Lines) -> int | None:
    """Where the token sqlglot's error points at starts (its line and column are the
    token's last character)."""
    if not line:
        return None
    for token in run:
        if token.line == line and token.col == col:
            return token.start
    return lines.offset(line, col or 1)
