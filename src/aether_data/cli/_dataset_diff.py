"""``aether diff OLD NEW -- PATH`` for a dataset file: one page of the diff, or every changed
row written to a file, through the ``DatasetsAPI`` when the workspace compares the sides and
through the local services when this machine does (``_sides``)."""

from __future__ import annotations

import contextlib
import html
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from aether_data.cli._connect import Connection
from aether_data.cli._sides import Sides
from aether_data.cli.datasets import datasets_api
from aether_data.errors import Invalid
from aether_data.service import OpenDiff
from aether_data.wire import ColumnTolerance, DatasetDiffResult

__all__ = [
    "OUTPUT_FORMATS",
    "DiffOptions",
    "diff_page",
    "output_format",
    "parse_tolerance_option",
    "write_diff",
]

OUTPUT_FORMATS = ("parquet", "arrow", "csv", "json", "html")
_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".html": "html",
    ".htm": "html",
}


@dataclass(frozen=True)
class DiffOptions:
    """What the caller says about the rows: key columns and tolerances (empty: the
    ``aether.toml`` of NEW's tree, else inferred)."""

    key: Sequence[str] = ()
    tolerance: Mapping[str, ColumnTolerance] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """The ``key`` and ``tolerance`` arguments of the ``DatasetsAPI``."""
        return {"key": list(self.key) or None, "tolerance": dict(self.tolerance) or None}


def parse_tolerance_option(text: str) -> tuple[str, ColumnTolerance]:
    """``--tolerance COLUMN=ABS[:REL]``."""
    column, equals, numbers = text.rpartition("=")
    parts = numbers.split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not (equals and column and 1 <= len(values) <= 2):
        raise Invalid(f"--tolerance {text!r} is not COLUMN=ABS or COLUMN=ABS:REL")
    if not all(v >= 0 for v in values):
        raise Invalid(f"--tolerance {text!r}: a tolerance is not negative")
    return column, ColumnTolerance(abs=values[0], rel=values[1] if len(values) == 2 else 0.0)


def output_format(output: Path, given: str | None) -> str:
    """The format of ``--output FILE``: ``--format``, else FILE's suffix."""
    if given is not None:
        return given
    found = _SUFFIXES.get(output.suffix.lower())
    if found is None:
        raise Invalid(
            f"say which format to write {output.name} in: --format {'|'.join(OUTPUT_FORMATS)}"
        )
    return found


def diff_page(
    conn: Connection, sides: Sides, path: str, options: DiffOptions, limit: int
) -> DatasetDiffResult:
    """The diff of ``path`` with its first ``limit`` changed rows."""
    if sides.trees is None:
        api = datasets_api(conn)
        assert sides.session is not None
        return api.diff_dataset(
            sides.session, path, against=sides.against, limit=limit, **options.arguments()
        )
    with _opened(conn, sides, path, options) as opened:
        return opened.page(0, limit)


def write_diff(
    conn: Connection, sides: Sides, path: str, options: DiffOptions, output: Path, fmt: str
) -> None:
    """Every changed row of the diff of ``path`` into ``output`` as ``fmt``; an Arrow file
    for ``arrow``, the engine's HTML for ``html`` (on the machine holding the data)."""
    with _replacing(output) as out:
        if fmt == "html":
            with _opened(conn, sides, path, options) as opened:
                out.write(_html_page(path, opened.html()).encode())
        elif fmt == "arrow":
            _write_arrow_file(conn, sides, path, options, out)
        else:
            _download(conn, sides, path, options, out, fmt)


def _html_page(path: str, body: str) -> str:
    title = html.escape(f"aether diff {path}")
    return f"<!doctype html>\n<meta charset='utf-8'>\n<title>{title}</title>\n{body}\n"


def _download(
    conn: Connection, sides: Sides, path: str, options: DiffOptions, out: BinaryIO, fmt: str
) -> None:
    if sides.trees is None:
        assert sides.session is not None
        datasets_api(conn).download_dataset_diff(
            sides.session, path, out, against=sides.against, format=fmt, **options.arguments()
        )
        return
    with _opened(conn, sides, path, options) as opened:
        opened.write(out, fmt)


def _write_arrow_file(
    conn: Connection, sides: Sides, path: str, options: DiffOptions, out: BinaryIO
) -> None:
    """The diff comes as an Arrow IPC stream; a file in the IPC file format (Feather v2) is
    what other tools open, so the stream is rewritten batch by batch."""
    import pyarrow as pa  # noqa: PLC0415 - heavy

    with tempfile.TemporaryFile() as stream:
        _download(conn, sides, path, options, stream, "arrow")  # type: ignore[arg-type]
        stream.seek(0)
        reader = pa.ipc.open_stream(stream)
        with pa.ipc.new_file(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


def _opened(conn: Connection, sides: Sides, path: str, options: DiffOptions) -> OpenDiff:
    """The diff computed by the local services (embedded only)."""
    services = conn.services
    if services is None:
        raise Invalid(
            "--format html renders the diff on the machine holding the data; against a server "
            "write parquet, arrow, csv or json, or print it with --json"
        )
    trees = sides.trees
    if trees is None:
        assert sides.session is not None
        trees = conn.api.compared_trees(sides.session, against=sides.against)  # type: ignore[attr-defined]
    tolerance = options.arguments()["tolerance"]
    return services.dataset_diffs.open(
        *trees, path, key=list(options.key) or None, tolerance=tolerance
    )


@contextlib.contextmanager
def _replacing(output: Path) -> Iterator[BinaryIO]:
    """A file beside ``output`` that replaces it when the block ends well, and is removed
    when it fails (an earlier ``output`` stays as it was)."""
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept past the block on success
            dir=output.parent, prefix=f".{output.name}.", delete=False
        )
    except OSError as exc:
        raise Invalid(f"cannot write {output}: {exc.strerror or exc}") from exc
    done = False
    try:
        os.chmod(handle.name, 0o666 & ~_umask())  # as a plain open() would have made it
        with handle:
            yield handle  # type: ignore[misc]
        os.replace(handle.name, output)
        done = True
    finally:
        if not done:
            Path(handle.name).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
