"""Benchmark: keyed diff of two versions of a Parquet dataset, against datacompy and DuckDB.

Generates (once, cached under ``--workdir``) a dataset A of ``--rows`` rows x 10 columns (key
``id`` int64 ascending; int, float, string, date and timestamp columns, some with NULLs) in 100
row groups, and two new versions of it:

* ``B``: 1% of the rows updated (1 or 2 cells each), spread over every row group, plus 0.01%
  of the rows inserted and as many deleted;
* ``B'`` (``b_local``): every change in 1 of the 100 row groups (10% of its rows updated,
  0.1% inserted and as many deleted); the other 99 row groups' column chunks are byte for
  byte A's (both files are written with the same writer settings; checked from the footer).

Then, for B and for B', it runs each contender in a fresh subprocess (peak RSS is that
process's own, from ``wait4``) and times the work in it, imports excluded:

* ``ours``: ``aether_data.datasets.diff(A, B, key=["id"])``, the counts from ``.summary`` and
  the changed rows materialized with ``.rows()``;
* ``datacompy``: both files read with polars, ``datacompy.PolarsCompare`` on ``id``, its
  counts, and ``all_mismatch()`` (the changed rows, as ``.rows()`` gives them);
* ``duckdb``: one hand-written FULL OUTER JOIN of ``read_parquet(A)`` and ``read_parquet(B)``
  on ``id`` with ``IS DISTINCT FROM`` on every other column, the changed rows fetched to Arrow.

It checks that every contender's counts (rows only in A, only in B, rows with a difference,
differing cells per column) agree with each other and with what the generator changed, and
prints the ratios the issue sets as targets. Exits 0 whatever the numbers.

Run::

    python bench/dataset_diff.py                    # 10M rows, best of 3 (datacompy: 1)
    python bench/dataset_diff.py --rows 1000000     # a quick look
    python bench/dataset_diff.py --skip datacompy   # without the slow peer
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

GENERATOR_VERSION = 1
ROW_GROUPS = 100
KEY = "id"
COLUMNS = ["qty", "amount", "price", "name", "category", "note", "created", "updated", "version"]
CATEGORIES = [f"category-{i:02d}" for i in range(20)]
CONTENDERS = ["ours", "datacompy", "duckdb"]
SCENARIOS = {"B": "b.parquet", "B'": "b_local.parquet"}
GIB = 1024**3
SIDES = ("before", "after")

# -- generation ----------------------------------------------------------------------------


def strings(prefix: str, numbers: np.ndarray, suffix: str = "") -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), suffix, "")


def make_rows(ids: np.ndarray, rng: np.random.Generator) -> dict[str, pa.Array]:
    """Columns for the given ids: pseudo-random values, drawn from ``rng``."""
    n = len(ids)
    price = rng.uniform(1, 1000, n).round(2)
    version = rng.integers(1, 50, n)
    note_null = rng.random(n) < 0.3
    return {
        KEY: pa.array(ids, pa.int64()),
        "qty": pa.array(rng.integers(0, 1000, n, dtype=np.int32)),
        "amount": pa.array(rng.normal(100, 50, n).round(4)),
        "price": pa.array(price, mask=rng.random(n) < 0.05),
        "name": strings("customer-", rng.integers(0, 1_000_000, n)),
        "category": pa.array(CATEGORIES).take(pa.array(rng.integers(0, len(CATEGORIES), n))),
        "note": pc.if_else(
            pa.array(note_null),
            pa.nulls(n, pa.string()),
            strings("order ", rng.integers(0, 10**9, n), " shipped"),
        ),
        "created": pa.array(rng.integers(15_000, 20_000, n).astype(np.int32), pa.date32()),
        "updated": pa.array(
            1_600_000_000_000_000 + rng.integers(0, 126_000_000_000_000, n), pa.timestamp("us")
        ),
        "version": pa.array(version, mask=rng.random(n) < 0.02),
    }


def row_group(rows: int, index: int, seed: int) -> pa.Table:
    """Row group ``index`` of A: ids ``2 * row`` (odd ids are free for inserts)."""
    per_group = rows // ROW_GROUPS
    start = index * per_group
    stop = rows if index == ROW_GROUPS - 1 else start + per_group
    rng = np.random.default_rng([seed, index])
    return pa.table(make_rows(np.arange(start, stop, dtype=np.int64) * 2, rng))


def changed_column(name: str, values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Every value of ``values`` changed into another one (NULL to a value and back too)."""
    n = len(values)
    match name:
        case "qty":
            return pc.add(values, pa.scalar(1, pa.int32()))
        case "amount":
            return pc.add(values, 0.25)
        case "price":
            to_null = pa.array(rng.random(n) < 0.3)
            grown = pc.fill_null(pc.multiply(values, 1.1), 9.99)
            return pc.if_else(
                pc.and_(to_null, pc.is_valid(values)), pa.nulls(n, pa.float64()), grown
            )
        case "name":
            return pc.binary_join_element_wise(values, "*", "")
        case "category":
            index = pc.index_in(values, pa.array(CATEGORIES))
            return pa.array(CATEGORIES).take(pc.add(index, 1).to_numpy() % len(CATEGORIES))
        case "note":
            return pc.fill_null(pc.binary_join_element_wise(values, " (edited)", ""), "new note")
        case "created":
            days = pc.cast(values, pa.int32())
            return pc.cast(pc.add(days, pa.scalar(1, pa.int32())), pa.date32())
        case "updated":
            return pc.add(values, pa.scalar(1_000_000, pa.duration("us")))
        case "version":
            return pc.fill_null(pc.add(values, 1), 1)
    raise ValueError(name)


def change_group(
    table: pa.Table,
    rng: np.random.Generator,
    truth: dict,
    *,
    updates: int,
    inserts: int,
    deletes: int,
) -> pa.Table:
    """``table`` with ``updates`` rows updated, ``inserts`` inserted and ``deletes`` deleted."""
    n = table.num_rows
    picked = rng.choice(n, updates + deletes, replace=False)
    updated, deleted = np.sort(picked[:updates]), picked[updates:]
    first = rng.integers(0, len(COLUMNS), updates)
    second = np.where(rng.random(updates) < 0.3, rng.integers(0, len(COLUMNS), updates), first)
    columns = {}
    for number, name in enumerate(COLUMNS):
        rows = updated[(first == number) | (second == number)]
        values = table[name].combine_chunks()
        if len(rows):
            new = changed_column(name, values.take(pa.array(rows)), rng)
            mask = np.zeros(n, bool)
            mask[rows] = True
            positions = np.cumsum(mask) - 1
            values = pc.if_else(
                pa.array(mask), new.take(pa.array(np.where(mask, positions, 0))), values
            )
        columns[name] = values
        truth["cells"][name] = truth["cells"].get(name, 0) + len(rows)
    keep = np.ones(n, bool)
    keep[deleted] = False
    result = pa.table({KEY: table[KEY], **columns}).filter(pa.array(keep))
    free = table[KEY].to_numpy() + 1  # ids are even: the odd one after each is free
    new_ids = np.sort(rng.choice(free, inserts, replace=False))
    added = pa.table(make_rows(new_ids, rng)).cast(result.schema)
    truth["changed"] += updates
    truth["added"] += inserts
    truth["removed"] += deletes
    return pa.concat_tables([result, added]).sort_by(KEY)


def writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    # One place for the writer settings: A, B and B' must be encoded alike for B' to share
    # A's column chunk bytes.
    return pq.ParquetWriter(path, schema, compression="snappy", use_dictionary=True)


def write_versions(folder: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write A, B and B' into ``folder``; return what the generator changed in B and B'."""
    local_group = ROW_GROUPS // 2
    truths = {name: {"added": 0, "removed": 0, "changed": 0, "cells": {}} for name in SCENARIOS}
    schema = row_group(rows, 0, seed).schema
    paths = {"A": folder / "a.parquet"} | {name: folder / file for name, file in SCENARIOS.items()}
    writers = {name: writer(path.with_suffix(".tmp"), schema) for name, path in paths.items()}
    for index in range(ROW_GROUPS):
        table = row_group(rows, index, seed)
        rng = np.random.default_rng([seed, index, 1])
        n = table.num_rows
        spread = change_group(
            table, rng, truths["B"], updates=n // 100, inserts=n // 10_000, deletes=n // 10_000
        )
        local = table
        if index == local_group:
            local = change_group(
                table, rng, truths["B'"], updates=n // 10, inserts=n // 1000, deletes=n // 1000
            )
        for name, part in (("A", table), ("B", spread), ("B'", local)):
            writers[name].write_table(part, row_group_size=part.num_rows)
    for name, path in paths.items():
        writers[name].close()
        path.with_suffix(".tmp").rename(path)
    return {"rows": rows, "seed": seed, "local_group": local_group, "truth": truths}


def chunk_bytes(path: Path, group: int) -> list[bytes]:
    metadata = pq.ParquetFile(path).metadata.row_group(group)
    chunks = []
    with path.open("rb") as file:
        for number in range(metadata.num_columns):
            column = metadata.column(number)
            start = column.data_page_offset
            if column.has_dictionary_page and column.dictionary_page_offset:
                start = min(start, column.dictionary_page_offset)
            file.seek(start)
            chunks.append(file.read(column.total_compressed_size))
    return chunks


def identical_row_groups(a: Path, b: Path) -> list[int]:
    """The row groups whose column chunks have the same bytes in ``a`` and ``b``."""
    groups = pq.ParquetFile(a).metadata.num_row_groups
    return [g for g in range(groups) if chunk_bytes(a, g) == chunk_bytes(b, g)]


def prepare(workdir: Path, rows: int, seed: int) -> tuple[Path, dict[str, Any]]:
    folder = workdir / f"rows-{rows}-seed-{seed}-v{GENERATOR_VERSION}"
    done = folder / "truth.json"
    if done.exists():
        print(f"data: reusing {folder}")
        return folder, json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"data: generating {rows:,} rows x {1 + len(COLUMNS)} columns into {folder} ...", flush=True
    )
    start = time.perf_counter()
    info = write_versions(folder, rows, seed)
    same = identical_row_groups(folder / "a.parquet", folder / "b_local.parquet")
    info["identical_row_groups_b_local"] = len(same)
    done.write_text(json.dumps(info, indent=1))
    print(f"data: generated in {time.perf_counter() - start:.1f} s")
    return folder, info


# -- contenders (each runs in a child process) ---------------------------------------------


def cell_counts(table: pa.Table) -> dict[str, int]:
    """Differing cells per column among the ``changed`` rows of a before/after table."""
    changed = table.filter(pc.equal(table["_change"], "changed"))
    counts = {}
    for name in COLUMNS:
        before, after = changed[f"before.{name}"], changed[f"after.{name}"]
        unequal = pc.fill_null(pc.not_equal(before, after), False)
        one_null = pc.xor(pc.is_null(before), pc.is_null(after))
        counts[name] = pc.sum(pc.or_(unequal, one_null)).as_py() or 0
    return counts


def run_ours(a: str, b: str, memory_limit: str | None) -> dict[str, Any]:
    from aether_data.datasets import diff  # noqa: PLC0415 - each child imports only its own

    if not callable(diff):  # the module, while the package does not export the function yet
        diff = diff.diff
    # What the engine imports on first use, imported before the clock starts as the peers'
    # modules are: imports are excluded for every contender.
    import duckdb  # noqa: F401, PLC0415
    import pyarrow.dataset  # noqa: F401, PLC0415

    options = {"memory_limit": memory_limit} if memory_limit else {}
    start = time.perf_counter()
    with diff(a, b, key=[KEY], **options) as result:
        summary = result.summary
        counted = time.perf_counter()
        table = result.rows()
        if isinstance(table, pa.RecordBatchReader):
            table = table.read_all()
    done = time.perf_counter()
    return {
        "seconds": done - start,
        "phases": {"summary": counted - start, "rows": done - counted},
        "added": summary.added,
        "removed": summary.removed,
        "changed": summary.changed,
        "cells": dict(summary.changed_cells),
        "detail_rows": table.num_rows,
    }


def run_datacompy(a: str, b: str) -> dict[str, Any]:
    import datacompy  # noqa: PLC0415 - each child imports only its own
    import polars as pl  # noqa: PLC0415

    start = time.perf_counter()
    df1, df2 = pl.read_parquet(a), pl.read_parquet(b)
    read = time.perf_counter()
    compare = datacompy.PolarsCompare(df1, df2, join_columns=[KEY])
    compared = time.perf_counter()
    mismatch = compare.all_mismatch()
    done = time.perf_counter()
    stats = {s["column"]: s["unequal_cnt"] for s in compare.column_stats if s["column"] != KEY}
    return {
        "seconds": done - start,
        "phases": {
            "read": read - start,
            "compare": compared - read,
            "all_mismatch": done - compared,
        },
        "added": len(compare.df2_unq_rows),
        "removed": len(compare.df1_unq_rows),
        "changed": len(compare.intersect_rows) - compare.count_matching_rows(),
        "cells": stats,
        "detail_rows": len(mismatch) + len(compare.df1_unq_rows) + len(compare.df2_unq_rows),
    }


def duckdb_query(a: str, b: str) -> str:
    def quoted(path: str) -> str:
        return "'" + path.replace("'", "''") + "'"

    pairs = ", ".join(f'a.{c} AS "before.{c}", b.{c} AS "after.{c}"' for c in COLUMNS)
    distinct = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in COLUMNS)
    return f"""
        SELECT CASE WHEN a.{KEY} IS NULL THEN 'added' WHEN b.{KEY} IS NULL THEN 'removed'
                    ELSE 'changed' END AS _change,
               coalesce(a.{KEY}, b.{KEY}) AS {KEY}, {pairs}
        FROM read_parquet({quoted(a)}) AS a FULL OUTER JOIN read_parquet({quoted(b)}) AS b
          ON a.{KEY} = b.{KEY}
        WHERE a.{KEY} IS NULL OR b.{KEY} IS NULL OR {distinct}
    """


def run_duckdb(a: str, b: str) -> dict[str, Any]:
    import duckdb  # noqa: PLC0415 - each child imports only its own

    # pyarrow's first count costs ~0.1 s of set-up: pay it on an empty table, off the clock
    schema = pq.read_schema(a)
    cell_counts(
        pa.table(
            {"_change": pa.array([], pa.string())}
            | {f"{s}.{c}": pa.array([], schema.field(c).type) for c in COLUMNS for s in SIDES}
        )
    )
    start = time.perf_counter()
    with duckdb.connect() as con:
        relation = con.sql(duckdb_query(a, b))
        # to_arrow_table() since DuckDB 1.4; fetch_arrow_table() before (deprecated after)
        table = getattr(relation, "to_arrow_table", relation.fetch_arrow_table)()
    fetched = time.perf_counter()
    kinds = dict(zip(*pc.value_counts(table["_change"]).flatten(), strict=True))
    kinds = {str(k): v.as_py() for k, v in kinds.items()}
    cells = cell_counts(table)
    done = time.perf_counter()
    return {
        "seconds": done - start,
        "phases": {"query": fetched - start, "count": done - fetched},
        "added": kinds.get("added", 0),
        "removed": kinds.get("removed", 0),
        "changed": kinds.get("changed", 0),
        "cells": cells,
        "detail_rows": table.num_rows,
    }


def child(args: argparse.Namespace) -> None:
    if args.child == "ours":
        result = run_ours(args.a, args.b, args.memory_limit)
    elif args.child == "datacompy":
        result = run_datacompy(args.a, args.b)
    else:
        result = run_duckdb(args.a, args.b)
    print(json.dumps(result))


# -- the parent: runs, checks, reports -----------------------------------------------------


def engine_missing() -> str | None:
    """Why ``ours`` cannot run, or None when ``aether_data.datasets.diff`` is importable."""
    probe = "from aether_data.datasets import diff; assert callable(getattr(diff, 'diff', diff))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or ["unknown error"])[-1]


def measure(name: str, a: Path, b: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One run of contender ``name`` in a fresh process: its result and its peak RSS."""
    command = [sys.executable, __file__, "--child", name, "--a", str(a), "--b", str(b)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode()
    if process.returncode != 0:
        return {"error": f"exit {process.returncode}"}
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss"] = usage.ru_maxrss * 1024  # Linux reports KiB
    return result


def warm_page_cache(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as file:
            while file.read(16 * 1024 * 1024):
                pass


def counts_of(result: dict[str, Any]) -> tuple:
    """(added, removed, changed, ((column, differing cells), ...)) of a result or the truth."""
    cells = tuple(sorted((k, v) for k, v in result["cells"].items() if v))
    return result["added"], result["removed"], result["changed"], cells


def best(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    good = [r for r in runs if "error" not in r]
    if not good:
        return None
    fastest = dict(min(good, key=lambda r: r["seconds"]))
    fastest["peak_rss"] = max(r["peak_rss"] for r in good)
    fastest["all_seconds"] = [r["seconds"] for r in good]
    return fastest


def run_scenario(
    scenario: str, a: Path, b: Path, contenders: list[str], args: argparse.Namespace
) -> dict:
    rounds = max(args.repeat, args.repeat_datacompy) if contenders else 0
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    for number in range(rounds):
        order = contenders[number % len(contenders) :] + contenders[: number % len(contenders)]
        for name in order:
            limit = args.repeat_datacompy if name == "datacompy" else args.repeat
            if len(runs[name]) >= limit:
                continue
            print(
                f"  {scenario}: {name} run {len(runs[name]) + 1}/{limit} ...", end=" ", flush=True
            )
            result = measure(name, a, b, args)
            runs[name].append(result)
            print(
                result.get("error")
                or f"{result['seconds']:.2f} s, {result['peak_rss'] / 2**20:.0f} MiB"
            )
    return {name: best(results) for name, results in runs.items()}


def print_table(scenario: str, results: dict[str, dict | None], truth: dict[str, Any]) -> None:
    print(f"\n{scenario}: {truth['label']}")
    header = f"{'contender':<10} {'best s':>8} {'runs (s)':<24} {'peak RSS MiB':>12}"
    header += f" {'added':>7} {'removed':>7} {'changed':>8}  phases (s) of the best run"
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        if result is None:
            print(f"{name:<10} {'failed':>8}")
            continue
        runs = ", ".join(f"{s:.2f}" for s in result["all_seconds"])
        phases = ", ".join(f"{k} {v:.2f}" for k, v in result["phases"].items())
        print(
            f"{name:<10} {result['seconds']:>8.2f} {runs:<24} {result['peak_rss'] / 2**20:>12.0f}"
            f" {result['added']:>7} {result['removed']:>7} {result['changed']:>8}  {phases}"
        )
    expected = counts_of(truth)
    blank = " " * (10 + 8 + 24 + 12 + 3)
    added, removed, changed, cells = expected
    print(f"{'generator':<10}{blank} {added:>7} {removed:>7} {changed:>8}")
    print("cells changed per column (generator): " + ", ".join(f"{k} {v}" for k, v in cells))
    check_agreement(results, expected)


def check_agreement(results: dict[str, dict | None], expected: tuple) -> None:
    ran = [n for n, r in results.items() if r is not None]
    disagree = [n for n in ran if counts_of(results[n]) != expected]
    if not disagree:
        what = "added, removed, changed, cells per column"
        print(f"counts agree: {', '.join(ran)} and the generator ({what})")
    for name in disagree:
        print(f"COUNTS DISAGREE: {name} gave {counts_of(results[name])}")
    for name in ran:
        result = results[name]
        rows = result["added"] + result["removed"] + result["changed"]
        if result["detail_rows"] != rows:
            print(f"DETAIL DISAGREES: {name} gave {result['detail_rows']} rows, not {rows}")


def ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    return numerator["seconds"] / denominator["seconds"]


def target_line(label: str, value: float | None, target: str, met: bool) -> str:
    shown = "n/a" if value is None else f"{value:.2f}"
    verdict = "" if value is None else (": met" if met else ": NOT met")
    return f"  {label:<26}= {shown} ({target}{verdict})"


def print_targets(results: dict[str, dict[str, dict | None]]) -> None:
    print("\ntargets")
    spread, local = results.get("B", {}), results.get("B'", {})
    ours = spread.get("ours")
    value = ratio(spread.get("datacompy"), ours)
    print(target_line("B:  datacompy / ours time", value, "target >= 5", (value or 0) >= 5))
    value = ratio(ours, spread.get("duckdb"))
    print(target_line("B:  ours / duckdb time", value, "target <= 1.3", (value or 9) <= 1.3))
    rss = None if ours is None else ours["peak_rss"] / GIB
    print(target_line("B:  ours peak RSS GiB", rss, "target < 2", (rss or 9) < 2))
    value = ratio(local.get("duckdb"), local.get("ours"))
    print(target_line("B': duckdb / ours time", value, "target >= 5", (value or 0) >= 5))
    value = ratio(local.get("datacompy"), local.get("ours"))
    if value is not None:
        label = "B': datacompy / ours time"
        print(f"  {label:<26}= {value:.2f}")


def versions() -> str:
    names = ["pyarrow", "duckdb", "polars", "datacompy"]
    found = []
    for name in names:
        try:
            module = __import__(name)
            found.append(f"{name} {module.__version__}")
        except ImportError:
            found.append(f"{name} missing")
    return ", ".join(found)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="rows of A (default 10M)")
    p.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "aether-bench-dataset-diff"
    )
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--repeat", type=int, default=3, help="runs of ours and duckdb (best reported)")
    p.add_argument("--repeat-datacompy", type=int, default=1, help="runs of datacompy (slow)")
    p.add_argument(
        "--skip", nargs="*", default=[], choices=CONTENDERS, help="contenders to leave out"
    )
    p.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    p.add_argument("--memory-limit", help="passed to ours as memory_limit (default: the engine's)")
    p.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    p.add_argument("--a", help=argparse.SUPPRESS)
    p.add_argument("--b", help=argparse.SUPPRESS)
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {os.cpu_count()} CPUs, {python}, {versions()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder, info = prepare(args.workdir, args.rows, args.seed)
    a = folder / "a.parquet"
    groups = pq.ParquetFile(a).metadata.num_row_groups
    print(f"data: A {a.stat().st_size / 2**20:.0f} MiB in {groups} row groups;", end=" ")
    print(
        f"B' shares {info['identical_row_groups_b_local']} of {ROW_GROUPS} row groups' column"
        f" chunk bytes with A (its changes are in row group {info['local_group']})"
    )
    contenders = [c for c in CONTENDERS if c not in args.skip]
    if "ours" in contenders and (why := engine_missing()):
        print(f"ours: SKIPPED, aether_data.datasets.diff cannot be imported yet ({why})")
        contenders.remove("ours")
    warm_page_cache([a, *(folder / SCENARIOS[s] for s in args.scenarios)])
    labels = {
        "B": "1% of rows updated, spread over all row groups, + inserts and deletes",
        "B'": f"all changes in row group {info['local_group']} of {ROW_GROUPS}",
    }
    results = {}
    for scenario in args.scenarios:
        print(f"\nrunning {scenario} ({labels[scenario]})")
        results[scenario] = run_scenario(
            scenario, a, folder / SCENARIOS[scenario], contenders, args
        )
    for scenario, by_contender in results.items():
        print_table(scenario, by_contender, {**info["truth"][scenario], "label": labels[scenario]})
    print_targets(results)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
