"""fsck: prove that everything the catalog names exists and hashes right, and that every stored
object is intact."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aether_data.errors import Corrupt, Invalid, NotFound
from aether_data.ids import ObjectId
from aether_data.objects import ChunkIndex, Kind
from aether_data.storage.base import ObjectStore
from aether_data.workspace._walk import reachable

__all__ = ["FsckReport", "Problem", "fsck"]


@dataclass(frozen=True)
class Problem:
    """One thing fsck found wrong."""

    object_id: ObjectId
    problem: str
    """``missing``, ``corrupt`` or ``invalid``."""
    detail: str
    referenced_by: ObjectId | None = None

    def describe(self) -> str:
        """A one-line human description."""
        where = f" (named by {self.referenced_by})" if self.referenced_by else " (a catalog root)"
        return f"{self.problem} object {self.object_id}{where}: {self.detail}"


@dataclass
class FsckReport:
    """What fsck checked and found."""

    roots: int = 0
    reachable: int = 0
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def fsck(
    store: ObjectStore,
    roots: Iterable[ObjectId],
    *,
    all_objects: bool = True,
    progress: Callable[[int], None] | None = None,
) -> FsckReport:
    """Check every object reachable from ``roots`` and, with ``all_objects``, every stored object.

    Each object is read and verified against its id; a chunked file is also re-hashed whole.
    """
    report = FsckReport()
    root_list = list(dict.fromkeys(roots))
    report.roots = len(root_list)
    checked: set[ObjectId] = set()

    def on_error(oid: ObjectId, referrer: ObjectId | None, exc: Exception) -> None:
        report.problems.append(_problem(oid, exc, referrer))
        checked.add(oid)

    def check(oid: ObjectId, referrer: ObjectId | None) -> None:
        if oid not in checked:
            _check(store, oid, referrer, report, checked)
            if progress is not None:
                progress(1)

    for oid, referrer in reachable(store, root_list, on_error):
        report.reachable += 1
        check(oid, referrer)
    if all_objects:
        for stat in store.iter_objects():
            check(stat.id, None)
    report.checked = len(checked)
    return report


def _check(
    store: ObjectStore,
    oid: ObjectId,
    referrer: ObjectId | None,
    report: FsckReport,
    checked: set[ObjectId],
) -> None:
    checked.add(oid)
    try:
        kind, payload = store.load(oid)
        if kind is Kind.CHUNKS:
            index = ChunkIndex.decode(payload)
            _check_whole_file(store, oid)
            checked.update(chunk.id for chunk in index.chunks)
    except (NotFound, Corrupt, Invalid) as exc:
        report.problems.append(_problem(oid, exc, referrer))


def _check_whole_file(store: ObjectStore, oid: ObjectId) -> None:
    # Reading through the index verifies each chunk; the running hash proves the order.
    whole = hashlib.sha256()
    for piece in store.iter_bytes(oid):
        whole.update(piece)
    if whole.hexdigest() != oid:
        raise Corrupt(oid, f"the chunks join to content hashing to {whole.hexdigest()}")


def _problem(oid: ObjectId, exc: Exception, referrer: ObjectId | None) -> Problem:
    kind = {NotFound: "missing", Corrupt: "corrupt"}.get(type(exc), "invalid")
    return Problem(oid, kind, str(exc), referrer)
