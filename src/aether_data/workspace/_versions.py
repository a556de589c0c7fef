"""A session's earlier trees: the one a checkpoint of it names, or a commit reachable from it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from aether_data.catalog import Catalog, SessionRecord, check_checkpoint_name
from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId, parse_object_id
from aether_data.storage.base import ObjectStore

__all__ = ["tree_at"]


def tree_at(store: ObjectStore, catalog: Catalog, record: SessionRecord, at: str) -> ObjectId:
    """The root tree of ``record``'s session at ``at``: a checkpoint of it by name, else a
    commit id reachable from the commit it started from (``NotFound`` for neither)."""
    try:
        name = check_checkpoint_name(at)
    except Invalid as exc:
        raise Invalid(f"{at!r} is neither a checkpoint name nor a commit id") from exc
    try:
        return catalog.get_checkpoint(record.id, name).tree_id
    except NotFound:
        commit_id = _commit_id(at)
        if commit_id is not None and commit_id in _reachable(store, record.base_commit):
            return store.get_commit(commit_id).tree
    raise NotFound(f"session {record.id} has neither a checkpoint {at!r} nor a commit of that id")


def _commit_id(text: str) -> ObjectId | None:
    try:
        return parse_object_id(text)
    except Invalid:
        return None


def _reachable(store: ObjectStore, start: ObjectId | None) -> Iterator[ObjectId]:
    """``start`` and every commit it descends from, each once (a merge has two parents)."""
    seen: set[ObjectId] = set()
    waiting = deque([start] if start is not None else [])
    while waiting:
        commit_id = waiting.popleft()
        if commit_id in seen:
            continue
        seen.add(commit_id)
        yield commit_id
        waiting.extend(store.get_commit(commit_id).parents)
