"""Benchmark: small-file reads and writes over HTTP, aether against a bare Litestar app.

In the same run it starts two servers, each a uvicorn subprocess with one worker on loopback:

* aether: ``create_app(settings)`` over a fresh data folder (SQLite catalog, local store);
  a bearer token on every request, files in one session.
* bare: a Litestar app with one GET handler returning a file read from disk (a sync handler
  in the thread pool, like aether's) and one PUT handler writing it from a worker thread
  (temp file, fsync, rename: as crash-safe as aether's writes); no auth, no catalog.

Then, one phase at a time, ``--clients`` concurrent keep-alive connections (default 16) read
random 4 KiB files (256 of them) or write 4 KiB files of fresh random bytes for ``--seconds``
(default 10) each. Aether writes run twice: each client in its own session (the usual shape:
a session is one person's or one pipeline's unit of work), then all clients in one session
(every write moves that session's version, so concurrent writers queue and retry).

The load comes from a minimal asyncio HTTP/1.1 client in this process, so the client's own
cost stays small and equal for both servers. It prints ops/s, p50 and p99 latency per phase
and the ratio aether / bare (target for reads: >= 0.6). Exits 0 whatever the numbers.

Reads run `--rounds` times (default 3), bare and aether alternating, and the read ratio is
the median of the rounds' ratios, so a drift of the shared machine hits both alike.

Run::

    python bench/http.py                    # 16 clients, 10 s per phase
    python bench/http.py --seconds 3 --clients 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FILE_SIZE = 4096
FILE_COUNT = 256


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    p.add_argument("--clients", type=int, default=16, help="concurrent connections")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="read rounds (bare then aether, alternating); the ratio is their median",
    )
    p.add_argument("--workdir", type=Path, default=None, help="where data goes (default: tmp)")
    p.add_argument("--serve", nargs=3, metavar=("KIND", "FOLDER", "PORT"), help=argparse.SUPPRESS)
    return p.parse_args()


# --------------------------------------------------------------------------- servers
def bare_app(folder: Path):
    """The peer: a Litestar app serving and storing files of ``folder``, nothing else."""
    from litestar import Litestar, Request, get, put  # noqa: PLC0415

    @get("/files/{name:str}", sync_to_thread=True, media_type="application/octet-stream")
    def read(name: str) -> bytes:
        return (folder / name).read_bytes()

    @put("/files/{name:str}", status_code=200)
    async def write(name: str, request: Request) -> dict[str, int]:
        data = await request.body()
        await asyncio.to_thread(_write_durably, folder / name, data)
        return {"size": len(data)}

    # The annotations are strings (postponed evaluation) naming this function's imports.
    return Litestar([read, write], signature_namespace={"Request": Request})


def _write_durably(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{random.getrandbits(32)}")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def serve(kind: str, folder: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415

    if kind == "aether":
        from aether_data.api import create_app  # noqa: PLC0415
        from aether_data.settings import Settings  # noqa: PLC0415

        app = create_app(Settings.for_home(folder))
    else:
        app = bare_app(Path(folder))
    # Both servers on the same stack, the one the project installs (h11, asyncio loop), so an
    # environment that happens to have httptools or uvloop does not change the comparison.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        http="h11",
        loop="asyncio",
    )


def unshadow_stdlib() -> None:
    """Run as a script, this file's folder comes first on ``sys.path``, and the file's name
    hides the standard library's ``http`` package (which httpx, uvicorn and litestar import)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(kind: str, folder: Path) -> tuple[subprocess.Popen, int]:
    import httpx  # noqa: PLC0415 - after unshadow_stdlib()

    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, str(folder), str(port)]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the {kind} server did not start")


# --------------------------------------------------------------------------- load
@dataclass
class Phase:
    name: str
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def ops(self) -> float:
        return len(self.latencies) / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Connection:
    """A keep-alive HTTP/1.1 connection that sends one request at a time."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def run_phase(
    name: str,
    *,
    port: int,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    make_request: Callable[[random.Random, int], tuple[str, str, bytes]],
) -> Phase:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        connection = Connection(port, headers)
        await connection.open()
        rng = random.Random(number)
        while time.perf_counter() < deadline:
            method, path, body = make_request(rng, number)
            started = time.perf_counter()
            status = await connection.request(method, path, body)
            if status >= 300:
                errors += 1
            latencies.append(time.perf_counter() - started)
        connection.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return Phase(name, latencies, time.perf_counter() - started, errors)


def reads(prefix: str) -> Callable[[random.Random, int], tuple[str, str, bytes]]:
    return lambda rng, _: ("GET", f"{prefix}/f{rng.randrange(FILE_COUNT):04d}.bin", b"")


def writes(prefix: Callable[[int], str]) -> Callable[[random.Random, int], tuple[str, str, bytes]]:
    def make(rng: random.Random, number: int) -> tuple[str, str, bytes]:
        path = f"{prefix(number)}/w{number:02d}-{rng.randrange(64):02d}.bin"
        return "PUT", path, rng.randbytes(FILE_SIZE)

    return make


# --------------------------------------------------------------------------- setup
def prepare_aether(home: Path, clients: int) -> tuple[str, str, list[str]]:
    """Issue a token, fill a session to read from and make one session per writing client
    (in-process, before the server starts)."""
    from aether_data.service import open_services  # noqa: PLC0415
    from aether_data.settings import Settings  # noqa: PLC0415

    rng = random.Random(1)
    with open_services(Settings.for_home(home)) as services:
        secret = services.tokens.issue("bench", ["admin"])[1]
        workspace = services.workspace()
        session = workspace.create_session(name="bench").id
        for i in range(FILE_COUNT):
            workspace.write(session, f"f{i:04d}.bin", rng.randbytes(FILE_SIZE))
        own = [workspace.create_session(name=f"writer-{i}").id for i in range(clients)]
    return secret, session, own


def prepare_bare(folder: Path) -> None:
    rng = random.Random(1)
    folder.mkdir(parents=True)
    for i in range(FILE_COUNT):
        (folder / f"f{i:04d}.bin").write_bytes(rng.randbytes(FILE_SIZE))


def merged(name: str, runs: list[Phase]) -> Phase:
    """One phase made of several runs of it."""
    latencies = [x for r in runs for x in r.latencies]
    return Phase(name, latencies, sum(r.seconds for r in runs), sum(r.errors for r in runs))


def report(phases: dict[str, Phase], args: argparse.Namespace, read_ratios: list[float]) -> None:
    print(
        f"\n{args.clients} clients, {args.seconds:g} s per phase, {FILE_SIZE} B files, "
        f"{args.rounds} read rounds"
    )
    print(f"{'phase':<14}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for phase in phases.values():
        print(
            f"{phase.name:<14}{phase.ops:>10.0f}{phase.quantile(0.5):>10.2f}"
            f"{phase.quantile(0.99):>10.2f}{phase.errors:>8}"
        )
    read_ratio = statistics.median(read_ratios)
    write_ratio = phases["aether write"].ops / phases["bare write"].ops
    print("(aether write: a session per client; aether write1: all clients in one session)")
    rounds = ", ".join(f"{r:.2f}" for r in read_ratios)
    print(f"\naether / bare reads = {read_ratio:.2f}, median of rounds ({rounds}) (target >= 0.6)")
    print(f"aether / bare writes = {write_ratio:.2f}")
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


def main() -> None:
    args = parse_args()
    unshadow_stdlib()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="http-bench-") as work:
        root = Path(work)
        secret, session, own = prepare_aether(root / "aether", args.clients)
        prepare_bare(root / "bare")
        servers: list[tuple[subprocess.Popen, int]] = []
        try:
            servers += [start("aether", root / "aether"), start("bare", root / "bare")]
            (_, aether_port), (_, bare_port) = servers
            auth = {"Authorization": f"Bearer {secret}"}
            prefix = f"/v1/sessions/{session}/files"
            read_plan = [
                ("bare read", bare_port, {}, reads("/files")),
                ("aether read", aether_port, auth, reads(prefix)),
            ]
            plan = [
                ("bare write", bare_port, {}, writes(lambda _: "/files")),
                (
                    "aether write",
                    aether_port,
                    auth,
                    writes(lambda n: f"/v1/sessions/{own[n]}/files"),
                ),
                ("aether write1", aether_port, auth, writes(lambda _: prefix)),
            ]

            def run(name, port, headers, make) -> Phase:
                return asyncio.run(
                    run_phase(
                        name,
                        port=port,
                        headers=headers,
                        clients=args.clients,
                        seconds=args.seconds,
                        make_request=make,
                    )
                )

            # Reads alternate bare / aether so that drift of the machine hits both alike.
            rounds = [[run(*step) for step in read_plan] for _ in range(args.rounds)]
            phases = {
                name: merged(name, [r[i] for r in rounds]) for i, (name, *_) in enumerate(read_plan)
            }
            phases |= {step[0]: run(*step) for step in plan}
            report(phases, args, [aether.ops / bare.ops for bare, aether in rounds])
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
