"""The built-in check ``sql-lint``: the tree's SQL migrations (the ``migrations/`` folder, or
``[lint] migrations`` of its ``aether.toml``) have no lint finding at error level.

A protected branch requires it of every commit that changes a migration, whatever its policy
lists, and an approval requested for such a tree carries its report. It lives in the service
layer because it joins two domain parts: checks (review) and the linter (sqllint).
"""

from __future__ import annotations

from aether_data.errors import Invalid
from aether_data.review import CheckResult, CheckStatus, Finding, TreeFiles
from aether_data.sqllint import (
    CONFIG_PATH,
    LintConfig,
    LintReport,
    Severity,
    lint_files,
    parse_lint_config,
)

__all__ = ["SQL_LINT", "SqlLintCheck", "changes_migrations", "lint_tree"]

SQL_LINT = "sql-lint"
_SHOWN = 200


def _config(tree: TreeFiles) -> LintConfig:
    if tree.file_id(CONFIG_PATH) is None:
        return LintConfig()
    return parse_lint_config(tree.read(CONFIG_PATH))


def _migrations(tree: TreeFiles, config: LintConfig) -> list[str]:
    prefix = config.migrations.strip("/") + "/"
    return [p for p, _ in tree.files() if p.startswith(prefix) and p.endswith(".sql")]


def lint_tree(tree: TreeFiles) -> LintReport:
    """Lint the migration set of ``tree`` with its own settings.

    Raises:
        Invalid: the tree's ``aether.toml`` is malformed, or a migration is not UTF-8.
    """
    config = _config(tree)
    files = []
    for path in _migrations(tree, config):
        try:
            files.append((path, tree.read(path).decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise Invalid(f"{path} is not UTF-8 text: {exc}") from exc
    return lint_files(files, config)


def changes_migrations(tree: TreeFiles) -> bool:
    """Whether ``tree`` adds, changes or removes a migration of its base tree (any tree with
    migrations, when the base is unknown)."""
    try:
        config = _config(tree)
    except Invalid:
        return True  # settings that cannot be read: let the check say why
    base = tree.base
    ours = {p: tree.file_id(p) for p in _migrations(tree, config)}
    if base is None:
        return bool(ours)
    theirs = {p: base.file_id(p) for p in _migrations(base, config)}
    return ours != theirs


class SqlLintCheck:
    """SQL migrations have no lint error."""

    name = SQL_LINT
    description = "the SQL migrations have no lint finding at error level (aether lint)"

    def run(self, tree: TreeFiles) -> CheckResult:
        report = lint_tree(tree)
        ranked = sorted(report.findings, key=lambda f: -f.severity)
        findings = tuple(
            Finding(f"{f.severity} [{f.rule}] {f.message}", f.path, f.line) for f in ranked
        )
        warnings = sum(1 for f in report.findings if f.severity == Severity.WARNING)
        summary = (
            f"{report.errors} lint error(s), {warnings} warning(s) in "
            f"{len(report.files)} migration file(s)"
        )
        status = CheckStatus.FAILED if report.errors else CheckStatus.PASSED
        return CheckResult(status, summary, findings[:_SHOWN])
