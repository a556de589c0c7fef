"""The part of the catalog contract that stores review records (annotations, approvals, check
runs, branch policies). The catalog keeps each one's state, JSON data and version; what the
states and data mean is the review layer's business."""

from __future__ import annotations

from abc import ABC, abstractmethod

from aether_data.ids import SessionId, SourceName

from .records import Page, ReviewKind, ReviewRecord

__all__ = ["ReviewRecords"]


class ReviewRecords(ABC):
    """Review records, each compare-and-set on its ``version``."""

    @abstractmethod
    def create_review(self, record: ReviewRecord) -> ReviewRecord:
        """Store a new record; ``version`` starts at 1, ``created_at``/``updated_at`` are now.

        Raises:
            Conflict: a record with this id exists.
            Invalid: a bad id, kind, tenant, owner, state or data (not a JSON mapping).
        """

    @abstractmethod
    def get_review(self, record_id: str) -> ReviewRecord:
        """The record with this id.

        Raises:
            NotFound: no such record.
        """

    @abstractmethod
    def list_reviews(
        self,
        kind: ReviewKind,
        *,
        session_id: SessionId | None = None,
        source: SourceName | None = None,
        states: tuple[str, ...] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ReviewRecord]:
        """Records of one kind, oldest first, filtered by owner and states.

        Raises:
            Invalid: a bad cursor or limit.
        """

    @abstractmethod
    def update_review(
        self,
        record_id: str,
        *,
        expected_version: int,
        state: str | None = None,
        data: dict | None = None,
    ) -> ReviewRecord:
        """Change a record's state and/or data if it is still at ``expected_version``; bumps
        ``version`` and ``updated_at``.

        Raises:
            PreconditionFailed: the record is at another version.
            NotFound: no such record.
        """

    @abstractmethod
    def delete_review(self, record_id: str, *, expected_version: int | None = None) -> None:
        """Remove a record (compare-and-set when ``expected_version`` is given).

        Raises:
            PreconditionFailed: the record is at another version.
            NotFound: no such record.
        """
