"""Review and coordination records attached to sessions and sources: annotations, approvals,
checks and branch policies (the commit gate), knowledge entries (key/value), the audit log of
events, and the message bus.

Domain code over the catalog: it validates input, applies limits and builds the behaviour
(globs, replay, following, staleness, gates) that the catalog's plain rows do not know.
Tenancy and the existence of the owning session or source are the caller's to check (the
service layer).
"""

from __future__ import annotations

from aether_data.review.annotations import Annotation, Annotations, AnnotationState
from aether_data.review.approvals import Approval, Approvals, ApprovalState, commit_reasons
from aether_data.review.bus import Bus, BusReader, topic_matches
from aether_data.review.checks import (
    Check,
    CheckRegistry,
    CheckResult,
    CheckRun,
    CheckRuns,
    CheckStatus,
    CommandCheck,
    Finding,
    TreeFiles,
)
from aether_data.review.events import Events
from aether_data.review.gates import BranchPolicy, CommitGate, Policies
from aether_data.review.knowledge import Knowledge

__all__ = [
    "Annotation",
    "AnnotationState",
    "Annotations",
    "Approval",
    "ApprovalState",
    "Approvals",
    "BranchPolicy",
    "Bus",
    "BusReader",
    "Check",
    "CheckRegistry",
    "CheckResult",
    "CheckRun",
    "CheckRuns",
    "CheckStatus",
    "CommandCheck",
    "CommitGate",
    "Events",
    "Finding",
    "Knowledge",
    "Policies",
    "TreeFiles",
    "commit_reasons",
    "topic_matches",
]
