"""Session, source, checkpoint and file verbs."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from aether_data.cli._app import cli, emit, json_option, pass_services
from aether_data.cli._progress import counter
from aether_data.cli._session_target import export_to, parse_target, tree_from, workspace
from aether_data.errors import Invalid
from aether_data.ids import SessionId
from aether_data.objects import EntryKind
from aether_data.service import Services
from aether_data.workspace.diff import diff_trees
from aether_data.workspace.sessions import SessionRecord, SessionStatus
from aether_data.workspace.sources import RefKind, parse_source_ref

__all__ = ["session_group", "source_group"]

_FROM = click.option(
    "--from",
    "origin",
    help="A folder, a tar/zip archive, a URL (s3://, https://, file://) or git+REPOSITORY.",
)
_GIT_REF = click.option(
    "--ref",
    "git_ref",
    default="HEAD",
    show_default=True,
    help="With --from git+...: the commit, branch or tag to import.",
)
_TEMPLATE = click.option("--template", help="A template from sample_workspaces/.")


def _session_data(record: SessionRecord) -> dict:
    return {
        "id": record.id,
        "name": record.name,
        "status": record.status.value,
        "source": record.source,
        "ref": record.ref,
        "base_commit": record.base_commit,
        "base_tree": record.base_tree,
        "tags": list(record.tags),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "version": record.version,
    }


# ------------------------------------------------------------------------------- sources
@cli.group("source")
def source_group() -> None:
    """Durable, named histories."""


@source_group.command("create")
@click.argument("name")
@_FROM
@_GIT_REF
@_TEMPLATE
@click.option("-m", "--message", default="initial import", show_default=True)
@json_option
@pass_services
def source_create(
    services: Services, name: str, origin, git_ref, template, message: str, as_json: bool
) -> None:
    """Create source NAME, its main branch holding the imported files (or nothing).

    The import's provenance (folder, URL, archive, git commit) is recorded on the commit.
    """
    _, sources = workspace(services)
    tree, provenance = tree_from(services, origin, template, git_ref=git_ref, as_json=as_json)
    record = sources.create(name, tree=tree, message=message, provenance=provenance)
    commit, tree_id = sources.resolve(record.name)
    emit(as_json, {"name": record.name, "commit": commit, "tree": tree_id}, record.name)


def _ref_verb(kind: RefKind, help_text: str) -> None:
    @source_group.command(kind.value, help=help_text)
    @click.argument("source")
    @click.argument("name")
    @click.option("--at", help="The ref or commit it names (default: the default branch).")
    @json_option
    @pass_services
    def verb(services: Services, source: str, name: str, at, as_json: bool) -> None:
        _, sources = workspace(services)
        commit = sources.create_ref(source, name, at=at, kind=kind)
        data = {"source": source, kind.value: name, "commit": commit}
        emit(as_json, data, f"{source}@{name} {commit}")


_ref_verb(RefKind.BRANCH, "Create branch NAME of SOURCE.")
_ref_verb(RefKind.TAG, "Tag a commit of SOURCE as NAME (tags never move).")


@source_group.command("refs")
@click.argument("source")
@json_option
@pass_services
def source_refs(services: Services, source: str, as_json: bool) -> None:
    """List the branches and tags of SOURCE."""
    rows = services.catalog.list_refs(services.catalog.get_source(source).name)
    emit(
        as_json,
        [{"name": r.name, "kind": r.kind.value, "commit": r.commit_id} for r in rows],
        "\n".join(f"{r.kind.value:6} {r.name}  {r.commit_id[:12]}" for r in rows),
    )


@source_group.command("ls")
@json_option
@pass_services
def source_ls(services: Services, as_json: bool) -> None:
    """List sources."""
    rows, cursor = [], None
    while True:
        page = services.catalog.list_sources(cursor=cursor)
        rows += page.items
        if (cursor := page.next_cursor) is None:
            break
    emit(
        as_json,
        [{"name": r.name, "default_branch": r.default_branch} for r in rows],
        "\n".join(r.name for r in rows),
    )


@cli.command("log")
@click.argument("source_ref")
@click.option("-n", "--limit", default=20, show_default=True)
@json_option
@pass_services
def log_command(services: Services, source_ref: str, limit: int, as_json: bool) -> None:
    """History of SOURCE[@REF], newest first."""
    _, sources = workspace(services)
    name, ref = parse_source_ref(source_ref)
    rows = [(cid, c) for cid, c in sources.log(name, ref, limit=limit)]
    emit(
        as_json,
        [
            {
                "commit": cid,
                "tree": c.tree,
                "author": c.author,
                "time_us": c.time_us,
                "message": c.message,
            }
            for cid, c in rows
        ],
        "\n".join(
            f"{cid[:12]}  {c.author}  {c.message.splitlines()[0] if c.message else ''}"
            for cid, c in rows
        ),
    )


# ------------------------------------------------------------------------------- sessions
@cli.group("session")
def session_group() -> None:
    """Working copies: create, list, show, fork, archive, retire."""


@session_group.command("create")
@click.option("--source", "source_ref", help="SOURCE[@REF] to start from.")
@_FROM
@_GIT_REF
@_TEMPLATE
@click.option("--name", help="A human name for the session.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@json_option
@pass_services
def session_create(
    services: Services, source_ref, origin, git_ref, template, name, tags, as_json
) -> None:
    """Create a session and print its id."""
    sessions, sources = workspace(services)
    if source_ref and (origin or template):
        raise Invalid("give --source, or --from/--template, not both")
    if source_ref:
        source, ref = parse_source_ref(source_ref)
        commit, tree = sources.resolve(source, ref)
        record = sessions.create(
            tree=tree,
            source=source,
            ref=ref or services.catalog.get_source(source).default_branch,
            base_commit=commit,
            name=name,
            tags=tags,
        )
    else:
        tree, provenance = tree_from(services, origin, template, git_ref=git_ref, as_json=as_json)
        record = sessions.create(
            tree=tree, name=name, tags=tags, metadata={"provenance": provenance}
        )
    emit(as_json, _session_data(record), record.id)


@session_group.command("ls")
@click.option("--status", type=click.Choice([s.value for s in SessionStatus]))
@click.option("--source")
@click.option("--tag")
@json_option
@pass_services
def session_ls(services: Services, status, source, tag, as_json: bool) -> None:
    """List sessions."""
    rows, cursor = [], None
    while True:
        page = services.catalog.list_sessions(status=status, source=source, tag=tag, cursor=cursor)
        rows += page.items
        if (cursor := page.next_cursor) is None:
            break
    emit(
        as_json,
        [_session_data(r) for r in rows],
        "\n".join(f"{r.id}  {r.status.value:8}  {r.name or ''}" for r in rows),
    )


@session_group.command("show")
@click.argument("session")
@json_option
@pass_services
def session_show(services: Services, session: str, as_json: bool) -> None:
    """Show a session: base, source, status, tags, times, counts."""
    sessions, _ = workspace(services)
    record = sessions.get(SessionId(session))
    data = _session_data(record)
    data["changes"] = len(services.catalog.get_overlay(record.id))
    data["checkpoints"] = len(services.catalog.list_checkpoints(record.id))
    data["files"] = sum(1 for _, e in sessions.view(record).walk() if e.kind is not EntryKind.DIR)
    emit(as_json, data, "\n".join(f"{k}: {v}" for k, v in data.items()))


def _lifecycle(name: str, help_text: str):
    @session_group.command(name, help=help_text)
    @click.argument("session")
    @json_option
    @pass_services
    def verb(services: Services, session: str, as_json: bool) -> None:
        sessions, _ = workspace(services)
        record = getattr(sessions, name)(SessionId(session))
        emit(as_json, _session_data(record), f"{record.id} {record.status.value}")

    return verb


_lifecycle("archive", "Make a session read-only.")
_lifecycle("retire", "Drop a session's working state (a checkpoint keeps its last tree).")


@session_group.command("fork")
@click.argument("session")
@click.option("--name")
@json_option
@pass_services
def session_fork(services: Services, session: str, name, as_json: bool) -> None:
    """Fork a session and print the new session's id."""
    sessions, _ = workspace(services)
    record = sessions.fork(SessionId(session), name=name)
    emit(as_json, _session_data(record), record.id)


# ------------------------------------------------------------------------------- persist
@cli.group("checkpoint")
def checkpoint_group() -> None:
    """Immutable, named snapshots of a session."""


@checkpoint_group.command("create")
@click.argument("session")
@click.option("--name")
@click.option("-m", "--message", default="")
@json_option
@pass_services
def checkpoint_create(services: Services, session: str, name, message: str, as_json: bool) -> None:
    """Checkpoint a session's current tree and print the checkpoint's name."""
    sessions, _ = workspace(services)
    cp = sessions.checkpoint(SessionId(session), name, message=message)
    emit(as_json, {"name": cp.name, "tree": cp.tree_id, "message": cp.message}, cp.name)


@checkpoint_group.command("ls")
@click.argument("session")
@json_option
@pass_services
def checkpoint_ls(services: Services, session: str, as_json: bool) -> None:
    """List a session's checkpoints, oldest first."""
    rows = services.catalog.list_checkpoints(SessionId(session))
    emit(
        as_json,
        [
            {
                "name": c.name,
                "tree": c.tree_id,
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
@pass_services
def restore_command(services: Services, session: str, checkpoint: str, as_json: bool) -> None:
    """Restore SESSION to CHECKPOINT (the state before is checkpointed first)."""
    sessions, _ = workspace(services)
    record = sessions.restore(SessionId(session), checkpoint)
    emit(as_json, _session_data(record), f"{record.id} restored to {checkpoint}")


@cli.command("commit")
@click.argument("session")
@click.option("-m", "--message", required=True)
@click.option("--branch")
@click.option("--author", default="aether", show_default=True)
@json_option
@pass_services
def commit_command(
    services: Services, session: str, message: str, branch, author: str, as_json: bool
) -> None:
    """Commit SESSION to a branch of its source (merging if the branch moved).

    Exit status 4 when overlapping changes put the session in CONFLICT (the paths are listed).
    """
    sessions, sources = workspace(services)
    out = sources.commit_session(
        sessions, SessionId(session), message=message, author=author, branch=branch
    )
    data = {
        "commit": out.commit,
        "branch": out.branch,
        "merged": out.merged,
        "conflicts": out.conflicts,
    }
    if out.conflicts:
        emit(
            as_json, data, "\n".join(f"conflict ({c['kind']}): {c['path']}" for c in out.conflicts)
        )
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
@pass_services
def export_command(services: Services, session: str, destination: str, fmt, as_json: bool) -> None:
    """Export a session's files to a folder, a tar or zip archive, a URL, or - (tar to stdout)."""
    sessions, _ = workspace(services)
    tree = sessions.tree(SessionId(session))
    with counter(f"exporting {session}", as_json or destination == "-") as tick:
        export_to(services, tree, destination, fmt, progress=tick)
    if destination != "-":
        emit(as_json, {"session": session, "tree": tree, "destination": destination}, destination)


@cli.command("status")
@click.argument("session")
@json_option
@pass_services
def status_command(services: Services, session: str, as_json: bool) -> None:
    """Changes of SESSION since it started (like git status)."""
    sessions, _ = workspace(services)
    record = sessions.get(SessionId(session))
    origin = record.metadata.get("origin_tree", record.base_tree)
    changes = diff_trees(services.store, origin, sessions.view(record).materialize())
    emit(
        as_json,
        {
            "session": record.id,
            "status": record.status.value,
            "changes": [
                {"status": c.status.value, "path": c.path, "old_path": c.old_path} for c in changes
            ],
        },
        "\n".join(
            [f"session {record.id} ({record.status.value})"]
            + [
                f"  {c.status.value:9} {c.old_path + ' -> ' if c.old_path else ''}{c.path}"
                for c in changes
            ]
        ),
    )


# ------------------------------------------------------------------------------- files
@cli.command("cat")
@click.argument("target")
@pass_services
def cat_command(services: Services, target: str) -> None:
    """Print a session file: aether://SESSION/path."""
    sessions, _ = workspace(services)
    where = parse_target(target, allow_root=False)
    with sessions.open(where.session, where.path) as reader:
        while piece := reader.read(1 << 20):
            sys.stdout.buffer.write(piece)
    sys.stdout.buffer.flush()


@cli.command("ls")
@click.argument("target")
@json_option
@pass_services
def ls_command(services: Services, target: str, as_json: bool) -> None:
    """List a folder of a session: aether://SESSION[/path]."""
    sessions, _ = workspace(services)
    where = parse_target(target)
    rows = sessions.listdir(where.session, where.path)
    emit(
        as_json,
        [{"name": e.name, "kind": e.kind.value, "size": e.size, "id": e.id} for e in rows],
        "\n".join(
            f"{e.kind.value:4} {e.size:>12}  {e.name}{'/' if e.kind is EntryKind.DIR else ''}"
            for e in rows
        ),
    )


@cli.command("rm")
@click.argument("target")
@click.option("-r", "--recursive", is_flag=True)
@json_option
@pass_services
def rm_command(services: Services, target: str, recursive: bool, as_json: bool) -> None:
    """Delete a session file or folder: aether://SESSION/path."""
    sessions, _ = workspace(services)
    where = parse_target(target, allow_root=False)
    sessions.delete(where.session, where.path, recursive=recursive)
    if as_json:
        emit(True, {"deleted": target}, "")


@cli.command("mv")
@click.argument("source")
@click.argument("destination")
@json_option
@pass_services
def mv_command(services: Services, source: str, destination: str, as_json: bool) -> None:
    """Move within a session: aether://SESSION/a aether://SESSION/b."""
    sessions, _ = workspace(services)
    src, dst = parse_target(source, allow_root=False), parse_target(destination, allow_root=False)
    if src.session != dst.session:
        raise Invalid("mv moves within one session; use cp between sessions")
    sessions.rename(src.session, src.path, dst.path)
    if as_json:
        emit(True, {"moved": source, "to": destination}, "")


@cli.command("cp")
@click.argument("source")
@click.argument("destination")
@json_option
@pass_services
def cp_command(services: Services, source: str, destination: str, as_json: bool) -> None:
    """Copy a file: local -> aether://SESSION/path, aether://... -> local, or between sessions."""
    sessions, _ = workspace(services)
    with ExitStack() as stack:
        if source.startswith("aether://"):
            src = parse_target(source, allow_root=False)
            reader = stack.enter_context(sessions.open(src.session, src.path))
        else:
            reader = stack.enter_context(Path(source).open("rb"))
        if destination.startswith("aether://"):
            dst = parse_target(destination, allow_root=False)
            entry = sessions.write(dst.session, dst.path, reader)
            if as_json:
                emit(
                    True,
                    {"copied": source, "to": destination, "id": entry.id, "size": entry.size},
                    "",
                )
            return
        with Path(destination).open("wb") as out:
            while piece := reader.read(1 << 20):
                out.write(piece)
