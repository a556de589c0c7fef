"""Annotations: add, list and filter, resolve and reopen; ``outdated`` follows the content hash."""

from __future__ import annotations

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Invalid, NotFound, TooLarge
from aether_data.ids import SessionId
from aether_data.review import Annotations, AnnotationState
from aether_data.review.annotations import MAX_BODY

S1, S2 = SessionId("s1"), SessionId("s2")
H1, H2 = "1" * 64, "2" * 64


@pytest.fixture
def notes(catalog: SqlCatalog) -> Annotations:
    return Annotations(catalog)


def add(notes: Annotations, path: str = "a.sql", **kw):
    defaults = {"body": "why?", "author": "ada", "content_hash": H1}
    return notes.add("acme", kw.pop("session", S1), path=path, **(defaults | kw))


def test_add_keeps_what_it_was_written_against(notes: Annotations) -> None:
    made = add(notes, lines=(3, 7))
    got = notes.get(S1, made.id)
    assert got == made
    assert (got.path, got.lines, got.content_hash, got.author) == ("a.sql", (3, 7), H1, "ada")
    assert got.state(H1) is AnnotationState.OPEN


def test_outdated_when_the_content_differs_and_resolved_wins(notes: Annotations) -> None:
    made = add(notes)
    assert made.state(H2) is AnnotationState.OUTDATED
    assert made.state(None) is AnnotationState.OUTDATED  # the file is gone
    resolved = notes.resolve(S1, made.id, actor="bob")
    assert resolved.state(H2) is AnnotationState.RESOLVED
    assert (resolved.resolved_by, resolved.lines, resolved.content_hash) == ("bob", None, H1)


def test_resolve_and_reopen_are_idempotent(notes: Annotations) -> None:
    made = add(notes)
    first = notes.resolve(S1, made.id, actor="bob")
    again = notes.resolve(S1, made.id, actor="carl")
    assert again == first  # unchanged: still resolved by bob
    reopened = notes.reopen(S1, made.id, actor="ada")
    assert (reopened.resolved, reopened.resolved_by) == (False, None)
    assert notes.reopen(S1, made.id, actor="ada") == reopened


def test_list_filters_by_path_folder_and_author(notes: Annotations) -> None:
    a = add(notes, "db/001.sql")
    b = add(notes, "db/002.sql", author="bob")
    c = add(notes, "dbx.sql")
    add(notes, "db/001.sql", session=S2)
    assert [n.id for n in notes.list(S1)] == [a.id, b.id, c.id]
    assert [n.id for n in notes.list(S1, path="db")] == [a.id, b.id]
    assert [n.id for n in notes.list(S1, path="db/001.sql")] == [a.id]
    assert [n.id for n in notes.list(S1, author="bob")] == [b.id]


def test_another_sessions_annotation_is_not_found(notes: Annotations) -> None:
    made = add(notes)
    with pytest.raises(NotFound):
        notes.get(S2, made.id)
    with pytest.raises(NotFound):
        notes.resolve(S2, made.id, actor="x")
    with pytest.raises(NotFound):
        notes.get(S1, "ann-missing")


@pytest.mark.parametrize("lines", [(0, 1), (5, 4), (-1, 2)])
def test_bad_line_ranges_are_refused(notes: Annotations, lines) -> None:
    with pytest.raises(Invalid, match="line range"):
        add(notes, lines=lines)


def test_body_is_required_and_bounded(notes: Annotations) -> None:
    with pytest.raises(Invalid, match="body"):
        add(notes, body="  \n")
    with pytest.raises(TooLarge):
        add(notes, body="x" * (MAX_BODY + 1))
    assert notes.list(S1) == []
