"""``aether annotate`` and ``annotations``, ``aether approvals`` and ``approve``, ``aether
checks`` and ``aether branch``: the review gates of sessions and protected branches, embedded
(acting as ``AETHER_ACTOR``) or through a server's ``ReviewAPI``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from aether_data.cli._app import cli, emit, json_option, pass_connection
from aether_data.cli._connect import Connection, every
from aether_data.cli.coordination import data, review_api
from aether_data.errors import Invalid
from aether_data.wire.gates import Annotation, Approval, BranchPolicy, CheckRun, Finding, GatesAPI

__all__ = [
    "annotate_command",
    "annotations_group",
    "approvals_group",
    "approve_command",
    "branch_group",
    "checks_group",
]

_TAIL_LINES = 20
_NOTHING_TO_RUN = (
    "no checks to run: the branch of the session requires none; name some (aether checks ls)"
)


def _table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns (the last one unpadded)."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    )


def _fields(values: dict[str, object]) -> str:
    return "\n".join(f"{k}: {'-' if v in (None, '') else v}" for k, v in values.items())


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


# ------------------------------------------------------------------------------- annotations
def _line_range(lines: str | None, line: int | None) -> tuple[int, int] | None:
    """``--lines A-B`` (or ``A``) or ``--line N`` as a range of lines."""
    if lines is not None and line is not None:
        raise Invalid("give --lines A-B or --line N, not both")
    if line is not None:
        return line, line
    if lines is None:
        return None
    start, _, end = lines.partition("-")
    try:
        return int(start), int(end or start)
    except ValueError:
        raise Invalid(f"--lines {lines!r}: write FIRST-LAST, such as 3-7, or one number") from None


def _where(annotation: Annotation) -> str:
    if annotation.lines is None:
        return annotation.path
    start, end = annotation.lines
    return f"{annotation.path}:{start}" + (f"-{end}" if end != start else "")


def _annotation_row(annotation: Annotation) -> list[str]:
    return [
        annotation.id,
        annotation.state,
        _where(annotation),
        annotation.author,
        _first_line(annotation.body),
    ]


def _annotation_text(annotation: Annotation) -> str:
    head = {
        "id": annotation.id,
        "session": annotation.session_id,
        "path": _where(annotation),
        "state": annotation.state,
        "author": annotation.author,
        "content_hash": annotation.content_hash,
        "resolved_by": annotation.resolved_by,
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
    }
    return f"{_fields(head)}\n\n{annotation.body}"


@cli.command("annotate")
@click.argument("session")
@click.argument("path")
@click.argument("body")
@click.option("--lines", metavar="FIRST-LAST", help="The lines it is about, such as 3-7.")
@click.option("--line", type=click.IntRange(min=1), metavar="N", help="The one line it is about.")
@click.option(
    "--expect-hash",
    metavar="H",
    help="Only if the file's content hash is still H, as you read it (else exit 4).",
)
@json_option
@pass_connection
def annotate_command(
    conn: Connection,
    session: str,
    path: str,
    body: str,
    lines: str | None,
    line: int | None,
    expect_hash: str | None,
    as_json: bool,
) -> None:
    """Note BODY on the file PATH of SESSION as it is now, and print the annotation's id.

    BODY is text (`-`: read it from standard input); lines count from 1. The annotation keeps
    the file's content hash, and shows as `outdated` once the file changes. A missing file
    exits 3, a folder 2.

    \b
    Example:
      aether annotate s-0f3a... data/orders.csv "amount is in cents?" --lines 2-4
    """
    text = sys.stdin.read() if body == "-" else body
    found = review_api(conn).annotate(
        session, path, text, lines=_line_range(lines, line), content_hash=expect_hash
    )
    emit(as_json, data(found), found.id)


@cli.group("annotations")
def annotations_group() -> None:
    """Reviewers' notes on the files of a session: list, show, resolve, reopen.

    An annotation is `open`, `resolved`, or `outdated` (open, but its file has changed since
    it was written). Write one with `aether annotate`.
    """


@annotations_group.command("ls")
@click.argument("session")
@click.option("--path", metavar="P", help="Only on the file P, or on files under the folder P.")
@click.option("--author", metavar="A", help="Only those written by A.")
@click.option(
    "--state", type=click.Choice(["open", "resolved", "outdated"]), help="Only in this state."
)
@json_option
@pass_connection
def annotations_ls(
    conn: Connection,
    session: str,
    path: str | None,
    author: str | None,
    state: str | None,
    as_json: bool,
) -> None:
    """List the annotations of SESSION, oldest first: id, state, path:lines, author, and the
    first line of the body."""
    found: list[Annotation] = every(
        review_api(conn).list_annotations, session, path=path, author=author, state=state
    )
    emit(as_json, [data(a) for a in found], _table([_annotation_row(a) for a in found]))


@annotations_group.command("show")
@click.argument("session")
@click.argument("annotation_id", metavar="ID")
@json_option
@pass_connection
def annotations_show(conn: Connection, session: str, annotation_id: str, as_json: bool) -> None:
    """Show annotation ID of SESSION: where, state, author, times, and the whole body."""
    found = review_api(conn).get_annotation(session, annotation_id)
    emit(as_json, data(found), _annotation_text(found))


def _annotation_verb(name: str, help_text: str) -> None:
    @annotations_group.command(name, help=help_text)
    @click.argument("session")
    @click.argument("annotation_id", metavar="ID")
    @json_option
    @pass_connection
    def verb(conn: Connection, session: str, annotation_id: str, as_json: bool) -> None:
        changed: Annotation = getattr(review_api(conn), f"{name}_annotation")(
            session, annotation_id
        )
        emit(as_json, data(changed), f"{changed.id} {changed.state}")


_annotation_verb(
    "resolve", "Mark annotation ID of SESSION resolved (resolving it again changes nothing)."
)
_annotation_verb(
    "reopen",
    "Open annotation ID of SESSION again; it shows `outdated` if its file changed meanwhile.",
)


# ------------------------------------------------------------------------------- approvals
def _details(pairs: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise Invalid(f"--detail {pair!r}: write KEY=VALUE")
        if key in found:
            raise Invalid(f"--detail {key} is given twice")
        found[key] = value
    return found


def _approval_row(approval: Approval) -> list[str]:
    decided = f"by {approval.decided_by}" if approval.decided_by else "-"
    return [
        approval.id,
        approval.state,
        approval.reason,
        approval.requested_by,
        decided,
        approval.tree[:12],
        _lint_cell(approval),
        _first_line(approval.comment),
    ]


def _lint_cell(approval: Approval) -> str:
    """The SQL lint report a request for a tree that changes migrations carries."""
    lint = approval.details.get("sql-lint")
    return f"sql-lint {lint['status']}" if isinstance(lint, dict) else "-"


def _requested(approval: Approval) -> str:
    lint = approval.details.get("sql-lint")
    if not isinstance(lint, dict):
        return approval.id
    lines = [approval.id, f"sql-lint {lint['status']}: {lint['summary']}"]
    return "\n".join([*lines, *(f"  {finding}" for finding in lint.get("findings", []))])


def _decided(approval: Approval) -> str:
    return f"{approval.id} {approval.state} by {approval.decided_by}"


COMMENT_OPTION = click.option("--comment", default="", metavar="C", help="Why, for the record.")


@cli.group("approvals")
def approvals_group() -> None:
    """Approvals of a session: request, grant, deny, list.

    A request names the session's tree as it is now; a reviewer other than the requester
    grants or denies it. Once the session changes, its pending and granted approvals are
    `stale` and count for nothing: request again. A commit to a protected branch needs enough
    granted approvals of the tree it commits (see `aether branch protect`).
    """


@approvals_group.command("request")
@click.argument("session")
@click.option(
    "--reason",
    metavar="R",
    help="Upper-case words such as COMMIT_TO_MAIN [default: COMMIT_TO_<the session's "
    "branch>, or COMMIT without a source].",
)
@click.option(
    "--detail",
    "details",
    multiple=True,
    metavar="KEY=VALUE",
    help="Something reviewers should know, kept as text (repeatable).",
)
@json_option
@pass_connection
def approvals_request(
    conn: Connection, session: str, reason: str | None, details: tuple[str, ...], as_json: bool
) -> None:
    """Ask for approval of SESSION as it is now, and print the request's id; when the session
    changes SQL migrations, the sql-lint report attached to the request follows.

    Asking again for the same tree and reason returns the pending request you made before.

    \b
    Example:
      aether approvals request s-0f3a... --detail ticket=DATA-42
    """
    found = review_api(conn).request_approval(session, reason=reason, details=_details(details))
    emit(as_json, data(found), _requested(found))


@approvals_group.command("grant")
@click.argument("session")
@click.argument("approval_id", metavar="ID")
@COMMENT_OPTION
@json_option
@pass_connection
def approvals_grant(
    conn: Connection, session: str, approval_id: str, comment: str, as_json: bool
) -> None:
    """Grant approval request ID of SESSION.

    Exit 5 if you requested it yourself (another reviewer must decide), 4 if it is decided
    already or the session changed since the request.
    """
    granted = review_api(conn).grant_approval(session, approval_id, comment=comment)
    emit(as_json, data(granted), _decided(granted))


@approvals_group.command("deny")
@click.argument("session")
@click.argument("approval_id", metavar="ID")
@COMMENT_OPTION
@json_option
@pass_connection
def approvals_deny(
    conn: Connection, session: str, approval_id: str, comment: str, as_json: bool
) -> None:
    """Deny approval request ID of SESSION (exit 5 if you requested it, 4 if it is decided
    already)."""
    denied = review_api(conn).deny_approval(session, approval_id, comment=comment)
    emit(as_json, data(denied), _decided(denied))


@approvals_group.command("ls")
@click.argument("session")
@click.option(
    "--state",
    type=click.Choice(["pending", "granted", "denied", "stale"]),
    help="Only in this state.",
)
@json_option
@pass_connection
def approvals_ls(conn: Connection, session: str, state: str | None, as_json: bool) -> None:
    """List the approvals of SESSION, oldest first: id, state, reason, requester, decider,
    tree, the SQL lint report's status (for a tree that changes migrations), and the first
    line of the comment."""
    found: list[Approval] = every(review_api(conn).list_approvals, session, state=state)
    emit(as_json, [data(a) for a in found], _table([_approval_row(a) for a in found]))


def _the_pending(api: GatesAPI, session: str) -> str:
    """The id of the one pending request of SESSION's current tree."""
    pending: list[Approval] = every(api.list_approvals, session, state="pending")
    if len(pending) == 1:
        return pending[0].id
    if not pending:
        raise Invalid(
            f"session {session} has no pending approval request of its current tree; "
            f"ask for one with `aether approvals request {session}`"
        )
    ids = ", ".join(a.id for a in pending)
    raise Invalid(
        f"session {session} has {len(pending)} pending approval requests ({ids}); "
        f"name one: aether approve {session} ID"
    )


@cli.command("approve")
@click.argument("session")
@click.argument("approval_id", metavar="[ID]", required=False)
@COMMENT_OPTION
@json_option
@pass_connection
def approve_command(
    conn: Connection, session: str, approval_id: str | None, comment: str, as_json: bool
) -> None:
    """Grant approval request ID of SESSION; without ID, its one pending request.

    Short for `aether approvals grant`. Without ID, exit 2 when SESSION has no pending request
    of its current tree, or several (they are listed). Exit 5 if you requested it yourself.
    """
    api = review_api(conn)
    granted = api.grant_approval(
        session, approval_id or _the_pending(api, session), comment=comment
    )
    emit(as_json, data(granted), _decided(granted))


# ------------------------------------------------------------------------------- checks
def _finding_line(finding: Finding) -> str:
    where = finding.path or "-"
    if finding.line is not None:
        where += f":{finding.line}"
    return f"  {where}: {finding.message}"


def _output_tail(output: str) -> list[str]:
    lines = output.rstrip("\n").splitlines()
    shown = [f"  | {line}" for line in lines[-_TAIL_LINES:]]
    if len(lines) > _TAIL_LINES:
        shown.insert(0, f"  (output: the last {_TAIL_LINES} of {len(lines)} lines; --json: all)")
    return shown


def _report(run: CheckRun, head: str) -> str:
    """A report: ``head``, then the findings and the tail of the output, indented."""
    return "\n".join([head, *map(_finding_line, run.findings), *_output_tail(run.output)])


def _run_head(run: CheckRun) -> str:
    return f"{run.status:6}  {run.check}: {run.summary}"


def _stored_head(run: CheckRun) -> str:
    tree = "" if run.current else f"  [older tree {run.tree[:12]}]"
    when = run.created_at.isoformat(timespec="seconds")
    return f"{run.id}  {when}  {run.actor}  {_run_head(run)}{tree}"


@cli.group("checks")
def checks_group() -> None:
    """Checks: programs that judge a session's files before a commit to a protected branch.

    Built-in checks, checks from Python packages (entry points `aether_data.checks`) and
    command checks from the server's settings (`[checks]` in config.toml; a command runs in a
    folder holding the session's files and passes on exit status 0). Every run is kept as a
    report of the session.
    """


@checks_group.command("ls")
@json_option
@pass_connection
def checks_ls(conn: Connection, as_json: bool) -> None:
    """List the checks the workspace knows: name and description."""
    found = review_api(conn).list_checks()
    emit(as_json, [data(c) for c in found], _table([[c.name, c.description] for c in found]))


@checks_group.command("run")
@click.argument("session")
@click.argument("names", nargs=-1, metavar="[NAME ...]")
@json_option
@pass_connection
def checks_run(conn: Connection, session: str, names: tuple[str, ...], as_json: bool) -> None:
    """Run checks on SESSION's files now, keep and print their reports.

    Without NAME: the checks the branch of SESSION requires (see `aether branch policy`). Each
    report shows the status (passed, failed, or error: the check itself broke), a summary, the
    findings as path:line: message, and the tail of the check's output. Exit 1 when any check
    did not pass; an unknown NAME exits 2.
    """
    runs = review_api(conn).run_checks(session, list(names) or None)
    text = "\n".join(_report(r, _run_head(r)) for r in runs)
    emit(as_json, [data(r) for r in runs], text or _NOTHING_TO_RUN)
    if any(r.status != "passed" for r in runs):
        sys.exit(1)


@checks_group.command("reports")
@click.argument("session")
@click.option(
    "--current", is_flag=True, help="Only reports on the session's files as they are now."
)
@json_option
@pass_connection
def checks_reports(conn: Connection, session: str, current: bool, as_json: bool) -> None:
    """Print the kept reports of checks on SESSION, oldest first.

    Those of checks a commit ran too. Each shows id, time, who ran it, status, check, summary,
    findings and the tail of the output; a report on an earlier state of the session's files
    is marked `[older tree ...]`.
    """
    runs: list[CheckRun] = every(review_api(conn).list_check_runs, session, current=current)
    emit(as_json, [data(r) for r in runs], "\n".join(_report(r, _stored_head(r)) for r in runs))


# ------------------------------------------------------------------------------- policies
def _checks_text(policy: BranchPolicy) -> str:
    return ", ".join(policy.required_checks) or "-"


def _policy_row(policy: BranchPolicy) -> list[str]:
    return [
        policy.branch,
        f"approvals {policy.required_approvals}",
        f"checks {_checks_text(policy)}",
        f"by {policy.updated_by} at {policy.updated_at.isoformat(timespec='seconds')}",
    ]


def _policy_text(policy: BranchPolicy) -> str:
    return _fields(
        {
            "source": policy.source,
            "branch": policy.branch,
            "required_approvals": policy.required_approvals,
            "required_checks": _checks_text(policy),
            "updated_by": policy.updated_by,
            "updated_at": policy.updated_at.isoformat(),
        }
    )


@cli.group("branch")
def branch_group() -> None:
    """Protected branches: what a commit to a branch of a source needs.

    A commit (or promote, or resolve) to a protected branch first runs the required checks on
    the session's files (a failure exits 4, the reports are kept: `aether checks reports`),
    then counts the reviewers who granted an approval of exactly those files, for COMMIT or
    COMMIT_TO_<BRANCH> (too few exits 5, and the session shows PENDING_APPROVAL).
    """


@branch_group.command("protect")
@click.argument("source")
@click.argument("branch")
@click.option(
    "--approvals",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    metavar="N",
    help="Distinct reviewers who must grant an approval (0: checks only).",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="NAME",
    help="A check that must pass (repeatable; see `aether checks ls`).",
)
@json_option
@pass_connection
def branch_protect(
    conn: Connection,
    source: str,
    branch: str,
    approvals: int,
    checks: tuple[str, ...],
    as_json: bool,
) -> None:
    """Protect BRANCH of SOURCE, replacing any policy it had (the branch need not exist yet).

    \b
    Example:
      aether branch protect sales main --approvals 2 --check valid-json
    """
    policy = review_api(conn).protect_branch(
        source, branch, required_approvals=approvals, required_checks=checks
    )
    text = f"{source}@{branch} protected: {approvals} approval(s), checks {_checks_text(policy)}"
    emit(as_json, data(policy), text)


@branch_group.command("unprotect")
@click.argument("source")
@click.argument("branch")
@json_option
@pass_connection
def branch_unprotect(conn: Connection, source: str, branch: str, as_json: bool) -> None:
    """Drop the policy of BRANCH of SOURCE (exit 3 if it is not protected)."""
    review_api(conn).unprotect_branch(source, branch)
    emit(
        as_json,
        {"source": source, "branch": branch, "protected": False},
        f"{source}@{branch} is not protected any more",
    )


@branch_group.command("policy")
@click.argument("source")
@click.argument("branch", required=False)
@json_option
@pass_connection
def branch_policy(conn: Connection, source: str, branch: str | None, as_json: bool) -> None:
    """List the protected branches of SOURCE, or show the policy of BRANCH (exit 3 if it is
    not protected)."""
    api = review_api(conn)
    if branch is not None:
        policy = api.get_branch_policy(source, branch)
        emit(as_json, data(policy), _policy_text(policy))
        return
    found = api.list_branch_policies(source)
    emit(as_json, [data(p) for p in found], _table([_policy_row(p) for p in found]))
