"""Per-dataset settings in ``aether.toml`` at the root of a tree: the key and the tolerances
a diff uses for a file.

    [datasets."data/orders.parquet"]
    key = ["order_id"]                       # or key = "order_id"
    tolerance = { amount = 0.01, rate = { abs = 0.0, rel = 1e-6 } }

    [datasets."data/daily/*.csv"]            # a glob (* does not cross /; ** does)
    key = ["day", "shop"]

The first table whose name matches the path applies (an exact name before globs).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aether_data.errors import Invalid

from .diff import Tolerance

__all__ = ["CONFIG_PATH", "DatasetConfig", "DatasetSettings", "parse_config"]

CONFIG_PATH = "aether.toml"
"""Where a tree keeps its dataset settings."""


@dataclass(frozen=True, slots=True)
class DatasetSettings:
    """How to diff one dataset: its key (None: infer one) and tolerances by column."""

    key: tuple[str, ...] | None = None
    tolerance: Mapping[str, Tolerance] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DatasetConfig:
    """The ``[datasets]`` tables of an ``aether.toml``."""

    entries: tuple[tuple[str, DatasetSettings], ...] = ()

    def for_path(self, path: str) -> DatasetSettings:
        """The settings of the dataset at ``path`` (defaults when no table matches)."""
        for pattern, settings in self.entries:
            if pattern == path:
                return settings
        for pattern, settings in self.entries:
            if _glob(pattern).fullmatch(path):
                return settings
        return DatasetSettings()


def _glob(pattern: str) -> re.Pattern[str]:
    parts = pattern.split("**")
    translated = [fnmatch.translate(p).removeprefix("(?s:").removesuffix(")\\Z") for p in parts]
    return re.compile(".*".join(t.replace(".*", "[^/]*") for t in translated))


def parse_config(text: str | bytes) -> DatasetConfig:
    """Read ``aether.toml``; ``Invalid`` naming the problem for a malformed one."""
    try:
        data = tomllib.loads(text.decode() if isinstance(text, bytes) else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(f"{CONFIG_PATH} is not valid TOML: {exc}") from exc
    tables = data.get("datasets", {})
    if not isinstance(tables, dict):
        raise Invalid(f"{CONFIG_PATH}: [datasets] must be a table of tables")
    return DatasetConfig(tuple((name, _settings(name, table)) for name, table in tables.items()))


def _settings(name: str, table: Any) -> DatasetSettings:
    where = f'{CONFIG_PATH}: [datasets."{name}"]'
    if not isinstance(table, dict):
        raise Invalid(f"{where} must be a table")
    if unknown := sorted(set(table) - {"key", "tolerance"}):
        raise Invalid(f"{where}: unknown setting {unknown[0]!r} (known: key, tolerance)")
    key = table.get("key")
    if isinstance(key, str):
        key = [key]
    if key is not None and not (
        isinstance(key, list) and key and all(isinstance(k, str) for k in key)
    ):
        raise Invalid(f"{where}: key must be a column name or a list of them")
    tolerance = table.get("tolerance", {})
    if not isinstance(tolerance, dict):
        raise Invalid(f"{where}: tolerance must be a table of column = number or {{abs, rel}}")
    return DatasetSettings(
        key=tuple(key) if key else None,
        tolerance={column: _tolerance(where, column, v) for column, v in tolerance.items()},
    )


def _tolerance(where: str, column: str, value: Any) -> Tolerance:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Tolerance(abs=float(value))
    if isinstance(value, dict) and set(value) <= {"abs", "rel"}:
        numbers = {k: v for k, v in value.items() if isinstance(v, (int, float))}
        if len(numbers) == len(value):
            return Tolerance(**{k: float(v) for k, v in numbers.items()})
    raise Invalid(f"{where}: tolerance of {column!r} must be a number or {{abs = .., rel = ..}}")
