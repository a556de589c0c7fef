"""Benchmark: linting a migration set, ours against squawk and sqlfluff.

Generates (once, cached under ``--workdir``) ``--files`` migration files (default 2,000) with
``--statements`` statements in all (default 19,000), deterministic for ``--seed``: CREATE
TABLE with 3 to 10 columns over several lines, ALTER TABLE variants (ADD/DROP/RENAME COLUMN,
SET NOT NULL, types, defaults, FOREIGN KEY and CHECK constraints with and without NOT VALID,
VALIDATE), CREATE INDEX with and without CONCURRENTLY, INSERT, UPDATE and DELETE with WHERE,
SET lock_timeout, COMMENT ON, some files inside BEGIN/COMMIT, and ``--`` comments between
statements.

Then it runs each contender in a fresh process (peak RSS is that process's own, from
``wait4``), best of ``--repeat`` runs:

* ``ours``: ``aether_data.sqllint.lint_files`` over every file with ``LintConfig()``, timed in
  the child from reading the files to the report, imports excluded; the child says whether
  sqlglot runs compiled (sqlglotc installs mypyc ``.so`` modules beside sqlglot's ``.py``
  ones: ``sqlglot.parser`` is then a ``.so``);
* ``ours-pure``: the same with pure-Python sqlglot, forced in the child by an import hook that
  loads sqlglot's modules from their ``.py`` files (sqlglotc has no switch of its own); only
  when sqlglotc is installed;
* ``squawk``: ``squawk --reporter json`` over every file in one process (the process's wall
  time: a native binary has no imports to exclude);
* ``sqlfluff``: ``sqlfluff lint --dialect postgres`` over the first ``--sqlfluff-files`` files
  (default 100; it is slow), its wall time less its start-up (a run over one empty file)
  extrapolated linearly to every file, plus that start-up once. It says it extrapolated.

It prints the time, CPU time, statements/s and peak RSS per contender (for ours also, off the
clock, how long sqlglot alone takes to split and parse the files), and the ratios the issue
sets as targets: sqlfluff / ours (target >= 50) and ours / squawk (target <= 2).
Exits 0 whatever the numbers.

Run::

    python bench/sql_lint.py                          # 2,000 files, best of 3 (sqlfluff: 1)
    python bench/sql_lint.py --sqlfluff-files 20      # a quicker sqlfluff sample
    python bench/sql_lint.py --skip sqlfluff ours-pure
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
CONTENDERS = ["ours", "ours-pure", "squawk", "sqlfluff"]
TABLES = [
    "orders",
    "customers",
    "invoices",
    "payments",
    "shipments",
    "products",
    "events",
    "sessions",
    "accounts",
    "audit_log",
]
TYPES = [
    "bigint",
    "integer",
    "text",
    "varchar(255)",
    "timestamptz",
    "timestamp",
    "boolean",
    "numeric(12,2)",
    "jsonb",
    "uuid",
    "date",
    "smallint",
]
WORDS = ["status", "amount", "email", "note", "region", "priority", "total", "label", "score"]

# -- generation ----------------------------------------------------------------------------


def create_table(rng: random.Random, number: int) -> str:
    table = f"{rng.choice(TABLES)}_{number}"
    columns = ["    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
    for index in range(rng.randint(3, 10)):
        kind = rng.choice(TYPES)
        extra = rng.choice(
            ["", "", " NOT NULL", " NOT NULL DEFAULT now()" if "time" in kind else ""]
        )
        columns.append(f"    {rng.choice(WORDS)}_{index} {kind}{extra}")
    if rng.random() < 0.4:
        columns.append("    customer_id bigint REFERENCES customers (id)")
    if rng.random() < 0.3:
        columns.append("    created_at timestamptz NOT NULL DEFAULT now()")
    body = ",\n".join(columns)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{body}\n);"


def alter_table(rng: random.Random) -> str:
    table, column = rng.choice(TABLES), f"{rng.choice(WORDS)}_{rng.randint(0, 9)}"
    kind = rng.choice(TYPES)
    return rng.choice(
        [
            f"ALTER TABLE {table} ADD COLUMN {column} {kind};",
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind} DEFAULT NULL;",
            f"ALTER TABLE {table} ADD COLUMN {column} boolean NOT NULL DEFAULT false;",
            f"ALTER TABLE {table} ADD COLUMN {column} uuid DEFAULT gen_random_uuid();",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS {column};",
            f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_old;",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;",
            f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL;",
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind};",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT 0;",
            f"ALTER TABLE {table}\n    ADD CONSTRAINT {table}_{column}_fk FOREIGN KEY ({column})"
            f"\n    REFERENCES customers (id) NOT VALID;",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fk FOREIGN KEY ({column}) "
            "REFERENCES customers (id);",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_check CHECK ({column} >= 0)"
            " NOT VALID;",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_{column}_check;",
            f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_check;",
        ]
    )


def create_index(rng: random.Random, number: int) -> str:
    table = rng.choice(TABLES)
    columns = ", ".join(rng.sample(WORDS, rng.randint(1, 3)))
    unique = "UNIQUE " if rng.random() < 0.2 else ""
    concurrently = "CONCURRENTLY " if rng.random() < 0.6 else ""
    where = " WHERE deleted_at IS NULL" if rng.random() < 0.15 else ""
    name = f"{table}_{number}_idx"
    return f"CREATE {unique}INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns}){where};"


def dml(rng: random.Random) -> str:
    table, word = rng.choice(TABLES), rng.choice(WORDS)
    value = rng.randint(1, 100_000)
    roll = rng.random()
    if roll < 0.45:
        rows = ", ".join(
            f"({rng.randint(1, 10**6)}, '{word}-{rng.randint(1, 999)}', now())"
            for _ in range(rng.randint(1, 5))
        )
        return f"INSERT INTO {table} (id, {word}, created_at)\nVALUES {rows};"
    if roll < 0.8:
        return (
            f"UPDATE {table}\n   SET {word} = '{word}-{value}', updated_at = now()\n"
            f" WHERE id BETWEEN {value} AND {value + 1000} AND {word} IS NULL;"
        )
    return f"DELETE FROM {table} WHERE created_at < now() - interval '{value % 365} days';"


def other(rng: random.Random) -> str:
    table = rng.choice(TABLES)
    return rng.choice(
        [
            "SET lock_timeout = '5s';",
            "SET statement_timeout = '60s';",
            f"COMMENT ON TABLE {table} IS 'generated for the benchmark';",
            f"SELECT count(*) FROM {table} WHERE {rng.choice(WORDS)} IS NOT NULL;",
        ]
    )


def statement(rng: random.Random, number: int) -> str:
    roll = rng.random()
    if roll < 0.12:
        return create_table(rng, number)
    if roll < 0.42:
        return alter_table(rng)
    if roll < 0.52:
        return create_index(rng, number)
    if roll < 0.90:
        return dml(rng)
    return other(rng)


def statement_counts(rng: random.Random, files: int, statements: int) -> list[int]:
    """Statements per file, 1 to 30 each (mostly 4 to 15), summing to ``statements``."""
    mean = statements / files
    counts = [max(1, round(rng.uniform(mean * 0.4, mean * 1.6))) for _ in range(files)]
    while (gap := statements - sum(counts)) != 0:
        index = rng.randrange(files)
        step = 1 if gap > 0 else -1
        if 1 <= counts[index] + step <= 30:
            counts[index] += step
    return counts


def migration(rng: random.Random, number: int, count: int) -> str:
    """One file of ``count`` statements (BEGIN and COMMIT count when it has them)."""
    parts = [f"-- migration {number:04d}: generated by bench/sql_lint.py"]
    wrapped = count >= 3 and rng.random() < 0.25
    body = count - 2 if wrapped else count
    if wrapped:
        parts.append("BEGIN;")
    for index in range(body):
        if rng.random() < 0.2:
            parts.append(f"-- step {index + 1}: {rng.choice(WORDS)} changes")
        parts.append(statement(rng, number * 100 + index))
    if wrapped:
        parts.append("COMMIT;")
    return "\n".join(parts) + "\n"


def prepare(workdir: Path, files: int, statements: int, seed: int) -> Path:
    folder = workdir / f"files-{files}-statements-{statements}-seed-{seed}-v{GENERATOR_VERSION}"
    done = folder / "manifest.json"
    if done.exists():
        print(f"data: reusing {folder}")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    print(f"data: generating {files:,} files, {statements:,} statements into {folder} ...")
    rng = random.Random(seed)
    names = []
    for number, count in enumerate(statement_counts(rng, files, statements), start=1):
        name = f"{number:04d}_migration.sql"
        (folder / name).write_text(migration(rng, number, count))
        names.append(name)
    done.write_text(json.dumps({"files": names, "statements": statements}, indent=1))
    return folder


def sql_files(folder: Path) -> list[str]:
    return json.loads((folder / "manifest.json").read_text())["files"]


# -- children ------------------------------------------------------------------------------


class PureSqlglot(importlib.abc.MetaPathFinder):
    """Finds sqlglot's modules among ``.py`` files only, so that sqlglotc's compiled ``.so``
    modules beside them are not loaded (modules with no ``.py`` fall through to the usual
    finders)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "sqlglot" and not name.startswith("sqlglot."):
            return None
        for entry in path if path is not None else sys.path:
            finder = importlib.machinery.FileFinder(
                entry or ".",
                (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
            )
            spec = finder.find_spec(name)
            if spec is not None:
                return spec
        return None


def run_ours(folder: Path, pure: bool) -> dict[str, Any]:
    if pure:
        sys.meta_path.insert(0, PureSqlglot())
    import sqlglot.parser  # noqa: PLC0415 - each child imports only its own

    from aether_data.sqllint import LintConfig, lint_files  # noqa: PLC0415

    compiled = not sqlglot.parser.__file__.endswith(".py")
    names = sql_files(folder)
    cpu = time.process_time()
    start = time.perf_counter()
    files = [(name, (folder / name).read_text()) for name in names]
    read = time.perf_counter()
    report = lint_files(files, LintConfig())
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    # for the record, off the clock: how much of it is splitting and parsing with sqlglot
    from aether_data.sqllint._parse import parse_statements  # noqa: PLC0415

    parse_start = time.perf_counter()
    for _, text in files:
        parse_statements(text, "postgres")
    parse = time.perf_counter() - parse_start
    return {
        "seconds": done - start,
        "cpu": cpu,
        "phases": {"read": read - start, "lint": done - read, "parse alone": parse},
        "statements": report.statements,
        "findings": len(report.findings),
        "compiled": compiled,
        "parser": sqlglot.parser.__file__,
    }


def child(args: argparse.Namespace) -> None:
    print(json.dumps(run_ours(Path(args.folder), pure=args.child == "ours-pure")))


# -- the parent ----------------------------------------------------------------------------


def wait(command: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run ``command``; its wall and CPU seconds, peak RSS, exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss": usage.ru_maxrss * 1024,  # Linux reports KiB
            "returncode": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }


def measure_ours(name: str, folder: Path) -> dict[str, Any]:
    done = wait([sys.executable, __file__, "--child", name, "--folder", str(folder)])
    if done["returncode"] != 0:
        return {"error": (done["stderr"].strip().splitlines() or ["?"])[-1]}
    result = json.loads(done["stdout"].strip().splitlines()[-1])
    # the process's wall time without the parse-alone measurement made after the timed run
    wall = done["wall"] - result["phases"]["parse alone"]
    return result | {"wall": wall, "peak_rss": done["peak_rss"]}


def measure_squawk(binary: str, folder: Path, names: list[str]) -> dict[str, Any]:
    command = [binary, "--reporter", "json", "--no-assume-in-transaction", *names]
    done = wait(command, cwd=folder)
    if done["returncode"] not in (0, 1):
        return {"error": f"exit {done['returncode']}: {done['stderr'].strip()[:200]}"}
    findings = json.loads(done["stdout"] or "[]")
    return {
        "seconds": done["wall"],
        "wall": done["wall"],
        "cpu": done["cpu"],
        "peak_rss": done["peak_rss"],
        "findings": len(findings),
        "syntax_errors": sum(1 for f in findings if f["rule_name"] == "syntax-error"),
    }


def measure_sqlfluff(binary: str, folder: Path, names: list[str], total: int) -> dict[str, Any]:
    empty = folder.parent / "sqlfluff-startup.sql"
    empty.write_text("\n")
    command = [binary, "lint", "--dialect", "postgres", "--format", "json"]
    startup = wait([*command, str(empty)], cwd=folder)["wall"]
    done = wait([*command, *names], cwd=folder)
    if done["returncode"] not in (0, 1):
        return {"error": f"exit {done['returncode']}: {done['stderr'].strip()[-200:]}"}
    per_file = max(done["wall"] - startup, 0.0) / len(names)
    return {
        "seconds": startup + per_file * total,
        "wall": done["wall"],
        "cpu": done["cpu"],
        "peak_rss": done["peak_rss"],
        "startup": startup,
        "sample_files": len(names),
        "extrapolated": len(names) < total,
    }


def best(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    good = [r for r in runs if "error" not in r]
    if not good:
        return None
    fastest = dict(min(good, key=lambda r: r["seconds"]))
    fastest["peak_rss"] = max(r["peak_rss"] for r in good)
    fastest["all_seconds"] = [r["seconds"] for r in good]
    return fastest


def run_all(folder: Path, contenders: list[str], args: argparse.Namespace) -> dict[str, Any]:
    names = sql_files(folder)
    squawk, sqlfluff = tool("squawk"), tool("sqlfluff")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    rounds = max(args.repeat, args.repeat_sqlfluff)
    for number in range(rounds):
        for name in contenders:
            limit = args.repeat_sqlfluff if name == "sqlfluff" else args.repeat
            if number >= limit:
                continue
            print(f"  {name} run {number + 1}/{limit} ...", end=" ", flush=True)
            if name in ("ours", "ours-pure"):
                result = measure_ours(name, folder)
            elif name == "squawk":
                result = (
                    measure_squawk(squawk, folder, names)
                    if squawk
                    else {"error": "squawk not found (pip install squawk-cli)"}
                )
            else:
                sample = names[: args.sqlfluff_files]
                result = (
                    measure_sqlfluff(sqlfluff, folder, sample, len(names))
                    if sqlfluff
                    else {"error": "sqlfluff not found (pip install sqlfluff)"}
                )
            runs[name].append(result)
            if "error" in result:
                print(result["error"])
            else:
                note = " (extrapolated)" if result.get("extrapolated") else ""
                print(f"{result['seconds']:.2f} s{note}, {result['peak_rss'] / 2**20:.0f} MiB")
    return {name: best(results) for name, results in runs.items()}


def print_table(results: dict[str, Any], statements: int, files: int) -> None:
    header = (
        f"{'contender':<10} {'best s':>9} {'runs (s)':<22} {'cpu s':>8} {'stmts/s':>10}"
        f" {'peak RSS MiB':>12}  notes"
    )
    print("\n" + header)
    print("-" * len(header))
    for name, result in results.items():
        if result is None:
            print(f"{name:<10} {'failed':>9}")
            continue
        runs = ", ".join(f"{s:.2f}" for s in result["all_seconds"])
        rate = statements / result["seconds"] if result["seconds"] else float("inf")
        notes = []
        if name.startswith("ours"):
            notes.append(
                "sqlglot compiled (sqlglotc)" if result["compiled"] else "pure-Python sqlglot"
            )
            notes.append(f"{result['statements']:,} statements, {result['findings']:,} findings")
            phases = ", ".join(f"{k} {v:.2f}" for k, v in result["phases"].items())
            notes.append(f"phases (s): {phases}")
            notes.append(f"process wall {result['wall']:.2f} s with start-up, imports")
        elif name == "squawk":
            notes.append(
                f"{result['findings']:,} findings, {result['syntax_errors']} syntax errors"
            )
        elif name == "sqlfluff" and result["extrapolated"]:
            notes.append(
                f"EXTRAPOLATED from {result['sample_files']} files ({result['wall']:.2f} s,"
                f" {result['cpu']:.2f} s CPU, start-up {result['startup']:.2f} s) to {files:,}"
            )
        cpu = "-" if result.get("extrapolated") else f"{result['cpu']:.2f}"
        print(
            f"{name:<10} {result['seconds']:>9.2f} {runs:<22} {cpu:>8} {rate:>10,.0f}"
            f" {result['peak_rss'] / 2**20:>12.0f}  {'; '.join(notes)}"
        )


def ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    if numerator is None or denominator is None:
        return None
    return numerator["seconds"] / denominator["seconds"]


def target_line(label: str, value: float | None, target: str, met: bool) -> str:
    shown = "n/a" if value is None else f"{value:.2f}"
    verdict = "" if value is None else (": met" if met else ": NOT met")
    return f"  {label:<28}= {shown} ({target}{verdict})"


def print_targets(results: dict[str, Any]) -> None:
    print("\ntargets")
    ours, pure = results.get("ours"), results.get("ours-pure")
    squawk, sqlfluff = results.get("squawk"), results.get("sqlfluff")
    value = ratio(sqlfluff, ours)
    print(target_line("sqlfluff / ours time", value, "target >= 50", (value or 0) >= 50))
    value = ratio(ours, squawk)
    print(target_line("ours / squawk time", value, "target <= 2", (value or 99) <= 2))
    if pure is not None:
        value = ratio(sqlfluff, pure)
        print(target_line("sqlfluff / ours-pure time", value, "target >= 50", (value or 0) >= 50))
        value = ratio(pure, squawk)
        print(target_line("ours-pure / squawk time", value, "target <= 2", (value or 99) <= 2))
    if ours is not None and squawk is not None:
        value = ours["wall"] / squawk["seconds"]
        label = "ours / squawk, process wall"
        print(f"  {label:<28}= {value:.2f} (ours with interpreter start-up and imports)")


def sqlglot_build() -> str:
    probe = "import sqlglot, sqlglot.parser as p; print(sqlglot.__version__, p.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return "sqlglot missing"
    version, parser = done.stdout.split()
    build = "pure Python" if parser.endswith(".py") else "compiled: sqlglotc"
    return f"sqlglot {version} ({build})"


def tool(name: str) -> str | None:
    """A command's path: beside this Python (its virtualenv) first, then on PATH."""
    search = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return shutil.which(name, path=search)


def tool_version(name: str) -> str:
    path = tool(name)
    if path is None:
        return f"{name} missing"
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else f"{name} ?"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=2000, help="migration files (default 2,000)")
    p.add_argument(
        "--statements", type=int, default=19_000, help="statements in all (default 19,000)"
    )
    p.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "aether-bench-sql-lint"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3, help="runs of ours and squawk (best shown)")
    p.add_argument("--repeat-sqlfluff", type=int, default=1, help="runs of sqlfluff (slow)")
    p.add_argument(
        "--sqlfluff-files",
        type=int,
        default=100,
        help="files sqlfluff lints; its time is extrapolated to all (default 100)",
    )
    p.add_argument(
        "--skip", nargs="*", default=[], choices=CONTENDERS, help="contenders to leave out"
    )
    p.add_argument("--child", choices=["ours", "ours-pure"], help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    return p.parse_args()


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    python = f"{platform.python_implementation()} {platform.python_version()}"
    tools = f"{sqlglot_build()}, {tool_version('squawk')}, {tool_version('sqlfluff')}"
    print(f"machine: {os.cpu_count()} CPUs, {python}, {tools}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder = prepare(args.workdir, args.files, args.statements, args.seed)
    names = sql_files(folder)
    size = sum((folder / name).stat().st_size for name in names)
    print(f"data: {len(names):,} files, {args.statements:,} statements, {size / 2**20:.1f} MiB")
    contenders = [c for c in CONTENDERS if c not in args.skip]
    if "ours-pure" in contenders and "compiled" not in sqlglot_build():
        print("ours-pure: skipped, sqlglot is pure Python already (sqlglotc not installed)")
        contenders.remove("ours-pure")
    for name in names:  # warm the page cache
        (folder / name).read_bytes()
    print("\nrunning")
    results = run_all(folder, contenders, args)
    print_table(results, args.statements, len(names))
    print_targets(results)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
