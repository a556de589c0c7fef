"""The kernel extension against a live Aether server (``AETHER_SERVER``, ``AETHER_TOKEN``)."""

from __future__ import annotations

from pathlib import Path

from _kernel import Kernel, kernel_env

from aether_data.client import AetherClient

CSV = "sku,price\nA-1,10.0\nA-2,12.5\nA-3,8.0\n"


def test_a_kernel_works_on_a_server_session(live_server, tmp_path: Path) -> None:
    with AetherClient(live_server.url, live_server.token) as client:
        session_id = client.create_session(name="remote").id
        client.write(session_id, "data/prices.csv", CSV.encode())
        env = kernel_env(
            tmp_path / "home",
            session_id,
            AETHER_SERVER=live_server.url,
            AETHER_TOKEN=live_server.token,
        )
        kernel = Kernel(env, tmp_path)
        try:
            out = kernel.ok("%load_ext aether_data.kernel")
            assert "dataset views: prices" in out.stdout
            query = "%%aether_sql cheap\nSELECT sku FROM prices WHERE price < 11 ORDER BY sku"
            kernel.ok(query)
            assert kernel.value("list(cheap['sku'])") == ["A-1", "A-3"]
            kernel.ok("%aether checkpoint -m base --name base")
            kernel.ok(
                "session.write('data/prices.csv', session.read_text('data/prices.csv')"
                ".replace('12.5', '13.0'))"
            )
            html = kernel.ok("%aether diff base").html
            assert "A-2" in html
            assert "13.0" in html
            assert [c.name for c in client.list_checkpoints(session_id).items] == ["base"]
        finally:
            kernel.close()
    # the cache is on the kernel's machine, under its AETHER_HOME
    assert len(list((tmp_path / "home" / "cache" / "datasets").iterdir())) == 2
