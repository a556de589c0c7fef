"""Verbs that compare and combine lines of work: diff, merge, promote, resolve."""

from __future__ import annotations

from pathlib import Path

import click

from aether_data.cli._app import cli, emit, json_option, pass_api, pass_connection
from aether_data.cli._connect import Connection
from aether_data.cli._dataset_diff import (
    OUTPUT_FORMATS,
    DiffOptions,
    diff_page,
    output_format,
    parse_tolerance_option,
    write_diff,
)
from aether_data.cli._render import change_line
from aether_data.cli._sides import Sides, diff_sides, resolve_tree
from aether_data.cli.coordination import data
from aether_data.cli.datasets import data_line, dataset_diff_text
from aether_data.errors import Invalid
from aether_data.service import is_dataset_path
from aether_data.wire import Change, ChangeSide, WorkspaceAPI
from aether_data.workspace.diff import diff_trees

__all__ = ["diff_command", "merge_command", "promote_command", "resolve_command", "resolve_tree"]

_ROWS_SHOWN = 20


def _changes(conn: Connection, sides: Sides, prefix: str, datasets: bool) -> list[Change]:
    if sides.trees is None:
        assert sides.session is not None
        return conn.api.diff(sides.session, against=sides.against, prefix=prefix, datasets=datasets)
    services = conn.services
    assert services is not None
    old, new = sides.trees
    changes = [_wire_change(c) for c in diff_trees(services.store, old, new, prefix=prefix)]
    return services.dataset_diffs.summaries(old, new, changes) if datasets else changes


def _wire_change(change) -> Change:
    def side(entry) -> ChangeSide | None:
        return entry and ChangeSide(kind=entry.kind.value, id=entry.id, size=entry.size)

    return Change(
        status=change.status.value,
        path=change.path,
        old_path=change.old_path,
        old=side(change.old),
        new=side(change.new),
    )


def _change_row(change: Change) -> dict:
    return {
        "status": change.status,
        "path": change.path,
        "old_path": change.old_path,
        "old_id": change.old.id if change.old else None,
        "new_id": change.new.id if change.new else None,
        "dataset": data(change.dataset) if change.dataset else None,
        "dataset_error": change.dataset_error,
    }


def _change_text(change: Change) -> str:
    line = data_line(change)
    return change_line(change) + ("" if line is None else "\n" + line)


class _PathThenOptions(click.Command):
    """``aether diff OLD NEW -- PATH --key id``: the one argument after ``--`` is PATH (a
    path that may look like an option), and options may follow it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            path, rest = args[at + 1 : at + 2], args[at + 2 :]
            args = [*args[:at], *rest, "--", *path]
        return super().parse_args(ctx, args)


@cli.command("diff", cls=_PathThenOptions)
@click.argument("old")
@click.argument("new")
@click.argument("path", required=False)
@click.option("--prefix", default="", help="Only paths under this folder.")
@click.option("--no-data", is_flag=True, help="Do not compare the data of changed dataset files.")
@click.option(
    "--key",
    "keys",
    multiple=True,
    metavar="COLUMN",
    help="With a dataset PATH: a key column (repeat for several) [aether.toml, else inferred].",
)
@click.option(
    "--tolerance",
    "tolerances",
    multiple=True,
    metavar="COLUMN=ABS[:REL]",
    help="With a dataset PATH: numbers within ABS + REL * |new| count as equal (repeat).",
)
@click.option(
    "--limit",
    type=click.IntRange(0, 10_000),
    default=None,
    help=f"With a dataset PATH: changed rows to show [{_ROWS_SHOWN}].",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With a dataset PATH: write every changed row to this file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    help="Format of --output [its suffix]; html only on the machine holding the data.",
)
@json_option
@pass_connection
def diff_command(
    conn: Connection,
    old: str,
    new: str,
    path: str | None,
    prefix: str,
    no_data: bool,
    keys: tuple[str, ...],
    tolerances: tuple[str, ...],
    limit: int | None,
    output: Path | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    """Files added, removed, modified or renamed from OLD to NEW; with a dataset PATH
    (aether diff OLD NEW -- data/orders.parquet), what changed in its data.

    Each side is SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id. Against a
    server: NEW is a SESSION and OLD another SESSION, NEW:CHECKPOINT or SOURCE[@REF].

    Under each changed dataset file (Parquet, CSV, Arrow, JSON Lines) a line sums up its
    rows and columns (--no-data skips it). A PATH that is no dataset file works as --prefix.
    """
    dataset_only = keys or tolerances or limit is not None or output or fmt
    if path is not None and is_dataset_path(path):
        if prefix:
            raise Invalid("give either a dataset PATH or --prefix")
        options = DiffOptions(key=keys, tolerance=dict(map(parse_tolerance_option, tolerances)))
        _dataset_diff(conn, diff_sides(conn, old, new), path, options, limit, output, fmt, as_json)
        return
    if dataset_only:
        raise Invalid(
            "--key, --tolerance, --limit, --output and --format compare one dataset file: "
            "aether diff OLD NEW -- PATH (a .parquet, .csv, .tsv, .arrow, .feather or .jsonl file)"
        )
    if path is not None and prefix:
        raise Invalid("give the folder once: as PATH or as --prefix")
    changes = _changes(conn, diff_sides(conn, old, new), path or prefix, not no_data)
    emit(as_json, [_change_row(c) for c in changes], "\n".join(map(_change_text, changes)))


def _dataset_diff(
    conn: Connection,
    sides: Sides,
    path: str,
    options: DiffOptions,
    limit: int | None,
    output: Path | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    if output is None:
        if fmt is not None:
            raise Invalid("--format says how to write --output FILE; give the file too")
        found = diff_page(conn, sides, path, options, _ROWS_SHOWN if limit is None else limit)
        emit(as_json, data(found), dataset_diff_text(found))
        return
    chosen = output_format(output, fmt)
    write_diff(conn, sides, path, options, output, chosen)
    emit(as_json, {"output": str(output), "format": chosen}, f"wrote {output} ({chosen})")


@cli.command("merge")
@click.argument("session")
@click.argument("other")
@json_option
@pass_api
def merge_command(api: WorkspaceAPI, session: str, other: str, as_json: bool) -> None:
    """Merge the changes of session OTHER into SESSION (exit 4 on overlapping changes)."""
    merged = api.merge_from(session, other)
    data = {"session": merged.id, "version": merged.version}
    emit(as_json, data, f"merged {other} into {session}")


@cli.command("promote")
@click.argument("session")
@click.option("--source", "new_source", help="Name of a new source to create.")
@click.option("--branch", help="Name of a new branch of the session's source.")
@click.option("-m", "--message", default="promoted from a session", show_default=True)
@json_option
@pass_api
def promote_command(
    api: WorkspaceAPI, session: str, new_source, branch, message: str, as_json: bool
) -> None:
    """Turn SESSION into a new source (--source) or a new branch of its source (--branch)."""
    if (new_source is None) == (branch is None):
        raise Invalid("give --source NEW or --branch NEW")
    ref = api.promote(session, source=new_source, branch=branch, message=message)
    data = {"source": ref.source, "ref": ref.name, "commit": ref.commit}
    emit(as_json, data, f"{ref.source}@{ref.name} {ref.commit}")


@cli.command("resolve")
@click.argument("session")
@click.option(
    "--take",
    type=click.Choice(["session", "branch"]),
    required=True,
    help="Keep the session's or the branch's version of the conflicting paths.",
)
@click.option("-m", "--message", default="resolve conflicts", show_default=True)
@click.argument("paths", nargs=-1)
@json_option
@pass_api
def resolve_command(
    api: WorkspaceAPI, session: str, take: str, message: str, paths, as_json: bool
) -> None:
    """Commit a session in CONFLICT, keeping one side for PATHS (default: every conflict)."""
    conflicts = api.get_session(session).metadata.get("conflicts", [])
    chosen = paths or [c["path"] for c in conflicts]
    out = api.resolve(session, dict.fromkeys(chosen, take), message=message)
    emit(as_json, {"commit": out.commit, "branch": out.branch}, out.commit or "")
