"""What the linter reports: findings with a rule, a severity, a message and a position."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "Severity"]


class Severity(enum.IntEnum):
    """How bad a finding is. Findings at ``ERROR`` fail a lint (exit code 1) and the gate."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"error"``, ``"warning"`` or ``"info"`` (any case) as a severity."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            known = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}; severities: {known}") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place: ``line`` and ``column`` are 1-based, in characters."""

    rule: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    statement: int | None = None
    """Which statement of the file (0-based), when the finding belongs to one."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "statement": self.statement,
        }
