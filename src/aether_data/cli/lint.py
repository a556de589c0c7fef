"""``aether lint``: lint SQL migrations of a local folder or a session, and dry-run them.

    aether lint                          # ./migrations (or [lint] migrations in aether.toml)
    aether lint db/001_init.sql --dialect mysql
    aether lint aether://s-1 --dry-run --format sarif > lint.sarif

A session is linted where its files are, through its ``LintAPI`` (the embedded service, or
the server): no migration or dataset is copied here. Local files are linted here; both end
as one ``LintResult``, printed by one code path.

Exit codes: 0 no error-level finding, 1 error-level findings (or a failed dry run), 2 bad
usage.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import msgspec

from aether_data import __version__
from aether_data.cli._app import cli
from aether_data.cli._connect import Connection, connect
from aether_data.cli._session_target import SCHEME, parse_target
from aether_data.errors import Invalid
from aether_data.settings import Settings
from aether_data.sqllint.config import ALL_DIALECTS, CONFIG_PATH, LintConfig, parse_lint_config
from aether_data.wire.lint import DryRunResult, LintAPI, LintResult, lint_result

if TYPE_CHECKING:
    from aether_data.sqllint.dryrun import DryRunReport

__all__ = ["lint_api", "lint_command"]

# The linter itself (sqlglot) and the dry run (DuckDB) load when `aether lint` runs, not with
# every other verb.


def lint_api(conn: Connection) -> LintAPI:
    """The ``LintAPI`` of a connection: the local one (the workspace's tenant), or the
    client."""
    if conn.services is not None:
        return conn.services.lint_api(conn.api.tenant)  # type: ignore[attr-defined]
    return cast(LintAPI, conn.client)


class _Local:
    """Migrations in a local folder: ``root`` holds ``aether.toml`` (or not)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        file = self.root / path
        return file.read_bytes() if file.is_file() else None

    def is_file(self, path: str) -> bool:
        return (self.root / path).is_file()

    def sql_files(self, folder: str) -> list[str]:
        base = self.root / folder
        if not base.is_dir():
            raise Invalid(f"no folder {base} (name one: aether lint PATH)")
        return [
            p.relative_to(self.root).as_posix()
            for p in sorted(base.rglob("*.sql"))
            if not any(part.startswith(".") for part in p.relative_to(base).parts)
        ]

    def dataset(self, path: str) -> Path:
        file = self.root / path
        if not file.is_file():
            raise Invalid(f"[lint.tables] names {path}, which is not a file under {self.root}")
        return file


@cli.command("lint")
@click.argument("target", required=False)
@click.option("--dialect", type=click.Choice(sorted(ALL_DIALECTS)), help="SQL dialect [postgres].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--dry-run", is_flag=True, help="Apply the migrations to a scratch DuckDB copy.")
@click.option("--postgres-version", type=click.IntRange(9, 30), help="PostgreSQL major version.")
@click.option(
    "--assume-in-transaction/--no-assume-in-transaction",
    default=None,
    help="Each file runs inside a transaction opened by the migration tool.",
)
@click.option("--rules", "list_rules", is_flag=True, help="List the rules and exit.")
@click.pass_obj
def lint_command(
    settings: Settings,
    target: str | None,
    dialect: str | None,
    fmt: str,
    as_json: bool,
    dry_run: bool,
    postgres_version: int | None,
    assume_in_transaction: bool | None,
    list_rules: bool,
) -> None:
    """Lint the SQL migrations at TARGET: a .sql file, a folder, or aether://SESSION[/PATH].

    Without TARGET: the migrations folder of the current directory ([lint] migrations in its
    aether.toml, default migrations/). Settings come from the aether.toml at the root (the
    session's, or the current directory's); the options override them. --dry-run applies the
    migrations in version order to a scratch DuckDB database loaded with the datasets
    [lint.tables] maps, and reports the first failing statement; nothing is written back.
    """
    if list_rules:
        click.echo(_rules_text())
        return
    options = {
        "dialect": dialect,
        "postgres_version": postgres_version,
        "assume_in_transaction": assume_in_transaction,
    }
    if target is not None and target.startswith(SCHEME):
        result = _lint_session(settings, target, options, dry_run)
    else:
        result = _lint_local(target, options, dry_run)
    _print(result, "json" if as_json else fmt)
    click.get_current_context().exit(1 if result.counts.get("error") else 0)


def _lint_session(
    settings: Settings, target: str, options: dict[str, Any], dry_run: bool
) -> LintResult:
    """The session is linted where its files are: by the embedded service or the server."""
    where = parse_target(target)
    with connect(settings) as conn:
        return lint_api(conn).lint_session(
            where.session, path=where.path or None, dry_run=dry_run, **options
        )


def _lint_local(target: str | None, options: dict[str, Any], dry_run: bool) -> LintResult:
    from aether_data.sqllint.engine import lint_files, rules_for, with_dry_run  # noqa: PLC0415

    tree, path = _local_tree(target)
    config = _config(tree).replace(**options)
    rules_for(config)  # refuse unknown rule names before reading anything else
    texts = [(p, _text(tree, p)) for p in _files(tree, path, config)]
    report = lint_files(texts, config)
    checked = _dry_run(tree, config, texts) if dry_run else None
    if checked is not None:
        report = with_dry_run(report, checked)
    found = checked.to_dict() if checked is not None else None
    return lint_result(report.to_dict(), found, rules=report.rules)


def _local_tree(target: str | None) -> tuple[_Local, str | None]:
    path = Path(target) if target else None
    if path is not None and not path.exists():
        raise Invalid(f"no file or folder {target}")
    root = Path.cwd()
    if path is not None and path.is_dir() and (path / CONFIG_PATH).is_file():
        root, path = path, None  # a project folder: its settings and its migrations
    relative = None if path is None else Path(os.path.relpath(path, root)).as_posix()
    return _Local(root), relative


def _config(tree: _Local) -> LintConfig:
    text = tree.read(CONFIG_PATH)
    return parse_lint_config(text) if text is not None else LintConfig()


def _files(tree: _Local, path: str | None, config: LintConfig) -> list[str]:
    if path is not None and tree.is_file(path):
        return [path]
    files = tree.sql_files(path if path is not None else config.migrations)
    if not files:
        raise Invalid(f"no .sql files under {path or config.migrations}")
    return files


def _text(tree: _Local, path: str) -> str:
    data = tree.read(path) or b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"{path} is not UTF-8 text: {exc}") from exc


def _dry_run(tree: _Local, config: LintConfig, texts: list[tuple[str, str]]) -> DryRunReport:
    from aether_data.sqllint.dryrun import dry_run  # noqa: PLC0415

    tables = {name: tree.dataset(path) for name, path in config.tables.items()}
    return dry_run(texts, tables, dialect=config.dialect, names=dict(config.tables))


def _print(result: LintResult, fmt: str) -> None:
    from aether_data.sqllint.report import sarif_log, summary_of  # noqa: PLC0415

    data = msgspec.to_builtins(result)
    if fmt == "sarif":
        click.echo(json.dumps(sarif_log(data, version=__version__), indent=2))
    elif fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        _print_text(result, summary_of(data))


_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def _print_text(result: LintResult, summary: str) -> None:
    from rich.console import Console  # noqa: PLC0415 - only for people
    from rich.markup import escape  # noqa: PLC0415

    console = Console(highlight=False, soft_wrap=True)
    for f in result.findings:
        console.print(
            f"[bold]{escape(f.path)}:{f.line}:{f.column}[/]: [{_STYLE[f.severity]}]{f.severity}[/] "
            f"[dim]\\[{f.rule}][/] {escape(f.message)}"
        )
    if result.dry_run is not None:
        console.print(escape(_dry_run_line(result.dry_run)))
    console.print(escape(summary))


def _dry_run_line(checked: DryRunResult) -> str:
    done = (
        f"dry run: {_count(checked.applied, 'statement')} applied, {len(checked.skipped)} skipped"
    )
    if checked.failure is None:
        tables = ", ".join(f"{name} {rows} rows" for name, rows in checked.tables.items())
        return f"{done}; ok" + (f" ({tables})" if tables else "")
    return f"{done}; failed at {checked.failure.path}:{checked.failure.line}"


def _rules_text() -> str:
    from aether_data.sqllint.engine import ENGINE_RULES  # noqa: PLC0415
    from aether_data.sqllint.rules import all_rules  # noqa: PLC0415

    rows = []
    for rule in (all_rules() | ENGINE_RULES).values():
        where = "all" if rule.dialects == ALL_DIALECTS else ",".join(sorted(rule.dialects))
        state = "" if rule.default else " (off by default)"
        rows.append(f"{rule.id:32} {rule.severity!s:8} {where:10} {rule.summary}{state}")
    return "\n".join(rows)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
