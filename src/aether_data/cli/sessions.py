"""Session verbs (create, ls, show, fork, archive, retire), checkpoints, restore, commit,
status and export."""

from __future__ import annotations

import sys

import click

from aether_data.cli._app import cli, emit, json_option, pass_api, pass_connection
from aether_data.cli._connect import Connection, every
from aether_data.cli._progress import counter
from aether_data.cli._render import change_line, session_data
from aether_data.cli._session_target import tree_from
from aether_data.cli._transfer import export_session, upload_origin
from aether_data.cli.sources import FROM_OPTION, GIT_REF_OPTION, TEMPLATE_OPTION
from aether_data.errors import Invalid
from aether_data.ids import SessionId
from aether_data.service import Services
from aether_data.wire import Session, WorkspaceAPI
from aether_data.workspace.sessions import SessionStatus
from aether_data.workspace.sources import parse_source_ref

__all__ = ["checkpoint_group", "session_group"]


# ------------------------------------------------------------------------------- sessions
@cli.group("session")
def session_group() -> None:
    """Working copies: create, list, show, fork, archive, retire."""


@session_group.command("create")
@click.option("--source", "source_ref", help="SOURCE[@REF] to start from.")
@FROM_OPTION
@GIT_REF_OPTION
@TEMPLATE_OPTION
@click.option("--name", help="A human name for the session.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@json_option
@pass_connection
def session_create(
    conn: Connection, source_ref, origin, git_ref, template, name, tags, as_json
) -> None:
    """Create a session and print its id.

    Against a server, --from takes a local folder or archive (uploaded); import URLs into a
    source with `aether source create NAME --from URL` instead.
    """
    if source_ref and (origin or template):
        raise Invalid("give --source, or --from/--template, not both")
    if origin and template:
        raise Invalid("give --from or --template, not both")
    api = conn.api
    if source_ref:
        source, ref = parse_source_ref(source_ref)
        session = api.create_session(source=source, ref=ref, name=name, tags=tags)
    elif template:
        session = api.create_session(template=template, name=name, tags=tags)
    elif origin and conn.services is not None:
        session = api.get_session(_ingest_here(conn.services, origin, git_ref, name, tags, as_json))
    elif origin:
        session = upload_origin(api, origin, name=name, tags=tags, as_json=as_json)
    else:
        session = api.create_session(name=name, tags=tags)
    emit(as_json, session_data(session), session.id)


def _ingest_here(
    services: Services, origin: str, git_ref: str, name, tags, as_json: bool
) -> SessionId:
    """Import straight into the local store (the fast path of embedded mode)."""
    tree, provenance = tree_from(services, origin, None, git_ref=git_ref, as_json=as_json)
    record = services.sessions.create(
        tree=tree, name=name, tags=tags, metadata={"provenance": provenance}
    )
    return record.id


@session_group.command("ls")
@click.option("--status", type=click.Choice([s.value for s in SessionStatus]))
@click.option("--source")
@click.option("--tag")
@json_option
@pass_api
def session_ls(api: WorkspaceAPI, status, source, tag, as_json: bool) -> None:
    """List sessions."""
    rows = every(api.list_sessions, status=status, source=source, tag=tag)
    emit(
        as_json,
        [session_data(s) for s in rows],
        "\n".join(f"{s.id}  {s.status:8}  {s.name or ''}" for s in rows),
    )


@session_group.command("show")
@click.argument("session")
@json_option
@pass_api
def session_show(api: WorkspaceAPI, session: str, as_json: bool) -> None:
    """Show a session: base, source, status, tags, times, and counts of changed files (as
    `aether status` lists them), checkpoints and files."""
    data = session_data(api.get_session(session))
    data["changes"] = len(api.diff(session))
    data["checkpoints"] = len(every(api.list_checkpoints, session))
    data["files"] = sum(1 for item in every(api.manifest, session) if item.kind != "dir")
    emit(as_json, data, "\n".join(f"{k}: {v}" for k, v in data.items()))


def _lifecycle(name: str, help_text: str):
    @session_group.command(name, help=help_text)
    @click.argument("session")
    @json_option
    @pass_api
    def verb(api: WorkspaceAPI, session: str, as_json: bool) -> None:
        changed: Session = getattr(api, name)(session)
        emit(as_json, session_data(changed), f"{changed.id} {changed.status}")

    return verb


_lifecycle("archive", "Make a session read-only.")
_lifecycle("retire", "Drop a session's working state (a checkpoint keeps its last tree).")


@session_group.command("fork")
@click.argument("session")
@click.option("--name")
@json_option
@pass_api
def session_fork(api: WorkspaceAPI, session: str, name, as_json: bool) -> None:
    """Fork a session and print the new session's id."""
    forked = api.fork(session, name=name)
    emit(as_json, session_data(forked), forked.id)


# ------------------------------------------------------------------------------- persist
@cli.group("checkpoint")
def checkpoint_group() -> None:
    """Immutable, named snapshots of a session."""


@checkpoint_group.command("create")
@click.argument("session")
@click.option("--name")
@click.option("-m", "--message", default="")
@json_option
@pass_api
def checkpoint_create(api: WorkspaceAPI, session: str, name, message: str, as_json: bool) -> None:
    """Checkpoint a session's current tree and print the checkpoint's name."""
    cp = api.checkpoint(session, name, message=message)
    emit(as_json, {"name": cp.name, "tree": cp.tree, "message": cp.message}, cp.name)


@checkpoint_group.command("ls")
@click.argument("session")
@json_option
@pass_api
def checkpoint_ls(api: WorkspaceAPI, session: str, as_json: bool) -> None:
    """List a session's checkpoints, oldest first."""
    rows = every(api.list_checkpoints, session)
    emit(
        as_json,
        [
            {
                "name": c.name,
                "tree": c.tree,
                "message": c.message,
                "created_at": c.created_at.isoformat(),
            }
            for c in rows
        ],
        "\n".join(f"{c.name}  {c.created_at:%Y-%m-%d %H:%M:%S}  {c.message}" for c in rows),
    )


@cli.command("restore")
@click.argument("session")
@click.argument("checkpoint")
@json_option
@pass_api
def restore_command(api: WorkspaceAPI, session: str, checkpoint: str, as_json: bool) -> None:
    """Restore SESSION to CHECKPOINT (the state before is checkpointed first)."""
    restored = api.restore(session, checkpoint)
    emit(as_json, session_data(restored), f"{restored.id} restored to {checkpoint}")


@cli.command("commit")
@click.argument("session")
@click.option("-m", "--message", required=True)
@click.option("--branch")
@click.option("--author", default="aether", show_default=True)
@json_option
@pass_api
def commit_command(
    api: WorkspaceAPI, session: str, message: str, branch, author: str, as_json: bool
) -> None:
    """Commit SESSION to a branch of its source (merging if the branch moved).

    Exit status 4 when overlapping changes put the session in CONFLICT (the paths are listed).
    """
    out = api.commit(session, message=message, author=author, branch=branch)
    conflicts = [{"path": c.path, "kind": c.kind} for c in out.conflicts]
    data = {
        "commit": out.commit,
        "branch": out.branch,
        "merged": out.merged,
        "conflicts": conflicts,
    }
    if conflicts:
        lines = (f"conflict ({c['kind']}): {c['path']}" for c in conflicts)
        emit(as_json, data, "\n".join(lines))
        sys.exit(4)
    emit(as_json, data, out.commit or "")


@cli.command("export")
@click.argument("session")
@click.argument("destination")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["folder", "tar", "tar.gz", "zip"]),
    help="Default: from DESTINATION's suffix (.tar, .tar.gz, .tgz, .zip), else a folder.",
)
@json_option
@pass_connection
def export_command(conn: Connection, session: str, destination: str, fmt, as_json: bool) -> None:
    """Export a session's files to a folder, a tar or zip archive, a URL, or - (tar to stdout).

    Against a server, URLs are refused: export to a file or folder here instead.
    """
    tree = conn.api.stat(session, "").id
    with counter(f"exporting {session}", as_json or destination == "-") as tick:
        export_session(conn, session, destination, fmt, progress=tick)
    if destination != "-":
        emit(as_json, {"session": session, "tree": tree, "destination": destination}, destination)


@cli.command("status")
@click.argument("session")
@json_option
@pass_api
def status_command(api: WorkspaceAPI, session: str, as_json: bool) -> None:
    """Changes of SESSION since it started (like git status)."""
    record = api.get_session(session)
    changes = api.diff(session)
    data = {
        "session": record.id,
        "status": record.status,
        "changes": [{"status": c.status, "path": c.path, "old_path": c.old_path} for c in changes],
    }
    lines = [f"session {record.id} ({record.status})"] + [f"  {change_line(c)}" for c in changes]
    emit(as_json, data, "\n".join(lines))
