"""The embedded ``LintAPI``: a session's migrations linted (and dry-run) where its files are,
so no migration or dataset leaves the service (the HTTP service answers through it too).

What a migration set is and how it is read is shared with the commit gate's ``sql-lint``
check (``_lint_check``); the dry run's datasets are streamed out of the store into the
scratch folder, and the copies removed when it ends.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from aether_data.errors import Invalid
from aether_data.objects import EntryKind
from aether_data.review import TreeFiles
from aether_data.service._lint_check import lint_set, migration_texts, sql_files, tree_config
from aether_data.service.datasets import DATASET_FILES, stored_copies
from aether_data.sqllint.config import LintConfig
from aether_data.wire import lint as wire
from aether_data.workspace.paths import normalize_path

if TYPE_CHECKING:
    from aether_data.catalog.records import SessionRecord
    from aether_data.ids import ObjectId
    from aether_data.service import Services
    from aether_data.sqllint.dryrun import DryRunReport

__all__ = ["EmbeddedLint"]


class EmbeddedLint:
    """``LintAPI`` over the process's stores, for one tenant."""

    def __init__(self, services: Services, tenant: str) -> None:
        self._services = services
        self.tenant = tenant

    def lint_session(
        self,
        session_id: str,
        *,
        path: str | None = None,
        dialect: str | None = None,
        dry_run: bool = False,
        postgres_version: int | None = None,
        assume_in_transaction: bool | None = None,
    ) -> wire.LintResult:
        services = self._services
        record = services.workspace(self.tenant).owned_session(session_id)
        tree = TreeFiles(services.store, services.sessions.tree(record))
        config = tree_config(tree).replace(
            dialect=dialect.lower() if dialect else None,
            postgres_version=postgres_version,
            assume_in_transaction=assume_in_transaction,
        )
        paths = self._chosen(record, tree, path, config)
        report = lint_set(tree, paths, config)
        checked = self._dry_run(tree, config, migration_texts(tree, paths)) if dry_run else None
        if checked is not None:
            from aether_data.sqllint.engine import with_dry_run  # noqa: PLC0415 - the parser

            report = with_dry_run(report, checked)
        found = checked.to_dict() if checked is not None else None
        return wire.lint_result(report.to_dict(), found, rules=report.rules)

    def _chosen(
        self, record: SessionRecord, tree: TreeFiles, path: str | None, config: LintConfig
    ) -> list[str]:
        """The files ``path`` names: itself when it is a file, else the ``.sql`` files under
        it (under the migrations folder when None)."""
        folder = config.migrations
        if path is not None:
            folder = normalize_path(path, allow_root=True)
            entry = self._services.sessions.stat(record, folder)
            if entry.kind in DATASET_FILES:
                return [folder]
            if entry.kind is not EntryKind.DIR:
                raise Invalid(f"{folder!r} is a {entry.kind.value}: name a .sql file or a folder")
        files = sql_files(tree, folder)
        if not files:
            raise Invalid(f"no .sql files under {folder or 'the session root'}")
        return files

    def _dry_run(
        self, tree: TreeFiles, config: LintConfig, texts: list[tuple[str, str]]
    ) -> DryRunReport:
        from aether_data.sqllint.dryrun import dry_run  # noqa: PLC0415 - DuckDB and the parser

        services = self._services
        stored = [
            (_table_file(tree, name, path), f"{i}-{PurePosixPath(path).name}")
            for i, (name, path) in enumerate(config.tables.items())
        ]
        scratch = services.settings.home / "tmp"
        with stored_copies(services.store, scratch, stored, prefix="dry-run-") as copies:
            return dry_run(
                texts,
                dict(zip(config.tables, copies, strict=True)),
                dialect=config.dialect,
                names=dict(config.tables),
                memory_limit=services.settings.dataset_memory_limit,
            )


def _table_file(tree: TreeFiles, table: str, path: str) -> ObjectId:
    """The content id of the dataset ``[lint.tables]`` maps ``table`` to."""
    try:
        content_id = tree.file_id(normalize_path(path))
    except Invalid:
        content_id = None
    if content_id is None:
        raise Invalid(f"[lint.tables] maps {table} to {path}, which is not a file of the session")
    return content_id
