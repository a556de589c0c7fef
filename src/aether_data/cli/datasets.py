"""``aether inspect SESSION PATH``: the profile of a session's dataset file (columns with
type, nulls, min, max and distinct count, then the first rows), embedded or through a server's
``DatasetsAPI``; and how ``aether diff`` shows what changed in a dataset file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import click

from aether_data.cli._app import cli, emit, json_option, pass_connection
from aether_data.cli._connect import Connection
from aether_data.cli.coordination import data
from aether_data.wire import Change
from aether_data.wire.datasets import (
    DatasetChangeSummary,
    DatasetDiffResult,
    DatasetDiffSummary,
    DatasetProfile,
    DatasetsAPI,
    DatasetSchemaDiff,
)

__all__ = ["data_line", "dataset_diff_text", "datasets_api", "inspect_command"]

_CELL = 40  # characters of a value a terminal table shows


def datasets_api(conn: Connection) -> DatasetsAPI:
    """The ``DatasetsAPI`` of a connection: the local one (the workspace's tenant), or the
    client."""
    if conn.services is not None:
        return conn.services.datasets_api(conn.api.tenant)  # type: ignore[attr-defined]
    return cast(DatasetsAPI, conn.client)


@cli.command("inspect")
@click.argument("session")
@click.argument("path")
@json_option
@pass_connection
def inspect_command(conn: Connection, session: str, path: str, as_json: bool) -> None:
    """Profile a dataset file of SESSION: Parquet, CSV/TSV, Arrow IPC/Feather or JSON Lines.

    Shows the row count, each column's type, null count, min, max and approximate distinct
    count, and the first rows. Computed once per file content, then kept.
    """
    profile = datasets_api(conn).inspect_dataset(session, path)
    emit(as_json, data(profile), profile_text(profile))


def profile_text(profile: DatasetProfile) -> str:
    """A profile for people: a heading, the columns as a table, then the preview."""
    parts = [_heading(profile), _table(_column_rows(profile))]
    if profile.preview:
        names = [column.name for column in profile.columns]
        shown = f"first {len(profile.preview)} of {profile.row_count} rows"
        rows = [[_cell(value, "NULL") for value in row] for row in profile.preview]
        parts.append(f"{shown}:\n{_table([names, *rows])}")
    return "\n\n".join(parts)


def _heading(profile: DatasetProfile) -> str:
    lines = [
        f"{profile.path}: {profile.format}, {profile.row_count} rows, "
        f"{len(profile.columns)} columns, {profile.size} bytes",
        f"id: {profile.id}",
    ]
    if (dialect := profile.dialect) is not None:
        lines.append(
            f"dialect: delimiter {_shown(dialect.delimiter)}, quote {_shown(dialect.quote)}, "
            f"escape {_shown(dialect.escape)}, header {'yes' if dialect.header else 'no'}"
        )
    return "\n".join(lines)


def _column_rows(profile: DatasetProfile) -> list[list[str]]:
    rows = [["column", "type", "nulls", "min", "max", "distinct"]]
    for column in profile.columns:
        rows.append(
            [
                column.name,
                column.type,
                str(column.null_count),
                _cell(column.min, "-"),
                _cell(column.max, "-"),
                f"~{column.distinct_count}",
            ]
        )
    return rows


def _shown(character: str) -> str:
    return json.dumps(character) if character else "none"


def _cell(value: Any, missing: str) -> str:
    if value is None:
        return missing
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def _table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns (the last one unpadded)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    )


# ---------------------------------------------------------------------------- diffs
def dataset_diff_text(result: DatasetDiffResult) -> str:
    """A dataset diff for people: the key and counts, schema changes, then the rows shown."""
    lines = [f"{result.path}: {_key_text(result)}", *_summary_lines(result.summary)]
    lines += _schema_lines(result.schema)
    if result.rows:
        names = list(result.rows[0])
        cells = [[_row_cell(name, row.get(name)) for name in names] for row in result.rows]
        lines += ["", _table([names, *cells])]
        if (more := result.total_rows - result.offset - len(result.rows)) > 0:
            lines.append(f"... {more} more rows")
    return "\n".join(lines)


def data_line(change: Change) -> str | None:
    """The line a tree diff shows under a changed dataset file: row counts and schema
    changes (``data: +12 -3 ~40 rows; columns: +discount``), or why it was not compared."""
    if change.dataset_error is not None:
        return f"  data: not compared: {change.dataset_error}"
    found = change.dataset
    if found is None:
        return None
    s = found.summary
    parts = [f"+{s.added} -{s.removed} ~{s.changed} rows" + _keyless(found)]
    if columns := _column_changes(found.schema):
        parts.append("columns: " + ", ".join(columns))
    left_out = _left_out(s)
    if left_out:
        parts.append(f"{left_out} rows left out (NULL or repeated key)")
    return "  data: " + "; ".join(parts)


def _keyless(found: DatasetChangeSummary) -> str:
    return "" if found.key else " (whole rows compared)"


def _key_text(result: DatasetDiffResult) -> str:
    if not result.key:
        return "no key, whole rows compared"
    return f"key {', '.join(result.key)} ({result.key_source})"


def _left_out(summary: DatasetDiffSummary) -> int:
    return sum(
        k.null_rows + k.duplicate_rows + k.other_side_rows
        for k in (summary.keys_before, summary.keys_after)
    )


def _summary_lines(s: DatasetDiffSummary) -> list[str]:
    lines = [
        f"rows: {s.rows_before} -> {s.rows_after}; added {s.added}, removed {s.removed}, "
        f"changed {s.changed}, unchanged {s.unchanged}"
    ]
    if cells := {column: n for column, n in s.changed_cells.items() if n}:
        lines.append("changed cells: " + ", ".join(f"{c} {n}" for c, n in cells.items()))
    for side, k in (("before", s.keys_before), ("after", s.keys_after)):
        if k.null_rows + k.duplicate_rows + k.other_side_rows:
            lines.append(
                f"{side}: left out {k.null_rows} rows with a NULL key, {k.duplicate_keys} "
                f"repeated keys ({k.duplicate_rows} rows), {k.other_side_rows} rows whose key "
                "the other side repeats"
            )
    if s.skipped_row_groups:
        lines.append(f"{s.skipped_row_groups} equal Parquet row groups skipped unread")
    return lines


def _schema_lines(schema: DatasetSchemaDiff) -> list[str]:
    lines = []
    for label, names in (("columns added", schema.added), ("columns dropped", schema.dropped)):
        if names:
            lines.append(f"{label}: " + ", ".join(names))
    if schema.renamed:
        lines.append(
            "columns renamed: " + ", ".join(f"{r.from_} -> {r.to}" for r in schema.renamed)
        )
    if schema.type_changed:
        changed = (f"{t.name} {t.from_} -> {t.to}" for t in schema.type_changed)
        lines.append("types changed: " + ", ".join(changed))
    if schema.reordered:
        lines.append("columns reordered")
    return lines


def _column_changes(schema: DatasetSchemaDiff) -> list[str]:
    return [
        *(f"+{name}" for name in schema.added),
        *(f"-{name}" for name in schema.dropped),
        *(f"{r.from_}->{r.to}" for r in schema.renamed),
        *(f"{t.name} {t.from_}->{t.to}" for t in schema.type_changed),
        *(["reordered"] if schema.reordered else []),
    ]


def _row_cell(name: str, value: Any) -> str:
    if name == "_changed" and isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return _cell(value, "NULL")
