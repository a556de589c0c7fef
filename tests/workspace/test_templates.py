"""Sample workspace templates: files copied, datasets generated, the same bytes every time."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from aether_data.errors import Conflict, NotFound
from aether_data.workspace import _template_data
from aether_data.workspace.templates import DEFAULT_ROOT, list_templates, materialize_template


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize_template("analytics", tmp_path_factory.mktemp("t") / "analytics")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize_template("pipeline", tmp_path_factory.mktemp("t") / "pipeline")


def _assert_unique_key(table: pa.Table, key: str, min_rows: int) -> None:
    assert table.num_rows >= min_rows
    assert table[key].null_count == 0
    assert pc.count_distinct(table[key]).as_py() == table.num_rows


def _assert_refers(child: pa.Table, parent: pa.Table, column: str) -> None:
    assert pc.all(pc.is_in(child[column], value_set=parent[column])).as_py()


def test_the_repository_offers_three_templates() -> None:
    assert Path(__file__).resolve().parents[2] / "sample_workspaces" == DEFAULT_ROOT
    assert {"analytics", "pipeline", "starter"} <= set(list_templates())


def test_analytics_holds_the_promised_files(analytics: Path) -> None:
    assert set(_files(analytics)) == {
        "README.md",
        "data/customers.csv",
        "data/orders.parquet",
        "data/products.parquet",
        "migrations/0001_create_orders.sql",
        "migrations/0002_add_customer_segment.sql",
        "migrations/0003_orders_by_country_view.sql",
        "notebooks/cohorts.ipynb",
        "notebooks/revenue.ipynb",
        "notebooks/session.ipynb",
    }


def test_analytics_datasets_have_unique_keys_and_consistent_references(analytics: Path) -> None:
    orders = pq.read_table(analytics / "data" / "orders.parquet")
    customers = pa_csv.read_csv(analytics / "data" / "customers.csv")
    products = pq.read_table(analytics / "data" / "products.parquet")
    _assert_unique_key(orders, "order_id", 20_000)
    _assert_unique_key(customers, "customer_id", 10_000)
    _assert_unique_key(products, "sku", 200)
    _assert_refers(orders, customers, "customer_id")
    _assert_refers(orders, products, "sku")
    assert orders.schema.metadata == {b"aether.key": b"order_id"}


def test_analytics_column_types(analytics: Path) -> None:
    schema = pq.read_schema(analytics / "data" / "orders.parquet")
    expected = {
        "order_id": pa.int64(),
        "customer_id": pa.int64(),
        "order_date": pa.date32(),
        "amount": pa.decimal128(12, 2),
        "currency": pa.string(),
        "status": pa.string(),
        "country": pa.string(),
    }
    assert {name: schema.field(name).type for name in expected} == expected
    customers = pa_csv.read_csv(analytics / "data" / "customers.csv")
    assert customers.column_names == [
        "customer_id",
        "name",
        "email",
        "country",
        "signup_date",
        "segment",
    ]
    assert customers.schema.field("signup_date").type == pa.date32()


def test_orders_are_placed_after_signup_in_the_customers_country(analytics: Path) -> None:
    orders = pq.read_table(analytics / "data" / "orders.parquet")
    customers = pa_csv.read_csv(analytics / "data" / "customers.csv")
    joined = orders.join(customers, "customer_id", right_suffix="_customer")
    assert joined.num_rows == orders.num_rows
    assert pc.all(pc.greater_equal(joined["order_date"], joined["signup_date"])).as_py()
    assert pc.all(pc.equal(joined["country"], joined["country_customer"])).as_py()


def test_pipeline_holds_the_promised_files(pipeline: Path) -> None:
    assert set(_files(pipeline)) == {
        "README.md",
        "config/settings.toml",
        "data/baseline/events.parquet",
        "data/baseline/users.csv",
        "pipelines/customer_dedup.toml",
        "pipelines/daily_revenue.toml",
    }


def test_pipeline_baseline_has_unique_keys_and_timestamps(pipeline: Path) -> None:
    events = pq.read_table(pipeline / "data" / "baseline" / "events.parquet")
    users = pa_csv.read_csv(pipeline / "data" / "baseline" / "users.csv")
    _assert_unique_key(events, "event_id", 50_000)
    _assert_unique_key(users, "user_id", 1_000)
    _assert_refers(events, users, "user_id")
    assert events.schema.field("occurred_at").type == pa.timestamp("us", tz="UTC")
    assert {"user_id", "event_type", "value"} <= set(events.column_names)


def test_pipeline_users_hold_duplicates_for_the_dedup_pipeline(pipeline: Path) -> None:
    users = pa_csv.read_csv(pipeline / "data" / "baseline" / "users.csv")
    normalized = pc.utf8_lower(pc.utf8_trim_whitespace(users["email"]))
    duplicates = users.num_rows - pc.count_distinct(normalized).as_py()
    assert 0 < duplicates < users.num_rows * 0.05


def test_pipeline_configs_parse_and_name_files_that_exist(pipeline: Path) -> None:
    tomllib.loads((pipeline / "config" / "settings.toml").read_text())
    for config in (pipeline / "pipelines").glob("*.toml"):
        parsed = tomllib.loads(config.read_text())
        assert {"pipeline", "sources", "transforms", "outputs"} <= set(parsed)
        assert parsed["pipeline"]["schedule"]
        for source in parsed["sources"].values():
            assert source["key"]
            if source["path"].startswith("data/baseline/"):
                assert (pipeline / source["path"]).is_file()


@pytest.mark.parametrize("name", ["revenue", "cohorts"])
def test_notebooks_are_nbformat_4_without_outputs(analytics: Path, name: str) -> None:
    notebook = json.loads((analytics / "notebooks" / f"{name}.ipynb").read_text())
    assert notebook["nbformat"] == 4
    assert notebook["nbformat_minor"] >= 5
    assert notebook["metadata"]["kernelspec"]["language"] == "python"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 3
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    ids = [c["id"] for c in notebook["cells"]]
    assert len(set(ids)) == len(ids)
    for cell in code:
        ast.parse("".join(cell["source"]))


@pytest.mark.parametrize("name", ["revenue", "cohorts"])
def test_notebooks_read_datasets_that_exist(analytics: Path, name: str) -> None:
    text = (analytics / "notebooks" / f"{name}.ipynb").read_text()
    named = set(re.findall(r"(\w+\.(?:parquet|csv))", text))
    assert named
    assert all((analytics / "data" / file).is_file() for file in named)


@pytest.mark.parametrize("name", ["analytics", "pipeline", "starter"])
def test_two_materializations_are_byte_identical(tmp_path: Path, name: str) -> None:
    first = _files(materialize_template(name, tmp_path / "one"))
    second = _files(materialize_template(name, tmp_path / "two"))
    assert first == second


def test_starter_is_copied_as_checked_in(tmp_path: Path) -> None:
    copied = _files(materialize_template("starter", tmp_path / "s"))
    assert copied == _files(DEFAULT_ROOT / "starter")


def test_an_empty_destination_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = materialize_template("starter", tmp_path / "empty")
    assert (result / "README.md").is_file()


def test_missing_parents_of_the_destination_are_made(tmp_path: Path) -> None:
    result = materialize_template("starter", tmp_path / "a" / "b" / "c")
    assert result == tmp_path / "a" / "b" / "c"
    assert (result / "README.md").is_file()
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["c"]


def test_unknown_template_lists_the_available_names(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no template 'nope'.*analytics.*pipeline.*starter"):
        materialize_template("nope", tmp_path / "x")
    with pytest.raises(NotFound):
        materialize_template("../analytics", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_non_empty_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty"):
        materialize_template("analytics", tmp_path / "full")
    assert _files(tmp_path / "full") == {"keep.txt": b"mine"}


def test_a_file_as_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(Conflict, match="not a folder"):
        materialize_template("starter", tmp_path / "file")


def test_a_missing_templates_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(NotFound, match="nowhere"):
        list_templates(missing)
    with pytest.raises(NotFound, match="nowhere"):
        materialize_template("analytics", tmp_path / "x", root=missing)


def test_an_explicit_root_is_used(tmp_path: Path) -> None:
    (tmp_path / "root" / "tiny" / "sql").mkdir(parents=True)
    (tmp_path / "root" / "tiny" / "sql" / "a.sql").write_text("SELECT 1;\n")
    (tmp_path / "root" / ".hidden").mkdir()
    assert list_templates(tmp_path / "root") == ["tiny"]
    result = materialize_template("tiny", tmp_path / "out", root=tmp_path / "root")
    assert _files(result) == {"sql/a.sql": b"SELECT 1;\n"}


def test_a_failing_generator_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(_template_data.GENERATORS, "starter", fail)
    with pytest.raises(RuntimeError, match="boom"):
        materialize_template("starter", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
