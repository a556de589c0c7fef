"""SQL migration linter over sqlglot trees, with suppressions, migration sets and a dry run.

from aether_data.sqllint import LintConfig, lint_files
report = lint_files([("migrations/0001_init.sql", sql)], LintConfig(dialect="postgres"))

The names below load on first use: the settings (``config``) and findings do not need the
SQL parser, so a program that only reads settings never imports sqlglot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import CONFIG_PATH, LintConfig, parse_lint_config
    from .engine import ENGINE_RULES, FileLint, LintReport, lint_files, lint_text, rules_for
    from .findings import Finding, Severity
    from .rules import Rule, all_rules

__all__ = [
    "CONFIG_PATH",
    "ENGINE_RULES",
    "FileLint",
    "Finding",
    "LintConfig",
    "LintReport",
    "Rule",
    "Severity",
    "all_rules",
    "lint_files",
    "lint_text",
    "parse_lint_config",
    "rules_for",
]

_HOMES = {
    "CONFIG_PATH": ".config",
    "LintConfig": ".config",
    "parse_lint_config": ".config",
    "ENGINE_RULES": ".engine",
    "FileLint": ".engine",
    "LintReport": ".engine",
    "lint_files": ".engine",
    "lint_text": ".engine",
    "rules_for": ".engine",
    "Finding": ".findings",
    "Severity": ".findings",
    "Rule": ".rules",
    "all_rules": ".rules",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # found once; later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
