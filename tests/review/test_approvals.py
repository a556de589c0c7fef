"""Approvals: request, grant or deny by someone else, bound to one tree; stale after a change."""

from __future__ import annotations

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Conflict, Forbidden, Invalid, NotFound
from aether_data.ids import ObjectId, SessionId
from aether_data.review import Approvals, ApprovalState, commit_reasons

S1 = SessionId("s1")
T1, T2 = ObjectId("a" * 64), ObjectId("b" * 64)


@pytest.fixture
def approvals(catalog: SqlCatalog) -> Approvals:
    return Approvals(catalog)


def request(approvals: Approvals, tree: ObjectId = T1, **kw):
    return approvals.request("acme", S1, tree, actor=kw.pop("actor", "ada"), **kw)


def test_grant_binds_the_tree_and_goes_stale_after_a_change(approvals: Approvals) -> None:
    asked = request(approvals, reason="COMMIT_TO_MAIN", details={"ticket": "DATA-7"})
    assert asked.state(T1) is ApprovalState.PENDING
    granted = approvals.decide(S1, asked.id, grant=True, actor="bob", current_tree=T1)
    assert (granted.decided_by, granted.details) == ("bob", {"ticket": "DATA-7"})
    assert granted.state(T1) is ApprovalState.GRANTED
    assert granted.state(T2) is ApprovalState.STALE
    assert approvals.approvers(S1, T1, commit_reasons("main")) == {"bob"}
    assert approvals.approvers(S1, T2, commit_reasons("main")) == set()
    assert approvals.approvers(S1, T1, commit_reasons("dev")) == set()  # another branch


def test_self_approval_is_refused(approvals: Approvals) -> None:
    asked = request(approvals)
    with pytest.raises(Forbidden, match="another reviewer"):
        approvals.decide(S1, asked.id, grant=True, actor="ada", current_tree=T1)
    with pytest.raises(Forbidden):
        approvals.decide(S1, asked.id, grant=False, actor="ada", current_tree=T1)
    assert approvals.get(S1, asked.id).decision is ApprovalState.PENDING


def test_granting_a_request_of_an_older_tree_is_refused(approvals: Approvals) -> None:
    asked = request(approvals)
    with pytest.raises(Conflict, match="changed since"):
        approvals.decide(S1, asked.id, grant=True, actor="bob", current_tree=T2)
    denied = approvals.decide(S1, asked.id, grant=False, actor="bob", current_tree=T2)
    assert denied.state(T2) is ApprovalState.DENIED  # a denial never goes stale


def test_a_decision_is_final(approvals: Approvals) -> None:
    asked = request(approvals)
    approvals.decide(S1, asked.id, grant=False, actor="bob", current_tree=T1, comment="no")
    with pytest.raises(Conflict, match="denied by bob"):
        approvals.decide(S1, asked.id, grant=True, actor="carl", current_tree=T1)
    assert approvals.get(S1, asked.id).comment == "no"


def test_concurrent_decisions_decide_once(approvals: Approvals, race) -> None:
    asked = request(approvals)

    def decide(i: int):
        grant = i % 2 == 0
        return approvals.decide(S1, asked.id, grant=grant, actor=f"r{i}", current_tree=T1)

    results = race(decide)
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert approvals.get(S1, asked.id).decided_by == done[0].decided_by


def test_a_repeated_request_returns_the_pending_one(approvals: Approvals) -> None:
    first = request(approvals)
    assert request(approvals).id == first.id
    assert request(approvals, actor="carl").id != first.id
    assert request(approvals, T2).id != first.id
    assert len(approvals.list(S1)) == 3


@pytest.mark.parametrize("reason", ["commit", "", "COMMIT TO", "X" * 65])
def test_reasons_are_upper_case_words(approvals: Approvals, reason: str) -> None:
    with pytest.raises(Invalid, match="reason"):
        request(approvals, reason=reason)


def test_reasons_for_a_branch() -> None:
    assert commit_reasons("main") == {"COMMIT", "COMMIT_TO_MAIN"}
    assert commit_reasons("feature/x-1") == {"COMMIT", "COMMIT_TO_FEATURE_X_1"}


def test_unknown_ids_are_not_found(approvals: Approvals) -> None:
    with pytest.raises(NotFound):
        approvals.decide(S1, "apr-none", grant=True, actor="bob", current_tree=T1)
