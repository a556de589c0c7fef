"""gc: delete objects that nothing reaches and that have been left alone for a grace period.

Safety with writers running at the same time rests on three rules:

1. The object listing is taken *before* the roots are read, so an object written after the
   listing is never a candidate.
2. Only objects whose mtime is older than the grace period are candidates. A writer stores new
   objects (fresh mtime) and freshens an existing object it reuses (``ObjectStore._store``
   touches it), then links them into the catalog well within the grace period.
3. Each candidate is deleted with ``ObjectStore.delete_if_stale``, which judges the mtime again
   at the moment of deletion, so a reuse that happened during the walk keeps the object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aether_data.ids import ObjectId
from aether_data.storage.base import ObjectStat, ObjectStore
from aether_data.workspace._walk import reachable

__all__ = ["DEFAULT_GRACE", "GcReport", "gc"]

DEFAULT_GRACE = 24 * 3600.0


@dataclass
class GcReport:
    """What gc saw and did."""

    examined: int = 0
    reachable: int = 0
    kept_young: int = 0
    deleted: list[ObjectId] = field(default_factory=list)
    freed_bytes: int = 0
    temporary_removed: int = 0
    dry_run: bool = False


def gc(
    store: ObjectStore,
    roots: Callable[[], Iterable[ObjectId]],
    *,
    grace: float = DEFAULT_GRACE,
    dry_run: bool = False,
    now: float | None = None,
) -> GcReport:
    """Delete unreachable objects older than ``grace`` seconds; ``roots`` is read after listing."""
    started = time.time() if now is None else now
    cutoff = started - grace
    listing = list(store.iter_objects())
    live = {oid for oid, _ in reachable(store, roots(), lambda *_: None)}
    report = GcReport(examined=len(listing), reachable=len(live), dry_run=dry_run)
    for stat in listing:
        if stat.id not in live:
            _consider(store, stat, cutoff, report)
    if not dry_run:
        report.temporary_removed = store.sweep_temporary(cutoff)
    return report


def _consider(store: ObjectStore, listed: ObjectStat, cutoff: float, report: GcReport) -> None:
    if listed.mtime >= cutoff:
        report.kept_young += 1
    elif report.dry_run or store.delete_if_stale(listed.id, cutoff):
        report.deleted.append(listed.id)
        report.freed_bytes += listed.stored_size
    else:
        report.kept_young += 1  # freshened by a writer while we walked
