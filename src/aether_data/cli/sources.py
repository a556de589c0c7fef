"""Source verbs (create, ls, branch, tag, refs) and ``aether log``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from aether_data.cli._app import cli, emit, json_option, pass_api, pass_connection
from aether_data.cli._connect import Connection, every, first
from aether_data.cli._progress import spinner
from aether_data.cli._session_target import is_url, tree_from
from aether_data.cli._transfer import upload_origin
from aether_data.errors import AetherError, Invalid
from aether_data.service import Services
from aether_data.wire import Commit, ImportJob, WorkspaceAPI
from aether_data.workspace.sources import parse_source_ref

if TYPE_CHECKING:
    from aether_data.client import AetherClient

__all__ = ["FROM_OPTION", "GIT_REF_OPTION", "TEMPLATE_OPTION", "log_command", "source_group"]

FROM_OPTION = click.option(
    "--from",
    "origin",
    help="A folder, a tar/zip archive, a URL (s3://, https://, file://) or git+REPOSITORY.",
)
GIT_REF_OPTION = click.option(
    "--ref",
    "git_ref",
    default="HEAD",
    show_default=True,
    help="With --from git+...: the commit, branch or tag to import.",
)
TEMPLATE_OPTION = click.option("--template", help="A template from sample_workspaces/.")
_WAIT_SLICE = 60.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cli.group("source")
def source_group() -> None:
    """Durable, named histories."""


@source_group.command("create")
@click.argument("name")
@FROM_OPTION
@GIT_REF_OPTION
@TEMPLATE_OPTION
@click.option("-m", "--message", default="initial import", show_default=True)
@json_option
@pass_connection
def source_create(
    conn: Connection, name: str, origin, git_ref, template, message: str, as_json: bool
) -> None:
    """Create source NAME, its main branch holding the imported files (or nothing).

    The import's provenance (folder, URL, archive, git commit) is recorded on the commit.
    Against a server, a URL is imported by the server (an import job, waited for) and a
    local folder or archive is uploaded.
    """
    if origin is not None and template is not None:
        raise Invalid("give --from or --template, not both")
    if conn.services is not None:
        _create_here(conn.services, name, origin, template, git_ref, message, as_json)
    else:
        assert conn.client is not None
        _create_remote(conn.client, name, origin, template, git_ref, message, as_json)
    head = conn.api.log(name, limit=1).items[0]
    emit(as_json, {"name": name, "commit": head.id, "tree": head.tree}, name)


def _create_here(
    services: Services, name: str, origin, template, git_ref: str, message: str, as_json: bool
) -> None:
    tree, provenance = tree_from(services, origin, template, git_ref=git_ref, as_json=as_json)
    services.sources.create(name, tree=tree, message=message, provenance=provenance)


def _create_remote(
    client: AetherClient, name: str, origin, template, git_ref: str, message: str, as_json: bool
) -> None:
    if origin is not None and is_url(origin):
        client.create_source(name)
        job = client.start_import(name, origin, git_ref=git_ref, message=message)
        _wait(client, job, as_json)
    elif origin is not None or template is not None:
        _promote_new_session(client, name, origin, template, message, as_json)
    else:
        client.create_source(name)


def _promote_new_session(
    api: WorkspaceAPI, name: str, origin, template, message: str, as_json: bool
) -> None:
    """The files travel as a session (uploaded, or from the template), promoted to the new
    source and then retired."""
    label = f"files of new source {name}"
    if origin is not None:
        session = upload_origin(api, origin, name=label, tags=(), as_json=as_json)
    else:
        session = api.create_session(template=template, name=label)
    api.promote(session.id, source=name, message=message)
    api.retire(session.id)


def _wait(client: AetherClient, job: ImportJob, as_json: bool) -> None:
    with spinner(f"importing {job.origin} (job {job.id})", as_json):
        while job.status not in ("SUCCEEDED", "FAILED"):
            try:
                job = client.wait_import(job.source, job.id, timeout=_WAIT_SLICE)
            except TimeoutError:
                continue
    if job.status == "FAILED":
        raise AetherError(f"import job {job.id} of {job.origin} failed: {job.error}")


def _ref_verb(kind: str, help_text: str) -> None:
    @source_group.command(kind, help=help_text)
    @click.argument("source")
    @click.argument("name")
    @click.option("--at", help="The ref or commit it names (default: the default branch).")
    @json_option
    @pass_api
    def verb(api: WorkspaceAPI, source: str, name: str, at, as_json: bool) -> None:
        ref = api.create_ref(source, name, at=at, kind=kind)
        data = {"source": source, kind: name, "commit": ref.commit}
        emit(as_json, data, f"{source}@{name} {ref.commit}")


_ref_verb("branch", "Create branch NAME of SOURCE.")
_ref_verb("tag", "Tag a commit of SOURCE as NAME (tags never move).")


@source_group.command("refs")
@click.argument("source")
@json_option
@pass_api
def source_refs(api: WorkspaceAPI, source: str, as_json: bool) -> None:
    """List the branches and tags of SOURCE."""
    rows = every(api.list_refs, source)
    emit(
        as_json,
        [{"name": r.name, "kind": r.kind, "commit": r.commit} for r in rows],
        "\n".join(f"{r.kind:6} {r.name}  {r.commit[:12]}" for r in rows),
    )


@source_group.command("ls")
@json_option
@pass_api
def source_ls(api: WorkspaceAPI, as_json: bool) -> None:
    """List sources."""
    rows = every(api.list_sources)
    emit(
        as_json,
        [{"name": r.name, "default_branch": r.default_branch} for r in rows],
        "\n".join(r.name for r in rows),
    )


@cli.command("log")
@click.argument("source_ref")
@click.option("-n", "--limit", default=20, show_default=True)
@json_option
@pass_api
def log_command(api: WorkspaceAPI, source_ref: str, limit: int, as_json: bool) -> None:
    """History of SOURCE[@REF], newest first."""
    name, ref = parse_source_ref(source_ref)
    rows = first(api.log, limit, name, ref)
    emit(
        as_json,
        [_commit_data(c) for c in rows],
        "\n".join(
            f"{c.id[:12]}  {c.author}  {c.message.splitlines()[0] if c.message else ''}"
            for c in rows
        ),
    )


def _commit_data(commit: Commit) -> dict:
    return {
        "commit": commit.id,
        "tree": commit.tree,
        "author": commit.author,
        "time_us": (commit.time - _EPOCH) // timedelta(microseconds=1),
        "message": commit.message,
    }
