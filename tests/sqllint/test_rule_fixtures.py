"""Every rule against its own SQL fixtures: ``fixtures/<rule>/flag*.sql`` must give exactly
the findings their ``-- expect: LINE:COLUMN`` comments list, ``ok*.sql`` none of that rule.

A fixture may start with ``-- config: dialect=mysql assume_in_transaction=true
postgres_version=11`` to lint under other settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aether_data.sqllint import ENGINE_RULES, LintConfig, all_rules, lint_text

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"--\s*expect:\s*(\d+):(\d+)")
_CONFIG = re.compile(r"--\s*config:(.*)")


def _config(text: str) -> LintConfig:
    match = _CONFIG.search(text)
    options: dict[str, object] = {}
    for pair in match.group(1).split() if match else []:
        name, value = pair.split("=", 1)
        options[name] = {"true": True, "false": False}.get(value, value)
    if "postgres_version" in options:
        options["postgres_version"] = int(str(options["postgres_version"]))
    return LintConfig(**options)  # type: ignore[arg-type]


def _cases() -> list[tuple[str, Path]]:
    return [
        (rule, path) for rule in all_rules() for path in sorted((FIXTURES / rule).glob("*.sql"))
    ]


def test_every_rule_has_fixtures_that_flag_and_that_do_not() -> None:
    for rule in all_rules():
        folder = FIXTURES / rule
        assert list(folder.glob("flag*.sql")), f"{rule}: no flag*.sql fixture in {folder}"
        assert list(folder.glob("ok*.sql")), f"{rule}: no ok*.sql fixture in {folder}"


def test_fixture_folders_name_rules() -> None:
    known = set(all_rules()) | set(ENGINE_RULES)
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} <= known


@pytest.mark.parametrize(("rule", "path"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_fixture(rule: str, path: Path) -> None:
    text = path.read_text()
    config = _config(text)
    found = sorted(
        (f.line, f.column) for f in lint_text(text, path.name, config).findings if f.rule == rule
    )
    expected = sorted((int(line), int(col)) for line, col in _EXPECT.findall(text))
    if path.name.startswith("ok"):
        assert not expected, f"{path.name}: an ok fixture expects nothing"
    assert found == expected, f"{path.name}: {rule} found at {found}, expected at {expected}"
