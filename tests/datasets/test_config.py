"""``aether.toml``: per-dataset keys and tolerances, exact names before globs."""

from __future__ import annotations

import pytest

from aether_data.datasets import Tolerance
from aether_data.datasets.config import DatasetSettings, parse_config
from aether_data.errors import Invalid

TEXT = """
[datasets."data/daily/*.csv"]
key = ["day", "shop"]

[datasets."data/orders.parquet"]
key = "order_id"
tolerance = { amount = 0.01, rate = { abs = 0.5, rel = 1e-6 } }

[datasets."archive/**/*.parquet"]
key = "id"
"""


def test_exact_names_then_globs() -> None:
    config = parse_config(TEXT)
    orders = config.for_path("data/orders.parquet")
    assert orders.key == ("order_id",)
    assert orders.tolerance == {"amount": Tolerance(abs=0.01), "rate": Tolerance(0.5, 1e-6)}
    assert config.for_path("data/daily/mon.csv").key == ("day", "shop")
    assert config.for_path("data/daily/x/mon.csv") == DatasetSettings()  # * stays in a folder
    assert config.for_path("archive/2024/01/t.parquet").key == ("id",)
    assert config.for_path("elsewhere.csv") == DatasetSettings()
    assert parse_config("").for_path("a.csv") == DatasetSettings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[datasets", "not valid TOML"),
        ("datasets = 3", "table of tables"),
        ('[datasets."a"]\nkeys = "id"', "unknown setting 'keys'"),
        ('[datasets."a"]\nkey = 3', "column name or a list"),
        ('[datasets."a"]\ntolerance = { x = "big" }', "tolerance of 'x'"),
        ('[datasets."a"]\ntolerance = { x = { abs = -1 } }', "not negative"),
    ],
)
def test_bad_configs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_config(text)
