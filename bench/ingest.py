"""Benchmark: ingest a folder into the local object store, against ``cp -r`` and ``git``.

What it measures (all in the same run, on the same disk, from a warm page cache):

* ``cp -r SRC DST`` and ``cp -r SRC DST && sync`` -- one execution gives both numbers: the copy
  is timed, then the ``sync`` that follows it, so the second row is the first plus the flush.
  ``&& sync`` is the fair comparison: aether's ingest returns only once its writes are durable.
* ``git add -A && git commit`` (git CLI, default config but no auto gc, work tree pointed at
  SRC; ``git init`` is not timed). Timed the same way, so ``git ... && sync`` is shown as
  well, for reference (git does not fsync loose objects by default).
* aether: ``ingest_directory(LocalObjectStore(DST), SRC)`` in-process, including its final
  flush (``syncfs``), i.e. until everything is durable.

The tree is generated deterministically (not timed): ``--small`` files of 1-64 KiB in 100
folders (two levels), half compressible text (CSV / JSON lines), half incompressible bytes
(like Parquet or images), plus ``--large-count`` files of ``--large-mib`` MiB (half
incompressible, half CSV text). Each contender runs ``--repeat`` times, round robin (the order
rotates every round), each time into a fresh destination; the median is reported, the minimum
shown beside it. Before every timed run the disk is synced (not timed) so that no run pays for
the previous run's write-back, and destinations are removed only after the last run (when the
disk has room) because fresh deletions slow file creation on ext4.

Targets (from the issue): aether at most 1.5x ``cp -r``, and faster than git. The script never
fails on time: it reports the ratios and exits 0.

Run::

    python bench/ingest.py                       # 10,000 small files + 4 x 128 MiB, 3 repeats
    python bench/ingest.py --small 2000 --large-mib 32 --repeat 1   # a quick run
    python bench/ingest.py --workdir /mnt/disk --keep                # another disk; keep files
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import BinaryIO

from rich.console import Console
from rich.table import Table

from aether_data.storage.local import LocalObjectStore
from aether_data.workspace.ingest import ingest_directory

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PARENT = REPO / "bench" / "_work"
MIB = 1 << 20
KIB = 1 << 10
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
# No auto gc: with thousands of loose objects ``git commit`` would start ``git gc`` detached, which
# then competes with the next contender (and deletes files under the destination being removed).
GIT_CONFIG = [
    *("-c", "user.name=bench", "-c", "user.email=bench@example.invalid"),
    *("-c", "gc.auto=0", "-c", "maintenance.auto=false"),
]
CATEGORIES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]

console = Console(highlight=False, width=110)


# --------------------------------------------------------------------------- arguments
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--small", type=int, default=10_000, help="number of 1-64 KiB files")
    p.add_argument("--large-mib", type=int, default=128, help="size of each large file, MiB")
    p.add_argument("--large-count", type=int, default=4, help="number of large files")
    p.add_argument("--workdir", type=Path, default=DEFAULT_PARENT, help="parent folder")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per contender (median)")
    p.add_argument(
        "--workers", type=int, default=None, help="aether ingest worker threads (default: CPUs)"
    )
    p.add_argument("--seed", type=int, default=20240601, help="seed for the generated tree")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.small < 0 or (args.workers is not None and args.workers < 1):
        p.error("--repeat and --workers must be at least 1, --small at least 0")
    return args


# --------------------------------------------------------------------------- the tree
CSV_HEADER = b"id,date,sensor,value,category\n"


def csv_rows(rng: Random, first_row: int, count: int) -> bytes:
    """``count`` CSV rows numbered from ``first_row``: id, date, sensor, value, category."""
    bits, rand = rng.getrandbits, rng.random
    return "".join(
        f"{row},2024-{1 + bits(4) % 12:02d}-{1 + bits(5) % 28:02d},"
        f"sensor_{bits(10)},{rand() * 1000:.3f},{CATEGORIES[bits(8) % 6]}\n"
        for row in range(first_row, first_row + count)
    ).encode()


def write_csv(out: BinaryIO, rng: Random, size: int, first_row: int = 0) -> None:
    """Write exactly ``size`` bytes of CSV (a header, then rows) to ``out``."""
    left, row, batch = size, first_row, 2000 if size > MIB else 200
    piece = CSV_HEADER
    while left > 0:
        out.write(piece[:left])
        left -= min(left, len(piece))
        piece = csv_rows(rng, row, batch)
        row += batch


def json_text(rng: Random, size: int) -> bytes:
    """``size`` bytes of JSON lines, like an event log."""
    lines, total, bits = [], 0, rng.getrandbits
    while total < size:
        record = {
            "id": bits(32),
            "user": f"user_{bits(12)}",
            "score": round(rng.random(), 4),
            "tags": [CATEGORIES[bits(8) % 6] for _ in range(1 + bits(2))],
            "ok": bool(bits(1)),
        }
        line = json.dumps(record) + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


def small_file(rng: Random, index: int) -> tuple[str, bytes]:
    """Name and content of small file ``index``: text and binary alternate, 1-64 KiB."""
    size = rng.randint(1 * KIB, 64 * KIB)
    kind = index % 4
    if kind == 0:
        buf = io.BytesIO()
        write_csv(buf, rng, size, index * 1000)
        return f"part-{index:05d}.csv", buf.getvalue()
    if kind == 1:
        return f"part-{index:05d}.parquet", rng.randbytes(size)
    if kind == 2:
        return f"events-{index:05d}.jsonl", json_text(rng, size)
    return f"image-{index:05d}.png", rng.randbytes(size)


def write_small(src: Path, rng: Random, count: int) -> None:
    for index in range(count):
        leaf = index % 100
        folder = src / f"area_{leaf // 10:02d}" / f"table_{leaf % 10:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        name, data = small_file(rng, index)
        (folder / name).write_bytes(data)


def write_large(src: Path, rng: Random, count: int, mib: int) -> None:
    folder = src / "large"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        text = index % 2 == 1
        path = folder / (f"big-{index}.csv" if text else f"big-{index}.bin")
        with open(path, "wb") as f:
            if text:
                write_csv(f, rng, mib * MIB)
            else:
                for _ in range(mib):
                    f.write(rng.randbytes(MIB))


def generate(src: Path, args: argparse.Namespace) -> None:
    rng = Random(args.seed)
    write_small(src, rng, args.small)
    if args.large_count and args.large_mib:
        write_large(src, rng, args.large_count, args.large_mib)


def tree_stats(root: Path) -> tuple[int, int]:
    """(file count, total bytes) of a folder."""
    files = total = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            total += os.lstat(os.path.join(folder, name)).st_size
    return files, total


def warm_cache(root: Path) -> None:
    """Read every file once so all contenders start from the page cache."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                while f.read(MIB):
                    pass


# --------------------------------------------------------------------------- contenders
@dataclass
class Result:
    """Timings of one contender (seconds, one per repeat); ``median`` is what we report."""

    name: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(cmd: list[str], **kwargs: object) -> None:
    subprocess.run(cmd, check=True, **kwargs)


def bench_cp(src: Path, dst: Path) -> tuple[float, float]:
    """Seconds for ``cp -r`` and for the ``sync`` that follows it."""
    return timed(lambda: run(["cp", "-r", str(src), str(dst)])), timed(os.sync)


def bench_git(src: Path, dst: Path) -> tuple[float, float]:
    """Seconds for ``git add -A && git commit`` (init not timed) and the ``sync`` after it."""
    env = {**os.environ, **GIT_ENV}
    run(["git", "init", "-q", str(dst)], env=env)
    git = ["git", *GIT_CONFIG, f"--git-dir={dst / '.git'}", f"--work-tree={src}"]

    def add_commit() -> None:
        run([*git, "add", "-A"], env=env)
        run([*git, "commit", "-qm", "bench"], env=env)

    return timed(add_commit), timed(os.sync)


def bench_aether(src: Path, dst: Path, workers: int | None) -> float:
    """Seconds for ``ingest_directory`` into a fresh local store, durable on return."""
    return timed(lambda: ingest_directory(LocalObjectStore(dst), src, workers=workers))


def capture(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def disk_usage(path: Path) -> tuple[int, int]:
    """(bytes on disk, apparent bytes) of a folder, from ``du``."""
    used = capture(["du", "-s", "--block-size=1", str(path)])
    apparent = capture(["du", "-s", "-b", str(path)])
    return int(used.split()[0]), int(apparent.split()[0])


def run_once(contender: str, src: Path, dst: Path, workers: int | None) -> dict[str, float]:
    """Time one contender once into ``dst``; returns seconds per table row."""
    if contender == "aether":
        return {"aether ingest": bench_aether(src, dst, workers)}
    if contender == "cp":
        copy, flush = bench_cp(src, dst)
        return {"cp -r": copy, "cp -r && sync": copy + flush}
    commit, flush = bench_git(src, dst)
    return {"git add -A && commit": commit, "git ... && sync": commit + flush}


def defer_deletes(work: Path, total: int, repeat: int) -> bool:
    """True if every destination fits on the disk at once (about 3x the source per round).

    Deleting thousands of files slows the next file creations on ext4 for a few minutes (the
    inode allocator skips recently deleted inodes), so destinations are removed only after the
    last timed run when space allows; otherwise each is removed right after its run.
    """
    return shutil.disk_usage(work).free > 3 * total * repeat + (1 << 30)


def run_all(src: Path, work: Path, args: argparse.Namespace, total: int) -> tuple[list, dict]:
    """Every contender ``args.repeat`` times, round robin; also the stored sizes."""
    results: dict[str, Result] = {}
    sizes: dict[str, tuple[int, int]] = {}
    order, done = ["cp", "git", "aether"], []
    defer = defer_deletes(work, total, args.repeat)
    for rep in range(args.repeat):
        for contender in order[rep % 3 :] + order[: rep % 3]:  # rotate: no fixed neighbours
            dst = work / f"dst-{contender}-{rep}"
            os.sync()  # settle earlier write-back; not timed
            for name, seconds in run_once(contender, src, dst, args.workers).items():
                results.setdefault(name, Result(name)).times.append(seconds)
                console.print(f"  round {rep + 1}/{args.repeat} {name}: {seconds:.2f} s")
            if contender != "cp":
                sizes[contender] = disk_usage(dst / ".git" if contender == "git" else dst)
            done.append(dst)
            if not defer:
                shutil.rmtree(done.pop())
    for dst in done:
        shutil.rmtree(dst)
    return list(results.values()), sizes


# --------------------------------------------------------------------------- report
def fs_type(path: Path) -> str:
    """The filesystem type holding ``path`` (from /proc/mounts), or '?'."""
    best, kind = "", "?"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                _dev, point, fstype, *_ = line.split()
                inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
                if inside and len(point) > len(best):
                    best, kind = point, fstype
    except OSError:
        pass
    return kind


def machine_line(work: Path, workers: int | None) -> str:
    git = capture(["git", "--version"])
    return (
        f"machine: {os.cpu_count()} cpus (nproc {len(os.sched_getaffinity(0))}), "
        f"aether ingest workers {workers or os.cpu_count()}, "
        f"python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"{git}, work folder {work} on {fs_type(work)}"
    )


def results_table(results: list[Result], total_bytes: int) -> Table:
    by_name = {r.name: r.median for r in results}
    cp, cp_sync, git = by_name["cp -r"], by_name["cp -r && sync"], by_name["git add -A && commit"]
    table = Table(title=f"ingest benchmark (median of {len(results[0].times)})")
    columns = ("contender", "median s", "min s", "MiB/s", "/ cp -r", "/ cp -r && sync", "/ git")
    for column in columns:
        table.add_column(column, justify="left" if column == "contender" else "right")
    for r in results:
        m = r.median
        table.add_row(
            r.name,
            f"{m:.2f}",
            f"{min(r.times):.2f}",
            f"{total_bytes / MIB / m:.0f}",
            f"{m / cp:.2f}",
            f"{m / cp_sync:.2f}",
            f"{m / git:.2f}",
        )
    return table


def report(
    results: list[Result], sizes: dict, *, files: int, total: int, workers: int, work: Path
) -> None:
    console.print(results_table(results, total))
    console.print(
        "all runs (s): "
        + "; ".join(f"{r.name}: " + ", ".join(f"{t:.2f}" for t in r.times) for r in results)
    )
    by_name = {r.name: r.median for r in results}
    aether = by_name["aether ingest"]
    console.print(f"aether / cp -r = {aether / by_name['cp -r']:.2f} (target <= 1.5)")
    console.print(f"aether / git = {aether / by_name['git add -A && commit']:.2f} (target < 1.0)")
    console.print(
        f"aether / cp -r && sync = {aether / by_name['cp -r && sync']:.2f} (fair: both durable)"
    )
    source_used = sizes["source"][0]
    console.print(
        f"source: {files} files, {total / MIB:.1f} MiB apparent, "
        f"{source_used / MIB:.1f} MiB on disk"
    )
    for key in ("aether", "git"):
        used, apparent = sizes[key]
        console.print(
            f"{key} store: {used / MIB:.1f} MiB on disk ({used / source_used:.2f}x source), "
            f"{apparent / MIB:.1f} MiB apparent ({apparent / total:.2f}x source)"
        )
    console.print(machine_line(work, workers))


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ingest-", dir=args.workdir)).resolve()
    if fs_type(work) == "tmpfs":
        console.print(f"[yellow]warning: {work} is on tmpfs; pass --workdir on a real disk[/]")
    try:
        src = work / "src"
        console.print(f"generating the tree in {src} ...")
        generate(src, args)
        files, total = tree_stats(src)
        os.sync()
        warm_cache(src)
        console.print(f"{files} files, {total / MIB:.1f} MiB; timing {args.repeat} rounds ...")
        results, sizes = run_all(src, work, args, total)
        sizes["source"] = disk_usage(src)
        report(results, sizes, files=files, total=total, workers=args.workers, work=work)
    finally:
        if args.keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
