"""Diff two versions of a dataset: schema, then rows by key, in DuckDB (out of core).

    with diff("before.parquet", "after.parquet", key=["id"]) as result:
        result.summary.changed, result.summary.changed_cells
        result.rows()            # pyarrow.Table of the changed rows, before and after

Rows are matched by a key: the one given, else one inferred (a column, or pair, unique and
never NULL on both sides). Rows whose key is NULL or repeated are left out and counted
(``KeyIssues``), never joined many-to-many. Without any key, rows are compared whole, with
multiplicity. Columns are compared NULL-safe, in a common type when their types differ, and
within a tolerance where one is given (|before - after| <= abs + rel * |after|, as
``numpy.isclose`` and datacompy). Parquet row groups that are the same bytes on both sides are
skipped without decoding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aether_data.errors import Invalid

from ._keys import KeyIssues, check_key, infer_key, key_issues, read_key_column
from ._narrow import Hashed, narrow
from ._render import render_html, render_text, to_jsonable
from ._row_groups import plan_row_groups, read_groups, register_row_groups
from ._schema_diff import SchemaDiff, common_type, compare_schemas
from ._sql import describe, one, quote, run, scalar
from .formats import DatasetFormat, connect, register

__all__ = ["DatasetDiff", "DiffSummary", "KeyIssues", "SchemaDiff", "Tolerance", "diff"]

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
HASH_FILTER_MIN_ROWS = 1_000_000  # fewer rows left after skipping row groups: join them whole


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far apart two numbers of a column may be and still count as equal:
    ``|before - after| <= abs + rel * |after|``."""

    abs: float = 0.0
    rel: float = 0.0

    def __post_init__(self) -> None:
        if not (self.abs >= 0 and self.rel >= 0):
            raise Invalid(f"a tolerance is not negative (abs={self.abs}, rel={self.rel})")


@dataclass(frozen=True, slots=True)
class DiffSummary:
    """Counts of a dataset diff; they agree with the detail rows (``DatasetDiff.rows``)."""

    rows_before: int
    rows_after: int
    added: int
    removed: int
    changed: int
    unchanged: int
    changed_cells: dict[str, int] = field(default_factory=dict)
    keys_before: KeyIssues = field(default_factory=KeyIssues)
    keys_after: KeyIssues = field(default_factory=KeyIssues)
    skipped_row_groups: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        issues = {
            side: {
                "null_rows": k.null_rows,
                "duplicate_keys": k.duplicate_keys,
                "duplicate_rows": k.duplicate_rows,
                "other_side_rows": k.other_side_rows,
                "examples": [list(map(to_jsonable, e)) for e in k.examples],
            }
            for side, k in (("before", self.keys_before), ("after", self.keys_after))
        }
        counts = ("rows_before", "rows_after", "added", "removed", "changed", "unchanged")
        return {name: getattr(self, name) for name in counts} | {
            "changed_cells": dict(self.changed_cells),
            "key_issues": issues,
            "skipped_row_groups": self.skipped_row_groups,
        }


class DatasetDiff:
    """The result of ``diff``: ``schema``, ``summary``, ``key`` and the changed rows, kept in
    a DuckDB table until ``close()`` (a context manager closes it too). ``hash_filtered``:
    whether pairs of rows whose values hash alike were left out unread (see ``diff``)."""

    def __init__(
        self,
        con: Any,
        *,
        schema: SchemaDiff,
        summary: DiffSummary,
        key: tuple[str, ...] | None,
        key_source: str,
        scratch: str | None,
        hash_filtered: bool = False,
    ) -> None:
        self._con = con
        self.hash_filtered = hash_filtered
        self.schema = schema
        self.summary = summary
        self.key = key
        self.key_source = key_source
        self._scratch = scratch

    # ------------------------------------------------------------------- the detail
    def rows(self, offset: int = 0, limit: int | None = None) -> Any:
        """Changed rows ordered by key, as a ``pyarrow.Table``: ``_change`` (added, removed,
        changed), ``_changed`` (the columns that differ), the key columns, then
        ``before.<column>`` and ``after.<column>`` for each compared column. Without a key:
        ``_change``, ``_count`` (how many copies) and the columns."""
        return self._page(offset, limit).to_arrow_table()

    def batches(self, batch_size: int = 65536) -> Any:
        """The changed rows as a ``pyarrow.RecordBatchReader``, streamed in order."""
        return self._page(0, None).to_arrow_reader(batch_size)

    def _page(self, offset: int, limit: int | None) -> Any:
        if offset < 0 or (limit is not None and limit < 0):
            raise Invalid("offset and limit are not negative")
        # Not by rowid: a dataset column of that name would hide it.
        page = "" if limit is None else f" LIMIT {limit}"
        return self._con.sql(f"SELECT * FROM detail{page} OFFSET {offset}")

    def write(self, path: str | os.PathLike[str], format: str = "parquet") -> None:
        """Write the changed rows to ``path`` as ``parquet``, ``arrow`` (IPC file), ``csv``
        or ``json`` (lines)."""
        target = os.fspath(path)
        if format == "arrow":
            import pyarrow as pa  # noqa: PLC0415 - heavy

            reader = self.batches()
            with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, reader.schema) as out:
                for batch in reader:
                    out.write_batch(batch)
            return
        options = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER", "json": "FORMAT json"}
        if format not in options:
            raise Invalid(f"write parquet, arrow, csv or json, not {format!r}")
        select = "SELECT * FROM detail"
        run(self._con, f"COPY ({select}) TO {_string(target)} ({options[format]})")

    # ------------------------------------------------------------------- rendering
    def to_dict(self, limit: int = 100) -> dict[str, Any]:
        """Key, schema, summary and the first ``limit`` changed rows, JSON-able."""
        table = self.rows(0, limit)
        return {
            "key": list(self.key) if self.key else None,
            "key_source": self.key_source,
            "schema": self.schema.to_dict(),
            "summary": self.summary.to_dict(),
            "rows": [{k: to_jsonable(v) for k, v in row.items()} for row in table.to_pylist()],
            "truncated": self.summary_rows() > limit,
        }

    def summary_rows(self) -> int:
        """How many detail rows there are."""
        return scalar(self._con, "SELECT count(*) FROM detail")

    def to_text(self, limit: int = 20) -> str:
        """A terminal rendering: summary, schema changes, the first ``limit`` rows."""
        return render_text(self, self.rows(0, limit))

    def to_html(self, limit: int = 50) -> str:
        """An HTML rendering: summary, schema changes, the first ``limit`` rows with the
        changed cells marked."""
        return render_html(self, self.rows(0, limit))

    def _repr_html_(self) -> str:
        return self.to_html()

    # ------------------------------------------------------------------- lifetime
    def share(self) -> DatasetDiff:
        """Another handle on this result, for use from another thread at the same time: it
        reads the detail through a DuckDB cursor of its own, and closing it closes only that
        cursor. Keep this one open while its shares are in use."""
        if self._con is None:
            raise Invalid("this dataset diff is closed")
        return DatasetDiff(
            self._con.cursor(),
            schema=self.schema,
            summary=self.summary,
            key=self.key,
            key_source=self.key_source,
            scratch=None,
            hash_filtered=self.hash_filtered,
        )

    def close(self) -> None:
        """Drop the detail and the connection (and any spilled files)."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> DatasetDiff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at exit the modules may be gone already
            self.close()


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------- the diff
def diff(
    before: str | os.PathLike[str],
    after: str | os.PathLike[str],
    *,
    key: Sequence[str] | str | None = None,
    tolerance: Mapping[str, Tolerance | float] | None = None,
    format_before: DatasetFormat | str | None = None,
    format_after: DatasetFormat | str | None = None,
    memory_limit: str | None = "2GB",
    threads: int | None = None,
    skip_equal_row_groups: bool = True,
    hash_filter: bool = True,
    names: tuple[str, str] | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> DatasetDiff:
    """Compare two dataset files (local paths).

    Args:
        before, after: the two versions: Parquet, CSV, Arrow IPC/Feather or JSON Lines.
        key: column(s) that identify a row on both sides; None infers one (or none).
        tolerance: per column, a ``Tolerance`` or a number (an absolute tolerance).
        format_before, format_after: the formats, when the suffixes do not say.
        memory_limit: DuckDB's memory limit; the keyed join spills to disk beyond it.
        threads: DuckDB threads (default: one per core).
        skip_equal_row_groups: leave out Parquet row groups that are equal bytes on both
            sides.
        hash_filter: join the rows' keys and 64-bit hashes of their values first, and
            compare value by value only the rows whose hashes differ (far less to join when
            few rows changed); False compares every row's values. Not with repeated keys.
        names: what error messages call the two files (default: their paths), such as
            ``("main:data/t.parquet", "s-1:data/t.parquet")`` for copies in a scratch folder.
        temp_directory: where the join spills past ``memory_limit`` (a new folder inside
            it, removed on ``close``); default: the system's temporary folder.

    Raises:
        Invalid: a file cannot be read as its format, a key column is missing, a tolerance is
            for an unknown or non-numeric column.
    """
    where = os.fspath(temp_directory) if temp_directory is not None else None
    scratch = tempfile.mkdtemp(prefix="aether-diff-", dir=where)
    con = connect(memory_limit=memory_limit, threads=threads, temp_directory=scratch)
    try:
        return _Diff(con, before, after, scratch, names, hash_filter=hash_filter).run(
            key=key,
            tolerance=tolerance,
            formats=(_format(format_before), _format(format_after)),
            skip=skip_equal_row_groups,
        )
    except BaseException:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _format(value: DatasetFormat | str | None) -> DatasetFormat | None:
    if value is None or isinstance(value, DatasetFormat):
        return value
    try:
        return DatasetFormat(value)
    except ValueError:
        known = ", ".join(f.value for f in DatasetFormat)
        raise Invalid(f"unknown dataset format {value!r}; formats: {known}") from None


class _Diff:
    """One run of ``diff``: the steps share the connection and the two paths."""

    def __init__(self, con: Any, before: Any, after: Any, scratch: str, names, *, hash_filter):
        self.con, self.scratch = con, scratch
        self.paths = (os.fspath(before), os.fspath(after))
        self.names = names or self.paths
        self.plan = None  # the row groups to read, when some are skipped
        self.hash_filter = hash_filter
        self.hash_filtered = False

    def run(self, *, key, tolerance, formats, skip: bool) -> DatasetDiff:
        try:
            return self._run(key=key, tolerance=tolerance, formats=formats, skip=skip)
        except _failures() as exc:
            # A scan can fail deep into a file (a ragged line, a corrupt row group).
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            for path, name in zip(self.paths, self.names, strict=True):
                reason = reason.replace(path, name)
            raise Invalid(f"cannot diff {self.names[0]} and {self.names[1]}: {reason}") from exc

    def _run(self, *, key, tolerance, formats, skip: bool) -> DatasetDiff:
        con = self.con
        fmt_a = register(con, "a_all", self.paths[0], formats[0], name=self.names[0])
        fmt_b = register(con, "b_all", self.paths[1], formats[1], name=self.names[1])
        self.formats = (fmt_a, fmt_b)
        cols_a, cols_b = describe(con, "a_all"), describe(con, "b_all")
        run(con, "CREATE VIEW a AS SELECT * FROM a_all")
        run(con, "CREATE VIEW b AS SELECT * FROM b_all")
        schema = compare_schemas(con, cols_a, cols_b)
        chosen, source = self._key(key, cols_a, cols_b)
        tolerances = _tolerances(tolerance, schema)
        with ThreadPoolExecutor(1) as pool:
            # Reading before's key column overlaps comparing the row groups' bytes.
            self.first_key = pool.submit(self._first_key_column, chosen)
            skipped = self._skip_row_groups() if skip else (0, 0)
            if chosen is None:
                summary = self._keyless(schema, skipped)
            else:
                summary = self._keyed(schema, chosen, tolerances, skipped)
        _drop_working_tables(con)
        return DatasetDiff(
            con,
            schema=schema,
            summary=summary,
            key=chosen,
            key_source=source,
            scratch=self.scratch,
            hash_filtered=self.hash_filtered,
        )

    def _key(self, key, cols_a, cols_b) -> tuple[tuple[str, ...] | None, str]:
        if key is not None:
            chosen = (key,) if isinstance(key, str) else tuple(key)
            check_key(chosen, cols_a, cols_b)
            return chosen, "given"
        inferred = infer_key(self.con, cols_a, cols_b)
        return (inferred, "inferred") if inferred else (None, "none")

    def _first_key_column(self, key: tuple[str, ...] | None) -> Any:
        if key is None or len(key) != 1:
            return None
        return read_key_column(self.paths[0], self.formats[0], key[0])

    def _key_columns(self, key: tuple[str, ...]) -> tuple[Any, Any]:
        """The one key column of each side in file order, read once (None: not so read)."""
        before = self.first_key.result()
        if before is None:
            return None, None  # after's is read by key_issues, if it can be
        if self.plan is None:
            return before, read_key_column(self.paths[1], self.formats[1], key[0])
        after = self.plan.after_column(
            before, lambda groups: read_groups(self.paths[1], key[0], groups)
        )
        return before, after

    def _skip_row_groups(self) -> tuple[int, int]:
        self.plan = None
        if self.formats != (DatasetFormat.PARQUET, DatasetFormat.PARQUET):
            return 0, 0
        plan = self.plan = plan_row_groups(*self.paths)
        if plan is None:
            return 0, 0
        for view, path, groups in (
            ("a", self.paths[0], plan.keep_before),
            ("b", self.paths[1], plan.keep_after),
        ):
            register_row_groups(self.con, f"{view}_groups", path, groups)
            run(self.con, f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {view}_groups")
        return plan.skipped, plan.skipped_rows

    # ------------------------------------------------------------------- keyed
    def _keyed(self, schema, key, tolerances, skipped) -> DiffSummary:
        con = self.con
        types = {c.name: c.type for c in schema.before}, {c.name: c.type for c in schema.after}
        pairs = [p for p in schema.pairs() if p[1] not in key]
        issues = self._key_issues(key)
        key_types = {k: common_type(con, types[0][k], types[1][k]) for k in key}
        self.hash_filtered = self._hash_filter(key_types, pairs, types, issues)
        issues = self._exclude_repeated_keys(key_types, issues)
        sides = [
            self._usable(v, key_types, bool(issues[0].duplicate_keys or issues[1].duplicate_keys))
            for v in "ab"
        ]
        join = " AND ".join(
            f"{_cast(f'a.{quote(k)}', t)} = {_cast(f'b.{quote(k)}', t)}"
            for k, t in key_types.items()
        )
        compares = [
            (
                new,
                _differs(
                    con, old, new, types=(types[0][old], types[1][new]), tol=tolerances.get(new)
                ),
            )
            for old, new in pairs
        ]
        changed_list = (
            "list_filter(["
            + ", ".join(f"CASE WHEN {cond} THEN {_string(new)} END" for new, cond in compares)
            + "], lambda x: x IS NOT NULL)"
            if compares
            else "[]::VARCHAR[]"
        )
        any_change = " OR ".join(f"({cond})" for _, cond in compares) or "false"
        key_out = ", ".join(f"coalesce(a.{quote(k)}, b.{quote(k)}) AS {quote(k)}" for k in key)
        values = ", ".join(
            f"a.{quote(old)} AS {quote('before.' + new)}, b.{quote(new)} AS {quote('after.' + new)}"
            for old, new in pairs
        )
        _detail(
            con,
            f"""SELECT CASE WHEN a.__present IS NULL THEN '{ADDED}'
                        WHEN b.__present IS NULL THEN '{REMOVED}' ELSE '{CHANGED}' END AS _change,
                   CASE WHEN a.__present AND b.__present THEN {changed_list}
                        ELSE []::VARCHAR[] END AS _changed,
                   {key_out}{", " + values if values else ""}
            FROM ({sides[0]}) a FULL OUTER JOIN ({sides[1]}) b ON {join}
            WHERE a.__present IS NULL OR b.__present IS NULL OR {any_change}""",
            order=", ".join(quote(k) for k in key) + ", _change",
        )
        return self._keyed_summary([new for new, _ in compares], issues, skipped)

    def _key_issues(self, key: tuple[str, ...]) -> list[KeyIssues]:
        columns = self._key_columns(key)
        return [
            key_issues(self.con, f"{v}_all", key, path, fmt, column=column)
            for v, path, fmt, column in zip("ab", self.paths, self.formats, columns, strict=True)
        ]

    def _hash_filter(self, key_types, pairs, types, issues) -> bool:
        """Narrow views ``a`` and ``b`` to the rows that may differ (see ``_narrow``), when
        asked to and the keys are not repeated: True if they were."""
        if not self.hash_filter or any(i.duplicate_keys for i in issues):
            return False
        if self.plan is not None and _kept_rows(self.plan) < HASH_FILTER_MIN_ROWS:
            return False  # equal row groups left few rows: joining them whole is quicker
        hashed: tuple[Hashed, Hashed] = ([], [])
        for old, new in pairs:
            common = common_type(self.con, types[0][old], types[1][new])
            for side, name in ((0, old), (1, new)):
                hashed[side].append((name, None if types[side][name] == common else common))
        return narrow(self.con, key_types, hashed)

    def _exclude_repeated_keys(
        self, key_types: dict[str, str], issues: list[KeyIssues]
    ) -> list[KeyIssues]:
        """Leave a key repeated on either side out on both (tables ``bad_keys``), and count
        the rows each side loses for the other's repeats."""
        if not any(i.duplicate_keys for i in issues):
            return issues
        con = self.con
        cast = ", ".join(f"CAST({quote(k)} AS {t}) AS {quote(k)}" for k, t in key_types.items())
        not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in key_types)
        cols = ", ".join(quote(k) for k in key_types)
        for v in "ab":
            run(
                con,
                f"CREATE TEMP TABLE {v}_dups AS SELECT {cast} FROM {v}_all WHERE {not_null} "
                f"GROUP BY ALL HAVING count(*) > 1",
            )
        run(con, "CREATE TEMP TABLE bad_keys AS SELECT * FROM a_dups UNION SELECT * FROM b_dups")
        counted = []
        for v, other, found in (("a", "b", issues[0]), ("b", "a", issues[1])):
            lost = scalar(
                con,
                f"SELECT count(*) FROM (SELECT {cast} FROM {v}_all WHERE {not_null}) "
                f"SEMI JOIN {other}_dups USING ({cols}) ANTI JOIN {v}_dups USING ({cols})",
            )
            counted.append(dataclasses.replace(found, other_side_rows=lost))
        return counted

    def _usable(self, view: str, key_types: dict[str, str], repeats: bool) -> str:
        """The rows of a side that take part: key not NULL, and not repeated on either side."""
        not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in key_types)
        query = f"SELECT *, true AS __present FROM {view} WHERE {not_null}"
        if repeats:
            on = " AND ".join(
                f"CAST(s.{quote(k)} AS {t}) = bad_keys.{quote(k)}" for k, t in key_types.items()
            )
            query = f"SELECT * FROM ({query}) s ANTI JOIN bad_keys ON {on}"
        return query

    def _keyed_summary(self, columns: list[str], issues: list[KeyIssues], skipped) -> DiffSummary:
        con = self.con
        cells = "".join(
            f", count(*) FILTER (WHERE list_contains(_changed, {_string(c)}))" for c in columns
        )
        row = one(
            con,
            f"SELECT count(*) FILTER (WHERE _change = '{ADDED}'),"
            f" count(*) FILTER (WHERE _change = '{REMOVED}'),"
            f" count(*) FILTER (WHERE _change = '{CHANGED}'){cells} FROM detail",
        )
        added, removed, changed = row[:3]
        rows_a = scalar(con, "SELECT count(*) FROM a_all")
        rows_b = scalar(con, "SELECT count(*) FROM b_all")
        matched = rows_a - issues[0].excluded_rows - removed
        return DiffSummary(
            rows_before=rows_a,
            rows_after=rows_b,
            added=added,
            removed=removed,
            changed=changed,
            unchanged=matched - changed,
            changed_cells=dict(zip(columns, row[3:], strict=True)),
            keys_before=issues[0],
            keys_after=issues[1],
            skipped_row_groups=skipped[0],
        )

    # ------------------------------------------------------------------- keyless
    def _keyless(self, schema: SchemaDiff, skipped) -> DiffSummary:
        con = self.con
        types = {c.name: c.type for c in schema.before}, {c.name: c.type for c in schema.after}
        pairs = schema.pairs()
        if not pairs:
            raise Invalid("the two versions share no column; there is nothing to compare")
        common = [common_type(con, types[0][o], types[1][n]) for o, n in pairs]
        side_a = ", ".join(
            f"{_cast(quote(o), t)} AS {quote(n)}" for (o, n), t in zip(pairs, common, strict=True)
        )
        side_b = ", ".join(
            f"{_cast(quote(n), t)} AS {quote(n)}" for (o, n), t in zip(pairs, common, strict=True)
        )
        names = [n for _, n in pairs]
        on = " AND ".join(f"ga.{quote(n)} IS NOT DISTINCT FROM gb.{quote(n)}" for n in names)
        out = ", ".join(f"coalesce(ga.{quote(n)}, gb.{quote(n)}) AS {quote(n)}" for n in names)
        _detail(
            con,
            f"""WITH ga AS (SELECT {side_a}, count(*) AS __n FROM a GROUP BY ALL),
                 gb AS (SELECT {side_b}, count(*) AS __n FROM b GROUP BY ALL)
            SELECT CASE WHEN coalesce(ga.__n, 0) > coalesce(gb.__n, 0) THEN '{REMOVED}'
                        ELSE '{ADDED}' END AS _change,
                   abs(coalesce(ga.__n, 0) - coalesce(gb.__n, 0)) AS _count, {out}
            FROM ga FULL OUTER JOIN gb ON {on}
            WHERE coalesce(ga.__n, 0) <> coalesce(gb.__n, 0)""",
            order="_change, " + ", ".join(quote(n) for n in names),
        )
        added, removed = one(
            con,
            f"SELECT coalesce(sum(_count) FILTER (WHERE _change = '{ADDED}'), 0),"
            f" coalesce(sum(_count) FILTER (WHERE _change = '{REMOVED}'), 0) FROM detail",
        )
        rows_a = scalar(con, "SELECT count(*) FROM a_all")
        rows_b = scalar(con, "SELECT count(*) FROM b_all")
        return DiffSummary(
            rows_before=rows_a,
            rows_after=rows_b,
            added=int(added),
            removed=int(removed),
            changed=0,
            unchanged=rows_a - int(removed),
            skipped_row_groups=skipped[0],
        )


def _detail(con: Any, select: str, *, order: str) -> None:
    """Table ``detail``: the rows of ``select`` stored in ``order``. Insertion order is kept
    from here on, so pages, the stream and written files read the rows in that order with no
    sort."""
    run(con, "SET preserve_insertion_order = true")  # from here on: only the detail is read
    # Not a temporary table: shares (``DatasetDiff.share``) read it through cursors of their own.
    run(con, f"CREATE TABLE detail AS {select} ORDER BY {order}")


def _drop_working_tables(con: Any) -> None:
    """Free the steps' temporary tables: a kept result holds only its detail."""
    names = run(con, "SELECT table_name FROM duckdb_tables() WHERE temporary")
    for (name,) in names:
        run(con, f"DROP TABLE IF EXISTS temp.{quote(name)}")


def _kept_rows(plan: Any) -> int:
    """Rows of before left to compare once equal row groups are skipped."""
    return sum(plan.rows_before) - plan.skipped_rows


def _failures() -> tuple[type[BaseException], ...]:
    import duckdb  # noqa: PLC0415 - heavy
    import pyarrow as pa  # noqa: PLC0415

    return (duckdb.Error, pa.ArrowException, OSError)


def _cast(expr: str, type_name: str) -> str:
    return f"CAST({expr} AS {type_name})"


def _differs(con: Any, old: str, new: str, *, types: tuple[str, str], tol: Tolerance | None) -> str:
    """SQL that is true when ``a.old`` and ``b.new`` differ (NULL-safe)."""
    type_a, type_b = types
    common = common_type(con, type_a, type_b)
    left, right = _cast(f"a.{quote(old)}", common), _cast(f"b.{quote(new)}", common)
    if common == type_a == type_b:
        left, right = f"a.{quote(old)}", f"b.{quote(new)}"
    if tol is None:
        return f"{left} IS DISTINCT FROM {right}"
    lx, rx = f"CAST({left} AS DOUBLE)", f"CAST({right} AS DOUBLE)"
    close = f"({lx} = {rx} OR abs({lx} - {rx}) <= {tol.abs!r} + {tol.rel!r} * abs({rx}))"
    return (
        f"({left} IS NULL) <> ({right} IS NULL) OR "
        f"({left} IS NOT NULL AND {right} IS NOT NULL AND NOT {close})"
    )


_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "DECIMAL",
)


def _tolerances(
    given: Mapping[str, Tolerance | float] | None, schema: SchemaDiff
) -> dict[str, Tolerance]:
    """Tolerances by (after-side) column name, checked against the schema."""
    types = {c.name: c.type for c in schema.after}
    out: dict[str, Tolerance] = {}
    for name, value in (given or {}).items():
        if name not in types:
            raise Invalid(f"tolerance for unknown column {name!r} (columns: {', '.join(types)})")
        if not types[name].upper().startswith(_NUMERIC):
            raise Invalid(
                f"tolerance for column {name!r} of type {types[name]}: only numbers have one"
            )
        out[name] = value if isinstance(value, Tolerance) else Tolerance(abs=float(value))
    return out
