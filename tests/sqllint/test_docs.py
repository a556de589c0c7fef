"""docs/lint.md stays in step with the rules: every rule is in its table, with its severity."""

from __future__ import annotations

import re
from pathlib import Path

from aether_data.sqllint import ENGINE_RULES, all_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "lint.md"


def test_every_rule_is_documented_with_its_severity() -> None:
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning|info) \|", DOC.read_text(), re.M))
    rules = all_rules() | ENGINE_RULES
    assert set(rows) == set(rules)
    assert {rule_id: str(rule.severity) for rule_id, rule in rules.items()} == rows
