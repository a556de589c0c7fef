"""Annotations, approvals, checks and branch policies through the ``GatesAPI``: the same
assertions against ``EmbeddedReview`` and against ``AetherClient`` talking to a live server,
with two actors of one tenant (an author who writes and asks, a reviewer who decides)."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aether_data.client import AetherClient
from aether_data.errors import (
    ApprovalRequired,
    ChecksFailed,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
)
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import Page, WorkspaceAPI
from aether_data.wire.gates import Annotation, Approval, BranchPolicy, CheckRun, GatesAPI
from aether_data.wire.review import ReviewAPI

GHOST_SESSION = "s-0000000000000000"
REVIEWER_SCOPES = ["session.read", "session.write", "source.read", "review.approve"]
FILES = {"data/a.csv": b"id,n\n1,2\n", "data/b.json": b'{"ok": true}', "notes.md": b"# notes\n"}


@dataclass
class Desk:
    """Two actors on one tenant, and a session of ``source@main`` holding ``FILES``.

    ``ws`` and ``author`` act as the author (over HTTP they are the same admin client);
    ``reviewer`` is somebody else, who may decide approvals.
    """

    ws: WorkspaceAPI
    author: ReviewAPI
    reviewer: ReviewAPI
    author_id: str
    reviewer_id: str
    source: str
    session: str

    def edit(self, path: str, data: bytes) -> None:
        self.ws.write(self.session, path, data)

    def status(self) -> str:
        return self.ws.get_session(self.session).status

    def head(self, branch: str = "main") -> str:
        return self.ws.log(self.source, branch).items[0].id


def _stock(ws: WorkspaceAPI) -> tuple[str, str]:
    """A new source and a session of its ``main`` holding ``FILES``."""
    source = f"src-{uuid.uuid4().hex[:10]}"
    ws.create_source(source)
    session = ws.create_session(source=source, name="gates").id
    for path, data in FILES.items():
        ws.write(session, path, data)
    return source, session


@pytest.fixture(params=["embedded", "http"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """``EmbeddedReview`` as ``alice`` and ``bob``, or the HTTP clients of the shared live
    server (conftest.py) with the admin token and a reviewer's token."""
    if request.param == "embedded":
        with open_services(Settings.for_home(tmp_path / "home")) as services:
            ws = services.workspace(actor="alice")
            review = services.review(actor="alice")
            yield Desk(ws, review, services.review(actor="bob"), "alice", "bob", *_stock(ws))
        return
    server = request.getfixturevalue("shared_server")
    with (
        AetherClient(server.url, server.token) as author,
        AetherClient(server.url, server.issue(REVIEWER_SCOPES)) as reviewer,
    ):
        ids = author.whoami().token, reviewer.whoami().token
        yield Desk(author, author, reviewer, *ids, *_stock(author))


def test_every_gates_method_is_exercised() -> None:
    methods = {
        name
        for name, value in vars(GatesAPI).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    called = set(re.findall(r"\.(?:author|reviewer)\.(\w+)\(", Path(__file__).read_text()))
    assert methods - called == set()


# ---------------------------------------------------------------------------- annotations
def test_annotate_get_and_list(desk: Desk) -> None:
    file_id = desk.ws.stat(desk.session, "data/a.csv").id
    note = desk.author.annotate(desk.session, "data/a.csv", "why 2?", lines=(2, 2))
    assert isinstance(note, Annotation)
    assert (note.session_id, note.path, note.body, note.lines) == (
        desk.session,
        "data/a.csv",
        "why 2?",
        (2, 2),
    )
    assert (note.author, note.content_hash, note.state, note.outdated) == (
        desk.author_id,
        file_id,
        "open",
        False,
    )
    assert note.resolved_by is None
    assert desk.author.get_annotation(desk.session, note.id) == note
    assert desk.reviewer.get_annotation(desk.session, note.id) == note
    pinned = desk.reviewer.annotate(desk.session, "notes.md", "typo", content_hash=None)
    other = desk.reviewer.annotate(desk.session, "data/b.json", "ok")
    listed = desk.author.list_annotations(desk.session)
    assert isinstance(listed, Page)
    assert [a.id for a in listed.items] == [note.id, pinned.id, other.id]
    assert listed.next_cursor is None


def test_list_annotations_filters_and_pages(desk: Desk) -> None:
    mine = desk.author.annotate(desk.session, "data/a.csv", "one")
    theirs = desk.reviewer.annotate(desk.session, "data/b.json", "two")
    top = desk.reviewer.annotate(desk.session, "notes.md", "three")

    def ids(**filters: object) -> list[str]:
        return [a.id for a in desk.author.list_annotations(desk.session, **filters).items]  # type: ignore[arg-type]

    assert ids(path="data") == [mine.id, theirs.id]
    assert ids(path="data/b.json") == [theirs.id]
    assert ids(path="elsewhere") == []
    assert ids(author=desk.reviewer_id) == [theirs.id, top.id]
    assert ids(author=desk.author_id, path="notes.md") == []
    desk.author.resolve_annotation(desk.session, theirs.id)
    assert ids(state="resolved") == [theirs.id]
    assert ids(state="open") == [mine.id, top.id]
    first = desk.author.list_annotations(desk.session, limit=2)
    assert [a.id for a in first.items] == [mine.id, theirs.id]
    assert first.next_cursor is not None
    rest = desk.author.list_annotations(desk.session, cursor=first.next_cursor, limit=2)
    assert ([a.id for a in rest.items], rest.next_cursor) == ([top.id], None)


def test_resolve_and_reopen(desk: Desk) -> None:
    note = desk.author.annotate(desk.session, "notes.md", "fix the heading")
    resolved = desk.reviewer.resolve_annotation(desk.session, note.id)
    assert (resolved.state, resolved.resolved_by) == ("resolved", desk.reviewer_id)
    again = desk.author.resolve_annotation(desk.session, note.id)
    assert (again.state, again.resolved_by) == ("resolved", desk.reviewer_id)
    assert desk.author.get_annotation(desk.session, note.id).state == "resolved"
    reopened = desk.author.reopen_annotation(desk.session, note.id)
    assert reopened.state == "open"
    assert desk.author.reopen_annotation(desk.session, note.id).state == "open"
    assert desk.author.get_annotation(desk.session, note.id).state == "open"


def test_outdated_exactly_on_the_edited_file(desk: Desk) -> None:
    edited = desk.author.annotate(desk.session, "data/a.csv", "check this row")
    settled = desk.author.annotate(desk.session, "data/a.csv", "fine")
    desk.author.resolve_annotation(desk.session, settled.id)
    untouched = desk.author.annotate(desk.session, "data/b.json", "looks good")
    desk.edit("data/a.csv", b"id,n\n1,3\n")
    now = desk.author.get_annotation(desk.session, edited.id)
    assert (now.state, now.outdated, now.content_hash) == ("outdated", True, edited.content_hash)
    still_resolved = desk.author.get_annotation(desk.session, settled.id)
    assert (still_resolved.state, still_resolved.outdated) == ("resolved", True)
    other = desk.author.get_annotation(desk.session, untouched.id)
    assert (other.state, other.outdated) == ("open", False)
    outdated = desk.author.list_annotations(desk.session, state="outdated").items
    assert [a.id for a in outdated] == [edited.id]
    assert [a.id for a in desk.author.list_annotations(desk.session, state="open").items] == [
        untouched.id
    ]
    desk.edit("data/a.csv", FILES["data/a.csv"])  # back as it was: open again
    assert desk.author.get_annotation(desk.session, edited.id).state == "open"


def test_annotation_preconditions_and_unknowns(desk: Desk) -> None:
    file_id = desk.ws.stat(desk.session, "notes.md").id
    pinned = desk.author.annotate(desk.session, "notes.md", "as read", content_hash=file_id)
    assert pinned.content_hash == file_id
    with pytest.raises(PreconditionFailed):
        desk.author.annotate(desk.session, "notes.md", "stale", content_hash="0" * 64)
    for call in (
        lambda: desk.author.annotate(desk.session, "missing.txt", "where?"),
        lambda: desk.author.annotate(GHOST_SESSION, "notes.md", "where?"),
        lambda: desk.author.get_annotation(desk.session, "ann-0000000000000000"),
        lambda: desk.author.resolve_annotation(desk.session, "ann-0000000000000000"),
        lambda: desk.author.list_annotations(GHOST_SESSION),
    ):
        with pytest.raises(NotFound):
            call()
    for call in (
        lambda: desk.author.annotate(desk.session, "notes.md", ""),
        lambda: desk.author.annotate(desk.session, "notes.md", "x", lines=(3, 1)),
        lambda: desk.author.annotate(desk.session, "data", "a folder"),
        lambda: desk.author.list_annotations(desk.session, state="closed"),  # type: ignore[arg-type]
    ):
        with pytest.raises(Invalid):
            call()


# ---------------------------------------------------------------------------- approvals
def test_request_and_grant(desk: Desk) -> None:
    asked = desk.author.request_approval(desk.session, details={"ticket": "DATA-7"})
    assert isinstance(asked, Approval)
    assert (asked.session_id, asked.reason, asked.requested_by, asked.state) == (
        desk.session,
        "COMMIT_TO_MAIN",
        desk.author_id,
        "pending",
    )
    assert (asked.details, asked.decided_by, asked.comment) == ({"ticket": "DATA-7"}, None, "")
    assert desk.author.request_approval(desk.session, details={"ticket": "DATA-7"}) == asked
    granted = desk.reviewer.grant_approval(desk.session, asked.id, comment="lgtm")
    assert (granted.state, granted.decided_by, granted.comment, granted.tree) == (
        "granted",
        desk.reviewer_id,
        "lgtm",
        asked.tree,
    )
    assert desk.author.get_approval(desk.session, asked.id) == granted
    assert [a.id for a in desk.author.list_approvals(desk.session, state="granted").items] == [
        asked.id
    ]
    assert desk.author.list_approvals(desk.session, state="pending").items == []
    with pytest.raises(Conflict):
        desk.reviewer.grant_approval(desk.session, asked.id)


def test_request_and_deny(desk: Desk) -> None:
    asked = desk.author.request_approval(desk.session, reason="PUBLISH")
    assert asked.reason == "PUBLISH"
    denied = desk.reviewer.deny_approval(desk.session, asked.id, comment="not yet")
    assert (denied.state, denied.decided_by, denied.comment) == (
        "denied",
        desk.reviewer_id,
        "not yet",
    )
    with pytest.raises(Conflict):
        desk.reviewer.grant_approval(desk.session, asked.id)
    second = desk.author.request_approval(desk.session, reason="PUBLISH")
    assert second.id != asked.id
    page = desk.author.list_approvals(desk.session, limit=1)
    assert [a.id for a in page.items] == [asked.id]
    rest = desk.author.list_approvals(desk.session, cursor=page.next_cursor)
    assert [a.id for a in rest.items] == [second.id]


def test_no_self_approval(desk: Desk) -> None:
    asked = desk.author.request_approval(desk.session)
    with pytest.raises(Forbidden):
        desk.author.grant_approval(desk.session, asked.id)
    with pytest.raises(Forbidden):
        desk.author.deny_approval(desk.session, asked.id)
    assert desk.author.get_approval(desk.session, asked.id).state == "pending"


def test_a_change_makes_approvals_stale(desk: Desk) -> None:
    granted = desk.author.request_approval(desk.session)
    desk.reviewer.grant_approval(desk.session, granted.id)
    pending = desk.author.request_approval(desk.session, reason="PUBLISH")
    desk.edit("notes.md", b"# notes, edited\n")
    assert desk.author.get_approval(desk.session, granted.id).state == "stale"
    assert desk.author.get_approval(desk.session, pending.id).state == "stale"
    with pytest.raises(Conflict):
        desk.reviewer.grant_approval(desk.session, pending.id)
    assert desk.reviewer.deny_approval(desk.session, pending.id).state == "denied"
    stale = desk.author.list_approvals(desk.session, state="stale").items
    assert [a.id for a in stale] == [granted.id]
    fresh = desk.author.request_approval(desk.session)
    assert (fresh.id != granted.id, fresh.tree != granted.tree) == (True, True)


def test_approval_unknowns_and_bad_reasons(desk: Desk) -> None:
    for call in (
        lambda: desk.author.request_approval(GHOST_SESSION),
        lambda: desk.author.get_approval(desk.session, "apr-0000000000000000"),
        lambda: desk.reviewer.grant_approval(desk.session, "apr-0000000000000000"),
        lambda: desk.author.list_approvals(GHOST_SESSION),
    ):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(Invalid):
        desk.author.request_approval(desk.session, reason="lower case")
    with pytest.raises(Invalid):
        desk.author.list_approvals(desk.session, state="maybe")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- policies
def test_protect_get_list_unprotect(desk: Desk) -> None:
    main = desk.author.protect_branch(
        desk.source, "main", required_approvals=2, required_checks=["valid-json"]
    )
    assert isinstance(main, BranchPolicy)
    assert (main.source, main.branch, main.required_approvals, main.required_checks) == (
        desk.source,
        "main",
        2,
        ["valid-json"],
    )
    assert main.updated_by == desk.author_id
    feature = desk.author.protect_branch(desk.source, "feature/x")  # need not exist yet
    assert (feature.branch, feature.required_approvals, feature.required_checks) == (
        "feature/x",
        1,
        [],
    )
    assert desk.author.get_branch_policy(desk.source, "main") == main
    assert desk.reviewer.get_branch_policy(desk.source, "feature/x") == feature
    assert desk.author.list_branch_policies(desk.source) == [feature, main]
    relaxed = desk.author.protect_branch(desk.source, "main", required_approvals=0)
    assert (relaxed.required_approvals, relaxed.required_checks) == (0, [])
    desk.author.unprotect_branch(desk.source, "feature/x")
    with pytest.raises(NotFound):
        desk.author.get_branch_policy(desk.source, "feature/x")
    with pytest.raises(NotFound):
        desk.author.unprotect_branch(desk.source, "feature/x")
    assert [p.branch for p in desk.author.list_branch_policies(desk.source)] == ["main"]
    with pytest.raises(NotFound):
        desk.author.get_branch_policy(desk.source, "feature")  # only feature/x was protected


def test_policy_unknowns_and_bad_values(desk: Desk) -> None:
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    for call in (
        lambda: desk.author.protect_branch(ghost, "main"),
        lambda: desk.author.get_branch_policy(ghost, "main"),
        lambda: desk.author.list_branch_policies(ghost),
        lambda: desk.author.unprotect_branch(ghost, "main"),
    ):
        with pytest.raises(NotFound):
            call()
    for branch in ("has space", "a..b", "-dash", "/main", "main/", "a//b", "x.lock"):
        with pytest.raises(Invalid):
            desk.author.protect_branch(desk.source, branch)
    for call in (
        lambda: desk.author.protect_branch(desk.source, "main", required_checks=["no-such"]),
        lambda: desk.author.protect_branch(desk.source, "main", required_approvals=-1),
        lambda: desk.author.run_checks(desk.session, ["no-such"]),
    ):
        with pytest.raises(Invalid):
            call()
    assert desk.author.list_branch_policies(desk.source) == []


# ---------------------------------------------------------------------------- checks
def test_list_and_run_checks(desk: Desk) -> None:
    known = {c.name: c.description for c in desk.author.list_checks()}
    assert {"no-conflict-markers", "valid-json"} <= known.keys()
    assert all(known.values())
    runs = desk.author.run_checks(desk.session, ["valid-json", "no-conflict-markers"])
    assert all(isinstance(r, CheckRun) for r in runs)
    assert [(r.check, r.status, r.current, r.actor) for r in runs] == [
        ("valid-json", "passed", True, desk.author_id),
        ("no-conflict-markers", "passed", True, desk.author_id),
    ]
    assert all(r.session_id == desk.session and r.findings == [] for r in runs)
    assert desk.author.run_checks(desk.session) == []  # main requires none yet
    desk.author.protect_branch(desk.source, "main", required_checks=["valid-json"])
    desk.edit("broken.json", b'{"open": ')
    required = desk.author.run_checks(desk.session, None)
    assert [(r.check, r.status) for r in required] == [("valid-json", "failed")]
    assert [(f.path, f.message.startswith("not JSON")) for f in required[0].findings] == [
        ("broken.json", True)
    ]
    reports = desk.author.list_check_runs(desk.session)
    assert [r.id for r in reports.items] == [*(r.id for r in runs), required[0].id]
    assert [r.current for r in reports.items] == [False, False, True]
    current = desk.author.list_check_runs(desk.session, current=True)
    assert [r.id for r in current.items] == [required[0].id]
    page = desk.author.list_check_runs(desk.session, limit=2)
    rest = desk.author.list_check_runs(desk.session, cursor=page.next_cursor, limit=2)
    assert [r.id for r in page.items + rest.items] == [r.id for r in reports.items]


# ---------------------------------------------------------------------------- the commit gate
def test_commit_to_a_protected_branch_needs_a_fresh_approval(desk: Desk) -> None:
    desk.author.protect_branch(desk.source, "main")
    before = desk.head()
    with pytest.raises(ApprovalRequired):
        desk.ws.commit(desk.session, message="load orders")
    assert desk.status() == "PENDING_APPROVAL"
    assert desk.head() == before
    asked = desk.author.request_approval(desk.session)
    desk.reviewer.grant_approval(desk.session, asked.id)
    desk.edit("notes.md", b"# notes, after the review\n")  # the approval goes stale
    with pytest.raises(ApprovalRequired):
        desk.ws.commit(desk.session, message="load orders")
    assert desk.status() == "PENDING_APPROVAL"
    again = desk.author.request_approval(desk.session)
    desk.reviewer.grant_approval(desk.session, again.id, comment="ok")
    result = desk.ws.commit(desk.session, message="load orders")
    assert (result.branch, desk.head()) == ("main", result.commit)
    assert desk.status() == "ACTIVE"


def test_commit_to_a_protected_branch_with_a_slash(desk: Desk) -> None:
    desk.ws.create_ref(desk.source, "feature/x")
    session = desk.ws.create_session(source=desk.source, ref="feature/x").id
    desk.ws.write(session, "data/c.csv", b"id\n3\n")
    desk.author.protect_branch(desk.source, "feature/x")
    with pytest.raises(ApprovalRequired):
        desk.ws.commit(session, message="feature work")
    asked = desk.author.request_approval(session)
    assert asked.reason == "COMMIT_TO_FEATURE_X"
    desk.reviewer.grant_approval(session, asked.id)
    result = desk.ws.commit(session, message="feature work")
    assert result.branch == "feature/x"
    assert desk.ws.get_session(session).status == "ACTIVE"
    desk.ws.commit(desk.session, message="main is not protected")


def test_a_failing_required_check_stops_the_commit(desk: Desk) -> None:
    desk.author.protect_branch(
        desk.source, "main", required_approvals=0, required_checks=["no-conflict-markers"]
    )
    desk.edit("data/a.csv", b"id,n\n<<<<<<< ours\n1,2\n=======\n1,3\n>>>>>>> theirs\n")
    before = desk.head()
    with pytest.raises(ChecksFailed):
        desk.ws.commit(desk.session, message="merge by hand")
    assert desk.head() == before
    reports = desk.author.list_check_runs(desk.session, current=True).items
    assert [(r.check, r.status, r.actor) for r in reports] == [
        ("no-conflict-markers", "failed", desk.author_id)
    ]
    assert [(f.path, f.line) for f in reports[0].findings] == [
        ("data/a.csv", 2),
        ("data/a.csv", 6),
    ]
    desk.edit("data/a.csv", b"id,n\n1,3\n")
    desk.ws.commit(desk.session, message="merged")
    assert desk.status() == "ACTIVE"
    assert [r.status for r in desk.author.list_check_runs(desk.session, current=True).items] == [
        "passed"
    ]
