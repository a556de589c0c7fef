"""The built-in check ``sql-lint``: the tree's SQL migrations (the ``migrations/`` folder, or
``[lint] migrations`` of its ``aether.toml``) have no lint finding at error level.

A protected branch requires it of every commit that changes a migration, whatever its policy
lists, and an approval requested for such a tree carries its report. It lives in the service
layer because it joins two domain parts: checks (review) and the linter (sqllint). What a
tree's migration set is (``tree_config``, ``sql_files``, ``migration_texts``) is shared with
the ``LintAPI`` (``service.lint``), so the gate and a lint asked for agree.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aether_data.errors import Invalid
from aether_data.review import CheckResult, CheckStatus, Finding, TreeFiles
from aether_data.sqllint.config import CONFIG_PATH, LintConfig, parse_lint_config

if TYPE_CHECKING:
    from aether_data.sqllint import LintReport

__all__ = [
    "SQL_LINT",
    "SqlLintCheck",
    "changes_migrations",
    "lint_set",
    "lint_tree",
    "migration_texts",
    "sql_files",
    "tree_config",
]

SQL_LINT = "sql-lint"
_SHOWN = 200


def tree_config(tree: TreeFiles) -> LintConfig:
    """The lint settings of ``tree``'s ``aether.toml`` (defaults without one).

    Raises:
        Invalid: the file is malformed.
    """
    if tree.file_id(CONFIG_PATH) is None:
        return LintConfig()
    return parse_lint_config(tree.read(CONFIG_PATH))


def sql_files(tree: TreeFiles, folder: str) -> list[str]:
    """The ``.sql`` files under ``folder`` (``""``: the root), at any depth."""
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    return [p for p, _ in tree.files() if p.startswith(prefix) and p.endswith(".sql")]


def migration_texts(tree: TreeFiles, paths: Sequence[str]) -> list[tuple[str, str]]:
    """``(path, text)`` of each file.

    Raises:
        Invalid: a file is not UTF-8.
    """
    texts = []
    for path in paths:
        try:
            texts.append((path, tree.read(path).decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise Invalid(f"{path} is not UTF-8 text: {exc}") from exc
    return texts


def lint_set(tree: TreeFiles, paths: Sequence[str], config: LintConfig) -> LintReport:
    """Lint the files ``paths`` of ``tree``. Reports are kept by the files' content ids and
    the settings (a few, in this process): the gate lints a tree when an approval is asked
    for and again when it is committed, and the second costs nothing.

    Raises:
        Invalid: a file is not UTF-8.
    """
    key = (repr(config), tuple((path, tree.file_id(path)) for path in paths))
    with _LOCK:
        if (found := _REPORTS.get(key)) is not None:
            _REPORTS.move_to_end(key)
            return found
    from aether_data.sqllint import lint_files  # noqa: PLC0415 - loads the SQL parser

    report = lint_files(migration_texts(tree, paths), config)
    with _LOCK:
        _REPORTS[key] = report
        while len(_REPORTS) > _KEPT:
            _REPORTS.popitem(last=False)
    return report


_KEPT = 16
_REPORTS: OrderedDict[tuple, LintReport] = OrderedDict()
_LOCK = threading.Lock()


def lint_tree(tree: TreeFiles) -> LintReport:
    """Lint the migration set of ``tree`` with its own settings.

    Raises:
        Invalid: the tree's ``aether.toml`` is malformed, or a migration is not UTF-8.
    """
    config = tree_config(tree)
    return lint_set(tree, sql_files(tree, config.migrations), config)


def changes_migrations(tree: TreeFiles) -> bool:
    """Whether ``tree`` adds, changes or removes a migration of its base tree (any tree with
    migrations, when the base is unknown)."""
    try:
        config = tree_config(tree)
    except Invalid:
        return True  # settings that cannot be read: let the check say why
    base = tree.base
    ours = {p: tree.file_id(p) for p in sql_files(tree, config.migrations)}
    if base is None:
        return bool(ours)
    theirs = {p: base.file_id(p) for p in sql_files(base, config.migrations)}
    return ours != theirs


class SqlLintCheck:
    """SQL migrations have no lint error."""

    name = SQL_LINT
    description = "the SQL migrations have no lint finding at error level (aether lint)"

    def run(self, tree: TreeFiles) -> CheckResult:
        from aether_data.sqllint import Severity  # noqa: PLC0415 - with the linter

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
