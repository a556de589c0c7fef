"""The built-in check ``dataset-schema``: every dataset file the session changed keeps the
columns it had in the tree the session started from, each with its type or a wider one (a
column may be added; dropping one, or narrowing or changing its type, fails).

It lives in the service layer because it joins two domain parts: checks (review) and dataset
schemas (datasets).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aether_data.datasets import connect, detect_format, register
from aether_data.errors import Invalid
from aether_data.review import CheckResult, Finding, TreeFiles
from aether_data.service.datasets import stored_copies

__all__ = ["DatasetSchemaCheck"]


class DatasetSchemaCheck:
    """Dataset files keep their columns and types (or wider ones) against the base tree."""

    name = "dataset-schema"
    description = (
        "changed dataset files keep every column of the base tree, with its type or a wider "
        "one (columns may be added)"
    )

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch

    def run(self, tree: TreeFiles) -> CheckResult:
        base = tree.base
        if base is None:
            return CheckResult.of_findings([], "incompatible schema changes")
        findings = [
            f for path in _changed_datasets(tree, base) for f in self._compare(tree, base, path)
        ]
        return CheckResult.of_findings(findings, "incompatible schema changes")

    def _compare(self, tree: TreeFiles, base: TreeFiles, path: str) -> list[Finding]:
        fmt = detect_format(path)
        assert fmt is not None
        files = [(base.file_id(path), f"old.{fmt.value}"), (tree.file_id(path), f"new.{fmt.value}")]
        with stored_copies(tree.store, self._scratch, files, prefix="check-") as (old, new):  # type: ignore[arg-type]
            con = connect()
            try:
                register(con, "a", old, fmt, name=f"base {path}")
                register(con, "b", new, fmt, name=path)
                return list(_incompatible(con, path, _columns(con, "a"), _columns(con, "b")))
            except Invalid as exc:
                return [Finding(str(exc), path)]
            finally:
                con.close()


def _changed_datasets(tree: TreeFiles, base: TreeFiles) -> Iterator[str]:
    for path, _ in tree.files():
        if detect_format(path) is None:
            continue
        before = base.file_id(path)
        if before is not None and before != tree.file_id(path):
            yield path


def _columns(con, view: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {view}").fetchall()]


def _incompatible(con, path: str, old: list, new: list) -> Iterator[Finding]:
    types = dict(new)
    for name, was in old:
        now = types.get(name)
        if now is None:
            yield Finding(f"column {name!r} ({was}) was dropped", path)
        elif now != was and not _wider(con, was, now):
            yield Finding(f"column {name!r} changed type {was} -> {now}", path)


def _wider(con, old: str, new: str) -> bool:
    """Whether ``new`` holds every value of ``old`` as the same kind of value (INTEGER ->
    BIGINT, FLOAT -> DOUBLE); turning values into text is not widening."""
    if new.upper() == "VARCHAR":
        return False
    try:
        query = f"SELECT typeof(coalesce(NULL::{old}, NULL::{new}))"
        return con.execute(query).fetchall()[0][0] == new
    except Exception:  # DuckDB will not mix the two types
        return False
