"""Benchmark: session lifecycle costs against git, at 1k, 10k and 100k files (flat and nested).

For each size and layout it builds one folder of small files (not timed), makes it a source
(not timed) and a git repository with one commit (not timed), then times, in the same run:

* aether: fork a session; checkpoint after changing 10 files; commit 10 changed files to the
  source's branch (includes materializing the session tree, the commit object, the ref
  compare-and-set and the rebase of the session).
* git: ``git checkout -b`` (new branch) and ``git add -A && git commit`` of the same 10 changes.

Targets (from the issue): fork under 30 ms at 100k files; commit of 10 changes in a 100k-file
session within 2x of the same at 1k files. Exits 0 whatever the numbers.

Run::

    python bench/lifecycle.py                 # 1k, 10k, 100k files, flat and nested
    python bench/lifecycle.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aether_data.catalog import SqlCatalog
from aether_data.storage.local import LocalObjectStore
from aether_data.workspace import ingest_directory
from aether_data.workspace.sessions import Sessions
from aether_data.workspace.sources import Sources

REPO = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", "-c", "gc.auto=0"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    p.add_argument("--workdir", type=Path, default=REPO / "bench" / "_work")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per step (median)")
    return p.parse_args()


def make_tree(root: Path, files: int, nested: bool) -> list[str]:
    paths = []
    for i in range(files):
        rel = f"d{i % 100:02d}/e{(i // 100) % 10}/f{i:06d}.txt" if nested else f"f{i:06d}.txt"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"row {i}\n")
        paths.append(rel)
    return paths


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)


def bench_aether(folder: Path, paths: list[str], work: Path, repeat: int) -> dict[str, float]:
    store = LocalObjectStore(work / "objects")
    with SqlCatalog(f"sqlite:///{work / 'catalog.db'}") as catalog:
        sessions, sources = Sessions(store, catalog), Sources(store, catalog)
        sources.create("bench", tree=ingest_directory(store, folder))
        commit, tree = sources.resolve("bench")
        results: dict[str, list[float]] = {"fork": [], "checkpoint": [], "commit": []}
        for round_no in range(repeat):
            parent = sessions.create(tree=tree, source="bench", ref="main", base_commit=commit)
            results["fork"].append(timed(lambda p=parent: sessions.fork(p.id)))
            for rel in paths[round_no * 10 : round_no * 10 + 10]:
                sessions.write(parent.id, rel, f"changed {round_no}\n".encode())
            results["checkpoint"].append(
                timed(lambda p=parent, n=round_no: sessions.checkpoint(p.id, f"c{n}"))
            )
            results["commit"].append(
                timed(lambda p=parent: sources.commit_session(sessions, p.id, message="ten"))
            )
            commit, tree = sources.resolve("bench")
    return {k: median(v) for k, v in results.items()}


def bench_git(folder: Path, paths: list[str], work: Path, repeat: int) -> dict[str, float]:
    repo = work / "git"
    shutil.copytree(folder, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "import")
    results: dict[str, list[float]] = {"checkout -b": [], "commit": []}
    for round_no in range(repeat):
        results["checkout -b"].append(
            timed(lambda n=round_no: git(repo, "checkout", "-q", "-b", f"b{n}"))
        )
        for rel in paths[round_no * 10 : round_no * 10 + 10]:
            (repo / rel).write_text(f"changed {round_no}\n")

        def commit() -> None:
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", "ten")

        results["commit"].append(timed(commit))
    return {k: median(v) for k, v in results.items()}


def main() -> int:
    args = parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    commits: dict[tuple[str, int], float] = {}
    print(
        f"{'layout':7} {'files':>7} | {'fork ms':>8} {'ckpt ms':>8} {'commit ms':>10} | "
        f"{'git checkout -b ms':>18} {'git commit ms':>14} | {'commit/git':>10}"
    )
    for nested in (False, True):
        for size in args.sizes:
            work = Path(tempfile.mkdtemp(dir=args.workdir))
            try:
                folder = work / "src"
                paths = make_tree(folder, size, nested)
                ours = bench_aether(folder, paths, work, args.repeat)
                theirs = bench_git(folder, paths, work, args.repeat)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            layout = "nested" if nested else "flat"
            commits[(layout, size)] = ours["commit"]
            print(
                f"{layout:7} {size:>7} | {ours['fork'] * 1e3:8.1f} {ours['checkpoint'] * 1e3:8.1f} "
                f"{ours['commit'] * 1e3:10.1f} | {theirs['checkout -b'] * 1e3:18.1f} "
                f"{theirs['commit'] * 1e3:14.1f} | {ours['commit'] / theirs['commit']:10.2f}",
                flush=True,
            )
    for layout in ("flat", "nested"):
        small, large = (
            commits.get((layout, min(args.sizes))),
            commits.get((layout, max(args.sizes))),
        )
        if small and large:
            print(
                f"{layout}: commit at {max(args.sizes)} files / at {min(args.sizes)} files = "
                f"{large / small:.2f} (target <= 2)"
            )
    print(f"machine: {os.cpu_count()} cpus")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
