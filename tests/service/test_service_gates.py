"""Protected branches, approvals, checks and annotations through the embedded API, on each
catalog engine: the acceptance behaviour of reviews."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.errors import (
    ApprovalRequired,
    ChecksFailed,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
)
from aether_data.service import Services, open_services
from aether_data.settings import Settings


@pytest.fixture
def services(tmp_path, catalog_url: str) -> Services:
    settings = Settings.for_home(
        tmp_path, catalog_url=catalog_url, checks={"has-readme": "test -e README.md"}
    )
    with open_services(settings) as opened:
        yield opened


@pytest.fixture
def setup(services: Services):
    """Alice works on a session of ``src``; ``main`` needs one approval."""
    alice, bob = services.workspace(actor="alice"), services.review(actor="bob")
    alice.create_source("src")
    session = alice.create_session(source="src")
    alice.write(session.id, "a.sql", b"select 1;\n")
    services.review(actor="admin").protect_branch("src", "main", required_approvals=1)
    return alice, services.review(actor="alice"), bob, session.id


def head(services: Services) -> str:
    return services.workspace().list_refs("src").items[0].commit


def test_unapproved_commit_is_refused_and_approved_one_accepted(services, setup) -> None:
    alice, alice_review, bob, sid = setup
    before = head(services)
    with pytest.raises(ApprovalRequired, match="needs 1 approval"):
        alice.commit(sid, message="m")
    assert alice.get_session(sid).status == "PENDING_APPROVAL"
    assert head(services) == before
    asked = alice_review.request_approval(sid, reason="COMMIT_TO_MAIN")
    assert bob.grant_approval(sid, asked.id, comment="lgtm").state == "granted"
    result = alice.commit(sid, message="m")
    assert head(services) == result.commit != before
    assert alice.get_session(sid).status == "ACTIVE"


def test_an_approval_goes_stale_after_a_change(services, setup) -> None:
    alice, alice_review, bob, sid = setup
    asked = alice_review.request_approval(sid)
    bob.grant_approval(sid, asked.id)
    alice.write(sid, "a.sql", b"select 2;\n")  # a pending-approval session stays writable
    assert alice_review.get_approval(sid, asked.id).state == "stale"
    with pytest.raises(ApprovalRequired, match="has 0"):
        alice.commit(sid, message="m")
    again = alice_review.request_approval(sid)
    assert again.id != asked.id
    bob.grant_approval(sid, again.id)
    alice.commit(sid, message="m")
    assert services.workspace().read(sid, "a.sql") == b"select 2;\n"


def test_self_approval_is_refused(setup) -> None:
    _, alice_review, _, sid = setup
    asked = alice_review.request_approval(sid)
    with pytest.raises(Forbidden, match="cannot decide"):
        alice_review.grant_approval(sid, asked.id)
    assert alice_review.list_approvals(sid, state="pending").items == [
        alice_review.get_approval(sid, asked.id)
    ]


def test_granting_after_a_change_is_refused(setup) -> None:
    alice, alice_review, bob, sid = setup
    asked = alice_review.request_approval(sid)
    alice.write(sid, "b.txt", b"more")
    with pytest.raises(Conflict, match="changed since"):
        bob.grant_approval(sid, asked.id)


def test_two_approvals_need_two_reviewers(services, setup) -> None:
    alice, alice_review, bob, sid = setup
    services.review(actor="admin").protect_branch("src", "main", required_approvals=2)
    bob.grant_approval(sid, alice_review.request_approval(sid).id)
    bob.grant_approval(sid, alice_review.request_approval(sid, reason="COMMIT").id)
    with pytest.raises(ApprovalRequired, match="has 1"):
        alice.commit(sid, message="m")  # bob twice is one reviewer
    carol = services.review(actor="carol")
    carol.grant_approval(sid, alice_review.request_approval(sid, reason="COMMIT").id)
    alice.commit(sid, message="m")


def test_an_approval_for_another_branch_does_not_count(setup) -> None:
    alice, alice_review, bob, sid = setup
    bob.grant_approval(sid, alice_review.request_approval(sid, reason="COMMIT_TO_DEV").id)
    with pytest.raises(ApprovalRequired):
        alice.commit(sid, message="m")


def test_a_failing_check_aborts_the_commit_with_its_report(services, setup) -> None:
    alice, _, bob, sid = setup
    admin = services.review(actor="admin")
    admin.protect_branch("src", "main", required_approvals=0, required_checks=["has-readme"])
    before = head(services)
    with pytest.raises(ChecksFailed, match="has-readme: failed, exit status 1"):
        alice.commit(sid, message="m")
    assert head(services) == before
    assert alice.get_session(sid).status == "ACTIVE"
    (report,) = bob.list_check_runs(sid, current=True).items
    assert (report.check, report.status, report.current, report.actor) == (
        "has-readme",
        "failed",
        True,
        "alice",
    )
    alice.write(sid, "README.md", b"# hi")
    assert bob.list_check_runs(sid, current=True).items == []
    alice.commit(sid, message="m")


def test_run_checks_defaults_to_the_branch_requirements(services, setup) -> None:
    alice, alice_review, _, sid = setup
    services.review(actor="admin").protect_branch("src", "main", required_checks=["valid-json"])
    alice.write(sid, "x.json", b"{")
    (run,) = alice_review.run_checks(sid)
    assert (run.check, run.status, run.findings[0].path) == ("valid-json", "failed", "x.json")
    runs = alice_review.run_checks(sid, ["no-conflict-markers", "has-readme"])
    assert [(r.check, r.status) for r in runs] == [
        ("no-conflict-markers", "passed"),
        ("has-readme", "failed"),
    ]
    with pytest.raises(Invalid, match="known checks"):
        alice_review.run_checks(sid, ["nope"])
    names = [c.name for c in alice_review.list_checks()]
    assert names == [
        "dataset-schema",
        "has-readme",
        "no-conflict-markers",
        "sql-lint",
        "valid-json",
    ]


def parquet_bytes(columns: dict) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def test_dataset_schema_check_refuses_dropped_and_narrowed_columns(services, setup) -> None:
    alice, alice_review, _, sid = setup
    admin = services.review(actor="admin")
    admin.unprotect_branch("src", "main")
    base = {"id": pa.array([1, 2], pa.int32()), "v": ["a", "b"], "w": [1.5, 2.5]}
    alice.write(sid, "t.parquet", parquet_bytes(base))
    alice.commit(sid, message="base")
    admin.protect_branch("src", "main", required_approvals=0, required_checks=["dataset-schema"])
    wider = {"id": pa.array([1, 2], pa.int64()), "v": ["a", "b"], "w": [1.5, 2.5], "new": [1, 2]}
    alice.write(sid, "t.parquet", parquet_bytes(wider))
    (run,) = alice_review.run_checks(sid)
    assert (run.check, run.status) == ("dataset-schema", "passed")  # widened, added: fine
    narrower = {"id": pa.array([1, 2], pa.int16()), "w": ["x", "y"]}
    alice.write(sid, "t.parquet", parquet_bytes(narrower))
    with pytest.raises(ChecksFailed, match="dataset-schema: failed"):
        alice.commit(sid, message="breaks readers")
    (report,) = alice_review.list_check_runs(sid, current=True).items
    assert sorted(f.message for f in report.findings) == [
        "column 'id' changed type INTEGER -> SMALLINT",
        "column 'v' (VARCHAR) was dropped",
        "column 'w' changed type DOUBLE -> VARCHAR",
    ]
    assert {f.path for f in report.findings} == {"t.parquet"}


def test_promote_and_resolve_pass_the_gate_too(services, setup) -> None:
    alice, _, _, sid = setup
    admin = services.review(actor="admin")
    admin.protect_branch("src", "release/1", required_approvals=1)
    with pytest.raises(ApprovalRequired):
        alice.promote(sid, branch="release/1")
    assert [r.name for r in services.workspace().list_refs("src").items] == ["main"]
    other = alice.create_session(source="src")
    admin.unprotect_branch("src", "main")
    alice.write(other.id, "a.sql", b"theirs\n")
    alice.commit(other.id, message="theirs")
    assert alice.commit(sid, message="ours").conflicts  # both changed a.sql
    admin.protect_branch("src", "main", required_approvals=1)
    with pytest.raises(ApprovalRequired):
        alice.resolve(sid, {"a.sql": "session"}, message="ours wins")
    assert alice.get_session(sid).status == "CONFLICT"  # still to be resolved
    reviewer = services.review(actor="bob")
    reviewer.grant_approval(sid, services.review(actor="alice").request_approval(sid).id)
    alice.resolve(sid, {"a.sql": "session"}, message="ours wins")
    assert alice.get_session(sid).status == "ACTIVE"


def test_policies_are_listed_replaced_and_removed(services, setup) -> None:
    admin = services.review(actor="admin")
    admin.protect_branch("src", "feature/x", required_approvals=2, required_checks=["valid-json"])
    listed = admin.list_branch_policies("src")
    assert [(p.branch, p.required_approvals) for p in listed] == [("feature/x", 2), ("main", 1)]
    replaced = admin.protect_branch("src", "feature/x", required_approvals=0)
    assert (replaced.required_approvals, replaced.required_checks) == (0, [])
    admin.unprotect_branch("src", "feature/x")
    with pytest.raises(NotFound, match="not protected"):
        admin.get_branch_policy("src", "feature/x")
    with pytest.raises(NotFound):
        admin.unprotect_branch("src", "feature/x")
    with pytest.raises(Invalid, match="known checks"):
        admin.protect_branch("src", "main", required_checks=["nope"])
    for bad in ("a b", "x.lock", "-x", "a..b", "", "a\x01"):
        with pytest.raises(Invalid, match="invalid ref name"):
            admin.protect_branch("src", bad)
    with pytest.raises(Invalid, match="0-100"):
        admin.protect_branch("src", "main", required_approvals=-1)
    with pytest.raises(NotFound):
        services.review("other", actor="admin").protect_branch("src", "main")


def test_editing_a_file_outdates_exactly_its_annotations(services, setup) -> None:
    alice, alice_review, bob, sid = setup
    alice.write(sid, "b.sql", b"select 3;\n")
    on_a = [bob.annotate(sid, "a.sql", f"note {i}", lines=(1, 1)) for i in range(3)]
    on_b = bob.annotate(sid, "b.sql", "fine")
    old_hash = on_a[0].content_hash
    alice.write(sid, "a.sql", b"select 10;\n")
    shown = {a.id: a for a in bob.list_annotations(sid).items}
    assert {i for i, a in shown.items() if a.state == "outdated"} == {a.id for a in on_a}
    assert shown[on_b.id].state == "open"
    kept = shown[on_a[0].id]
    assert (kept.content_hash, kept.lines, kept.outdated) == (old_hash, (1, 1), True)
    outdated = bob.list_annotations(sid, state="outdated")
    assert [a.id for a in outdated.items] == [a.id for a in on_a]
    resolved = alice_review.resolve_annotation(sid, on_a[0].id)
    assert (resolved.state, resolved.outdated, resolved.resolved_by) == ("resolved", True, "alice")
    alice.delete(sid, "b.sql")
    assert bob.get_annotation(sid, on_b.id).state == "outdated"


def test_annotate_refuses_what_it_cannot_pin(services, setup) -> None:
    alice, _, bob, sid = setup
    alice.mkdir(sid, "d")
    with pytest.raises(NotFound):
        bob.annotate(sid, "missing.sql", "?")
    with pytest.raises(Invalid, match="annotate a file"):
        bob.annotate(sid, "d", "?")
    with pytest.raises(PreconditionFailed, match="changed"):
        bob.annotate(sid, "a.sql", "?", content_hash="0" * 64)
    with pytest.raises(Invalid, match="state must be"):
        bob.list_annotations(sid, state="closed")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.review("other", actor="eve").annotate(sid, "a.sql", "?")


def test_annotation_listing_pages_and_filters(setup) -> None:
    _, _, bob, sid = setup
    made = [bob.annotate(sid, "a.sql", f"n{i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        page = bob.list_annotations(sid, cursor=cursor, limit=2)
        seen += [a.id for a in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [a.id for a in made]
    assert bob.list_annotations(sid, author="alice").items == []
    with pytest.raises(Invalid, match="cursor"):
        bob.list_annotations(sid, cursor="ann-gone")


def test_reviews_are_in_the_audit_log(services, setup) -> None:
    _, alice_review, bob, sid = setup
    note = bob.annotate(sid, "a.sql", "hm")
    alice_review.resolve_annotation(sid, note.id)
    asked = alice_review.request_approval(sid)
    bob.deny_approval(sid, asked.id, comment="no")
    listed = services.events.list("default", limit=1000).items
    kinds = [
        (e.type, e.actor)
        for e in listed
        if e.type.split(".")[0] in ("annotation", "approval", "branch")
    ]
    assert kinds == [
        ("branch.protect", "admin"),
        ("annotation.create", "bob"),
        ("annotation.resolve", "alice"),
        ("approval.request", "alice"),
        ("approval.deny", "bob"),
    ]
