"""``%load_ext aether_data.kernel`` in a real kernel bound to an embedded session: the
views, ``%%aether_sql``, checkpoints, diffs, the cache and the error messages. One kernel
serves the module; the tests run in order and build on each other's session state."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _kernel import Kernel, kernel_env

from aether_data.service import Services, open_services
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI

ORDERS = pa.table(
    {
        "order_id": pa.array([1, 2, 3, 4], pa.int64()),
        "customer_id": pa.array([10, 11, 10, 12], pa.int64()),
        "amount": pa.array([9.5, 20.0, 3.25, 41.0]),
    }
)
CUSTOMERS = "customer_id,name,country\n10,Ada,DE\n11,Linus,FI\n12,Grace,US\n"


def _parquet(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kernel") / "home"


@pytest.fixture(scope="module")
def services(home: Path) -> Iterator[Services]:
    with open_services(Settings.for_home(home)) as opened:
        yield opened


@pytest.fixture(scope="module")
def api(services: Services) -> WorkspaceAPI:
    return services.workspace()


@pytest.fixture(scope="module")
def session_id(api: WorkspaceAPI) -> str:
    made = api.create_session(name="kernel-test")
    api.write(made.id, "data/orders.parquet", _parquet(ORDERS))
    api.write(made.id, "data/customers.csv", CUSTOMERS.encode())
    api.write(made.id, "notes/readme.md", b"not a dataset\n")
    return made.id


@pytest.fixture(scope="module")
def kernel(home: Path, session_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    started = Kernel(kernel_env(home, session_id), tmp_path_factory.mktemp("cwd"))
    try:
        yield started
    finally:
        started.close()


def _cache_files(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "cache" / "datasets").iterdir())


def test_loading_pushes_the_session_and_a_view_per_dataset(kernel: Kernel, session_id: str):
    out = kernel.ok("%load_ext aether_data.kernel")
    assert f"session {session_id} (kernel-test); dataset views: customers, orders" in out.stdout
    assert kernel.value("session.id") == session_id
    assert kernel.value("session.ls('data')") == ["customers.csv", "orders.parquet"]
    assert kernel.value("sorted(session.read_text('notes/readme.md').split())") == [
        "a",
        "dataset",
        "not",
    ]


def test_con_queries_the_parquet_and_the_csv_dataset(kernel: Kernel) -> None:
    query = (
        "con.sql('SELECT c.name, sum(o.amount) FROM orders o JOIN customers c USING "
        "(customer_id) GROUP BY 1 ORDER BY 1').fetchall()"
    )
    assert kernel.value(query) == [("Ada", 12.75), ("Grace", 41.0), ("Linus", 20.0)]


def test_aether_sql_returns_a_dataframe_and_assigns_it(kernel: Kernel) -> None:
    out = kernel.ok(
        "%%aether_sql by_country\nSELECT country, count(*) AS n FROM customers GROUP BY 1"
    )
    assert "country" in out.text
    assert "FI" in out.html  # shown as the cell's result too
    assert kernel.value("type(by_country).__name__") == "DataFrame"
    assert kernel.value("sorted(by_country['country'])") == ["DE", "FI", "US"]


def test_checkpoint_is_visible_through_the_workspace_api(
    kernel: Kernel, api: WorkspaceAPI, session_id: str
) -> None:
    out = kernel.ok('%aether checkpoint -m "before the fix" --name before')
    assert f"checkpoint before of session {session_id}" in out.stdout
    made = {c.name: c for c in api.list_checkpoints(session_id).items}
    assert made["before"].message == "before the fix"


def test_diff_renders_the_changed_rows(kernel: Kernel, api: WorkspaceAPI, session_id: str):
    changed = ORDERS.set_column(2, "amount", pa.array([9.5, 20.0, 3.25, 77.77]))
    api.write(session_id, "data/orders.parquet", _parquet(changed))
    out = kernel.ok("%aether diff before")
    html = out.html
    assert "data/orders.parquet" in html
    assert "changed 1" in html
    assert "77.77" in html
    assert "41.0" in html
    assert "customers.csv" not in html  # unchanged files are left out
    both = kernel.ok("%aether diff before current -- data/orders.parquet").html
    assert "77.77" in both


def test_refresh_downloads_only_new_content(kernel: Kernel, home: Path) -> None:
    # 3 contents so far: two orders versions (the new one fetched by the diff) and customers
    before = _cache_files(home)
    assert len(before) == 3
    out = kernel.ok("%aether refresh")
    assert "dataset views: customers, orders" in out.stdout
    assert kernel.value("con.sql('SELECT max(amount) FROM orders').fetchall()[0][0]") == 77.77
    assert _cache_files(home) == before


def test_a_repeated_refresh_costs_no_download(kernel: Kernel, home: Path) -> None:
    kernel.ok("import aether_data.kernel as _k; _state = next(iter(_k._LOADED.values()))")
    first = kernel.value("_state.cache.downloads")
    kernel.ok("%aether refresh")
    kernel.ok("%aether refresh")
    assert kernel.value("_state.cache.downloads") == first


def test_bad_sql_is_one_clear_line(kernel: Kernel) -> None:
    out = kernel.run("%%aether_sql\nSELEC * FROM orders")
    assert out.status == "error"
    assert "Parser Error" in out.stderr
    assert "Traceback" not in out.stderr + str(out.error)


def test_an_unknown_checkpoint_is_one_clear_line(kernel: Kernel) -> None:
    out = kernel.run("%aether diff no-such-checkpoint")
    assert out.status == "error"
    assert "no checkpoint 'no-such-checkpoint'" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unknown_session_is_one_clear_line(kernel: Kernel, session_id: str) -> None:
    try:
        kernel.ok("import os; os.environ['AETHER_SESSION'] = 's-0000000000000000'")
        out = kernel.run("%reload_ext aether_data.kernel")
        assert out.status == "error"
        assert "no session 's-0000000000000000'" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        kernel.ok(f"os.environ['AETHER_SESSION'] = {session_id!r}")
        kernel.ok("%reload_ext aether_data.kernel")
    assert kernel.value("session.id") == session_id


def test_a_checkpoint_never_cached_is_read_at_the_checkpoint(
    kernel: Kernel, api: WorkspaceAPI, session_id: str
) -> None:
    api.write(session_id, "data/customers.csv", (CUSTOMERS + "13,Edsger,NL\n").encode())
    api.checkpoint(session_id, "mid")
    api.write(session_id, "data/customers.csv", (CUSTOMERS + "13,Edsger,BE\n").encode())
    html = kernel.ok("%aether diff mid -- data/customers.csv").html
    assert "Edsger" in html
    assert "changed 1" in html
    assert api.list_sessions(tag="aether-kernel-scratch").items == []  # no session made
    assert "No dataset file differs" in kernel.ok("%aether diff current current").html


def test_a_source_never_cached_is_read_through_a_retired_scratch_session(
    kernel: Kernel, api: WorkspaceAPI
) -> None:
    api.create_source("kernel-customers")
    work = api.create_session(source="kernel-customers").id
    api.write(work, "data/customers.csv", (CUSTOMERS + "13,Barbara,GB\n").encode())
    api.commit(work, message="customers elsewhere")
    html = kernel.ok("%aether diff source:kernel-customers -- data/customers.csv").html
    assert "Barbara" in html
    scratch = api.list_sessions(tag="aether-kernel-scratch").items
    assert [s.status for s in scratch] == ["RETIRED"]
