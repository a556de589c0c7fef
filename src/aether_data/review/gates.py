"""Protected branches: a branch policy (required approvals, required checks) and the gate a
commit to the branch passes first.

The gate runs the required checks on the tree about to be committed (each run is kept as a
report; some checks are implied by what the tree changes, such as ``sql-lint`` for SQL
migrations) and refuses with ``ChecksFailed`` when one does not pass; then it counts the distinct
reviewers who granted an approval of exactly that tree, for ``COMMIT`` or
``COMMIT_TO_<BRANCH>``, and refuses with ``ApprovalRequired`` when there are too few.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aether_data.catalog import Catalog, ReviewKind, ReviewRecord, check_ref_name
from aether_data.errors import ApprovalRequired, ChecksFailed, Invalid, NotFound
from aether_data.ids import ObjectId, SessionId, SourceName

from ._records import all_records, update_record
from .approvals import Approvals, commit_reasons
from .checks import CheckRegistry, CheckRun, CheckRuns, CheckStatus, TreeFiles, run_check

__all__ = ["BranchPolicy", "CommitGate", "Policies"]

_MAX_APPROVALS = 100


@dataclass(frozen=True, slots=True)
class BranchPolicy:
    """What a commit to ``source@branch`` needs."""

    source: str
    branch: str
    required_approvals: int
    required_checks: tuple[str, ...]
    updated_by: str
    updated_at: datetime


def _policy(record: ReviewRecord) -> BranchPolicy:
    data = record.data
    return BranchPolicy(
        source=record.source or "",
        branch=data["branch"],
        required_approvals=data["required_approvals"],
        required_checks=tuple(data["required_checks"]),
        updated_by=record.author,
        updated_at=record.updated_at,
    )


def _policy_id(source: str, branch: str) -> str:
    # Branch names may hold '/', which ids may not: name the pair by its hash.
    return "pol-" + hashlib.sha256(f"{source}\0{branch}".encode()).hexdigest()[:32]


class Policies:
    """The branch policies of sources."""

    def __init__(self, catalog: Catalog, checks: CheckRegistry) -> None:
        self.catalog = catalog
        self.checks = checks

    def protect(
        self,
        tenant: str,
        source: SourceName,
        branch: str,
        *,
        actor: str,
        required_approvals: int = 1,
        required_checks: Sequence[str] = (),
    ) -> BranchPolicy:
        """Set the policy of ``source@branch`` (replacing any it had)."""
        data = self._data(branch, required_approvals, required_checks)
        record_id = _policy_id(source, branch)
        try:
            current = self.catalog.get_review(record_id)
        except NotFound:
            return _policy(self._create(tenant, source, record_id, data, actor))
        updated = update_record(self.catalog, current, lambda _: ("protected", data))
        return _policy(updated)

    def _create(self, tenant, source, record_id, data, actor) -> ReviewRecord:
        record = ReviewRecord(
            id=record_id,
            kind=ReviewKind.BRANCH_POLICY,
            tenant=tenant,
            state="protected",
            author=actor,
            data=data,
            source=source,
        )
        return self.catalog.create_review(record)

    def _data(self, branch: str, approvals: int, checks: Sequence[str]) -> dict[str, Any]:
        check_ref_name(branch)  # a name no branch can have is a mistake, not a policy
        if isinstance(approvals, bool) or not isinstance(approvals, int):
            raise Invalid("required approvals must be a whole number")
        if not 0 <= approvals <= _MAX_APPROVALS:
            raise Invalid(f"required approvals must be 0-{_MAX_APPROVALS}, not {approvals}")
        names = list(dict.fromkeys(checks))
        for name in names:
            self.checks.get(name)  # Invalid for an unknown check, naming the known ones
        return {"branch": branch, "required_approvals": approvals, "required_checks": names}

    def get(self, source: SourceName, branch: str) -> BranchPolicy | None:
        """The policy of ``source@branch``; None when the branch is not protected."""
        try:
            return _policy(self.catalog.get_review(_policy_id(source, branch)))
        except NotFound:
            return None

    def list(self, source: SourceName) -> list[BranchPolicy]:
        """The policies of a source's branches, by branch."""
        found = all_records(self.catalog, ReviewKind.BRANCH_POLICY, source=source)
        return sorted(map(_policy, found), key=lambda p: p.branch)

    def unprotect(self, source: SourceName, branch: str) -> None:
        """Drop the policy; ``NotFound`` when the branch was not protected."""
        try:
            self.catalog.delete_review(_policy_id(source, branch))
        except NotFound:
            raise NotFound(f"branch {branch!r} of {source!r} is not protected") from None


class CommitGate:
    """Decides whether a session's tree may be committed to a branch."""

    def __init__(
        self,
        policies: Policies,
        approvals: Approvals,
        runs: CheckRuns,
        tree_files,
        implied_checks: Callable[[TreeFiles], Sequence[str]] | None = None,
    ) -> None:
        self.policies = policies
        self.approvals = approvals
        self.runs = runs
        self._tree_files = tree_files  # (tree id, base tree id) -> TreeFiles
        # Checks a protected branch requires of a tree whatever its policy lists (sql-lint
        # for a tree that changes SQL migrations).
        self._implied = implied_checks or (lambda tree: ())

    def run_checks(
        self,
        tenant: str,
        session_id: SessionId,
        tree_id: ObjectId,
        names: Sequence[str],
        *,
        actor: str,
        base_tree: ObjectId | None = None,
    ) -> list[CheckRun]:
        """Run the named checks on ``tree_id`` (against ``base_tree``, what the session started
        from) and keep their reports."""
        tree: TreeFiles = self._tree_files(tree_id, base_tree)
        return self._run(tenant, session_id, tree, names, actor=actor)

    def implied_checks(self, tree_id: ObjectId, base_tree: ObjectId | None) -> list[str]:
        """The checks a protected branch requires of this tree beyond its policy's."""
        return list(self._implied(self._tree_files(tree_id, base_tree)))

    def _run(self, tenant, session_id, tree: TreeFiles, names, *, actor: str) -> list[CheckRun]:
        checks = [self.policies.checks.get(n) for n in dict.fromkeys(names)]
        return [
            self.runs.record(
                tenant, session_id, tree.tree_id, c.name, run_check(c, tree), actor=actor
            )
            for c in checks
        ]

    def admit(
        self,
        tenant: str,
        session_id: SessionId,
        source: SourceName,
        branch: str,
        tree_id: ObjectId,
        *,
        actor: str,
        base_tree: ObjectId | None = None,
    ) -> None:
        """Pass, or raise why a commit of ``tree_id`` to ``source@branch`` may not happen.

        Raises:
            ChecksFailed: a required check did not pass (its report is kept).
            ApprovalRequired: too few reviewers granted an approval of this tree.
        """
        policy = self.policies.get(source, branch)
        if policy is None:
            return
        tree: TreeFiles = self._tree_files(tree_id, base_tree)
        names = [*policy.required_checks, *self._implied(tree)]
        runs = self._run(tenant, session_id, tree, names, actor=actor)
        if failed := [r for r in runs if r.status is not CheckStatus.PASSED]:
            raise ChecksFailed(_failures(source, branch, session_id, failed))
        approvers = self.approvals.approvers(session_id, tree_id, commit_reasons(branch))
        if len(approvers) < policy.required_approvals:
            raise ApprovalRequired(
                f"branch {branch!r} of {source!r} is protected: it needs "
                f"{policy.required_approvals} approval(s) of session {session_id} as it is now, "
                f"and has {len(approvers)}; request one (aether approvals request {session_id}) "
                "and have another reviewer grant it"
            )


def _failures(source: str, branch: str, session_id: str, failed: list[CheckRun]) -> str:
    parts = "; ".join(f"{r.check}: {r.status.value}, {r.summary}" for r in failed)
    return (
        f"branch {branch!r} of {source!r} requires checks that did not pass ({parts}); "
        f"see the reports (aether checks reports {session_id} --current)"
    )
