"""Verbs that compare and combine lines of work: diff, merge, promote, resolve."""

from __future__ import annotations

import re

import click

from aether_data.cli._app import cli, emit, json_option, pass_api, pass_connection
from aether_data.cli._connect import Connection
from aether_data.cli._render import change_line
from aether_data.errors import Invalid
from aether_data.ids import CheckpointName, ObjectId, SessionId
from aether_data.objects import Kind
from aether_data.service import Services
from aether_data.wire import Change, ChangeSide, WorkspaceAPI
from aether_data.workspace.diff import diff_trees
from aether_data.workspace.sources import parse_source_ref

__all__ = ["diff_command", "merge_command", "promote_command", "resolve_command", "resolve_tree"]

_HEX = re.compile(r"[0-9a-f]{64}")


def resolve_tree(services: Services, spec: str) -> ObjectId:
    """The tree named by SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id."""
    if _HEX.fullmatch(spec):
        oid = ObjectId(spec)
        kind = services.store.kind(oid)
        if kind is Kind.COMMIT:
            return services.store.get_commit(oid).tree
        if kind is Kind.TREE:
            return oid
        raise Invalid(f"{spec} is a {kind.name.lower()}, not a commit or tree")
    if _is_session(spec):
        session, _, checkpoint = spec.partition(":")
        if checkpoint:
            cp = services.catalog.get_checkpoint(SessionId(session), CheckpointName(checkpoint))
            return cp.tree_id
        return services.sessions.tree(SessionId(session))
    name, ref = parse_source_ref(spec)
    return services.sources.resolve(name, ref)[1]


def _is_session(spec: str) -> bool:
    return spec.startswith("s-")


def _against(old: str, new: str) -> str | None:
    """The ``against`` of ``WorkspaceAPI.diff`` for OLD -> NEW when NEW is a session's current
    tree and OLD another session, one of NEW's checkpoints or SOURCE[@REF]; None otherwise."""
    if not _is_session(new) or ":" in new or _HEX.fullmatch(old):
        return None
    if not _is_session(old):
        name, ref = parse_source_ref(old)
        return f"source:{name}" + (f"@{ref}" if ref else "")
    session, _, checkpoint = old.partition(":")
    if not checkpoint:
        return f"session:{session}"
    return checkpoint if session == new else None


def _changes(conn: Connection, old: str, new: str, prefix: str) -> list[Change]:
    against = _against(old, new)
    if against is not None:
        return conn.api.diff(new, against=against, prefix=prefix)
    if conn.services is None:
        raise Invalid(
            "against a server, diff compares a SESSION with another SESSION, one of its own "
            "checkpoints or a SOURCE[@REF] (aether diff OLD SESSION); commit and tree ids and "
            "other sessions' checkpoints are compared on the machine holding the data"
        )
    services = conn.services
    found = diff_trees(
        services.store, resolve_tree(services, old), resolve_tree(services, new), prefix=prefix
    )
    return [_wire_change(c) for c in found]


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


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--prefix", default="", help="Only paths under this folder.")
@json_option
@pass_connection
def diff_command(conn: Connection, old: str, new: str, prefix: str, as_json: bool) -> None:
    """Files added, removed, modified or renamed from OLD to NEW.

    Each side is SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id. Against a
    server: NEW is a SESSION and OLD another SESSION, NEW:CHECKPOINT or SOURCE[@REF].
    """
    changes = _changes(conn, old, new, prefix)
    rows = [
        {
            "status": c.status,
            "path": c.path,
            "old_path": c.old_path,
            "old_id": c.old.id if c.old else None,
            "new_id": c.new.id if c.new else None,
        }
        for c in changes
    ]
    emit(as_json, rows, "\n".join(change_line(c) for c in changes))


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
