"""Verbs that compare and combine lines of work: diff, merge, promote, resolve."""

from __future__ import annotations

import re

import click

from aether_data.cli._app import cli, emit, json_option, pass_services
from aether_data.cli._session_target import workspace
from aether_data.errors import Invalid
from aether_data.ids import CheckpointName, ObjectId, SessionId
from aether_data.objects import Kind
from aether_data.service import Services
from aether_data.workspace.diff import diff_trees
from aether_data.workspace.sources import parse_source_ref

__all__ = ["resolve_tree"]

_HEX = re.compile(r"[0-9a-f]{64}")


def resolve_tree(services: Services, spec: str) -> ObjectId:
    """The tree named by SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id."""
    sessions, sources = workspace(services)
    if _HEX.fullmatch(spec):
        oid = ObjectId(spec)
        kind = services.store.kind(oid)
        if kind is Kind.COMMIT:
            return services.store.get_commit(oid).tree
        if kind is Kind.TREE:
            return oid
        raise Invalid(f"{spec} is a {kind.name.lower()}, not a commit or tree")
    if spec.startswith("s-"):
        session, _, checkpoint = spec.partition(":")
        if checkpoint:
            cp = services.catalog.get_checkpoint(SessionId(session), CheckpointName(checkpoint))
            return cp.tree_id
        return sessions.tree(SessionId(session))
    name, ref = parse_source_ref(spec)
    return sources.resolve(name, ref)[1]


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--prefix", default="", help="Only paths under this folder.")
@json_option
@pass_services
def diff_command(services: Services, old: str, new: str, prefix: str, as_json: bool) -> None:
    """Files added, removed, modified or renamed from OLD to NEW.

    Each side is SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id.
    """
    changes = diff_trees(
        services.store, resolve_tree(services, old), resolve_tree(services, new), prefix=prefix
    )
    rows = [
        {
            "status": c.status.value,
            "path": c.path,
            "old_path": c.old_path,
            "old_id": c.old.id if c.old else None,
            "new_id": c.new.id if c.new else None,
        }
        for c in changes
    ]
    emit(
        as_json,
        rows,
        "\n".join(
            f"{c.status.value:9} {c.old_path + ' -> ' if c.old_path else ''}{c.path}"
            for c in changes
        ),
    )


@cli.command("merge")
@click.argument("session")
@click.argument("other")
@json_option
@pass_services
def merge_command(services: Services, session: str, other: str, as_json: bool) -> None:
    """Merge the changes of session OTHER into SESSION (exit 4 on overlapping changes)."""
    sessions, _ = workspace(services)
    record = sessions.merge_from(SessionId(session), SessionId(other))
    emit(
        as_json, {"session": record.id, "version": record.version}, f"merged {other} into {session}"
    )


@cli.command("promote")
@click.argument("session")
@click.option("--source", "new_source", help="Name of a new source to create.")
@click.option("--branch", help="Name of a new branch of the session's source.")
@click.option("-m", "--message", default="promoted from a session", show_default=True)
@json_option
@pass_services
def promote_command(
    services: Services, session: str, new_source, branch, message: str, as_json: bool
) -> None:
    """Turn SESSION into a new source (--source) or a new branch of its source (--branch)."""
    sessions, sources = workspace(services)
    name, ref, commit = sources.promote(
        sessions, SessionId(session), source=new_source, branch=branch, message=message
    )
    emit(as_json, {"source": name, "ref": ref, "commit": commit}, f"{name}@{ref} {commit}")


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
@pass_services
def resolve_command(
    services: Services, session: str, take: str, message: str, paths, as_json: bool
) -> None:
    """Commit a session in CONFLICT, keeping one side for PATHS (default: every conflict)."""
    sessions, sources = workspace(services)
    record = sessions.get(SessionId(session))
    chosen = paths or [c["path"] for c in record.metadata.get("conflicts", [])]
    out = sources.resolve_conflicts(
        sessions, record.id, dict.fromkeys(chosen, take), message=message
    )
    emit(as_json, {"commit": out.commit, "branch": out.branch}, out.commit or "")
