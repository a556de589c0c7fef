"""Differential test: ``diff`` against datacompy on generated tables.

Hypothesis draws a table A (a key, ``id`` or ``id`` and a string ``k2``, and columns of ints,
floats, float32s, bools, strings, dates and timestamps, with NULLs) and a version B of it:
rows deleted, inserted and updated, columns dropped, added and widened (int64 to float64),
a tolerance (absolute and relative) for float columns, and at times small row groups and B's
rows in A's order, so that equal row groups are skipped. Both files go through ``diff`` and
through datacompy's ``PolarsCompare`` (exact Arrow types, so no pandas NULL or dtype
inference gets in between), which must agree on: the keys only in A, only in B, of rows with
any mismatch, and the mismatching cells per column, with datacompy's tolerance rule
``|a - b| <= abs + rel * |b|``.

Kept out on purpose, where the two differ by design, not by mistake:

* NaN: datacompy compares floats with ``numpy.isclose(equal_nan=True)`` after turning NULL
  into NaN, so it finds NULL and NaN equal; ``diff`` keeps them apart.
* NULL and repeated keys: datacompy joins repeated keys by their order of appearance;
  ``diff`` leaves them out and counts them (``KeyIssues``).
* Renames: ``diff`` pairs a dropped and an added column holding the same values as a
  rename; datacompy knows only names. When ``diff`` finds one, the test checks the two
  columns hold the same values and renames the column in B for datacompy.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_data.datasets import Tolerance, diff


def require(module: str) -> Any:
    """Import a test dependency, or skip (user's machine) / fail (CI) naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed; run: pip install 'aether-data[dev]'"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason, allow_module_level=True)


datacompy = require("datacompy")
pl = require("polars")

# datacompy 1.1 calls polars' join with the argument's old name
pytestmark = pytest.mark.filterwarnings("ignore:the argument `join_nulls`:DeprecationWarning")

KINDS = ("int", "float", "float32", "bool", "string", "date", "timestamp")
ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "float32": pa.float32(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "widened": pa.float64(),  # an int64 column of A as float64 in B
    "k2": pa.string(),  # the second column of a two-column key
}
EPOCH = dt.datetime(2020, 1, 1)

# Few distinct values, so that equal values, near misses and repeated values are common.
FLOATS = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 100.0, 1e-9]) | st.floats(
    -1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": st.integers(-3, 3) | st.integers(-(10**6), 10**6),
    "float": FLOATS,
    "float32": FLOATS.map(lambda x: float(np.float32(x))),
    "bool": st.booleans(),
    "string": st.text("ab ", max_size=3),
    "date": st.dates(dt.date(2000, 1, 1), dt.date(2000, 1, 5)) | st.dates(),
    "timestamp": st.integers(0, 3).map(lambda s: EPOCH + dt.timedelta(seconds=s))
    | st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)),
}
VALUES["widened"] = VALUES["int"]
# How an update moves a float: deltas near the tolerances drawn below, and exact ties.
FLOAT_DELTAS = [0.0, 1e-12, 0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 10.0]
TOLERANCES = [0.0, 0.01, 0.1, 0.5, 1.0]
# Small row groups (written alike on both sides) so that some are equal bytes and skipped.
ROW_GROUP_SIZES = [None, 2, 3, 7]


def nullable(kind: str) -> st.SearchStrategy[Any]:
    return st.none() | VALUES[kind]


@dataclass
class Case:
    """Two versions of a table, and how to compare them."""

    key: list[str]
    kinds: dict[str, str]  # column -> kind, in A (key columns first)
    before: list[dict[str, Any]]
    after_kinds: dict[str, str]  # column -> kind, in B
    after: list[dict[str, Any]]
    tolerances: dict[str, tuple[float, float]] = field(default_factory=dict)  # abs, rel
    row_group_size: int | None = None

    def tables(self) -> tuple[pa.Table, pa.Table]:
        return _table(self.before, self.kinds), _table(self.after, self.after_kinds)

    def write(self, folder: Path) -> tuple[Path, Path]:
        paths = folder / "a.parquet", folder / "b.parquet"
        for table, path in zip(self.tables(), paths, strict=True):
            pq.write_table(table, path, row_group_size=self.row_group_size)
        return paths


def _table(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pa.Table:
    schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in kinds.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def _update(draw: Callable, kind: str, old: Any) -> Any:
    if kind in ("float", "widened") and old is not None and draw(st.booleans()):
        return old + draw(st.sampled_from(FLOAT_DELTAS)) * draw(st.sampled_from([1, -1]))
    return draw(nullable(kind))


@st.composite
def cases(draw: Callable) -> Case:
    key = ["id", "k2"] if draw(st.booleans()) else ["id"]
    keys = st.tuples(st.integers(-50, 50), st.sampled_from("xy"))
    values = {f"c{i}": draw(st.sampled_from(KINDS)) for i in range(draw(st.integers(1, 5)))}
    kinds = {"id": "int"} | ({"k2": "k2"} if len(key) == 2 else {}) | values
    ids = draw(st.lists(keys, unique_by=lambda k: k[: len(key)], max_size=25))
    in_order = len(key) == 1 and draw(st.booleans())  # sorted by key: the hash filter's case
    if in_order:
        ids.sort()
    before = [dict(zip(kinds, i, strict=False)) for i in ids]
    for row in before:
        row |= {c: draw(nullable(k)) for c, k in values.items()}

    after_values = _new_columns(draw, values)
    after_kinds = {k: kinds[k] for k in key} | after_values
    update_one_in, delete_one_in = draw(st.sampled_from([2, 3, 20])), draw(st.sampled_from([4, 50]))
    after = []
    for row in before:
        if draw(st.integers(1, delete_one_in)) == 1:
            continue  # deleted
        new = {k: row[k] for k in key}
        for name, kind in after_values.items():
            if name not in values:  # an added column
                new[name] = draw(nullable(kind))
            elif draw(st.integers(1, update_one_in)) == 1:
                new[name] = _update(draw, kind, row[name])
            else:
                new[name] = row[name]
        after.append(new)
    taken = {tuple(r[k] for k in key) for r in before}
    for i in draw(st.lists(keys, unique_by=lambda k: k[: len(key)], max_size=4)):
        if i[: len(key)] not in taken:  # inserted
            after.append(dict(zip(key, i, strict=False)) | _fresh(draw, after_values))
    if in_order:
        after.sort(key=lambda row: row["id"])
    elif draw(st.booleans()):
        after = draw(st.permutations(after))

    floats = [c for c, k in after_values.items() if k in ("float", "widened") and c in values]
    tolerances = {
        c: (draw(st.sampled_from(TOLERANCES)), draw(st.sampled_from(TOLERANCES)))
        for c in floats
        if draw(st.booleans())
    }
    size = draw(st.sampled_from(ROW_GROUP_SIZES))
    return Case(key, kinds, before, after_kinds, after, tolerances, size)


def _new_columns(draw: Callable, values: dict[str, str]) -> dict[str, str]:
    """B's non-key columns: some of A's dropped, int columns widened to float, some added."""
    dropped = draw(st.lists(st.sampled_from(sorted(values)), unique=True, max_size=2))
    kept = {c: k for c, k in values.items() if c not in dropped}
    for name, kind in kept.items():
        if kind == "int" and draw(st.booleans()):
            kept[name] = "widened"
    added = {f"n{i}": draw(st.sampled_from(KINDS)) for i in range(draw(st.integers(0, 2)))}
    return kept | added


def _fresh(draw: Callable, kinds: dict[str, str]) -> dict[str, Any]:
    return {c: draw(nullable(k)) for c, k in kinds.items()}


@dataclass(frozen=True)
class Outcome:
    """What a comparison found, in terms both tools can give: keys as tuples."""

    removed: frozenset[tuple]
    added: frozenset[tuple]
    changed: frozenset[tuple]
    cells: dict[str, int]  # column (B's name) -> differing cells, zeros left out


def ours(
    case: Case, folder: Path, *, hash_filter: bool = True
) -> tuple[Outcome, dict[str, str], int]:
    """What ``diff`` finds, the columns it took as renamed, and the row groups it skipped."""
    tolerance = {c: Tolerance(abs=a, rel=r) for c, (a, r) in case.tolerances.items()}
    paths = case.write(folder)
    with diff(*paths, key=case.key, tolerance=tolerance, hash_filter=hash_filter) as result:
        summary, rows = result.summary, result.rows().to_pylist()
        renamed = dict(result.schema.renamed)
    keys = {
        kind: frozenset(tuple(r[k] for k in case.key) for r in rows if r["_change"] == kind)
        for kind in ("removed", "added", "changed")
    }
    counts = (summary.removed, summary.added, summary.changed)
    assert counts == tuple(len(keys[k]) for k in ("removed", "added", "changed"))
    assert (summary.rows_before, summary.rows_after) == (len(case.before), len(case.after))
    assert summary.unchanged == len(case.before) - summary.removed - summary.changed
    cells = {c: n for c, n in summary.changed_cells.items() if n}
    by_rows = Counter(c for r in rows for c in r["_changed"])
    assert cells == dict(by_rows), "changed_cells disagrees with the rows' _changed"
    outcome = Outcome(keys["removed"], keys["added"], keys["changed"], cells)
    return outcome, renamed, summary.skipped_row_groups


def theirs(case: Case, renamed: dict[str, str]) -> Outcome:
    """What datacompy finds, with ``diff``'s renames applied to B first."""
    a, b = case.tables()
    old_name = {new: old for old, new in renamed.items()}
    b = b.rename_columns([old_name.get(n, n) for n in b.column_names])
    compare = datacompy.PolarsCompare(
        pl.from_arrow(a),
        pl.from_arrow(b),
        join_columns=case.key,
        abs_tol={c: t[0] for c, t in case.tolerances.items()} | {"default": 0.0},
        rel_tol={c: t[1] for c, t in case.tolerances.items()} | {"default": 0.0},
    )
    # The rows all_mismatch() gives, taken from its match columns: when no column but the
    # key is compared, all_mismatch() returns the rows only in A or B instead.
    matches = [c for c in compare.intersect_rows.columns if c.endswith("_match")]
    changed = []
    if matches:
        mismatched = compare.intersect_rows.filter(~pl.all_horizontal(matches))
        changed = mismatched.select(case.key).rows()
    cells = {
        renamed.get(s["column"], s["column"]): s["unequal_cnt"]
        for s in compare.column_stats
        if s["column"] not in case.key and s["unequal_cnt"]
    }
    return Outcome(
        removed=frozenset(compare.df1_unq_rows.select(case.key).rows()),
        added=frozenset(compare.df2_unq_rows.select(case.key).rows()),
        changed=frozenset(changed),
        cells=cells,
    )


def check(case: Case) -> tuple[Outcome, int]:
    with tempfile.TemporaryDirectory() as folder:
        found, renamed, skipped = ours(case, Path(folder))
    a, b = case.tables()
    for old, new in renamed.items():
        assert sorted(a[old].to_pylist(), key=repr) == sorted(b[new].to_pylist(), key=repr)
    assert found == theirs(case, renamed)
    return found, skipped


# Generated cases are slow to draw and large; hypothesis should not hold either against them.
GENERATED = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@settings(GENERATED, max_examples=150)
@given(case=cases())
def test_diff_agrees_with_datacompy(case: Case) -> None:
    check(case)


def one_column(kind: str, before: list, after: list, tolerance: tuple | None = None) -> Case:
    rows = [[{"id": i, "x": x} for i, x in enumerate(side, 1)] for side in (before, after)]
    kinds = {"id": "int", "x": kind}
    tolerances = {"x": tolerance} if tolerance else {}
    return Case(["id"], kinds, rows[0], kinds, rows[1], tolerances)


def test_tolerance_at_its_bound() -> None:
    """|a - b| == abs + rel * |b| is equal for both; past it is not; the bound scales with
    the after value, so it is not symmetric."""
    before = [3.0, 1.0, 2.0, -3.0, 3.0000001]
    after = [2.0, 2.0, 1.0, -2.0, 2.0]
    found, _ = check(one_column("float", before, after, (0.5, 0.25)))
    assert found.changed == {(3,), (5,)}


@pytest.mark.parametrize("kind", KINDS)
def test_null_against_a_value_differs_null_against_null_does_not(kind: str) -> None:
    value = {
        "int": 1,
        "float": 1.5,
        "float32": 1.5,
        "bool": False,
        "string": "",
        "date": dt.date(2000, 1, 1),
        "timestamp": EPOCH,
    }[kind]
    found, _ = check(one_column(kind, [None, value, None], [value, None, None]))
    assert found.changed == {(1,), (2,)}


def test_equal_row_groups_are_skipped_and_the_counts_still_agree() -> None:
    before = [float(i) for i in range(20)]
    after = [*before[:10], 99.0, *before[11:]]
    case = one_column("float", before, after)
    case.row_group_size = 5
    found, skipped = check(case)
    assert found.changed == {(11,)}
    assert skipped == 3


# -- the hash filter: pairs of rows whose values hash alike are left out unread --------------


@settings(GENERATED, max_examples=100)
@given(case=cases())
def test_the_hash_filter_changes_nothing_it_finds(case: Case) -> None:
    """With and without the hash filter, the same rows, cells and renames."""
    with tempfile.TemporaryDirectory() as folder:
        filtered = ours(case, Path(folder))
        compared = ours(case, Path(folder), hash_filter=False)
    assert filtered == compared


def hash_filtered(case: Case, folder: Path) -> tuple[bool, Outcome]:
    tolerance = {c: Tolerance(abs=a, rel=r) for c, (a, r) in case.tolerances.items()}
    with diff(*case.write(folder), key=case.key, tolerance=tolerance) as result:
        used = result.hash_filtered
    return used, ours(case, folder)[0]


def test_the_hash_filter_leaves_out_only_rows_equal_by_value(tmp_path: Path) -> None:
    """Floats that are equal but not alike in bits (0.0 and -0.0), NaN against NaN, NULLs and
    a value within its tolerance: candidates by hash, equal by value."""
    nan = float("nan")
    before = [0.0, nan, None, 1.0, 2.0, 5.0, *range(10, 40)]
    after = [-0.0, nan, None, 1.05, 2.5, None, *range(10, 40)]
    case = one_column("float", before, after, (0.1, 0.0))
    used, found = hash_filtered(case, tmp_path)
    assert used
    assert found.changed == {(5,), (6,)}
    assert found == ours(case, tmp_path, hash_filter=False)[0]


def test_the_hash_filter_compares_a_widened_column_in_the_common_type(tmp_path: Path) -> None:
    rows = [{"id": i, "x": i * 10} for i in range(40, 0, -1)]  # in no key order
    new = [{"id": i, "x": float(i * 10) + (0.5 if i == 7 else 0.0)} for i in range(1, 41)]
    case = Case(["id"], {"id": "int", "x": "int"}, rows, {"id": "int", "x": "widened"}, new)
    used, found = hash_filtered(case, tmp_path)
    assert used
    assert found.changed == {(7,)}
    assert found.cells == {"x": 1}


def test_the_hash_filter_narrows_two_column_keys(tmp_path: Path) -> None:
    kinds = {"id": "int", "k2": "k2", "x": "string"}
    rows = [{"id": i % 7, "k2": f"k{i}", "x": "same"} for i in range(50)]
    new = [r | {"x": "other"} if r["k2"] == "k9" else r for r in rows[1:]]
    used, found = hash_filtered(Case(["id", "k2"], kinds, rows, kinds, new), tmp_path)
    assert used
    assert (found.changed, found.removed) == ({(2, "k9")}, {(0, "k0")})


def test_repeated_keys_are_compared_row_by_row(tmp_path: Path) -> None:
    rows = [[{"id": i, "x": i} for i in side] for side in ([1, 2, 2, 3], [1, 2, 3, 3])]
    kinds = {"id": "int", "x": "int"}
    paths = Case(["id"], kinds, rows[0], kinds, rows[1]).write(tmp_path)
    with diff(*paths, key="id") as result:
        assert not result.hash_filtered
        assert (result.summary.changed, result.summary.unchanged) == (0, 1)


def test_mostly_changed_sides_are_compared_row_by_row(tmp_path: Path) -> None:
    """Past a quarter of the rows as candidates, the filter gives up: same result."""
    before = list(range(100))
    after = [x + 1 if x % 3 else x for x in before]
    used, found = hash_filtered(one_column("int", before, after), tmp_path)
    assert not used
    assert len(found.changed) == 66
