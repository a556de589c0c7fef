"""Rendering a dataset diff: JSON-able values, a terminal text, HTML for notebooks."""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from typing import Any

__all__ = ["render_html", "render_text", "to_jsonable"]

_CELL = 40


def to_jsonable(value: Any) -> Any:
    """A value of a dataset as JSON holds it, exactly: times as ISO 8601 text, decimals and
    UUIDs as text, bytes as base64, durations in seconds, NaN and infinities as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return str(value)  # Decimal, UUID, ...: their text is exact


def _summary_lines(result: Any) -> list[str]:
    s = result.summary
    key = ", ".join(result.key) if result.key else "none (whole rows compared)"
    lines = [
        f"key: {key} ({result.key_source})",
        f"rows: {s.rows_before} -> {s.rows_after}; added {s.added}, removed {s.removed}, "
        f"changed {s.changed}, unchanged {s.unchanged}",
    ]
    if cells := {c: n for c, n in s.changed_cells.items() if n}:
        lines.append("changed cells: " + ", ".join(f"{c} {n}" for c, n in cells.items()))
    for side, issues in (("before", s.keys_before), ("after", s.keys_after)):
        if issues.excluded_rows:
            lines.append(
                f"{side}: {issues.null_rows} rows with a NULL key, {issues.duplicate_keys} "
                f"duplicate keys ({issues.duplicate_rows} rows) left out"
            )
    if s.skipped_row_groups:
        lines.append(f"{s.skipped_row_groups} equal Parquet row groups skipped")
    return lines + _schema_lines(result.schema)


def _schema_lines(schema: Any) -> list[str]:
    lines = []
    if schema.added:
        lines.append("columns added: " + ", ".join(schema.added))
    if schema.dropped:
        lines.append("columns dropped: " + ", ".join(schema.dropped))
    if schema.renamed:
        lines.append("columns renamed: " + ", ".join(f"{o} -> {n}" for o, n in schema.renamed))
    if schema.type_changed:
        changed = ", ".join(f"{n} {o} -> {t}" for n, o, t in schema.type_changed)
        lines.append("types changed: " + changed)
    if schema.reordered:
        lines.append("columns reordered")
    return lines


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(to_jsonable(value))
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def render_text(result: Any, table: Any) -> str:
    """Summary lines, then the rows as an aligned table."""
    lines = _summary_lines(result)
    if table.num_rows:
        names = table.column_names
        rows = [[_cell(v) for v in row.values()] for row in table.to_pylist()]
        widths = [max(len(n), *(len(r[i]) for r in rows)) for i, n in enumerate(names)]
        lines.append("")
        lines.append("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        shown = result.summary_rows()
        if shown > table.num_rows:
            lines.append(f"... {shown - table.num_rows} more rows")
    return "\n".join(lines)


def render_html(result: Any, table: Any) -> str:
    """An HTML block: summary, schema changes, the first rows with changed cells marked."""
    parts = ["<div class='aether-dataset-diff'>"]
    parts += [f"<p>{html.escape(line)}</p>" for line in _summary_lines(result)]
    if table.num_rows:
        head = "".join(f"<th>{html.escape(n)}</th>" for n in table.column_names)
        body = []
        for row in table.to_pylist():
            changed = set(row.get("_changed") or ())
            cells = []
            for name, value in row.items():
                column = name.partition(".")[2]
                style = " style='background:#fff3c4'" if column in changed else ""
                cells.append(f"<td{style}>{html.escape(_cell(value))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    parts.append("</div>")
    return "".join(parts)
