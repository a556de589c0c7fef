"""Walking the object graph from a set of roots."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from aether_data.errors import Corrupt, Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import Kind
from aether_data.storage.base import ObjectStore

__all__ = ["reachable"]

OnError = Callable[[ObjectId, ObjectId | None, Exception], None]


def reachable(
    store: ObjectStore, roots: Iterable[ObjectId], on_error: OnError
) -> Iterator[tuple[ObjectId, ObjectId | None]]:
    """Yield ``(id, referrer)`` for every object reachable from ``roots``, each once.

    Blobs are recognised from their header alone, so a walk costs one small read per file
    plus one full read per tree, commit and chunk index. Objects that are missing or cannot
    be decoded are reported to ``on_error`` and not expanded.
    """
    seen: set[ObjectId] = set()
    stack: list[tuple[ObjectId, ObjectId | None]] = [(oid, None) for oid in roots]
    while stack:
        oid, referrer = stack.pop()
        if oid in seen:
            continue
        seen.add(oid)
        try:
            kids = [] if store.kind(oid) is Kind.BLOB else store.children(oid)
        except (NotFound, Corrupt, Invalid) as exc:
            on_error(oid, referrer, exc)
            continue
        yield oid, referrer
        stack.extend((kid, oid) for kid in kids if kid not in seen)
