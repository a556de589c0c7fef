"""File verbs on ``aether://SESSION/path``: cat, ls, rm, mv, cp."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath

import click

from aether_data.cli._app import cli, emit, json_option, pass_api
from aether_data.cli._session_target import SCHEME, Target, parse_target
from aether_data.cli._transfer import download_to
from aether_data.errors import Invalid, NotFound
from aether_data.wire import Entry, WorkspaceAPI

__all__ = ["cat_command", "cp_command", "ls_command", "mv_command", "rm_command"]

_SPOOL = 64 << 20  # a copy between sessions stays in memory up to this size


_at_option = click.option(
    "--at",
    metavar="CHECKPOINT",
    help="As it was at this checkpoint of the session (or a commit id it reaches).",
)


@cli.command("cat")
@click.argument("target")
@_at_option
@pass_api
def cat_command(api: WorkspaceAPI, target: str, at: str | None) -> None:
    """Print a session file: aether://SESSION/path."""
    where = parse_target(target, allow_root=False)
    api.download(where.session, where.path, sys.stdout.buffer, at=at)
    sys.stdout.buffer.flush()


@cli.command("ls")
@click.argument("target")
@_at_option
@json_option
@pass_api
def ls_command(api: WorkspaceAPI, target: str, at: str | None, as_json: bool) -> None:
    """List a folder of a session: aether://SESSION[/path]."""
    where = parse_target(target)
    rows = api.listdir(where.session, where.path, at=at)
    emit(
        as_json,
        [{"name": e.name, "kind": e.kind, "size": e.size, "id": e.id} for e in rows],
        "\n".join(
            f"{e.kind:4} {e.size:>12}  {e.name}{'/' if e.kind == 'dir' else ''}" for e in rows
        ),
    )


@cli.command("rm")
@click.argument("target")
@click.option("-r", "--recursive", is_flag=True)
@json_option
@pass_api
def rm_command(api: WorkspaceAPI, target: str, recursive: bool, as_json: bool) -> None:
    """Delete a session file or folder: aether://SESSION/path."""
    where = parse_target(target, allow_root=False)
    api.delete(where.session, where.path, recursive=recursive)
    if as_json:
        emit(True, {"deleted": target}, "")


@cli.command("mv")
@click.argument("source")
@click.argument("destination")
@json_option
@pass_api
def mv_command(api: WorkspaceAPI, source: str, destination: str, as_json: bool) -> None:
    """Move within a session: aether://SESSION/a aether://SESSION/b."""
    src, dst = parse_target(source, allow_root=False), parse_target(destination, allow_root=False)
    if src.session != dst.session:
        raise Invalid("mv moves within one session; use cp between sessions")
    api.rename(src.session, src.path, dst.path)
    if as_json:
        emit(True, {"moved": source, "to": destination}, "")


@cli.command("cp")
@click.argument("source")
@click.argument("destination")
@json_option
@pass_api
def cp_command(api: WorkspaceAPI, source: str, destination: str, as_json: bool) -> None:
    """Copy a file: local -> aether://SESSION/path, aether://... -> local, or between sessions."""
    src_remote, dst_remote = source.startswith(SCHEME), destination.startswith(SCHEME)
    if not dst_remote:
        _copy_out(api, source, Path(destination), src_remote)
        return
    dst = parse_target(destination, allow_root=False)
    if src_remote:
        entry = _copy_between(api, parse_target(source, allow_root=False), dst)
    else:
        with _local_file(source).open("rb") as reader:
            entry = api.write(dst.session, dst.path, reader)
    if as_json:
        data = {"copied": source, "to": destination, "id": entry.id, "size": entry.size}
        emit(True, data, "")


def _local_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise NotFound(f"{text} is not a local file (a session path is aether://SESSION/path)")
    return path


def _copy_out(api: WorkspaceAPI, source: str, destination: Path, src_remote: bool) -> None:
    name = PurePosixPath(parse_target(source).path if src_remote else source).name
    if destination.is_dir():  # like cp: into the folder, under the source's name
        destination = destination / name
    if not src_remote:
        shutil.copyfile(_local_file(source), destination)
        return
    src = parse_target(source, allow_root=False)
    download_to(api, src.session, src.path, destination)


def _copy_between(api: WorkspaceAPI, src: Target, dst: Target) -> Entry:
    with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
        api.download(src.session, src.path, spool)
        spool.seek(0)
        return api.write(dst.session, dst.path, spool)
