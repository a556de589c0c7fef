"""Datasets: Parquet, CSV, Arrow IPC/Feather and JSON Lines files read with DuckDB and
pyarrow. ``inspect`` profiles one file (schema, counts, bounds, preview); ``diff`` compares
two versions (schema and rows by key); ``formats`` says which paths are datasets and how DuckDB
reads them."""

from aether_data.datasets._render import to_jsonable
from aether_data.datasets.diff import (
    DatasetDiff,
    DiffSummary,
    KeyIssues,
    SchemaDiff,
    Tolerance,
    diff,
)
from aether_data.datasets.formats import (
    DatasetFormat,
    connect,
    detect_format,
    is_dataset_path,
    reading,
    register,
    sql_string,
)
from aether_data.datasets.inspect import (
    PROFILE_VERSION,
    ColumnProfile,
    CsvDialect,
    DatasetProfile,
    inspect,
)

__all__ = [
    "PROFILE_VERSION",
    "ColumnProfile",
    "CsvDialect",
    "DatasetDiff",
    "DatasetFormat",
    "DatasetProfile",
    "DiffSummary",
    "KeyIssues",
    "SchemaDiff",
    "Tolerance",
    "connect",
    "detect_format",
    "diff",
    "inspect",
    "is_dataset_path",
    "reading",
    "register",
    "sql_string",
    "to_jsonable",
]
