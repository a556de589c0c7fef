"""The catalog's own Alembic migrations, rendered as PostgreSQL SQL one revision per file,
pass the linter: no finding at error level."""

from __future__ import annotations

import io

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from aether_data.catalog._engine import _MIGRATIONS
from aether_data.sqllint import LintConfig, Severity, lint_files


def _config(buffer: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    config.set_main_option("sqlalchemy.url", "postgresql://")
    return config


def _rendered() -> list[tuple[str, str]]:
    """Each revision's upgrade as PostgreSQL would run it, oldest first."""
    revisions = list(reversed(list(ScriptDirectory.from_config(_config()).walk_revisions())))
    files = []
    for script in revisions:
        buffer = io.StringIO()
        span = script.revision
        if script.down_revision:
            span = f"{script.down_revision}:{script.revision}"
        command.upgrade(_config(buffer), span, sql=True)
        files.append((f"catalog/{script.revision}.sql", buffer.getvalue()))
    return files


def test_the_catalog_migrations_have_no_lint_errors() -> None:
    files = _rendered()
    assert len(files) >= 5
    assert all("CREATE TABLE" in text or "ALTER TABLE" in text for _, text in files)
    report = lint_files(files, LintConfig(dialect="postgres"))
    errors = [f for f in report.findings if f.severity >= Severity.ERROR]
    assert errors == [], "\n".join(f"{f.path}:{f.line}: [{f.rule}] {f.message}" for f in errors)
    assert report.statements > 30
