"""Benchmark: Jupyter's contents API over a session, against FileContentsManager on local disk.

Builds (in a temporary folder) a notebook of about ``--mib`` MiB (code cells with text
outputs) and a folder of ``--files`` small files, three times over:

* ``local``: jupyter_server's default ``AsyncFileContentsManager`` on a local folder;
* ``embedded``: ``AetherContentsManager`` over the embedded workspace (SQLite + local objects);
* ``remote``: ``AetherContentsManager`` over ``AetherClient`` to an Aether server running in a
  subprocess on loopback (``tests/_live.py``).

Then times, best of ``--repeat``, each through the contents manager's API (what the contents
REST handlers call): ``get`` of the notebook with content, ``save`` of the notebook with one
cell changed (a new content each time: nothing is deduplicated away), and ``get`` of the
folder (the listing, with content). Prints the times and the ratios the issue sets as targets:
get/save within 1.5x of local embedded and 3x remote, listing at least 5x faster than local.
Exits 0 whatever the numbers.

Run::

    python bench/jupyter_contents.py                 # 4.5 MiB notebook, 5,000 files
    python bench/jupyter_contents.py --repeat 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on sys.path, and bench/http.py hides the standard
# library's http package (which tornado imports): drop the folder before importing.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import nbformat  # noqa: E402
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager  # noqa: E402

from aether_data.client import AetherClient  # noqa: E402
from aether_data.service import open_services  # noqa: E402
from aether_data.settings import Settings  # noqa: E402
from aether_data.wire import BatchOperation  # noqa: E402
from aether_jupyter import AetherContentsManager  # noqa: E402

MIB = 1 << 20
FOLDER = "many"
NOTEBOOK = "big.ipynb"
TARGETS = {"embedded": 1.5, "remote": 3.0}
LISTING_TARGET = 5.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mib", type=float, default=4.5, help="notebook size (MiB)")
    p.add_argument("--files", type=int, default=5000, help="files in the listed folder")
    p.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    return p.parse_args()


def make_notebook(mib: float) -> Any:
    nb = nbformat.v4.new_notebook()
    line = "x" * 99 + "\n"
    cell_text = line * 400  # 40 kB of output per cell
    while len(nbformat.writes(nb)) < mib * MIB:
        cell = nbformat.v4.new_code_cell(f"print('cell {len(nb.cells)}')")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=cell_text)]
        nb.cells.append(cell)
    return nb


def fill_local(root: Path, nb: Any, files: int) -> None:
    (root / FOLDER).mkdir(parents=True)
    nbformat.write(nb, root / NOTEBOOK)
    for i in range(files):
        (root / FOLDER / f"file-{i:05d}.txt").write_bytes(b"x" * 100)


def fill_session(api: Any, session: str, nb: Any, files: int) -> None:
    api.write(session, NOTEBOOK, nbformat.writes(nb).encode())
    for start in range(0, files, 1000):
        operations = [
            BatchOperation(op="write", path=f"{FOLDER}/file-{i:05d}.txt", data=b"x" * 100)
            for i in range(start, min(files, start + 1000))
        ]
        api.batch(session, operations)


async def best(repeat: int, work: Callable[[int], Awaitable[Any]]) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        await work(i)
        times.append(time.perf_counter() - started)
    return min(times)


async def measure(cm: Any, repeat: int, files: int) -> dict[str, float]:
    model = await cm.get(NOTEBOOK)

    async def get(_: int) -> None:
        await cm.get(NOTEBOOK)

    async def save(i: int) -> None:
        model["content"].cells[0].source = f"print('run {i} {time.time()}')"
        await cm.save({"type": "notebook", "content": model["content"]}, NOTEBOOK)

    async def listing(_: int) -> None:
        listed = await cm.get(FOLDER)
        assert len(listed["content"]) == files

    await listing(0)  # warm: caches of either side
    return {
        "get": await best(repeat, get),
        "save": await best(repeat, save),
        "list": await best(repeat, listing),
    }


def start_server(home: Path) -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from _live import start_process_server  # noqa: PLC0415

    return start_process_server(Settings.for_home(home))


async def run(args: argparse.Namespace, work: Path) -> dict[str, dict[str, float]]:
    nb = make_notebook(args.mib)
    size = len(nbformat.writes(nb)) / MIB
    print(f"notebook {size:.2f} MiB ({len(nb.cells)} cells), folder of {args.files} files")
    results: dict[str, dict[str, float]] = {}

    fill_local(work / "local", nb, args.files)
    local = AsyncFileContentsManager(root_dir=str(work / "local"))
    results["local"] = await measure(local, args.repeat, args.files)

    with open_services(Settings.for_home(work / "embedded")) as services:
        api = services.workspace()
        session = api.create_session(name="bench").id
        fill_session(api, session, nb, args.files)
        cm = AetherContentsManager(api=api, session=session)
        results["embedded"] = await measure(cm, args.repeat, args.files)

    server = start_server(work / "remote")
    try:
        with AetherClient(server.url, server.token) as client:
            session = client.create_session(name="bench").id
            fill_session(client, session, nb, args.files)
            cm = AetherContentsManager(api=client, session=session)
            results["remote"] = await measure(cm, args.repeat, args.files)
    finally:
        server.stop()
    return results


def report(results: dict[str, dict[str, float]]) -> None:
    local = results["local"]
    print(f"\n{'':10}{'get (s)':>10}{'save (s)':>10}{'list (s)':>10}")
    for name, times in results.items():
        print(f"{name:10}{times['get']:10.4f}{times['save']:10.4f}{times['list']:10.4f}")
    print("\nratios (ours / local for get and save; local / ours for the listing):")
    for name, target in TARGETS.items():
        ours = results[name]
        get, save = ours["get"] / local["get"], ours["save"] / local["save"]
        speedup = local["list"] / ours["list"]
        print(
            f"  {name:9} get {get:5.2f}x  save {save:5.2f}x  (target <= {target}x)   "
            f"list {speedup:6.1f}x faster (target >= {LISTING_TARGET}x)"
        )


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="aether-bench-") as folder:
        os.environ.pop("AETHER_SERVER", None)
        report(asyncio.run(run(args, Path(folder))))


if __name__ == "__main__":
    main()
