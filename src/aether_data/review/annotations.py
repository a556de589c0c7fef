"""Annotations: reviewers' notes on a file of a session, optionally on a range of lines.

Each annotation keeps the content hash of the file it was written against. It is shown as
``outdated`` once the file's content differs (or the file is gone), with its old hash and
lines kept, until someone resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aether_data.catalog import Catalog, ReviewKind, ReviewRecord
from aether_data.errors import Invalid, TooLarge
from aether_data.ids import SessionId

from ._records import all_records, new_id, owned_record, update_record

__all__ = ["MAX_BODY", "Annotation", "AnnotationState", "Annotations"]

MAX_BODY = 64 * 1024
"""The longest annotation body, in bytes of UTF-8."""


class AnnotationState(StrEnum):
    """How an annotation is shown: ``open`` and ``resolved`` are kept; ``outdated`` is an open
    annotation whose file changed since."""

    OPEN = "open"
    RESOLVED = "resolved"
    OUTDATED = "outdated"


@dataclass(frozen=True, slots=True)
class Annotation:
    """A note on ``path`` (lines ``lines[0]``-``lines[1]``, 1-based, inclusive, when given)."""

    id: str
    session_id: str
    path: str
    body: str
    author: str
    content_hash: str
    lines: tuple[int, int] | None
    resolved: bool
    resolved_by: str | None
    created_at: datetime
    updated_at: datetime

    def state(self, current_hash: str | None) -> AnnotationState:
        """Its state, given the file's content hash now (None: the file is gone)."""
        if self.resolved:
            return AnnotationState.RESOLVED
        if current_hash != self.content_hash:
            return AnnotationState.OUTDATED
        return AnnotationState.OPEN


def _annotation(record: ReviewRecord) -> Annotation:
    data = record.data
    lines = data.get("lines")
    return Annotation(
        id=record.id,
        session_id=record.session_id or "",
        path=data["path"],
        body=data["body"],
        author=record.author,
        content_hash=data["content_hash"],
        lines=(lines[0], lines[1]) if lines else None,
        resolved=record.state == AnnotationState.RESOLVED,
        resolved_by=data.get("resolved_by"),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def check_lines(lines: tuple[int, int] | None) -> tuple[int, int] | None:
    """``lines`` if it is a 1-based, inclusive range (start <= end)."""
    if lines is None:
        return None
    start, end = lines
    if not (isinstance(start, int) and isinstance(end, int)) or not 1 <= start <= end:
        raise Invalid(f"invalid line range {start}-{end}: lines count from 1, start <= end")
    return start, end


def _check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise Invalid("an annotation needs a body (some text)")
    if len(body.encode()) > MAX_BODY:
        raise TooLarge(f"an annotation body is at most {MAX_BODY} bytes")
    return body


class Annotations:
    """Add, list, resolve and reopen the annotations of sessions."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def add(
        self,
        tenant: str,
        session_id: SessionId,
        *,
        path: str,
        body: str,
        author: str,
        content_hash: str,
        lines: tuple[int, int] | None = None,
    ) -> Annotation:
        """Annotate ``path`` as it is at ``content_hash``."""
        data: dict[str, Any] = {"path": path, "body": _check_body(body)}
        data |= {"content_hash": content_hash, "lines": check_lines(lines)}
        record = ReviewRecord(
            id=new_id("ann"),
            kind=ReviewKind.ANNOTATION,
            tenant=tenant,
            state=AnnotationState.OPEN,
            author=author,
            data=data,
            session_id=session_id,
        )
        return _annotation(self.catalog.create_review(record))

    def get(self, session_id: str, annotation_id: str) -> Annotation:
        """The annotation; ``NotFound`` unless it is one of ``session_id``'s."""
        return _annotation(self._record(session_id, annotation_id))

    def _record(self, session_id: str, annotation_id: str) -> ReviewRecord:
        return owned_record(
            self.catalog, ReviewKind.ANNOTATION, annotation_id, session_id, "annotation"
        )

    def list(
        self, session_id: SessionId, *, path: str | None = None, author: str | None = None
    ) -> list[Annotation]:
        """The session's annotations, oldest first; on ``path`` (a file, or a folder and
        everything under it) and by ``author`` when given."""
        found = map(
            _annotation, all_records(self.catalog, ReviewKind.ANNOTATION, session_id=session_id)
        )
        return [a for a in found if _under(a.path, path) and author in (None, a.author)]

    def resolve(self, session_id: str, annotation_id: str, *, actor: str) -> Annotation:
        """Mark it resolved (by ``actor``); resolving a resolved one changes nothing."""
        return self._set(session_id, annotation_id, AnnotationState.RESOLVED, actor)

    def reopen(self, session_id: str, annotation_id: str, *, actor: str) -> Annotation:
        """Open it again; reopening an open one changes nothing."""
        return self._set(session_id, annotation_id, AnnotationState.OPEN, actor)

    def _set(self, session_id: str, annotation_id: str, state: str, actor: str) -> Annotation:
        def change(record: ReviewRecord) -> tuple[str, dict[str, Any]] | None:
            if record.state == state:
                return None
            resolved_by = actor if state == AnnotationState.RESOLVED else None
            return state, {**record.data, "resolved_by": resolved_by}

        record = self._record(session_id, annotation_id)
        return _annotation(update_record(self.catalog, record, change))


def _under(path: str, folder: str | None) -> bool:
    if not folder:
        return True
    return path == folder or path.startswith(folder.rstrip("/") + "/")
