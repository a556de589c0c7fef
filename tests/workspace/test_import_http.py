"""Importing over http(s) through fsspec, from a server on loopback."""

from __future__ import annotations

import functools
import http.server
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aether_data.storage import MemoryObjectStore
from aether_data.workspace import import_url
from aether_data.workspace.export import iter_tree

pytest.importorskip(
    "aiohttp", reason="fsspec's http filesystem needs aiohttp (pip install aiohttp)"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_archive_over_http(served: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "data" / "a.csv").write_text("id\n1\n")
    (src / "README.md").write_text("hello\n")
    with tarfile.open(tmp_path / "ws.tar.gz", "w:gz") as tar:
        tar.add(src, arcname=".")
    store = MemoryObjectStore()
    result = import_url(store, f"{served}/ws.tar.gz")
    files = {
        path: store.read_bytes(e.id)
        for path, e in iter_tree(store, result.tree_id)
        if e.kind.value == "file"
    }
    assert files == {"README.md": b"hello\n", "data/a.csv": b"id\n1\n"}
    assert result.provenance["url"] == f"{served}/ws.tar.gz"
