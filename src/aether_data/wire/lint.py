"""``LintAPI``: lint a session's SQL migrations, and dry-run them against its datasets, on the
side that holds the data. The embedded implementation is ``aether_data.service.EmbeddedLint``
(``services.lint_api(tenant)``); the HTTP client implements it too, and one conformance suite
runs against both.

HTTP routes (under ``/v1``, bearer token):

=========================================================  ===================  ==============
route                                                      method               scope
=========================================================  ===================  ==============
GET    /sessions/{id}/lint?path=&dialect=&dry_run=         lint_session         session.read
       &postgres_version=&assume_in_transaction=
=========================================================  ===================  ==============

A lint that finds errors is still an answer (200): the findings say what is wrong. Problems
are kept for requests that cannot be answered: no such session or path (404), no ``.sql``
file there, a malformed ``aether.toml``, an unknown dialect or rule, a ``[lint.tables]``
path that is no file of the session, a migration that is not UTF-8 (400).

The structs hold exactly the ``to_dict()`` forms of ``sqllint.LintReport`` and
``sqllint.dryrun.DryRunReport``: ``lint_result`` turns those into a ``LintResult``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

__all__ = [
    "DryRunFailure",
    "DryRunResult",
    "DryRunSkip",
    "LintAPI",
    "LintFinding",
    "LintResult",
    "LintSeverity",
    "lint_result",
]

LintSeverity = Literal["error", "warning", "info"]


class LintFinding(msgspec.Struct, frozen=True, kw_only=True):
    """One problem at one place: ``line`` and ``column`` are 1-based, in characters;
    ``statement`` is which statement of the file (0-based), when the finding belongs to one."""

    rule: str
    severity: LintSeverity
    message: str
    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    statement: int | None = None


class DryRunSkip(msgspec.Struct, frozen=True, kw_only=True):
    """A statement the dry run did not run (DuckDB cannot), and why."""

    path: str
    line: int
    reason: str


class DryRunFailure(msgspec.Struct, frozen=True, kw_only=True):
    """The statement that failed: where it is, its text, DuckDB's error."""

    path: str
    statement: int
    line: int
    column: int
    sql: str
    error: str


class DryRunResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a dry run did: statements applied and skipped, the first failure (None: ``ok``),
    and the row count of each table at the end."""

    ok: bool
    files: list[str]
    applied: int
    skipped: list[DryRunSkip] = []
    failure: DryRunFailure | None = None
    tables: dict[str, int] = {}


class LintResult(msgspec.Struct, frozen=True, kw_only=True):
    """A lint of some migration files, in version order: the dialect, the files, how many
    statements they hold, the findings (file then position order) and their ``counts`` by
    severity (``error``, ``warning``, ``info``); ``rules``, the rules that ran; ``dry_run``
    when one was asked for (its failure is also a ``dry-run-failed`` finding)."""

    dialect: str
    files: list[str]
    statements: int
    counts: dict[str, int]
    findings: list[LintFinding]
    rules: list[str] = []
    dry_run: DryRunResult | None = None


def lint_result(
    report: Mapping[str, Any],
    dry_run: Mapping[str, Any] | None = None,
    *,
    rules: Sequence[str] = (),
) -> LintResult:
    """A ``LintResult`` from a ``LintReport.to_dict()`` and, after a dry run, a
    ``DryRunReport.to_dict()``."""
    data = {**report, "dry_run": dry_run, "rules": list(rules)}
    return msgspec.convert(data, LintResult)


@runtime_checkable
class LintAPI(Protocol):
    """SQL migrations of one tenant's sessions."""

    def lint_session(
        self,
        session_id: str,
        *,
        path: str | None = None,
        dialect: str | None = None,
        dry_run: bool = False,
        postgres_version: int | None = None,
        assume_in_transaction: bool | None = None,
    ) -> LintResult:
        """Lint the migrations of the session's current tree with the settings of its
        ``aether.toml`` (``[lint]``).

        Args:
            path: A file to lint alone, or a folder whose ``.sql`` files (at any depth) are
                linted as one migration set; ``""`` is the root. None: the ``[lint]
                migrations`` folder (default ``migrations``).
            dialect: The SQL dialect, instead of the one ``aether.toml`` names (``postgres``
                when it names none).
            dry_run: Also apply the up migrations, in version order, to a scratch DuckDB
                database loaded with the datasets ``[lint.tables]`` maps (table name ->
                dataset file of the session), and report the first failing statement as a
                ``dry-run-failed`` finding. Nothing is written to the session.
            postgres_version, assume_in_transaction: Instead of the settings of
                ``aether.toml`` (None: its own, or the defaults 16 and False).

        Raises:
            NotFound: no such session (or another tenant's), or nothing at ``path``.
            Invalid: no ``.sql`` file there, ``path`` is a link, ``aether.toml`` is
                malformed or names an unknown rule, an unknown dialect, a ``[lint.tables]``
                path that is no file of the session (or no readable dataset), or a migration
                that is not UTF-8.
        """
        ...
