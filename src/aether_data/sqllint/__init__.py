"""SQL migration linter over sqlglot trees, with suppressions, migration sets and a dry run.

from aether_data.sqllint import LintConfig, lint_files
report = lint_files([("migrations/0001_init.sql", sql)], LintConfig(dialect="postgres"))
"""

from __future__ import annotations

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
