"""Lint reports for machines and people: SARIF 2.1.0 (code scanning) and plain text."""

from __future__ import annotations

from typing import Any

from .engine import ENGINE_RULES, LintReport
from .findings import Severity
from .rules import all_rules

__all__ = ["SARIF_SCHEMA", "summary_line", "to_sarif", "to_text"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def to_sarif(report: LintReport, *, version: str = "0") -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run: rules with their help, results with
    their regions."""
    known = all_rules() | ENGINE_RULES
    rule_ids = sorted({f.rule for f in report.findings} | set(report.rules))
    rules = [
        {
            "id": rule_id,
            "shortDescription": {"text": known[rule_id].summary},
            "help": {"text": known[rule_id].help or known[rule_id].summary},
            "defaultConfiguration": {"level": _LEVELS[known[rule_id].severity]},
        }
        for rule_id in rule_ids
        if rule_id in known
    ]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index.get(f.rule, -1),
            "level": _LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": _region(f),
                    }
                }
            ],
        }
        for f in report.findings
    ]
    driver = {
        "name": "aether-lint",
        "version": version,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "results": results, "columnKind": "unicodeCodePoints"}
        ],
    }


def _region(finding: Any) -> dict[str, int]:
    region = {"startLine": finding.line, "startColumn": finding.column}
    if finding.end_line is not None and finding.end_column is not None:
        region |= {"endLine": finding.end_line, "endColumn": finding.end_column}
    return region


def to_text(report: LintReport) -> str:
    """``path:line:column: severity [rule] message`` lines, then a one-line summary."""
    lines = [
        f"{f.path}:{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message}"
        for f in report.findings
    ]
    lines.append(summary_line(report))
    return "\n".join(lines)


def summary_line(report: LintReport) -> str:
    """How many files, statements and findings by severity."""
    counts = {s: 0 for s in Severity}
    for finding in report.findings:
        counts[finding.severity] += 1
    found = ", ".join(
        f"{n} {s}{'s' if n != 1 else ''}" for s, n in sorted(counts.items(), reverse=True)
    )
    files = len(report.files)
    return f"{files} file{'s' if files != 1 else ''}, {report.statements} statements: {found}"
