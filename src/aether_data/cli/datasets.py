"""``aether inspect SESSION PATH``: the profile of a session's dataset file (columns with
type, nulls, min, max and distinct count, then the first rows), embedded or through a server's
``DatasetsAPI``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import click

from aether_data.cli._app import cli, emit, json_option, pass_connection
from aether_data.cli._connect import Connection
from aether_data.cli.coordination import data
from aether_data.wire.datasets import DatasetProfile, DatasetsAPI

__all__ = ["datasets_api", "inspect_command"]

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
