"""Lint reports for machines and people: SARIF 2.1.0 (code scanning) and plain text, from a
``LintReport`` or from its ``to_dict()`` form (what the ``LintAPI`` answers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .engine import ENGINE_RULES, LintReport
from .findings import Severity
from .rules import all_rules

__all__ = ["SARIF_SCHEMA", "sarif_log", "summary_line", "summary_of", "to_sarif", "to_text"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_ORDER = [str(s) for s in sorted(Severity, reverse=True)]


def to_sarif(report: LintReport, *, version: str = "0") -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run: rules with their help, results with
    their regions."""
    return sarif_log(report.to_dict() | {"rules": list(report.rules)}, version=version)


def sarif_log(report: Mapping[str, Any], *, version: str = "0") -> dict[str, Any]:
    """``to_sarif`` of a report in its ``to_dict()`` form (as the ``LintAPI`` answers it),
    where ``rules``, the rules that ran, may be left out."""
    findings = report["findings"]
    known = all_rules() | ENGINE_RULES
    rule_ids = sorted({f["rule"] for f in findings} | set(report.get("rules", ())))
    rules = [_sarif_rule(known[rule_id]) for rule_id in rule_ids if rule_id in known]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_sarif_result(f, index.get(f["rule"], -1)) for f in findings]
    driver = {"name": "aether-lint", "version": version, "rules": rules}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "results": results, "columnKind": "unicodeCodePoints"}
        ],
    }


def _sarif_rule(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "help": {"text": rule.help or rule.summary},
        "defaultConfiguration": {"level": _LEVELS[str(rule.severity)]},
    }


def _sarif_result(finding: Mapping[str, Any], rule_index: int) -> dict[str, Any]:
    location = {"artifactLocation": {"uri": finding["path"]}, "region": _region(finding)}
    return {
        "ruleId": finding["rule"],
        "ruleIndex": rule_index,
        "level": _LEVELS[finding["severity"]],
        "message": {"text": finding["message"]},
        "locations": [{"physicalLocation": location}],
    }


def _region(finding: Mapping[str, Any]) -> dict[str, int]:
    region = {"startLine": finding["line"], "startColumn": finding["column"]}
    if finding.get("end_line") is not None and finding.get("end_column") is not None:
        region |= {"endLine": finding["end_line"], "endColumn": finding["end_column"]}
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
    return summary_of(report.to_dict())


def summary_of(report: Mapping[str, Any]) -> str:
    """``summary_line`` of a report in its ``to_dict()`` form."""
    counts = report["counts"]
    found = ", ".join(
        f"{counts.get(s, 0)} {s}{'s' if counts.get(s, 0) != 1 else ''}" for s in _ORDER
    )
    files = len(report["files"])
    return f"{files} file{'s' if files != 1 else ''}, {report['statements']} statements: {found}"
