"""The linter: statements through the rules, with context, suppressions and severities.

report = lint_files([("migrations/0001_init.sql", text)], LintConfig())
report.errors, report.findings, report.exit_code
"""

from __future__ import annotations

import dataclasses
from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from aether_data.errors import Invalid

from ._migrations import down_for, is_down, migration_order, uses_up_down
from ._parse import Lines, parse_statements
from ._suppress import Suppression, find_suppressions
from .config import LintConfig
from .findings import Finding, Severity
from .rules import Context, Hit, Rule, Statement, all_rules
from .rules._base import (
    column_name,
    creates_new_table,
    is_begin,
    is_create_table,
    is_end,
    table_name,
)

__all__ = [
    "ENGINE_RULES",
    "FileLint",
    "LintReport",
    "lint_files",
    "lint_text",
    "rules_for",
    "with_dry_run",
]

ENGINE_RULES = {
    rule.id: rule
    for rule in (
        Rule(
            id="unused-suppression",
            summary="a suppression comment silences nothing",
            check=None,
            severity=Severity.WARNING,
            help="remove the comment, or fix the rule name in it",
        ),
        Rule(
            id="dry-run-failed",
            summary="a migration fails when applied to the datasets (aether lint --dry-run)",
            check=None,
            help="fix the statement, or the data it meets",
        ),
        Rule(
            id="missing-down-migration",
            summary="an up migration has no down migration beside it",
            check=None,
            severity=Severity.WARNING,
            help="add the matching .down.sql that reverts it",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class FileLint:
    """The findings of one file, and what later files of a set learn from it: the tables it
    creates, the column types of the tables it declared columns of."""

    path: str
    findings: tuple[Finding, ...]
    statements: int
    created_tables: frozenset[str] = frozenset()
    column_types: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LintReport:
    """The findings of a lint run over some files, in file then position order."""

    files: tuple[FileLint, ...] = ()
    dialect: str = "postgres"
    rules: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> list[Finding]:
        return [f for file in self.files for f in file.findings]

    @property
    def errors(self) -> int:
        """How many findings are at error level."""
        return sum(1 for f in self.findings if f.severity >= Severity.ERROR)

    @property
    def statements(self) -> int:
        return sum(file.statements for file in self.files)

    @property
    def exit_code(self) -> int:
        """0 without error-level findings, else 1."""
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        counts = {str(s): 0 for s in Severity}
        for finding in self.findings:
            counts[str(finding.severity)] += 1
        return {
            "dialect": self.dialect,
            "files": [file.path for file in self.files],
            "statements": self.statements,
            "counts": counts,
            "findings": [f.to_dict() for f in self.findings],
        }


def rules_for(config: LintConfig) -> dict[str, Rule]:
    """The rules a lint with ``config`` runs, with their configured severities.

    Raises:
        Invalid: the config names a rule that does not exist.
    """
    known = all_rules() | ENGINE_RULES
    named = set(config.enable) | set(config.disable) | set(config.severity)
    unknown = sorted(named - set(known))
    if unknown:
        raise Invalid(
            f"unknown lint rule {unknown[0]!r} in the lint settings; "
            "`aether lint --rules` lists the rules"
        )
    chosen = {}
    for rule_id, rule in known.items():
        on = (rule.default or rule_id in config.enable) and rule_id not in config.disable
        if on and config.dialect in rule.dialects:
            level = config.severity.get(rule_id, rule.severity)
            chosen[rule_id] = dataclasses.replace(rule, severity=level)
    return chosen


def lint_text(
    text: str,
    path: str = "<sql>",
    config: LintConfig | None = None,
    *,
    known_tables: frozenset[str] = frozenset(),
    known_columns: Mapping[str, Mapping[str, Any]] | None = None,
    rules: dict[str, Rule] | None = None,
) -> FileLint:
    """Lint one file's text. ``known_tables`` and ``known_columns`` (column types by table)
    are what earlier files of a migration set created and declared."""
    config = config or LintConfig()
    rules = rules if rules is not None else rules_for(config)
    lines = Lines(text)
    statements = parse_statements(text, config.dialect, lines)
    context = Context(
        dialect=config.dialect,
        postgres_version=config.postgres_version,
        assume_in_transaction=config.assume_in_transaction,
        known_tables=known_tables,
        column_types=ChainMap({}, known_columns or {}),
        statements=tuple(statements),
    )
    dispatch = _Dispatch(rules)
    hits: list[Finding] = []
    for statement in statements:
        for rule in dispatch.rules_for(statement.node):
            found = rule.check(statement, context)  # type: ignore[misc]
            hits += (_finding(rule, hit, statement, path, lines) for hit in found)
        context = _after(context, statement)
    suppressions = find_suppressions(text, statements)
    kept = [f for f in hits if not _suppressed(f, suppressions)]
    kept += _unused(suppressions, rules, path, lines)
    kept.sort(key=lambda f: (f.line, f.column, f.rule))
    return FileLint(
        path, tuple(kept), len(statements), context.created_tables, _declared_here(context)
    )


class _Dispatch:
    """The rules to run on a statement, by the type of its root node (a rule's ``kinds``),
    worked out once per type."""

    def __init__(self, rules: dict[str, Rule]) -> None:
        self._checks = [r for r in rules.values() if r.check is not None]
        self._unparsed = [r for r in self._checks if not r.parsed_only]
        self._by_type: dict[type, list[Rule]] = {}

    def rules_for(self, node: exp.Expression | None) -> list[Rule]:
        if node is None:
            return self._unparsed
        kind = type(node)
        found = self._by_type.get(kind)
        if found is None:
            found = [r for r in self._checks if not r.kinds or issubclass(kind, r.kinds)]
            self._by_type[kind] = found
        return found


def lint_files(files: Sequence[tuple[str, str]], config: LintConfig | None = None) -> LintReport:
    """Lint a migration set: ``(path, text)`` pairs, taken in version order; the tables
    earlier files created and the column types they declared are known to later ones. Where
    the up/down convention is used, an up migration without its down one is reported."""
    config = config or LintConfig()
    rules = rules_for(config)
    texts = dict(files)
    ordered = migration_order(list(texts))
    known: frozenset[str] = frozenset()
    columns: dict[str, Mapping[str, Any]] = {}
    done = []
    paired = uses_up_down(ordered)
    for path in ordered:
        result = lint_text(
            texts[path], path, config, known_tables=known, known_columns=columns, rules=rules
        )
        if not is_down(path):
            known |= result.created_tables
            columns.update(result.column_types)
        if paired and not is_down(path) and down_for(path) not in texts:
            result = _with(result, _missing_down(path, rules))
        done.append(result)
    return LintReport(tuple(done), config.dialect, tuple(rules))


def _finding(rule: Rule, hit: Hit, statement: Statement, path: str, lines: Lines) -> Finding:
    start, end = _span(hit.node, statement)
    line, column = lines.position(start)
    end_line, end_column = lines.position(max(start, end - 1))
    message = hit.message + (f" ({rule.help})" if rule.help else "")
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column + 1,
        statement=statement.index,
    )


def _span(node: exp.Expression | None, statement: Statement) -> tuple[int, int]:
    if node is None and statement.error_offset is not None:
        return statement.error_offset, statement.error_offset + 1
    if node is not None:
        for part in node.walk():
            meta = part.meta if part._meta else {}
            if "start" in meta:
                return meta["start"], meta["end"] + 1
    return statement.start, statement.end


def _after(context: Context, statement: Statement) -> Context:
    """The context of the next statement: transactions, settings and new tables. A BEGIN
    inside a transaction opens none (PostgreSQL warns and goes on), so the depth is 0 or 1."""
    node = statement.node
    changes: dict[str, Any] = {"index": statement.index + 1}
    if is_begin(node):
        changes["transaction_depth"] = 1
    elif is_end(node):
        changes["transaction_depth"] = 0
        changes["settings"] = context.settings - context.local_settings
        changes["local_settings"] = frozenset()
    elif isinstance(node, exp.Set) or _reset(node):
        changes.update(_settings_after(context, node))
    elif creates_new_table(node):
        target = node.this if isinstance(node.this, exp.Table) else node.this.find(exp.Table)
        changes["created_tables"] = context.created_tables | {table_name(target)}
    if declared := _declared_types(node):
        changes["column_types"] = _merged(context.column_types, *declared)
    return dataclasses.replace(context, **changes)


def _declared_types(node: exp.Expression | None) -> tuple[str, dict[str, Any]] | None:
    """The table and the column types a CREATE TABLE, ADD COLUMN or ALTER COLUMN ... TYPE
    declares."""
    if is_create_table(node) and isinstance(node.this, exp.Schema):
        defs = [c for c in node.this.expressions if isinstance(c, exp.ColumnDef)]
        return table_name(node.this.this), {column_name(c.this): c.args.get("kind") for c in defs}
    if not isinstance(node, exp.Alter) or not isinstance(node.this, exp.Table):
        return None
    types = {}
    for action in node.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            types[column_name(action.this)] = action.args.get("kind")
        elif isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
            types[column_name(action.this)] = action.args["dtype"]
    return (table_name(node.this), types) if types else None


def _merged(known: ChainMap, table: str, types: dict[str, Any]) -> ChainMap:
    """``known`` (this file's declarations over the earlier files') with ``table``'s
    ``types``: only this file's layer is copied, never what earlier files declared."""
    kept = {column: kind for column, kind in types.items() if isinstance(kind, exp.DataType)}
    here = {**known.maps[0], table: {**known.get(table, {}), **kept}}
    return ChainMap(here, *known.maps[1:])


def _declared_here(context: Context) -> Mapping[str, Mapping[str, Any]]:
    """The column types this file declared (each table's whole set, earlier files' too)."""
    types = context.column_types
    return types.maps[0] if isinstance(types, ChainMap) else types


_OFF = {"default", "0", "0s", "0ms"}  # a timeout of 0 waits for ever


def _settings_after(context: Context, node: exp.Expression) -> dict[str, frozenset[str]]:
    """``settings`` and ``local_settings`` after a SET, SET LOCAL or RESET. SET LOCAL outside
    a transaction does nothing (PostgreSQL warns)."""
    settings, local = set(context.settings), set(context.local_settings)
    for name, value, scope in _assignments(node):
        if scope == "LOCAL" and not context.in_transaction:
            continue
        if name == "all" and value in _OFF:  # RESET ALL
            settings.clear()
            local.clear()
        elif value in _OFF:
            settings.discard(name)
            local.discard(name)
        elif scope != "LOCAL":
            settings.add(name)
            local.discard(name)
        elif name not in settings:
            settings.add(name)
            local.add(name)
    return {"settings": frozenset(settings), "local_settings": frozenset(local)}


def _assignments(node: exp.Expression) -> list[tuple[str, str, str]]:
    """``(name, value, scope)`` of each setting a SET or RESET names (value lower-case;
    RESET sets DEFAULT)."""
    if _reset(node):
        return [(str(node.expression.name).strip().lower(), "default", "")]
    found = []
    for item in node.expressions:
        target, value = item.this, None
        if isinstance(target, exp.EQ | exp.PropertyEQ):
            target, value = target.this, target.expression
        if isinstance(target, exp.Expression):
            text = value.name.lower() if isinstance(value, exp.Expression) else ""
            scope = str(item.args.get("kind") or "").upper()
            found.append((target.name.lower(), text, scope))
    return found


def _reset(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Command) and str(node.this).upper() == "RESET"


def _suppressed(finding: Finding, suppressions: Iterable[Suppression]) -> bool:
    hit = False
    for suppression in suppressions:
        if suppression.covers(finding.rule, finding.statement):
            suppression.used = hit = True
    return hit


def _unused(
    suppressions: list[Suppression], rules: dict[str, Rule], path: str, lines: Lines
) -> list[Finding]:
    rule = rules.get("unused-suppression")
    if rule is None:
        return []
    out = []
    for suppression in suppressions:
        if suppression.used:
            continue
        known = suppression.rule in all_rules() or suppression.rule in ENGINE_RULES
        why = "silences nothing here" if known else "names no rule"
        line, column = lines.position(suppression.offset)
        out.append(
            Finding(
                rule.id,
                rule.severity,
                f"suppression of {suppression.rule!r} {why}",
                path,
                line,
                column,
            )
        )
    return out


def _missing_down(path: str, rules: dict[str, Rule]) -> list[Finding]:
    rule = rules.get("missing-down-migration")
    if rule is None:
        return []
    message = f"{path} has no down migration ({down_for(path)})"
    return [Finding(rule.id, rule.severity, message, path, 1, 1)]


def _with(result: FileLint, extra: list[Finding]) -> FileLint:
    return dataclasses.replace(result, findings=tuple(extra) + result.findings)


def with_dry_run(report: LintReport, checked: Any) -> LintReport:
    """``report`` with a ``dry-run-failed`` finding where the dry run ``checked`` (a
    ``DryRunReport``) stopped, if it failed."""
    failure = checked.failure
    if failure is None:
        return report
    rule = ENGINE_RULES["dry-run-failed"]
    finding = Finding(
        rule.id,
        rule.severity,
        f"the dry run failed: {failure.error}",
        failure.path,
        failure.line,
        failure.column,
        statement=failure.statement,
    )
    files = list(report.files)
    for i, file in enumerate(files):
        if file.path == failure.path:
            files[i] = _with(file, [finding])
            break
    else:
        files.append(FileLint(failure.path, (finding,), 0))
    return dataclasses.replace(report, files=tuple(files))
