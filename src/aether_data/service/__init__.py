"""The composition root: turns ``Settings`` into concrete backends (only this package knows
them) and offers the embedded ``WorkspaceAPI``, tokens and import jobs over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlparse

from aether_data.catalog import DEFAULT_TENANT, Catalog
from aether_data.errors import Invalid
from aether_data.review import (
    Annotations,
    Approvals,
    Bus,
    CheckRegistry,
    CheckRuns,
    CommitGate,
    Events,
    Knowledge,
    Policies,
    TreeFiles,
)
from aether_data.service._convert import token as token_value
from aether_data.service._dataset_diff import DatasetDiffs, OpenDiff
from aether_data.service._lint_check import SQL_LINT, SqlLintCheck, changes_migrations
from aether_data.service._schema_check import DatasetSchemaCheck
from aether_data.service.datasets import DatasetProfiler, EmbeddedDatasets, is_dataset_path
from aether_data.service.jobs import ImportJobs
from aether_data.service.lint import EmbeddedLint
from aether_data.service.review import EmbeddedReview
from aether_data.service.tokens import ALL_SCOPES, READ_SCOPES, Scope, Tokens
from aether_data.service.workspace import EmbeddedWorkspace
from aether_data.settings import Settings
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore
from aether_data.workspace import Sessions, Sources

__all__ = [
    "ALL_SCOPES",
    "LOCAL_ACTOR",
    "READ_SCOPES",
    "DatasetDiffs",
    "DatasetProfiler",
    "EmbeddedDatasets",
    "EmbeddedLint",
    "EmbeddedReview",
    "EmbeddedWorkspace",
    "ImportJobs",
    "OpenDiff",
    "Scope",
    "Services",
    "Tokens",
    "is_dataset_path",
    "open_catalog",
    "open_services",
    "open_store",
    "token_value",
]


LOCAL_ACTOR = "local"
"""Who acts when the embedded workspace is used without a token (the CLI on one machine)."""


def open_store(settings: Settings) -> ObjectStore:
    """The object store named by ``settings.store_url``."""
    url = settings.store_url
    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        return LocalObjectStore(urlparse(url).path if scheme == "file" else url)
    if scheme == "memory":
        return MemoryObjectStore()
    if scheme == "s3":
        from aether_data.storage.s3 import S3ObjectStore  # noqa: PLC0415 - optional extra

        return S3ObjectStore(url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    raise Invalid(
        f"unsupported object store URL {url!r}: use a folder, file://, s3:// or memory://"
    )


def open_catalog(settings: Settings) -> Catalog:
    """The catalog named by ``settings.catalog_url`` (migrated to the latest schema)."""
    from aether_data.catalog.sql import SqlCatalog  # noqa: PLC0415 - SQLAlchemy, when opened

    return SqlCatalog(settings.catalog_url)


@dataclass(eq=False)
class Services:
    """The backends one process works with, and the shared domain objects over them."""

    settings: Settings
    store: ObjectStore
    catalog: Catalog
    _closed: bool = field(default=False, init=False, repr=False)

    @cached_property
    def sessions(self) -> Sessions:
        """The session lifecycle (one per process: it caches overlays by version)."""
        return Sessions(self.store, self.catalog)

    @cached_property
    def sources(self) -> Sources:
        """Sources, refs and history."""
        return Sources(self.store, self.catalog)

    @cached_property
    def tokens(self) -> Tokens:
        """API tokens."""
        return Tokens(self.catalog, events=self.events)

    @cached_property
    def imports(self) -> ImportJobs:
        """Asynchronous imports into sources, run on this process's worker threads."""
        return ImportJobs(self.store, self.catalog, self.sources)

    @cached_property
    def knowledge(self) -> Knowledge:
        """Knowledge entries of sessions and sources."""
        return Knowledge(self.catalog)

    @cached_property
    def bus(self) -> Bus:
        """The message bus (one per process: it wakes this process's subscribers)."""
        return Bus(self.catalog)

    @cached_property
    def events(self) -> Events:
        """The audit log (one per process: it wakes this process's followers)."""
        return Events(self.catalog)

    @cached_property
    def annotations(self) -> Annotations:
        """Annotations of sessions."""
        return Annotations(self.catalog)

    @cached_property
    def approvals(self) -> Approvals:
        """Approvals of sessions."""
        return Approvals(self.catalog)

    @cached_property
    def checks(self) -> CheckRegistry:
        """The checks this process knows: built in, entry points, and the settings' commands."""
        settings = self.settings
        built_in = [DatasetSchemaCheck(self.settings.home / "tmp"), SqlLintCheck()]
        return CheckRegistry(settings.checks, timeout=settings.check_timeout, extra=built_in)

    @cached_property
    def check_runs(self) -> CheckRuns:
        """Stored reports of checks."""
        return CheckRuns(self.catalog)

    @cached_property
    def policies(self) -> Policies:
        """Branch policies (protected branches)."""
        return Policies(self.catalog, self.checks)

    @cached_property
    def gate(self) -> CommitGate:
        """What a commit to a protected branch passes first."""
        return CommitGate(
            self.policies,
            self.approvals,
            self.check_runs,
            lambda tree, base: TreeFiles(self.store, tree, base),
            implied_checks=lambda tree: [SQL_LINT] if changes_migrations(tree) else [],
        )

    @cached_property
    def datasets(self) -> DatasetProfiler:
        """Profiles of dataset files, kept in the catalog by content hash (copies to profile
        go to the scratch folder ``<home>/tmp``)."""
        return DatasetProfiler(self.store, self.catalog, self.settings.home / "tmp")

    @cached_property
    def dataset_diffs(self) -> DatasetDiffs:
        """Dataset diffs between stored trees (copies of both versions go to ``<home>/tmp``;
        DuckDB spills past ``settings.dataset_memory_limit``), kept for later requests until
        ``close``."""
        settings = self.settings
        return DatasetDiffs(self.store, settings.home / "tmp", settings.dataset_memory_limit)

    def datasets_api(self, tenant: str = DEFAULT_TENANT) -> EmbeddedDatasets:
        """The ``DatasetsAPI`` of one tenant."""
        return EmbeddedDatasets(self, tenant)

    def lint_api(self, tenant: str = DEFAULT_TENANT) -> EmbeddedLint:
        """The ``LintAPI`` of one tenant."""
        return EmbeddedLint(self, tenant)

    def review(self, tenant: str = DEFAULT_TENANT, actor: str = LOCAL_ACTOR) -> EmbeddedReview:
        """The ``ReviewAPI`` of one tenant, acting as ``actor``."""
        return EmbeddedReview(self, tenant, actor)

    def workspace(
        self,
        tenant: str = DEFAULT_TENANT,
        *,
        local_imports: bool = True,
        actor: str = LOCAL_ACTOR,
    ) -> EmbeddedWorkspace:
        """The ``WorkspaceAPI`` of one tenant, acting as ``actor`` (who the audit log names).
        ``local_imports`` lets imports read local folders and ``file://`` URLs (the embedded
        default; the HTTP service turns it off)."""
        return EmbeddedWorkspace(self, tenant, local_imports=local_imports, actor=actor)

    def close(self) -> None:
        """Stop import workers, drop kept dataset diffs and close both backends."""
        if self._closed:
            return
        self._closed = True
        if "imports" in self.__dict__:
            self.imports.shutdown()
        if "dataset_diffs" in self.__dict__:
            self.dataset_diffs.close()
        self.catalog.close()
        self.store.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_services(settings: Settings) -> Services:
    """Open the store and the catalog of ``settings``."""
    store = open_store(settings)
    try:
        return Services(settings, store, open_catalog(settings))
    except BaseException:
        store.close()
        raise
