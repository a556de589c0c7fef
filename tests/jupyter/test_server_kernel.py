"""End to end: a real jupyter_server with the aether_jupyter extension over a session, and a
real kernel that queries the session's Parquet dataset with DuckDB (through ``aether://``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import nbformat
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

QUERY = """
import duckdb
from aether_data.fs import AetherFileSystem
con = duckdb.connect()
con.register_filesystem(AetherFileSystem())
rows = con.sql("select count(*), sum(amount) from 'aether://{session}/data/orders.parquet'")
print(rows.fetchall())
"""


@pytest.fixture
def orders(workspace: Any, session_id: str) -> None:
    table = pa.table({"order_id": [1, 2, 3], "amount": [10.0, 20.5, 30.0]})
    out = io.BytesIO()
    pq.write_table(table, out)
    workspace.write(session_id, "data/orders.parquet", out.getvalue())


async def _fetch_json(jp_fetch: Any, *parts: str, **kwargs: Any) -> Any:
    response = await jp_fetch(*parts, **kwargs)
    return json.loads(response.body.decode()) if response.body else None


async def _run(jp_serverapp: Any, kernel_id: str, code: str) -> str:
    kernel = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    client = kernel.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def keep(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                printed.append("\n".join(message["content"]["traceback"]))

        reply = await client.execute_interactive(code, output_hook=keep, timeout=120)
        assert reply["content"]["status"] == "ok", "".join(printed)
        return "".join(printed)
    finally:
        client.stop_channels()


async def test_notebook_kernel_duckdb_save_and_checkpoint(
    jp_fetch: Any,
    jp_serverapp: Any,
    workspace: Any,
    session_id: str,
    orders: None,
    aether_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AETHER_HOME", str(aether_home))  # the kernel opens the same workspace
    for name in ("AETHER_SERVER", "AETHER_TOKEN", "AETHER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(QUERY.format(session=session_id)))
    body = json.dumps({"type": "notebook", "content": nb})
    await jp_fetch("api", "contents", "analysis.ipynb", method="PUT", body=body)

    opened = await _fetch_json(jp_fetch, "api", "contents", "analysis.ipynb")
    kernel = await _fetch_json(jp_fetch, "api", "kernels", method="POST", body="{}")
    try:
        printed = await _run(jp_serverapp, kernel["id"], opened["content"]["cells"][0]["source"])
    finally:
        await jp_fetch("api", "kernels", kernel["id"], method="DELETE")
    assert "[(3, 60.5)]" in printed

    cell = opened["content"]["cells"][0]
    cell["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    cell["execution_count"] = 1
    body = json.dumps({"type": "notebook", "content": opened["content"]})
    await jp_fetch("api", "contents", "analysis.ipynb", method="PUT", body=body)
    reported = await _fetch_json(
        jp_fetch, "api", "contents", "analysis.ipynb", params={"hash": "1", "content": "0"}
    )
    assert reported["hash"] == workspace.stat(session_id, "analysis.ipynb").id
    saved = nbformat.reads(workspace.read(session_id, "analysis.ipynb").decode(), as_version=4)
    assert "60.5" in saved.cells[0].outputs[0].text

    checkpoint = await _fetch_json(
        jp_fetch,
        "api",
        "contents",
        "analysis.ipynb",
        "checkpoints",
        method="POST",
        allow_nonstandard_methods=True,
    )
    before = workspace.read(session_id, "analysis.ipynb")
    changed = nbformat.reads(before.decode(), as_version=4)
    changed.cells.append(nbformat.v4.new_markdown_cell("changed"))
    body = json.dumps({"type": "notebook", "content": changed})
    await jp_fetch("api", "contents", "analysis.ipynb", method="PUT", body=body)
    assert workspace.read(session_id, "analysis.ipynb") != before
    await jp_fetch(
        "api",
        "contents",
        "analysis.ipynb",
        "checkpoints",
        checkpoint["id"],
        method="POST",
        allow_nonstandard_methods=True,
    )
    assert workspace.read(session_id, "analysis.ipynb") == before


async def test_files_and_aether_routes(
    jp_fetch: Any, workspace: Any, session_id: str, orders: None
) -> None:
    payload = bytes(range(256)) * 9000  # several pieces of /files/
    workspace.write(session_id, "big.bin", payload)
    response = await jp_fetch("files", "big.bin")
    assert response.body == payload
    assert response.headers["ETag"] == f'"{workspace.stat(session_id, "big.bin").id}"'

    info = await _fetch_json(jp_fetch, "aether", "api", "session")
    assert info["id"] == session_id
    taken = await _fetch_json(
        jp_fetch, "aether", "api", "checkpoints", method="POST", body='{"name": "review-1"}'
    )
    assert taken["name"] == "review-1"
    listed = await _fetch_json(jp_fetch, "aether", "api", "checkpoints")
    assert "review-1" in [c["name"] for c in listed]
    changes = await _fetch_json(jp_fetch, "aether", "api", "diff")
    assert {"data/orders.parquet", "big.bin"} <= {c["path"] for c in changes}
